"""The hidden tests' shared parts: the integrity check, and the course's solutions written in for grading.

A hidden test that grades a function alone asks for the course's solutions of the functions it
uses with ``checks.solutions(..., source=globals())`` and puts them in place with
``checks.stand_in``; ``course_admin.grading.solution_source`` writes their source in before
grading. These tests hold every source notebook to that one way, and the build to writing in
the solutions and nothing else.
"""
import ast
import re
import shutil
from pathlib import Path

import nbformat
import numpy as np
import pytest

from course_admin.grading.cells import is_test_cell, python_source
from course_admin.grading.solution_source import MARKER, SolutionSourceError, asked_names, write_in, written_in
from course_utils.cases import CASES
from course_utils.layout import ASSIGNMENT, NOTEBOOKS
from course_utils.references import encode, reference

SOURCES = Path(__file__).resolve().parents[1] / "source_solutions" / ASSIGNMENT
HIDDEN_PART = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.DOTALL)


def source_test_cells():
    """(notebook, grade_id, source) of every test cell of the sources."""
    for name in NOTEBOOKS:
        for cell in nbformat.read(SOURCES / name, as_version=4).cells:
            if is_test_cell(cell):
                yield name, cell.metadata["nbgrader"]["grade_id"], cell.source


TEST_CELLS = list(source_test_cells())


def statements(source):
    """The top-level statements of a piece of cell code, as source text."""
    return [ast.unparse(node) for node in ast.parse(python_source(source)).body]


def test_the_first_hidden_part_of_every_test_cell_checks_the_checking_code_first():
    missing = []
    for name, grade_id, source in TEST_CELLS:
        hidden = HIDDEN_PART.search(source)
        if hidden is None:
            continue
        code = [text for text in statements(hidden.group(1)) if not text.startswith(("import ", "from "))]
        if not code or code[0] != "checks.assert_intact()":
            missing.append(f"{name}: {grade_id}")
    assert missing == [], "these hidden tests do not start with checks.assert_intact()"
    assert sum(HIDDEN_PART.search(source) is not None for _, _, source in TEST_CELLS) >= 52


def test_no_test_cell_binds_a_notebook_name_by_hand():
    """Every replacement of a student's function goes through checks.stand_in, which undoes it when the cell ends."""
    by_hand = [f"{name}: {grade_id}" for name, grade_id, source in TEST_CELLS
               if re.search(r"globals\(\)(\[[^]]+\]\s*=|\.update\(|\.pop\()", source)]
    assert by_hand == []


def test_solutions_are_asked_for_only_in_hidden_parts():
    for name, grade_id, source in TEST_CELLS:
        hidden = "".join(HIDDEN_PART.findall(source))
        assert source.count(MARKER) == hidden.count(MARKER), f"{name}: {grade_id}"
    assert sum(source.count(MARKER) for _, _, source in TEST_CELLS) >= 19


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """A copy of the sources with the solutions written in, as grading makes it."""
    folder = tmp_path_factory.mktemp("grading-sources") / ASSIGNMENT
    shutil.copytree(SOURCES, folder)
    changed = write_in(folder)
    return folder, changed


def test_the_grading_copy_has_every_solution_written_in_and_nothing_else_changed(written):
    folder, changed = written
    assert changed == sorted({name for name, _, source in TEST_CELLS if MARKER in source})
    for name in NOTEBOOKS:
        original = nbformat.read(SOURCES / name, as_version=4)
        grading = nbformat.read(folder / name, as_version=4)
        assert len(original.cells) == len(grading.cells)
        for before, after in zip(original.cells, grading.cells):
            assert after.metadata == before.metadata
            assert MARKER not in after.source
            # the cell is the same once each written-in literal is put back to globals()
            restored = re.sub(r"source=r'''\n.*?\n'''\)", "source=globals())", after.source, flags=re.DOTALL)
            assert restored == before.source
    assert write_in(folder) == []  # nothing left to write in


def test_the_written_in_solutions_give_the_reference_values(written):
    """What the hidden tests compare with is what the course's solutions return on each fixed case."""
    folder, _ = written
    checked = set()
    for name in NOTEBOOKS:
        for cell in nbformat.read(folder / name, as_version=4).cells:
            for literal in re.findall(r"source=(r'''\n.*?\n''')\)", cell.source, flags=re.DOTALL):
                namespace = {}
                exec(ast.literal_eval(literal), namespace)
                for function in {key for key in namespace if key in CASES} - checked:
                    assert encode(namespace[function](*CASES[function]())) == encode(reference(function)), function
                    checked.add(function)
    assert {"sigmoid", "forward_propagation", "compute_cost", "nn_model", "predict", "softmax_forward",
            "update_parameters_momentum", "train_test_sweep"} <= checked


def test_the_build_names_the_cell_of_a_marker_it_cannot_honour():
    asked = 'checks.solutions("sigmoid", source=globals())\n'
    with pytest.raises(SolutionSourceError, match=r"^04, a cell: .*outside the hidden tests; move it between"):
        written_in(asked, SOURCES, "04, a cell")
    with pytest.raises(SolutionSourceError, match=r"2 'source=globals\(\)' for 1 calls"):
        written_in(f"### BEGIN HIDDEN TESTS\n# source=globals()\n{asked}### END HIDDEN TESTS", SOURCES)
    with pytest.raises(SolutionSourceError, match=r"names as plain strings, got checks.solutions\(name, "):
        written_in("### BEGIN HIDDEN TESTS\nchecks.solutions(name, source=globals())\n### END HIDDEN TESTS",
                   SOURCES)
    with pytest.raises(SolutionSourceError, match="not valid Python"):
        written_in("### BEGIN HIDDEN TESTS\nchecks.solutions('sigmoid', source=globals()\n", SOURCES)
    assert asked_names("x = 1\n" + asked + 'checks.solutions("relu", "softmax", source=globals())') == [
        ("sigmoid",), ("relu", "softmax")]
