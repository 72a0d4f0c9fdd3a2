"""What a notebook cell is to nbgrader, and a cell's code as the kernel runs it.

Shared by the release, the demonstration class, intake, grading and the feedback pages,
so that "which cell is this" is answered one way everywhere.
"""
from __future__ import annotations

import functools


def _nbgrader(cell) -> dict:
    meta = cell.get("metadata", {}).get("nbgrader")
    return meta if isinstance(meta, dict) else {}


def grade_id_of(cell) -> str | None:
    """The cell's nbgrader ``grade_id``, or None for a cell nbgrader does not track."""
    grade_id = _nbgrader(cell).get("grade_id")
    return grade_id if isinstance(grade_id, str) and grade_id else None


def is_answer_cell(cell) -> bool:
    """Whether ``cell`` is an answer cell (nbgrader's ``solution``), graded or not."""
    return bool(_nbgrader(cell).get("solution"))


def is_test_cell(cell) -> bool:
    """Whether ``cell`` is an autograded test cell (graded, not an answer)."""
    meta = _nbgrader(cell)
    return cell.get("cell_type") == "code" and bool(meta.get("grade")) and not meta.get("solution")


def is_locked(cell) -> bool:
    """As ``nbgrader.utils.is_locked``: graded test cells and read-only cells, not answer cells."""
    meta = _nbgrader(cell)
    return not meta.get("solution") and bool(meta.get("grade") or meta.get("locked"))


def is_nbgrader_cell(cell) -> bool:
    """Whether nbgrader grades, locks or expects an answer in ``cell`` (and so records its checksum)."""
    meta = _nbgrader(cell)
    return any(meta.get(key) for key in ("grade", "solution", "locked"))


def cell_label(cell, index: int) -> str:
    """How the report names a cell: its grade_id, else its position."""
    return grade_id_of(cell) or f"cell {index + 1}"


@functools.lru_cache(maxsize=1024)
def python_source(source: str) -> str:
    """A cell's code as Python, IPython syntax (``%magic``, ``!command``) translated as the kernel would.

    Raises what IPython's parser raises on code it cannot make sense of.
    """
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager().transform_cell(source)
