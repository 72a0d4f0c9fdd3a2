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

from jupyter_core.utils import run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.v4 import new_code_cell, new_output
from nbgrader.preprocessors import Execute
from traitlets import Bool, Integer

from .cells import is_test_cell
from .demo_cells import is_course_demo

KERNEL_DIED = "KernelDied"
KERNEL_UNRESPONSIVE = "KernelUnresponsive"
NOT_RUN = "NotRun"
TIMEOUT = "CellTimeoutError"
TRUNCATION_NOTE = "... [the grader dropped the rest of this output] ..."
UNTRUSTED = "MachineryTampered"


def error_output(ename: str, evalue: str):
    """An error output as a kernel would send it, with a one-line traceback."""
    return new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


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
