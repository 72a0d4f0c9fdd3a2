"""nbgrader's exchange end to end: release with the CLI, fetch and submit in the student's Assignment List, collect.

The instructor's course lives in a temporary folder: a copy of the repository's
``nbgrader_config.py`` (root, gradebook and exchange redirected there) and of
``source_solutions/``. The exchange is a folder anyone may write to, with the sticky bit
(``chmod 1777``), as nbgrader's documentation sets one up. The student's JupyterLab is
``course.py lab``'s student view with its own home; when the tests run as root it runs as
user ``nobody``, so the exchange's permissions are really crossed (instructor root, student
nobody), as between two accounts of a shared server.
"""
from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from course_admin import lab
from lab_server import (jupyter_home, open_lab, quiet_lab_settings, running_lab, screenshot_on_failure,
                        server_environment, timed)

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENT = "planar_nn"
COURSE_ID = "one-hidden-layer-nn"
#: the notebook whose answer the student edits, and the answer
EDITED = "02_logistic_regression.ipynb"
ANSWER = "def accuracy(predictions, Y):\n    return 100.0 * float((predictions == Y).mean())  # edited by the student\n"
#: the student's account when the tests run as root (nobody), else None (the student is this user)
STUDENT_UID = 65534 if os.geteuid() == 0 and shutil.which("setpriv") else None


def nbgrader(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    """Run an nbgrader command as the instructor; return its output (raise with it when it fails)."""
    result = subprocess.run(["nbgrader", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"nbgrader {' '.join(args)} failed ({result.returncode}):\n{output[-4000:]}"
    return output


def write_course(course: Path, exchange: Path) -> None:
    """The instructor's course: the repository's config with root, gradebook and exchange here, and its sources."""
    shutil.copytree(ROOT / "source_solutions", course / "source_solutions",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", "*.pyc"))
    config = (ROOT / "nbgrader_config.py").read_text()
    config += ("\n# redirected by the browser test\n"
               f"c.CourseDirectory.root = {str(course)!r}\n"
               f"c.CourseDirectory.db_url = {'sqlite:///' + str(course / 'gradebook.db')!r}\n"
               f"c.Exchange.root = {str(exchange)!r}\n")
    (course / "nbgrader_config.py").write_text(config)


def as_student(argv: list[str]) -> list[str]:
    """``argv`` run with the student's account (see ``STUDENT_UID``)."""
    if STUDENT_UID is None:
        return argv
    return ["setpriv", f"--reuid={STUDENT_UID}", f"--regid={STUDENT_UID}", "--clear-groups", *argv]


def give_to_student(*paths: Path) -> None:
    """Make the student own ``paths`` and everything under them."""
    if STUDENT_UID is None:
        return
    for path in paths:
        for item in [path, *path.rglob("*")]:
            os.chown(item, STUDENT_UID, STUDENT_UID)


@pytest.fixture(scope="module")
def term():
    """A released assignment in a fresh exchange, and the folders of its instructor and student.

    Everything lives in a temporary folder that other users may traverse (pytest's own is
    private to its user, which the student account could not enter); it is removed afterwards.
    """
    base = Path(tempfile.mkdtemp(prefix="course-exchange-test-"))
    base.chmod(0o755)
    try:
        exchange, course, student = base / "exchange", base / "instructor" / "course", base / "student"
        exchange.mkdir()
        exchange.chmod(0o777 | stat.S_ISVTX)  # drwxrwxrwt, as nbgrader's docs set it up
        course.mkdir(parents=True)
        write_course(course, exchange)
        instructor_home = jupyter_home(base / "instructor")
        instructor_env = server_environment(instructor_home)
        with timed("instructor: generate_assignment and release_assignment"):
            nbgrader(["generate_assignment", ASSIGNMENT], course, instructor_env)
            nbgrader(["release_assignment", ASSIGNMENT], course, instructor_env)
        home = jupyter_home(student)
        quiet_lab_settings(home)
        (student / "work").mkdir()
        give_to_student(student)
        yield {"base": base, "exchange": exchange, "course": course, "student": student,
               "student_home": home, "instructor_env": instructor_env}
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def student_server(term):
    """The student view of ``course.py lab`` on the student's empty folder, with the course's exchange."""
    work = term["student"] / "work"
    config = term["student"] / "student-config"
    launch = lab.student_lab([], config_dir=config, environ=server_environment(term["student_home"]),
                             course_root=term["course"])
    give_to_student(config)
    argv = [f"--ServerApp.root_dir={work}" if arg.startswith("--ServerApp.root_dir=") else arg
            for arg in launch.argv if arg != "--allow-root" or STUDENT_UID is None]
    env = server_environment(term["student_home"], launch.env)
    with running_lab(as_student(argv), work, env, term["student"] / "server.log") as server:
        yield server


def inbound(term) -> list[Path]:
    """The submissions in the exchange's inbound folder."""
    folder = term["exchange"] / COURSE_ID / "inbound"
    return sorted(folder.glob(f"*+{ASSIGNMENT}+*")) if folder.is_dir() else []


def test_release_fetch_submit_collect(term, student_server, page, tmp_path):
    with timed("assignment list: fetch, edit, submit, collect"), \
            screenshot_on_failure(page, tmp_path, "assignment_list", student_server):
        open_lab(page, student_server, "lab?reset")
        page.locator("#jp-top-panel .lm-MenuBar-item", has_text="Nbgrader").first.click()
        page.get_by_role("menuitem", name="Assignment List").click()
        panel = page.locator("#nbgrader-assignment-list")
        panel.wait_for(state="visible")
        released = panel.locator("#released_assignments_list .list_item", has_text=ASSIGNMENT)
        released.wait_for()

        # fetch: the notebooks arrive in the student's folder (under the course id: path_includes_course)
        released.get_by_role("button", name="Fetch").click()
        fetched = panel.locator("#fetched_assignments_list .list_item", has_text=ASSIGNMENT).first
        fetched.wait_for()
        folder = term["student"] / "work" / COURSE_ID / ASSIGNMENT
        expected = sorted(path.name for path in (term["course"] / "notebooks" / ASSIGNMENT).glob("*.ipynb"))
        assert sorted(path.name for path in folder.glob("*.ipynb")) == expected

        # the student answers accuracy (the file keeps its owner: written in place)
        path = folder / EDITED
        notebook = json.loads(path.read_text())
        cell = next(c for c in notebook["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == "accuracy")
        cell["source"] = ANSWER
        with open(path, "w") as handle:
            json.dump(notebook, handle, indent=1)

        # submit: the submission appears in the exchange's inbound folder and in the list
        assert not inbound(term)
        fetched.get_by_role("button", name="Submit").click()
        panel.locator("#submitted_assignments_list .list_item", has_text=ASSIGNMENT).first.wait_for()
        deadline = time.monotonic() + 30
        while not inbound(term) and time.monotonic() < deadline:
            time.sleep(0.2)
        submissions = inbound(term)
        assert len(submissions) == 1, submissions
        student_name = submissions[0].name.split("+")[0]
        if STUDENT_UID is not None:
            assert submissions[0].stat().st_uid == STUDENT_UID and student_name == "nobody", submissions
        assert json.loads((submissions[0] / EDITED).read_text()) == notebook

    with timed("instructor: nbgrader collect"):
        output = nbgrader(["collect", ASSIGNMENT], term["course"], term["instructor_env"])
        collected = term["course"] / "submitted" / student_name / ASSIGNMENT / EDITED
        assert collected.exists(), output
        cells = json.loads(collected.read_text())["cells"]
        assert any("edited by the student" in "".join(c["source"]) for c in cells)
