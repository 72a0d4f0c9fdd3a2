"""Print how long each notebook of the series takes to execute, and the whole series.

``python -m course_admin.benchmark [--release] [--repeat N]``: executes the source notebooks
(or, with ``--release``, the student stubs) one after another in fresh kernels, as a student
running "Restart and run all" would, and prints seconds per notebook (best of N) and in total.
"""
import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from course_utils.layout import ASSIGNMENT, NOTEBOOKS

ROOT = Path(__file__).resolve().parent.parent


def execute_seconds(notebook: Path) -> float:
    """Wall-clock seconds to execute ``notebook`` in a fresh kernel, kernel start-up included."""
    nb = nbformat.read(notebook, as_version=4)
    client = NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(notebook.parent)}})
    start = time.perf_counter()
    client.execute()
    return time.perf_counter() - start


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--release", action="store_true", help="time the released stubs instead of the sources")
    parser.add_argument("--repeat", type=int, default=1, help="runs per notebook; the best is reported")
    args = parser.parse_args(argv)
    origin = ROOT / ("notebooks" if args.release else "source_solutions") / ASSIGNMENT
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(shutil.copytree(origin, Path(scratch) / ASSIGNMENT))  # outputs never written back
        print(f"executing {origin.relative_to(ROOT)} ({args.repeat} run(s) per notebook, best shown)")
        total = 0.0
        for name in NOTEBOOKS:
            seconds = min(execute_seconds(folder / name) for _ in range(args.repeat))
            total += seconds
            print(f"  {name:<36} {seconds:6.2f} s")
        print(f"  {'whole series':<36} {total:6.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
