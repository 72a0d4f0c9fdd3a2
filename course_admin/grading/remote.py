"""The task a grading worker runs: one student's files in; graded notebooks, pages and grades out.

:func:`grade_submission` is what :mod:`.cluster` submits to Dask, once per student. It needs
no shared file system: the course comes as a :class:`~.bundle.CourseBundle` (unpacked once
per worker process into a private folder), the student's sanitised files as bytes, and
everything graded goes back in a :class:`GradedSubmission`. The worker keeps nothing of the
student afterwards but a row in its scratch gradebook.

Before its first student a worker checks that it can grade as the parent would: the same
environment (:func:`~.bundle.environment_differences`, else :class:`EnvironmentMismatch`)
and, unless the run is ``--no-sandbox``, kernels confined by bubblewrap (else
:class:`~.sandbox.IsolationUnavailable`). One student at a time per process: the fork server,
the sandbox and the integrity monitor's findings belong to the process.
"""
from __future__ import annotations

import functools
import shutil
import socket
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .bundle import CourseBundle, environment_differences, unpack_bundle
from .outcome import StudentOutcome
from .sandbox import IsolationUnavailable
from .workspace import Workspace


class EnvironmentMismatch(RuntimeError):
    """A worker's Python packages or course code differ from the grading parent's."""


@dataclass
class GradedSubmission:
    """What a worker returns for one student.

    Attributes
    ----------
    outcome : StudentOutcome
        Cell grades, statuses, problems; ``feedback`` holds the pages' paths relative to the
        student's feedback folder.
    autograded, feedback : dict of str to bytes
        The files of ``autograded/<student>/<assignment>/`` and ``feedback/<student>/<assignment>/``,
        by path relative to those folders.
    log : str
        nbgrader's log of the student.
    worker : str
        Where it was graded (host and Dask worker address).
    """

    outcome: StudentOutcome
    autograded: dict[str, bytes]
    feedback: dict[str, bytes]
    log: str
    worker: str


_LOCK = threading.Lock()
#: the bundle this process is prepared for: digest, folder, workspace
_PREPARED: dict = {}


def where() -> str:
    """This worker's name for messages: the Dask worker's address, else the host name."""
    try:
        from distributed import get_worker

        return f"{get_worker().address} on {socket.gethostname()}"
    except (ImportError, ValueError):
        return socket.gethostname()


@functools.lru_cache(maxsize=1)
def isolation_status() -> tuple[bool, str]:
    """Whether kernels can be confined on this worker, and what was seen (see :func:`.sandbox.check`).

    Found once per process: the parent's check of every worker and a worker's own before its
    first student ask the same.
    """
    from .sandbox import check

    availability = check()
    return availability.works, availability.reason


def _scratch_parent() -> str | None:
    try:
        from distributed import get_worker

        return get_worker().local_directory
    except (ImportError, ValueError):
        return None


def prepare(bundle: CourseBundle) -> Workspace:
    """Set this process up for ``bundle`` (once per bundle); return the worker's own workspace."""
    from .kernel_spec import write_kernel_spec
    from .worker import init_worker

    if _PREPARED.get("digest") == bundle.digest:
        return _PREPARED["workspace"]
    differences = environment_differences(bundle.environment)
    if differences:
        raise EnvironmentMismatch(
            f"the worker {where()} does not have the grading machine's environment: " + "; ".join(differences)
            + ". Install the course there as on the grading machine (python3 course.py setup) and start "
              "the worker from that environment.")
    if bundle.settings.sandbox:
        works, reason = isolation_status()
        if not works:
            raise IsolationUnavailable(
                f"Grading kernels cannot be confined on the worker {where()}: {reason}. Install bubblewrap "
                "there (python3 course.py doctor tells what works), or grade without isolation on purpose "
                "with --no-sandbox, only for submissions you trust.")
    if _PREPARED:
        shutil.rmtree(_PREPARED["folder"], ignore_errors=True)
        _PREPARED.clear()
    folder = Path(tempfile.mkdtemp(prefix="course-grading-", dir=_scratch_parent()))
    course_root, workspace = unpack_bundle(bundle, folder)
    settings = bundle.settings
    write_kernel_spec(workspace.jupyter_path, settings.kernel_limits(), settings.preload, settings.sandbox)
    init_worker(course_root, workspace, settings)
    _PREPARED.update(digest=bundle.digest, folder=folder, workspace=workspace)
    return workspace


def read_files(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` by relative POSIX path (none when it does not exist)."""
    return {path.relative_to(folder).as_posix(): path.read_bytes()
            for path in sorted(folder.rglob("*")) if path.is_file()} if folder.is_dir() else {}


def _forget(workspace: Workspace, student: str) -> None:
    for folder in (workspace.submitted_dir(student), workspace.autograded_dir(student),
                   workspace.feedback_dir(student)):
        shutil.rmtree(folder.parent, ignore_errors=True)
    (workspace.logs_dir / f"{student}.log").unlink(missing_ok=True)


def write_files(folder: Path, files: dict[str, bytes]) -> None:
    """Write ``files`` (relative POSIX path -> bytes) under ``folder``, refusing any path that leaves it."""
    for name, data in files.items():
        relative = PurePosixPath(name)
        if relative.is_absolute() or ".." in relative.parts or not relative.parts:
            raise ValueError(f"refusing to write {name!r} outside {folder}")
        target = Path(folder, *relative.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def carry(bundle: CourseBundle) -> CourseBundle:
    """The bundle itself: as a task's result it lives on workers and is made again if they all die."""
    return bundle


def grade_submission(bundle: CourseBundle, student: str, files: dict[str, bytes]) -> GradedSubmission:
    """Grade one student's sanitised submission (``files``: path under the submission folder -> bytes)."""
    from .worker import grade_student

    with _LOCK:
        workspace = prepare(bundle)
        _forget(workspace, student)
        try:
            write_files(workspace.submitted_dir(student), files)
            outcome = grade_student(student)
            feedback_dir = workspace.feedback_dir(student)
            outcome.feedback = [Path(page).relative_to(feedback_dir).as_posix() for page in outcome.feedback]
            log = workspace.logs_dir / f"{student}.log"
            return GradedSubmission(outcome, read_files(workspace.autograded_dir(student)), read_files(feedback_dir),
                                    log.read_text() if log.is_file() else "", where())
        finally:
            _forget(workspace, student)
