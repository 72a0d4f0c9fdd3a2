"""The toy class graded end to end: each broken submission costs only its own points."""
from __future__ import annotations

import csv
import html
import re
from pathlib import Path

import nbformat
import pytest

import grading_toy as toy


def kinds(report, student: str) -> set[str]:
    return {problem.kind for problem in report.student(student).problems}


def problems_of(report, student: str, kind: str) -> list:
    return [problem for problem in report.student(student).problems if problem.kind == kind]


def visible_text(path: Path) -> str:
    """A feedback page as a reader sees it: tags removed (code is highlighted token by token), entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", Path(path).read_text()))


def cell_grade(workdir: Path, student: str, notebook: str, grade_id: str):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{workdir / 'course' / 'gradebook.db'}") as gradebook:
        grade = gradebook.find_grade(grade_id, notebook, toy.ASSIGNMENT, student)
        return grade.auto_score, grade.needs_manual_grade


# ----------------------------------------------------------------------------- scores


def test_every_student_gets_exactly_the_expected_scores(graded_class):
    assert graded_class.parallel.scores() == graded_class.expected


def test_rerun_with_one_worker_and_unforked_kernels_gives_the_same_scores_and_findings(graded_class):
    first, second = graded_class.parallel, graded_class.rerun
    assert second.scores() == first.scores()
    for student in first.students:
        assert kinds(second, student.student) == kinds(first, student.student), student.student


def test_the_first_run_really_used_two_grading_processes(graded_class):
    assert graded_class.parallel.workers == 2 and graded_class.rerun.workers == 1
    assert len({worker for _, worker in graded_class.finished}) == 2
    assert len({worker for _, worker in graded_class.regraded}) == 1
    # each student's log says where it was graded
    student, worker = graded_class.regraded[0]
    assert (graded_class.workdir / "logs" / f"{student}.log").read_text().startswith(f"--- graded on {worker}\n")


def test_progress_is_reported_once_per_student(graded_class):
    assert sorted(student for student, _ in graded_class.finished) == sorted(graded_class.expected)


def test_input_files_are_never_modified(graded_class):
    assert graded_class.inputs_after == graded_class.inputs_before
    assert not (graded_class.course / "gradebook.db").exists()


def test_solution_scores_full_marks_and_waits_only_for_the_written_answer(graded_class):
    alice = graded_class.parallel.student("alice")
    assert [(nb.notebook, nb.score, nb.max_score, nb.needs_manual_grade, nb.status) for nb in alice.notebooks] == [
        ("01_squares", 3.0, 5.0, True, "graded"), ("02_cubes", 3.0, 3.0, False, "graded")]
    assert alice.attention == []
    assert cell_grade(graded_class.workdir, "alice", "01_squares", "explain_square") == (None, True)


def test_blank_release_scores_zero_without_any_error(graded_class):
    blank = graded_class.parallel.student("blank")
    assert [(nb.score, nb.needs_manual_grade, nb.status) for nb in blank.notebooks] == [
        (0.0, False, "graded"), (0.0, False, "graded")]
    assert blank.problems == []


def test_patching_numpy_does_not_fool_the_toy_tests_and_is_flagged(graded_class):
    report = graded_class.parallel
    assert report.scores()["tamperer"] == {"01_squares": 1, "02_cubes": 1}
    [finding] = problems_of(report, "tamperer", "tampering_suspected")
    assert finding.notebook == "01_squares"
    assert finding.detail == "square: assigns to numpy.testing.assert_allclose"


def test_deleted_test_cells_are_restored_and_graded_not_left_for_manual_grading(graded_class):
    workdir = graded_class.workdir
    assert cell_grade(workdir, "deleter", "01_squares", "square_values") == (0.0, False)
    assert cell_grade(workdir, "deleter", "01_squares", "add_values") == (1.0, False)
    [problem] = problems_of(graded_class.parallel, "deleter", "deleted_cell")
    assert problem.detail == "re-inserted deleted cells from the release: square_values, add_values"


def test_an_edited_test_cell_is_restored(graded_class):
    assert cell_grade(graded_class.workdir, "editor", "01_squares", "square_values") == (0.0, False)
    [problem] = problems_of(graded_class.parallel, "editor", "edited_cell")
    assert problem.detail.endswith(": square_values")


def test_a_dead_kernel_costs_the_cells_from_there_on_only(graded_class):
    workdir = graded_class.workdir
    assert cell_grade(workdir, "exiter", "01_squares", "square_values") == (2.0, False)
    assert cell_grade(workdir, "exiter", "01_squares", "add_values") == (0.0, False)
    assert graded_class.parallel.student("exiter").notebooks[1].status == "graded"
    [problem] = problems_of(graded_class.parallel, "exiter", "kernel_died")
    assert (problem.notebook, problem.detail) == ("01_squares", "the kernel died (exit, crash or out of memory) in add")
    graded = nbformat.read(workdir / "course/autograded/exiter/toy/01_squares.ipynb", as_version=4)
    test_cell = graded.cells[toy.find_cell(graded, "add_values")]
    assert [output.ename for output in test_cell.outputs] == ["NotRun"]


def test_an_infinite_loop_is_interrupted_and_costs_its_test(graded_class):
    [problem] = problems_of(graded_class.parallel, "looper", "timeout")
    assert problem.notebook == "02_cubes"
    assert problem.detail == "ran past the time limit and was interrupted in cube_values"
    assert cell_grade(graded_class.workdir, "looper", "02_cubes", "halve_values") == (1.0, False)


def test_a_kernel_that_ignores_the_interrupt_is_stopped_and_the_rest_scores_zero(graded_class):
    [problem] = problems_of(graded_class.parallel, "stubborn", "kernel_unresponsive")
    assert problem.detail == "ignored the interrupt after the time limit, kernel stopped, in halve"
    assert cell_grade(graded_class.workdir, "stubborn", "02_cubes", "cube_values") == (2.0, False)
    assert cell_grade(graded_class.workdir, "stubborn", "02_cubes", "halve_values") == (0.0, False)


def test_an_output_flood_is_cut_and_costs_only_the_flooding_tests(graded_class):
    assert {"output_truncated", "timeout"} <= kinds(graded_class.parallel, "flooder")
    graded = graded_class.workdir / "course/autograded/flooder/toy/01_squares.ipynb"
    assert graded.stat().st_size < 400_000
    assert cell_grade(graded_class.workdir, "flooder", "01_squares", "add_values") == (0.0, False)
    assert cell_grade(graded_class.workdir, "flooder", "01_squares", "square_values") == (2.0, False)
    [problem] = problems_of(graded_class.parallel, "flooder", "output_truncated")
    assert problem.detail == "printed too much output (truncated) in add_values"


def test_the_kernel_memory_cap_turns_a_huge_allocation_into_a_memory_error(graded_class):
    [problem] = problems_of(graded_class.parallel, "hog", "memory_error")
    assert problem.detail == "hit the kernel memory limit (MemoryError) in halve_values"


def test_invalid_and_missing_notebooks_score_zero_and_the_others_are_graded(graded_class):
    report = graded_class.parallel
    for student, kind in (("broken", "invalid_notebook"), ("partial", "missing_notebook")):
        notebooks = report.student(student).notebooks
        assert [(nb.score, nb.status) for nb in notebooks] == [(3.0, "graded"), (0.0, "not submitted")]
        [problem] = problems_of(report, student, kind)
        assert problem.notebook == "02_cubes"
    assert problems_of(report, "partial", "missing_notebook")[0].detail == "02_cubes.ipynb was not handed in: scored 0"
    assert problems_of(report, "broken", "invalid_notebook")[0].detail.startswith("02_cubes.ipynb is not valid JSON (")


def test_renamed_notebooks_are_matched_back(graded_class):
    details = [problem.detail for problem in problems_of(graded_class.parallel, "renamer", "renamed_notebook")]
    assert details == ["01_squares (1).ipynb graded as 01_squares.ipynb",
                       "Copy of 02_cubes.ipynb graded as 02_cubes.ipynb"]


def test_duplicated_cells_keep_the_first_and_do_not_stop_the_batch(graded_class):
    [problem] = problems_of(graded_class.parallel, "duplicator", "duplicate_cell")
    assert problem.detail.endswith(": square, add_values")
    assert graded_class.parallel.scores()["duplicator"] == {"01_squares": 3, "02_cubes": 3}


def test_hard_coded_visible_values_are_caught_by_the_hidden_test(graded_class):
    assert cell_grade(graded_class.workdir, "hardcoder", "01_squares", "square_values") == (0.0, False)


# ----------------------------------------------------------------------------- feedback


def feedback_pages(graded_class):
    return sorted((graded_class.workdir / "course" / "feedback").rglob("*.html"))


def test_every_graded_notebook_has_a_feedback_page(graded_class):
    pages = feedback_pages(graded_class)
    graded = [(student.student, nb.notebook) for student in graded_class.parallel.students
              for nb in student.notebooks if nb.status == "graded"]
    assert sorted((page.parts[-3], page.stem) for page in pages) == sorted(graded)


def test_feedback_pages_show_no_hidden_test(graded_class):
    for page in feedback_pages(graded_class):
        text = visible_text(page)
        for marker in (*toy.HIDDEN_MARKERS, "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
            assert marker not in text, (page, marker)


def test_feedback_of_the_blank_release_shows_no_solution_but_shows_the_visible_tests(graded_class):
    page = graded_class.workdir / "course/feedback/blank/toy/01_squares.html"
    text = visible_text(page)
    for marker in (*toy.SOLUTION_MARKERS, "BEGIN SOLUTION"):
        assert marker not in text
    assert toy.VISIBLE_TEST_LINE in text  # the same grep finds what is there
    assert "# (hidden tests are not shown)" in text


def test_printing_the_history_or_notebook_files_leaks_neither_hidden_tests_nor_solutions(graded_class):
    text = visible_text(graded_class.workdir / "course/feedback/snooper/toy/01_squares.html")
    for marker in (*toy.HIDDEN_MARKERS, *toy.SOLUTION_MARKERS):
        assert marker not in text
    assert "[line not shown]" in text
    assert "print(open(path).read())" in text  # the student's own code is shown


def test_a_failing_hidden_test_keeps_its_message_but_not_its_code(graded_class):
    text = visible_text(graded_class.workdir / "course/feedback/hardcoder/toy/01_squares.html")
    assert f"AssertionError: {toy.HIDDEN_FAILURE_MESSAGE}" in text
    assert "Cell In[3] (test code not shown)" in text  # the "try it" cell before it did not run
    for marker in toy.HIDDEN_MARKERS:
        assert marker not in text


def test_feedback_can_be_regenerated_from_the_course_gradebook(graded_class):
    from course_admin.grading import regenerate_feedback

    page = graded_class.workdir / "course/feedback/hardcoder/toy/01_squares.html"
    page.unlink()
    pages = regenerate_feedback(graded_class.course, toy.ASSIGNMENT, graded_class.workdir, ["hardcoder"])
    assert pages == {"hardcoder": [page, page.with_name("02_cubes.html")]}
    text = visible_text(page)
    assert f"AssertionError: {toy.HIDDEN_FAILURE_MESSAGE}" in text
    assert not any(marker in text for marker in toy.HIDDEN_MARKERS)


# ----------------------------------------------------------------------------- report


def test_grades_csv_has_one_row_per_student_and_notebook(graded_class):
    report = graded_class.parallel
    with open(report.grades_csv, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["student", "assignment", "notebook", "score", "max_score",
                             "needs_manual_grade", "status"]
    assert {(row["student"], row["notebook"]): float(row["score"]) for row in rows} == {
        (student, notebook): score for student, scores in report.scores().items()
        for notebook, score in scores.items()}
    assert {row["max_score"] for row in rows} == {"5", "3"}


def test_the_table_lists_who_needs_attention_and_why(graded_class):
    table = graded_class.parallel.table()
    lines = table.splitlines()
    assert lines[0] == f"Assignment toy: {len(graded_class.expected)} students"  # 17, 19 with the attackers
    assert any(re.fullmatch(r"alice\s+3/5\*\s+3/3\s+6/8", line) for line in lines)
    assert any(re.fullmatch(r"partial\s+3/5\*\s+0/3!\s+3/8", line) for line in lines)
    attention_count = len(set(graded_class.expected) - {"alice", "blank", "hardcoder", "snooper", "tinkerer"})
    assert f"Needs attention ({attention_count} students):" in lines
    assert "  exiter [01_squares] crashed kernel: the kernel died (exit, crash or out of memory) in add" in lines
    assert "  tamperer [01_squares] tampering suspected: square: assigns to numpy.testing.assert_allclose" in lines
    attention = graded_class.parallel.needs_attention()
    assert "alice" not in attention and "blank" not in attention
    assert set(attention) == set(graded_class.expected) - {"alice", "blank", "hardcoder", "snooper", "tinkerer"}


@pytest.mark.parametrize("student", ["alice", "exiter"])
def test_report_json_and_logs_are_written(graded_class, student):
    assert (graded_class.workdir / "reports" / "report.json").exists()
    log = (graded_class.workdir / "logs" / f"{student}.log").read_text()
    assert f"--- autograde {student}/toy/01_squares" in log
