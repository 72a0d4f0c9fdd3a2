"""The whole grading run, one function per step, and :func:`grade_class` chaining them."""
from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Callable

from .intake import IntakeResult, RawSubmission, collect_folder, collect_zips, sanitise_class
from .database import describe
from .outcome import StudentOutcome
from .report import ClassReport, write_grades_csv, write_report_json
from .sandbox import IsolationUnavailable
from .settings import GradingSettings
from .workspace import Workspace, prepare_workspace


def detect_layout(submissions: Path) -> str:
    """``zips`` when the folder holds ``.zip`` or ``.ipynb`` files at its top level, else ``nbgrader``."""
    top = [path for path in Path(submissions).iterdir() if path.is_file()]
    return "zips" if any(path.suffix.lower() in {".zip", ".ipynb"} for path in top) else "nbgrader"


def collect_submissions(submissions: Path, assignment: str, settings: GradingSettings,
                        layout: str = "auto") -> tuple[list[RawSubmission], list[str]]:
    """Read the class from ``submissions`` (``layout``: ``nbgrader``, ``zips`` or ``auto``).

    Returns the raw submissions and the input files no student could be recognised in.
    """
    submissions = Path(submissions)
    if not submissions.is_dir():
        raise FileNotFoundError(f"no submissions folder at {submissions}")
    if layout == "auto":
        layout = detect_layout(submissions)
    if layout == "zips":
        return collect_zips(submissions, settings.student_pattern)
    if layout == "nbgrader":
        return collect_folder(submissions, assignment), []
    raise ValueError(f"unknown layout {layout!r}: use 'nbgrader', 'zips' or 'auto'")


def sanitise_submissions(workspace: Workspace, submissions: list[RawSubmission]) -> dict[str, IntakeResult]:
    """The intake step: sanitised copies of the submissions in the work directory (see :mod:`.intake`)."""
    return sanitise_class(submissions, workspace.release_dir, workspace.submitted_root, workspace.assignment)


def autograde(course_root: Path, workspace: Workspace, students: list[str], settings: GradingSettings,
              workers: int | None = 2, scheduler: str | None = None,
              on_graded: Callable[[StudentOutcome], None] | None = None) -> dict[str, StudentOutcome]:
    """Autograde the sanitised submissions of ``students`` on Dask (see :mod:`.cluster`).

    ``workers``: processes of the local cluster, or at most this many of the ``scheduler``'s
    workers. ``on_graded(outcome)`` is called as each student is done (to store it at once).
    """
    from .bundle import build_bundle
    from .cluster import grade_students

    bundle = build_bundle(Path(course_root), workspace, settings)
    return grade_students(bundle, workspace, students, workers=workers, scheduler=scheduler, on_graded=on_graded)


def store(workspace: Workspace, outcomes: dict[str, StudentOutcome],
          submissions: list[RawSubmission]) -> None:
    """Record the outcomes in the course gradebook (the only writer)."""
    from .gradebook import store_outcomes

    store_outcomes(workspace, outcomes, {raw.student: raw.timestamp for raw in submissions})


def build_report(workspace: Workspace, intake: dict[str, IntakeResult],
                 outcomes: dict[str, StudentOutcome], unassigned: list[str]) -> ClassReport:
    """The outcomes with the course gradebook's scores and cell grades, intake's problems first."""
    from .gradebook import read_back

    found = [replace(outcome, problems=[*intake[student].problems, *outcome.problems])
             for student, outcome in outcomes.items()]
    return ClassReport(workspace.assignment, read_back(workspace, found), unassigned, str(workspace.workdir))


def export(report: ClassReport, workspace: Workspace) -> ClassReport:
    """Write ``reports/grades.csv`` and ``reports/report.json``; the CSV path is kept in the report."""
    report.grades_csv = str(write_grades_csv(report, workspace.reports_dir / "grades.csv"))
    write_report_json(report, workspace.reports_dir / "report.json")
    return report


def confirm_isolation(settings: GradingSettings) -> str:
    """The report's line on isolation; raises :class:`IsolationUnavailable` when it was asked for and cannot work."""
    from .sandbox import check

    if not settings.sandbox:
        return ("GRADING WAS NOT ISOLATED (--no-sandbox): submitted code ran with the grader's rights "
                "and could read and change its files.")
    availability = check()
    if not availability.works:
        raise IsolationUnavailable(
            f"Grading kernels cannot be confined on this machine: {availability.reason}. "
            "Fix that (python3 course.py doctor tells what works here), or grade without isolation "
            "on purpose with --no-sandbox, only for submissions you trust.")
    return "Isolated: every kernel ran confined by bubblewrap (its notebooks, a scratch folder, no network)."


def cluster_isolation(settings: GradingSettings) -> str:
    """The report's line on isolation when grading on a cluster: every worker checks its own (:mod:`.remote`)."""
    if not settings.sandbox:
        return confirm_isolation(settings)
    return ("Isolated: every kernel ran confined by bubblewrap on its worker (its notebooks, a scratch folder, "
            "no network); each worker checked before grading.")


def grade_class(course_root, assignment: str, submissions, workdir, workers: int | None = 2, *,
                settings: GradingSettings | None = None, layout: str = "auto", scheduler: str | None = None,
                database: str | None = None, progress: Callable[[StudentOutcome], None] | None = None
                ) -> ClassReport:
    """Grade a whole class; never modifies ``course_root`` or ``submissions``.

    Parameters
    ----------
    course_root : path
        The course checkout: ``nbgrader_config.py`` and the source directory it names.
    assignment : str
        The nbgrader assignment id (``planar_nn``).
    submissions : path
        Either nbgrader's layout (``<student>/<assignment>/*.ipynb``) or a folder of LMS
        downloads (``<student>_<anything>.zip``); see ``layout``.
    workdir : path
        Where everything is written (see :mod:`.workspace`); reuse it to re-grade (the
        gradebook, with any manual grades, is kept).
    workers : int or None
        Worker processes of the local Dask cluster (2 cores here: 2); with ``scheduler``, at
        most this many of its workers (None: all).
    settings : GradingSettings, optional
        Time, memory and output limits; defaults to :class:`GradingSettings()`.
    layout : str
        ``auto`` (zip or notebook files at the top level mean LMS downloads), ``nbgrader`` or ``zips``.
    scheduler : str, optional
        Grade on the Dask cluster of this scheduler (``tcp://host:port``) instead of this machine.
    database : str, optional
        The course gradebook's URL (``postgresql://...``, see :mod:`.database`); None keeps the
        one ``workdir`` used before, the embedded SQLite file at first.
    progress : callable, optional
        Called with each student's ``StudentOutcome`` (``.student``, ``.seconds``) once it is stored.

    Returns
    -------
    ClassReport
        Scores, problems and paths; ``report.table()`` prints it.

    Raises
    ------
    NoWorkersLeft
        Every worker left halfway (:mod:`.cluster`): the students graded until then are stored.
    """
    from .gradebook import GradebookWriter

    started = time.perf_counter()
    phases: dict[str, float] = {}

    def lap(phase: str) -> None:
        phases[phase] = round(time.perf_counter() - started - sum(phases.values()), 2)

    settings = settings or GradingSettings()
    isolation = confirm_isolation(settings) if scheduler is None else cluster_isolation(settings)
    workspace = prepare_workspace(Path(course_root), assignment, Path(workdir), settings, database)
    lap("prepare")
    raw, unassigned = collect_submissions(Path(submissions), assignment, settings, layout)
    intake = sanitise_submissions(workspace, raw)
    timestamps = {submission.student: submission.timestamp for submission in raw}
    lap("intake")
    with GradebookWriter(workspace) as gradebook:
        def on_graded(outcome: StudentOutcome) -> None:
            gradebook.record(outcome, timestamps.get(outcome.student))
            if progress is not None:
                progress(outcome)

        outcomes = autograde(Path(course_root), workspace, sorted(intake), settings, workers, scheduler, on_graded)
    lap("autograde")
    report = build_report(workspace, intake, outcomes, unassigned)
    lap("store")
    report.workers = workers
    report.cluster = scheduler or "local"
    report.gradebook = describe(workspace.database)
    report.isolation = isolation
    report.phase_seconds = phases
    report.seconds = round(time.perf_counter() - started, 2)
    return export(report, workspace)


def regenerate_feedback(course_root, assignment: str, workdir, students: list[str] | None = None,
                        settings: GradingSettings | None = None,
                        log_lines: list[str] | None = None) -> dict[str, list[Path]]:
    """Rewrite the feedback pages from the course gradebook (after manual grading in formgrader).

    Only HTML is rendered, no kernel runs. ``students`` defaults to every autograded student;
    one without autograded notebooks gets no pages. nbgrader's messages are appended to ``log_lines``.
    """
    from .feedback import generate_feedback
    from .settings import load_course_config, nbgrader_config

    workspace = Workspace(Path(workdir).resolve(), assignment)
    config = nbgrader_config(load_course_config(Path(course_root)), workspace.course_dir,
                             workspace.db_url, settings or GradingSettings())
    if students is None:
        students = sorted(path.name for path in workspace.autograded_root.iterdir() if path.is_dir()) \
            if workspace.autograded_root.exists() else []
    return {student: generate_feedback(config, workspace, student, log_lines) for student in students
            if workspace.autograded_dir(student).is_dir()}
