"""Reading a class from nbgrader's layout or from LMS zip downloads, and sanitising it."""
from __future__ import annotations

import zipfile
from pathlib import Path

import nbformat
import pytest

import grading_toy as toy
from conftest import ISOLATED
from grading_toy import tree_fingerprint
from course_admin.grading import GradingSettings
from course_admin.grading.engine import collect_submissions, detect_layout
from course_admin.grading.intake import (collect_folder, collect_zips, safe_student_id, sanitise_class,
                                         sanitise_submission)

PATTERN = GradingSettings().student_pattern


def notebook_bytes(nb) -> bytes:
    return nbformat.writes(nb).encode()


@pytest.mark.parametrize("raw, safe", [
    ("alice", "alice"), ("Alice Smith", "Alice_Smith"), ("bob/../x", "bob_.._x"), ("  ", "student"),
    ("jo@uni.edu", "jo@uni.edu"), ("[weird]*", "weird"),
])
def test_student_ids_are_made_safe(raw, safe):
    assert safe_student_id(raw) == safe


def test_collect_folder_reads_notebooks_timestamp_and_reports_other_files(tmp_path, toy_release):
    folder = tmp_path / "submitted" / "alice" / "toy"
    folder.mkdir(parents=True)
    (folder / "01_squares.ipynb").write_bytes(notebook_bytes(toy_release["01_squares.ipynb"]))
    (folder / "sub").mkdir()
    (folder / "sub" / "02_cubes.ipynb").write_bytes(notebook_bytes(toy_release["02_cubes.ipynb"]))
    (folder / ".ipynb_checkpoints").mkdir()
    (folder / ".ipynb_checkpoints" / "01_squares-checkpoint.ipynb").write_text("{}")
    (folder / "timestamp.txt").write_text("2026-11-20 10:00:00 UTC\n")
    (folder / "numpy.py").write_text("raise SystemExit")
    (folder / "a_copy").mkdir()
    (folder / "a_copy" / "01_squares.ipynb").write_text("{}")
    (tmp_path / "submitted" / "bob").mkdir()
    (tmp_path / "submitted" / "Bob Smith").mkdir()
    (tmp_path / "submitted" / "Bob_Smith").mkdir()

    found = {submission.student: submission for submission in collect_folder(tmp_path / "submitted", "toy")}
    assert sorted(found) == ["Bob_Smith", "Bob_Smith-2", "alice", "bob"]
    alice, bob, bob_smith, bob_smith_2 = found["alice"], found["bob"], found["Bob_Smith"], found["Bob_Smith-2"]
    assert sorted(alice.files) == ["01_squares.ipynb", "02_cubes.ipynb"]
    assert alice.files["01_squares.ipynb"] == notebook_bytes(toy_release["01_squares.ipynb"])
    assert alice.timestamp == "2026-11-20 10:00:00 UTC"
    assert [(p.kind, p.detail) for p in alice.problems] == [
        ("ignored_file", "not graded: numpy.py"),
        ("unmatched_file", "a_copy/01_squares.ipynb has the name of another notebook of this submission "
                           "and was not graded")]
    assert (bob.student, bob.files, bob.problems) == ("bob", {}, [])
    assert [p.detail for p in bob_smith.problems] == ["student id 'Bob Smith' is graded as 'Bob_Smith'"]
    assert [p.detail for p in bob_smith_2.problems] == ["student id 'Bob_Smith' is graded as 'Bob_Smith-2'"]


def write_zip(path: Path, members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def test_collect_zips_reads_archives_and_loose_notebooks(tmp_path, toy_release):
    squares = notebook_bytes(toy_release["01_squares.ipynb"])
    cubes = notebook_bytes(toy_release["02_cubes.ipynb"])
    write_zip(tmp_path / "alice_1234_attempt_2026-11-20.zip", {
        "toy/01_squares.ipynb": squares, "toy/data/02_cubes.ipynb": cubes,
        "__MACOSX/toy/._01_squares.ipynb": b"junk", "toy/.ipynb_checkpoints/x-checkpoint.ipynb": b"{}",
        "toy/notes.txt": b"hello",
    })
    (tmp_path / "bob_5678_01_squares.ipynb").write_bytes(squares)
    (tmp_path / "broken_1_upload.zip").write_bytes(b"PK\x03\x04 not really a zip")
    (tmp_path / "README.txt").write_text("downloaded from the LMS")
    (tmp_path / "nounderscore.zip").write_bytes(b"")

    submissions, unassigned = collect_zips(tmp_path, PATTERN)
    by_id = {submission.student: submission for submission in submissions}
    assert sorted(by_id) == ["alice", "bob", "broken"]
    assert sorted(by_id["alice"].files) == ["01_squares.ipynb", "02_cubes.ipynb"]
    assert [(p.kind, p.detail) for p in by_id["alice"].problems] == [
        ("ignored_file", "not graded: alice_1234_attempt_2026-11-20.zip:toy/notes.txt")]
    assert list(by_id["bob"].files) == ["5678_01_squares.ipynb"]
    assert [p.kind for p in by_id["broken"].problems] == ["archive_error"]
    assert by_id["broken"].problems[0].detail.startswith("broken_1_upload.zip could not be read (")
    assert unassigned == ["README.txt", "nounderscore.zip"]


def test_layout_is_detected(tmp_path):
    (tmp_path / "nbgrader" / "alice" / "toy").mkdir(parents=True)
    (tmp_path / "lms").mkdir()
    (tmp_path / "lms" / "alice_1.zip").write_bytes(b"")
    assert detect_layout(tmp_path / "nbgrader") == "nbgrader"
    assert detect_layout(tmp_path / "lms") == "zips"
    with pytest.raises(ValueError, match="unknown layout 'moodle'"):
        collect_submissions(tmp_path / "lms", "toy", GradingSettings(), layout="moodle")


def test_zip_downloads_and_nbgrader_layout_give_the_same_sanitised_class(tmp_path, toy_release):
    folder_class = tmp_path / "folder"
    toy.write_class(folder_class, toy_release)
    zips = tmp_path / "zips"
    zips.mkdir()
    for student_dir in sorted(folder_class.iterdir()):
        members = {f"{student_dir.name}/{path.name}": path.read_bytes()
                   for path in sorted((student_dir / "toy").iterdir())}
        write_zip(zips / f"{student_dir.name}_9999_assignsubmission_file.zip", members)

    release_dir = tmp_path / "release"
    release_dir.mkdir()
    for name, nb in toy_release.items():
        nbformat.write(nb, release_dir / name)
    from_folder = sanitise_class(collect_folder(folder_class, "toy"), release_dir, tmp_path / "out1", "toy")
    raw_zips, unassigned = collect_zips(zips, PATTERN)
    from_zips = sanitise_class(raw_zips, release_dir, tmp_path / "out2", "toy")
    assert unassigned == []
    assert {s: (r.notebooks, r.problems) for s, r in from_folder.items()} == \
        {s: (r.notebooks, r.problems) for s, r in from_zips.items()}
    assert {path: digest for path, (digest, _) in tree_fingerprint(tmp_path / "out1").items()} == \
        {path: digest for path, (digest, _) in tree_fingerprint(tmp_path / "out2").items()}


def test_sanitising_reports_and_scores_each_notebook_on_its_own(tmp_path, toy_release):
    from course_admin.grading.intake import RawSubmission

    raw = RawSubmission("carol", {
        "Copy of 01_squares.ipynb": notebook_bytes(toy_release["01_squares.ipynb"]),
        "02_cubes.ipynb": b'{"cells": [',
        "scratch.ipynb": notebook_bytes(nbformat.v4.new_notebook()),
    })
    result = sanitise_submission(raw, toy_release, tmp_path / "carol" / "toy")
    assert result.notebooks == ["01_squares.ipynb"]
    assert [(p.kind, p.notebook, p.detail) for p in result.problems] == [
        ("renamed_notebook", "01_squares", "Copy of 01_squares.ipynb graded as 01_squares.ipynb"),
        ("invalid_notebook", "02_cubes", "02_cubes.ipynb is not valid JSON (Expecting value at line 1): scored 0"),
        ("unmatched_file", None, "scratch.ipynb matches no notebook of the assignment and was not graded"),
    ]
    assert sorted(path.name for path in (tmp_path / "carol" / "toy").iterdir()) == ["01_squares.ipynb"]


def test_a_class_of_zip_downloads_is_graded_end_to_end(toy_course, toy_release, tmp_path):
    from course_admin.grading import grade_class

    full = toy.solution_answers()
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    write_zip(downloads / "dana_4411_assignsubmission_file_.zip", {
        "homework/01_squares (1).ipynb": notebook_bytes(toy.answered(toy_release["01_squares.ipynb"], full)),
        "homework/02_cubes.ipynb": notebook_bytes(toy_release["02_cubes.ipynb"]),
    })
    (downloads / "eli_4412_02_cubes.ipynb").write_bytes(
        notebook_bytes(toy.answered(toy_release["02_cubes.ipynb"], full)))
    before = tree_fingerprint(downloads)
    report = grade_class(toy_course, toy.ASSIGNMENT, downloads, tmp_path / "work", workers=2,
                         settings=GradingSettings(sandbox=ISOLATED))
    assert report.scores() == {"dana": {"01_squares": 3, "02_cubes": 0}, "eli": {"01_squares": 0, "02_cubes": 3}}
    assert [p.detail for p in report.student("dana").problems] == [
        "01_squares (1).ipynb graded as 01_squares.ipynb"]
    assert [p.detail for p in report.student("eli").problems] == [
        "01_squares.ipynb was not handed in: scored 0"]
    assert tree_fingerprint(downloads) == before
