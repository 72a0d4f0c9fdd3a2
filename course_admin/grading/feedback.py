"""Feedback pages that show results without leaking hidden tests or solutions.

nbgrader's ``generate_feedback`` renders the graded notebook, test cells and all, so the
hidden tests appear in the page (nbgrader issue #917), and a failing hidden assertion's
traceback quotes its lines. :class:`RedactHiddenTests` runs before the page is rendered:

- ``### BEGIN HIDDEN TESTS`` .. ``### END HIDDEN TESTS`` and ``### BEGIN SOLUTION`` ..
  ``### END SOLUTION`` regions of every cell are replaced by one comment line;
- in tracebacks, the frames of cells that held hidden tests are reduced to their header
  (``Cell In[7] (test code not shown)``), and any other line quoting a hidden line is
  removed; the error's name and message (the test's verdict) stay.
"""
from __future__ import annotations

import re
from pathlib import Path

from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

HIDDEN_NOTE = "# (hidden tests are not shown)"
SOLUTION_NOTE = "# (solution not shown)"
FRAME_NOTE = "(test code not shown)"

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_FRAME_HEADER = re.compile(r"^\s*(?:Cell In\s*\[(\d+)\]|File <ipython-input-(\d+)-[^>]*>|Input In \[(\d+)\])")
_CODE_LINE = re.compile(r"^\s*(?:-*>\s*)?\d+\s?(.*)$")


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


def split_regions(source: str, begin: str, end: str):
    """Split ``source`` into lines outside and inside ``begin``..``end`` regions.

    Returns
    -------
    kept : list
        The lines outside any region (str) and, where a region was, a 1-tuple holding
        the indentation of its begin marker.
    inside : list of str
        The lines inside the regions (markers excluded). An unterminated region runs
        to the end of the cell.
    """
    kept, inside, in_region = [], [], False
    for line in source.split("\n"):
        if begin in line:
            if not in_region:
                kept.append((line[: len(line) - len(line.lstrip())],))
            in_region = True
        elif end in line and in_region:
            in_region = False
        elif in_region:
            inside.append(line)
        else:
            kept.append(line)
    return kept, inside


def _redact_source(source: str, begin: str, end: str, note: str) -> tuple[str, list[str]]:
    kept, inside = split_regions(source, begin, end)
    if all(isinstance(line, str) for line in kept):
        return source, []
    lines = [line if isinstance(line, str) else line[0] + note for line in kept]
    return "\n".join(lines), inside


def redact_traceback(traceback: list[str], hidden_counts: set[int], hidden_lines: set[str]) -> list[str]:
    """Drop from a traceback the code of cells with hidden tests and any line quoting a hidden line.

    Parameters
    ----------
    traceback : list of str
        An error output's ``traceback`` (one frame per entry, ANSI colours allowed).
    hidden_counts : set of int
        Execution counts of the cells that contain hidden tests.
    hidden_lines : set of str
        The stripped, non-trivial lines of the hidden test regions.
    """
    redacted = []
    for entry in traceback:
        plain = strip_ansi(entry)
        lines = plain.split("\n")
        header = _FRAME_HEADER.match(lines[0]) if lines else None
        if header is not None:
            count = int(next(group for group in header.groups() if group is not None))
            if count in hidden_counts:
                redacted.append(lines[0].split(",")[0].strip() + " " + FRAME_NOTE)
                continue
        kept_lines = []
        for raw in entry.split("\n"):
            line = strip_ansi(raw)
            code = _CODE_LINE.match(line)
            quoted = (code.group(1) if code else line).strip()
            if quoted and (quoted in hidden_lines or line.strip() in hidden_lines):
                continue
            kept_lines.append(raw)
        redacted.append("\n".join(kept_lines))
    return redacted


class RedactHiddenTests(NbGraderPreprocessor):
    """Remove hidden tests, solutions and the traceback lines quoting them (see the module docstring)."""

    begin_hidden = Unicode("BEGIN HIDDEN TESTS").tag(config=True)
    end_hidden = Unicode("END HIDDEN TESTS").tag(config=True)
    begin_solution = Unicode("BEGIN SOLUTION").tag(config=True)
    end_solution = Unicode("END SOLUTION").tag(config=True)

    def preprocess(self, nb, resources):
        hidden_counts: set[int] = set()
        hidden_lines: set[str] = set()
        for cell in nb.cells:
            cell.source, inside = _redact_source(cell.source, self.begin_hidden, self.end_hidden, HIDDEN_NOTE)
            if inside:
                hidden_lines.update(line.strip() for line in inside if len(line.strip()) >= 4)
                if cell.cell_type == "code" and cell.get("execution_count"):
                    hidden_counts.add(int(cell.execution_count))
            cell.source, _ = _redact_source(cell.source, self.begin_solution, self.end_solution, SOLUTION_NOTE)
        for cell in nb.cells:
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    output.traceback = redact_traceback(list(output.get("traceback", [])),
                                                        hidden_counts, hidden_lines)
        return nb, resources


def generate_feedback(config, workspace, student: str, log_lines: list[str] | None = None) -> list[Path]:
    """Write the feedback pages of ``student`` from the autograded notebooks; return their paths.

    Parameters
    ----------
    config : traitlets Config
        The nbgrader configuration of the run (its ``db_url`` is the gradebook the scores come from).
    workspace : Workspace
    student : str
    log_lines : list of str, optional
        nbgrader's log is appended here.
    """
    from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
    from nbgrader.converters import GenerateFeedback
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.preprocessors import GetGrades
    from traitlets.config import Config

    from .workspace import capture_log

    own = Config()
    own.merge(config)
    own.GenerateFeedback.preprocessors = [GetGrades, RedactHiddenTests, CSSHTMLHeaderPreprocessor]
    own.HTMLExporter.template_name = "feedback"
    coursedir = CourseDirectory(config=own)
    coursedir.assignment_id = workspace.assignment
    coursedir.student_id = student
    converter = GenerateFeedback(coursedir=coursedir, config=own)
    converter.force = True
    with capture_log(converter.log) as log:
        try:
            converter.start()
        except Exception:  # a missing page is reported by its absence; the log says why
            import traceback

            log.write(traceback.format_exc())
    if log_lines is not None:
        log_lines.append(f"--- feedback {student}/{workspace.assignment}")
        log_lines.append(log.getvalue())
    return sorted(workspace.feedback_dir(student).glob("*.html"))
