"""What can go wrong with a submission, in words an instructor reads in the report."""
from __future__ import annotations

from dataclasses import asdict, dataclass

#: kind -> (needs the instructor's attention, short label used in the report)
KINDS = {
    "invalid_notebook": (True, "invalid notebook"),
    "missing_notebook": (True, "missing notebook"),
    "renamed_notebook": (True, "renamed notebook"),
    "unmatched_file": (True, "unmatched file"),
    "archive_error": (True, "unreadable archive"),
    "duplicate_cell": (True, "duplicated cells"),
    "deleted_cell": (True, "deleted cells restored"),
    "edited_cell": (True, "edited locked cells restored"),
    "unknown_cell": (True, "unknown graded cells"),
    "kernel_died": (True, "crashed kernel"),
    "kernel_unresponsive": (True, "unresponsive kernel"),
    "timeout": (True, "timeout"),
    "output_truncated": (True, "output flood"),
    "memory_error": (True, "memory limit"),
    "tampering_suspected": (True, "tampering suspected"),
    "machinery_changed": (True, "interpreter machinery changed"),
    "grading_error": (True, "grading error"),
    "ignored_file": (False, "ignored file"),
    "student_id_changed": (False, "student id normalised"),
}


@dataclass(frozen=True)
class Problem:
    """One finding about one submission.

    Attributes
    ----------
    kind : str
        A key of :data:`KINDS`.
    notebook : str or None
        The notebook name without ``.ipynb`` it concerns, None for the whole submission.
    detail : str
        One sentence for the instructor.
    """

    kind: str
    notebook: str | None
    detail: str

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown problem kind {self.kind!r}")

    @property
    def needs_attention(self) -> bool:
        return KINDS[self.kind][0]

    @property
    def label(self) -> str:
        return KINDS[self.kind][1]

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Problem":
        return cls(data["kind"], data["notebook"], data["detail"])
