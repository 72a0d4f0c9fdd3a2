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


def _notebook_names(workspace: Workspace) -> list[str]:
    return [name[: -len(".ipynb")] for name in workspace.expected_notebooks()]


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
    worker_wait = WORKER_WAIT if worker_wait is None else worker_wait
    say = say or (lambda line: print(line, file=sys.stderr, flush=True))
    outcomes: dict[str, StudentOutcome] = {}
    if not students:
        return outcomes
    from concurrent.futures import CancelledError

    from distributed import wait
    from distributed.scheduler import KilledWorker

    with open_cluster(scheduler, workers or 1) as (client, description):
        check_workers(client, bundle)
        allowed = None
        if scheduler and workers and workers < len(client.nthreads()):
            allowed = set(sorted(client.nthreads())[:workers])
        restriction = {"workers": sorted(allowed), "allow_other_workers": False} if allowed else {}
        count = len(allowed) if allowed else len(client.nthreads())
        dashboard = ("Dask dashboard: " + client.dashboard_link
                     if "dashboard" in client.scheduler_info().get("services", {}) else "no Dask dashboard")
        say(f"grading {_count(len(students), 'student')} on {description} ({count} used); {dashboard}")
        # a task's result rather than scattered data: the scheduler makes it again if every holder dies
        shared = client.submit(carry, bundle, key=f"course-bundle-{uuid.uuid4().hex[:8]}", pure=False, **restriction)
        queue, running = deque(sorted(students)), {}
        cancellations: dict[str, int] = {}
        progress = _Progress(len(students), say)
        lost_since = None

        def finish(outcome: StudentOutcome) -> None:
            outcomes[outcome.student] = outcome
            if on_graded is not None:
                on_graded(outcome)
            progress.graded()

        try:
            while queue or running:
                for future in [future for future in running if future.status == "cancelled"]:
                    student = running.pop(future)  # the scheduler dropped it (it lost what it needed): again
                    cancellations[student] = cancellations.get(student, 0) + 1
                    if cancellations[student] <= 2:
                        queue.appendleft(student)
                    else:
                        finish(failed_outcome(student, _notebook_names(workspace), "the scheduler cancelled it thrice"))
                usable = _usable(client, allowed)
                while queue and len(running) < 2 * max(1, len(usable)):
                    student = queue.popleft()
                    future = client.submit(grade_submission, shared, student, read_files(workspace.submitted_dir(student)),
                                           key=f"grade-{student}-{uuid.uuid4().hex[:8]}", pure=False, retries=1,
                                           **restriction)
                    running[future] = student
                if usable:
                    lost_since = None
                elif lost_since is None:
                    lost_since = time.monotonic()
                elif time.monotonic() - lost_since > worker_wait:
                    missing = sorted([*running.values(), *queue])
                    client.cancel(list(running))
                    raise NoWorkersLeft(
                        f"No Dask worker has been connected to {description} for {worker_wait:.0f} s: grading "
                        f"stopped. {len(outcomes)} of {len(students)} students were graded and are kept in the "
                        f"gradebook and the feedback folder; {len(missing)} were not ({', '.join(missing[:5])}"
                        f"{' ...' if len(missing) > 5 else ''}). Start workers and run the same command again.",
                        sorted(outcomes), missing)
                try:
                    done = wait(list(running), timeout=1.0, return_when="FIRST_COMPLETED").done
                except (TimeoutError, CancelledError):  # cancelled ones are taken up at the top of the loop
                    done = set()
                if progress.shown:  # the keys each worker is executing now (not those waiting on it)
                    executing = {key for stacks in client.call_stack().values() for key in stacks}
                    progress.running(sorted(student for future, student in running.items()
                                            if future.key in executing))
                for future in done:
                    if future.status == "cancelled":
                        continue
                    finish(_outcome_of(future, running.pop(future), workspace, KilledWorker))
        except BaseException:
            client.cancel(list(running))
            raise
        finally:
            progress.close()
    return dict(sorted(outcomes.items()))


def _outcome_of(future, student: str, workspace: Workspace, killed_worker: type) -> StudentOutcome:
    if future.status == "finished":
        return _store_files(workspace, future.result())
    error = future.exception()
    if isinstance(error, (IsolationUnavailable, EnvironmentMismatch)):
        raise error
    if isinstance(error, killed_worker):
        return failed_outcome(student, _notebook_names(workspace), "every worker that graded it died (see the workers' logs)")
    return failed_outcome(student, _notebook_names(workspace), f"grading failed twice ({type(error).__name__}: {error})")
