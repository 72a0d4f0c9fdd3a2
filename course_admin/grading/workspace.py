"""The engine's work directory: a private nbgrader course built from the instructor's sources.

Layout of ``<workdir>`` (everything the engine writes lives here)::

    course/                      an nbgrader course directory (formgrader can open it)
        source/<assignment>/     copy of the instructor's sources
        release/<assignment>/    student version generated from them (the reference for repairs)
        submitted/<student>/<assignment>/   sanitised copies of the submissions
        autograded/..., feedback/...        nbgrader's outputs
        gradebook.db             the course gradebook (kept across runs: manual grades survive),
                                 unless ``gradebook-url`` names a PostgreSQL one (see :mod:`.database`)
    jupyter/                     formgrader's configuration; in a worker's own copy, the kernel spec
    workers/assignment.db        the assignment's cells without any student: each worker's starting gradebook
    logs/<student>.log           nbgrader's log per student
    reports/                     grades.csv and report.json
"""
from __future__ import annotations

import contextlib
import fnmatch
import logging
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from .database import remember, remembered, sqlalchemy_url
from .settings import GradingSettings, course_source_directory, load_course_config, nbgrader_config
from .solution_source import write_in as write_in_solutions


@dataclass(frozen=True)
class Workspace:
    """Paths of one assignment's grading work directory (see the module docstring)."""

    workdir: Path
    assignment: str

    @property
    def course_dir(self) -> Path:
        return self.workdir / "course"

    @property
    def source_dir(self) -> Path:
        return self.course_dir / "source" / self.assignment

    @property
    def release_dir(self) -> Path:
        return self.course_dir / "release" / self.assignment

    @property
    def submitted_root(self) -> Path:
        return self.course_dir / "submitted"

    @property
    def autograded_root(self) -> Path:
        return self.course_dir / "autograded"

    @property
    def feedback_root(self) -> Path:
        return self.course_dir / "feedback"

    @property
    def gradebook(self) -> Path:
        return self.course_dir / "gradebook.db"

    @property
    def database(self) -> str:
        """The course gradebook's URL as the instructor gave it (``--db``), else the SQLite file's."""
        return remembered(self.workdir) or f"sqlite:///{self.gradebook}"

    @property
    def db_url(self) -> str:
        """The course gradebook's URL as nbgrader (SQLAlchemy) takes it."""
        return sqlalchemy_url(self.database)

    @property
    def has_gradebook(self) -> bool:
        """Whether a grading run made this folder's course gradebook (a file, or a remembered server)."""
        return self.gradebook.is_file() or remembered(self.workdir) is not None

    @property
    def assignment_gradebook(self) -> Path:
        """The assignment's cells without any student: what every grading worker starts from."""
        return self.workers_dir / "assignment.db"

    @property
    def jupyter_path(self) -> Path:
        return self.workdir / "jupyter"

    @property
    def workers_dir(self) -> Path:
        return self.workdir / "workers"

    @property
    def logs_dir(self) -> Path:
        return self.workdir / "logs"

    @property
    def reports_dir(self) -> Path:
        return self.workdir / "reports"

    def submitted_dir(self, student: str) -> Path:
        return self.submitted_root / student / self.assignment

    def autograded_dir(self, student: str) -> Path:
        return self.autograded_root / student / self.assignment

    def feedback_dir(self, student: str) -> Path:
        return self.feedback_root / student / self.assignment

    def expected_notebooks(self) -> list[str]:
        """File names of the assignment's notebooks, sorted (the order nbgrader grades them in)."""
        return sorted(path.name for path in self.release_dir.glob("*.ipynb"))


#: never copied from the instructor's source folder (as nbgrader's ``CourseDirectory.ignore``)
_IGNORED = (".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback")


def _ignore(directory, names):
    return [name for name in names if any(fnmatch.fnmatch(name, pattern) for pattern in _IGNORED)]


@contextlib.contextmanager
def tools_on_path():
    """Put this interpreter's scripts first on ``PATH`` (nbgrader runs ``alembic`` by name)."""
    scripts = str(Path(sys.executable).parent)
    previous = os.environ.get("PATH", "")
    os.environ["PATH"] = scripts + os.pathsep + previous
    try:
        yield
    finally:
        os.environ["PATH"] = previous


def copy_sources(course_root: Path, workspace: Workspace) -> None:
    """Replace the work directory's source copy with the instructor's current sources.

    The hidden tests that ask for the course's solutions get them written in
    (:mod:`.solution_source`), so the gradebook holds the tests as the autograder runs them.
    """
    source_name = course_source_directory(load_course_config(course_root))
    source = Path(course_root) / source_name / workspace.assignment
    if not any(source.glob("*.ipynb")):
        raise FileNotFoundError(f"no notebooks in {source}: is {workspace.assignment!r} the assignment "
                                f"and {source_name!r} the course's source directory?")
    if workspace.source_dir.exists():
        shutil.rmtree(workspace.source_dir)
    shutil.copytree(source, workspace.source_dir, ignore=_ignore)
    write_in_solutions(workspace.source_dir)


def make_release_and_gradebook(course_root: Path, workspace: Workspace, settings: GradingSettings,
                               db_url: str | None = None) -> str:
    """Run nbgrader's ``generate_assignment`` on the source copy; return its log.

    This writes the student version into ``course/release`` and records the assignment,
    its notebooks, graded cells and checksums in the gradebook at ``db_url`` (default: the
    course gradebook), created if needed.
    """
    from nbgrader.converters import GenerateAssignment, NbGraderException
    from nbgrader.coursedir import CourseDirectory

    config = nbgrader_config(load_course_config(course_root), workspace.course_dir,
                             db_url or workspace.db_url, settings)
    coursedir = CourseDirectory(config=config)
    coursedir.assignment_id = workspace.assignment
    converter = GenerateAssignment(coursedir=coursedir, config=config)
    converter.force = True
    converter.create_assignment = True
    with capture_log(converter.log) as log, tools_on_path():
        try:
            converter.start()
        except NbGraderException as error:
            raise RuntimeError(f"nbgrader generate_assignment failed:\n{log.getvalue()}") from error
    return log.getvalue()


def prepare_workspace(course_root: Path, assignment: str, workdir: Path,
                      settings: GradingSettings, database: str | None = None) -> Workspace:
    """Create or refresh the work directory: sources, release and gradebooks.

    ``database``: the course gradebook's URL (``--db``, see :mod:`.database`); None keeps
    the one this folder used before (the embedded SQLite file at first).
    """
    workspace = Workspace(Path(workdir).resolve(), assignment)
    workspace.course_dir.mkdir(parents=True, exist_ok=True)
    if database is not None:
        remember(workspace.workdir, database)
    copy_sources(Path(course_root), workspace)
    make_release_and_gradebook(Path(course_root), workspace, settings)
    workspace.workers_dir.mkdir(parents=True, exist_ok=True)
    workspace.assignment_gradebook.unlink(missing_ok=True)
    make_release_and_gradebook(Path(course_root), workspace, settings, f"sqlite:///{workspace.assignment_gradebook}")
    return workspace


@contextlib.contextmanager
def capture_log(logger: logging.Logger):
    """Collect everything ``logger`` emits (nbgrader's converters log on it) into a StringIO."""
    import io

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("[%(levelname)s] %(message)s"))
    previous = (logger.level, logger.propagate)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        yield stream
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous[0])
        logger.propagate = previous[1]
