"""Hand grading in formgrader (``course.py formgrade``) on a class graded by the pipeline.

One student of the toy course (``tests/grading/grading_toy.py``) is graded into a work
folder; formgrader is started on it exactly as :func:`course_admin.lab.formgrade` starts
it, opened at the URL it prints, and the written answer ``explain_square`` (2 points,
graded by hand) is given a score and a comment in formgrader's page. The gradebook,
read with nbgrader's own API, must then hold both.
"""
from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest

from course_admin import lab
from lab_server import (jupyter_home, quiet_lab_settings, running_lab, screenshot_on_failure,
                        server_environment, timed)

TOY_PATH = Path(__file__).resolve().parents[1] / "grading" / "grading_toy.py"
STUDENT = "alice"
NOTEBOOK = "01_squares"
WRITTEN = "explain_square"
SCORE = 1.5
COMMENT = "Right idea; say 'multiplied by itself' for a number x: x * x."


def grading_toy():
    """The toy course module of the grading tests (loaded from its file when their conftest did not)."""
    if "grading_toy" in sys.modules:
        return sys.modules["grading_toy"]
    spec = importlib.util.spec_from_file_location("grading_toy", TOY_PATH)
    module = importlib.util.module_from_spec(spec)
    sys.modules["grading_toy"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def graded_workdir(tmp_path_factory):
    """(toy course, work folder) after grading one fully answered student with the pipeline."""
    import nbformat

    from course_admin.grading import GradingSettings, grade_class, prepare_workspace
    from course_admin.grading.sandbox import check

    toy = grading_toy()
    base = tmp_path_factory.mktemp("formgrader")
    settings = GradingSettings(sandbox=check().works)
    with timed("toy class of one graded for formgrader"):
        course = toy.write_course(base / "toy_course")
        workdir = base / "work"
        workspace = prepare_workspace(course, toy.ASSIGNMENT, workdir, settings)
        for name in workspace.expected_notebooks():
            release = nbformat.read(workspace.release_dir / name, as_version=4)
            toy.write_notebook(base / "class" / STUDENT / toy.ASSIGNMENT / name,
                               toy.answered(release, toy.solution_answers()))
        report = grade_class(course, toy.ASSIGNMENT, base / "class", workdir, 1, settings=settings)
    assert [student.student for student in report.students] == [STUDENT], report.table()
    return course, workdir


def manual_grade(course: Path, workdir: Path, assignment: str):
    """((manual score, needs manual grade, max score), comment) of the written answer, read with nbgrader's API."""
    from nbgrader.api import Gradebook

    course_id = lab.course_config(course).CourseDirectory.course_id
    with Gradebook(f"sqlite:///{workdir / 'course' / 'gradebook.db'}", course_id=course_id) as gradebook:
        grade = gradebook.find_grade(WRITTEN, NOTEBOOK, assignment, STUDENT)
        comment = gradebook.find_comment(WRITTEN, NOTEBOOK, assignment, STUDENT)
        return ((grade.manual_score, grade.needs_manual_grade, grade.max_score), comment.manual_comment)


def test_hand_grade_in_formgrader(graded_workdir, page, tmp_path):
    course, workdir = graded_workdir
    assignment = grading_toy().ASSIGNMENT
    (score_before, needs, _), _ = manual_grade(course, workdir, assignment)
    assert score_before is None and needs, "the written answer should wait for a hand grade"

    home = jupyter_home(tmp_path / "instructor")
    quiet_lab_settings(home)
    port = lab.free_port()
    launch = lab.formgrade(workdir, [], port=port, environ=server_environment(home), course_root=course)
    token = launch.env["JUPYTER_TOKEN"]
    url = re.search(r"http://\S+/lab\?formgrader=true&token=\S+", launch.message).group(0)
    with timed("formgrader: hand grade a written answer"), \
            running_lab(launch.argv, launch.cwd, server_environment(home, launch.env), tmp_path / "server.log",
                        port=port, token=token) as server, \
            screenshot_on_failure(page, tmp_path, "formgrader", server):
        assert url.startswith(server.url)
        page.goto(url)  # JupyterLab opens formgrader in a tab of its own, in a frame
        formgrader = page.frame_locator("#formgrader iframe")
        formgrader.get_by_role("heading", name="Manage Assignments").wait_for(timeout=60_000)
        formgrader.get_by_role("link", name="Manual Grading").click()
        formgrader.get_by_role("link", name=assignment, exact=True).click()
        formgrader.get_by_role("link", name=NOTEBOOK, exact=True).click()
        formgrader.get_by_role("link", name="Submission #1").click()

        answer = formgrader.locator(".nbgrader_cell", has=formgrader.locator(f"input.score#{WRITTEN}"))
        answer.get_by_text(toy_answer()).wait_for()
        score = answer.locator(f"input.score#{WRITTEN}")
        with page.expect_response(lambda r: "/formgrader/api/grade/" in r.url and r.request.method == "PUT") as saved:
            score.fill(str(SCORE))
            score.press("Tab")  # formgrader saves on change
        assert saved.value.ok, saved.value.status
        comment = answer.locator(f"textarea.comment#{WRITTEN}-comment")
        with page.expect_response(lambda r: "/formgrader/api/comment/" in r.url and r.request.method == "PUT") as saved:
            comment.fill(COMMENT)
            comment.press("Tab")
        assert saved.value.ok, saved.value.status

    (manual, needs, _), text = manual_grade(course, workdir, assignment)
    assert manual == SCORE and not needs, (manual, needs)
    assert text == COMMENT


def toy_answer() -> str:
    """The written answer the toy student gave (the instructor's own)."""
    return grading_toy().SOLUTIONS[WRITTEN]
