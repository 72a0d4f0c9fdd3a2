"""Rewrite ``constraints.txt`` from the packages installed in the course environment.

Run after changing a pin in either distribution's ``pyproject.toml`` (``python3 course.py
freeze``): the direct dependencies stay pinned there (the student runtime in
``course_utils/pyproject.toml``, the instructor tooling in ``pyproject.toml``), everything
they pull in is pinned here.
"""
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: the two distributions: the student runtime and the instructor tooling
PROJECT_FILES = (ROOT / "course_utils" / "pyproject.toml", ROOT / "pyproject.toml")
HEADER = ("# Pins for every package the course installs beyond the direct dependencies of its two\n"
          "# distributions (course_utils/pyproject.toml and pyproject.toml).\n"
          "# Regenerate with: python3 course.py freeze (after changing a pin in either).\n")


def canonical(name: str) -> str:
    """PEP 503 normalised package name, extras left out (``psycopg[binary]`` is ``psycopg``)."""
    return re.sub(r"[-_.]+", "-", name.split("[")[0].strip()).lower()


def own_distributions() -> set[str]:
    """Canonical names of the course's own distributions."""
    return {canonical(tomllib.loads(path.read_text())["project"]["name"]) for path in PROJECT_FILES}


def direct_pins() -> dict[str, str]:
    """Canonical name -> pinned version of every direct dependency of both distributions,
    the course's own distributions left out.

    Raises
    ------
    ValueError
        A dependency not pinned with ``==``, or pinned differently by the two.
    """
    pins: dict[str, str] = {}
    own = own_distributions()
    for path in PROJECT_FILES:
        for spec in tomllib.loads(path.read_text())["project"]["dependencies"]:
            name, _, version = spec.partition("==")
            if not version:
                raise ValueError(f"{path.relative_to(ROOT)}: dependency {spec!r} is not pinned with ==; "
                                 "pin it to the measured version.")
            name = canonical(name.strip())
            if name in own:
                continue
            if pins.setdefault(name, version.strip()) != version.strip():
                raise ValueError(f"{name} is pinned to {pins[name]} and {version} by the two pyproject.toml files")
    return pins


def main() -> int:
    direct = set(direct_pins()) | own_distributions()
    frozen = subprocess.run([sys.executable, "-m", "pip", "freeze", "--exclude-editable"],
                            capture_output=True, text=True, check=True).stdout.splitlines()
    pins = [line for line in frozen if "==" in line and canonical(line.split("==")[0]) not in direct]
    (ROOT / "constraints.txt").write_text(HEADER + "\n".join(sorted(pins, key=str.lower)) + "\n")
    print(f"constraints.txt: {len(pins)} pins")
    return 0


if __name__ == "__main__":
    sys.exit(main())
