"""The single writer of the course gradebook, and reading the final scores back.

Workers grade into scratch gradebooks and return plain data; this module records it in
``<workdir>/course/gradebook.db`` the way nbgrader's ``SaveAutoGrades`` would: the
autograder's score is stored, a manual score given earlier (in formgrader) is kept and
the cell is then flagged for review, as nbgrader does on a re-run.
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


def store_outcomes(workspace: Workspace, outcomes: dict[str, StudentOutcome],
                   timestamps: dict[str, str | None] | None = None) -> None:
    """Record every student's grades, comments and late penalties in the course gradebook."""
    from nbgrader.api import Gradebook

    timestamps = timestamps or {}
    assignment = workspace.assignment
    with Gradebook(workspace.db_url) as gradebook, warnings.catch_warnings():
        # nbgrader's own "SAWarning: Object ... not in session" when a submission is created: harmless
        warnings.filterwarnings("ignore", message=".*not in session.*")
        for student, outcome in outcomes.items():
            gradebook.update_or_create_student(student)
            extra = {"timestamp": timestamps[student]} if timestamps.get(student) else {}
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
                    grade.needs_manual_grade = grade.manual_score is not None or cell.auto_score is None
                for comment in submission.comments:
                    if comment.name in notebook.comments:
                        comment.auto_comment = notebook.comments[comment.name]
                submission.late_submission_penalty = notebook.late_penalty
            gradebook.db.commit()


def read_scores(workspace: Workspace, students: list[str]) -> list[NotebookScore]:
    """Score of every expected notebook of ``students``, from the course gradebook."""
    from nbgrader.api import Gradebook

    scores = []
    with Gradebook(workspace.db_url) as gradebook:
        for student in sorted(students):
            for name in workspace.expected_notebooks():
                notebook = name[: -len(".ipynb")]
                submission = gradebook.find_submission_notebook(notebook, workspace.assignment, student)
                scores.append(NotebookScore(student, notebook, float(submission.score),
                                            float(submission.max_score), bool(submission.needs_manual_grade)))
    return scores
