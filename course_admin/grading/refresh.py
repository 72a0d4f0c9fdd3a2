"""Feedback pages, ``grades.csv`` and the report again from the course gradebook, without grading.

After the written answers were graded by hand in formgrader, the course gradebook
(``<workdir>/course/gradebook.db``, or the server of ``grade --db``) holds the final scores and comments. :func:`refresh_class`
rewrites from it, without starting any kernel:

- every student's feedback pages (nbgrader's ``GenerateFeedback`` on the autograded
  notebooks, with hidden tests and solutions redacted as during grading, see :mod:`.feedback`);
- ``reports/grades.csv`` and ``reports/report.json``, and the :class:`~.report.ClassReport`
  whose ``table()`` ``course.py grade`` prints.

Scores and "waits for manual grading" come from the gradebook. What only the grading run
knew (the class it graded, each notebook's status, each student's problems and seconds,
the isolation line, timings) comes from the previous ``reports/report.json``.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from .problems import Problem
from .report import ClassReport
from .workspace import Workspace


class NoGradedClass(RuntimeError):
    """The work folder holds no class graded by ``course.py grade`` (no gradebook or no report)."""


@dataclass
class GradedClass:
    """A graded work folder: its paths and what its last grading run reported.

    Attributes
    ----------
    workspace : Workspace
    previous : dict
        ``reports/report.json`` as the last grading run (or refresh) wrote it.
    """

    workspace: Workspace
    previous: dict

    @property
    def students(self) -> list[str]:
        """The students the last grading run graded, sorted."""
        return sorted(entry["student"] for entry in self.previous.get("students", []))


def load_graded_class(workdir: Path) -> GradedClass:
    """The graded class in ``workdir``; raises :class:`NoGradedClass` saying what to run when there is none."""
    workdir = Path(workdir).resolve()
    report_path = workdir / "reports" / "report.json"
    grade_first = ("grade the class first: python3 course.py grade --submissions DIR (or --zips DIR) "
                   f"--workdir {workdir}, or pass the --workdir of a class you graded")
    if not Workspace(workdir, "").has_gradebook:
        raise NoGradedClass(f"{workdir} holds no graded class (no course/gradebook.db, no gradebook-url): "
                            f"{grade_first}.")
    if not report_path.is_file():
        raise NoGradedClass(f"{workdir} has a gradebook but no reports/report.json, so it was not graded "
                            f"by course.py: {grade_first}.")
    try:
        previous = json.loads(report_path.read_text())
        assignment = previous["assignment"]
    except (ValueError, KeyError) as error:
        raise NoGradedClass(f"{report_path} is not a report course.py wrote ({error}): {grade_first}.") from error
    workspace = Workspace(workdir, assignment)
    if not workspace.expected_notebooks():
        raise NoGradedClass(f"{workspace.release_dir} holds no notebooks: {grade_first}.")
    return GradedClass(workspace, previous)


def rebuild_report(graded: GradedClass, feedback: dict[str, list[Path]]) -> ClassReport:
    """The class report with today's gradebook scores and what the last grading run found.

    Parameters
    ----------
    graded : GradedClass
    feedback : dict
        student -> the feedback pages just written (replaces the previous paths).
    """
    from .gradebook import read_outcomes

    previous = graded.previous
    entries = {entry["student"]: entry for entry in previous.get("students", [])}
    students = []
    for outcome in read_outcomes(graded.workspace, graded.students):
        entry = entries.get(outcome.student, {})
        statuses = {nb["notebook"]: nb["status"] for nb in entry.get("notebooks", [])}
        students.append(replace(
            outcome, notebooks=[replace(nb, status=statuses.get(nb.notebook, nb.status)) for nb in outcome.notebooks],
            problems=[Problem.from_dict(problem) for problem in entry.get("problems", [])],
            feedback=[str(path) for path in feedback.get(outcome.student, [])],
            seconds=float(entry.get("seconds", 0.0))))
    report = ClassReport(graded.workspace.assignment, students, list(previous.get("unassigned_files", [])),
                         str(graded.workspace.workdir))
    report.seconds = float(previous.get("seconds", 0.0))
    report.workers = previous.get("workers", 1)
    report.cluster = previous.get("cluster", "local")
    report.gradebook = previous.get("gradebook", "")
    report.isolation = previous.get("isolation", "")
    report.phase_seconds = dict(previous.get("phase_seconds", {}))
    return report


FEEDBACK_LOG = "feedback.log"


def write_feedback(course_root: Path, graded: GradedClass) -> dict[str, list[Path]]:
    """Write the feedback pages of every graded student from the course gradebook; return them.

    :func:`.engine.regenerate_feedback`, with nbgrader's messages kept in ``logs/feedback.log``
    (why a page is missing). Only HTML is rendered: no kernel runs.
    """
    from .engine import regenerate_feedback

    workspace = graded.workspace
    log_lines: list[str] = []
    pages = regenerate_feedback(course_root, workspace.assignment, workspace.workdir, graded.students,
                                log_lines=log_lines)
    workspace.logs_dir.mkdir(parents=True, exist_ok=True)
    (workspace.logs_dir / FEEDBACK_LOG).write_text("\n".join(log_lines) + "\n")
    return pages


@dataclass
class Refresh:
    """What :func:`refresh_class` did.

    Attributes
    ----------
    report : ClassReport
        The rebuilt report (``grades_csv`` set); ``report.table()`` prints the class.
    pages : int
        Feedback pages written.
    missing : list of str
        ``student/notebook`` of graded notebooks whose page could not be written (nbgrader's
        messages are in ``logs/feedback.log``).
    seconds : float
        Wall-clock time of the refresh.
    """

    report: ClassReport
    pages: int
    missing: list[str] = field(default_factory=list)
    seconds: float = 0.0


def refresh_class(course_root: Path, workdir: Path) -> Refresh:
    """Rewrite the feedback pages, ``grades.csv`` and ``report.json`` of ``workdir`` from its gradebook.

    Parameters
    ----------
    course_root : path
        The course checkout whose ``nbgrader_config.py`` grading used.
    workdir : path
        The work folder ``course.py grade`` wrote (see :mod:`.workspace`).

    Raises
    ------
    NoGradedClass
        When ``workdir`` holds no graded class.
    """
    from .engine import export

    started = time.perf_counter()
    graded = load_graded_class(workdir)
    workspace = graded.workspace
    feedback = write_feedback(course_root, graded)
    report = export(rebuild_report(graded, feedback), workspace)
    written = {(student, Path(page).stem) for student, paths in feedback.items() for page in paths}
    missing = [f"{student.student}/{nb.notebook}" for student in report.students for nb in student.notebooks
               if nb.status == "graded" and (student.student, nb.notebook) not in written]
    return Refresh(report, len(written), missing, round(time.perf_counter() - started, 2))
