"""The student's JupyterLab (``course.py lab``) and the instructor's (``lab --instructor``), in Chromium.

A student opens released notebooks, runs every cell, sees the outputs, and validates with
nbgrader's Validate button: the untouched release fails its tests, an answered notebook
passes. The student view offers the Assignment List but no formgrader, "Create
Assignment" or Course List; the instructor view offers formgrader.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from course_admin import lab
from lab_server import (jupyter_home, menu_labels, open_lab, palette_commands, quiet_lab_settings,
                            running_lab, screenshot_on_failure, server_environment, timed, wait_for_kernel)

ROOT = Path(__file__).resolve().parents[2]
RELEASED = ROOT / "notebooks" / "planar_nn"
NOTEBOOKS = ("01_planar_data.ipynb", "02_logistic_regression.ipynb")

#: nbgrader's commands (``@jupyter/nbgrader`` 0.9.6) that only instructors get
INSTRUCTOR_COMMANDS = ("nbgrader:open-formgrader", "nbgrader:open-create-assignment", "nbgrader:open-course-list")
ASSIGNMENT_LIST = "nbgrader:open-assignment-list"


def answered_copy(name: str, grade_ids: tuple[str, ...], destination: Path) -> None:
    """Copy the released notebook ``name`` with the answer cells ``grade_ids`` taken from the instructor's source."""
    source = json.loads((ROOT / "source_solutions" / "planar_nn" / name).read_text())
    released = json.loads((RELEASED / name).read_text())

    def cell(notebook, grade_id):
        return next(c for c in notebook["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == grade_id)

    for grade_id in grade_ids:
        lines = "".join(cell(source, grade_id)["source"]).splitlines(keepends=True)
        cell(released, grade_id)["source"] = "".join(line for line in lines if "### BEGIN SOLUTION" not in line
                                                     and "### END SOLUTION" not in line)
    destination.write_text(json.dumps(released, indent=1))


@pytest.fixture(scope="module")
def student_server(tmp_path_factory):
    """``course.py lab`` in a temporary home, serving copies of two released notebooks."""
    base = tmp_path_factory.mktemp("student_lab")
    home = jupyter_home(base)
    quiet_lab_settings(home)
    folder = base / "notebooks"
    folder.mkdir()
    shutil.copy(RELEASED / NOTEBOOKS[0], folder / NOTEBOOKS[0])
    answered_copy(NOTEBOOKS[1], ("accuracy", "lr_failure_answer"), folder / NOTEBOOKS[1])
    launch = lab.student_lab([], config_dir=base / "student-config", environ=server_environment(home))
    argv = [f"--ServerApp.root_dir={folder}" if arg.startswith("--ServerApp.root_dir=") else arg
            for arg in launch.argv]
    with running_lab(argv, folder, server_environment(home, launch.env), base / "server.log") as server:
        yield server


@pytest.fixture(scope="module")
def instructor_server(tmp_path_factory):
    """``course.py lab --instructor`` (at the repository root) in a temporary home."""
    base = tmp_path_factory.mktemp("instructor_lab")
    home = jupyter_home(base)
    quiet_lab_settings(home)
    launch = lab.instructor_lab([], environ=server_environment(home))
    with running_lab(launch.argv, launch.cwd, server_environment(home, launch.env), base / "server.log") as server:
        yield server


def notebook(page):
    """The notebook panel on show."""
    return page.locator(".jp-NotebookPanel:visible")


def run_all(page) -> None:
    """JupyterLab's Run > Run All Cells once the kernel is up, then wait until no cell is queued or running."""
    wait_for_kernel(page)
    page.locator("#jp-top-panel .lm-MenuBar-item", has_text="Run").first.click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    page.wait_for_function(
        """() => {
            const prompts = [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-InputPrompt')];
            const counts = prompts.map(p => p.textContent.trim()).filter(t => t);
            return counts.some(t => /^\\[\\d+\\]:$/.test(t)) && !counts.includes('[*]:');
        }""", timeout=120_000)


def validate(page) -> str:
    """Click nbgrader's Validate button; return the text of its result dialog (closed again)."""
    notebook(page).locator("jp-button.validate-button").click()
    dialog = page.locator("dialog.jp-Dialog", has=page.locator(".jp-Dialog-header", has_text="Validation Results"))
    dialog.wait_for(state="visible", timeout=120_000)
    text = dialog.locator("#validation-message").inner_text()
    dialog.get_by_role("button", name="Ok").click()
    dialog.wait_for(state="detached")
    return text


def test_student_runs_and_validates_released_notebooks(student_server, page, tmp_path):
    with timed("student runs all cells and validates two notebooks"), \
            screenshot_on_failure(page, tmp_path, "student_validate", student_server):
        # the untouched release: the cells run up to the first stub, whose error shows; Validate fails
        open_lab(page, student_server, f"lab/tree/{NOTEBOOKS[0]}?reset")
        notebook(page).locator(".jp-Cell").first.wait_for()
        run_all(page)
        outputs = notebook(page).locator(".jp-OutputArea-output")
        outputs.locator("img").first.wait_for()  # the scatter plot of the flower
        assert notebook(page).locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']",
                                      has_text="NotImplementedError").count() >= 1
        result = validate(page)
        assert "failed" in result, result

        # accuracy and the written answer filled in: every cell runs, the baseline's accuracy shows, Validate passes
        open_lab(page, student_server, f"lab/tree/{NOTEBOOKS[1]}?reset")
        notebook(page).locator(".jp-Cell").first.wait_for()
        run_all(page)
        assert notebook(page).locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']",
                                      has_text="Error").count() == 0
        notebook(page).locator(".jp-OutputArea-output", has_text="training accuracy (%): 47.0").first.wait_for()
        result = validate(page)
        assert "Success" in result and "failed" not in result, result


def test_student_view_shows_student_tools_only(student_server, page, tmp_path):
    with timed("student view: nbgrader menu and command palette"), \
            screenshot_on_failure(page, tmp_path, "student_tools", student_server):
        open_lab(page, student_server, "lab?reset")
        labels = {label.lower() for label in menu_labels(page, "Nbgrader")}
        assert "assignment list" in labels, labels
        assert not {"formgrader", "formgrader (local)", "create assignment", "course list"} & labels, labels
        commands = palette_commands(page, "nbgrader", wait_for=ASSIGNMENT_LIST)
        assert ASSIGNMENT_LIST in commands, commands
        assert not set(INSTRUCTOR_COMMANDS) & set(commands), commands
        for label in ("Formgrader", "Create assignment", "Course List"):
            offered = palette_commands(page, label)
            assert label.lower() not in {text.lower() for text in offered.values()}, offered
            assert not set(INSTRUCTOR_COMMANDS) & set(offered), offered
        # the Assignment List opens; formgrader's server side is not there at all
        page.locator("#jp-top-panel .lm-MenuBar-item", has_text="Nbgrader").first.click()
        page.get_by_role("menuitem", name="Assignment List").click()
        page.locator("#nbgrader-assignment-list").wait_for(state="visible")
        assert student_server.status("formgrader") == 404
        assert student_server.status("formgrader/api/assignments") == 404


def test_instructor_view_has_formgrader(instructor_server, page, tmp_path):
    with timed("instructor view: formgrader in the menu and palette"), \
            screenshot_on_failure(page, tmp_path, "instructor_tools", instructor_server):
        open_lab(page, instructor_server, "lab?reset")
        labels = {label.lower() for label in menu_labels(page, "Nbgrader")}
        assert {"assignment list", "course list", "formgrader", "create assignment"} <= labels, labels
        commands = palette_commands(page, "nbgrader", wait_for="nbgrader:open-formgrader")
        assert set(INSTRUCTOR_COMMANDS) | {ASSIGNMENT_LIST} <= set(commands), commands
        assert instructor_server.status("formgrader") == 200
