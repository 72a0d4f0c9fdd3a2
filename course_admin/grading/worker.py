"""Grading students one at a time in this process, with its own scratch gradebook.

A process is set up once by :func:`init_worker` (its scratch gradebook, the memory-capped
kernel on ``JUPYTER_PATH``, the kernels' output sent to a log file, the sandbox and a fork
server for its kernels, :mod:`.forkserver`), then :func:`grade_student` is called for each
student. Each notebook is autograded by its own nbgrader ``Autograde`` run, so a failure
costs that notebook only. What a student got is returned as plain data
(:class:`~.outcome.StudentOutcome`); the grading parent alone writes the course gradebook. The
processes are Dask workers (:mod:`.remote`, :mod:`.cluster`).
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import time
import traceback
import warnings
from pathlib import Path

import nbformat

from .gradebook import read_notebooks, zero_ungraded
from .outcome import StudentOutcome
from .problems import Problem
from .settings import GradingSettings
from .workspace import Workspace


_STATE: dict = {}
#: the variables init_worker changes, as they were before it
_ORIGINAL_ENV: dict[str, str | None] = {}


def init_worker(course_root: Path, workspace: Workspace, settings: GradingSettings) -> None:
    """Prepare this process to grade in ``workspace``: its gradebook is this process's own scratch copy.

    ``workspace.gradebook`` holds the assignment (from :mod:`.bundle`), the kernel spec is in
    ``workspace.jupyter_path``; the kernels' stray output goes to ``workers/kernels.log``.
    Calling it again (another course) first undoes the previous set-up (:func:`stop_worker`).
    """
    from .forkserver import route_output
    from .settings import load_course_config, nbgrader_config

    stop_worker()
    # nbgrader's own "SAWarning: Object ... not in session" when a submission is created: harmless
    warnings.filterwarnings("ignore", message=".*not in session.*")
    for name in ("JUPYTER_PATH", "JUPYTER_RUNTIME_DIR", "PATH"):
        _ORIGINAL_ENV.setdefault(name, os.environ.get(name))
    workspace.workers_dir.mkdir(parents=True, exist_ok=True)
    log = open(workspace.workers_dir / "kernels.log", "ab", buffering=0)
    route_output(log)
    os.environ["JUPYTER_PATH"] = os.pathsep.join(
        [str(workspace.jupyter_path), *filter(None, [_ORIGINAL_ENV["JUPYTER_PATH"]])])
    # nbgrader runs alembic by name: this interpreter's scripts first
    os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), *filter(None, [_ORIGINAL_ENV["PATH"]])])

    config = nbgrader_config(load_course_config(Path(course_root)), workspace.course_dir, workspace.db_url,
                             settings)
    _STATE.update(workspace=workspace, config=config, db_url=workspace.db_url, log=log)
    sandbox = _confine_kernels(config, settings) if settings.sandbox else None
    if settings.fork_kernels:
        _start_fork_server(workspace, settings, sandbox)


def stop_worker() -> None:
    """Undo :func:`init_worker`: stop the fork server, remove the sandbox, restore the environment."""
    from .forkserver import route_output, stop_server

    if not _STATE:
        return
    stop_server()
    route_output(None)
    for name, value in _ORIGINAL_ENV.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    if _STATE.get("sandbox_root") is not None:
        shutil.rmtree(_STATE["sandbox_root"], ignore_errors=True)
    _STATE["log"].close()
    _STATE.clear()


def _confine_kernels(config, settings: GradingSettings):
    """Give this process a sandbox for its kernels (see :mod:`.sandbox`); return it.

    Kernels then reach the worker over Unix sockets in the sandbox's sockets folder, which
    also holds their connection files; the folder is removed by :func:`stop_worker` or when
    the process exits.
    """
    import atexit

    from .forkserver import confine
    from .sandbox import Sandbox, scratch_root

    root = scratch_root("course-grading-")
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    _STATE["sandbox_root"] = root
    sandbox = Sandbox(root / "incoming", root / "sockets", settings.kernel_limits())
    sandbox.prepare()
    os.environ["JUPYTER_RUNTIME_DIR"] = str(sandbox.sockets)
    config.KernelManager.transport = "ipc"
    config.KernelManager.ip = str(sandbox.sockets / "kernel")
    confine(sandbox)
    return sandbox


def _start_fork_server(workspace: Workspace, settings: GradingSettings, sandbox=None) -> None:
    """Start this worker's fork server with the grading kernel's command and environment."""
    from .forkserver import WARM_MODULES, start_server, supported
    from .kernel_spec import KERNEL_NAME

    if not supported():
        return
    spec = json.loads((workspace.jupyter_path / "kernels" / KERNEL_NAME / "kernel.json").read_text())
    modules = tuple(dict.fromkeys((*WARM_MODULES, *settings.preload, *settings.warm_imports)))
    start_server(spec["argv"][:3], {**os.environ, **spec["env"]}, modules, sandbox=sandbox)


def grade_student(student: str) -> StudentOutcome:
    """Autograde every submitted notebook of ``student``, zero the others, write feedback."""
    from .feedback import generate_feedback
    from .execution_problems import execution_problems

    started = time.perf_counter()
    workspace: Workspace = _STATE["workspace"]
    config = _STATE["config"]
    db_url = _STATE["db_url"]
    expected = workspace.expected_notebooks()
    submitted = [name for name in expected if (workspace.submitted_dir(student) / name).exists()]
    for stale in (workspace.autograded_dir(student), workspace.feedback_dir(student)):
        if stale.exists():
            shutil.rmtree(stale)

    problems: list[Problem] = []
    graded: list[str] = []
    log_lines: list[str] = []
    for name in submitted:
        error = _autograde_notebook(config, workspace.assignment, student, name[: -len(".ipynb")], log_lines)
        if error is None:
            error = _regrade_without_tampering(config, workspace, student, name, log_lines, problems)
        if error is None:
            graded.append(name)
        else:
            problems.append(Problem("grading_error", name[: -len(".ipynb")],
                                    f"nbgrader could not grade it ({error}): scored 0, see the log"))
    zero_ungraded(db_url, workspace.assignment, student,
                  [name[: -len(".ipynb")] for name in expected if name not in graded])

    for name in graded:
        problems.extend(execution_problems(workspace.autograded_dir(student) / name))
    statuses = {name[: -len(".ipynb")]: "graded" if name in graded else
                ("grading error" if name in submitted else "not submitted") for name in expected}
    notebooks = read_notebooks(db_url, workspace.assignment, student, statuses)
    feedback = generate_feedback(config, workspace, student, log_lines) if graded else []
    workspace.logs_dir.mkdir(parents=True, exist_ok=True)
    (workspace.logs_dir / f"{student}.log").write_text("\n".join(log_lines) + "\n")
    return StudentOutcome(student, notebooks, problems, [str(path) for path in feedback],
                          round(time.perf_counter() - started, 3))


def _autograde_notebook(config, assignment: str, student: str, notebook: str, log_lines: list[str]):
    """Run nbgrader's Autograde on one notebook; None when it worked, else a short reason."""
    from nbgrader.converters import Autograde
    from nbgrader.coursedir import CourseDirectory

    from .workspace import capture_log

    coursedir = CourseDirectory(config=config)
    coursedir.assignment_id = assignment
    coursedir.student_id = student
    coursedir.notebook_id = notebook
    converter = Autograde(coursedir=coursedir, config=config)
    converter.force = True
    converter.create_student = True
    failed = False
    started = time.perf_counter()
    with capture_log(converter.log) as log:
        try:
            converter.start()
        except Exception:  # nbgrader raises NbGraderException and whatever its parts raise
            failed = True
            log.write(traceback.format_exc())
    text = log.getvalue()
    log_lines.append(f"--- autograde {student}/{assignment}/{notebook} ({time.perf_counter() - started:.1f} s)")
    log_lines.append(text)
    if failed or "There was an error processing assignment" in text:
        return _last_error_line(text)
    return None


#: how many cells that changed the interpreter's machinery are neutralised in one notebook before giving up
MAX_NEUTRALISED = 3


def _regrade_without_tampering(config, workspace: Workspace, student: str, name: str, log_lines: list[str],
                               problems: list[Problem]):
    """Grade ``name`` again, as often as needed, with each cell that changed the interpreter neutralised.

    When the integrity monitor (:mod:`.integrity`) saw a cell change the machinery, the cell
    is neutralised in the sanitised copy (an answer cell gets the release's stub back; a test
    cell's tampering is charged to the answer it tested; a cell of the student's own is
    emptied) and the notebook graded again: the tampering function scores 0, the others as
    they deserve. Returns None, or the reason when a regrade failed.
    """
    from .cells import cell_label
    from .fair_execute import FairExecute

    notebook = name[: -len(".ipynb")]
    for _ in range(MAX_NEUTRALISED):
        finding = FairExecute.last_finding
        FairExecute.last_finding = None
        if finding is None:
            return None
        path = workspace.submitted_dir(student) / name
        nb = nbformat.read(path, as_version=4)
        culprit = nb.cells[finding.culprit] if finding.culprit < len(nb.cells) else None
        label = cell_label(culprit, finding.culprit) if culprit is not None else f"cell {finding.culprit + 1}"
        neutralised = _neutralise(nb, finding.culprit, workspace.release_dir / name)
        if neutralised is None:
            problems.append(Problem("machinery_changed", notebook,
                                    f"{finding.what}, seen after {label}: the test cells run after it scored 0"))
            return None
        problems.append(Problem("machinery_changed", notebook,
                                f"{finding.what}, seen after {label}: graded again with {neutralised}"))
        nbformat.write(nb, path)
        error = _autograde_notebook(config, workspace.assignment, student, notebook, log_lines)
        if error is not None:
            return error
    FairExecute.last_finding = None
    return None


def _neutralise(nb, index: int, release_path: Path) -> str | None:
    """Neutralise cell ``index`` of ``nb`` in place; what was done, or None when it is a locked course cell."""
    from .cells import grade_id_of, is_answer_cell, is_locked, is_test_cell

    if index >= len(nb.cells):
        return None
    cell = nb.cells[index]
    grade_id = grade_id_of(cell)
    answers = {grade_id_of(other): position for position, other in enumerate(nb.cells)
               if is_answer_cell(other) and grade_id_of(other)}
    if is_test_cell(cell):  # the function it tested did it
        owner = max((answer for answer in answers if grade_id and grade_id.startswith(answer + "_")),
                    key=len, default=None)
        if owner is None:
            return None
        index, cell, grade_id = answers[owner], nb.cells[answers[owner]], owner
    elif is_locked(cell):
        return None
    if is_answer_cell(cell):
        release = nbformat.read(release_path, as_version=4)
        stub = next((other.source for other in release.cells if grade_id_of(other) == grade_id), None)
        if stub is None:
            return None
        cell.source = stub
        return f"the answer {grade_id} replaced by the release's stub (it scores 0)"
    cell.source = ""
    return f"cell {index + 1} (the student's own) emptied"


def _last_error_line(log_text: str) -> str:
    """The last ``SomeError: message`` line of a log (nbgrader's own exception only says "see the log")."""
    import re

    found = [line.strip() for line in log_text.splitlines()
             if re.match(r"\s*[\w.]*(Error|Exception)\b.*", line) and "NbGraderException" not in line]
    return found[-1][:200] if found else "see the log"
