"""The students' handout holds what a student needs, nothing of the instructor's, and it works.

The archive is built once for the module. Every file in it, the files inside the runtime wheel
included, is scanned for the solution and hidden-test markers and for every specific line of
those regions of ``source_solutions/`` that the released notebooks do not show. The handout is
then installed as a student installs it (``python3 student.py install`` in an empty folder, with
a clean environment), and the whole series, filled in with the reference answers, runs with the
new environment's interpreter. Durations and sizes are written to stderr (``pytest -s`` shows them).
"""
from __future__ import annotations

import ast
import functools
import io
import json
import keyword
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from course_admin import handout, release
from course_admin.grading.feedback import secret_lines
from course_admin.student_tools import (INSTRUCTOR_LAB_PLUGINS, INSTRUCTOR_SERVER_EXTENSIONS,
                                        student_config_files)
from course_admin.submissions import solution_sources
from course_utils.layout import ASSIGNMENT, NOTEBOOKS

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "source_solutions" / ASSIGNMENT
RELEASED = ROOT / "notebooks" / ASSIGNMENT
VERSION = handout.runtime_version()
TOP = handout.handout_name(VERSION)
WHEEL = f"course_utils-{VERSION}-py3-none-any.whl"
SOLUTION = ("BEGIN SOLUTION", "END SOLUTION")
HIDDEN = ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
MARK_SCHEME = ("BEGIN MARK SCHEME", "END MARK SCHEME")
MARKERS = (*SOLUTION, *HIDDEN, *MARK_SCHEME)
#: names that must not appear as a folder or file anywhere in the archive
FORBIDDEN_NAMES = ("course_admin", "source_solutions", ".git", "__pycache__", "pyproject.toml")
#: the one reference-values file students get, inside the wheel
REFERENCE_FILE = f"{TOP}/install/{WHEEL}!/course_utils/data/reference_values.json"
#: what pip may install besides the pinned packages
UNPINNED_OK = {"pip", "setuptools", "course-utils"}


def report(text: str) -> None:
    """A figure for people (durations, sizes, counts): on stderr, shown by ``pytest -s``."""
    sys.stderr.write(f"\n[handout] {text}\n")
    sys.stderr.flush()


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


# --------------------------------------------------------------------------------------------
# the scanner


_WORD = re.compile(r"[A-Za-z_]\w*|\d[\w.]*")
_SEED_OR_CONSTANT = re.compile(
    r"^\w+\s*=\s*(?:np\.random\.(?:RandomState|default_rng|seed)\(\d+\)|[-+]?[\d._]+(?:e[-+]?\d+)?)$")


def is_specific(line: str) -> bool:
    """Whether finding ``line`` in a file means a solution or hidden test was copied there.

    Control flow (``return True``, ``except AssertionError:``), a seed or a constant on its own
    also occurs in ordinary code, the runtime's included; a line with two names or numbers
    of its own does not.

    >>> is_specific("return True"), is_specific("rng = np.random.RandomState(2)")
    (False, False)
    >>> is_specific("Z1 = W1 @ X + b1  # (n_h, m)")
    True
    """
    words = [word for word in _WORD.findall(line) if not keyword.iskeyword(word)]
    return len(words) >= 2 and not _SEED_OR_CONSTANT.match(line)


@functools.lru_cache(maxsize=1)
def released_text() -> str:
    """Every cell of the released notebooks, one after the other: what students see anyway."""
    return "\n".join(cell.source for path in sorted(RELEASED.glob("*.ipynb"))
                     for cell in nbformat.read(path, as_version=4).cells)


@functools.lru_cache(maxsize=None)
def secrets(markers: tuple[tuple[str, str], ...] = (SOLUTION, HIDDEN, MARK_SCHEME)) -> frozenset[str]:
    """The specific lines of the sources' solution and hidden-test regions that the release does not show.

    A line the release shows anywhere, a whole line or a part of one (``hint=hint)`` closes
    visible calls too; ``dZ2 = A2 - Y`` is in the maths), is no secret.
    """
    sources = [nbformat.read(path, as_version=4) for path in sorted(SOURCES.glob("*.ipynb"))]
    visible = released_text()
    return frozenset(line for line in secret_lines(sources, list(markers))
                     if is_specific(line) and line not in visible)


def archive_files(data: bytes, prefix: str = "") -> list[tuple[str, bytes]]:
    """(name, content) of every file of the zip archive ``data``, and of every archive inside it.

    A member of an inner archive is named ``<inner archive>!/<member>``.
    """
    files = []
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            content = archive.read(info)
            name = prefix + info.filename
            if zipfile.is_zipfile(io.BytesIO(content)):
                files.extend(archive_files(content, prefix=name + "!/"))
            else:
                files.append((name, content))
    return files


def json_strings(value) -> list[str]:
    """Every string inside a JSON value (a notebook's cell sources and outputs, unescaped)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in json_strings(item)]
    if isinstance(value, list):
        return [text for item in value for text in json_strings(item)]
    return []


def readable_forms(content: bytes) -> list[str]:
    """The file as text and, for JSON (notebooks), its strings unescaped: where a line can hide."""
    text = content.decode("utf-8", errors="replace")
    forms = [text]
    try:
        forms.append("\n".join(json_strings(json.loads(text))))
    except ValueError:
        pass
    return forms


@dataclass
class Scan:
    files: int
    lines: int
    leaks: list[str]


def scan_archive(data: bytes, secret: frozenset[str] | set[str]) -> Scan:
    """Look in every file of the archive ``data`` for the markers and the lines of ``secret``."""
    files = archive_files(data)
    leaks, lines = [], 0
    for name, content in files:
        forms = readable_forms(content)
        lines += forms[0].count("\n") + 1
        found = {marker for marker in MARKERS if any(marker in form for form in forms)}
        found |= {line for line in secret if any(line in form for form in forms)}
        leaks.extend(f"{name}: {line!r}" for line in sorted(found))
    return Scan(len(files), lines, leaks)


def replace_member(data: bytes, name: str, edit) -> bytes:
    """A copy of the zip archive ``data`` whose member ``name`` is ``edit(content)``."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as copy:
        for info in source.infolist():
            content = source.read(info)
            copy.writestr(info, edit(content) if info.filename == name else content)
    return out.getvalue()


# --------------------------------------------------------------------------------------------
# the archive


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Path:
    start = time.perf_counter()
    path = handout.build_handout(tmp_path_factory.mktemp("dist"))
    report(f"built {path.name}: {path.stat().st_size / 1000:.0f} kB in {time.perf_counter() - start:.0f} s "
           "(release check and wheel build included)")
    return path


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as handle:
        return {info.filename: handle.read(info) for info in handle.infolist() if not info.is_dir()}


def test_the_archive_holds_the_notebooks_runtime_pins_launcher_and_readme_and_nothing_else(archive):
    files = members(archive)
    expected = {f"{TOP}/{name}" for name in ("README.md", "student.py", "install/requirements.txt",
                                             "install/constraints.txt", f"install/{WHEEL}")}
    expected |= {f"{TOP}/install/jupyter/{name}" for name in student_config_files()}
    expected |= {f"{TOP}/{ASSIGNMENT}/{name}" for name in NOTEBOOKS}
    assert set(files) == expected
    for name in NOTEBOOKS:
        assert files[f"{TOP}/{ASSIGNMENT}/{name}"] == (RELEASED / name).read_bytes(), f"{name} is not as committed"
    for name, content in student_config_files().items():
        assert files[f"{TOP}/install/jupyter/{name}"].decode() == content
    assert files[f"{TOP}/install/requirements.txt"].decode().splitlines()[-1] == f"./{WHEEL}"
    constraints = files[f"{TOP}/install/constraints.txt"].decode()
    assert constraints.startswith((ROOT / "constraints.txt").read_text())
    pinned = {canonical(line.split("==")[0]) for line in constraints.splitlines() if "==" in line}
    assert "nbclient" in pinned, "nbclient (pinned by pyproject.toml, pulled in by nbgrader) must be pinned too"
    with zipfile.ZipFile(archive) as handle:
        assert handle.getinfo(f"{TOP}/student.py").external_attr >> 16 & 0o111, "student.py is not executable"
    listing = "\n".join(f"    {name[len(TOP) + 1:]:<48} {len(content) / 1000:7.1f} kB"
                        for name, content in sorted(files.items()))
    report(f"{archive.name}, {archive.stat().st_size / 1000:.0f} kB, {len(files)} files:\n{listing}")


def test_the_wheel_holds_only_the_runtime_modules_and_data(archive):
    wheel = members(archive)[f"{TOP}/install/{WHEEL}"]
    with zipfile.ZipFile(io.BytesIO(wheel)) as handle:
        names = handle.namelist()
        package = {name for name in names if not name.startswith(f"course_utils-{VERSION}.dist-info/")}
        expected = {f"course_utils/{path.relative_to(handout.RUNTIME_DIR).as_posix()}"
                    for pattern in ("*.py", "data/*.json") for path in handout.RUNTIME_DIR.glob(pattern)}
        assert package == expected
        for name in package:
            assert handle.read(name) == (handout.RUNTIME_DIR / name.partition("/")[2]).read_bytes()
        metadata = handle.read(f"course_utils-{VERSION}.dist-info/METADATA").decode()
    assert not any(part in name for name in names for part in ("egg-info", "pyproject", "course_admin"))
    requirements = [line.partition(":")[2].strip() for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    assert requirements and all("==" in requirement for requirement in requirements), requirements


def test_no_file_of_the_archive_holds_a_solution_or_hidden_test_line(archive):
    secret = secrets()
    assert len(secret) > 500, "the sources' solution and hidden-test regions should give hundreds of lines"
    start = time.perf_counter()
    scan = scan_archive(archive.read_bytes(), secret)
    report(f"scanned {scan.files} files (the wheel's included), {scan.lines} lines, for {len(MARKERS)} markers "
           f"and {len(secret)} solution and hidden-test lines, in {time.perf_counter() - start:.1f} s: "
           f"{len(scan.leaks)} found")
    assert scan.leaks == []
    names = [name for name, _ in archive_files(archive.read_bytes())]
    for name in names:
        parts = re.split(r"!?/", name)
        assert not any(part in FORBIDDEN_NAMES or part.endswith(".egg-info") for part in parts), name
        assert "reference_values" not in name or name == REFERENCE_FILE, name
    assert REFERENCE_FILE in names
    texts = [form for _, content in archive_files(archive.read_bytes()) for form in readable_forms(content)]
    assert not any(re.search(r"^\s*(?:import|from)\s+course_admin\b", text, re.MULTILINE) for text in texts)


def test_the_scan_finds_a_solution_line_planted_in_a_notebook_or_in_the_wheel(archive):
    data = archive.read_bytes()
    solution_line = sorted(line for line in secrets((SOLUTION,)) if line in secrets() and '"' in line)[0]
    hidden_line = sorted(line for line in secrets((HIDDEN,)) if line in secrets())[0]

    def plant_in_notebook(content: bytes) -> bytes:
        nb = nbformat.reads(content.decode(), as_version=4)
        nb.cells[-1].source += "\n" + solution_line  # stored JSON-escaped, quotes and all
        return nbformat.writes(nb).encode()

    def plant_in_wheel(content: bytes) -> bytes:
        return replace_member(content, "course_utils/loader.py",
                              lambda source: source + f"\n# {hidden_line}\n".encode())

    planted = replace_member(data, f"{TOP}/{ASSIGNMENT}/05_cost.ipynb", plant_in_notebook)
    planted = replace_member(planted, f"{TOP}/install/{WHEEL}", plant_in_wheel)
    leaks = scan_archive(planted, secrets()).leaks
    notebook, module = f"{TOP}/{ASSIGNMENT}/05_cost.ipynb", f"{TOP}/install/{WHEEL}!/course_utils/loader.py"
    assert f"{notebook}: {solution_line!r}" in leaks and f"{module}: {hidden_line!r}" in leaks
    assert all(leak.startswith((notebook + ":", module + ":")) for leak in leaks), leaks
    marked = replace_member(data, f"{TOP}/README.md", lambda content: content + b"### BEGIN HIDDEN TESTS\n")
    assert scan_archive(marked, frozenset()).leaks == [f"{TOP}/README.md: 'BEGIN HIDDEN TESTS'"]


def test_the_handout_refuses_a_release_that_was_typed_in_or_is_stale(tmp_path):
    copy = tmp_path / "release" / ASSIGNMENT
    shutil.copytree(RELEASED, copy)
    notebook = copy / "05_cost.ipynb"
    nb = nbformat.read(notebook, as_version=4)
    nb.cells[0].source += "\n\nA sentence someone added by hand."
    nbformat.write(nb, notebook)
    with pytest.raises(SystemExit, match="changed by hand"):
        handout.build_handout(tmp_path / "dist", release_dir=copy)
    release.stamp(notebook)  # as if an older release had written it: not typed in, but stale
    with pytest.raises(SystemExit) as refused:
        handout.build_handout(tmp_path / "dist", release_dir=copy)
    assert release.STALE_MESSAGE in str(refused.value) and "05_cost.ipynb" in str(refused.value)
    assert not (tmp_path / "dist").exists() or not any((tmp_path / "dist").iterdir())


def test_the_launcher_and_readme_are_written_for_students(archive):
    files = members(archive)
    launcher = files[f"{TOP}/student.py"].decode()
    imported = {alias.name.partition(".")[0] for node in ast.walk(ast.parse(launcher))
                if isinstance(node, (ast.Import, ast.ImportFrom))
                for alias in (node.names if isinstance(node, ast.Import) else [ast.alias(node.module or "")])}
    assert imported <= sys.stdlib_module_names, f"student.py imports beyond the standard library: {imported}"
    assert "$" not in launcher, "a template field of student.py was left unfilled"
    readme = files[f"{TOP}/README.md"].decode()
    assert "$" not in readme
    assert "python3 student.py install" in readme and "python3 student.py lab" in readme
    positions = [readme.index(f"`{Path(name).stem}`") for name in NOTEBOOKS]
    assert positions == sorted(positions), "the README lists the notebooks out of order"
    for needed in ("hidden tests", "do not rename", "Submit", f"zip the `{ASSIGNMENT}` folder"):
        assert needed in readme, f"the README does not say {needed!r}"


# --------------------------------------------------------------------------------------------
# the launcher's messages (no install needed)


def clean_environment(home: Path) -> dict[str, str]:
    """The variables of a student's shell: nothing of this repository's environment.

    No ``PYTHONPATH`` or other ``PYTHON*``, no virtual environment, no Jupyter settings,
    ``.venv/bin`` of the repository off ``PATH`` and a fresh ``HOME``. pip's settings of this
    machine (certificates, find-links) stay, and pip keeps using this machine's cache.
    """
    dropped = ("PYTHON", "VIRTUAL_ENV", "JUPYTER", "IPYTHON", "CONDA", "XDG_", "MPL", "PYENV_VERSION")
    env = {key: value for key, value in os.environ.items() if not key.startswith(dropped)}
    env["PATH"] = os.pathsep.join(entry for entry in env.get("PATH", "").split(os.pathsep)
                                  if entry and not Path(entry).resolve().is_relative_to(ROOT))
    env["HOME"] = str(home)
    env["PIP_CACHE_DIR"] = pip_cache_dir()
    return env


@functools.lru_cache(maxsize=1)
def pip_cache_dir() -> str:
    result = subprocess.run([sys.executable, "-m", "pip", "cache", "dir"], capture_output=True, text=True)
    return result.stdout.strip() or str(Path.home() / ".cache" / "pip")


def student_python(env: dict[str, str]) -> str:
    """The ``python3`` a student's shell would run, when it is 3.11 (else this interpreter's base)."""
    found = shutil.which("python3", path=env["PATH"])
    if found:
        version = subprocess.run([found, "-c", "import sys; print(sys.version_info[:2] == (3, 11))"],
                                 capture_output=True, text=True, env=env).stdout.strip()
        if version == "True":
            return found
    return getattr(sys, "_base_executable", sys.executable)


def unpack(archive: Path, folder: Path) -> Path:
    """Unzip the handout into the empty ``folder``; return its top folder."""
    assert not any(folder.iterdir()), f"{folder} is not empty"
    with zipfile.ZipFile(archive) as handle:
        handle.extractall(folder)
    return folder / TOP


def run_student(folder: Path, env: dict[str, str], *arguments: str, python: str | None = None,
                timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([python or student_python(env), "student.py", *arguments], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=timeout)


def test_the_launcher_says_what_to_do_when_something_is_missing(archive, tmp_path):
    (tmp_path / "home").mkdir()
    (tmp_path / "student").mkdir()
    env = clean_environment(tmp_path / "home")
    folder = unpack(archive, tmp_path / "student")
    lab = run_student(folder, env, "lab")
    assert lab.returncode == 1 and "python3 student.py install" in lab.stderr
    wrong_python = subprocess.run(
        [student_python(env), "-c", "import runpy, sys; sys.version_info = (3, 12, 1, 'final', 0); "
         "sys.argv = ['student.py', 'install']; runpy.run_path('student.py', run_name='__main__')"],
        cwd=folder, env=env, capture_output=True, text=True)
    assert wrong_python.returncode == 1
    assert "The course needs Python 3.11; this is Python 3.12.1." in wrong_python.stderr
    assert not (folder / ".venv").exists()
    unknown = run_student(folder, env, "instal")
    assert unknown.returncode == 1 and "python3 student.py install" in unknown.stderr
    # pip that finds no package (no index at all): the launcher says pip failed and what to do
    no_packages = {**{key: value for key, value in env.items() if key != "PIP_FIND_LINKS"},
                   "PIP_CONFIG_FILE": os.devnull, "PIP_NO_INDEX": "1"}
    failed = run_student(folder, no_packages, "install")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "pip could not" in failed.stderr and "python3 student.py install" in failed.stderr
    assert not (folder / ".venv" / "course-installed.txt").exists()


# --------------------------------------------------------------------------------------------
# installed as a student installs it


def pinned_version(spec_name: str) -> str:
    for spec in tomllib.loads((handout.RUNTIME_DIR / "pyproject.toml").read_text())["project"]["dependencies"]:
        name, _, version = spec.partition("==")
        if canonical(name) == canonical(spec_name):
            return version
    raise KeyError(spec_name)


def packages_reachable(folder: Path) -> bool:
    """Whether pip can get a pinned package here, from PyPI or from its cache."""
    six = next(line for line in (ROOT / "constraints.txt").read_text().splitlines() if line.startswith("six=="))
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "--disable-pip-version-check",
               "--dest", str(folder), six]
    return subprocess.run(command, capture_output=True, timeout=300).returncode == 0


@dataclass
class Installed:
    folder: Path
    env: dict[str, str]

    @property
    def python(self) -> str:
        return str(self.folder / ".venv" / "bin" / "python")

    def run(self, *arguments: str, cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
        return subprocess.run([self.python, *arguments], cwd=cwd or self.folder, env=self.env,
                              capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def installed(archive, tmp_path_factory) -> Installed:
    if not packages_reachable(tmp_path_factory.mktemp("pip-probe")):
        pytest.skip("no network and no pip cache: `pip download six` failed, so the handout cannot be installed here")
    env = clean_environment(tmp_path_factory.mktemp("home"))
    folder = unpack(archive, tmp_path_factory.mktemp("student"))
    start = time.perf_counter()
    result = run_student(folder, env, "install", timeout=1800)
    seconds = time.perf_counter() - start
    report(f"python3 student.py install: {seconds:.0f} s (venv and pip install from pip's cache)"
           + ("; over 2 minutes" if seconds > 120 else ""))
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    assert "python3 student.py lab" in result.stdout
    return Installed(folder, env)


WHERE = """
import importlib.util, json, sys, sysconfig
from importlib import metadata
import course_utils
print(json.dumps({
    "course_utils": course_utils.__file__,
    "purelib": sysconfig.get_paths()["purelib"],
    "prefix": sys.prefix,
    "course_admin": importlib.util.find_spec("course_admin") is not None,
    "versions": {dist.metadata["Name"]: dist.version for dist in metadata.distributions()},
}))
"""


def test_the_runtime_imports_from_the_new_environment_and_the_pins_hold(installed):
    where = json.loads(installed.run("-c", WHERE, cwd=installed.folder / ASSIGNMENT).stdout)
    venv = (installed.folder / ".venv").resolve()
    assert Path(where["prefix"]).resolve() == venv
    assert Path(where["course_utils"]).resolve().is_relative_to(Path(where["purelib"]).resolve())
    assert Path(where["purelib"]).resolve().is_relative_to(venv)
    assert not Path(where["course_utils"]).resolve().is_relative_to(ROOT / "course_utils")
    assert where["course_admin"] is False
    missing = installed.run("-c", "import course_admin")
    assert missing.returncode != 0 and "ModuleNotFoundError" in missing.stderr
    versions = {canonical(name): version for name, version in where["versions"].items()}
    assert versions["numpy"] == pinned_version("numpy") and versions["nbgrader"] == pinned_version("nbgrader")
    pins = {canonical(line.split("==")[0]): line.split("==")[1].strip() for line in
            (installed.folder / "install" / "constraints.txt").read_text().splitlines() if "==" in line}
    wrong = {name: version for name, version in versions.items()
             if name not in UNPINNED_OK and pins.get(name) != version}
    assert wrong == {}, f"installed but not at a pinned version (pins: {[pins.get(n) for n in wrong]})"


def test_the_notebook_kernel_runs_the_new_environment(installed, tmp_path):
    """The kernel JupyterLab and nbconvert start is the new environment's Python, not the repository's."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import sys, course_utils\nprint(sys.prefix)\nprint(course_utils.__file__)")]
    nbformat.write(nb, tmp_path / "where.ipynb")
    result = installed.run("-m", "jupyter", "nbconvert", "--to", "notebook", "--execute", "where.ipynb",
                           "--output", "where_run.ipynb", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    printed = nbformat.read(tmp_path / "where_run.ipynb", as_version=4).cells[0].outputs[0]["text"].split()
    venv = (installed.folder / ".venv").resolve()
    assert Path(printed[0]).resolve() == venv and Path(printed[1]).resolve().is_relative_to(venv)


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def test_the_student_jupyter_configuration_hides_the_instructor_tools(installed):
    jupyter = str(installed.folder / ".venv" / "bin" / "jupyter")
    servers = subprocess.run([jupyter, "server", "extension", "list"], env=installed.env,
                             capture_output=True, text=True, cwd=installed.folder)
    listed = _ANSI.sub("", servers.stdout + servers.stderr)
    for extension in INSTRUCTOR_SERVER_EXTENSIONS:
        assert re.search(rf"{re.escape(extension)}\s+disabled", listed), listed
    for extension in ("nbgrader.server_extensions.validate_assignment", "nbgrader.server_extensions.assignment_list"):
        assert re.search(rf"{re.escape(extension)}\s+enabled", listed), listed
    labs = subprocess.run([jupyter, "labextension", "list"], env=installed.env,
                          capture_output=True, text=True, cwd=installed.folder)
    disabled = _ANSI.sub("", labs.stdout + labs.stderr).partition("Disabled extensions:")[2].split()
    assert set(INSTRUCTOR_LAB_PLUGINS) <= set(disabled), labs.stdout + labs.stderr


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, ""


def test_student_lab_serves_the_notebooks_with_validate_and_without_formgrader(installed, tmp_path):
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        refused = run_student(installed.folder, installed.env, "lab")
        assert refused.returncode == 1 and "python3 student.py lab --allow-root" in refused.stderr
        root_flag = ["--allow-root"]
    else:
        root_flag = []
    port, token = free_port(), "handout-test"
    command = [student_python(installed.env), "student.py", "lab", *root_flag, "--no-browser",
               f"--ServerApp.port={port}", f"--IdentityProvider.token={token}"]
    log = tmp_path / "lab.log"
    with log.open("w") as output:
        server = subprocess.Popen(command, cwd=installed.folder, env=installed.env, start_new_session=True,
                                  stdout=output, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if fetch(f"{base}/api/status?token={token}")[0] == 200:
                    break
            except OSError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.5)
        status, page = fetch(f"{base}/lab?token={token}")
        assert status == 200
        config = json.loads(re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>',
                                      page, re.DOTALL).group(1))
        assert set(INSTRUCTOR_LAB_PLUGINS) <= set(config["disabledExtensions"])
        assert fetch(f"{base}/formgrader?token={token}")[0] == 404
        assert fetch(f"{base}/assignments?token={token}")[0] != 404  # the Assignment List's handler is there
        contents = json.loads(fetch(f"{base}/api/contents?token={token}")[1])
        assert {item["name"] for item in contents["content"] if item["name"].endswith(".ipynb")} == set(NOTEBOOKS)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


#: the lesson itself, 01-08, run in the installed handout (09-14 use the same package and run
#: under nbval in the course's own environment; running them here too would add half a minute of CI)
LESSON = tuple(NOTEBOOKS)[:8]


@pytest.fixture(scope="module")
def filled_series(installed, tmp_path_factory):
    """The unpacked notebooks of the lesson filled with the reference answers, executed with the new environment."""
    notebooks = installed.folder / ASSIGNMENT
    answers = solution_sources()
    for name in LESSON:
        nb = nbformat.read(notebooks / name, as_version=4)
        for cell in nb.cells:
            if cell.metadata.get("nbgrader", {}).get("solution"):
                cell.source = answers[cell.metadata.nbgrader["grade_id"]]
        nbformat.write(nb, notebooks / name)
    executed = tmp_path_factory.mktemp("executed")
    start = time.perf_counter()
    result = installed.run("-m", "jupyter", "nbconvert", "--to", "notebook", "--execute",
                           "--ExecutePreprocessor.timeout=600", "--output-dir", str(executed), *LESSON,
                           cwd=notebooks, timeout=3600)
    seconds = time.perf_counter() - start
    report(f"the filled lesson ({len(LESSON)} notebooks) ran in the new environment in {seconds:.0f} s")
    return notebooks, executed, result


def test_the_filled_series_runs_in_the_new_environment_without_an_error(filled_series):
    notebooks, executed, result = filled_series
    assert result.returncode == 0, result.stderr[-5000:]
    assert LESSON[-1] == "08_hidden_size_sweep.ipynb"
    for name in LESSON:
        cells = nbformat.read(executed / name, as_version=4).cells
        errors = [output.get("ename") for cell in cells if cell.cell_type == "code"
                  for output in cell.get("outputs", []) if output.get("output_type") == "error"]
        assert errors == [], f"{name} raised {errors}"
        assert all(cell.get("execution_count") for cell in cells if cell.cell_type == "code" and cell.source.strip())


def test_nbgrader_validate_passes_a_filled_notebook_and_fails_an_untouched_one(installed, filled_series, archive,
                                                                               tmp_path):
    notebooks, _, _ = filled_series
    passed = installed.run("-m", "nbgrader", "validate", "05_cost.ipynb", cwd=notebooks)
    assert "Success! Your notebook passes all the tests." in passed.stdout, passed.stdout + passed.stderr
    untouched = unpack(archive, tmp_path) / ASSIGNMENT
    failed = installed.run("-m", "nbgrader", "validate", "05_cost.ipynb", cwd=untouched)
    assert "VALIDATION FAILED" in failed.stdout, failed.stdout + failed.stderr
