"""Running cells one by one in a new grading kernel, as the tests of kernels need it."""
from __future__ import annotations

from pathlib import Path

from course_admin.grading.kernel_spec import KERNEL_NAME


def run_cells(folder: Path, *cells: str, timeout: float = 30, **manager_options) -> list[tuple[str, dict]]:
    """Run ``cells`` in a new grading kernel started in ``folder``; per cell, its stdout and execute reply.

    ``manager_options`` go to jupyter_client's ``KernelManager`` (``transport``, ``ip``).
    The kernel is killed afterwards.
    """
    from jupyter_client.manager import KernelManager

    manager = KernelManager(kernel_name=KERNEL_NAME, **manager_options)
    manager.start_kernel(cwd=str(folder))
    client = manager.client()
    client.start_channels()
    results = []
    try:
        client.wait_for_ready(timeout=60)
        for code in cells:
            printed = []

            def collect(message):
                if message["msg_type"] == "stream":
                    printed.append(message["content"]["text"])

            reply = client.execute_interactive(code, timeout=timeout, output_hook=collect)
            results.append(("".join(printed).strip(), reply["content"]))
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    return results
