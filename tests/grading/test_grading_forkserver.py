"""Grading kernels forked from a warm server behave as freshly started ones, each from a clean state."""
from __future__ import annotations

import json
import os
import signal
import time

import pytest

from kernel_cells import run_cells
from course_admin.grading import forkserver
from course_admin.grading.kernel_spec import KERNEL_NAME, write_kernel_spec
from course_admin.grading.sandbox import KernelLimits


@pytest.fixture(scope="module")
def kernel_spec(tmp_path_factory):
    """The grading kernel spec (3 GiB memory cap) on JUPYTER_PATH; returns its kernel.json."""
    jupyter_path = tmp_path_factory.mktemp("jupyter")
    spec_dir = write_kernel_spec(jupyter_path, KernelLimits(memory=3 * 2**30), ("course_utils",))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("JUPYTER_PATH", str(jupyter_path))
        yield json.loads((spec_dir / "kernel.json").read_text())


@pytest.fixture()
def server(kernel_spec):
    started = forkserver.start_server(kernel_spec["argv"][:3], {**os.environ, **kernel_spec["env"]})
    yield started
    forkserver.stop_server()


def run_in_kernel(folder, *cells: str, timeout: float = 30) -> list[str]:
    """Run ``cells`` one by one in a new grading kernel started in ``folder``; each cell's stdout,
    or ``ename`` when it raised. The kernel is killed afterwards."""
    return [reply["ename"] if reply["status"] == "error" else printed
            for printed, reply in run_cells(folder, *cells, timeout=timeout)]


def test_kernels_are_children_of_the_server_in_their_own_group_and_start_warm(server, tmp_path):
    printed, = run_in_kernel(tmp_path, (
        "import os, sys\n"
        "print(os.getppid(), os.getpgid(0) == os.getpid(), os.getcwd(), sys.path[-1], sys.argv[0],"
        " 'matplotlib.pyplot' in sys.modules, os.environ['PYTHONHASHSEED'])"))
    assert printed.split() == [str(server.process.pid), "True", str(tmp_path), str(tmp_path), "-c", "True", "0"]


def test_what_a_kernel_changes_does_not_reach_the_next_one(server, tmp_path):
    cheat = "import numpy, numpy.testing\nnumpy.pi = 3\nnumpy.testing.assert_allclose = print\nprint(numpy.pi)"
    assert run_in_kernel(tmp_path, cheat) == ["3"]
    fresh = run_in_kernel(tmp_path, "import numpy, numpy.testing\nprint(numpy.pi, numpy.testing.assert_allclose is print)")
    assert fresh == ["3.141592653589793 False"]


def test_each_kernel_has_its_own_random_state(server, tmp_path):
    draw = "import random, numpy\nprint(random.random(), numpy.random.rand())"
    assert run_in_kernel(tmp_path, draw) != run_in_kernel(tmp_path, draw)


def test_interrupts_and_the_memory_cap_work_in_a_forked_kernel(server, tmp_path):
    from jupyter_client.manager import KernelManager

    manager = KernelManager(kernel_name=KERNEL_NAME)
    manager.start_kernel(cwd=str(tmp_path))
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        client.execute("while True: pass")
        time.sleep(0.5)
        manager.interrupt_kernel()
        assert client.get_shell_msg(timeout=10)["content"]["ename"] == "KeyboardInterrupt"
        client.execute("block = bytearray(4 * 2**30)")
        assert client.get_shell_msg(timeout=10)["content"]["ename"] == "MemoryError"
        client.execute("import os; os._exit(3)")
        deadline = time.monotonic() + 10
        while manager.is_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not manager.is_alive()
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def test_a_server_that_a_kernel_killed_is_replaced_a_few_times_then_kernels_start_as_subprocesses(
        server, tmp_path, monkeypatch):
    monkeypatch.setattr(forkserver, "MAX_RESTARTS", 1)
    kill_parent = "import os, signal\nprint(os.getppid())\nos.kill(os.getppid(), signal.SIGKILL)"
    first, = run_in_kernel(tmp_path, kill_parent)
    second, = run_in_kernel(tmp_path, kill_parent)
    third, = run_in_kernel(tmp_path, "import os\nprint(os.getppid())")
    assert first == str(server.process.pid)
    assert second == str(forkserver._SERVER.process.pid) != first
    assert third == str(os.getpid())


def test_kernels_start_as_subprocesses_when_the_server_is_gone(server, tmp_path):
    server.process.send_signal(signal.SIGKILL)
    server.process.wait()
    printed, = run_in_kernel(tmp_path, "import os, sys\nprint(os.getppid(), 'matplotlib.pyplot' in sys.modules)")
    assert printed.split() == [str(os.getpid()), "False"]


def test_kernels_start_as_subprocesses_when_the_server_cannot_import_its_modules(kernel_spec, tmp_path):
    broken = forkserver.start_server(kernel_spec["argv"][:3], {**os.environ, **kernel_spec["env"]},
                                     ("numpy", "no_such_module_anywhere"))
    try:
        assert run_in_kernel(tmp_path, "import os\nprint(os.getppid())") == [str(os.getpid())]
        assert broken.failed
    finally:
        forkserver.stop_server()


def test_without_a_server_kernels_start_as_subprocesses(kernel_spec, tmp_path):
    forkserver.stop_server()
    printed, = run_in_kernel(tmp_path, "import os\nprint(os.getppid())")
    assert printed == str(os.getpid())
