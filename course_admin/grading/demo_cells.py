"""Finding the course's own demonstration cells in a submission, so that grading can skip them.

A notebook of the course interleaves graded cells with the course's demonstrations
(training runs, sweeps, figures, "try it" cells) that grade nothing. The test cells
depend only on the read-only setup cells, the answer cells and themselves, so a
demonstration the student left as released can go unrun. :func:`mark_course_demos`
sets :data:`DEMO_FLAG` on such cells of the grading copy; ``FairExecute`` skips them
unless ``GradingSettings.run_course_demos`` is set.

A cell is flagged when it has no nbgrader metadata and its code is that of a code cell
without nbgrader metadata of the release (trailing whitespace and lines that are only an
nbval marker such as ``# NBVAL_CHECK_OUTPUT`` aside: the student release leaves those out). A cell the
student added or changed, with its helpers, always runs. So does a demonstration that
binds a global which a cell that runs reads (an answer that uses ``X`` without taking
it as an argument works as in the student's notebook), and, in turn, every
demonstration such a kept cell reads from. Reads are found statically (Python's symbol
tables), so code that reaches globals indirectly (``globals()``, ``eval``) is not seen,
nor is a demonstration that changes a shared object in place (``X[0] = 0``) rather than
binding a name; the course's demonstrations do neither.
"""
from __future__ import annotations

import functools
import re
import symtable

from .cells import python_source

#: the cell metadata key that marks a course demonstration in the grading copy
DEMO_FLAG = "course_demo"


#: a line that is only an nbval marker comment, e.g. ``# NBVAL_CHECK_OUTPUT``
NBVAL_MARKER_LINE = re.compile(r"^[ \t]*#[ \t]*NBVAL_[A-Z_]+[ \t]*(?:\n|$)", re.MULTILINE)


def normalised_source(source: str) -> str:
    """``source`` without nbval marker lines, trailing whitespace removed from every line and from the end."""
    return "\n".join(line.rstrip() for line in NBVAL_MARKER_LINE.sub("", source).splitlines()).rstrip()


def _plain_code(cell) -> bool:
    return cell.get("cell_type") == "code" and "nbgrader" not in cell.get("metadata", {})


def is_course_demo(cell) -> bool:
    """Whether ``cell`` carries the flag and is still a plain code cell (never a graded or read-only one)."""
    return _plain_code(cell) and cell.get("metadata", {}).get(DEMO_FLAG) is True


def release_demo_sources(release) -> set[str]:
    """The normalised code of the release's code cells without nbgrader metadata."""
    return {normalised_source(cell.source) for cell in release.cells if _plain_code(cell)}


@functools.lru_cache(maxsize=1024)
def global_names(source: str) -> tuple[frozenset[str], frozenset[str]]:
    """What a cell binds in, and reads from, the notebook's global namespace.

    Returns
    -------
    binds : frozenset of str
        Names bound at the top level (assignments, imports, ``def``, ``class``) or
        declared ``global`` and assigned inside a function.
    reads : frozenset of str
        Names read from the globals, at the top level or inside functions, classes,
        lambdas and comprehensions, unless the cell binds them itself.
        Empty for code that does not compile (the kernel would run none of it).
    """
    try:
        table = symtable.symtable(python_source(source), "<cell>", "exec")
    except Exception:  # IPython's parser or Python's refuses it: the kernel would run none of it
        return frozenset(), frozenset()
    binds: set[str] = set()
    reads: set[str] = set()
    for symbol in table.get_symbols():
        if symbol.is_assigned() or symbol.is_imported() or symbol.is_namespace():
            binds.add(symbol.get_name())
        elif symbol.is_referenced():
            reads.add(symbol.get_name())
    pending = list(table.get_children())
    while pending:
        scope = pending.pop()
        pending.extend(scope.get_children())
        for symbol in scope.get_symbols():
            if not symbol.is_global():
                continue
            if symbol.is_referenced():
                reads.add(symbol.get_name())
            if symbol.is_declared_global() and symbol.is_assigned():
                binds.add(symbol.get_name())
    # a comprehension or a function of the cell that reads a name the cell binds reads the cell's own
    return frozenset(binds), frozenset(reads - binds)


def mark_course_demos(nb, release) -> list[int]:
    """Flag the unchanged course demonstrations of a submitted notebook (see the module docstring).

    Parameters
    ----------
    nb : NotebookNode
        The sanitised submission (modified in place): any :data:`DEMO_FLAG` it came with
        is removed first, from every cell.
    release : NotebookNode
        The released version of the same notebook.

    Returns
    -------
    list of int
        The indexes of the flagged cells.
    """
    for cell in nb.cells:
        cell.get("metadata", {}).pop(DEMO_FLAG, None)
    released = release_demo_sources(release)
    candidates = [index for index, cell in enumerate(nb.cells)
                  if _plain_code(cell) and normalised_source(cell.source) in released]
    candidate_set = set(candidates)
    needed: set[str] = set()  # globals read by the cells that run
    for index, cell in enumerate(nb.cells):
        if index not in candidate_set and cell.get("cell_type") == "code":
            needed |= global_names(cell.source)[1]
    kept: set[int] = set()
    grew = True
    while grew:  # a demonstration that must run needs the ones it reads from as well
        grew = False
        for index in candidates:
            binds, reads = global_names(nb.cells[index].source)
            if index not in kept and binds & needed:
                kept.add(index)
                needed |= reads
                grew = True
    flagged = [index for index in candidates if index not in kept]
    for index in flagged:
        nb.cells[index].metadata[DEMO_FLAG] = True
    return flagged
