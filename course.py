#!/usr/bin/env python3
"""One entry point for the course: builds its environment, then runs a task inside it.

Usage: ``python3 course.py <task> [arguments]``. Every task first makes sure that
``.venv`` exists and matches the pins (``pyproject.toml``, ``course_utils/pyproject.toml``,
``constraints.txt``); it creates or refreshes it when it is missing or stale. Only the standard library is used here,
so the command works on a machine that has nothing but ``python3``.

Tasks
-----
run       the instructor pipeline on the demonstration class (the main job)
test      the whole test suite: unit tests, doctests, notebooks, release and references
lab       JupyterLab as a student sees it (``--instructor``: with formgrader and the rest)
handout   write dist/: the one archive students need (notebooks, runtime wheel, pins, README)
term      a term with nbgrader's exchange: create it, release, collect, return feedback
grade     the instructor pipeline on a class of your own (see ``grade --help``)
formgrade formgrader on a grading work folder, to grade the written answers by hand
feedback  feedback pages, grades.csv and the report again from the gradebook (hand scores included)
export    the grades as a file Canvas, Moodle or a spreadsheet imports
release   regenerate notebooks/ from source_solutions/
refs      regenerate the reference values in course_utils/ from source_solutions/
bench     time the execution of every notebook of the series
gradebench seconds per submission: plain serial nbgrader against the pipeline (see ``--help``)
doctor    whether grading kernels can be confined (bubblewrap) on this machine, and why not
freeze    rewrite constraints.txt from the current environment
setup     only build the environment
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / "course-environment.sha256"
PINNED_FILES = ("pyproject.toml", "course_utils/pyproject.toml", "constraints.txt")

# task name -> (module run inside the environment with ``python -m``, arguments put before the user's)
TASKS = {
    "run": ("course_admin.pipeline", "demo"),
    "grade": ("course_admin.pipeline", "grade"),
    "test": ("pytest",),
    "lab": ("course_admin.lab", "lab"),
    "formgrade": ("course_admin.lab", "formgrade"),
    "handout": ("course_admin.handout",),
    "term": ("course_admin.term",),
    "feedback": ("course_admin.results", "feedback"),
    "export": ("course_admin.results", "export"),
    "release": ("course_admin.release",),
    "refs": ("course_admin.reference_builder",),
    "bench": ("course_admin.benchmark",),
    "gradebench": ("course_admin.grading_benchmark",),
    "freeze": ("course_admin.freeze",),
    "doctor": ("course_admin.doctor",),
}


def environment_fingerprint() -> str:
    """Hash of the pin files and the interpreter version: the environment is stale when it changes."""
    digest = hashlib.sha256(sys.version.encode())
    for name in PINNED_FILES:
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()


def ensure_environment() -> None:
    """Create ``.venv`` or bring it up to date with the pins; do nothing when it is current."""
    fingerprint = environment_fingerprint()
    if PYTHON.exists() and STAMP.exists() and STAMP.read_text().strip() == fingerprint:
        return
    if sys.version_info[:2] != (3, 11):
        sys.exit(f"The course is pinned for Python 3.11; this is Python {sys.version.split()[0]}. "
                 "Run this command with a Python 3.11 interpreter (python3.11 course.py ...).")
    print(f"Setting up the course environment in {VENV} (about a minute the first time) ...", flush=True)
    if not PYTHON.exists():
        venv.EnvBuilder(with_pip=True).create(VENV)
    STAMP.unlink(missing_ok=True)
    # pip byte-compiles what it installs even under PYTHONDONTWRITEBYTECODE, so Jupyter starts fast.
    install = [str(PYTHON), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
               "-c", str(ROOT / "constraints.txt"), "-e", str(ROOT / "course_utils"), "-e", str(ROOT)]
    result = subprocess.run(install, cwd=ROOT)
    if result.returncode != 0:
        sys.exit("Installing the course environment failed (see pip's message above). "
                 "Check the network connection to PyPI and run the command again; "
                 f"delete {VENV} to start from scratch.")
    STAMP.write_text(fingerprint + "\n")
    print("The course environment is ready.", flush=True)


#: tasks that grade submitted code, which runs confined by bubblewrap (see course_admin/grading/sandbox.py)
GRADING_TASKS = {"run", "grade", "test", "gradebench"}


def ensure_bubblewrap() -> None:
    """Install Debian's bubblewrap when it is missing and this is a root shell on Debian or Ubuntu.

    Elsewhere say how to get it: without it, grading refuses to run (unless ``--no-sandbox``)
    and the isolation tests skip.
    """
    import shutil

    if sys.platform != "linux" or shutil.which("bwrap"):
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("Installing bubblewrap (Debian package), which confines grading kernels ...", flush=True)
        quiet = {"stdout": subprocess.DEVNULL}
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        if subprocess.run(["apt-get", "update", "-qq"], env=env, **quiet).returncode == 0 and \
                subprocess.run(["apt-get", "install", "-y", "-qq", "bubblewrap"], env=env, **quiet).returncode == 0:
            return
    print("bubblewrap is not installed, so grading kernels cannot be confined: install it "
          "(Debian and Ubuntu: sudo apt-get install bubblewrap); python3 course.py doctor checks.", file=sys.stderr)


def task_environment() -> dict[str, str]:
    """The variables every task runs with: the environment's tools first on PATH, headless plotting."""
    env = dict(os.environ)
    env["PATH"] = str(BIN) + os.pathsep + env.get("PATH", "")
    env["VIRTUAL_ENV"] = str(VENV)
    env.setdefault("MPLBACKEND", "Agg")
    env.pop("PYTHONHOME", None)
    return env


def main(argv: list[str]) -> int:
    if not argv or argv[0] in {"-h", "--help", "help"}:
        print(__doc__)
        return 0
    task, arguments = argv[0], argv[1:]
    if task not in TASKS and task != "setup":
        print(f"Unknown task {task!r}. The tasks are: {', '.join(sorted([*TASKS, 'setup']))}.",
              file=sys.stderr)
        return 2
    ensure_environment()
    if task == "setup":
        return 0
    if task in GRADING_TASKS:
        ensure_bubblewrap()
    env = task_environment()
    command = [str(PYTHON), "-m", *TASKS[task], *arguments]
    if os.name == "posix":
        # the task takes this process's place: Ctrl-C reaches it alone (JupyterLab then stops its kernels)
        sys.stdout.flush()
        sys.stderr.flush()
        os.chdir(ROOT)
        os.execve(command[0], command, env)
    try:
        return subprocess.run(command, cwd=ROOT, env=env).returncode
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
