"""A feedback page opened from disk in Chromium: maths drawn as MathML, the summary first, no network.

The page is written by the grading pipeline itself (``grade_class``, then ``generate_feedback``),
in a process of its own as the instructor's command would, for one student of the toy course
whose first notebook carries a real markdown cell of ``05_cost.ipynb``
(``grade_maths_class`` in ``tests/grading/test_grading_feedback.py``).
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

GRADING_TESTS = Path(__file__).resolve().parents[1] / "grading"
sys.path.insert(0, str(GRADING_TESTS))

import grading_toy as toy  # noqa: E402  (the toy course's constants; it imports nbformat only)

MATHML = "http://www.w3.org/1998/Math/MathML"

#: grades the student ``hardcoder`` (``square`` fails the hidden test) on the maths course in ``argv[1]``
GRADE = f"""
import sys
from pathlib import Path
sys.path.insert(0, {str(GRADING_TESTS)!r})
import grading_toy as toy
from test_grading_feedback import HARDCODED_SQUARE, grade_maths_class
grade_maths_class(Path(sys.argv[1]), {{"hardcoder": toy.solution_answers(square=HARDCODED_SQUARE)}})
"""


@pytest.fixture(scope="module")
def feedback_page(tmp_path_factory) -> Path:
    """The feedback page of ``01_squares`` of a student whose ``square`` fails the hidden test."""
    root = tmp_path_factory.mktemp("browser_feedback")
    graded = subprocess.run([sys.executable, "-c", GRADE, str(root)], cwd=GRADING_TESTS.parents[1],
                            capture_output=True, text=True, timeout=600)
    assert graded.returncode == 0, f"grading the page's class failed:\n{graded.stderr[-4000:]}"
    page = root / "work/course/feedback/hardcoder/toy/01_squares.html"
    assert page.is_file()
    return page


@pytest.fixture
def opened(page, feedback_page):
    """``page`` showing the feedback page from ``file://``; any other request is refused and recorded."""
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file://")
               else route.abort())
    page.goto(feedback_page.as_uri())
    page.wait_for_load_state("load")
    yield page, requested
    assert all(url.startswith("file://") for url in requested), requested


def test_nothing_is_fetched_from_the_network(opened, feedback_page):
    page, requested = opened
    page.wait_for_timeout(300)  # anything a script would fetch late
    assert requested == [feedback_page.as_uri()]
    assert page.evaluate("document.scripts.length") == 0


def test_the_formulas_are_drawn_as_mathml(opened):
    page, _ = opened
    cell = page.locator("div.text_cell_render", has_text="Why cross-entropy")
    formulas = cell.locator("math")
    assert formulas.count() == 16
    displayed = cell.locator("math[display=block]")
    assert displayed.count() == 2
    for index in range(displayed.count()):
        formula = displayed.nth(index)
        namespace, layout = formula.evaluate("e => [e.namespaceURI, getComputedStyle(e).display]")
        assert namespace == MATHML and layout == "block math"  # laid out by the browser's MathML engine
        box = formula.bounding_box()
        assert box is not None and box["width"] > 50 and box["height"] > 10
    # the fraction 1/m of J: its numerator sits above its denominator
    fraction = displayed.nth(1).locator("mfrac").first
    numerator, denominator = (fraction.locator(":scope > *").nth(index).bounding_box() for index in (0, 1))
    assert numerator["y"] + numerator["height"] <= denominator["y"] + 1
    text = cell.inner_text()
    assert "$" not in text.replace("$5", "").replace("$10", "") and "\\" not in text
    assert "a book costs $5 and a course $10" in text


def test_the_summary_comes_first_with_one_row_per_graded_cell(opened):
    page, _ = opened
    summary = page.locator("#feedback-summary")
    first_text = page.evaluate("""() => {
        const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT,
            node => node.textContent.trim() ? NodeFilter.FILTER_ACCEPT : NodeFilter.FILTER_SKIP);
        return walker.nextNode().parentElement.closest('#feedback-summary') !== null;
    }""")
    assert first_text
    box = summary.bounding_box()
    assert box["y"] < 100 and box["height"] > 0
    assert summary.locator("h2").inner_text() == "01_squares: 1 / 5 points"
    rows = [[cell.inner_text().split("\n") for cell in row.locator("td").all()]
            for row in summary.locator("tbody tr").all()]
    assert rows == [
        [["square_values", "square returns x * x for floats and arrays."], ["0 / 2"],
         [f"failed: {toy.HIDDEN_FAILURE_MESSAGE}"]],
        [["add_values", "add returns the sum."], ["1 / 1"], ["passed"]],
        [["explain_square", "written answer"], ["– / 2"], ["waiting for grading"]],
    ]
    for marker in toy.HIDDEN_MARKERS:
        assert marker not in summary.inner_text()


def test_a_summary_row_takes_the_reader_to_its_cell(opened):
    page, _ = opened
    top = "() => document.querySelector('a[name=add_values]').getBoundingClientRect().top"
    assert page.evaluate(top) > page.evaluate("innerHeight")  # below the fold at first
    page.locator("#feedback-summary a[href='#add_values']").click()
    assert page.evaluate("location.hash") == "#add_values"
    page.wait_for_function(f"() => ({top})() >= 0 && ({top})() < innerHeight")
    heading = page.locator("a[name=add_values] + div.panel-heading")
    assert "Score: 1.0 / 1.0" in heading.inner_text()
