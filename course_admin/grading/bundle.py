"""What a grading worker needs of the course, as one picklable object sent to each worker once.

A :class:`CourseBundle` holds, as bytes, the course's ``nbgrader_config.py``, the release (the
reference for repairs and the list of expected notebooks) and the assignment's gradebook
without any student (its cells and checksums, what nbgrader's autograder checks against),
with the grading settings and a description of the course's environment. The solutions, the
course gradebook and the other students stay with the grading parent. A worker unpacks it
into a private folder (:func:`unpack_bundle`) and grades there.
"""
from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import io
import platform
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

from .settings import GradingSettings
from .workspace import Workspace

#: distributions whose versions decide what a kernel computes and how nbgrader grades it
ENVIRONMENT_PACKAGES = ("numpy", "scikit-learn", "matplotlib", "ipykernel", "ipython", "nbgrader", "nbclient",
                        "nbconvert", "jupyter_client", "course-utils", "course-admin")


@dataclass(frozen=True)
class CourseBundle:
    """One assignment's grading material (see the module docstring).

    Attributes
    ----------
    assignment : str
        The nbgrader assignment id.
    settings : GradingSettings
        Limits and isolation of the run, applied by every worker.
    archive : bytes
        A gzipped tar of ``course_root/nbgrader_config.py``, ``work/course/release/<assignment>/``
        and ``work/course/gradebook.db`` (the assignment without students).
    environment : dict of str to str
        What :func:`course_environment` says on the grading parent; a worker whose own differs refuses.
    digest : str
        SHA-256 of all of the above: a worker prepares once per digest.
    """

    assignment: str
    settings: GradingSettings
    archive: bytes
    environment: dict[str, str] = field(default_factory=dict)
    digest: str = ""


def _files_digest(folder: Path, patterns: tuple[str, ...]) -> str:
    digest = hashlib.sha256()
    for pattern in patterns:
        for path in sorted(folder.glob(pattern)):
            digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def course_environment() -> dict[str, str]:
    """This interpreter's version, the versions of :data:`ENVIRONMENT_PACKAGES` and digests of the
    student runtime (``course_utils``) and of the grading code: two workers with equal environments
    grade a submission the same way."""
    environment = {"python": platform.python_version()}
    for name in ENVIRONMENT_PACKAGES:
        try:
            environment[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            environment[name] = "not installed"
    course_utils = importlib.util.find_spec("course_utils")
    if course_utils is not None and course_utils.submodule_search_locations:
        environment["course_utils files"] = _files_digest(
            Path(list(course_utils.submodule_search_locations)[0]), ("*.py", "data/*.json"))
    environment["grading code"] = _files_digest(Path(__file__).resolve().parent, ("*.py",))
    return environment


def environment_differences(expected: dict[str, str]) -> list[str]:
    """What differs between ``expected`` (the grading parent's) and this interpreter's environment."""
    here = course_environment()
    return [f"{name} {value} on the grading machine, {here.get(name, 'nothing')} here"
            for name, value in sorted(expected.items()) if here.get(name) != value]


def build_bundle(course_root: Path, workspace: Workspace, settings: GradingSettings) -> CourseBundle:
    """Pack what workers need of ``workspace`` (prepared by :func:`~.workspace.prepare_workspace`)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", compresslevel=6) as archive:
        config = Path(course_root) / "nbgrader_config.py"
        if config.is_file():
            archive.add(config, "course_root/nbgrader_config.py")
        archive.add(workspace.release_dir, f"work/course/release/{workspace.assignment}")
        archive.add(workspace.assignment_gradebook, "work/course/gradebook.db")
    data = buffer.getvalue()
    environment = course_environment()
    digest = hashlib.sha256(data)
    digest.update(repr((workspace.assignment, settings, sorted(environment.items()))).encode())
    return CourseBundle(workspace.assignment, settings, data, environment, digest.hexdigest())


def unpack_bundle(bundle: CourseBundle, folder: Path) -> tuple[Path, Workspace]:
    """Unpack ``bundle`` into the empty ``folder``; return the course root and the worker's workspace."""
    with tarfile.open(fileobj=io.BytesIO(bundle.archive), mode="r:gz") as archive:
        archive.extractall(folder, filter="data")
    course_root = Path(folder) / "course_root"
    course_root.mkdir(exist_ok=True)
    return course_root, Workspace(Path(folder) / "work", bundle.assignment)
