"""Generate the student release ``notebooks/`` from ``source_solutions/`` with nbgrader.

``python -m course_admin.release``          regenerate the release in place
``python -m course_admin.release --check``  exit 1 when the committed release is stale
"""
import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

from course_utils.layout import ASSIGNMENT

ROOT = Path(__file__).resolve().parent.parent
RELEASE_DIR = ROOT / "notebooks" / ASSIGNMENT
STALE_MESSAGE = "student notebooks are stale: run `python3 course.py release` and commit notebooks/"


def generate_release(destination_root: Path) -> Path:
    """Run ``nbgrader generate_assignment`` into ``destination_root/notebooks`` and return the assignment folder.

    The course is copied to a scratch folder first, so the gradebook and exchange of the
    real course are not touched by a check.
    """
    scratch = Path(tempfile.mkdtemp(prefix="release-"))
    try:
        shutil.copy2(ROOT / "nbgrader_config.py", scratch)
        shutil.copytree(ROOT / "source_solutions", scratch / "source_solutions",
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        command = [sys.executable, "-m", "nbgrader", "generate_assignment", ASSIGNMENT,
                   "--force", "--log-level=WARN"]
        result = subprocess.run(command, cwd=scratch, capture_output=True, text=True)
        if result.returncode != 0:
            sys.stderr.write(result.stdout + result.stderr)
            raise SystemExit(f"nbgrader generate_assignment failed with exit code {result.returncode}")
        target = destination_root / ASSIGNMENT
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(scratch / "notebooks" / ASSIGNMENT, target)
        return target
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def release_differences(expected: Path, actual: Path) -> list[str]:
    """Names of the files that differ between two release folders (notebooks compared as notebooks)."""
    names = sorted({p.relative_to(expected).as_posix() for p in expected.rglob("*") if p.is_file()}
                   | {p.relative_to(actual).as_posix() for p in actual.rglob("*") if p.is_file()})
    different = []
    for name in names:
        mine, theirs = expected / name, actual / name
        if not (mine.exists() and theirs.exists()):
            different.append(name)
        elif name.endswith(".ipynb"):
            if nbformat.read(mine, as_version=4) != nbformat.read(theirs, as_version=4):
                different.append(name)
        elif mine.read_bytes() != theirs.read_bytes():
            different.append(name)
    return different


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only report whether notebooks/ is stale")
    args = parser.parse_args(argv)
    if args.check:
        with tempfile.TemporaryDirectory() as scratch:
            fresh = generate_release(Path(scratch))
            stale = release_differences(fresh, RELEASE_DIR)
        if stale:
            print(f"{STALE_MESSAGE} (differs: {', '.join(stale)})", file=sys.stderr)
            return 1
        print("notebooks/ is up to date with source_solutions/")
        return 0
    generate_release(RELEASE_DIR.parent)
    print(f"released {len(list(RELEASE_DIR.glob('*.ipynb')))} notebooks to {RELEASE_DIR.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
