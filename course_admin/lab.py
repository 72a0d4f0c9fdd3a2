"""JupyterLab for the student, the instructor and the grader: ``course.py lab`` and ``course.py formgrade``.

``python3 course.py lab [JUPYTER ARGS]``
    JupyterLab on ``notebooks/`` as a student sees it: nbgrader's Validate button and
    Assignment List, without formgrader, "Create Assignment" or the Course List (see
    :mod:`course_admin.student_tools`). Its Jupyter configuration folder is
    ``.venv/jupyter-student-config`` (rewritten at every start), put first on
    ``JUPYTER_CONFIG_PATH``, so the user's own Jupyter settings still apply beneath it.
    The Assignment List uses the course's exchange (``Exchange.root`` of ``nbgrader_config.py``).
``python3 course.py lab --instructor [JUPYTER ARGS]``
    JupyterLab at the repository root with every nbgrader tool; formgrader works on the
    course of ``nbgrader_config.py`` (the repository itself).
``python3 course.py formgrade [--workdir DIR] [--port N] [JUPYTER ARGS]``
    JupyterLab on formgrader for the course that ``course.py grade`` graded into
    ``DIR/course`` (default ``grading/class``), to grade the written answers by hand.

How formgrader finds its course: nbgrader's formgrader server extension reads
``nbgrader_config.py`` from the Jupyter configuration folders (the first folder of
``JUPYTER_CONFIG_PATH`` weighs most), then from the server's working directory, then from
the ``CourseDirectory.root`` found so far; each file read later overrides. ``formgrade``
writes ``DIR/jupyter/formgrader-config/nbgrader_config.py`` (root ``DIR/course``, its
gradebook: ``gradebook.db`` or the server ``grade --db`` was given, the course id of the repository's ``nbgrader_config.py``), puts that
folder first on ``JUPYTER_CONFIG_PATH`` and starts the server in ``DIR``, which holds no
``nbgrader_config.py``; the course root must lie inside the server's root, which ``DIR`` is.

Arguments this module does not know are passed to ``jupyter lab`` unchanged; ``--allow-root``
is added when running as root.
"""
from __future__ import annotations

import argparse
import os
import secrets
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from course_admin.student_tools import write_student_jupyter_config

ROOT = Path(__file__).resolve().parent.parent
#: where ``course.py grade`` grades a class unless told otherwise
DEFAULT_WORKDIR = ROOT / "grading" / "class"
#: the student view's Jupyter configuration folder (inside the course environment)
STUDENT_CONFIG_DIR = ROOT / ".venv" / "jupyter-student-config"
#: the formgrader configuration folder, relative to a grading work folder
FORMGRADER_CONFIG = Path("jupyter") / "formgrader-config"

_HEADER = "# Written by course_admin/lab.py at every start: do not edit (changes are lost).\n"


@dataclass(frozen=True)
class Launch:
    """A JupyterLab server to start.

    Attributes
    ----------
    argv : list of str
        The command line (``python -m jupyterlab ...``).
    cwd : Path
        Working directory of the server (nbgrader reads ``nbgrader_config.py`` there too).
    env : dict
        Environment variables set or replaced over the current environment.
    message : str
        What to print before starting (the formgrader URL, say); empty for nothing.
    """

    argv: list[str]
    cwd: Path
    env: dict[str, str] = field(default_factory=dict)
    message: str = ""


def running_as_root() -> bool:
    """True when this process runs as the superuser (POSIX only)."""
    return hasattr(os, "geteuid") and os.geteuid() == 0


def jupyter_lab_argv(root_dir: Path, extra: list[str], as_root: bool | None = None) -> list[str]:
    """The command line of a JupyterLab server whose file browser starts at ``root_dir``.

    Parameters
    ----------
    root_dir : Path
        The server's root folder (``ServerApp.root_dir``).
    extra : list of str
        Arguments given by the user, passed to ``jupyter lab`` last (so they win).
    as_root : bool, optional
        Add ``--allow-root``; by default when this process runs as root. Never added twice.
    """
    as_root = running_as_root() if as_root is None else as_root
    argv = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={root_dir}"]
    if as_root and not any(arg.startswith(("--allow-root", "--ServerApp.allow_root")) for arg in extra):
        argv.append("--allow-root")
    return argv + list(extra)


def tool_path(environ: dict[str, str]) -> str:
    """``PATH`` with this interpreter's scripts first (nbgrader runs ``alembic`` by name)."""
    scripts = str(Path(sys.executable).parent)
    rest = [entry for entry in environ.get("PATH", "").split(os.pathsep) if entry and entry != scripts]
    return os.pathsep.join([scripts, *rest])


def config_path(first: Path | None, environ: dict[str, str]) -> str:
    """``JUPYTER_CONFIG_PATH`` with ``first`` in front and the student folder left out.

    The folders already on the user's ``JUPYTER_CONFIG_PATH`` stay, after ``first``; the
    user's own configuration folder (``JUPYTER_CONFIG_DIR``, ``~/.jupyter``) is searched
    after them by Jupyter anyway.
    """
    skip = {str(STUDENT_CONFIG_DIR), str(first) if first else None}
    kept = [entry for entry in environ.get("JUPYTER_CONFIG_PATH", "").split(os.pathsep)
            if entry and entry.rstrip(os.sep) not in skip]
    return os.pathsep.join([str(first), *kept] if first else kept)


def course_config(course_root: Path = ROOT):
    """The traitlets configuration of ``course_root/nbgrader_config.py``."""
    from course_admin.grading.settings import load_course_config

    return load_course_config(course_root)


def _value(section, name: str):
    """A configuration value, or None when the file does not set it (or only appends to it)."""
    from traitlets.config.loader import LazyConfigValue

    value = section.get(name)
    return None if isinstance(value, LazyConfigValue) else value


def student_nbgrader_config(course_root: Path = ROOT) -> str:
    """The ``nbgrader_config.py`` of the student view: the course id and the course's exchange."""
    config = course_config(course_root)
    lines = [_HEADER, "c = get_config()  # noqa: F821\n"]
    course_id = _value(config.CourseDirectory, "course_id")
    if course_id:
        lines.append(f"c.CourseDirectory.course_id = {course_id!r}\n")
    for name in ("root", "path_includes_course"):
        value = _value(config.Exchange, name)
        if value is not None:
            lines.append(f"c.Exchange.{name} = {value!r}\n")
    return "".join(lines)


def write_student_config(config_dir: Path, course_root: Path = ROOT) -> Path:
    """Write the student view's Jupyter configuration into ``config_dir``; return it.

    The page and server settings come from :func:`~course_admin.student_tools.write_student_jupyter_config`;
    an ``nbgrader_config.py`` beside them names the course's exchange for the Assignment List.
    """
    config_dir = Path(config_dir)
    write_student_jupyter_config(config_dir)
    (config_dir / "nbgrader_config.py").write_text(student_nbgrader_config(course_root))
    return config_dir


def student_lab(extra: list[str], config_dir: Path = STUDENT_CONFIG_DIR,
                environ: dict[str, str] | None = None, course_root: Path = ROOT) -> Launch:
    """JupyterLab on ``notebooks/`` with the student tools only.

    Parameters
    ----------
    extra : list of str
        Arguments passed to ``jupyter lab``.
    config_dir : Path
        The configuration folder written for the student view (put first on ``JUPYTER_CONFIG_PATH``).
    environ : dict, optional
        The environment to start from (by default this process's).
    course_root : Path
        The course whose ``nbgrader_config.py`` names the exchange (this repository).
    """
    environ = dict(os.environ if environ is None else environ)
    write_student_config(config_dir, course_root)
    env = {"JUPYTER_CONFIG_PATH": config_path(Path(config_dir), environ), "PATH": tool_path(environ)}
    notebooks = ROOT / "notebooks"
    message = (f"JupyterLab as a student sees it, on {notebooks}: Validate and the Assignment List only "
               "(python3 course.py lab --instructor has formgrader and the other instructor tools).")
    return Launch(jupyter_lab_argv(notebooks, extra), notebooks, env, message)


def instructor_lab(extra: list[str], environ: dict[str, str] | None = None) -> Launch:
    """JupyterLab at the repository root with every nbgrader tool."""
    environ = dict(os.environ if environ is None else environ)
    env = {"JUPYTER_CONFIG_PATH": config_path(None, environ), "PATH": tool_path(environ)}
    return Launch(jupyter_lab_argv(ROOT, extra), ROOT, env)


class NoGradedCourse(FileNotFoundError):
    """The work folder holds no course graded by ``course.py grade``."""


def grading_course(workdir: Path) -> Path:
    """The nbgrader course ``course.py grade`` wrote into ``workdir``; raise :class:`NoGradedCourse` if none."""
    from course_admin.grading.workspace import Workspace

    course = Path(workdir) / "course"
    missing = [name for name in ("gradebook.db", "autograded") if not (course / name).exists()
               and not (name == "gradebook.db" and Workspace(Path(workdir), "").has_gradebook)]
    if missing:
        raise NoGradedCourse(
            f"No graded course in {workdir} (missing {', '.join(str(course / name) for name in missing)}). "
            "Grade the class first: python3 course.py grade --submissions FOLDER (or --zips FOLDER)"
            + ("" if Path(workdir) == DEFAULT_WORKDIR else f" --workdir {workdir}")
            + ", then run formgrade again.")
    return course


def formgrader_nbgrader_config(course_dir: Path, course_id: str | None, db_url: str | None = None) -> str:
    """The ``nbgrader_config.py`` that points formgrader at the grading course ``course_dir``.

    ``db_url``: its gradebook as SQLAlchemy takes it (default: ``course_dir/gradebook.db``).

    The folder names are those the grading engine uses (nbgrader's defaults), not the
    repository's ``source_solutions`` and ``notebooks``.
    """
    lines = [_HEADER, "c = get_config()  # noqa: F821\n"]
    if course_id:
        lines.append(f"c.CourseDirectory.course_id = {course_id!r}\n")
    settings = {
        "root": str(course_dir),
        "db_url": db_url or f"sqlite:///{Path(course_dir) / 'gradebook.db'}",
        "source_directory": "source",
        "release_directory": "release",
        "submitted_directory": "submitted",
        "autograded_directory": "autograded",
        "feedback_directory": "feedback",
    }
    lines += [f"c.CourseDirectory.{name} = {value!r}\n" for name, value in settings.items()]
    return "".join(lines)


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on at ``host`` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def formgrader_urls(port: int, token: str, host: str = "127.0.0.1") -> tuple[str, str]:
    """(formgrader inside JupyterLab, formgrader's own page) on a server at ``host:port``."""
    base = f"http://{host}:{port}"
    return f"{base}/lab?formgrader=true&token={token}", f"{base}/formgrader?token={token}"


def formgrade(workdir: Path, extra: list[str], port: int | None = None, token: str | None = None,
              environ: dict[str, str] | None = None, course_root: Path = ROOT) -> Launch:
    """JupyterLab opened on formgrader for the grading course in ``workdir``.

    Writes ``workdir/jupyter/formgrader-config/nbgrader_config.py`` (see the module docstring).

    Parameters
    ----------
    workdir : Path
        A work folder of ``course.py grade`` (``<workdir>/course`` is the nbgrader course).
    extra : list of str
        Arguments passed to ``jupyter lab``.
    port : int, optional
        The server's port; by default a free one.
    token : str, optional
        The server's token; by default ``JUPYTER_TOKEN`` or a new random one.
    environ : dict, optional
        The environment to start from (by default this process's).
    course_root : Path
        The course whose ``nbgrader_config.py`` gives the course id (this repository).

    Raises
    ------
    NoGradedCourse
        When ``workdir`` holds no graded course.
    """
    from course_admin.grading.database import describe
    from course_admin.grading.workspace import Workspace

    environ = dict(os.environ if environ is None else environ)
    workdir = Path(workdir).resolve()
    course = grading_course(workdir)
    workspace = Workspace(workdir, "")
    config_dir = workdir / FORMGRADER_CONFIG
    config_dir.mkdir(parents=True, exist_ok=True)
    course_id = _value(course_config(course_root).CourseDirectory, "course_id")
    (config_dir / "nbgrader_config.py").write_text(formgrader_nbgrader_config(course, course_id, workspace.db_url))
    port = port or free_port()
    token = token or environ.get("JUPYTER_TOKEN") or secrets.token_hex(24)
    in_lab, page = formgrader_urls(port, token)
    # Jupyter refuses an option given twice: the user's --ServerApp.port would clash with ours
    server = [f"--ServerApp.port={port}", "--ServerApp.port_retries=0", "--LabApp.default_url=/lab?formgrader=true"]
    env = {"JUPYTER_CONFIG_PATH": config_path(config_dir, environ), "PATH": tool_path(environ),
           "JUPYTER_TOKEN": token}
    message = (f"Formgrader for {course} (gradebook {describe(workspace.database)}):\n"
               f"    {in_lab}\n    {page}  (formgrader alone)\n"
               "Grade the written answers under Manual Grading (a score is saved when you leave its box); "
               "python3 course.py feedback then rebuilds the feedback pages and grades.csv with them. "
               "Release and collect are not done here but with the course's exchange (course.py term).")
    return Launch(jupyter_lab_argv(workdir, server + list(extra)), workdir, env, message)


def start(launch: Launch) -> int:
    """Print the launch's message and run its server until it stops; return its exit code.

    On POSIX the server replaces this process (Ctrl-C then reaches JupyterLab alone, which
    asks for confirmation and stops its kernels); elsewhere it runs as a child.
    """
    if launch.message:
        print(launch.message, flush=True)
    env = {**os.environ, **launch.env}
    if os.name == "posix":
        os.chdir(launch.cwd)
        os.execve(launch.argv[0], launch.argv, env)
    process = subprocess.Popen(launch.argv, cwd=launch.cwd, env=env)
    while True:
        try:
            return process.wait()
        except KeyboardInterrupt:  # JupyterLab received it too and handles it itself
            continue


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="course.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Other arguments go to jupyter lab unchanged (--no-browser, --port N, ...).")
    commands = parser.add_subparsers(dest="command", required=True)
    lab = commands.add_parser("lab", help="JupyterLab as a student sees it, or with --instructor every tool")
    lab.add_argument("--instructor", action="store_true",
                     help="at the repository root with formgrader, Create Assignment and the Course List")
    grade = commands.add_parser("formgrade", help="formgrader on a grading work folder")
    grade.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR,
                       help="the work folder of course.py grade (default grading/class)")
    grade.add_argument("--port", type=int, default=None, help="the server's port (default: a free one)")
    return parser


def plan(argv: list[str]) -> Launch:
    """The server ``main(argv)`` starts (raises :class:`NoGradedCourse` for formgrade without a course)."""
    args, extra = build_parser().parse_known_args(argv)
    if args.command == "formgrade":
        return formgrade(args.workdir, extra, port=args.port)
    return instructor_lab(extra) if args.instructor else student_lab(extra)


def main(argv: list[str] | None = None) -> int:
    try:
        launch = plan(sys.argv[1:] if argv is None else list(argv))
    except NoGradedCourse as error:
        print(error, file=sys.stderr)
        return 1
    return start(launch)


if __name__ == "__main__":
    sys.exit(main())
