"""The printed table, the grades CSV, problem kinds and the kernel spec (no grading run here)."""
from __future__ import annotations

import csv
import json
import sys

import pytest

from course_admin.grading.kernel_spec import KERNEL_NAME, write_kernel_spec
from course_admin.grading.sandbox import KernelLimits
from course_admin.grading.problems import KINDS, Problem
from course_admin.grading.outcome import NotebookOutcome, StudentOutcome
from course_admin.grading.report import ClassReport, write_grades_csv


def small_report() -> ClassReport:
    ada = StudentOutcome("ada", [NotebookOutcome("01_data", 2, 2, False, "graded"),
                                 NotebookOutcome("02_model", 3.5, 5, True, "graded")])
    bo = StudentOutcome("bo", [NotebookOutcome("01_data", 0, 2, False, "not submitted"),
                               NotebookOutcome("02_model", 1, 5, False, "graded")],
                        [Problem("missing_notebook", "01_data", "01_data.ipynb was not handed in: scored 0"),
                         Problem("ignored_file", None, "not graded: notes.txt")])
    return ClassReport("hw", [ada, bo], unassigned_files=["README.txt"])


def test_table_shows_scores_marks_and_the_reasons_for_attention():
    assert small_report().table().splitlines() == [
        "Assignment hw: 2 students",
        "student    01      02  total",
        "----------------------------",
        "ada      2/2   3.5/5*  5.5/7",
        "bo       0/2!    1/5     1/7",
        "* waits for manual grading   ! not submitted, invalid or not gradable",
        "notebooks: 01 data, 02 model",
        "",
        "Needs attention (1 student):",
        "  bo [01_data] missing notebook: 01_data.ipynb was not handed in: scored 0",
        "Files with no recognisable student id (not graded): README.txt",
    ]


def test_table_heads_columns_with_full_names_unless_each_notebook_has_its_own_number():
    report = ClassReport("hw", [StudentOutcome("ada", [NotebookOutcome("intro", 1, 1, False, "graded"),
                                                        NotebookOutcome("01_a", 0, 1, False, "graded"),
                                                        NotebookOutcome("01_b", 1, 1, False, "graded")])])
    lines = report.table().splitlines()
    assert lines[1] == "student  intro  01_a  01_b  total"
    assert not any(line.startswith("notebooks:") for line in lines)


def test_needs_attention_leaves_out_informational_problems():
    attention = small_report().needs_attention()
    assert list(attention) == ["bo"] and [p.kind for p in attention["bo"]] == ["missing_notebook"]


def test_grades_csv_rows(tmp_path):
    path = write_grades_csv(small_report(), tmp_path / "grades.csv")
    with path.open(newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows == [
        ["student", "assignment", "notebook", "score", "max_score", "needs_manual_grade", "status"],
        ["ada", "hw", "01_data", "2", "2", "0", "graded"],
        ["ada", "hw", "02_model", "3.5", "5", "1", "graded"],
        ["bo", "hw", "01_data", "0", "2", "0", "not submitted"],
        ["bo", "hw", "02_model", "1", "5", "0", "graded"],
    ]


def test_report_json_round_trips_problems():
    data = json.loads(json.dumps(small_report().to_dict()))
    assert data["students"][1]["problems"][0] == {
        "kind": "missing_notebook", "notebook": "01_data",
        "detail": "01_data.ipynb was not handed in: scored 0", "needs_attention": True}
    assert Problem.from_dict(data["students"][1]["problems"][1]).needs_attention is False


def test_unknown_problem_kinds_are_refused():
    with pytest.raises(ValueError, match="unknown problem kind 'oops'"):
        Problem("oops", None, "x")
    assert all(isinstance(label, str) for _, label in KINDS.values())


def test_kernel_spec_caps_memory_and_keeps_history_in_memory(tmp_path):
    spec_dir = write_kernel_spec(tmp_path / "jupyter", KernelLimits(memory=3 * 2**30), ("course_utils", "numpy"))
    assert spec_dir == tmp_path / "jupyter" / "kernels" / KERNEL_NAME
    spec = json.loads((spec_dir / "kernel.json").read_text())
    argv = spec["argv"]
    assert argv[0] == sys.executable and argv[1] == "-c"
    assert "RLIMIT_AS" in argv[2] and "RLIMIT_NPROC" in argv[2]
    launcher_settings = json.loads(argv[3])
    assert launcher_settings["memory"] == 3 * 2**30 and launcher_settings["preload"] == ["course_utils", "numpy"]
    assert "incoming" not in launcher_settings  # not sandboxed
    assert argv[4:] == ["-f", "{connection_file}", "--HistoryManager.hist_file=:memory:", "--IPKernelApp.ignore_cwd=True"]
    assert spec["interrupt_mode"] == "message"
    assert spec["env"]["OPENBLAS_NUM_THREADS"] == "1"
    assert spec["env"]["IPYTHONDIR"] == str((tmp_path / "jupyter" / "ipython").resolve())


def test_files_in_the_notebook_folder_cannot_shadow_installed_packages(tmp_path, monkeypatch):
    from nbclient import NotebookClient
    from nbformat.v4 import new_code_cell, new_notebook

    write_kernel_spec(tmp_path / "jupyter", KernelLimits(memory=2 * 2**30), ("course_utils",))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    folder = tmp_path / "submission"
    folder.mkdir()
    (folder / "course_utils.py").write_text("SHADOW = True\n")
    (folder / "json.py").write_text("SHADOW = True\n")
    (folder / "helper_of_the_assignment.py").write_text("VALUE = 42\n")
    nb = new_notebook(cells=[new_code_cell(
        "import course_utils, course_utils.layout, json, helper_of_the_assignment\n"
        "print(hasattr(course_utils, 'SHADOW'), hasattr(json, 'SHADOW'), helper_of_the_assignment.VALUE)\n"
        "print(len(bytearray(2**20)))")])
    NotebookClient(nb, kernel_name=KERNEL_NAME, timeout=60, resources={"metadata": {"path": str(folder)}}).execute()
    assert nb.cells[0].outputs[0].text == "False False 42\n1048576\n"
