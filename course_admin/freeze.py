"""Rewrite ``constraints.txt`` from the packages installed in the course environment.

Run after changing a pin in ``pyproject.toml`` (``python3 course.py freeze``): the direct
dependencies stay pinned in pyproject.toml, everything they pull in is pinned here.
"""
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADER = ("# Pins for every package the course installs beyond the direct dependencies in pyproject.toml.\n"
          "# Regenerate with: python3 course.py freeze (after changing a pin in pyproject.toml).\n")


def canonical(name: str) -> str:
    """PEP 503 normalised package name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def main() -> int:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    direct = {canonical(re.split(r"[=<>!~\[ ]", spec, maxsplit=1)[0]) for spec in project["dependencies"]}
    frozen = subprocess.run([sys.executable, "-m", "pip", "freeze", "--exclude-editable"],
                            capture_output=True, text=True, check=True).stdout.splitlines()
    pins = [line for line in frozen if "==" in line and canonical(line.split("==")[0]) not in direct]
    (ROOT / "constraints.txt").write_text(HEADER + "\n".join(sorted(pins, key=str.lower)) + "\n")
    print(f"constraints.txt: {len(pins)} pins")
    return 0


if __name__ == "__main__":
    sys.exit(main())
