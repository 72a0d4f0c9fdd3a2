"""Feedback pages that show results without leaking hidden tests or solutions.

nbgrader's ``generate_feedback`` renders the graded notebook, test cells and all, so the
hidden tests appear in the page (nbgrader issue #917), and a failing hidden assertion's
traceback quotes its lines. :class:`RedactHiddenTests` runs before the page is rendered:

- ``### BEGIN HIDDEN TESTS`` .. ``### END HIDDEN TESTS`` and ``### BEGIN SOLUTION`` ..
  ``### END SOLUTION`` regions of every cell are replaced by one comment line;
- in tracebacks, the frames of cells that held hidden tests are reduced to their header
  (``Cell In[7] (test code not shown)``), and any other line quoting a hidden line is
  removed; the error's name and message (the test's verdict) stay;
- in every output (printed text, results, errors), a line that quotes a line of the
  hidden tests or solutions of any notebook of the assignment is replaced by
  ``[line not shown]``: a submission can print ``In`` or read notebook files from disk.
"""
from __future__ import annotations

import functools
import re
import time
from pathlib import Path

from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

HIDDEN_NOTE = "# (hidden tests are not shown)"
SOLUTION_NOTE = "# (solution not shown)"
FRAME_NOTE = "(test code not shown)"
LINE_NOTE = "[line not shown]"

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


def _is_secret_worthy(line: str) -> bool:
    """Long and specific enough that finding it in an output means it was quoted."""
    return len(line) >= 8 and any(character.isalnum() for character in line)


def quoted_forms(line: str) -> set[str]:
    """The ways a line of code shows up when printed: as is, inside a repr (``print(In)``),
    inside JSON (a notebook file read and printed) and HTML-escaped."""
    import html as html_module
    import json

    forms = {line, json.dumps(line)[1:-1], repr(line)[1:-1], html_module.escape(line)}
    forms.add(line.replace("\\", "\\\\").replace('"', '\\"'))
    forms.add(line.replace("\\", "\\\\").replace("'", "\\'"))
    return forms


@functools.lru_cache(maxsize=4)
def _all_quoted_forms(secrets: frozenset[str]) -> frozenset[str]:
    return frozenset().union(*(quoted_forms(secret) for secret in secrets))


def redact_text(text: str, secrets: set[str]) -> str:
    """``text`` with every line that quotes one of ``secrets`` (see :func:`quoted_forms`) replaced
    by :data:`LINE_NOTE`."""
    if not secrets or not text:
        return text
    forms = _all_quoted_forms(frozenset(secrets))
    lines = text.split("\n")
    kept = [LINE_NOTE if any(form in strip_ansi(line) for form in forms) else line for line in lines]
    return "\n".join(kept)


def _redact_output(output, secrets: set[str]) -> None:
    if output.get("output_type") == "stream":
        output.text = redact_text(output.get("text", ""), secrets)
    elif output.get("output_type") == "error":
        output.evalue = redact_text(output.get("evalue", ""), secrets)
        output.traceback = [redact_text(entry, secrets) for entry in output.get("traceback", [])]
    else:
        for mime, value in list(output.get("data", {}).items()):
            if isinstance(value, str) and mime.startswith("text/"):
                output.data[mime] = redact_text(value, secrets)


def secret_lines(notebooks, markers) -> set[str]:
    """The specific lines inside hidden-test and solution regions of ``notebooks``.

    ``markers`` is a list of (begin, end) pairs.
    """
    secrets = set()
    for nb in notebooks:
        for cell in nb.cells:
            for begin, end in markers:
                _, inside = split_regions(cell.source, begin, end)
                secrets.update(line.strip() for line in inside if _is_secret_worthy(line.strip()))
    return secrets


def _notebooks_in(folder: str) -> list:
    import nbformat

    return [nbformat.read(path, as_version=4) for path in sorted(Path(folder).glob("*.ipynb"))]


def _folder_signature(folder: str) -> tuple:
    """Name, modification time and size of every notebook in ``folder``: what the caches below are keyed on."""
    return tuple((path.name, stat.st_mtime_ns, stat.st_size)
                 for path in sorted(Path(folder).glob("*.ipynb")) for stat in [path.stat()])


@functools.lru_cache(maxsize=8)
def _folder_secrets(folder: str, signature: tuple, markers: tuple) -> frozenset[str]:
    """:func:`secret_lines` of the notebooks of ``folder``, read once per ``signature``."""
    return frozenset(secret_lines(_notebooks_in(folder), list(markers)))


@functools.lru_cache(maxsize=8)
def _folder_lines(folder: str, signature: tuple) -> frozenset[str]:
    """Every stripped line of every cell of the notebooks of ``folder``, read once per ``signature``."""
    return frozenset(line.strip() for nb in _notebooks_in(folder) for cell in nb.cells
                     for line in cell.source.split("\n"))


class RedactHiddenTests(NbGraderPreprocessor):
    """Remove hidden tests, solutions and what quotes them from a graded notebook (see the module docstring).

    With ``source_dir`` set (the assignment's instructor notebooks), any output line that
    quotes a line of their hidden tests or solutions is replaced too: a submission can
    print ``In`` (the history holds the hidden tests it ran) or read notebook files.
    Lines that also appear in the notebooks of ``release_dir`` are visible anyway and kept.
    """

    begin_hidden = Unicode("BEGIN HIDDEN TESTS").tag(config=True)
    end_hidden = Unicode("END HIDDEN TESTS").tag(config=True)
    begin_solution = Unicode("BEGIN SOLUTION").tag(config=True)
    end_solution = Unicode("END SOLUTION").tag(config=True)
    source_dir = Unicode("", help="Folder of the assignment's instructor notebooks.").tag(config=True)
    release_dir = Unicode("", help="Folder of the released notebooks: their lines are no secret.").tag(config=True)

    def _source_secrets(self) -> set[str]:
        if not self.source_dir:
            return set()
        markers = ((self.begin_hidden, self.end_hidden), (self.begin_solution, self.end_solution))
        return set(_folder_secrets(self.source_dir, _folder_signature(self.source_dir), markers))

    def _visible_lines(self) -> set[str]:
        """Every line students were given: quoting one of them reveals nothing."""
        if not self.release_dir:
            return set()
        return set(_folder_lines(self.release_dir, _folder_signature(self.release_dir)))

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
        visible = self._visible_lines()
        hidden_lines -= visible
        markers = {self.begin_hidden, self.end_hidden, self.begin_solution, self.end_solution}
        secrets = (self._source_secrets() - visible) | {line for line in hidden_lines if _is_secret_worthy(line)}
        secrets |= markers
        for cell in nb.cells:
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    output.traceback = redact_traceback(list(output.get("traceback", [])),
                                                        hidden_counts, hidden_lines)
                _redact_output(output, secrets)
        return nb, resources


def generate_feedback(config, workspace, student: str, log_lines: list[str] | None = None) -> list[Path]:
    """Write the feedback pages of ``student`` from the autograded notebooks; return their paths.

    Each page opens with a summary of the grades and renders its maths as MathML, with no
    script and nothing fetched from the network (:mod:`.feedback_page`).

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
    from traitlets.config import Config

    from .feedback_page import FeedbackExporter, FeedbackSummary, GetGradesWithStatus
    from .workspace import capture_log

    own = Config()
    own.merge(config)
    # the summary is built from what redaction left: it comes after RedactHiddenTests
    own.GenerateFeedback.preprocessors = [GetGradesWithStatus, RedactHiddenTests, FeedbackSummary,
                                          CSSHTMLHeaderPreprocessor]
    own.GenerateFeedback.exporter_class = FeedbackExporter  # summary first, MathML, no script
    own.RedactHiddenTests.source_dir = str(workspace.source_dir)
    own.RedactHiddenTests.release_dir = str(workspace.release_dir)
    own.HTMLExporter.template_name = "feedback"
    coursedir = CourseDirectory(config=own)
    coursedir.assignment_id = workspace.assignment
    coursedir.student_id = student
    converter = GenerateFeedback(coursedir=coursedir, config=own)
    converter.force = True
    started = time.perf_counter()
    with capture_log(converter.log) as log:
        try:
            converter.start()
        except Exception:  # a missing page is reported by its absence; the log says why
            import traceback

            log.write(traceback.format_exc())
    if log_lines is not None:
        log_lines.append(f"--- feedback {student}/{workspace.assignment} ({time.perf_counter() - started:.1f} s)")
        log_lines.append(log.getvalue())
    return sorted(workspace.feedback_dir(student).glob("*.html"))
