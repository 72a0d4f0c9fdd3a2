"""A whole term through nbgrader's exchange, end to end.

The instructor opens the term (exchange created, assignment released); two students, each
with a home folder of their own, fetch, work and submit with nbgrader's commands; the
instructor collects, grades what was collected with ``course.py grade`` and returns the
feedback, which each student then fetches: the pages of their own submission, scored as
their work deserves. ``notebooks/`` is not touched by any of it.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from course_admin import pipeline, term as term_module
from course_admin.submissions import solution_sources
from course_admin.term import Term, TermError
from course_utils.layout import ASSIGNMENT

ROOT = Path(__file__).resolve().parent.parent
#: the main series; the notebooks beyond it stay as released (scored 0, graded all the same)
WORKED = ("01_planar_data", "02_logistic_regression", "03_initialization", "04_forward_propagation",
          "05_cost", "06_backward_propagation")


def fingerprint(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


class Student:
    """A student with a home folder and an nbgrader configuration of their own."""

    def __init__(self, name: str, home: Path, setup: Path):
        self.name, self.home = name, home
        shutil.copytree(setup, home / ".jupyter")  # what the term wrote for students

    def nbgrader(self, *arguments: str) -> str:
        """Run an nbgrader command as this student (as one Unix user here, so the id is given with --student)."""
        env = {key: value for key, value in os.environ.items() if not key.startswith(("JUPYTER", "IPYTHON"))}
        env.update(HOME=str(self.home), USER=self.name, LOGNAME=self.name,
                   JUPYTER_CONFIG_DIR=str(self.home / ".jupyter"),
                   JUPYTER_DATA_DIR=str(self.home / ".local" / "share" / "jupyter"))
        result = subprocess.run([sys.executable, "-m", "nbgrader", *arguments, "--course", "one-hidden-layer-nn"],
                                cwd=self.home, env=env, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, f"{self.name}: nbgrader {' '.join(arguments)} failed:\n{result.stderr}"
        return result.stdout + result.stderr

    def work(self, skip: tuple[str, ...] = ()) -> None:
        """Fill the answer cells of the worked notebooks with correct answers, except the ``skip`` ones."""
        answers = solution_sources()
        for name in WORKED:
            path = self.home / ASSIGNMENT / f"{name}.ipynb"
            nb = nbformat.read(path, as_version=4)
            for cell in nb.cells:
                grading = cell.metadata.get("nbgrader", {})
                if grading.get("solution") and cell.cell_type == "code" and grading["grade_id"] not in skip:
                    cell.source = answers[grading["grade_id"]]
            nbformat.write(nb, path)


@pytest.fixture(scope="module")
def term_run(tmp_path_factory):
    from course_admin.grading.sandbox import check

    base = tmp_path_factory.mktemp("term")
    term = Term(course_root=base / "course", exchange=base / "exchange")
    term.course_root.mkdir()
    release_before = fingerprint(ROOT / "notebooks")
    run = {"term": term, "opened": term_module.open_term(term)}
    run["student_setup"] = term_module.write_student_setup(term, base / "student-config")
    alice, bob = (Student(name, base / "home" / name, base / "student-config") for name in ("alice", "bob"))
    for student in (alice, bob):
        run[f"fetch_{student.name}"] = student.nbgrader("fetch_assignment", ASSIGNMENT)
    alice.work()
    bob.work(skip=("compute_cost",))
    for student in (alice, bob):
        student.nbgrader("submit", ASSIGNMENT, "--student", student.name)
    run["status"] = term_module.status(term)
    run["collected"] = term_module.collect(term)
    workdir = base / "grading"
    sandbox = [] if check().works else ["--no-sandbox"]
    run["grade_exit"] = pipeline.main(["grade", "--submissions", str(term.submitted_root), "--workdir",
                                       str(workdir), "--workers", "2", *sandbox])
    run["returned"], run["skipped"] = term_module.return_feedback(term, workdir)
    for student in (alice, bob):
        student.nbgrader("fetch_feedback", ASSIGNMENT, "--student", student.name)
        run[f"feedback_{student.name}"] = sorted((student.home / ASSIGNMENT / "feedback").rglob("*.html"))
    run["release_untouched"] = fingerprint(ROOT / "notebooks") == release_before
    run.update(workdir=workdir, alice=alice, bob=bob)
    return run


def test_opening_the_term_creates_a_shared_sticky_exchange_and_releases_every_notebook(term_run):
    term = term_run["term"]
    mode = term.exchange.stat().st_mode
    assert mode & 0o777 == 0o777 and mode & 0o1000, oct(mode)
    outbound = term.exchange / term.course_id / "outbound" / ASSIGNMENT
    assert sorted(p.name for p in outbound.glob("*.ipynb")) == sorted(p.name for p in term.release_dir.glob("*.ipynb"))


def test_the_student_setup_names_the_exchange_and_hides_the_instructor_tools(term_run):
    files = {path.relative_to(term_run["alice"].home / ".jupyter").as_posix(): path.read_text()
             for path in (term_run["alice"].home / ".jupyter").rglob("*") if path.is_file()}
    assert set(files) == {"nbgrader_config.py", "labconfig/page_config.json", "jupyter_server_config.json"}
    assert repr(str(term_run["term"].exchange)) in files["nbgrader_config.py"]
    assert '"@jupyter/nbgrader:formgrader": true' in files["labconfig/page_config.json"]


def test_each_student_fetched_the_release_into_their_own_home(term_run):
    for student in (term_run["alice"], term_run["bob"]):
        assert len(list((student.home / ASSIGNMENT).glob("*.ipynb"))) == 14


def test_status_and_collect_see_both_submissions(term_run):
    assert "submitted: 2 students: alice (1x" in term_run["status"] and "bob (1x" in term_run["status"]
    assert term_run["collected"] == ["alice", "bob"]
    for student in term_run["collected"]:
        folder = term_run["term"].submitted_root / student / ASSIGNMENT
        assert (folder / "timestamp.txt").is_file() and (folder / "submission_secret.txt").is_file()


def test_grading_the_collected_class_scores_each_students_work(term_run):
    import json

    assert term_run["grade_exit"] == 0
    report = json.loads((term_run["workdir"] / "reports" / "report.json").read_text())
    students = {student["student"]: student for student in report["students"]}
    assert set(students) == {"alice", "bob"}
    cost = {name: next(nb for nb in student["notebooks"] if nb["notebook"] == "05_cost")
            for name, student in students.items()}
    assert cost["alice"]["score"] == cost["alice"]["max_score"] > 0
    assert cost["bob"]["score"] == 0
    # nbgrader's own files beside the notebooks are not the student's work: no problem reported
    assert not any(problem["kind"] == "ignored_file" for student in students.values() for problem in student["problems"])
    assert students["alice"]["score"] > students["bob"]["score"]


def test_each_student_fetches_the_feedback_of_their_own_submission(term_run):
    assert term_run["returned"] == ["alice", "bob"] and term_run["skipped"] == []
    for name in ("alice", "bob"):
        pages = term_run[f"feedback_{name}"]
        assert sorted(page.name for page in pages) == sorted(f"{nb}.html" for nb in
                                                               [p.stem for p in term_run["term"].release_dir.glob("*.ipynb")])
    cost_page = {name: next(p for p in term_run[f"feedback_{name}"] if p.name == "05_cost.html").read_text()
                 for name in ("alice", "bob")}
    assert "NotImplementedError" in cost_page["bob"] and "NotImplementedError" not in cost_page["alice"]


def test_the_term_never_touches_the_committed_release(term_run):
    assert term_run["release_untouched"]


def test_returning_feedback_skips_a_student_whose_graded_submission_is_not_the_collected_one(term_run, tmp_path):
    term = term_run["term"]
    workdir = tmp_path / "grading"
    source = term_run["workdir"] / "course"
    for part in ("feedback", "submitted"):
        for student in ("alice", "bob"):
            (workdir / "course" / part / student).parent.mkdir(parents=True, exist_ok=True)
            shutil.copytree(source / part / student, workdir / "course" / part / student)
    (workdir / "course" / "submitted" / "bob" / ASSIGNMENT / "timestamp.txt").write_text("2020-01-01 00:00:00\n")
    returned, skipped = term_module.return_feedback(term, workdir)
    assert returned == ["alice"] and len(skipped) == 1 and skipped[0].startswith("bob: the graded submission")


def test_the_command_line_reports_the_exchange_and_refuses_steps_out_of_order(tmp_path, capsys):
    assert term_module.main(["--exchange", str(tmp_path / "nowhere"), "status"]) == 0
    assert "released: nothing (python3 course.py term open)" in capsys.readouterr().out
    assert term_module.main(["--exchange", str(tmp_path / "nowhere"), "collect"]) == 1
    assert "Run `python3 course.py term open` first" in capsys.readouterr().err


def test_steps_out_of_order_say_what_to_do(tmp_path):
    term = Term(course_root=tmp_path / "course", exchange=tmp_path / "exchange")
    with pytest.raises(TermError, match="term open"):
        term_module.collect(term)
    with pytest.raises(TermError, match="grade the collected class first"):
        term_module.return_feedback(term, tmp_path / "grading")
