"""What grading found for one student: cell grades, notebook scores, problems, pages.

One :class:`StudentOutcome` per student is made by the worker that graded it
(:mod:`.worker`), travels back to the grading parent (:mod:`.remote`, :mod:`.cluster`),
is recorded in the course gradebook (:mod:`.gradebook`), is read back from it with the
scores the gradebook holds (a grader's hand scores included) and is what the class report
lists (:class:`~.report.ClassReport`). The exports and the feedback refresh read the same
type from the gradebook.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .problems import Problem


@dataclass
class CellGrade:
    """The grade of one graded cell (a test cell, or an answer graded by hand).

    Attributes
    ----------
    grade_id : str
    auto_score : float or None
        The autograder's score; None for an answer that only a grader scores.
    max_score : float
    needs_manual_grade : bool
        Still waits for a grader (flagged, and no hand score yet).
    cell_type : str
        ``code`` (autograded test cells) or ``markdown`` (written answers).
    score : float
        The score the gradebook holds: a grader's hand score over the autograder's, else 0.
    """

    grade_id: str
    auto_score: float | None
    max_score: float
    needs_manual_grade: bool
    cell_type: str = "code"
    score: float = 0.0


@dataclass
class NotebookOutcome:
    """How one expected notebook of one student was graded.

    Attributes
    ----------
    notebook : str
        Name without ``.ipynb``.
    score, max_score : float
        As the gradebook holds them (hand scores included once given).
    needs_manual_grade : bool
        Some cell still waits for a grader (written answers).
    status : str
        ``graded``, ``not submitted`` (missing or invalid: every grade 0) or ``grading error``
        (nbgrader failed on it: every grade 0, see the log).
    cells : list of CellGrade
        Sorted by grade id.
    comments : dict of str to str or None
        The autograder's comment of each graded cell.
    late_penalty : float or None
        nbgrader's late submission penalty.
    """

    notebook: str
    score: float
    max_score: float
    needs_manual_grade: bool
    status: str
    cells: list[CellGrade] = field(default_factory=list)
    comments: dict[str, str | None] = field(default_factory=dict)
    late_penalty: float | None = None


@dataclass
class StudentOutcome:
    """Everything about one student's submission.

    Attributes
    ----------
    student : str
    notebooks : list of NotebookOutcome
        One per expected notebook, in the release's order.
    problems : list of Problem
        What intake and grading found.
    feedback : list of str
        The feedback pages' paths (relative to the student's feedback folder while they
        travel from a worker, local paths once written by the parent).
    seconds : float
        Time the worker took.
    worker : str
        The Dask worker that graded it (set by the grading parent).
    """

    student: str
    notebooks: list[NotebookOutcome]
    problems: list[Problem] = field(default_factory=list)
    feedback: list[str] = field(default_factory=list)
    seconds: float = 0.0
    worker: str = ""

    @property
    def score(self) -> float:
        return sum(notebook.score for notebook in self.notebooks)

    @property
    def max_score(self) -> float:
        return sum(notebook.max_score for notebook in self.notebooks)

    @property
    def attention(self) -> list[Problem]:
        """The problems an instructor should look at."""
        return [problem for problem in self.problems if problem.needs_attention]


def failed_outcome(student: str, notebooks: list[str], reason: str) -> StudentOutcome:
    """Every notebook of ``notebooks`` (names without ``.ipynb``) at 0 as ``grading error``, with a problem."""
    return StudentOutcome(student, [NotebookOutcome(name, 0.0, 0.0, False, "grading error") for name in notebooks],
                          [Problem("grading_error", None, f"{reason}: scored 0")])
