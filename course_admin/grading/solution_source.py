"""Writes the course's solutions into the hidden tests that ask for them, before grading.

A hidden test asks for the course's solutions with
``checks.solutions("nn_model", ..., source=globals())`` (see ``course_utils._stand_ins``): in
the instructor's source notebook its own answer cells are the solutions. :func:`write_in`
replaces each such ``globals()`` with the Python source of those solutions and of the graded
functions they use, as the loader gathers them from the answer cells of the same folder
(docstrings left out). Grading runs it on its copy of the sources before nbgrader generates the
gradebook from them; nbgrader stores the hidden parts there, runs them at autograde and keeps
them out of the release and the feedback, so no student ever reaches a solution.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat

from course_utils.loader import answer_source

from .cells import grade_id_of, python_source

#: what the source notebooks write where the solutions' source goes
MARKER = "source=globals()"
_HIDDEN_PART = re.compile(r"### BEGIN HIDDEN TESTS.*?(### END HIDDEN TESTS|\Z)", re.DOTALL)


class SolutionSourceError(ValueError):
    """A cell asks for solutions in a way the build cannot honour (the message says where and why)."""


def asked_names(source: str) -> list[tuple[str, ...]]:
    """The names given to each ``checks.solutions(..., source=globals())`` of a cell, in source order."""
    calls = []
    for node in ast.walk(ast.parse(python_source(source))):
        if (isinstance(node, ast.Call) and isinstance(node.func, (ast.Attribute, ast.Name))
                and (getattr(node.func, "attr", None) or getattr(node.func, "id", None)) == "solutions"
                and any(keyword.arg == "source" and ast.unparse(keyword.value) == "globals()"
                        for keyword in node.keywords)):
            if not all(isinstance(arg, ast.Constant) and isinstance(arg.value, str) for arg in node.args):
                raise SolutionSourceError("checks.solutions() takes the graded functions' names as plain "
                                          f"strings, got {ast.unparse(node)}")
            calls.append(((node.lineno, node.col_offset), tuple(arg.value for arg in node.args)))
    return [names for _, names in sorted(calls)]


def solutions_literal(names, folder: Path) -> str:
    """A Python string literal holding the source of the solutions of ``names`` from ``folder``."""
    tree = ast.parse(answer_source(*names, folder=folder))
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                node.body = body[1:] or [ast.Pass()]
    code = ast.unparse(tree) + "\n"
    if "'''" in code or code.endswith("\\\n"):
        return repr(code)
    return "r'''\n" + code + "'''"


def written_in(source: str, folder: Path, where: str = "a cell") -> str:
    """``source`` with the solutions from ``folder`` written in place of each marker of its hidden parts."""
    try:
        calls = asked_names(source)
    except SyntaxError as error:
        raise SolutionSourceError(f"{where}: not valid Python ({error.msg}, line {error.lineno})") from None
    except SolutionSourceError as error:
        raise SolutionSourceError(f"{where}: {error}") from None
    positions = [match.start() for match in re.finditer(re.escape(MARKER), source)]
    if len(positions) != len(calls):
        raise SolutionSourceError(f"{where}: {len(positions)} {MARKER!r} for {len(calls)} calls of "
                                  f"checks.solutions(..., {MARKER}); write it only as that keyword argument")
    hidden = [match.span() for match in _HIDDEN_PART.finditer(source)]
    for position in positions:
        if not any(start <= position < end for start, end in hidden):
            raise SolutionSourceError(f"{where}: checks.solutions(..., {MARKER}) outside the hidden tests; "
                                      "move it between ### BEGIN HIDDEN TESTS and ### END HIDDEN TESTS")
    for position, names in reversed(list(zip(positions, calls))):
        replacement = "source=" + solutions_literal(names, folder)
        source = source[:position] + replacement + source[position + len(MARKER):]
    return source


def write_in_notebook(nb, folder: Path, name: str = "") -> bool:
    """Write the solutions into the code cells of ``nb`` that ask for them; whether any did."""
    changed = False
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and MARKER in cell.source:
            where = f"{name}, {grade_id_of(cell) or f'cell {index + 1}'}"
            cell.source = written_in(cell.source, folder, where)
            changed = True
    return changed


def write_in(folder: Path) -> list[str]:
    """Write the solutions into every notebook of ``folder`` that asks for them; the names of those changed."""
    folder = Path(folder)
    changed = []
    for path in sorted(folder.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        if write_in_notebook(nb, folder, path.name):
            nbformat.write(nb, path)
            changed.append(path.name)
    return changed
