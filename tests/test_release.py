"""The student release agrees with the sources, leaks nothing, and its stubs fail their own tests."""
import json
import shutil
from pathlib import Path

import nbformat
import pytest
from nbgrader.utils import compute_checksum
from nbgrader.validator import Validator

from course_admin import reference_builder, release
from course_utils.layout import ASSIGNMENT, NOTEBOOKS, function_of_test_cell

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "source_solutions" / ASSIGNMENT
RELEASED = ROOT / "notebooks" / ASSIGNMENT
LEAK_MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS",
                "BEGIN MARK SCHEME", "END MARK SCHEME")


def nbgrader_cells(path, kind):
    """Cells of a notebook whose nbgrader metadata sets ``kind`` (``"solution"``, ``"grade"`` ...)."""
    return [cell for cell in nbformat.read(path, as_version=4).cells
            if cell.metadata.get("nbgrader", {}).get(kind)]


def test_the_course_has_every_notebook_of_the_layout_in_sources_and_release():
    assert sorted(p.name for p in SOURCES.glob("*.ipynb")) == sorted(NOTEBOOKS)
    assert sorted(p.name for p in RELEASED.glob("*.ipynb")) == sorted(NOTEBOOKS)


def test_every_graded_function_has_an_answer_cell_and_a_test_cell_with_points():
    for notebook, functions in NOTEBOOKS.items():
        answers = {cell.metadata.nbgrader["grade_id"] for cell in nbgrader_cells(SOURCES / notebook, "solution")}
        tests = [cell.metadata.nbgrader for cell in nbgrader_cells(SOURCES / notebook, "grade")
                 if cell.cell_type == "code"]
        for function in functions:
            assert function in answers, f"{notebook} has no answer cell with grade_id {function!r}"
            function_tests = [t for t in tests if function_of_test_cell(t["grade_id"]) == function]
            assert function_tests, f"{notebook} has no test cell for {function}"
            assert all(t.get("locked") and t.get("points", 0) > 0 for t in function_tests)
        strays = [t["grade_id"] for t in tests if function_of_test_cell(t["grade_id"]) not in (*functions, None)]
        assert not strays, f"{notebook}: test cells named after a function of another notebook: {strays}"


def test_the_released_notebooks_are_up_to_date(tmp_path):
    fresh = release.make_student_release(tmp_path)
    assert release.release_differences(fresh, RELEASED) == [], release.STALE_MESSAGE


def test_no_released_file_contains_solutions_or_hidden_tests():
    for path in (ROOT / "notebooks").rglob("*"):
        if path.is_file():
            text = path.read_text(errors="replace")
            for marker in LEAK_MARKERS:
                assert marker not in text, f"{path.relative_to(ROOT)} contains {marker!r}"


def test_released_notebooks_have_no_outputs_and_only_stubs_in_answer_cells():
    for notebook in NOTEBOOKS:
        cells = nbformat.read(RELEASED / notebook, as_version=4).cells
        assert all(not cell.get("outputs") for cell in cells if cell.cell_type == "code")
        for cell in nbgrader_cells(RELEASED / notebook, "solution"):
            if cell.cell_type == "code":
                assert "raise NotImplementedError()" in cell.source
            else:
                assert cell.source.strip() == "YOUR ANSWER HERE"


def test_the_stored_reference_values_are_up_to_date():
    stored = json.loads(reference_builder.references.REFERENCE_FILE.read_text())
    assert reference_builder.differences(stored, reference_builder.compute_references()) == [], \
        reference_builder.STALE_MESSAGE


def test_the_stored_known_mistakes_are_up_to_date():
    """What each catalogued mistake returns on its case, as the visible tests recognise it."""
    fresh = reference_builder.compute_known_mistakes(reference_builder.compute_references())
    stored = json.loads(reference_builder.references.KNOWN_MISTAKES_FILE.read_text())
    assert stored == json.loads(json.dumps(fresh)), reference_builder.STALE_MESSAGE


def test_the_nbval_markers_stay_in_the_sources_and_leave_the_release_and_nothing_else_does():
    """Released cells outside nbgrader's care are their source cells without the marker lines."""
    stripped = {}
    for notebook in NOTEBOOKS:
        sources = {cell.id: cell for cell in nbformat.read(SOURCES / notebook, as_version=4).cells}
        for cell in nbformat.read(RELEASED / notebook, as_version=4).cells:
            if cell.cell_type != "code" or release.is_nbgrader_cell(cell):
                continue
            assert "NBVAL" not in cell.source, f"{notebook}, cell {cell.id}: a marker reaches the students"
            source = sources[cell.id].source
            if "# NBVAL_CHECK_OUTPUT" in source:
                stripped[notebook] = stripped.get(notebook, 0) + 1
                assert cell.source == source.replace("# NBVAL_CHECK_OUTPUT\n", "", 1)
            else:
                assert cell.source == source
    # every notebook whose outputs nbval checks, the lesson's 01-05, 07 and 08 among them
    assert sum(stripped.values()) == 29
    assert {"01_planar_data.ipynb", "05_cost.ipynb", "07_training.ipynb", "08_hidden_size_sweep.ipynb"} <= set(stripped)


def test_graded_and_locked_cells_keep_their_markers_and_the_checksums_nbgrader_recorded():
    locked = nbformat.v4.new_code_cell("# NBVAL_CHECK_OUTPUT\nprint(1)")
    locked.metadata["nbgrader"] = {"locked": True, "grade": False, "solution": False, "grade_id": "setup"}
    markdown = nbformat.v4.new_markdown_cell("# NBVAL_CHECK_OUTPUT")
    free = nbformat.v4.new_code_cell("x = 1\n  #  NBVAL_IGNORE_OUTPUT  \nprint(x)  # NBVAL_CHECK_OUTPUT stays: not alone")
    nb = nbformat.v4.new_notebook(cells=[locked, markdown, free])
    assert release.strip_test_markers(nb) == 1
    assert [cell.source for cell in nb.cells] == [
        "# NBVAL_CHECK_OUTPUT\nprint(1)", "# NBVAL_CHECK_OUTPUT", "x = 1\nprint(x)  # NBVAL_CHECK_OUTPUT stays: not alone"]
    checked = 0
    for notebook in NOTEBOOKS:
        for cell in nbformat.read(RELEASED / notebook, as_version=4).cells:
            if release.is_nbgrader_cell(cell):
                assert cell.metadata.nbgrader["checksum"] == compute_checksum(cell), f"{notebook}, cell {cell.id}"
                checked += 1
    assert checked > 100


@pytest.mark.parametrize("notebook", ["01_planar_data.ipynb", "05_cost.ipynb"])
def test_a_released_notebook_answered_as_the_sources_validates(notebook, tmp_path):
    """nbgrader's own check on the stripped release: every test passes and no locked cell has changed."""
    shutil.copytree(RELEASED, tmp_path / ASSIGNMENT)
    path = tmp_path / ASSIGNMENT / notebook
    answers = {cell.id: cell.source for cell in nbgrader_cells(SOURCES / notebook, "solution")}
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.id in answers:
            cell.source = answers[cell.id]
    nbformat.write(nb, path)
    assert Validator().validate(str(path)) == {}


def autograded_notebooks():
    """Released notebooks that have at least one autograded test cell."""
    return [name for name in NOTEBOOKS if (RELEASED / name).exists()
            and any(cell.cell_type == "code" for cell in nbgrader_cells(RELEASED / name, "grade"))]


@pytest.mark.parametrize("notebook", autograded_notebooks())
def test_the_untouched_stubs_fail_every_test_cell(notebook):
    results = Validator(invert=True).validate(str(RELEASED / notebook))
    assert results == {}, f"{notebook}: test cells that pass on the untouched stub: {results}"


# --- releasing never loses what someone typed into notebooks/ -------------------------------

def released_copy(tmp_path, name="target"):
    """A copy of the committed release, as a folder someone works in."""
    target = tmp_path / name / ASSIGNMENT
    shutil.copytree(RELEASED, target)
    return target


def type_into(path, text="x = 1  # my own work"):
    nb = nbformat.read(path, as_version=4)
    answer = next(cell for cell in nb.cells if cell.metadata.get("nbgrader", {}).get("solution"))
    answer.source = text
    nbformat.write(nb, path)


def test_every_released_notebook_carries_the_digest_of_its_cells():
    for notebook in NOTEBOOKS:
        nb = nbformat.read(RELEASED / notebook, as_version=4)
        assert nb.metadata[release.STAMP_KEY]["cells_sha256"] == release.cells_digest(nb)


def test_a_release_over_a_typed_in_notebook_stops_and_changes_nothing(tmp_path):
    target = released_copy(tmp_path)
    type_into(target / "05_cost.ipynb")
    before = {path.name: path.read_bytes() for path in target.iterdir()}
    fresh = released_copy(tmp_path, "fresh")
    (fresh / "03_initialization.ipynb").write_text((fresh / "03_initialization.ipynb").read_text() + "\n")
    with pytest.raises(SystemExit, match=r"05_cost.ipynb.*--force"):
        release.update_release(fresh, target, backup_root=tmp_path / "backups")
    assert {path.name: path.read_bytes() for path in target.iterdir()} == before
    assert not (tmp_path / "backups").exists()


def test_force_keeps_the_typed_in_notebook_before_replacing_it(tmp_path):
    target = released_copy(tmp_path)
    type_into(target / "05_cost.ipynb", "def compute_cost(A2, Y):\n    return 42.0  # mine")
    fresh = released_copy(tmp_path, "fresh")
    changed, backups = release.update_release(fresh, target, force=True, backup_root=tmp_path / "backups")
    assert [backup.name for backup in backups] == ["05_cost.ipynb"]
    assert "return 42.0  # mine" in backups[0].read_text()
    assert changed == ["05_cost.ipynb"]
    assert (target / "05_cost.ipynb").read_bytes() == (RELEASED / "05_cost.ipynb").read_bytes()


def test_running_cells_is_not_typing_and_a_students_own_files_are_left_alone(tmp_path):
    target = released_copy(tmp_path)
    nb = nbformat.read(target / "01_planar_data.ipynb", as_version=4)
    code = next(cell for cell in nb.cells if cell.cell_type == "code")
    code.outputs = [nbformat.v4.new_output("stream", text="ran\n")]
    code.execution_count = 1
    nbformat.write(nb, target / "01_planar_data.ipynb")
    (target / "my_notes.ipynb").write_text(json.dumps(nbformat.v4.new_notebook()))
    stale = target / "99_removed_from_the_course.ipynb"
    shutil.copy2(RELEASED / "02_logistic_regression.ipynb", stale)  # as the release wrote it once
    changed, backups = release.update_release(RELEASED, target, backup_root=tmp_path / "backups")
    assert backups == []
    assert changed == ["01_planar_data.ipynb", stale.name]
    assert (target / "my_notes.ipynb").exists() and not stale.exists()


def test_an_unreadable_or_unstamped_notebook_counts_as_typed_in(tmp_path):
    target = released_copy(tmp_path)
    (target / "02_logistic_regression.ipynb").write_text("{ not json")
    nb = nbformat.read(target / "03_initialization.ipynb", as_version=4)
    del nb.metadata[release.STAMP_KEY]
    nb.cells[0].source += " (edited)"
    nbformat.write(nb, target / "03_initialization.ipynb")
    with pytest.raises(SystemExit, match=r"02_logistic_regression.ipynb, 03_initialization.ipynb"):
        release.update_release(RELEASED, target, backup_root=tmp_path / "backups")


def test_nothing_stale_or_typed_in_is_handed_to_students(tmp_path):
    target = released_copy(tmp_path)
    release.check_handout_ready(target)  # the committed release is ready
    type_into(target / "07_training.ipynb")
    with pytest.raises(release.ReleaseNotReady, match=r"07_training.ipynb .*changed by hand.*--force"):
        release.check_handout_ready(target)
    release.stamp(target / "07_training.ipynb")  # as an older release would have written it
    with pytest.raises(release.ReleaseNotReady, match=r"stale.*07_training.ipynb"):
        release.check_handout_ready(target)


def test_a_release_is_made_again_when_a_source_changes(tmp_path, monkeypatch):
    first = release.sources_fingerprint()
    assert release.sources_fingerprint() == first
    copy = tmp_path / "source_solutions"
    shutil.copytree(SOURCES.parent, copy)
    shutil.copy2(ROOT / "nbgrader_config.py", tmp_path)
    monkeypatch.setattr(release, "ROOT", tmp_path)
    assert release.sources_fingerprint() == first  # same content, same fingerprint
    notebook = copy / ASSIGNMENT / "05_cost.ipynb"
    notebook.write_text(notebook.read_text().replace("Why cross-entropy", "Why the cross-entropy", 1))
    assert release.sources_fingerprint() != first
