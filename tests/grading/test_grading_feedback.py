"""Removing hidden tests, solutions and the traceback lines that quote them, before feedback is rendered."""
from __future__ import annotations

import html
import json

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from course_admin.grading.feedback import (FRAME_NOTE, HIDDEN_NOTE, LINE_NOTE, SOLUTION_NOTE, RedactHiddenTests,
                                           quoted_forms, redact_text, redact_traceback, secret_lines,
                                           split_regions)

ESC = "\x1b"

HIDDEN_CELL = (
    '"""sigmoid values."""\n'
    "assert sigmoid(0) == 0.5\n"
    "### BEGIN HIDDEN TESTS\n"
    "secret_expected = 0.7310585786300049\n"
    'assert abs(sigmoid(1) - secret_expected) < 1e-12, "sigmoid(1) is wrong."\n'
    "### END HIDDEN TESTS"
)


def ipython_traceback(count: int, lines: list[tuple[int, str]], failing: int, message: str) -> list[str]:
    """A traceback shaped like IPython 9's: header, one frame with coloured code lines, the error line."""
    body = "".join(
        f"{ESC}[32m{'----> ' if number == failing else '      '}{ESC}[39m{ESC}[32m{number}{ESC}[39m {text}\n"
        for number, text in lines)
    return [
        f"{ESC}[31m{'-' * 75}{ESC}[39m",
        f"{ESC}[31mAssertionError{ESC}[39m                            Traceback (most recent call last)",
        f"{ESC}[36mCell{ESC}[39m{ESC}[36m {ESC}[39m{ESC}[32mIn[{count}]{ESC}[39m"
        f"{ESC}[32m, line {failing}{ESC}[39m\n" + body,
        f"{ESC}[31mAssertionError{ESC}[39m: {message}",
    ]


def test_split_regions_marks_where_a_region_was_and_runs_an_open_region_to_the_end():
    kept, inside = split_regions("a\n### BEGIN X\nb\n### END X\nc\n    ### BEGIN X\nd", "BEGIN X", "END X")
    assert kept == ["a", ("",), "c", ("    ",)]
    assert inside == ["b", "d"]


def test_frames_of_hidden_test_cells_are_reduced_to_their_header():
    traceback = ipython_traceback(7, [(4, "secret_expected = 0.7310585786300049"),
                                      (5, 'assert abs(sigmoid(1) - secret_expected) < 1e-12, "sigmoid(1) is wrong."')],
                                  5, "sigmoid(1) is wrong.")
    redacted = redact_traceback(traceback, {7}, {"secret_expected = 0.7310585786300049"})
    assert redacted[2] == f"Cell In[7] {FRAME_NOTE}"
    assert redacted[3] == traceback[3]
    assert "secret_expected" not in "".join(redacted)


def test_frames_of_other_cells_keep_their_code_except_lines_quoting_hidden_tests():
    traceback = ipython_traceback(3, [(1, "def sigmoid(z):"), (2, "    return helper_secret_line(z)")], 2, "boom")
    redacted = redact_traceback(traceback, {7}, {"return helper_secret_line(z)"})
    assert "def sigmoid(z):" in redacted[2]
    assert "helper_secret_line" not in redacted[2]


def test_the_preprocessor_strips_hidden_tests_solutions_and_their_traceback_lines():
    failing_line = 'assert abs(sigmoid(1) - secret_expected) < 1e-12, "sigmoid(1) is wrong."'
    test_cell = new_code_cell(HIDDEN_CELL, execution_count=7, outputs=[new_output(
        "error", ename="AssertionError", evalue="sigmoid(1) is wrong.",
        traceback=ipython_traceback(7, [(5, failing_line)], 5, "sigmoid(1) is wrong."))])
    later = new_code_cell("check(secret_expected)", execution_count=8, outputs=[new_output(
        "error", ename="NameError", evalue="x",
        traceback=ipython_traceback(8, [(1, "secret_expected = 0.7310585786300049")], 1, "x"))])
    written = new_markdown_cell("### BEGIN SOLUTION\nThe instructor's model answer.\n### END SOLUTION")
    code = new_code_cell("def f():\n    ### BEGIN SOLUTION\n    return 42\n    ### END SOLUTION")
    nb = new_notebook(cells=[test_cell, later, written, code])

    nb, _ = RedactHiddenTests().preprocess(nb, {})
    text = nbformat.writes(nb)
    for secret in ("secret_expected = 0.73", "0.7310585786300049", "model answer", "return 42", "BEGIN"):
        assert secret not in text
    assert nb.cells[0].source == '"""sigmoid values."""\nassert sigmoid(0) == 0.5\n' + HIDDEN_NOTE
    assert nb.cells[0].outputs[0].traceback[2] == f"Cell In[7] {FRAME_NOTE}"
    assert nb.cells[0].outputs[0].traceback[-1].endswith("sigmoid(1) is wrong.")
    assert nb.cells[2].source == SOLUTION_NOTE
    assert nb.cells[3].source == "def f():\n    " + SOLUTION_NOTE


def test_secret_lines_are_the_specific_lines_of_hidden_and_solution_regions():
    solution = "def f(x):\n    ### BEGIN SOLUTION\n    return x + 1\n    ### END SOLUTION"
    nb = new_notebook(cells=[new_code_cell(HIDDEN_CELL), new_code_cell(solution)])
    markers = [("BEGIN HIDDEN TESTS", "END HIDDEN TESTS"), ("BEGIN SOLUTION", "END SOLUTION")]
    assert secret_lines([nb], markers) == {
        "secret_expected = 0.7310585786300049",
        'assert abs(sigmoid(1) - secret_expected) < 1e-12, "sigmoid(1) is wrong."',
        "return x + 1",
    }


def test_quoted_forms_cover_repr_json_and_html():
    line = 'assert f(\'a\') == "b", "f is wrong."'
    forms = quoted_forms(line)
    assert json.dumps(line)[1:-1] in forms
    assert repr(line)[1:-1] in forms
    assert html.escape(line) in forms


def test_output_lines_quoting_a_secret_are_replaced_whatever_their_form():
    secrets = {"secret_expected = 0.7310585786300049"}
    history = "['import numpy as np', 'x = 1\\nsecret_expected = 0.7310585786300049\\n']"
    text = f"first line\n{history}\n   \"secret_expected = 0.7310585786300049\\n\",\nlast line"
    assert redact_text(text, secrets) == f"first line\n{LINE_NOTE}\n{LINE_NOTE}\nlast line"
    assert redact_text("nothing to hide", secrets) == "nothing to hide"
    quoted = 'assert hidden == 1, "hidden is wrong."'
    from_json = '    "assert hidden == 1, \\"hidden is wrong.\\"\\n",'
    assert redact_text(from_json, {quoted}) == LINE_NOTE


def test_the_preprocessor_redacts_printed_history_with_the_sources_secrets(tmp_path):
    source = tmp_path / "source"
    source.mkdir()
    nbformat.write(new_notebook(cells=[new_code_cell(HIDDEN_CELL)]), source / "05_other.ipynb")
    printed = new_code_cell("print(In)", execution_count=2, outputs=[
        new_output("stream", name="stdout", text="['', 'secret_expected = 0.7310585786300049']\nok\n"
                                                 "  ### BEGIN HIDDEN TESTS\n"),
        new_output("execute_result", execution_count=2,
                   data={"text/plain": "assert abs(sigmoid(1) - secret_expected) < 1e-12, \"sigmoid(1) is wrong.\""}),
    ])
    nb, _ = RedactHiddenTests(source_dir=str(source)).preprocess(new_notebook(cells=[printed]), {})
    assert nb.cells[0].outputs[0].text == f"{LINE_NOTE}\nok\n{LINE_NOTE}\n"
    assert nb.cells[0].outputs[1].data["text/plain"] == LINE_NOTE


def test_lines_the_students_were_given_are_not_secrets(tmp_path):
    source, release = tmp_path / "source", tmp_path / "release"
    source.mkdir()
    release.mkdir()
    hidden = "### BEGIN HIDDEN TESTS\ncost = compute_cost(A2, Y)\nassert cost_is_secret(cost)\n### END HIDDEN TESTS"
    nbformat.write(new_notebook(cells=[new_code_cell(hidden)]), source / "05_cost.ipynb")
    nbformat.write(new_notebook(cells=[new_code_cell("cost = compute_cost(A2, Y)\nprint(cost)")]),
                   release / "05_cost.ipynb")
    tried = new_code_cell("cost = compute_cost(A2, Y)", execution_count=3, outputs=[new_output(
        "error", ename="NotImplementedError", evalue="",
        traceback=ipython_traceback(3, [(1, "cost = compute_cost(A2, Y)")], 1, ""))])
    printed = new_code_cell("print(In)", execution_count=4, outputs=[
        new_output("stream", name="stdout", text="cost = compute_cost(A2, Y)\nassert cost_is_secret(cost)\n")])
    nb = new_notebook(cells=[tried, printed])
    nb, _ = RedactHiddenTests(source_dir=str(source), release_dir=str(release)).preprocess(nb, {})
    assert "cost = compute_cost(A2, Y)" in nb.cells[0].outputs[0].traceback[2]
    assert nb.cells[1].outputs[0].text == f"cost = compute_cost(A2, Y)\n{LINE_NOTE}\n"


def test_a_changed_source_notebook_is_read_again(tmp_path):
    """The notebooks of the source and release folders are read once, and again when one changes."""
    source = tmp_path / "source"
    source.mkdir()
    printed = new_code_cell("print(In)", execution_count=2, outputs=[
        new_output("stream", name="stdout", text="secret_expected = 0.7310585786300049\nnew_secret_line = 42\n")])
    nbformat.write(new_notebook(cells=[new_code_cell(HIDDEN_CELL)]), source / "05_other.ipynb")
    redact = RedactHiddenTests(source_dir=str(source))
    nb, _ = redact.preprocess(new_notebook(cells=[printed]), {})
    assert nb.cells[0].outputs[0].text == f"{LINE_NOTE}\nnew_secret_line = 42\n"
    changed = HIDDEN_CELL.replace("### END HIDDEN TESTS", "new_secret_line = 42\n### END HIDDEN TESTS")
    nbformat.write(new_notebook(cells=[new_code_cell(changed)]), source / "05_other.ipynb")
    printed.outputs[0].text = "secret_expected = 0.7310585786300049\nnew_secret_line = 42\n"
    nb, _ = redact.preprocess(new_notebook(cells=[printed]), {})
    assert nb.cells[0].outputs[0].text == f"{LINE_NOTE}\n{LINE_NOTE}\n"
