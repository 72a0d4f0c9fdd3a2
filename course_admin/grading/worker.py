"""One grading process: autogrades students one at a time with its own scratch gradebook.

A worker process is set up once by :func:`init_worker` (scratch copy of the course
gradebook, the memory-capped kernel on ``JUPYTER_PATH``, its output sent to a log file),
and a fork server for its kernels (:mod:`.forkserver`), then :func:`grade_student` is called
for each student it is given. Each notebook is autograded by its own nbgrader
``Autograde`` run, so a failure costs that notebook only.
What a student got is returned as plain data (:class:`StudentOutcome`); the parent
process alone writes the course gradebook.
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat

from .problems import Problem
from .settings import GradingSettings
from .workspace import Workspace


@dataclass(frozen=True)
class GradingJob:
    """Everything a worker process needs (written as JSON for it by :func:`job_to_json`)."""

    course_root: str
    workdir: str
    assignment: str
    settings: GradingSettings


@dataclass
class CellGrade:
    """The grade of one graded cell (a test cell or a manually graded answer)."""

    grade_id: str
    auto_score: float | None
    max_score: float
    needs_manual_grade: bool


@dataclass
class NotebookOutcome:
    """How one expected notebook of one student was graded.

    ``status`` is ``graded``, ``not submitted`` (missing or invalid: every grade 0) or
    ``grading error`` (nbgrader failed on it: every grade 0, see the log).
    """

    notebook: str
    status: str
    cells: list[CellGrade]
    comments: dict[str, str | None]
    late_penalty: float | None = None


@dataclass
class StudentOutcome:
    """What a worker returns for one student."""

    student: str
    notebooks: list[NotebookOutcome]
    problems: list[Problem] = field(default_factory=list)
    feedback: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict:
        data = asdict(self)
        data["problems"] = [problem.to_dict() for problem in self.problems]
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "StudentOutcome":
        notebooks = [NotebookOutcome(nb["notebook"], nb["status"], [CellGrade(**cell) for cell in nb["cells"]],
                                     nb["comments"], nb["late_penalty"]) for nb in data["notebooks"]]
        return cls(data["student"], notebooks, [Problem.from_dict(problem) for problem in data["problems"]],
                   list(data["feedback"]), data["seconds"])


_STATE: dict = {}


def init_worker(job: GradingJob, worker_name: str) -> None:
    """Prepare this process to grade: scratch gradebook, kernel spec path, log file."""
    workspace = Workspace(Path(job.workdir), job.assignment)
    own_dir = workspace.workers_dir / worker_name
    own_dir.mkdir(parents=True, exist_ok=True)
    database = own_dir / "gradebook.db"
    shutil.copyfile(workspace.gradebook, database)
    # kernels inherit this process's stdout/stderr: keep their stray output out of the caller's terminal
    log = open(own_dir / "output.log", "ab", buffering=0)
    os.dup2(log.fileno(), 1)
    os.dup2(log.fileno(), 2)
    os.environ["JUPYTER_PATH"] = os.pathsep.join(
        [str(workspace.jupyter_path), *filter(None, [os.environ.get("JUPYTER_PATH")])])

    from .settings import load_course_config, nbgrader_config

    config = nbgrader_config(load_course_config(Path(job.course_root)), workspace.course_dir,
                             f"sqlite:///{database}", job.settings)
    sandbox = _confine_kernels(config, worker_name, job.settings) if job.settings.sandbox else None
    if job.settings.fork_kernels:
        _start_fork_server(workspace, job.settings, sandbox)
    _STATE.update(job=job, workspace=workspace, config=config, db_url=f"sqlite:///{database}", own_dir=own_dir)


def _confine_kernels(config, worker_name: str, settings: GradingSettings):
    """Give this worker a sandbox for its kernels (see :mod:`.sandbox`); return it.

    Kernels then reach the worker over Unix sockets in the sandbox's sockets folder, which
    also holds their connection files; the folder is removed when the worker exits.
    """
    import atexit

    from .forkserver import confine
    from .sandbox import Sandbox, scratch_root

    root = scratch_root(f"course-grading-{worker_name}-")
    atexit.register(shutil.rmtree, root, ignore_errors=True)
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
    from .settings import KERNEL_NAME

    if not supported():
        return
    spec = json.loads((workspace.jupyter_path / "kernels" / KERNEL_NAME / "kernel.json").read_text())
    modules = tuple(dict.fromkeys((*WARM_MODULES, *settings.preload, *settings.warm_imports)))
    start_server(spec["argv"][:3], {**os.environ, **spec["env"]}, modules, sandbox=sandbox)


def grade_student(student: str) -> StudentOutcome:
    """Autograde every submitted notebook of ``student``, zero the others, write feedback."""
    from .feedback import generate_feedback
    from .results import execution_problems

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
    _zero_ungraded(db_url, workspace.assignment, student,
                   [name[: -len(".ipynb")] for name in expected if name not in graded])

    for name in graded:
        problems.extend(execution_problems(workspace.autograded_dir(student) / name))
    notebooks = _read_grades(db_url, workspace.assignment, student, expected, submitted, graded)
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
    from .execution import FairExecute
    from .sanitize import cell_label

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
    from .execution import is_test_cell
    from .sanitize import grade_id_of, is_locked

    if index >= len(nb.cells):
        return None
    cell = nb.cells[index]
    grade_id = grade_id_of(cell)
    answers = {grade_id_of(other): position for position, other in enumerate(nb.cells)
               if other.metadata.get("nbgrader", {}).get("solution") and grade_id_of(other)}
    if is_test_cell(cell):  # the function it tested did it
        owner = max((answer for answer in answers if grade_id and grade_id.startswith(answer + "_")),
                    key=len, default=None)
        if owner is None:
            return None
        index, cell, grade_id = answers[owner], nb.cells[answers[owner]], owner
    elif is_locked(cell):
        return None
    if cell.metadata.get("nbgrader", {}).get("solution"):
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


def _zero_ungraded(db_url: str, assignment: str, student: str, notebooks: list[str]) -> None:
    """Make sure the submission exists and give every grade of ``notebooks`` 0 (no manual grading)."""
    from nbgrader.api import Gradebook

    with Gradebook(db_url) as gradebook:
        gradebook.update_or_create_student(student)
        gradebook.update_or_create_submission(assignment, student)
        for notebook in notebooks:
            submission = gradebook.find_submission_notebook(notebook, assignment, student)
            for grade in submission.grades:
                grade.auto_score = 0
                grade.needs_manual_grade = False
        gradebook.db.commit()


def _read_grades(db_url: str, assignment: str, student: str, expected: list[str],
                 submitted: list[str], graded: list[str]) -> list[NotebookOutcome]:
    from nbgrader.api import Gradebook

    outcomes = []
    with Gradebook(db_url) as gradebook:
        for name in expected:
            notebook = name[: -len(".ipynb")]
            submission = gradebook.find_submission_notebook(notebook, assignment, student)
            cells = [CellGrade(grade.name, grade.auto_score, float(grade.max_score), bool(grade.needs_manual_grade))
                     for grade in sorted(submission.grades, key=lambda grade: grade.name)]
            comments = {comment.name: comment.auto_comment for comment in submission.comments}
            status = "graded" if name in graded else ("grading error" if name in submitted else "not submitted")
            outcomes.append(NotebookOutcome(notebook, status, cells, comments,
                                            submission.late_submission_penalty))
    return outcomes



def job_to_json(job: GradingJob) -> str:
    return json.dumps({"course_root": job.course_root, "workdir": job.workdir, "assignment": job.assignment,
                       "settings": asdict(job.settings)})


def job_from_json(text: str) -> GradingJob:
    data = json.loads(text)
    settings = dict(data["settings"], preload=tuple(data["settings"]["preload"]),
                    warm_imports=tuple(data["settings"]["warm_imports"]))
    return GradingJob(data["course_root"], data["workdir"], data["assignment"], GradingSettings(**settings))


def main(argv: list[str]) -> int:
    """``python -m course_admin.grading.worker <job.json> <name>``: grade the students read from stdin.

    Protocol on stdout (a private copy of it: kernels write to the log instead):
    ``ready`` once set up, then per student read from stdin ``done <student>`` (outcome in
    ``workers/<name>/<student>.json``) or ``failed <student> <reason>``.
    """
    protocol = os.fdopen(os.dup(1), "w", buffering=1)
    init_worker(job_from_json(Path(argv[0]).read_text()), argv[1])
    own_dir: Path = _STATE["own_dir"]
    print("ready", file=protocol)
    for line in sys.stdin:
        student = line.strip()
        if not student:
            continue
        try:
            outcome = grade_student(student)
            (own_dir / f"{student}.json").write_text(json.dumps(outcome.to_dict()))
            print(f"done {student}", file=protocol)
        except Exception as error:  # reported to the parent, which records a grading error
            traceback.print_exc()
            print(f"failed {student} {type(error).__name__}: {error}".replace("\n", " "), file=protocol)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
