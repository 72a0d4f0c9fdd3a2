"""The single writer of the course gradebook, and reading the final scores back.

Workers grade into scratch gradebooks and return plain data; this module records it in
the course gradebook (``<workdir>/course/gradebook.db``, or the server of ``--db``) the way
nbgrader's ``SaveAutoGrades`` would, with one difference: the autograder's score is stored
and a manual score given earlier (in formgrader) is kept, but a cell with a manual score is
graded, so it is not flagged as needing a manual grade again (nbgrader flags it on a
re-run; formgrader clears the flag when the score is given, and a re-grade must not make the
class table show it waiting).
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

from .worker import StudentOutcome
from .workspace import Workspace


@dataclass(frozen=True)
class NotebookScore:
    """A notebook's score as the gradebook holds it (manual scores included)."""

    student: str
    notebook: str
    score: float
    max_score: float
    needs_manual_grade: bool


class GradebookWriter:
    """The course gradebook, open for recording outcomes one student at a time (a context manager).

    Each :meth:`record` is committed at once: what was graded is kept when a run stops halfway.
    """

    def __init__(self, workspace: Workspace):
        self.workspace = workspace
        self._gradebook = None
        self._warnings = None

    def __enter__(self) -> "GradebookWriter":
        from nbgrader.api import Gradebook

        self._warnings = warnings.catch_warnings()
        self._warnings.__enter__()
        # nbgrader's own "SAWarning: Object ... not in session" when a submission is created: harmless
        warnings.filterwarnings("ignore", message=".*not in session.*")
        self._gradebook = Gradebook(self.workspace.db_url)
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


def waits_for_grader(grade) -> bool:
    """Whether an nbgrader ``Grade`` still waits for a grader: flagged, and no manual score yet.

    A cell that a grader scored counts as graded even when nbgrader flagged it for review
    (its own autograder does so on every re-run of a cell with a manual score).
    """
    return bool(grade.needs_manual_grade) and grade.manual_score is None


def read_scores(workspace: Workspace, students: list[str]) -> list[NotebookScore]:
    """Score of every expected notebook of ``students``, from the course gradebook.

    Scores include the manual scores given in formgrader; ``needs_manual_grade`` is True
    when some cell of the notebook waits for a grader (see :func:`waits_for_grader`).
    """
    from nbgrader.api import Gradebook

    scores = []
    with Gradebook(workspace.db_url) as gradebook:
        for student in sorted(students):
            for name in workspace.expected_notebooks():
                notebook = name[: -len(".ipynb")]
                submission = gradebook.find_submission_notebook(notebook, workspace.assignment, student)
                waiting = any(waits_for_grader(grade) for grade in submission.grades)
                scores.append(NotebookScore(student, notebook, float(submission.score),
                                            float(submission.max_score), waiting))
    return scores
