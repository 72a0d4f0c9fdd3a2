"""The instructor pipeline on the course's own demonstration class (graded once for the session).

The class holds the reference solution, the untouched release, realistic mistakes, cheats and
faults (``course_admin.demo_students``); every student must score exactly as intended, the
submitted files must stay as they were, and nothing handed back may leak hidden tests or
solutions.
"""
import hashlib
import shutil
import sys
from pathlib import Path

import nbformat
import pytest

from course_admin.demo_students import write_demo_class
from course_admin.grading import GradingSettings, grade_class
from course_admin.pipeline import cell_scores, demo_verdicts
from course_utils.layout import ASSIGNMENT, NOTEBOOKS

ROOT = Path(__file__).resolve().parent.parent


def fingerprint(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from course_admin.grading.sandbox import check

    isolated = check().works  # CI installs bubblewrap; elsewhere the class is graded without its attackers
    root = tmp_path_factory.mktemp("demo")
    students = write_demo_class(root / "class", attacks=isolated)
    before = fingerprint(root / "class")
    report = grade_class(ROOT, ASSIGNMENT, root / "class", root / "grading", workers=2,
                         settings=GradingSettings(timeout=30, sandbox=isolated), layout="nbgrader")
    scores = cell_scores(report, [student.variant.student for student in students])
    return {"root": root, "students": students, "report": report, "scores": scores, "isolated": isolated,
            "before": before, "after": fingerprint(root / "class")}


def test_every_demonstration_student_scores_as_intended(demo):
    verdicts = demo_verdicts(demo["students"], demo["scores"])
    assert {student: verdict for student, verdict in verdicts.items() if verdict} == {}


def test_the_reference_gets_every_autograded_point_and_the_release_none(demo):
    autograded = demo["scores"]["reference"]  # written answers wait for a grader and are left out
    test_cells = [cell for name in NOTEBOOKS
                  for cell in nbformat.read(ROOT / "source_solutions" / ASSIGNMENT / name, as_version=4).cells
                  if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("grade")]
    assert len(autograded) == len(test_cells)
    assert all(score == maximum for score, maximum in autograded.values())
    untouched = demo["report"].student("untouched")
    assert untouched.score == 0 and all(notebook.status == "graded" for notebook in untouched.notebooks)


def test_every_student_of_the_class_is_graded(demo):
    graded = {student.student for student in demo["report"].students}
    assert graded == {student.variant.student for student in demo["students"]}
    for student in demo["report"].students:
        assert len(student.notebooks) == len(NOTEBOOKS)


def test_the_submitted_files_are_untouched(demo):
    assert demo["after"] == demo["before"]


def test_faults_and_cheats_are_reported_for_attention(demo):
    attention = {student: {problem.kind for problem in problems}
                 for student, problems in demo["report"].needs_attention().items()}
    expected = {
        "fault-kernel-exit": "kernel_died",
        "fault-infinite-loop": "timeout",
        "fault-output-flood": "output_truncated",
        "fault-huge-allocation": "memory_error",
        "fault-invalid-json": "invalid_notebook",
        "fault-missing-notebook": "missing_notebook",
        "fault-renamed-notebook": "renamed_notebook",
        "fault-duplicated-cells": "duplicate_cell",
        "cheat-patched-numpy": "tampering_suspected",
        "cheat-patched-checks": "tampering_suspected",
        "cheat-patched-builtins": "tampering_suspected",
        "cheat-edited-tests": "edited_cell",
        "cheat-deleted-tests": "deleted_cell",
    }
    for student, kind in expected.items():
        assert kind in attention.get(student, set()), f"{student}: {attention.get(student)}"
    assert "reference" not in attention and "untouched" not in attention


def test_the_grades_csv_has_a_row_per_student_and_notebook(demo):
    rows = Path(demo["report"].grades_csv).read_text().splitlines()
    assert rows[0].startswith("student,assignment,notebook,score,max_score")
    assert len(rows) == 1 + len(demo["students"]) * len(NOTEBOOKS)


def test_feedback_holds_no_hidden_tests_and_no_solutions(demo):
    pages = list((demo["root"] / "grading" / "course" / "feedback").rglob("*.html"))
    assert len(pages) >= len(NOTEBOOKS)
    for page in pages:
        text = page.read_text()
        for marker in ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "BEGIN SOLUTION", "ref_nn_model",
                       "hidden_reference_sigmoid"):
            assert marker not in text, f"{page}: {marker}"


#: one of each kind of demonstration student, graded again on a cluster: the reference, the release,
#: a mistake, a cheat, an attack on the interpreter (when isolated), a dead kernel and a broken file
ON_A_CLUSTER = ("reference", "untouched", "mistake-compute_cost-no-mean", "cheat-patched-checks",
                "attack-input-transformer", "fault-kernel-exit", "fault-invalid-json")


def test_the_class_grades_identically_on_two_dask_workers_with_a_postgresql_gradebook(demo):
    """One of each kind of student on a ``dask scheduler`` with two ``dask worker`` processes, into PostgreSQL."""
    sys.path.insert(0, str(Path(__file__).resolve().parent / "grading"))
    from services import dask_cluster, postgres_server

    everyone = {student.variant.student for student in demo["students"]}
    students = [student for student in ON_A_CLUSTER if student in everyone]
    assert len(students) >= len(ON_A_CLUSTER) - (0 if demo["isolated"] else 1)
    some_of_the_class = demo["root"] / "some-of-the-class"
    for student in students:
        shutil.copytree(demo["root"] / "class" / student, some_of_the_class / student)
    workdir = demo["root"] / "on-a-cluster"
    with dask_cluster(demo["root"] / "dask", workers=2) as cluster, postgres_server() as database:
        report = grade_class(ROOT, ASSIGNMENT, some_of_the_class, workdir, None,
                             settings=GradingSettings(timeout=30, sandbox=demo["isolated"]), layout="nbgrader",
                             scheduler=cluster.address, database=database)
        scores = cell_scores(report, students)
    assert scores == {student: demo["scores"][student] for student in students}
    assert report.scores() == {student: score for student, score in demo["report"].scores().items()
                               if student in students}
    for student in students:
        assert (sorted(problem.kind for problem in report.student(student).problems)
                == sorted(problem.kind for problem in demo["report"].student(student).problems)), student
    assert report.cluster == cluster.address and report.gradebook.startswith("postgresql://")
