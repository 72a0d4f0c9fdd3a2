"""Reading, matching and repairing submitted notebooks (no kernel runs here)."""
from __future__ import annotations

import copy
import json

import nbformat
import pytest

import grading_toy as toy
from course_admin.grading.cells import grade_id_of
from course_admin.grading.notebook_repair import (match_notebooks, normalised_stem, parse_notebook, repair_notebook,
                                                  validation_error)


def grade_ids(nb):
    return [grade_id_of(cell) for cell in nb.cells]


# ----------------------------------------------------------------------------- parse_notebook


def test_a_valid_notebook_parses():
    nb, reason = parse_notebook(nbformat.writes(nbformat.v4.new_notebook()).encode())
    assert reason is None and nb.cells == []


@pytest.mark.parametrize("data, reason", [
    (b"<html>not a notebook</html>", "not valid JSON (Expecting value at line 1)"),
    (b'{"cells": [', "not valid JSON (Expecting value at line 1)"),
    (b"\xff\xfe\x00\x01", "not UTF-8 text"),
])
def test_what_is_not_json_is_named(data, reason):
    assert parse_notebook(data) == (None, reason)


@pytest.mark.parametrize("data", [b"{}", b"[]", b'{"cells": 3, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'])
def test_json_that_is_not_a_notebook_is_refused(data):
    nb, reason = parse_notebook(data)
    assert nb is None and reason.startswith("JSON but not a notebook (")


# ----------------------------------------------------------------------------- matching


@pytest.mark.parametrize("name, stem", [
    ("03_initialization (1).ipynb", "03_initialization"),
    ("Copy of 03_initialization.ipynb", "03_initialization"),
    ("03_initialization-Copy1.ipynb", "03_initialization"),
    ("Copy of 03 Initialization (2).IPYNB", "03_initialization"),
    ("03_initialization.ipynb", "03_initialization"),
])
def test_copy_marks_are_removed_from_names(name, stem):
    assert normalised_stem(name) == stem


def test_exact_names_win_and_renamed_files_are_matched_by_their_grade_ids(toy_release):
    squares, cubes = toy_release["01_squares.ipynb"], toy_release["02_cubes.ipynb"]
    files = {"01_squares.ipynb": squares, "my homework.ipynb": cubes}
    matches, invalid, unmatched = match_notebooks(files, toy_release)
    assert matches == {"01_squares.ipynb": "01_squares.ipynb", "02_cubes.ipynb": "my homework.ipynb"}
    assert (invalid, unmatched) == ({}, [])


def test_a_renamed_file_without_grade_ids_is_matched_by_name(toy_release):
    stripped = copy.deepcopy(toy_release["02_cubes.ipynb"])
    for cell in stripped.cells:
        cell.metadata.pop("nbgrader", None)
    matches, _, unmatched = match_notebooks({"02_cubes (3).ipynb": stripped}, toy_release)
    assert matches == {"02_cubes.ipynb": "02_cubes (3).ipynb"} and unmatched == []


def test_two_candidates_for_one_notebook_leave_both_unmatched(toy_release):
    cubes = toy_release["02_cubes.ipynb"]
    files = {"a.ipynb": cubes, "b.ipynb": copy.deepcopy(cubes)}
    matches, _, unmatched = match_notebooks(files, toy_release)
    assert matches == {} and unmatched == ["a.ipynb", "b.ipynb"]


def test_an_exact_name_keeps_its_notebook_and_the_copy_stays_unmatched(toy_release):
    cubes = toy_release["02_cubes.ipynb"]
    files = {"02_cubes.ipynb": cubes, "02_cubes (1).ipynb": copy.deepcopy(cubes)}
    matches, _, unmatched = match_notebooks(files, toy_release)
    assert matches == {"02_cubes.ipynb": "02_cubes.ipynb"} and unmatched == ["02_cubes (1).ipynb"]


def test_invalid_files_stand_for_the_notebook_of_their_name(toy_release):
    files = {"01_squares.ipynb": None, "Copy of 02_cubes.ipynb": None, "notes.ipynb": None}
    matches, invalid, unmatched = match_notebooks(files, toy_release)
    assert matches == {}
    assert invalid == {"01_squares.ipynb": "01_squares.ipynb", "02_cubes.ipynb": "Copy of 02_cubes.ipynb"}
    assert unmatched == ["notes.ipynb"]


# ----------------------------------------------------------------------------- repairing


def test_an_untouched_release_needs_no_repair(toy_release):
    release = toy_release["01_squares.ipynb"]
    nb, problems = repair_notebook(copy.deepcopy(release), release, "01_squares")
    assert problems == []
    assert [(cell.source, cell.metadata) for cell in nb.cells] == \
        [(cell.source, cell.metadata) for cell in release.cells]


def test_duplicated_graded_cells_keep_the_first_and_make_the_copies_plain(toy_release):
    release = toy_release["01_squares.ipynb"]
    nb = toy.answered(release, {"square": "def square(x):\n    return x * x\n"})
    at = toy.find_cell(nb, "square")
    twin = copy.deepcopy(nb.cells[at])
    twin.source = "def square(x):\n    return 0\n"
    nb.cells.insert(at + 1, twin)
    repaired, problems = repair_notebook(nb, release, "01_squares")
    first = repaired.cells[at]
    assert first.source == "def square(x):\n    return x * x\n" and grade_id_of(first) == "square"
    copy_cell = repaired.cells[at + 1]
    assert copy_cell.source == "def square(x):\n    return 0\n"
    assert "nbgrader" not in copy_cell.metadata and "editable" not in copy_cell.metadata
    assert [(p.kind, p.detail) for p in problems] == [
        ("duplicate_cell", "kept the first of each duplicated graded cell, "
                           "the copies are graded as plain cells: square")]
    assert len({cell.id for cell in repaired.cells}) == len(repaired.cells)
    assert validation_error(repaired) is None


def test_deleted_cells_come_back_where_they_were(toy_release):
    release = toy_release["01_squares.ipynb"]
    nb = copy.deepcopy(release)
    for grade_id in ("setup_01", "square_values", "add", "add_values"):
        del nb.cells[toy.find_cell(nb, grade_id)]
    repaired, problems = repair_notebook(nb, release, "01_squares")
    assert grade_ids(repaired) == grade_ids(release)
    restored = repaired.cells[toy.find_cell(repaired, "square_values")]
    assert restored.source == release.cells[toy.find_cell(release, "square_values")].source
    assert restored.metadata == release.cells[toy.find_cell(release, "square_values")].metadata
    assert [(p.kind, p.detail) for p in problems] == [
        ("deleted_cell", "re-inserted deleted cells from the release: setup_01, square_values, add, add_values")]


def test_a_deleted_test_goes_after_the_unchanged_cell_before_it_and_before_new_cells(toy_release):
    release = toy_release["01_squares.ipynb"]
    nb = copy.deepcopy(release)
    del nb.cells[toy.find_cell(nb, "square_values")]
    try_it = toy.find_cell(nb, "square") + 1
    assert nb.cells[try_it].source == "square(4.0)"
    nb.cells.insert(try_it + 1, nbformat.v4.new_code_cell("scratch = 1"))
    repaired, _ = repair_notebook(nb, release, "01_squares")
    assert [cell.source for cell in repaired.cells[try_it: try_it + 3]] == [
        "square(4.0)", release.cells[toy.find_cell(release, "square_values")].source, "scratch = 1"]


def test_a_deleted_test_follows_its_answer_when_the_cell_between_was_edited(toy_release):
    release = toy_release["01_squares.ipynb"]
    nb = copy.deepcopy(release)
    del nb.cells[toy.find_cell(nb, "square_values")]
    nb.cells[toy.find_cell(nb, "square") + 1].source = "square(5.0)"
    repaired, _ = repair_notebook(nb, release, "01_squares")
    at = toy.find_cell(repaired, "square")
    assert grade_id_of(repaired.cells[at + 1]) == "square_values"


def test_edited_locked_cells_and_changed_metadata_are_restored(toy_release):
    release = toy_release["01_squares.ipynb"]
    nb = copy.deepcopy(release)
    test_cell = nb.cells[toy.find_cell(nb, "square_values")]
    test_cell.source = "pass"
    test_cell.metadata.nbgrader["points"] = 100
    test_cell.metadata.nbgrader["grade"] = False
    setup = nb.cells[toy.find_cell(nb, "setup_01")]
    setup.metadata.nbgrader["locked"] = False
    repaired, problems = repair_notebook(nb, release, "01_squares")
    for grade_id in ("square_values", "setup_01"):
        index = toy.find_cell(release, grade_id)
        assert repaired.cells[index].source == release.cells[index].source
        assert repaired.cells[index].metadata == release.cells[index].metadata
    assert [(p.kind, p.detail) for p in problems] == [
        ("edited_cell", "restored edited read-only or test cells (their code, type or nbgrader metadata): "
                        "setup_01, square_values")]


def test_an_answer_turned_into_markdown_is_a_code_cell_again_with_the_students_text(toy_release):
    release = toy_release["01_squares.ipynb"]
    nb = copy.deepcopy(release)
    at = toy.find_cell(nb, "square")
    nb.cells[at] = nbformat.v4.new_markdown_cell("def square(x):\n    return x * x", metadata=nb.cells[at].metadata)
    repaired, problems = repair_notebook(nb, release, "01_squares")
    assert repaired.cells[at].cell_type == "code"
    assert repaired.cells[at].source == "def square(x):\n    return x * x"
    assert [p.kind for p in problems] == ["edited_cell"]
    assert validation_error(repaired) is None


def test_unknown_grade_ids_become_plain_cells(toy_release):
    release = toy_release["01_squares.ipynb"]
    nb = copy.deepcopy(release)
    cubes = toy_release["02_cubes.ipynb"]
    foreign = copy.deepcopy(cubes.cells[toy.find_cell(cubes, "cube_values")])
    nb.cells.append(foreign)
    repaired, problems = repair_notebook(nb, release, "01_squares")
    assert "nbgrader" not in repaired.cells[-1].metadata
    assert [(p.kind, p.detail) for p in problems] == [
        ("unknown_cell", "cells with grade_ids this notebook does not have are graded as plain cells: cube_values")]


def test_repair_clears_outputs_and_keeps_nbformat_valid(toy_release):
    release = toy_release["02_cubes.ipynb"]
    nb = copy.deepcopy(release)
    nb.cells[toy.find_cell(nb, "cube")].outputs = [nbformat.v4.new_output("stream", name="stdout", text="hi")]
    nb.cells[toy.find_cell(nb, "cube")].execution_count = 7
    repaired, _ = repair_notebook(nb, release, "02_cubes")
    code = [cell for cell in repaired.cells if cell.cell_type == "code"]
    assert all(cell.outputs == [] and cell.execution_count is None for cell in code)
    assert validation_error(repaired) is None
    json.loads(nbformat.writes(repaired))
