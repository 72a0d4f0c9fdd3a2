"""Write the students' handout: the one archive a student needs to do the course on their own machine.

``python -m course_admin.handout`` (``python3 course.py handout``) writes
``dist/planar_nn-handout-<version>.zip``, a zip archive (every operating system opens one)
holding a single folder::

    planar_nn-handout-<version>/
        README.md          for the student: two commands, the notebooks in order, how to hand in
        student.py         ``python3 student.py install`` then ``python3 student.py lab``
        planar_nn/         the released notebooks, exactly as committed in notebooks/planar_nn/
        install/
            course_utils-<version>-py3-none-any.whl   the student runtime, built from course_utils/
            requirements.txt                          names that wheel
            constraints.txt                           the course's pins of every package
            jupyter/                                  the student's Jupyter configuration

Nothing of the instructor's goes in: no ``course_admin``, no source notebook, no solution,
no hidden test (``tests/test_handout.py`` scans every file, those inside the wheel included).
The release is checked first: a stale release, or one someone typed into, is refused.
"""
from __future__ import annotations

import argparse
import fnmatch
import shutil
import string
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from pathlib import Path

from course_admin import release
from course_admin.freeze import direct_pins
from course_admin.student_tools import student_config_files
from course_utils.layout import ASSIGNMENT, NOTEBOOKS

ROOT = Path(__file__).resolve().parent.parent
RUNTIME_DIR = ROOT / "course_utils"
CONSTRAINTS = ROOT / "constraints.txt"
TEMPLATES = Path(__file__).resolve().parent / "handout_files"
DIST = ROOT / "dist"
#: folder of the archive that holds what ``student.py install`` uses
INSTALL_DIR = "install"
#: what the runtime wheel may hold, besides its ``*.dist-info/`` metadata
WHEEL_CONTENT = ("course_utils/*.py", "course_utils/data/*.json")
#: left out of the copy of course_utils/ the wheel is built from (build leftovers, caches)
BUILD_IGNORE = ("*.egg-info", "build", "dist", "__pycache__", "*.pyc", ".ipynb_checkpoints")


def runtime_version() -> str:
    """The version of the student runtime, from ``course_utils/pyproject.toml``."""
    return tomllib.loads((RUNTIME_DIR / "pyproject.toml").read_text())["project"]["version"]


def handout_name(version: str) -> str:
    """Name of the archive's top folder (and, with ``.zip``, of the archive).

    >>> handout_name("1.0.0")
    'planar_nn-handout-1.0.0'
    """
    return f"{ASSIGNMENT}-handout-{version}"


def check_release(release_dir: Path) -> None:
    """Refuse to hand out a release that is stale or was changed by hand.

    Raises
    ------
    SystemExit
        With :func:`course_admin.release.check_handout_ready`'s message, which for a stale
        release is :data:`course_admin.release.STALE_MESSAGE` and the notebooks that differ.
    """
    try:
        release.check_handout_ready(release_dir)
    except release.ReleaseNotReady as error:
        raise SystemExit(f"The handout was not written: {error}") from None


def build_runtime_wheel(destination: Path) -> Path:
    """Build the ``course-utils`` wheel from a clean copy of ``course_utils/`` into ``destination``.

    The copy keeps the repository free of ``build/`` and ``*.egg-info`` and keeps leftovers of
    earlier builds out of the wheel. setuptools and wheel come from pip's cache or PyPI
    (build isolation), as ``course_utils/pyproject.toml`` asks for.

    Returns
    -------
    Path
        The wheel file.
    """
    with tempfile.TemporaryDirectory(prefix="course-utils-build-") as scratch:
        source = Path(scratch) / "course_utils"
        shutil.copytree(RUNTIME_DIR, source, ignore=shutil.ignore_patterns(*BUILD_IGNORE))
        command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet",
                   "--disable-pip-version-check", "--wheel-dir", str(destination), str(source)]
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            sys.stderr.write(result.stdout + result.stderr)
            raise SystemExit("Building the course_utils wheel failed (pip's message is above). Building it "
                             "needs setuptools and wheel from pip's cache or PyPI: check the network.")
    wheels = sorted(destination.glob("course_utils-*.whl"))
    if len(wheels) != 1:
        raise SystemExit(f"expected one course_utils wheel in {destination}, found {[w.name for w in wheels]}")
    return wheels[0]


def unexpected_wheel_members(wheel: Path) -> list[str]:
    """Members of ``wheel`` that are neither runtime modules and data (:data:`WHEEL_CONTENT`) nor metadata.

    An empty list means the wheel holds ``course_utils/*.py``, ``course_utils/data/*.json``
    and its ``course_utils-<version>.dist-info/`` files only: no ``pyproject.toml``, no
    ``*.egg-info``, no ``course_admin``.
    """
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    metadata = f"course_utils-{runtime_version()}.dist-info/"
    return [name for name in names
            if not (name.startswith(metadata) and "/" not in name[len(metadata):])
            and not any(fnmatch.fnmatchcase(name, pattern) and name.count("/") == pattern.count("/")
                        for pattern in WHEEL_CONTENT)]


def render(template: str, **fields: str) -> str:
    """The template file ``handout_files/<template>`` with its ``$fields`` filled in (all required)."""
    return string.Template((TEMPLATES / template).read_text()).substitute(fields)


def notebook_table() -> str:
    """A Markdown table of the notebooks in order, with the functions each asks for."""
    rows = ["| notebook | you implement |", "|---|---|"]
    for notebook, functions in NOTEBOOKS.items():
        asked = ", ".join(f"`{function}`" for function in functions) or "(nothing: read the data and its shapes)"
        rows.append(f"| `{Path(notebook).stem}` | {asked} |")
    return "\n".join(rows)


def handout_constraints() -> str:
    """``constraints.txt`` of the repository, followed by the direct pins of both distributions.

    ``constraints.txt`` leaves out what a ``pyproject.toml`` pins; the instructor distribution
    pins nbclient, which the runtime also pulls in (through nbconvert and nbgrader), so the pins
    are repeated here for the student's install to be pinned throughout. pip's ``-c`` ignores
    the pins of packages it does not install.
    """
    pins = "".join(f"{name}=={version}\n" for name, version in sorted(direct_pins().items()))
    return (CONSTRAINTS.read_text().rstrip("\n") + "\n"
            "# The direct dependencies pinned in the course's pyproject.toml files (repeated for the handout).\n"
            + pins)


def stage_handout(folder: Path, release_dir: Path, version: str) -> None:
    """Write the handout's files into ``folder`` (created): notebooks, runtime, pins, launcher, README."""
    notebooks = folder / ASSIGNMENT
    notebooks.mkdir(parents=True)
    for name in NOTEBOOKS:
        shutil.copy2(release_dir / name, notebooks / name)
    install = folder / INSTALL_DIR
    install.mkdir()
    wheel = build_runtime_wheel(install)
    unexpected = unexpected_wheel_members(wheel)
    if unexpected:
        raise SystemExit(f"The course_utils wheel holds files students must not get: {', '.join(unexpected)}")
    (install / "requirements.txt").write_text(
        "# The student runtime; its own pins are in the wheel, every other package's in constraints.txt.\n"
        f"./{wheel.name}\n")
    (install / "constraints.txt").write_text(handout_constraints())
    for relative, content in student_config_files().items():
        path = install / "jupyter" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    (folder / "student.py").write_text(render("student.py", assignment=ASSIGNMENT, install=INSTALL_DIR))
    (folder / "student.py").chmod(0o755)
    (folder / "README.md").write_text(render("README.md", assignment=ASSIGNMENT, install=INSTALL_DIR,
                                             version=version, notebook_table=notebook_table()))


def write_zip(folder: Path, archive: Path) -> int:
    """Zip ``folder`` (as the archive's top folder) into ``archive``; return the number of files."""
    files = sorted(path for path in folder.rglob("*") if path.is_file())
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as handle:
        for path in files:
            name = f"{folder.name}/{path.relative_to(folder).as_posix()}"
            info = zipfile.ZipInfo.from_file(path, name)
            info.compress_type = zipfile.ZIP_DEFLATED
            # owner may read and write, everyone read; the launcher stays executable
            info.external_attr = (0o755 if path.name == "student.py" else 0o644) << 16
            handle.writestr(info, path.read_bytes())
    return len(files)


def build_handout(destination: Path = DIST, release_dir: Path = release.RELEASE_DIR) -> Path:
    """Write the handout archive into ``destination`` and return its path.

    Parameters
    ----------
    destination : Path
        Folder of the archive (created); earlier handout archives of the course in it are removed,
        so that it holds one.
    release_dir : Path
        The released notebooks to hand out; refused when stale or edited (:func:`check_release`).
    """
    check_release(release_dir)
    version = runtime_version()
    destination = Path(destination)
    destination.mkdir(parents=True, exist_ok=True)
    archive = destination / f"{handout_name(version)}.zip"
    with tempfile.TemporaryDirectory(prefix="handout-") as scratch:
        folder = Path(scratch) / handout_name(version)
        stage_handout(folder, Path(release_dir), version)
        partial = archive.with_suffix(".zip.partial")
        write_zip(folder, partial)
    for old in destination.glob(f"{ASSIGNMENT}-handout-*.zip"):
        old.unlink()
    partial.replace(archive)
    return archive


def describe(archive: Path) -> str:
    """One line for people: where the archive is, its size and how many files it holds."""
    with zipfile.ZipFile(archive) as handle:
        count = sum(1 for info in handle.infolist() if not info.is_dir())
    try:
        shown = archive.relative_to(Path.cwd())
    except ValueError:
        shown = archive
    return f"wrote {shown} ({archive.stat().st_size / 1000:.0f} kB, {count} files)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dest", type=Path, default=DIST, help="folder to write the archive into (default: dist/)")
    args = parser.parse_args(argv)
    archive = build_handout(args.dest)
    print(describe(archive))
    print("Give students this one file; its README.md tells them what to do.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
