"""Feedback pages: hidden tests and solutions removed (and what quotes them), maths as MathML, a summary first."""
from __future__ import annotations

import html
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import bs4
import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

import grading_toy as toy
from course_admin.grading.feedback import (FRAME_NOTE, HIDDEN_NOTE, LINE_NOTE, SOLUTION_NOTE, RedactHiddenTests,
                                           quoted_forms, redact_text, redact_traceback, secret_lines,
                                           split_regions)
from course_admin.grading.feedback_math import latex_to_mathml, markdown_to_html
from course_admin.grading.feedback_page import (GRADE_STATUS, SUMMARY, FeedbackSummary, SummaryRow,
                                                failure_message, first_line)

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


# ----------------------------------------------------------------------------- maths as MathML

COURSE = Path(__file__).resolve().parents[2] / "source_solutions" / "planar_nn"


def course_cell(notebook: str, heading: str) -> str:
    """The source of the markdown cell of a course notebook that starts with ``heading``."""
    nb = nbformat.read(COURSE / notebook, as_version=4)
    return next(cell.source for cell in nb.cells
                if cell.cell_type == "markdown" and cell.source.startswith(heading))


class Outline(HTMLParser):
    """Rendered HTML read back: the text outside maths and code, and each ``<math>`` with its
    display mode, the elements inside it and its text."""

    def __init__(self, markup: str):
        super().__init__()
        self.stack: list[str] = []
        self.text: list[str] = []
        self.maths: list[dict] = []
        self.feed(markup)

    def handle_starttag(self, tag, attrs):
        if tag == "math":
            self.maths.append({"display": dict(attrs).get("display"), "tags": [], "text": ""})
        elif "math" in self.stack:
            self.maths[-1]["tags"].append(tag)
        if tag not in ("br", "img", "hr", "input"):
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in self.stack:
            del self.stack[len(self.stack) - 1 - self.stack[::-1].index(tag):]

    def handle_data(self, data):
        if "math" in self.stack:
            self.maths[-1]["text"] += data
        elif "code" not in self.stack and "pre" not in self.stack:
            self.text.append(data)


def formula_displays(source: str) -> list[str]:
    """The oracle for a cell without money or code: every ``$$..$$`` is a display formula, every ``$..$`` inline."""
    return ["block" if formula.startswith("$$") else "inline"
            for formula in re.findall(r"\$\$.+?\$\$|\$.+?\$", source, flags=re.DOTALL)]


def test_a_cell_of_the_cost_notebook_has_all_its_formulas_as_mathml():
    source = course_cell("05_cost.ipynb", "## 1. Why cross-entropy")
    expected = formula_displays(source)
    assert expected.count("block") == 2 and expected.count("inline") == 14  # the cell as written
    outline = Outline(markdown_to_html(source))
    assert [math["display"] for math in outline.maths] == expected
    text = "".join(outline.text)
    assert "$" not in text and "\\" not in text  # no LaTeX left over outside the maths
    assert "Maximum likelihood." in text and "binary cross-entropy" in text
    # markdown did not reach inside: no emphasis, no lost underscore, every sub- and superscript there
    assert not any(tag in math["tags"] for math in outline.maths for tag in ("em", "strong", "p"))
    product = next(math for math in outline.maths if "∏" in math["text"])
    # \prod_{i=1}^{m} (a^{(i)})^{y^{(i)}} (1 - a^{(i)})^{1 - y^{(i)}}: limits beside the sign (inline), six powers
    assert product["tags"][:2] == ["mrow", "msubsup"] and product["tags"].count("msup") == 6
    loss = next(math for math in outline.maths if "ℒ" in math["text"])  # \mathcal{L}
    assert loss["display"] == "block" and "mfrac" in loss["tags"] and "∑" in loss["text"]


def test_the_aligned_equations_of_the_forward_notebook_become_a_table():
    source = course_cell("04_forward_propagation.ipynb", "Hidden unit $k$ computes")
    block = next(math for math in Outline(markdown_to_html(source)).maths if "mtable" in math["tags"])
    assert block["display"] == "block"
    assert block["tags"].count("mtr") == 4  # Z1, A1, Z2, A2: one row each
    assert "&" not in block["text"] and "tanh" in block["text"]


def test_money_code_spans_and_code_blocks_keep_their_dollars():
    source = ("It costs $5 and $10 for two, or $15 (`price = $5`), and $a_1 * b_2$ is maths.\n\n"
              "```python\nlabel = \"$x_1$\"\n```\n\n    $$ indented code $$\n\nEscaped: \\$3.")
    rendered = markdown_to_html(source)
    outline = Outline(rendered)
    assert len(outline.maths) == 1 and outline.maths[0]["tags"].count("msub") == 2
    assert "It costs $5 and $10 for two, or $15 (" in "".join(outline.text)
    assert "<code>price = $5</code>" in rendered
    assert '<span class="s2">"$x_1$"</span>' in rendered  # highlighted as code, not maths
    assert "<pre><code>$$ indented code $$" in rendered
    assert "Escaped: $3." in "".join(outline.text)


@pytest.mark.parametrize("latex", ["\\frac{1}{", "x^", "\\left(", "\\unknowncommand{x}", "\\text{a & b}"])
def test_a_formula_that_cannot_be_converted_stays_readable_as_its_latex(latex):
    assert latex_to_mathml(latex) is None
    rendered = markdown_to_html(f"Before ${latex}$ and after, with $y = 2$.")
    assert '<code class="latex-source"' in rendered
    assert html.escape(f"${latex}$") in rendered
    outline = Outline(rendered)
    assert len(outline.maths) == 1 and "Before" in "".join(outline.text) and "and after" in "".join(outline.text)


def test_converted_maths_is_plain_escaped_mathml():
    rendered = markdown_to_html("$\\text{<script>alert(1)</script>}$, $\\href{javascript:alert(1)}{x}$, "
                                "$\\style{color:red}{x}$ and $a < b$")
    assert "<script" not in rendered and "href=" not in rendered and "style=" not in rendered
    assert rendered.count('class="latex-source"') == 3  # shown as their LaTeX source instead
    assert "<mo>&lt;</mo>" in rendered


# ----------------------------------------------------------------------------- the summary


def graded_cell(source, grade_id, score, points, cell_type="code", solution=False, outputs=(), count=None):
    """A cell as nbgrader's GetGrades leaves it: its metadata holds its score and points."""
    meta = {"nbgrader": {"grade": True, "grade_id": grade_id, "solution": solution, "locked": not solution,
                         "schema_version": 3, "score": score, "points": points}}
    if cell_type == "markdown":
        return new_markdown_cell(source, metadata=meta)
    return new_code_cell(source, metadata=meta, execution_count=count, outputs=list(outputs))


def summary_of(cells, status=None, score=1.0, max_score=7.0):
    resources = {"nbgrader": {"notebook": "05_cost", "score": score, "max_score": max_score, "late_penalty": 0},
                 GRADE_STATUS: status or {}}
    nb, resources = RedactHiddenTests().preprocess(new_notebook(cells=cells), resources)
    nb, resources = FeedbackSummary().preprocess(nb, resources)
    return resources[SUMMARY]


TYPE_MESSAGE = ("compute_cost(A2, Y) has the wrong type: got ndarray of shape (1, 1), expected float.\n"
                "Hint: a matrix product such as Y @ np.log(A2).T returns a (1, 1) array, not a number.")
HIDDEN_TYPE_CELL = ('"""compute_cost: returns one Python float, not an array."""\n'
                    "checks.check_type(compute_cost(A2, Y), float)\n### BEGIN HIDDEN TESTS\n"
                    "hidden_cost_probe = compute_cost(np.array([[0.3]]), np.array([[1]]))\n"
                    'assert isinstance(hidden_cost_probe, float), "compute_cost is wrong with one example."\n'
                    "### END HIDDEN TESTS")


def test_summary_rows_for_passing_failing_and_hand_graded_cells():
    failing = graded_cell('"""compute_cost: value on the fixed example."""\ncheck()', "compute_cost_values",
                          0.0, 2.0, count=5, outputs=[new_output("error", ename="AssertionError",
                                                                 evalue=TYPE_MESSAGE, traceback=[])])
    crashed = graded_cell("compute_cost(A2, Y)", "compute_cost_shape", 0.0, 1.0, count=6, outputs=[
        new_output("error", ename="NameError", evalue="name 'compute_cost' is not defined", traceback=[])])
    cells = [graded_cell('"""compute_cost: returns a float."""\ncheck()', "compute_cost_type", 1.0, 1.0),
             failing, crashed,
             graded_cell("My answer.", "explain_cost", 2.0, 2.0, cell_type="markdown", solution=True),
             graded_cell("Other answer.", "explain_log", None, 1.0, cell_type="markdown", solution=True)]
    summary = summary_of(cells, status={"explain_cost": "graded", "explain_log": "waiting"})
    assert summary["rows"] == [
        SummaryRow("compute_cost_type", "compute_cost: returns a float.", 1.0, 1.0, "passed", ""),
        SummaryRow("compute_cost_values", "compute_cost: value on the fixed example.", 0.0, 2.0, "failed",
                   "compute_cost(A2, Y) has the wrong type: got ndarray of shape (1, 1), expected float."),
        SummaryRow("compute_cost_shape", "", 0.0, 1.0, "failed", "NameError: name 'compute_cost' is not defined"),
        SummaryRow("explain_cost", "written answer", 2.0, 2.0, "graded", "graded by your instructor"),
        SummaryRow("explain_log", "written answer", None, 1.0, "waiting", "waiting for grading"),
    ]
    page = summary["html"]
    assert "<h2>05_cost: 1 / 7 points</h2>" in page
    assert "1 point still to be graded by your instructor." in page
    assert page.count('<a href="#') == 5 and '<a href="#compute_cost_values">' in page
    assert "Hint:" not in page  # the first line only


def test_a_failing_hidden_test_shows_its_verdict_and_no_line_of_its_code():
    failing_line = 'assert isinstance(hidden_cost_probe, float), "compute_cost is wrong with one example."'
    cell = graded_cell(HIDDEN_TYPE_CELL, "compute_cost_type", 0.0, 1.0, count=9, outputs=[new_output(
        "error", ename="AssertionError", evalue="compute_cost is wrong with one example.",
        traceback=ipython_traceback(9, [(4, "hidden_cost_probe = compute_cost(np.array([[0.3]]), np.array([[1]]))"),
                                        (5, failing_line)], 5, "compute_cost is wrong with one example."))])
    # a submission that raises with the hidden line as its message (it read it from In or the file)
    quoting = graded_cell("check()", "compute_cost_values", 0.0, 2.0, count=10, outputs=[new_output(
        "error", ename="ValueError", evalue=f"{failing_line}\nmore", traceback=[])])
    summary = summary_of([cell, quoting])
    assert summary["rows"][0] == SummaryRow("compute_cost_type", "compute_cost: returns one Python float, not an array.",
                                            0.0, 1.0, "failed", "compute_cost is wrong with one example.")
    assert summary["rows"][1].message == f"ValueError: {LINE_NOTE}"
    page = html.unescape(summary["html"])
    for line in HIDDEN_TYPE_CELL.split("\n")[2:]:
        assert line not in page
    assert "hidden_cost_probe" not in page and "isinstance" not in page


def test_the_summary_escapes_what_the_student_wrote():
    cell = graded_cell("check()", "f_values", 0.0, 1.0, count=2, outputs=[new_output(
        "error", ename="AssertionError", evalue="<img src=x onerror=alert(1)> & more", traceback=[])])
    page = summary_of([cell])["html"]
    assert "<img" not in page and "&lt;img src=x onerror=alert(1)&gt; &amp; more" in page


def test_failure_messages_are_one_line_and_name_unexpected_errors():
    assert first_line("\n\n  first  \nsecond") == "first"
    assert first_line("x" * 500).endswith("…") and len(first_line("x" * 500)) == 240
    cell = new_code_cell("x", outputs=[new_output("error", ename="NotImplementedError", evalue="", traceback=[])])
    assert failure_message(cell) == "NotImplementedError"
    # the grader's own note comes last and is the reason shown
    cell.outputs.append(new_output("error", ename="NotRun", evalue="this cell was not run: the kernel died.",
                                   traceback=[]))
    assert failure_message(cell) == "this cell was not run: the kernel died."


# ----------------------------------------------------------------------------- pages of a graded class

#: a real cell of the course (two display formulas, fourteen inline ones), then money and code
MATHS_CELL = course_cell("05_cost.ipynb", "## 1. Why cross-entropy") + \
    "\n\nNot maths: a book costs $5 and a course $10; in code, `price = \"$5\"`."
HARDCODED_SQUARE = "def square(x):\n    return abs(x) * 3.0 if np.ndim(x) == 0 else x * x\n"
#: raises with a hidden line of the test that calls it (the running cell's source is ``In[-1]``)
QUOTING_SQUARE = ("def square(x):\n"
                  "    raise ValueError(next(line for line in In[-1].splitlines() if 'hidden_probe_square ==' in line))\n")


def write_maths_course(root: Path) -> Path:
    """The toy course of ``grading_toy``, with :data:`MATHS_CELL` after the title of ``01_squares``."""
    notebooks = toy.source_notebooks()
    notebooks["01_squares.ipynb"].cells.insert(1, new_markdown_cell(MATHS_CELL))
    source = root / "source_solutions" / toy.ASSIGNMENT
    source.mkdir(parents=True)
    for name, nb in notebooks.items():
        nbformat.write(nb, source / name)
    (root / "nbgrader_config.py").write_text(toy.CONFIG)
    return root


def grade_maths_class(root: Path, students: dict[str, dict[str, str] | None]) -> Path:
    """Grade ``students`` (name -> answers, None for the untouched release) on the maths course; return the work directory."""
    from course_admin.grading import GradingSettings, grade_class, prepare_workspace
    from course_admin.grading.sandbox import check

    settings = GradingSettings(sandbox=check().works)
    course, workdir = write_maths_course(root / "course_root"), root / "work"
    release = prepare_workspace(course, toy.ASSIGNMENT, workdir, settings).release_dir
    for student, answers in students.items():
        for name in toy.NOTEBOOKS:
            nb = nbformat.read(release / name, as_version=4)
            toy.write_notebook(root / "class" / student / toy.ASSIGNMENT / name,
                               toy.answered(nb, answers) if answers is not None else nb)
    grade_class(course, toy.ASSIGNMENT, root / "class", workdir, workers=1, settings=settings)
    return workdir


@pytest.fixture(scope="module")
def maths_class(tmp_path_factory) -> Path:
    return grade_maths_class(tmp_path_factory.mktemp("maths_class"), {
        "alice": toy.solution_answers(), "hardcoder": toy.solution_answers(square=HARDCODED_SQUARE), "blank": None,
        "quoter": toy.solution_answers(square=QUOTING_SQUARE)})


def page_of(workdir: Path, student: str, notebook: str = "01_squares") -> bs4.BeautifulSoup:
    return bs4.BeautifulSoup((workdir / f"course/feedback/{student}/toy/{notebook}.html").read_text(), "html.parser")


def summary_table(page: bs4.BeautifulSoup) -> list[list[str]]:
    """The rows of the summary as a reader sees them: cell, points, result."""
    return [[" ".join(td.get_text(" ", strip=True).split()) for td in row.find_all("td")]
            for row in page.select("#feedback-summary tbody tr")]


def test_every_page_opens_with_its_summary_and_loads_nothing(maths_class):
    pages = sorted((maths_class / "course/feedback").rglob("*.html"))
    assert len(pages) == 8
    for path in pages:
        text = path.read_text()
        page = bs4.BeautifulSoup(text, "html.parser")
        first_text = next(string for string in page.body.find_all(string=True) if string.strip())
        assert first_text.find_parent(id="feedback-summary") is not None, path
        assert page.find("script") is None and "cdnjs" not in text, path  # (a comment still says "mathjax")
        assert not page.select("link, iframe, [src^=http], [src^='//']"), path
        assert "Test cell" not in page.get_text()  # nbgrader's list of links is gone: the summary replaces it


def test_the_summary_of_a_hard_coded_answer(maths_class):
    page = page_of(maths_class, "hardcoder")
    assert page.select_one("#feedback-summary h2").get_text() == "01_squares: 1 / 5 points"
    assert summary_table(page) == [
        ["square_values square returns x * x for floats and arrays.", "0 / 2",
         f"failed: {toy.HIDDEN_FAILURE_MESSAGE}"],
        ["add_values add returns the sum.", "1 / 1", "passed"],
        ["explain_square written answer", "– / 2", "waiting for grading"],
    ]
    summary = page.select_one("#feedback-summary").get_text()
    for marker in (*toy.HIDDEN_MARKERS, *toy.SOLUTION_MARKERS, "assert", "56.25"):
        assert marker not in summary
    # each row links to its cell, whose anchor nbgrader's template writes
    for link in page.select("#feedback-summary a[href^='#']"):
        assert page.find("a", attrs={"name": link["href"][1:]}) is not None, link


def test_a_message_that_quotes_a_hidden_line_is_redacted_before_the_summary_is_built(maths_class):
    page = page_of(maths_class, "quoter")
    assert summary_table(page)[0] == ["square_values square returns x * x for floats and arrays.", "0 / 2",
                                      f"failed: ValueError: {LINE_NOTE}"]
    assert "56.25" not in page.get_text()  # the hidden line (the student's code names its start only)


def test_the_summaries_of_a_blank_release_and_a_full_answer(maths_class):
    assert summary_table(page_of(maths_class, "blank")) == [
        ["square_values square returns x * x for floats and arrays.", "0 / 2",
         "failed: NameError: name 'square' is not defined"],
        ["add_values add returns the sum.", "0 / 1", "failed: NameError: name 'add' is not defined"],
        ["explain_square written answer", "0 / 2", "not answered"],
    ]
    assert summary_table(page_of(maths_class, "alice", "02_cubes")) == [
        ["cube_values cube returns x ** 3.", "2 / 2", "passed"],
        ["halve_values halve divides by two.", "1 / 1", "passed"],
    ]
    assert page_of(maths_class, "alice").select_one("#feedback-summary .feedback-note").get_text() == \
        "2 points still to be graded by your instructor."


def test_the_maths_of_a_markdown_cell_is_in_the_page_as_mathml(maths_class):
    page = page_of(maths_class, "alice")
    cell = next(div for div in page.select("div.text_cell_render") if "Why cross-entropy" in div.get_text())
    expected = formula_displays(course_cell("05_cost.ipynb", "## 1. Why cross-entropy"))
    assert [math["display"] for math in cell.find_all("math")] == expected
    text = "".join(cell.find_all(string=True, recursive=True))
    assert "a book costs $5 and a course $10" in text and 'price = "$5"' in text
    assert "$$" not in text and "\\frac" not in text


def test_a_hand_grade_shows_in_the_regenerated_summary(maths_class):
    from nbgrader.api import Gradebook

    from course_admin.grading import regenerate_feedback

    with Gradebook(f"sqlite:///{maths_class / 'course/gradebook.db'}") as gradebook:
        grade = gradebook.find_grade("explain_square", "01_squares", toy.ASSIGNMENT, "alice")
        grade.manual_score = 1.5
        gradebook.db.commit()
    regenerate_feedback(maths_class / "../course_root", toy.ASSIGNMENT, maths_class, ["alice"])
    page = page_of(maths_class, "alice")
    assert page.select_one("#feedback-summary h2").get_text() == "01_squares: 4.5 / 5 points"
    assert summary_table(page)[-1] == ["explain_square written answer", "1.5 / 2", "graded by your instructor"]
    assert page.select_one("#feedback-summary .feedback-note") is None


def test_the_page_is_the_document_nbconverts_html_exporter_makes_with_every_image_described():
    """The exporter skips nbconvert's second parse of the page (most of its time) and loses nothing by it."""
    import nbgrader
    from nbconvert.exporters import HTMLExporter
    from traitlets.config import Config

    from course_admin.grading.feedback_page import FeedbackExporter

    templates = Path(nbgrader.__file__).parent / "server_extensions" / "formgrader"
    config = Config()
    config.HTMLExporter.template_name = "feedback"
    config.HTMLExporter.extra_template_basedirs = [str(templates / "templates")]
    config.HTMLExporter.extra_template_paths = [str(templates / "static" / "node_modules" / "bootstrap" / "dist" / "css")]
    figure = new_output("display_data", data={"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"})
    described = new_output("display_data", data={"text/html": '<img src="x.png" alt="the flower">'})
    nb = new_notebook(cells=[new_markdown_cell("# The cost\n\n$J = 1$"),
                             graded_cell("print(1 > 0)", "cost_values", 1.0, 1.0, outputs=[figure, described],
                                         count=1)])
    exporter = FeedbackExporter(config=config)
    page, _ = exporter.from_notebook_node(nb)
    theirs, _ = HTMLExporter.from_notebook_node(FeedbackExporter(config=config), nb)
    assert str(bs4.BeautifulSoup(page, "html.parser")) == theirs
    images = bs4.BeautifulSoup(page, "html.parser").select("img")
    assert [image.get("alt") for image in images] == ["No description has been provided for this image",
                                                      "the flower"]


@pytest.mark.parametrize("source, title", [
    ('"""softmax: columns sum to 1, and shifted scores give the same\nprobabilities."""\nchecks.f()',
     "softmax: columns sum to 1, and shifted scores give the same probabilities."),
    ('"""nn_model: the cost list.\n\nMore on the run."""\nx = 1', "nn_model: the cost list."),
    ("'sigmoid values'\nassert sigmoid(0) == 0.5", "sigmoid values"),
    ("assert sigmoid(0) == 0.5", ""),
])
def test_the_summary_names_a_cell_by_its_whole_first_docstring_paragraph(source, title):
    from course_admin.grading.feedback_page import docstring_title

    assert docstring_title(source) == title
