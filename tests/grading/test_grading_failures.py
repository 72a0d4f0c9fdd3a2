"""When nbgrader itself cannot grade a notebook, the run still completes and says why."""
from __future__ import annotations

import grading_toy as toy
from conftest import ISOLATED
from course_admin.grading import GradingSettings, grade_class
from course_admin.grading.bundle import CourseBundle, course_environment
from course_admin.grading.cluster import grade_students
from course_admin.grading.worker import _last_error_line
from course_admin.grading.workspace import Workspace


def test_a_kernel_that_cannot_start_is_a_grading_error_not_a_crash(toy_course, toy_release, tmp_path):
    submissions = tmp_path / "class"
    toy.write_notebook(submissions / "ann" / "toy" / "01_squares.ipynb", toy_release["01_squares.ipynb"])
    # 40 MiB of address space is too little for a Python kernel to start
    report = grade_class(toy_course, toy.ASSIGNMENT, submissions, tmp_path / "work", workers=1,
                         settings=GradingSettings(memory_limit=40 * 2**20, sandbox=ISOLATED))
    ann = report.student("ann")
    assert [(nb.notebook, nb.score, nb.status) for nb in ann.notebooks] == [
        ("01_squares", 0.0, "grading error"), ("02_cubes", 0.0, "not submitted")]
    errors = [problem for problem in ann.problems if problem.kind == "grading_error"]
    assert [(p.notebook, p.detail) for p in errors] == [
        ("01_squares", "nbgrader could not grade it (RuntimeError: Kernel died before replying to kernel_info): "
                       "scored 0, see the log")]
    assert "Kernel died before replying to kernel_info" in (tmp_path / "work/logs/ann.log").read_text()


def test_the_reason_is_the_last_error_line_of_the_log():
    log = ("[ERROR] There was an error processing assignment\nTraceback (most recent call last):\n"
           "  File \"x.py\", line 1\nnbclient.exceptions.CellTimeoutError: A cell timed out\n"
           "nbgrader.converters.base.NbGraderException: Please see the above traceback\n")
    assert _last_error_line(log) == "nbclient.exceptions.CellTimeoutError: A cell timed out"
    assert _last_error_line("nothing useful") == "see the log"


def test_students_whose_worker_cannot_set_up_get_a_grading_error(toy_course, toy_release, tmp_path):
    workspace = Workspace(tmp_path / "work", toy.ASSIGNMENT)
    for name, nb in toy_release.items():
        toy.write_notebook(workspace.release_dir / name, nb)
    for student in ("ann", "bob"):
        toy.write_notebook(workspace.submitted_dir(student) / "01_squares.ipynb", toy_release["01_squares.ipynb"])
    # a bundle no worker can unpack: every attempt raises while setting up, and is retried once
    broken = CourseBundle(toy.ASSIGNMENT, GradingSettings(sandbox=ISOLATED), b"not an archive",
                          course_environment(), "broken")
    outcomes = grade_students(broken, workspace, ["ann", "bob"], workers=2)
    assert list(outcomes) == ["ann", "bob"]
    for outcome in outcomes.values():
        assert [(nb.notebook, nb.status) for nb in outcome.notebooks] == [
            ("01_squares", "grading error"), ("02_cubes", "grading error")]
        [problem] = outcome.problems
        assert problem.kind == "grading_error"
        assert problem.detail.startswith("grading failed twice (ReadError: ") and problem.detail.endswith(": scored 0")
