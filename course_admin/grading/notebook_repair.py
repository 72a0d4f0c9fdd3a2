"""The notebook cleaner: what a student handed in, turned into notebooks nbgrader can grade.

Each function works on parsed copies; nothing here touches the instructor's files. The
intake step (:mod:`.intake`) applies them to every file of a submission.

- :func:`parse_notebook`: bytes -> notebook, or the reason it is not one.
- :func:`match_notebooks`: which submitted file is which expected notebook, renamed
  files (``03_initialization (1).ipynb``, ``Copy of ...``) matched back by the
  nbgrader ``grade_id`` values inside them, and by name as a fallback.
- :func:`repair_notebook`: graded and locked cells put back as released: duplicated
  ``grade_id`` -> the first kept, the copies made plain cells; deleted -> re-inserted from
  the release where they were; edited locked cells, changed cell types and changed
  nbgrader metadata (points, grade, locked...) -> restored; unknown ``grade_id`` -> made plain cells.
"""
from __future__ import annotations

import copy
import json
import re

import nbformat

from .cells import grade_id_of, is_locked
from .problems import Problem


# ----------------------------------------------------------------------------- reading


def parse_notebook(data: bytes):
    """Parse notebook bytes.

    Returns
    -------
    (notebook, None) when ``data`` is a notebook (converted to nbformat 4), else
    (None, reason) with a short reason for the report.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None, "not UTF-8 text"
    try:
        json.loads(text)
    except ValueError as error:
        return None, f"not valid JSON ({error.msg} at line {error.lineno})"
    try:
        nb = nbformat.reads(text, as_version=4)
    except Exception as error:  # nbformat raises several types for schema and version faults
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        return None, f"JSON but not a notebook ({first_line[:100]})"
    if not isinstance(nb.get("cells"), list):
        return None, "not a readable notebook (no cells)"
    return nb, None


# ----------------------------------------------------------------------------- matching names

_COPY_PATTERNS = (
    re.compile(r"^copy of\s+", re.IGNORECASE),
    re.compile(r"\s*\(\d+\)$"),
    re.compile(r"[-_ ]copy\d*$", re.IGNORECASE),
    re.compile(r"\s+\d+$"),
)


def normalised_stem(filename: str) -> str:
    """A file name without ``.ipynb``, browser/file-manager copy marks, case and spacing."""
    stem = re.sub(r"\.ipynb$", "", filename.strip(), flags=re.IGNORECASE)
    changed = True
    while changed:
        changed = False
        for pattern in _COPY_PATTERNS:
            new = pattern.sub("", stem).strip()
            if new != stem:
                stem, changed = new, True
    return re.sub(r"[\s_-]+", "_", stem).lower()


def _grade_ids(nb) -> set[str]:
    return {grade_id for cell in nb.cells if (grade_id := grade_id_of(cell))}


def match_notebooks(files: dict[str, object], expected: dict[str, object]):
    """Decide which submitted file stands for which expected notebook.

    Parameters
    ----------
    files : dict
        Submitted file name -> parsed notebook, or None when it is not a valid notebook.
    expected : dict
        Expected file name -> released notebook.

    Returns
    -------
    matches : dict
        Expected file name -> submitted file name (valid notebooks only).
    invalid : dict
        Expected file name -> submitted file name that stands for it but is not a notebook.
    unmatched : list of str
        Submitted file names left over.

    Exact names win; then the grade_ids inside (the expected notebook sharing the most
    with the file, when no other shares as many); then names once copy marks are removed.
    A match must be unambiguous both ways, otherwise the file stays unmatched.
    """
    matches: dict[str, str] = {}
    valid = {name: nb for name, nb in files.items() if nb is not None}
    for name in valid:
        if name in expected:
            matches[name] = name

    def free_expected():
        return [name for name in expected if name not in matches]

    def free_files():
        return [name for name in valid if name not in matches.values()]

    # by grade_ids
    release_ids = {name: _grade_ids(nb) for name, nb in expected.items()}
    proposals: dict[str, list[str]] = {}
    for filename in free_files():
        ids = _grade_ids(valid[filename])
        overlaps = {name: len(ids & release_ids[name]) for name in free_expected()}
        best = max(overlaps.values(), default=0)
        winners = [name for name, overlap in overlaps.items() if overlap == best]
        if best > 0 and len(winners) == 1:
            proposals.setdefault(winners[0], []).append(filename)
    for name, candidates in proposals.items():
        if len(candidates) == 1:
            matches[name] = candidates[0]

    # by name, copy marks removed
    def by_name(candidates):
        found: dict[str, list[str]] = {}
        stems = {normalised_stem(name): name for name in free_expected()}
        for filename in candidates:
            target = stems.get(normalised_stem(filename))
            if target is not None:
                found.setdefault(target, []).append(filename)
        return {target: names[0] for target, names in found.items() if len(names) == 1}

    matches.update(by_name(free_files()))

    invalid_files = [name for name, nb in files.items() if nb is None]
    invalid = {name: name for name in invalid_files if name in expected and name not in matches}
    leftover_invalid = [name for name in invalid_files if name not in invalid.values()]
    for target, filename in by_name(leftover_invalid).items():
        if target not in invalid:
            invalid[target] = filename
    used = set(matches.values()) | set(invalid.values())
    unmatched = sorted(name for name in files if name not in used)
    return matches, invalid, unmatched


# ----------------------------------------------------------------------------- repairing cells


def _fresh_cell_from(reference, source: str | None = None):
    """A copy of a released cell (outputs cleared), optionally with another source."""
    cell = copy.deepcopy(reference)
    if source is not None:
        cell.source = source
    if cell.cell_type == "code":
        cell.outputs = []
        cell.execution_count = None
    cell["id"] = "restored-" + re.sub(r"[^a-zA-Z0-9_-]", "-", grade_id_of(reference) or "cell")[:50]
    return cell


_ROLE_KEYS = ("grade", "solution", "locked", "task", "points")


def _role(cell) -> tuple:
    """What nbgrader does with a cell, from its metadata (the checksum is not part of it)."""
    meta = cell.metadata.get("nbgrader", {})
    return tuple(meta.get(key) for key in _ROLE_KEYS)


def _drop_nbgrader(cell) -> None:
    cell.metadata.pop("nbgrader", None)
    cell.metadata.pop("deletable", None)
    cell.metadata.pop("editable", None)


def repair_notebook(nb, release, notebook: str):
    """Restore the nbgrader structure of a submitted notebook from its released version.

    Parameters
    ----------
    nb : NotebookNode
        The submitted notebook (modified in place and returned).
    release : NotebookNode
        The released (student) version of the same notebook.
    notebook : str
        Its name without ``.ipynb``, for the problems reported.

    Returns
    -------
    (nb, problems)
        The repaired notebook and one :class:`Problem` per kind of repair, naming the cells.
    """
    reference = {grade_id_of(cell): cell for cell in release.cells if grade_id_of(cell)}
    order = [grade_id_of(cell) for cell in release.cells if grade_id_of(cell)]
    seen: set[str] = set()
    duplicates, unknown, edited = [], [], []
    repaired = []
    for cell in nb.cells:
        if "nbgrader" not in cell.get("metadata", {}):
            repaired.append(cell)
            continue
        grade_id = grade_id_of(cell)
        if grade_id not in reference:
            if grade_id is not None:
                unknown.append(grade_id)
            _drop_nbgrader(cell)
            repaired.append(cell)
            continue
        if grade_id in seen:
            duplicates.append(grade_id)
            _drop_nbgrader(cell)
            repaired.append(cell)
            continue
        seen.add(grade_id)
        ref = reference[grade_id]
        locked = is_locked(ref)
        changed = (cell.cell_type != ref.cell_type or (locked and cell.source != ref.source)
                   or _role(cell) != _role(ref))
        if cell.cell_type != ref.cell_type:
            # rebuilt as the released type; an answer keeps the student's text
            cell = _fresh_cell_from(ref, None if locked else cell.source)
        if locked:
            cell.source = ref.source
        cell.metadata["nbgrader"] = copy.deepcopy(ref.metadata["nbgrader"])
        for flag in ("deletable", "editable"):
            if flag in ref.metadata:
                cell.metadata[flag] = ref.metadata[flag]
            else:
                cell.metadata.pop(flag, None)
        if changed:
            edited.append(grade_id)
        repaired.append(cell)

    deleted = [grade_id for grade_id in order if grade_id not in seen]
    for grade_id in deleted:
        repaired.insert(_insertion_point(repaired, release, grade_id), _fresh_cell_from(reference[grade_id]))

    nb.cells = repaired
    _normalise(nb)
    problems = []
    if duplicates:
        problems.append(Problem("duplicate_cell", notebook, "kept the first of each duplicated graded cell, "
                                "the copies are graded as plain cells: " + ", ".join(duplicates)))
    if deleted:
        problems.append(Problem("deleted_cell", notebook, "re-inserted deleted cells from the release: "
                                + ", ".join(deleted)))
    if edited:
        problems.append(Problem("edited_cell", notebook, "restored edited read-only or test cells "
                                "(their code, type or nbgrader metadata): " + ", ".join(edited)))
    if unknown:
        problems.append(Problem("unknown_cell", notebook, "cells with grade_ids this notebook does not have "
                                "are graded as plain cells: " + ", ".join(unknown)))
    return nb, problems


def _insertion_point(cells: list, release, grade_id: str) -> int:
    """Where a deleted cell goes: after the last cell that precedes it in the release and is still there.

    Graded cells are found by grade_id, the release's plain cells (instructions, "try it"
    cells) by their unchanged text when it occurs once; failing any before it, the cell
    goes before the first following one, else at the end.
    """
    def located(reference) -> int | None:
        wanted = grade_id_of(reference)
        if wanted is not None:
            hits = [i for i, cell in enumerate(cells) if grade_id_of(cell) == wanted]
        else:
            hits = [i for i, cell in enumerate(cells) if grade_id_of(cell) is None
                    and cell.cell_type == reference.cell_type and cell.source == reference.source]
        return hits[0] if len(hits) == 1 else None

    position = next(i for i, cell in enumerate(release.cells) if grade_id_of(cell) == grade_id)
    before = [i for i in map(located, release.cells[:position]) if i is not None]
    if before:
        return max(before) + 1
    after = [i for i in map(located, release.cells[position + 1:]) if i is not None]
    return min(after) if after else len(cells)


def _normalise(nb) -> None:
    """Clear outputs and give every cell a unique id (nbformat 4.5), deterministically."""
    nb.nbformat, nb.nbformat_minor = 4, max(int(nb.get("nbformat_minor", 0)), 5)
    ids: set[str] = set()
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cell_id = cell.get("id")
        if not isinstance(cell_id, str) or not re.fullmatch(r"[a-zA-Z0-9_-]{1,64}", cell_id) or cell_id in ids:
            cell_id, suffix = f"cell-{index + 1}", 1
            while cell_id in ids:
                cell_id, suffix = f"cell-{index + 1}-{suffix}", suffix + 1
            cell["id"] = cell_id
        ids.add(cell_id)


def validation_error(nb) -> str | None:
    """None when ``nb`` is a valid nbformat 4 notebook, else the first line of the reason."""
    try:
        nbformat.validate(nb)
    except nbformat.ValidationError as error:
        return str(error).strip().splitlines()[0][:160]
    return None
