"""``course_admin.lab``: the commands it builds and the configuration it writes (no server is started)."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from traitlets.config import PyFileConfigLoader

from course_admin import lab
from course_admin.student_tools import INSTRUCTOR_LAB_PLUGINS, INSTRUCTOR_SERVER_EXTENSIONS

ROOT = Path(__file__).resolve().parent.parent


def load(path: Path):
    """The traitlets configuration of a ``*_config.py`` file, as nbgrader loads it."""
    return PyFileConfigLoader(path.name, path=str(path.parent)).load_config()


def option(argv: list[str], name: str) -> str | None:
    """The value of ``--name=value`` in ``argv`` (None when absent)."""
    values = [arg.split("=", 1)[1] for arg in argv if arg.startswith(f"--{name}=")]
    assert len(values) <= 1, f"{name} given twice (Jupyter refuses that): {argv}"
    return values[0] if values else None


@pytest.fixture
def graded_workdir(tmp_path) -> Path:
    """A work folder with what ``course.py grade`` leaves: ``course/gradebook.db`` and ``course/autograded``."""
    (tmp_path / "course" / "autograded").mkdir(parents=True)
    (tmp_path / "course" / "gradebook.db").touch()
    return tmp_path


@pytest.mark.parametrize("as_root, extra, expected", [
    (True, [], 1), (False, [], 0), (True, ["--allow-root"], 1), (True, ["--ServerApp.allow_root=True"], 0),
])
def test_allow_root_added_once_and_only_as_root(as_root, extra, expected):
    argv = lab.jupyter_lab_argv(Path("/somewhere"), extra, as_root=as_root)
    assert argv[1:3] == ["-m", "jupyterlab"] and option(argv, "ServerApp.root_dir") == "/somewhere"
    assert argv.count("--allow-root") == expected


def test_student_lab_serves_notebooks_with_its_own_config_first(tmp_path):
    config = tmp_path / "student-config"
    launch = lab.student_lab(["--no-browser"], config_dir=config,
                             environ={"JUPYTER_CONFIG_PATH": "/mine", "PATH": "/usr/bin"})
    assert option(launch.argv, "ServerApp.root_dir") == str(ROOT / "notebooks")
    assert launch.cwd == ROOT / "notebooks" and launch.argv[-1] == "--no-browser"
    assert launch.env["JUPYTER_CONFIG_PATH"].split(os.pathsep) == [str(config), "/mine"]
    assert launch.env["PATH"].split(os.pathsep)[0] == str(Path(sys.executable).parent)


def test_student_config_hides_the_instructor_tools_and_names_the_exchange(tmp_path):
    lab.write_student_config(tmp_path)
    page = json.loads((tmp_path / "labconfig" / "page_config.json").read_text())
    assert set(page["disabledExtensions"]) == set(INSTRUCTOR_LAB_PLUGINS)
    server = json.loads((tmp_path / "jupyter_server_config.json").read_text())
    assert server["ServerApp"]["jpserver_extensions"] == {name: False for name in INSTRUCTOR_SERVER_EXTENSIONS}
    nbgrader = load(tmp_path / "nbgrader_config.py")
    course = load(ROOT / "nbgrader_config.py")
    assert nbgrader.CourseDirectory.course_id == course.CourseDirectory.course_id
    assert nbgrader.Exchange.root == course.Exchange.root
    assert "root" not in nbgrader.CourseDirectory  # a student's course folder is their own


def test_instructor_lab_at_the_repository_root_without_the_student_config():
    environ = {"JUPYTER_CONFIG_PATH": os.pathsep.join([str(lab.STUDENT_CONFIG_DIR), "/mine"])}
    launch = lab.instructor_lab([], environ=environ)
    assert option(launch.argv, "ServerApp.root_dir") == str(ROOT) and launch.cwd == ROOT
    assert launch.env["JUPYTER_CONFIG_PATH"] == "/mine"


def test_unknown_arguments_go_to_jupyter_lab():
    args, extra = lab.build_parser().parse_known_args(["lab", "--instructor", "--no-browser", "--port", "9999"])
    assert args.instructor and extra == ["--no-browser", "--port", "9999"]


def test_formgrade_points_formgrader_at_the_grading_course(graded_workdir):
    launch = lab.plan(["formgrade", "--workdir", str(graded_workdir), "--port", "8123", "--no-browser"])
    assert option(launch.argv, "ServerApp.root_dir") == str(graded_workdir) and launch.cwd == graded_workdir
    assert option(launch.argv, "ServerApp.port") == "8123" and launch.argv[-1] == "--no-browser"
    config_dir = graded_workdir / "jupyter" / "formgrader-config"
    assert launch.env["JUPYTER_CONFIG_PATH"].split(os.pathsep)[0] == str(config_dir)
    config = load(config_dir / "nbgrader_config.py")
    course = graded_workdir / "course"
    assert config.CourseDirectory.root == str(course)
    assert config.CourseDirectory.db_url == f"sqlite:///{course / 'gradebook.db'}"
    assert config.CourseDirectory.course_id == load(ROOT / "nbgrader_config.py").CourseDirectory.course_id
    assert (config.CourseDirectory.source_directory, config.CourseDirectory.release_directory) == ("source", "release")
    token = launch.env["JUPYTER_TOKEN"]
    assert len(token) >= 32
    assert f"http://127.0.0.1:8123/lab?formgrader=true&token={token}" in launch.message
    assert not (graded_workdir / "nbgrader_config.py").exists()  # the server's folder must not override it


def test_formgrade_keeps_a_given_token_and_picks_a_free_port(graded_workdir):
    launch = lab.formgrade(graded_workdir, [], environ={"JUPYTER_TOKEN": "given"})
    port = int(option(launch.argv, "ServerApp.port"))
    assert 0 < port < 65536 and launch.env["JUPYTER_TOKEN"] == "given"


@pytest.mark.parametrize("made", [(), ("gradebook.db",), ("autograded",)])
def test_formgrade_without_a_graded_course_says_to_grade_first(tmp_path, capsys, made):
    for name in made:
        path = tmp_path / "course" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.mkdir() if name == "autograded" else path.touch()
    with pytest.raises(lab.NoGradedCourse, match="course.py grade"):
        lab.formgrade(tmp_path, [])
    assert lab.main(["formgrade", "--workdir", str(tmp_path)]) == 1
    error = capsys.readouterr().err
    assert "No graded course in" in error and "python3 course.py grade --submissions" in error
    assert f"--workdir {tmp_path}" in error
    assert not (tmp_path / "jupyter").exists()  # nothing written for a course that is not there
