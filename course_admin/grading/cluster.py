"""Grading a class on Dask distributed: a local cluster by default, any Dask scheduler on request.

Each student is one task (:func:`.remote.grade_submission`): it receives the course bundle
(:mod:`.bundle`, scattered to the workers once) and the student's sanitised files as bytes,
and returns the graded notebooks, the feedback pages, the cell grades and the problems.
Nothing but the network is shared. The grading parent writes what comes back into its work
folder and is the only writer of the course gradebook (``on_graded`` is called with each
outcome as it arrives, for :class:`~.gradebook.GradebookWriter`).

Without a scheduler a ``LocalCluster`` runs one single-threaded worker process per core on
127.0.0.1. Scores do not depend on where or how many: every notebook runs in a fresh
kernel, and every worker has checked that its environment is the parent's.

Failures. A worker that dies mid-student costs that student's time only: Dask hands the
task to another worker, and the outcome is stored once, when it arrives. A student whose
workers kept dying (more often than ``distributed.scheduler.allowed-failures``, 3) or whose
grading raised twice gets every notebook at 0 with a ``grading_error`` problem. When no
worker has been connected for ``worker_wait`` seconds, the run stops with
:class:`NoWorkersLeft`; what was graded until then is stored. A worker that cannot isolate
kernels or has another environment stops the run before it grades anybody wrongly.
"""
from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sys
import time
import uuid
from collections import deque
from pathlib import Path
from typing import Callable, Iterator

from .bundle import CourseBundle
from .outcome import StudentOutcome, failed_outcome
from .remote import EnvironmentMismatch, GradedSubmission, carry, grade_submission, read_files, write_files
from .sandbox import IsolationUnavailable
from .workspace import Workspace

#: the folder holding the ``course_admin`` package, put on local workers' PYTHONPATH
_PACKAGE_ROOT = Path(__file__).resolve().parents[2]
#: seconds without any usable worker before a run stops
WORKER_WAIT = 60.0


class NoWorkersLeft(RuntimeError):
    """Every worker left before the class was graded; ``graded`` were stored, ``missing`` were not."""

    def __init__(self, message: str, graded: list[str], missing: list[str]):
        super().__init__(message)
        self.graded, self.missing = graded, missing


class ClusterUnavailable(RuntimeError):
    """The scheduler given cannot be reached, or the local cluster cannot start."""


def _local_worker_environment() -> dict[str, str]:
    return {"PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
            "PYTHONPATH": os.pathsep.join(filter(None, [str(_PACKAGE_ROOT), os.environ.get("PYTHONPATH")])),
            "MPLBACKEND": "Agg"}


def local_cluster(workers: int):
    """A Dask ``LocalCluster`` on 127.0.0.1: ``workers`` single-threaded worker processes, each under a nanny."""
    from distributed import LocalCluster

    return LocalCluster(n_workers=max(1, workers), threads_per_worker=1, processes=True, host="127.0.0.1",
                        dashboard_address="127.0.0.1:0", silence_logs=logging.ERROR, env=_local_worker_environment())


@contextlib.contextmanager
def open_cluster(scheduler: str | None, workers: int) -> Iterator[tuple[object, str]]:
    """A Dask client for ``scheduler`` (``tcp://host:port``), or for a new local cluster of ``workers``.

    Yields ``(client, description)``; a local cluster is shut down afterwards.
    """
    from distributed import Client

    if scheduler:
        try:
            client = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError) as error:
            raise ClusterUnavailable(
                f"no Dask scheduler answers at {scheduler} ({error}). Start one (dask scheduler) and its "
                "workers (dask worker --nthreads 1 ...), or grade on this machine without --scheduler.") from error
        with client:
            yield client, f"the Dask scheduler at {scheduler}"
        return
    with local_cluster(workers) as cluster, Client(cluster) as client:
        yield client, f"a local Dask cluster of {_count(max(1, workers), 'worker process', 'worker processes')}"


def _count(number: int, singular: str, plural: str | None = None) -> str:
    return f"{number} {singular if number == 1 else plural or singular + 's'}"


class _Progress:
    """A progress bar on a terminal (students done, rate, who is being graded), else a line per tenth."""

    def __init__(self, total: int, say: Callable[[str], None]):
        from tqdm import tqdm

        self.total, self.say, self.done = total, say, 0
        self.started = time.perf_counter()
        self.bar = tqdm(total=total, unit="student", desc="grading", file=sys.stderr, dynamic_ncols=True,
                        disable=not sys.stderr.isatty())

    @property
    def shown(self) -> bool:
        return not self.bar.disable

    def running(self, students: list[str]) -> None:
        if students:
            shown = ", ".join(students[:4]) + (f" +{len(students) - 4}" if len(students) > 4 else "")
            self.bar.set_postfix_str(f"now: {shown}", refresh=True)

    def graded(self) -> None:
        self.done += 1
        self.bar.update(1)
        step = max(1, self.total // 10)
        if self.bar.disable and (self.done % step == 0 or self.done == self.total):
            seconds = time.perf_counter() - self.started
            self.say(f"graded {self.done}/{self.total} students ({seconds / self.done:.1f} s per student)")

    def close(self) -> None:
        self.bar.close()


def _store_files(workspace: Workspace, graded: GradedSubmission) -> StudentOutcome:
    """Write a worker's files into the parent's work folder; the outcome with the pages' local paths."""
    student = graded.outcome.student
    for folder, files in ((workspace.autograded_dir(student), graded.autograded),
                          (workspace.feedback_dir(student), graded.feedback)):
        if folder.exists():
            shutil.rmtree(folder)
        write_files(folder, files)
    workspace.logs_dir.mkdir(parents=True, exist_ok=True)
    (workspace.logs_dir / f"{student}.log").write_text(f"--- graded on {graded.worker}\n{graded.log}")
    outcome = graded.outcome
    outcome.feedback = [str(workspace.feedback_dir(student) / page) for page in outcome.feedback]
    outcome.worker = graded.worker
    return outcome


def _usable(client, allowed: set[str] | None) -> list[str]:
    alive = list(client.nthreads())
    return [address for address in alive if allowed is None or address in allowed]


def check_workers(client, bundle: CourseBundle) -> None:
    """Refuse a cluster where some worker cannot grade as the parent would (environment, isolation)."""
    from .bundle import environment_differences
    from .remote import isolation_status

    problems = []
    for address, differences in client.run(environment_differences, bundle.environment).items():
        if differences:
            problems.append(f"{address}: " + "; ".join(differences))
    if problems:
        raise EnvironmentMismatch("these workers do not have the grading machine's environment: "
                                  + " | ".join(problems) + ". Install the course there as here "
                                  "(python3 course.py setup) and start the workers from that environment.")
    if bundle.settings.sandbox:
        failing = {address: reason for address, (works, reason) in client.run(isolation_status).items()
                   if not works}
        if failing:
            raise IsolationUnavailable(
                "grading kernels cannot be confined on these workers: "
                + "; ".join(f"{address}: {reason}" for address, reason in failing.items())
                + ". Install bubblewrap there, or grade without isolation on purpose with --no-sandbox.")


def grade_students(bundle: CourseBundle, workspace: Workspace, students: list[str], *, workers: int | None,
                   scheduler: str | None = None, on_graded: Callable[[StudentOutcome], None] | None = None,
                   say: Callable[[str], None] | None = None,
                   worker_wait: float | None = None) -> dict[str, StudentOutcome]:
    """Grade ``students`` (sanitised in ``workspace``) on Dask; return their outcomes by student.

    Parameters
    ----------
    bundle : CourseBundle
        The course as workers need it (:func:`~.bundle.build_bundle`).
    workspace : Workspace
        The parent's work folder: submissions are read from it, graded files written to it.
    students : list of str
        Who to grade.
    workers : int or None
        Local cluster: its number of worker processes (None: one). With ``scheduler``: use at
        most this many of the cluster's workers (None: all of them). Fewer than the cluster has
        are chosen when the run starts and only they are used: one that is restarted under a
        new address is not.
    scheduler : str, optional
        A running Dask scheduler's address, ``tcp://host:port``.
    on_graded : callable, optional
        Called with each :class:`StudentOutcome` as soon as it is in (the pages' paths are local).
    say : callable, optional
        Where lines for the instructor go (the dashboard's address, progress off a terminal).
    worker_wait : float, optional
        Seconds without a usable worker before :class:`NoWorkersLeft` is raised (default :data:`WORKER_WAIT`).
    """
    outcomes: dict[str, StudentOutcome] = {}
    if not students:
        return outcomes
    with open_cluster(scheduler, workers or 1) as (client, description):
        check_workers(client, bundle)
        run = _Run(client, description, bundle, workspace, students, scheduler and workers,
                   say or (lambda line: print(line, file=sys.stderr, flush=True)),
                   WORKER_WAIT if worker_wait is None else worker_wait, on_graded)
        return run.grade()


class _Run:
    """One grading run on a connected Dask client: a queue of students, their running tasks, the outcomes.

    Each turn of :meth:`grade` takes back the tasks the scheduler cancelled, submits while
    fewer than two tasks per usable worker run, stops when no worker has been seen for
    ``worker_wait`` seconds, and finishes what is done.
    """

    def __init__(self, client, description: str, bundle: CourseBundle, workspace: Workspace, students: list[str],
                 restrict_to: int | None, say: Callable[[str], None], worker_wait: float,
                 on_graded: Callable[[StudentOutcome], None] | None):
        self.client, self.description, self._bundle, self.workspace = client, description, bundle, workspace
        self.say, self.worker_wait, self.on_graded = say, worker_wait, on_graded
        self.students = sorted(students)
        self.notebooks = [name[: -len(".ipynb")] for name in workspace.expected_notebooks()]
        self.allowed = None  # a restriction applies only when it leaves some of the cluster's workers out
        if restrict_to and restrict_to < len(client.nthreads()):
            self.allowed = set(sorted(client.nthreads())[:restrict_to])
        self.restriction = {"workers": sorted(self.allowed), "allow_other_workers": False} if self.allowed else {}
        self.queue: deque[str] = deque(self.students)
        self.running: dict = {}  # future -> student
        self.cancellations: dict[str, int] = {}
        self.outcomes: dict[str, StudentOutcome] = {}
        self.lost_since: float | None = None
        self.progress: _Progress | None = None
        self.shared = None

    def grade(self) -> dict[str, StudentOutcome]:
        from concurrent.futures import CancelledError

        from distributed import wait

        self._announce()
        # a task's result rather than scattered data: the scheduler makes it again if every holder dies
        self.shared = self.client.submit(carry, self._bundle, key=f"course-bundle-{uuid.uuid4().hex[:8]}",
                                         pure=False, **self.restriction)
        self.progress = _Progress(len(self.students), self.say)
        try:
            while self.queue or self.running:
                self._resubmit_cancelled()
                usable = _usable(self.client, self.allowed)
                self._submit(usable)
                self._check_workers_left(usable)
                try:
                    done = wait(list(self.running), timeout=1.0, return_when="FIRST_COMPLETED").done
                except (TimeoutError, CancelledError):  # cancelled ones are taken up at the next turn
                    done = set()
                self._show_running()
                for future in done:
                    if future.status != "cancelled":
                        self._finish(self._outcome(future, self.running.pop(future)))
        except BaseException:
            self.client.cancel(list(self.running))
            raise
        finally:
            self.progress.close()
        return dict(sorted(self.outcomes.items()))

    def _announce(self) -> None:
        count = len(self.allowed) if self.allowed else len(self.client.nthreads())
        dashboard = ("Dask dashboard: " + self.client.dashboard_link
                     if "dashboard" in self.client.scheduler_info().get("services", {}) else "no Dask dashboard")
        self.say(f"grading {_count(len(self.students), 'student')} on {self.description} ({count} used); {dashboard}")

    def _resubmit_cancelled(self) -> None:
        """A task the scheduler dropped (it lost what it needed) goes back to the queue, twice at most."""
        for future in [future for future in self.running if future.status == "cancelled"]:
            student = self.running.pop(future)
            self.cancellations[student] = self.cancellations.get(student, 0) + 1
            if self.cancellations[student] <= 2:
                self.queue.appendleft(student)
            else:
                self._finish(failed_outcome(student, self.notebooks, "the scheduler cancelled it thrice"))

    def _submit(self, usable: list[str]) -> None:
        """Two tasks per usable worker (one graded, one waiting), and at least one."""
        while self.queue and len(self.running) < 2 * max(1, len(usable)):
            student = self.queue.popleft()
            future = self.client.submit(grade_submission, self.shared, student,
                                        read_files(self.workspace.submitted_dir(student)),
                                        key=f"grade-{student}-{uuid.uuid4().hex[:8]}", pure=False, retries=1,
                                        **self.restriction)
            self.running[future] = student

    def _check_workers_left(self, usable: list[str]) -> None:
        """Raise :class:`NoWorkersLeft` when no usable worker has been connected for ``worker_wait`` seconds."""
        if usable:
            self.lost_since = None
            return
        if self.lost_since is None:
            self.lost_since = time.monotonic()
            return
        if time.monotonic() - self.lost_since <= self.worker_wait:
            return
        missing = sorted([*self.running.values(), *self.queue])
        self.client.cancel(list(self.running))
        raise NoWorkersLeft(
            f"No Dask worker has been connected to {self.description} for {self.worker_wait:.0f} s: grading "
            f"stopped. {len(self.outcomes)} of {len(self.students)} students were graded and are kept in the "
            f"gradebook and the feedback folder; {len(missing)} were not ({', '.join(missing[:5])}"
            f"{' ...' if len(missing) > 5 else ''}). Start workers and run the same command again.",
            sorted(self.outcomes), missing)

    def _show_running(self) -> None:
        """Name on the progress bar the students whose tasks a worker executes now (not those waiting)."""
        if self.progress.shown:
            executing = {key for stacks in self.client.call_stack().values() for key in stacks}
            self.progress.running(sorted(student for future, student in self.running.items()
                                         if future.key in executing))

    def _outcome(self, future, student: str) -> StudentOutcome:
        from distributed.scheduler import KilledWorker

        if future.status == "finished":
            return _store_files(self.workspace, future.result())
        error = future.exception()
        if isinstance(error, (IsolationUnavailable, EnvironmentMismatch)):
            raise error
        if isinstance(error, KilledWorker):
            return failed_outcome(student, self.notebooks, "every worker that graded it died (see the workers' logs)")
        return failed_outcome(student, self.notebooks, f"grading failed twice ({type(error).__name__}: {error})")

    def _finish(self, outcome: StudentOutcome) -> None:
        self.outcomes[outcome.student] = outcome
        if self.on_graded is not None:
            self.on_graded(outcome)
        self.progress.graded()
