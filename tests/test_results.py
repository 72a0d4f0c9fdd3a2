"""``course.py feedback`` and ``course.py export`` on a small toy class graded once for the module.

The class (four students of the toy course of ``tests/grading``) is graded once; each test
that changes the gradebook works on its own copy of the graded work folder. Hand grading is
done as formgrader does it, with nbgrader's ``Gradebook`` API.
"""
from __future__ import annotations

import csv
import html
import json
import re
import shutil
import sys
import time
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "grading"))
import grading_toy as toy  # noqa: E402

from course_admin import results  # noqa: E402
from course_admin.grading import exports  # noqa: E402

#: the students graded for this module, and their autograded points per notebook
CLASS = {"alice": {"01_squares": 3, "02_cubes": 3}, "blank": {"01_squares": 0, "02_cubes": 0},
         "hardcoder": {"01_squares": 1, "02_cubes": 3}, "partial": {"01_squares": 3, "02_cubes": 0}}
HAND_SCORE, HAND_COMMENT = 1.5, "Right idea; say what happens to negative numbers."
#: the hand score as the feedback page shows it next to the answer (nbgrader prints floats: 1.5 / 2.0)
HAND_SCORE_SHOWN = re.compile(r"1\.5\s*/\s*2(\.0)?\b")


def _isolation_works() -> bool:
    from course_admin.grading.sandbox import check

    return check().works


def write_small_class(submitted: Path, release_dir: Path) -> None:
    """The submissions of :data:`CLASS` in nbgrader's layout, built from the toy release."""
    release = {name: nbformat.read(release_dir / name, as_version=4) for name in toy.NOTEBOOKS}
    squares, cubes = release["01_squares.ipynb"], release["02_cubes.ipynb"]
    full = toy.solution_answers()
    hardcoded = "def square(x):\n    return abs(x) * 3.0 if np.ndim(x) == 0 else x * x\n"
    notebooks = {
        "alice": {"01_squares.ipynb": toy.answered(squares, full), "02_cubes.ipynb": toy.answered(cubes, full)},
        "blank": {"01_squares.ipynb": squares, "02_cubes.ipynb": cubes},
        "hardcoder": {"01_squares.ipynb": toy.answered(squares, toy.solution_answers(square=hardcoded)),
                      "02_cubes.ipynb": toy.answered(cubes, full)},
        "partial": {"01_squares.ipynb": toy.answered(squares, full)},
    }
    for student, files in notebooks.items():
        for name, nb in files.items():
            toy.write_notebook(submitted / student / toy.ASSIGNMENT / name, nb)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """(course root, submissions, graded work folder): never changed by the tests, copy it first."""
    from course_admin.grading import GradingSettings, grade_class, prepare_workspace

    sandbox = _isolation_works()
    course = toy.write_course(tmp_path_factory.mktemp("toy_course"))
    workdir = tmp_path_factory.mktemp("graded") / "work"
    workspace = prepare_workspace(course, toy.ASSIGNMENT, workdir, GradingSettings(sandbox=sandbox))
    submissions = tmp_path_factory.mktemp("submissions")
    write_small_class(submissions, workspace.release_dir)
    report = grade_class(course, toy.ASSIGNMENT, submissions, workdir, workers=2,
                         settings=GradingSettings(sandbox=sandbox), layout="nbgrader")
    assert report.scores() == CLASS
    return course, submissions, workdir


@pytest.fixture
def work(graded, tmp_path) -> Path:
    """A private copy of the graded work folder."""
    copy = tmp_path / "work"
    shutil.copytree(graded[2], copy, symlinks=True)
    return copy


def gradebook_url(workdir: Path) -> str:
    return f"sqlite:///{workdir / 'course' / 'gradebook.db'}"


def hand_grade(workdir: Path, student: str, score: float, comment: str | None = None, *,
               clear_flag: bool = True) -> None:
    """Give ``student``'s written answer ``explain_square`` a hand score (and comment), as formgrader does.

    formgrader's API stores ``manual_score`` and clears ``needs_manual_grade`` (it sets it only
    when neither score exists); ``clear_flag=False`` leaves nbgrader's flag set, as nbgrader's
    own autograder leaves a re-graded cell with a manual score.
    """
    from nbgrader.api import Gradebook

    with Gradebook(gradebook_url(workdir)) as gradebook:
        grade = gradebook.find_grade("explain_square", "01_squares", toy.ASSIGNMENT, student)
        grade.manual_score = score
        if clear_flag:
            grade.needs_manual_grade = grade.manual_score is None and grade.auto_score is None
        if comment is not None:
            gradebook.find_comment("explain_square", "01_squares", toy.ASSIGNMENT, student).manual_comment = comment
        gradebook.db.commit()


def visible_text(path: Path) -> str:
    """A feedback page as a reader sees it: tags removed, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", Path(path).read_text()))


def table_line(table: str, student: str) -> str:
    [line] = [line for line in table.splitlines() if line.startswith(student + " ")]
    return line


def grades_csv(workdir: Path) -> dict[tuple[str, str], dict[str, str]]:
    with (workdir / "reports" / "grades.csv").open(newline="") as handle:
        return {(row["student"], row["notebook"]): row for row in csv.DictReader(handle)}


def read_rows(path: Path) -> list[list[str]]:
    with Path(path).open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    code = results.main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# ----------------------------------------------------------------------------- feedback


@pytest.fixture
def no_kernels(monkeypatch) -> list:
    """Fail any attempt to create a Jupyter kernel manager; the list records the attempts."""
    import jupyter_client
    from jupyter_client import manager

    attempts = []

    def refuse(self, *args, **kwargs):
        attempts.append(type(self).__name__)
        raise AssertionError("a kernel manager was created")

    for cls in {manager.KernelManager, manager.AsyncKernelManager, jupyter_client.KernelManager,
                jupyter_client.AsyncKernelManager}:
        monkeypatch.setattr(cls, "__init__", refuse)
    return attempts


def test_feedback_puts_a_hand_score_and_comment_everywhere_without_running_a_kernel(
        graded, work, capsys, no_kernels):
    """Pages, grades.csv, report.json and the table take the hand score; no kernel, nothing re-graded."""
    course = graded[0]
    page = work / "course/feedback/alice/toy/01_squares.html"
    assert not HAND_SCORE_SHOWN.search(visible_text(page)) and HAND_COMMENT not in visible_text(page)
    assert grades_csv(work)[("alice", "01_squares")]["score"] == "3"
    assert re.fullmatch(r"alice\s+3/5\*\s+3/3\s+6/8", table_line(graded_table(work), "alice"))

    autograded = {path: path.stat().st_mtime_ns for path in (work / "course/autograded").rglob("*.ipynb")}
    hand_grade(work, "alice", HAND_SCORE, HAND_COMMENT)
    code, out, err = run(["feedback", "--workdir", str(work), "--course", str(course)], capsys)

    assert code == 0, err
    assert no_kernels == []
    assert {path: path.stat().st_mtime_ns for path in autograded} == autograded  # nothing was graded again
    text = visible_text(page)
    assert HAND_SCORE_SHOWN.search(text) and HAND_COMMENT in text
    # the table: alice's written answer is graded (no *), partial's still waits
    assert re.fullmatch(r"alice\s+4\.5/5\s+3/3\s+7\.5/8", table_line(out, "alice"))
    assert re.fullmatch(r"partial\s+3/5\*\s+0/3!\s+3/8", table_line(out, "partial"))
    assert "4 students" in out.splitlines()[0]
    row = grades_csv(work)[("alice", "01_squares")]
    assert (row["score"], row["needs_manual_grade"], row["status"]) == ("4.5", "0", "graded")
    report = json.loads((work / "reports/report.json").read_text())
    alice = next(entry for entry in report["students"] if entry["student"] == "alice")
    assert alice["score"] == 7.5 and alice["notebooks"][0]["needs_manual_grade"] is False
    assert alice["feedback"] == [str(page), str(page.with_name("02_cubes.html"))]


def graded_table(work: Path) -> str:
    """The class table from the gradebook as it is now (what ``feedback`` would print)."""
    from course_admin.grading.refresh import load_graded_class, rebuild_report

    return rebuild_report(load_graded_class(work), {}).table()


def test_feedback_keeps_what_only_grading_knew(graded, work, capsys):
    before = json.loads((work / "reports/report.json").read_text())
    code, _, err = run(["feedback", "--workdir", str(work), "--course", str(graded[0])], capsys)
    assert code == 0, err
    after = json.loads((work / "reports/report.json").read_text())
    for key in ("assignment", "isolation", "seconds", "workers", "phase_seconds", "unassigned_files"):
        assert after[key] == before[key], key
    for old, new in zip(before["students"], after["students"]):
        assert (new["student"], new["seconds"], new["problems"]) == (old["student"], old["seconds"], old["problems"])
        assert [nb["status"] for nb in new["notebooks"]] == [nb["status"] for nb in old["notebooks"]]
    partial = next(entry for entry in after["students"] if entry["student"] == "partial")
    assert [problem["kind"] for problem in partial["problems"]] == ["missing_notebook"]
    assert [nb["status"] for nb in partial["notebooks"]] == ["graded", "not submitted"]


def test_a_hand_score_counts_as_graded_even_while_nbgrader_flags_the_cell(work):
    from course_admin.grading.refresh import load_graded_class
    from course_admin.grading.gradebook import read_outcomes

    graded_class = load_graded_class(work)
    [alice] = read_outcomes(graded_class.workspace, ["alice"])
    [before] = [notebook for notebook in alice.notebooks if notebook.notebook == "01_squares"]
    assert before.needs_manual_grade and before.score == 3
    hand_grade(work, "alice", 2.0, clear_flag=False)
    [alice] = read_outcomes(graded_class.workspace, ["alice"])
    [after] = [notebook for notebook in alice.notebooks if notebook.notebook == "01_squares"]
    assert (after.score, after.needs_manual_grade) == (5.0, False)


def test_a_hand_score_survives_a_regrade_and_does_not_wait_again(graded, work, tmp_path):
    from nbgrader.api import Gradebook

    from course_admin.grading import GradingSettings, grade_class

    course, submissions, _ = graded
    only_alice = tmp_path / "only_alice"
    shutil.copytree(submissions / "alice", only_alice / "alice")
    hand_grade(work, "alice", HAND_SCORE, HAND_COMMENT)
    report = grade_class(course, toy.ASSIGNMENT, only_alice, work, workers=1,
                         settings=GradingSettings(sandbox=_isolation_works()), layout="nbgrader")
    squares = report.student("alice").notebooks[0]
    assert (squares.score, squares.needs_manual_grade) == (4.5, False)
    assert re.fullmatch(r"alice\s+4\.5/5\s+3/3\s+7\.5/8", table_line(report.table(), "alice"))
    with Gradebook(gradebook_url(work)) as gradebook:
        grade = gradebook.find_grade("explain_square", "01_squares", toy.ASSIGNMENT, "alice")
        assert (grade.manual_score, grade.needs_manual_grade) == (HAND_SCORE, False)


def test_feedback_without_a_graded_class_says_what_to_run(tmp_path, capsys):
    code, out, err = run(["feedback", "--workdir", str(tmp_path / "nothing")], capsys)
    assert code == 1 and out == ""
    assert "holds no graded class (no course/gradebook.db, no gradebook-url)" in err
    assert "python3 course.py grade --submissions DIR" in err
    # a gradebook without the grading run's report
    (tmp_path / "half" / "course").mkdir(parents=True)
    (tmp_path / "half" / "course" / "gradebook.db").write_bytes(b"")
    code, _, err = run(["export", "--format", "csv", "--workdir", str(tmp_path / "half")], capsys)
    assert code == 1 and "has a gradebook but no reports/report.json" in err


# ----------------------------------------------------------------------------- export

ROSTER = ("student_id,first_name,last_name,email,lms_user_id,sis_id,login_id,section\n"
          "alice,Alice,Liddell,alice@example.edu,101,S-1,aliddell,Lab A\n"
          "blank,Bob,Blank,bob@example.edu,102,S-2,bblank,Lab B\n"
          "hardcoder,Hana,Coder,hana@example.edu,,S-3,,Lab A\n"
          "partial,\"Pat, Jr.\",Partial,pat@example.edu,104,,ppartial,\n")


@pytest.fixture
def roster(tmp_path) -> Path:
    path = tmp_path / "roster.csv"
    path.write_text(ROSTER)
    return path


def test_canvas_export_has_the_documented_columns_and_the_points_possible_row(work, roster, capsys):
    hand_grade(work, "alice", HAND_SCORE, HAND_COMMENT)
    output = work / "canvas.csv"
    code, out, err = run(["export", "--format", "canvas", "--workdir", str(work), "--roster", str(roster),
                          "--output", str(output), "--column", "Planar NN (4242)"], capsys)
    assert code == 0, err
    rows = read_rows(output)
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Planar NN (4242)"]
    assert rows[1] == ["Points Possible", "", "", "", "", "8"]
    assert rows[2:] == [
        ["Liddell, Alice", "101", "S-1", "aliddell", "Lab A", "7.5"],  # hand score included
        ["Blank, Bob", "102", "S-2", "bblank", "Lab B", "0"],
        ["Coder, Hana", "", "S-3", "", "Lab A", "4"],
        ["Partial, Pat, Jr.", "104", "", "ppartial", "", "3"],
    ]
    assert "4 students written to" in out
    # hardcoder's and partial's written answers still wait: exported, and said so
    assert "warning: hardcoder still waits for manual grading in 01_squares" in err
    assert "warning: partial still waits" in err and "alice" not in err


def test_moodle_export_has_an_identity_column_a_grade_and_its_feedback(work, roster, capsys):
    hand_grade(work, "alice", HAND_SCORE, HAND_COMMENT)
    code, _, err = run(["export", "--format", "moodle", "--workdir", str(work), "--roster", str(roster),
                        "--percent"], capsys)
    assert code == 0, err
    rows = read_rows(work / "reports" / "grades_moodle.csv")
    assert rows[0] == ["First name", "Last name", "ID number", "Username", "Email address", "toy", "toy feedback"]
    by_email = {row[4]: row for row in rows[1:]}
    assert list(by_email) == ["alice@example.edu", "bob@example.edu", "hana@example.edu", "pat@example.edu"]
    alice = by_email["alice@example.edu"]
    assert alice[:6] == ["Alice", "Liddell", "S-1", "aliddell", "alice@example.edu", "93.75"]  # 7.5 of 8
    assert alice[6] == "7.5/8 points: 01_squares 4.5/5, 02_cubes 3/3"
    assert by_email["pat@example.edu"][5] == "37.5"
    assert by_email["pat@example.edu"][6].startswith("3/8 points: 01_squares 3/5 (written answers not graded yet)")


def test_plain_csv_export_has_one_column_per_notebook(work, capsys):
    hand_grade(work, "alice", HAND_SCORE, HAND_COMMENT)
    code, _, err = run(["export", "--format", "csv", "--workdir", str(work)], capsys)
    assert code == 0, err  # needs no LMS identity
    rows = read_rows(work / "reports" / "grades_table.csv")
    assert rows == [
        ["student", "total", "max", "percent", "01_squares", "02_cubes", "waiting_for_manual_grading"],
        ["alice", "7.5", "8", "93.75", "4.5", "3", ""],
        ["blank", "0", "8", "0", "0", "0", ""],
        ["hardcoder", "4", "8", "50", "1", "3", "01_squares"],
        ["partial", "3", "8", "37.5", "3", "0", "01_squares"],
    ]


def test_students_without_an_lms_identity_are_listed_and_nothing_is_written(work, roster, capsys):
    output = work / "moodle.csv"
    # no roster: nbgrader's student table has no emails for the toy class
    code, _, err = run(["export", "--format", "moodle", "--workdir", str(work), "--output", str(output)], capsys)
    assert code == 1 and not output.exists()
    assert "Not written: 4 students have no moodle identity" in err
    assert "  alice: no Email address (roster column email)" in err
    # the roster gives hardcoder no login: Moodle by username misses exactly hardcoder
    code, _, err = run(["export", "--format", "moodle", "--workdir", str(work), "--roster", str(roster),
                        "--moodle-key", "username", "--output", str(output)], capsys)
    assert code == 1 and not output.exists()
    assert "Not written: 1 students" in err and "  hardcoder: no Username" in err
    code, _, err = run(["export", "--format", "moodle", "--workdir", str(work), "--roster", str(roster),
                        "--moodle-key", "username", "--output", str(output), "--allow-missing"], capsys)
    assert code == 0 and "Left out of the export (1 students" in err
    assert [row[3] for row in read_rows(output)[1:]] == ["aliddell", "bblank", "ppartial"]


def test_canvas_identities_come_from_the_gradebook_when_there_is_no_roster(work, capsys):
    from nbgrader.api import Gradebook

    with Gradebook(gradebook_url(work)) as gradebook:
        for student, lms_id in (("alice", "9001"), ("blank", "9002")):
            gradebook.update_or_create_student(student, first_name=student.title(), last_name="Toy",
                                               lms_user_id=lms_id)
    output = work / "canvas.csv"
    code, _, err = run(["export", "--format", "canvas", "--workdir", str(work), "--output", str(output)], capsys)
    assert code == 1 and not output.exists()
    assert "  hardcoder: no Canvas ID, SIS User ID or SIS Login ID" in err and "alice:" not in err
    code, _, err = run(["export", "--format", "canvas", "--workdir", str(work), "--output", str(output),
                        "--allow-missing"], capsys)
    assert code == 0, err
    assert read_rows(output)[2:] == [["Toy, Alice", "9001", "", "", "", "6"], ["Toy, Blank", "9002", "", "", "", "0"]]


def test_a_roster_with_an_unknown_column_is_refused(work, tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("student_id,emial\nalice,alice@example.edu\n")
    code, _, err = run(["export", "--format", "moodle", "--workdir", str(work), "--roster", str(bad)], capsys)
    assert code == 1
    assert "unknown columns emial" in err and "student_id (required)" in err


def test_merge_identities_prefers_non_empty_roster_fields():
    merged = exports.merge_identities({"ada": exports.Identity("ada", "Ada", "L", "old@x", "7")},
                                      {"ada": {"email": "new@x", "section": "S1"}})
    assert merged["ada"] == exports.Identity("ada", "Ada", "L", "new@x", "7", "", "", "S1")


def test_feedback_writes_a_page_per_graded_notebook(graded, work, capsys):
    for page in (work / "course" / "feedback").rglob("*.html"):
        page.unlink()
    started = time.perf_counter()
    code, out, _ = run(["feedback", "--workdir", str(work), "--course", str(graded[0])], capsys)
    elapsed = time.perf_counter() - started
    assert code == 0 and "7 feedback pages written from the gradebook" in out  # partial's 02 was not handed in
    assert sorted(str(page.relative_to(work / "course" / "feedback"))
                  for page in (work / "course" / "feedback").rglob("*.html")) == [
        f"{student}/toy/{notebook}.html" for student, notebooks in sorted(CLASS.items()) for notebook in notebooks
        if (student, notebook) != ("partial", "02_cubes")]
    with capsys.disabled():
        print(f"\ncourse.py feedback on the toy class of {len(CLASS)} students: {elapsed:.1f} s")
