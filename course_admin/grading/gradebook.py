"""Every read and write of an nbgrader gradebook: the course's, a worker's scratch one, a plain course's.

Workers grade into scratch gradebooks and return plain data (:mod:`.outcome`); the grading
parent alone records it in the course gradebook (``<workdir>/course/gradebook.db``, or the
server of ``--db``, see :mod:`.database` for the URLs) the way nbgrader's ``SaveAutoGrades``
would, with one difference: the autograder's score is stored and a manual score given
earlier (in formgrader) is kept, but a cell with a manual score is graded, so it is not
flagged as needing a manual grade again (nbgrader flags it on a re-run; formgrader clears
the flag when the score is given, and a re-grade must not make the class table show it
waiting).
"""
from __future__ import annotations

import warnings
from dataclasses import replace
from typing import Iterable

from .outcome import CellGrade, NotebookOutcome, StudentOutcome
from .workspace import Workspace


def _open(db_url: str):
    from nbgrader.api import Gradebook

    return Gradebook(db_url)


def waits_for_grader(grade) -> bool:
    """Whether an nbgrader ``Grade`` still waits for a grader: flagged, and no manual score yet.

    A cell that a grader scored counts as graded even when nbgrader flagged it for review
    (its own autograder does so on every re-run of a cell with a manual score).
    """
    return bool(grade.needs_manual_grade) and grade.manual_score is None


def _notebook(notebook: str, submission, status: str, old: NotebookOutcome | None = None) -> NotebookOutcome:
    """``notebook``'s submission in the gradebook as an outcome (status, comments and penalty kept from ``old``)."""
    grades = sorted(submission.grades, key=lambda grade: grade.name)
    cells = [CellGrade(grade.name, grade.auto_score, float(grade.max_score), waits_for_grader(grade),
                       grade.cell_type, float(grade.score)) for grade in grades]
    score, maximum = float(submission.score), float(submission.max_score)
    waiting = any(cell.needs_manual_grade for cell in cells)
    if old is not None:
        return replace(old, score=score, max_score=maximum, needs_manual_grade=waiting, cells=cells)
    comments = {comment.name: comment.auto_comment for comment in submission.comments}
    return NotebookOutcome(notebook, score, maximum, waiting, status, cells, comments,
                           submission.late_submission_penalty)


# ----------------------------------------------------------------------------- a worker's scratch gradebook


def zero_ungraded(db_url: str, assignment: str, student: str, notebooks: list[str]) -> None:
    """Make sure the submission exists and give every grade of ``notebooks`` 0 (no manual grading)."""
    with _open(db_url) as gradebook:
        gradebook.update_or_create_student(student)
        gradebook.update_or_create_submission(assignment, student)
        for notebook in notebooks:
            submission = gradebook.find_submission_notebook(notebook, assignment, student)
            for grade in submission.grades:
                grade.auto_score = 0
                grade.needs_manual_grade = False
        gradebook.db.commit()


def read_notebooks(db_url: str, assignment: str, student: str, statuses: dict[str, str]) -> list[NotebookOutcome]:
    """The notebooks of ``statuses`` (name without ``.ipynb`` -> status) of ``student``, in that order."""
    with _open(db_url) as gradebook:
        return [_notebook(notebook, gradebook.find_submission_notebook(notebook, assignment, student), status)
                for notebook, status in statuses.items()]


# ----------------------------------------------------------------------------- the course gradebook


class GradebookWriter:
    """The course gradebook, open for recording outcomes one student at a time (a context manager).

    Each :meth:`record` is committed at once: what was graded is kept when a run stops halfway.
    """

    def __init__(self, workspace: Workspace):
        self.workspace = workspace
        self._gradebook = None
        self._warnings = None

    def __enter__(self) -> "GradebookWriter":
        self._warnings = warnings.catch_warnings()
        self._warnings.__enter__()
        # nbgrader's own "SAWarning: Object ... not in session" when a submission is created: harmless
        warnings.filterwarnings("ignore", message=".*not in session.*")
        self._gradebook = _open(self.workspace.db_url)
        return self

    def __exit__(self, *exc_info) -> None:
        try:
            self._gradebook.close()
        finally:
            self._warnings.__exit__(*exc_info)

    def record(self, outcome: StudentOutcome, timestamp: str | None = None) -> None:
        """Store ``outcome``'s grades, comments and late penalties, with nbgrader's submission ``timestamp``."""
        gradebook, assignment, student = self._gradebook, self.workspace.assignment, outcome.student
        try:
            gradebook.update_or_create_student(student)
            extra = {"timestamp": timestamp} if timestamp else {}
            gradebook.update_or_create_submission(assignment, student, **extra)
            for notebook in outcome.notebooks:
                submission = gradebook.find_submission_notebook(notebook.notebook, assignment, student)
                cells = {cell.grade_id: cell for cell in notebook.cells}
                for grade in submission.grades:
                    cell = cells.get(grade.name)
                    if notebook.status != "graded" or cell is None:
                        grade.auto_score, grade.needs_manual_grade = 0, False
                        continue
                    grade.auto_score = cell.auto_score
                    # waits for a grader only when neither the autograder nor a grader scored it
                    grade.needs_manual_grade = grade.manual_score is None and cell.auto_score is None
                for comment in submission.comments:
                    if comment.name in notebook.comments:
                        comment.auto_comment = notebook.comments[comment.name]
                submission.late_submission_penalty = notebook.late_penalty
            gradebook.db.commit()
        except Exception:
            gradebook.db.rollback()
            raise


def store_outcomes(workspace: Workspace, outcomes: dict[str, StudentOutcome],
                   timestamps: dict[str, str | None] | None = None) -> None:
    """Record every student's grades, comments and late penalties in the course gradebook."""
    timestamps = timestamps or {}
    with GradebookWriter(workspace) as gradebook:
        for student, outcome in outcomes.items():
            gradebook.record(outcome, timestamps.get(student))


def read_back(workspace: Workspace, outcomes: Iterable[StudentOutcome]) -> list[StudentOutcome]:
    """``outcomes`` with the scores and cell grades the course gradebook holds now, sorted by student.

    Scores include the manual scores given in formgrader; a notebook's
    ``needs_manual_grade`` is True when some cell waits for a grader (see
    :func:`waits_for_grader`). Statuses, comments, problems and pages are kept.
    """
    with _open(workspace.db_url) as gradebook:
        return [replace(outcome, notebooks=[
            _notebook(notebook.notebook, gradebook.find_submission_notebook(
                notebook.notebook, workspace.assignment, outcome.student), notebook.status, notebook)
            for notebook in outcome.notebooks])
            for outcome in sorted(outcomes, key=lambda outcome: outcome.student)]


def read_outcomes(workspace: Workspace, students: list[str]) -> list[StudentOutcome]:
    """Every expected notebook of ``students`` as the course gradebook holds it, sorted by student.

    What only grading knew is left empty: no problems or pages, and every status ``not submitted``.
    """
    notebooks = [name[: -len(".ipynb")] for name in workspace.expected_notebooks()]
    return read_back(workspace, [StudentOutcome(student, [NotebookOutcome(notebook, 0.0, 0.0, False, "not submitted")
                                                          for notebook in notebooks])
                                 for student in students])


def student_records(db_url: str, students: list[str]) -> dict[str, dict[str, str] | None]:
    """student -> the names, email and ``lms_user_id`` of nbgrader's ``Student`` table (None: not in it)."""
    from nbgrader.api import MissingEntry

    records: dict[str, dict[str, str] | None] = {}
    with _open(db_url) as gradebook:
        for student in students:
            try:
                row = gradebook.find_student(student)
            except MissingEntry:
                records[student] = None
                continue
            records[student] = {"first_name": row.first_name or "", "last_name": row.last_name or "",
                                "email": row.email or "", "lms_user_id": row.lms_user_id or ""}
    return records


def assignment_scores(db_url: str, assignment: str) -> dict[str, float]:
    """student -> total score of ``assignment`` in any nbgrader gradebook (a plain nbgrader course's too)."""
    with _open(db_url) as gradebook:
        return {submission.student.id: float(submission.score)
                for submission in gradebook.assignment_submissions(assignment)}
