"""The course's unchanged demonstration cells: flagged while sanitising, skipped unless asked for."""
from __future__ import annotations

import copy
import html
import re
import shutil

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

import grading_toy as toy
from conftest import ISOLATED
from course_admin.grading.demo_cells import (DEMO_FLAG, global_names, is_course_demo, mark_course_demos,
                                        normalised_source)

SETUP = new_code_cell("import numpy as np\nX = np.ones((2, 3))",
                      metadata={"nbgrader": {"grade_id": "setup", "locked": True, "grade": False,
                                             "solution": False, "schema_version": 3}})


def answer(source: str):
    return new_code_cell(source, metadata={"nbgrader": {"grade_id": "f", "solution": True, "grade": False,
                                                        "locked": False, "schema_version": 3}})


def graded_test_cell(source: str = "assert f(2) == 4"):
    return new_code_cell(source, metadata={"nbgrader": {"grade_id": "f_values", "grade": True, "locked": True,
                                                        "points": 1, "solution": False, "schema_version": 3}})


def release_with(*demos: str):
    """Setup, an answer cell, the given demonstrations, a test cell."""
    return new_notebook(cells=[new_markdown_cell("# f"), copy.deepcopy(SETUP), answer("# YOUR CODE HERE"),
                               *(new_code_cell(source) for source in demos), graded_test_cell()])


def flags(nb) -> list[bool]:
    return [cell.metadata.get(DEMO_FLAG) is True for cell in nb.cells]


# ----------------------------------------------------------------------------- what is flagged


def test_unchanged_demonstrations_are_flagged_and_nothing_else():
    release = release_with("print(f(3))", "Z = X * 2\nprint(Z)")
    nb = copy.deepcopy(release)
    nb.cells[2].source = "def f(x):\n    return x * x"
    assert mark_course_demos(nb, release) == [3, 4]
    assert flags(nb) == [False, False, False, True, True, False]
    assert [is_course_demo(cell) for cell in nb.cells] == flags(nb)


def test_trailing_whitespace_does_not_make_a_demonstration_changed():
    release = release_with("for i in range(3):\n    print(i)")
    nb = copy.deepcopy(release)
    nb.cells[3].source = "for i in range(3):   \n    print(i)\t\n\n"
    assert mark_course_demos(nb, release) == [3]
    assert normalised_source("a = 1  \r\nb = 2\n\n") == "a = 1\nb = 2"


def test_changed_and_added_cells_are_not_flagged():
    release = release_with("print(f(3))")
    nb = copy.deepcopy(release)
    nb.cells[3].source = "print(f(3), f(4))"
    nb.cells.insert(2, new_code_cell("def helper(x):\n    return x * x"))
    assert mark_course_demos(nb, release) == []


def test_a_cell_with_nbgrader_metadata_is_never_flagged_even_with_a_demonstration_s_code():
    release = release_with("print(f(3))")
    nb = copy.deepcopy(release)
    nb.cells[2].source = "print(f(3))"  # the answer cell holds the code of a demonstration
    assert mark_course_demos(nb, release) == [3]
    assert not is_course_demo(nb.cells[2])


def test_flags_that_came_with_the_submission_are_removed():
    release = release_with("print(f(3))")
    nb = copy.deepcopy(release)
    nb.cells.insert(3, new_code_cell("def helper(x):\n    return x", metadata={DEMO_FLAG: True}))
    nb.cells[-1].metadata[DEMO_FLAG] = True  # the test cell
    assert mark_course_demos(nb, release) == [4]
    assert flags(nb) == [False, False, False, False, True, False]


def test_a_flagged_graded_cell_is_not_a_demonstration():
    cell = graded_test_cell()
    cell.metadata[DEMO_FLAG] = True
    assert not is_course_demo(cell)
    assert not is_course_demo(new_markdown_cell("text", metadata={DEMO_FLAG: True}))


# ----------------------------------------------------------------------------- globals the other cells need


def test_a_demonstration_whose_global_an_answer_reads_still_runs():
    release = release_with("W = np.zeros((1, 2))\nprint(W)", "print(f(3))")
    for source in ("def f(x):\n    return W @ x",  # inside a function
                   "n_w = W.shape[1]"):  # at the top level
        nb = copy.deepcopy(release)
        nb.cells[2].source = source
        assert mark_course_demos(nb, release) == [4], source


def test_a_kept_demonstration_keeps_the_ones_it_reads_from():
    release = release_with("scale = 3.0", "W = np.full((1, 2), scale)", "print(f(3))")
    nb = copy.deepcopy(release)
    nb.cells[2].source = "def f(x):\n    return W @ x"
    assert mark_course_demos(nb, release) == [5]


def test_a_name_the_answer_binds_itself_or_takes_as_argument_keeps_nothing():
    release = release_with("W = np.zeros((1, 2))")
    for source in ("def f(W, x):\n    return W @ x", "W = np.eye(2)\nn_w = W.shape[1]",
                   "def f(x):\n    W = 2\n    return W * x"):
        nb = copy.deepcopy(release)
        nb.cells[2].source = source
        assert mark_course_demos(nb, release) == [3], source


@pytest.mark.parametrize("source, binds, reads", [
    ("import numpy as np\nfrom os import path as p", {"np", "p"}, set()),
    ("def f(x):\n    return g(x) + np.pi", {"f"}, {"g", "np"}),
    ("a = b + 1\nprint(a)", {"a"}, {"b", "print"}),
    ("class C:\n    size = N\n    def m(self):\n        return M", {"C"}, {"N", "M"}),
    ("def f():\n    global G\n    G = 1", {"f", "G"}, set()),
    ("total = sum(v * w for v in values)", {"total"}, {"sum", "w", "values"}),
    ("%matplotlib inline\nfig = make()", {"fig"}, {"get_ipython", "make"}),
    ("def broken(:\n    pass", set(), set()),
    # a comprehension in a loop reads the loop's own variable, not a demonstration's
    ("for n in sizes:\n    print([n * k for k in ks])", {"n"}, {"sizes", "print", "ks"}),
])
def test_global_names_of_a_cell(source, binds, reads):
    found_binds, found_reads = global_names(source)
    assert set(found_binds) == binds
    assert set(found_reads) == reads


# ----------------------------------------------------------------------------- grading the toy class


@pytest.fixture(scope="module")
def graded_with_demos(graded_class, tmp_path_factory):
    """Three students of the toy class graded again, with the demonstrations run."""
    from course_admin.grading import GradingSettings, grade_class

    submissions = tmp_path_factory.mktemp("demo_class")
    for student in ("alice", "blank", "tinkerer"):
        shutil.copytree(graded_class.submissions / student, submissions / student)
    workdir = tmp_path_factory.mktemp("demo_work")
    report = grade_class(graded_class.course, toy.ASSIGNMENT, submissions, workdir, workers=2,
                         settings=GradingSettings(run_course_demos=True, sandbox=ISOLATED))
    return report, workdir


def graded_cell(workdir, student: str, notebook: str, source_start: str):
    nb = nbformat.read(workdir / f"course/autograded/{student}/toy/{notebook}.ipynb", as_version=4)
    return next(cell for cell in nb.cells if cell.source.startswith(source_start))


def feedback_text(workdir, student: str, notebook: str) -> str:
    """A feedback page without its tags (code is highlighted token by token), entities decoded."""
    page = (workdir / f"course/feedback/{student}/toy/{notebook}.html").read_text()
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def error_names(cell) -> list[str]:
    return [output.ename for output in cell.outputs if output.output_type == "error"]


def test_by_default_an_unchanged_demonstration_does_not_run(graded_class):
    for student in ("alice", "blank"):
        for notebook, start in (("01_squares", "square(4.0)"), ("02_cubes", "# try it: a few cubes")):
            cell = graded_cell(graded_class.workdir, student, notebook, start)
            assert (cell.outputs, cell.execution_count) == ([], None), (student, notebook)
    assert f"RuntimeError: {toy.DEMO_RAN}" not in feedback_text(graded_class.workdir, "alice", "02_cubes")


def test_with_run_course_demos_the_demonstrations_run(graded_with_demos):
    _, workdir = graded_with_demos
    cell = graded_cell(workdir, "alice", "02_cubes", "# try it: a few cubes")
    assert error_names(cell) == ["RuntimeError"] and cell.outputs[-1].evalue == toy.DEMO_RAN
    assert cell.outputs[0].text == "cubes: [1.0, 8.0]\n"
    cell = graded_cell(workdir, "alice", "01_squares", "square(4.0)")
    assert cell.outputs[0].data["text/plain"] == "16.0"
    assert f"RuntimeError: {toy.DEMO_RAN}" in feedback_text(workdir, "alice", "02_cubes")


def test_running_the_demonstrations_changes_no_score(graded_class, graded_with_demos):
    report, _ = graded_with_demos
    assert report.scores() == {student: graded_class.expected[student] for student in ("alice", "blank", "tinkerer")}


def test_changed_and_added_cells_run_and_forged_flags_are_ignored(graded_class):
    workdir = graded_class.workdir
    changed = graded_cell(workdir, "tinkerer", "01_squares", 'print("my own try:"')
    assert changed.outputs[0].text == toy.TINKERED_OUTPUT + "\n"
    helper = graded_cell(workdir, "tinkerer", "02_cubes", "def cube_helper(x):")
    assert helper.execution_count is not None
    # cube, answered with the helper, passes; halve's test ran despite its flag and fails
    assert graded_class.parallel.scores()["tinkerer"] == {"01_squares": 3, "02_cubes": 2}
    halve_test = graded_cell(workdir, "tinkerer", "02_cubes", '"""halve divides by two."""')
    assert error_names(halve_test) == ["AssertionError"]
    demo = graded_cell(workdir, "tinkerer", "02_cubes", "# try it: a few cubes")
    assert (demo.outputs, demo.execution_count) == ([], None)
