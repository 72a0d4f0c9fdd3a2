"""Regenerate the reference values of ``course_utils`` from the solutions in ``source_solutions/``.

``python -m course_admin.reference_builder``          rewrite course_utils/data/reference_values.json
``python -m course_admin.reference_builder --check``  exit 1 when the stored values are stale

Each graded function is loaded from its source notebook (its answer cells only, as a
student's would be) and called on its fixed-seed case from ``course_utils.cases``.

The same command stores, in ``course_utils/data/known_mistakes.json``, what every mistake of
``course_admin.mistakes`` returns on that case (when it returns and differs from the
reference), so that a visible test can name the mistake whose values a student's result has.
"""
import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

from course_admin.grading.cells import grade_id_of
from course_admin.mistakes import CATALOG
from course_admin.submissions import replace_once
from course_utils import cases, references
from course_utils.layout import ASSIGNMENT, GRADED_FUNCTIONS, NOTEBOOK_OF
from course_utils.loader import load_functions

ROOT = Path(__file__).resolve().parent.parent
SOURCE_DIR = ROOT / "source_solutions" / ASSIGNMENT
STALE_MESSAGE = "reference values are stale: run `python3 course.py refs` and commit course_utils/data/"


def compute_references(source_dir: Path = SOURCE_DIR, names=GRADED_FUNCTIONS) -> dict:
    """Encoded results of each graded function (from ``source_dir``) on its case, in course order.

    The backward case is built on the forward cache: the freshly computed one when the forward
    result is part of this run, so that a change of the forward solution carries through.
    """
    results = {}
    for name in names:
        function = load_functions(name, folder=source_dir)
        if name == "backward_propagation" and "forward_propagation" in results:
            _, cache = references.decode(results["forward_propagation"])
            arguments = cases.backward_propagation_case(cache=cache)
        else:
            arguments = cases.CASES[name]()
        results[name] = references.encode(function(*arguments))
    return results


def _arguments(name, fresh):
    """The case of ``name``; the backward case on the forward cache of ``fresh`` when it holds one."""
    if name == "backward_propagation" and "forward_propagation" in fresh:
        _, cache = references.decode(fresh["forward_propagation"])
        return cases.backward_propagation_case(cache=cache)
    return cases.CASES[name]()


def compute_known_mistakes(fresh: dict, source_dir: Path = SOURCE_DIR, catalog=CATALOG) -> dict:
    """function -> ``[[mistake key, cause, encoded result], ...]`` on the function's case.

    ``fresh`` holds the encoded reference results (``compute_references``); a mistake that
    raises, or returns what the reference returns, is left out: it has no values to recognise.
    """
    import nbformat

    known = {}
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        for notebook in NOTEBOOK_OF.values():
            if (source_dir / notebook).exists() and not (folder / notebook).exists():
                shutil.copy(source_dir / notebook, folder / notebook)
        for mistake in catalog:
            notebook = NOTEBOOK_OF[mistake.function]
            if mistake.function not in fresh or not (source_dir / notebook).exists():
                continue
            nb = nbformat.read(source_dir / notebook, as_version=4)
            for cell in nb.cells:
                if grade_id_of(cell) == mistake.function:
                    cell.source = replace_once(cell.source, mistake.old, mistake.new, mistake.key)
            nbformat.write(nb, folder / notebook)
            try:
                result = references.encode(load_functions(mistake.function, folder=folder)(
                    *_arguments(mistake.function, fresh)))
            except Exception:  # the mistake raises: the test's other layers report it
                result = None
            finally:
                shutil.copy(source_dir / notebook, folder / notebook)
            if result is not None and differences({"x": fresh[mistake.function]}, {"x": result}):
                known.setdefault(mistake.function, []).append([mistake.key, mistake.summary, result])
    return known


def differences(stored: dict, fresh: dict, rtol: float = 1e-9) -> list[str]:
    """Functions whose stored reference differs from the fresh one (floats compared to ``rtol``)."""
    different = []
    for name in sorted(set(stored) | set(fresh)):
        if name not in stored or name not in fresh:
            different.append(name)
        elif not _same(references.decode(stored[name]), references.decode(fresh[name]), rtol):
            different.append(name)
    return different


def _same(a, b, rtol) -> bool:
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k], rtol) for k in a)
    if isinstance(a, (tuple, list)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y, rtol) for x, y in zip(a, b))
    if isinstance(a, np.ndarray):
        return (isinstance(b, np.ndarray) and a.shape == b.shape and a.dtype == b.dtype
                and np.allclose(a, b, rtol=rtol, atol=0))
    if isinstance(a, float):
        return isinstance(b, float) and np.isclose(a, b, rtol=rtol, atol=0)
    return a == b


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only report whether the stored values are stale")
    args = parser.parse_args(argv)
    available = [name for name in GRADED_FUNCTIONS if (SOURCE_DIR / NOTEBOOK_OF[name]).exists()]
    if args.check:
        fresh = compute_references(names=GRADED_FUNCTIONS)
        stored = json.loads(references.REFERENCE_FILE.read_text())
        stale = differences(stored, fresh)
        if json.loads(references.KNOWN_MISTAKES_FILE.read_text()) != _round_trip(compute_known_mistakes(fresh)):
            stale.append("known mistakes")
        if stale:
            print(f"{STALE_MESSAGE} (differs: {', '.join(stale)})", file=sys.stderr)
            return 1
        print("reference values are up to date with source_solutions/")
        return 0
    fresh = compute_references(names=available)
    references.REFERENCE_FILE.write_text(json.dumps(fresh, indent=1) + "\n")
    references.KNOWN_MISTAKES_FILE.write_text(json.dumps(compute_known_mistakes(fresh), indent=1) + "\n")
    missing = sorted(set(GRADED_FUNCTIONS) - set(available))
    print(f"stored reference values of {len(fresh)} functions in "
          f"{references.REFERENCE_FILE.relative_to(ROOT)}"
          + (f"; notebooks missing for: {', '.join(missing)}" if missing else ""))
    return 0


def _round_trip(data):
    """``data`` as JSON would store and read it back (tuples become lists)."""
    return json.loads(json.dumps(data))


if __name__ == "__main__":
    sys.exit(main())
