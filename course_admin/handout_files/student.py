#!/usr/bin/env python3
"""Set up and open the notebooks of the course "a one-hidden-layer neural network from scratch in NumPy".

Run from this folder:

    python3 student.py install   once: a private Python environment in .venv, beside this file
    python3 student.py lab       JupyterLab on the notebooks (the $assignment folder)

Only the standard library is used, so this works with a plain Python 3.11. Nothing is
installed outside the .venv folder: delete it to start again from scratch.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import venv
from pathlib import Path

HERE = Path(__file__).resolve().parent
NOTEBOOKS = HERE / "$assignment"
INSTALL = HERE / "$install"
VENV = HERE / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
#: written when an install finished, so that ``lab`` can tell a broken one
DONE = VENV / "course-installed.txt"


def fail(message):
    """Stop with ``message`` (on stderr, exit status 1)."""
    sys.exit("\n" + message)


def check_python():
    """Stop unless this is Python 3.11, the version the course's packages are pinned for."""
    if sys.version_info[:2] == (3, 11):
        return
    found = shutil.which("python3.11")
    todo = (f"Run this command with it: {found} student.py install" if found else
            "Install Python 3.11 (https://www.python.org/downloads/, or conda or pyenv), "
            "then run: python3.11 student.py install")
    this = ".".join(str(part) for part in sys.version_info[:3])
    fail(f"The course needs Python 3.11; this is Python {this}.\n{todo}")


def pypi_reachable():
    """Whether this computer can open a connection to pypi.org, where pip gets the packages."""
    try:
        with socket.create_connection(("pypi.org", 443), timeout=5):
            return True
    except OSError:
        return False


def create_environment():
    """Create .venv with pip (again, when an earlier attempt left it without its Python)."""
    if PYTHON.exists():
        return
    print(f"Creating the course's Python environment in {VENV} ...", flush=True)
    try:
        venv.EnvBuilder(with_pip=True, clear=VENV.exists()).create(VENV)
    except (subprocess.CalledProcessError, OSError) as error:
        shutil.rmtree(VENV, ignore_errors=True)
        fail(f"Python could not create the environment ({error}).\n"
             "On Debian or Ubuntu install the venv module first: sudo apt install python3.11-venv\n"
             "then run: python3 student.py install")


def install_packages():
    """pip install the course's runtime with every package at its pinned version."""
    print("Installing the course's packages (a few minutes the first time) ...", flush=True)
    command = [str(PYTHON), "-m", "pip", "install", "--disable-pip-version-check",
               "-r", "requirements.txt", "-c", "constraints.txt"]
    if subprocess.run(command, cwd=INSTALL).returncode == 0:
        return
    if not pypi_reachable():
        fail("pip could not download the packages: this computer cannot reach pypi.org.\n"
             "Connect to the internet (behind a proxy: set HTTPS_PROXY), then run: python3 student.py install")
    fail("pip could not install the course's packages (its message is above).\n"
         "Run `python3 student.py install` again; if it fails again, delete the .venv folder, "
         "try once more, and send pip's message to your instructor.")


def merge(old, new):
    """``old`` with the settings of ``new`` added (nested dictionaries merged)."""
    merged = dict(old)
    for key, value in new.items():
        merged[key] = merge(old[key], value) if isinstance(value, dict) and isinstance(old.get(key), dict) else value
    return merged


def write_jupyter_config():
    """Copy the course's Jupyter settings into .venv/etc/jupyter, keeping what packages put there.

    They show Validate and the Assignment List and hide nbgrader's instructor tools.
    """
    source = INSTALL / "jupyter"
    target = VENV / "etc" / "jupyter"
    for path in sorted(source.rglob("*.json")):
        destination = target / path.relative_to(source)
        destination.parent.mkdir(parents=True, exist_ok=True)
        settings = json.loads(path.read_text())
        if destination.exists():
            settings = merge(json.loads(destination.read_text()), settings)
        destination.write_text(json.dumps(settings, indent=2) + "\n")


def install():
    check_python()
    create_environment()
    install_packages()
    write_jupyter_config()
    DONE.write_text("The course's packages and Jupyter settings are installed.\n")
    print("\nReady. Open the notebooks with: python3 student.py lab")
    return 0


def running_as_root():
    return hasattr(os, "geteuid") and os.geteuid() == 0


def lab(arguments):
    """JupyterLab on the notebooks folder; ``arguments`` go to JupyterLab (``--allow-root``, ``--port=...``)."""
    if not DONE.exists():
        fail("The course's environment is not installed (or its install did not finish).\n"
             "Run first: python3 student.py install")
    if running_as_root() and "--allow-root" not in arguments:
        fail("You are running as root (the administrator), and JupyterLab refuses to start as root unless told to.\n"
             "Better run it as your ordinary user; otherwise run: python3 student.py lab --allow-root")
    env = dict(os.environ, JUPYTER_PREFER_ENV_PATH="1")  # the course's settings before any of your own
    env.pop("PYTHONPATH", None)
    env.pop("PYTHONHOME", None)
    print(f"Starting JupyterLab on {NOTEBOOKS} (stop it with Ctrl+C here) ...", flush=True)
    try:
        return subprocess.run([str(PYTHON), "-m", "jupyter", "lab", *arguments], cwd=NOTEBOOKS, env=env).returncode
    except KeyboardInterrupt:
        return 0


def main(argv):
    if not argv or argv[0] in {"-h", "--help", "help"}:
        print(__doc__)
        return 0
    if argv[0] == "install" and len(argv) == 1:
        return install()
    if argv[0] == "lab":
        return lab(argv[1:])
    fail(f"Unknown command {' '.join(argv)!r}. The commands are: python3 student.py install, python3 student.py lab")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
