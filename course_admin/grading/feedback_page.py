"""The feedback page: a summary of the grades first, then the notebook, readable offline.

- :class:`GetGradesWithStatus`: nbgrader's ``GetGrades``, also noting whether each written
  answer has been graded by hand yet;
- :class:`FeedbackSummary`: one :class:`SummaryRow` per graded cell, in notebook order, and
  the summary's HTML (:func:`render_summary`) in ``resources["feedback_summary"]``. It must run
  after :class:`~.feedback.RedactHiddenTests`: it reads the redacted sources and messages only;
- :class:`FeedbackExporter`: nbgrader's "feedback" template with the summary at the top instead
  of its list of "Test cell" links, markdown maths as MathML (:mod:`.feedback_math`) and no
  script at all (the template's MathJax, loaded from a CDN, is replaced by the page's styles).
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass
from urllib.parse import quote

from jinja2 import DictLoader, pass_context
from nbconvert.exporters import HTMLExporter, TemplateExporter
from nbconvert.filters.highlight import Highlight2HTML
from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter
from nbgrader import utils
from nbgrader.preprocessors import GetGrades, NbGraderPreprocessor
from traitlets import default

from .fair_execute import KERNEL_DIED, KERNEL_UNRESPONSIVE, NOT_RUN, UNTRUSTED
from .feedback_math import markdown_to_html

#: key of ``resources`` where :class:`GetGradesWithStatus` leaves grade_id -> hand-grading status
GRADE_STATUS = "feedback_grade_status"
#: key of ``resources`` where :class:`FeedbackSummary` leaves the summary (rows and HTML)
SUMMARY = "feedback_summary"

#: errors whose message is already a sentence for the student: shown without their name
_PLAIN_MESSAGES = {"AssertionError", KERNEL_DIED, KERNEL_UNRESPONSIVE, NOT_RUN, UNTRUSTED}
_MESSAGE_CHARS = 240
#: an ``<img`` tag without an alt text (base64 data holds no ``>``)
_IMAGE_WITHOUT_ALT = re.compile(r"<img\b(?![^>]*\salt=)")
_NO_IMAGE_DESCRIPTION = "No description has been provided for this image"
_DOCSTRING = re.compile(r'\A\s*(?:[rRuU]?)(?:("""|\'\'\')(.*?)(?:\1|\Z)|("|\')([^\n]*?)(?:\3|$))',
                        re.DOTALL | re.MULTILINE)


class GetGradesWithStatus(GetGrades):
    """nbgrader's ``GetGrades``, also recording, per grade_id, whether a person has graded the cell.

    ``resources[GRADE_STATUS][grade_id]`` is ``"graded"`` (a hand-given score), ``"waiting"``
    (still to be graded by hand) or ``"auto"`` (scored by the autograder only, e.g. an
    unanswered written answer scored 0).
    """

    def _get_score(self, cell, resources):
        super()._get_score(cell, resources)
        grade = self.gradebook.find_grade(cell.metadata["nbgrader"]["grade_id"], self.notebook_id,
                                          self.assignment_id, self.student_id)
        status = "graded" if grade.manual_score is not None else "waiting" if grade.needs_manual_grade else "auto"
        resources.setdefault(GRADE_STATUS, {})[cell.metadata["nbgrader"]["grade_id"]] = status


@dataclass(frozen=True)
class SummaryRow:
    """One graded cell as the summary shows it.

    Attributes
    ----------
    grade_id : str
    title : str
        What the cell checks (the first line of a test cell's docstring), or its kind.
    score : float or None
        Points earned; ``None`` while a written answer waits for grading.
    points : float
        Points possible.
    status : str
        ``passed``, ``failed`` or ``partial`` for a test cell; ``graded``, ``waiting`` or
        ``unanswered`` for an answer graded by hand.
    message : str
        For a failing test, the first line of its error; else what the status means.
    """

    grade_id: str
    title: str
    score: float | None
    points: float
    status: str
    message: str


def _points(value: float) -> str:
    return f"{value:g}"


def first_line(text: str) -> str:
    """The first non-blank line of ``text``, stripped and cut to a readable length."""
    line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return line if len(line) <= _MESSAGE_CHARS else line[: _MESSAGE_CHARS - 1].rstrip() + "…"


def failure_message(cell) -> str:
    """The first line of the last error of a test cell (the grader's own notes come last), or ``""``.

    An ``AssertionError`` (the course's messages) or a note of the grader is shown as is;
    any other error with its name (``NameError: name 'square' is not defined``).
    """
    errors = [output for output in cell.get("outputs", []) if output.get("output_type") == "error"]
    if not errors:
        return ""
    ename, line = errors[-1].get("ename", "Error"), first_line(errors[-1].get("evalue", ""))
    if not line:
        return ename
    return line if ename in _PLAIN_MESSAGES else f"{ename}: {line}"


def docstring_title(source: str) -> str:
    r"""The first paragraph of the docstring a test cell opens with, on one line, or ``""``.

    >>> docstring_title("'''softmax: columns sum to 1, and shifted scores give the same\n"
    ...                 "probabilities.'''\nchecks.check_array(...)")
    'softmax: columns sum to 1, and shifted scores give the same probabilities.'
    >>> docstring_title("'sigmoid values'\nassert sigmoid(0) == 0.5")
    'sigmoid values'
    """
    match = _DOCSTRING.match(source)
    if not match:
        return ""
    text = match.group(2) if match.group(1) else match.group(4)
    return " ".join(text.strip().split("\n\n")[0].split())


def summary_rows(nb, grade_status: dict[str, str]) -> list[SummaryRow]:
    """One :class:`SummaryRow` per graded cell of ``nb`` (scores from ``GetGrades``), in notebook order.

    ``grade_status`` is what :class:`GetGradesWithStatus` records; a hand-graded cell it does
    not name counts as waiting for grading.
    """
    rows, seen = [], set()
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        grade_id = meta.get("grade_id")
        if not (utils.is_grade(cell) or utils.is_task(cell)) or grade_id in seen or "points" not in meta:
            continue
        seen.add(grade_id)  # a duplicated cell is graded once: its first copy
        score, points = float(meta.get("score") or 0.0), float(meta["points"])
        if cell.cell_type == "code" and not utils.is_solution(cell):
            status = "passed" if score >= points else "partial" if score > 0 else "failed"
            message = "" if status == "passed" else failure_message(cell) or "the test did not pass."
            rows.append(SummaryRow(grade_id, docstring_title(cell.source), score, points, status, message))
            continue
        kind = "written answer" if cell.cell_type == "markdown" else "task" if utils.is_task(cell) else "code answer"
        status = {"graded": "graded", "auto": "unanswered"}.get(grade_status.get(grade_id, ""), "waiting")
        message = {"graded": "graded by your instructor", "unanswered": "not answered",
                   "waiting": "waiting for grading"}[status]
        rows.append(SummaryRow(grade_id, kind, None if status == "waiting" else score, points, status, message))
    return rows


_ROW_CLASSES = {"passed": "success", "failed": "danger", "partial": "warning", "graded": "info",
                "waiting": "active", "unanswered": "danger"}


def _result(row: SummaryRow) -> str:
    """The Result column: ``passed``, ``failed: <message>``, or what a hand-graded row's status means."""
    if row.status == "passed":
        return "passed"
    return f"{row.status}: {row.message}" if row.status in ("failed", "partial") else row.message


def render_summary(notebook: str, rows: list[SummaryRow], score: float, max_score: float,
                   late_penalty: float = 0.0) -> str:
    """The summary as HTML: the total, then a table with one row per graded cell, linked to the cell.

    Every piece of text is escaped: messages come from the student's code.
    """
    waiting = sum(row.points for row in rows if row.status == "waiting")
    notes = []
    if waiting:
        notes.append(f"{_points(waiting)} point{'' if waiting == 1 else 's'} still to be graded by your instructor.")
    if late_penalty:
        notes.append(f"Late submission penalty: -{_points(late_penalty)} (included in the total).")
    body = []
    for row in rows:
        earned = "–" if row.score is None else _points(row.score)
        title = f'<br><span class="feedback-title">{html.escape(row.title)}</span>' if row.title else ""
        result = _result(row)
        body.append(
            f'<tr class="{_ROW_CLASSES[row.status]} feedback-{row.status}">'
            f'<td><a href="#{html.escape(quote(row.grade_id, safe=""))}"><code>{html.escape(row.grade_id)}</code></a>'
            f"{title}</td>"
            f'<td class="feedback-points">{earned} / {_points(row.points)}</td>'
            f'<td class="feedback-result">{html.escape(result)}</td></tr>')
    notes_html = "".join(f'<p class="feedback-note">{html.escape(note)}</p>' for note in notes)
    return (
        '<section id="feedback-summary" class="panel panel-default">'
        f'<div class="panel-heading"><h2>{html.escape(notebook)}: {_points(score)} / {_points(max_score)} points</h2>'
        f"{notes_html}</div>"
        '<table class="table table-condensed feedback-summary">'
        "<thead><tr><th>Graded cell</th><th>Points</th><th>Result</th></tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table></section>")


class FeedbackSummary(NbGraderPreprocessor):
    """Build the summary of a graded notebook into ``resources["feedback_summary"]``.

    Runs after ``GetGrades`` (the scores) and ``RedactHiddenTests`` (so that no hidden test
    line or solution line can reach it): it leaves ``rows`` (:class:`SummaryRow`) and ``html``.
    """

    def preprocess(self, nb, resources):
        grading = resources.get("nbgrader", {})
        rows = summary_rows(nb, resources.get(GRADE_STATUS, {}))
        summary_html = render_summary(grading.get("notebook", ""), rows, float(grading.get("score", 0.0)),
                                      float(grading.get("max_score", 0.0)),
                                      float(grading.get("late_penalty", 0.0) or 0.0))
        resources[SUMMARY] = {"rows": rows, "html": summary_html}
        return nb, resources


#: the page's styles, in the head where nbgrader's template calls ``mathjax()``
PAGE_STYLE = """
<style>
math { font-size: 1.1em; }
math[display="block"] { margin: 0.6em 0; overflow-x: auto; overflow-y: hidden; }
code.latex-source { white-space: pre-wrap; color: #444; }
#feedback-summary { margin-top: 1em; }
#feedback-summary h2 { font-size: 20px; margin: 0.2em 0; }
#feedback-summary .feedback-note { margin: 0.3em 0 0 0; }
#feedback-summary .feedback-title { color: #555; }
#feedback-summary .feedback-points { white-space: nowrap; }
</style>
"""

#: stands in for nbconvert's ``mathjax.html.j2``: the macro writes styles, never a script
NO_MATHJAX_TEMPLATE = "{%- macro mathjax(url='') -%}" + PAGE_STYLE + "{%- endmacro %}"

#: nbgrader's feedback template (``index.html.j2`` of the "feedback" template directory), with
#: the summary first and the notebook's cells after it
PAGE_TEMPLATE_NAME = "course_feedback.html.j2"
PAGE_TEMPLATE = """{%- extends 'index.html.j2' -%}
{% block body %}
<body>
  <a id="top"></a>
  <div class="container">
    {{ resources.feedback_summary.html }}
    <div class="panel panel-default">
      <div class="panel-body">
        <div id="notebook" class="border-box-sizing">
          <div class="container" id="notebook-container">
            {{ self.body_loop() }}
          </div>
        </div>
      </div>
    </div>
  </div>
</body>
{%- endblock body %}
"""


class FeedbackExporter(HTMLExporter):
    """The HTML exporter of feedback pages: summary first, maths as MathML, no script.

    Used with ``template_name = "feedback"`` (nbgrader's template directory), whose page it
    extends (:data:`PAGE_TEMPLATE`).
    """

    @default("extra_loaders")
    def _page_templates(self):
        return [DictLoader({PAGE_TEMPLATE_NAME: PAGE_TEMPLATE, "mathjax.html.j2": NO_MATHJAX_TEMPLATE})]

    @default("template_file")
    def _page_template_file(self):
        return PAGE_TEMPLATE_NAME

    @default("mathjax_url")
    def _no_mathjax_url(self):
        return ""

    def from_notebook_node(self, nb, resources=None, **kw):
        """The page as nbconvert's ``HTMLExporter`` writes it, without its pass through BeautifulSoup.

        That pass parses the whole page again to give images an alt text and JupyterLab's
        cells keyboard focus (this page uses the classic template, which has no such cells);
        it took 40 % of the page's time. The alt text is added here.
        """
        language = nb.metadata.get("language_info", {})
        lexer = language.get("pygments_lexer", language.get("name"))
        self.register_filter("highlight_code",
                             self.filters.get("highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)))
        resources = self._init_resources(resources)
        self.register_filter("filter_data_type", WidgetsDataTypeFilter(
            notebook_metadata=self._nb_metadata, parent=self, resources=resources))
        page, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
        return _IMAGE_WITHOUT_ALT.sub(f'<img alt="{_NO_IMAGE_DESCRIPTION}"', page), resources

    @pass_context
    def markdown2html(self, context, source):
        """Markdown cells (and comments) to HTML as nbconvert does, with the maths as MathML."""
        cell = context.get("cell", {})
        return markdown_to_html(
            source, attachments=cell.get("attachments", {}), embed_images=self.embed_images,
            path=context.get("resources", {}).get("metadata", {}).get("path", ""),
            anchor_link_text=self.anchor_link_text, exclude_anchor_links=self.exclude_anchor_links,
            **self.lexer_options)
