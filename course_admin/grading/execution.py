"""Running a submitted notebook fairly: a memory-capped kernel, bounded output, and no lost notebooks.

nbgrader's ``Execute`` lets a dead kernel (``os._exit``, a segfault, the OOM killer) or a
kernel that ignores the interrupt sent after a timeout raise out of the notebook, and
nbgrader then drops the student's whole submission. :class:`FairExecute` instead records
what happened in the cell where it happened, marks every later code cell as not run
(an error output, so later tests score 0) and returns the notebook, which is then graded
from what ran.

The error names written into outputs (:data:`KERNEL_DIED`, :data:`KERNEL_UNRESPONSIVE`,
:data:`NOT_RUN`) and the truncation note (:data:`TRUNCATION_NOTE`) are how the rest of
the engine reads back what happened from the graded notebook.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from queue import Empty

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_core.utils import run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.v4 import new_code_cell, new_output
from nbgrader.preprocessors import Execute
from traitlets import Bool, Integer

from .demo_cells import is_course_demo
from .sandbox import KernelLimits
from .settings import KERNEL_NAME

KERNEL_DIED = "KernelDied"
KERNEL_UNRESPONSIVE = "KernelUnresponsive"
NOT_RUN = "NotRun"
TIMEOUT = "CellTimeoutError"
TRUNCATION_NOTE = "... [the grader dropped the rest of this output] ..."
UNTRUSTED = "MachineryTampered"

#: the kernel's first code (limits, folder, safe imports, ipykernel), run with ``python -c``
_LAUNCHER = Path(__file__).with_name("kernel_launcher.py").read_text()

# One BLAS thread per kernel (two graders share two cores) and reproducible hashing.
KERNEL_ENV = {
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "PYTHONHASHSEED": "0",
    "MPLBACKEND": "Agg",
}


#: the kernel provisioner (an entry point of this package) that starts kernels through a fork server
PROVISIONER_NAME = "course-forking-provisioner"


def launcher_prefix() -> list[str]:
    """The start of the grading kernel's command: this interpreter running the launcher."""
    return [sys.executable, "-c", _LAUNCHER]


def write_kernel_spec(jupyter_path: Path, limits: KernelLimits, preload: tuple[str, ...] = (),
                      sandboxed: bool = False) -> Path:
    """Write the grading kernel spec under ``jupyter_path/kernels``; return its directory.

    Workers put ``jupyter_path`` on ``JUPYTER_PATH`` so that ``Execute.kernel_name``
    finds it; IPython's profile directory is ``jupyter_path/ipython`` (``/tmp/ipython`` in
    the sandbox). The kernel runs this interpreter with the hard limits of ``limits`` (an
    allocation past the memory cap raises ``MemoryError`` in the cell); the packages named
    in ``preload`` are imported before any cell runs. ``sandboxed``: the kernel runs from a
    copy of the notebooks the sandbox shows it (see :mod:`.kernel_launcher`). Interrupts
    are sent as messages, which reach a kernel in its own process namespace. Kernels are
    started by :mod:`.forkserver` when the grading process runs one, else as subprocesses.
    """
    from .sandbox import INCOMING, WORK

    spec_dir = Path(jupyter_path) / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True, exist_ok=True)
    launcher_settings = {**limits.to_dict(), "preload": list(preload)}
    if sandboxed:
        launcher_settings.update(incoming=INCOMING, work=WORK)
    # nbclient keeps IPython's history in memory only for kernels named python*, so say it here;
    # a private IPYTHONDIR keeps the grader's own IPython profile and startup files out of grading
    spec = {
        "argv": [*launcher_prefix(), json.dumps(launcher_settings, sort_keys=True),
                 "-f", "{connection_file}",
                 "--HistoryManager.hist_file=:memory:", "--IPKernelApp.ignore_cwd=True"],
        "display_name": "Python 3 (grading, confined)" if sandboxed else "Python 3 (grading, memory-capped)",
        "language": "python",
        "interrupt_mode": "message",
        "env": {**KERNEL_ENV, "IPYTHONDIR": str(Path(jupyter_path).resolve() / "ipython")},
        "metadata": {"debugger": False, "kernel_provisioner": {"provisioner_name": PROVISIONER_NAME}},
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec, indent=1) + "\n")
    return spec_dir


def is_test_cell(cell) -> bool:
    """Whether ``cell`` is an autograded test cell (graded, not an answer)."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


def error_output(ename: str, evalue: str):
    """An error output as a kernel would send it, with a one-line traceback."""
    return new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


class PromptKernelClient(AsyncKernelClient):
    """jupyter_client's asynchronous kernel client, ready as soon as the kernel has answered.

    jupyter_client's ``wait_for_ready`` ends by reading IOPub until 0.2 s pass without
    a message: 0.2 s lost per notebook, as a started kernel has nothing more to say.
    This one waits :attr:`quiet_period` instead. A late start-up message is harmless:
    nbclient keeps only the messages that answer the cell it runs.
    """

    quiet_period = 0.02

    async def wait_for_ready(self, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
        while True:
            self.kernel_info()
            try:
                reply = await self.shell_channel.get_msg(timeout=1)
            except Empty:
                reply = None
            if reply is not None and reply["msg_type"] == "kernel_info_reply":
                try:  # a message on IOPub shows that it is connected too
                    await self.iopub_channel.get_msg(timeout=0.2)
                except Empty:
                    pass
                else:
                    self._handle_kernel_info_reply(reply)
                    break
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout} seconds")
        while True:
            try:
                await self.iopub_channel.get_msg(timeout=self.quiet_period)
            except Empty:
                return


class FairExecute(Execute):
    """nbgrader's ``Execute`` that survives dead and unresponsive kernels and output floods,
    and leaves the course's unchanged demonstration cells unrun (see :mod:`.demo_cells`)."""

    max_output_chars = Integer(
        100_000, help="Characters of stream output kept per cell while it runs (-1: no limit)."
    ).tag(config=True)
    run_course_demos = Bool(
        False, help="Run the cells flagged as unchanged course demonstrations (otherwise they are "
                    "skipped, their outputs cleared)."
    ).tag(config=True)

    #: what the integrity monitor found in the last notebook run in this process (see :mod:`.integrity`)
    last_finding = None

    def preprocess(self, nb, resources=None, km=None):
        self._halted_because = None
        self._stream_chars: dict[int, int] = {}
        self._tracker = None
        FairExecute.last_finding = None
        result = super().preprocess(nb, resources, km)
        finding = self._tracker.finding if self._tracker is not None else None
        if finding is not None:
            for index in finding.untrusted:
                nb.cells[index].outputs.append(error_output(
                    UNTRUSTED, f"this test cell ran after the interpreter's machinery was changed ({finding.what}); "
                               "its result cannot be trusted."))
            FairExecute.last_finding = finding
        return result

    def preprocess_cell(self, cell, resources, index):
        skipped = not self.run_course_demos and is_course_demo(cell)
        cell, resources = self._run_cell(cell, resources, index)
        if self._halted_because is not None or self._integrity_tracker() is None:
            return cell, resources
        if cell.cell_type == "code" and not skipped:
            self._tracker.observe(index, is_test_cell(cell))
        if index == len(self.nb.cells) - 1:  # one more cell, so that what the last one did is seen
            self.nb.cells.append(new_code_cell("None"))
            try:
                self._run_cell(self.nb.cells[-1], resources, index + 1)
            finally:
                self.nb.cells.pop()
                self._tracker.observe(index + 1, False)
        return cell, resources

    def _integrity_tracker(self):
        if self._tracker is None:
            monitor = getattr(getattr(self.km, "provisioner", None), "monitor", None)
            if monitor is not None:
                from .integrity import IntegrityTracker

                self._tracker = IntegrityTracker(monitor)
        return self._tracker

    def _run_cell(self, cell, resources, index):
        if not self.run_course_demos and is_course_demo(cell):
            cell.outputs = []
            cell.execution_count = None
            return cell, self.resources
        if self._halted_because is not None:
            if cell.cell_type == "code" and cell.source.strip():
                cell.outputs = [error_output(NOT_RUN, f"this cell was not run: {self._halted_because}.")]
            return cell, self.resources
        try:
            return super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            cell.outputs.append(error_output(
                KERNEL_DIED, "the kernel died while running this cell (the code exited, crashed "
                             "or ran out of memory); the cells after it were not run."))
            self._halted_because = "the kernel died in an earlier cell"
        except CellTimeoutError:
            # the kernel did not stop after the interrupt that followed the timeout
            self._kill_kernel()
            cell.outputs.append(error_output(
                KERNEL_UNRESPONSIVE, "this cell ran past the time limit and did not stop when "
                                     "interrupted; the kernel was stopped and the cells after it were not run."))
            self._halted_because = "the kernel was stopped in an earlier cell"
        return cell, self.resources

    def _kill_kernel(self) -> None:
        if self.km is not None:
            run_sync(self.km.shutdown_kernel)(now=True)

    def output(self, outs, msg, display_id, cell_index):
        """Keep at most ``max_output_chars`` of stream text per cell, then one truncation note."""
        if msg["msg_type"] != "stream" or self.max_output_chars < 0:
            return super().output(outs, msg, display_id, cell_index)
        used = self._stream_chars.get(cell_index, 0)
        if used > self.max_output_chars:
            return None
        text = msg["content"].get("text", "")
        if used + len(text) > self.max_output_chars:
            keep = self.max_output_chars - used
            msg = {**msg, "content": {**msg["content"], "text": text[:keep] + "\n" + TRUNCATION_NOTE + "\n"}}
            self._stream_chars[cell_index] = self.max_output_chars + 1
        else:
            self._stream_chars[cell_index] = used + len(text)
        return super().output(outs, msg, display_id, cell_index)
