"""Generate the student release ``notebooks/`` from ``source_solutions/`` with nbgrader.

``python -m course_admin.release``          regenerate the release in place
``python -m course_admin.release --force``  the same, when someone typed into the release: the
                                            edited notebooks are first moved to ``release-backups/``
``python -m course_admin.release --check``  exit 1 when the committed release is stale

Every released notebook carries, in its metadata, a digest of its cells as released. A
notebook whose cells no longer match it (someone typed into ``notebooks/``), or that the
release did not write, is never overwritten or deleted silently: without ``--force`` the
release stops and names it; with ``--force`` it is kept in ``release-backups/<time>/`` first.

The markers that tell nbval which outputs to compare (``# NBVAL_CHECK_OUTPUT``) are kept in the
sources, where the tests run, and left out of the cells that nbgrader neither grades nor locks:
students need not see them, and those cells carry no checksum. A graded or locked cell is
released exactly as nbgrader wrote it.
"""
import argparse
import atexit
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from course_admin.grading.cells import is_nbgrader_cell
from course_admin.grading.demo_cells import NBVAL_MARKER_LINE
from course_utils.layout import ASSIGNMENT

ROOT = Path(__file__).resolve().parent.parent
RELEASE_DIR = ROOT / "notebooks" / ASSIGNMENT
BACKUP_ROOT = ROOT / "release-backups"
STALE_MESSAGE = "student notebooks are stale: run `python3 course.py release` and commit notebooks/"
#: notebook metadata key of the release's digest of the cells it wrote
STAMP_KEY = "course_release"


def strip_test_markers(nb) -> int:
    """Remove the nbval marker lines from the code cells nbgrader does not check; return how many cells changed."""
    changed = 0
    for cell in nb.cells:
        if cell.cell_type == "code" and not is_nbgrader_cell(cell):
            source = NBVAL_MARKER_LINE.sub("", cell.source)
            if source != cell.source:
                cell.source = source
                changed += 1
    return changed


def cells_digest(nb) -> str:
    """SHA-256 of the type and source of every cell: what a person types changes it, running cells does not."""
    cells = [(cell.cell_type, cell.source) for cell in nb.cells]
    return hashlib.sha256(json.dumps(cells, ensure_ascii=False).encode()).hexdigest()


def stamp(path: Path) -> None:
    """Record the digest of ``path``'s cells in its metadata (see :data:`STAMP_KEY`)."""
    nb = nbformat.read(path, as_version=4)
    nb.metadata[STAMP_KEY] = {"cells_sha256": cells_digest(nb)}
    nbformat.write(nb, path)


def sources_fingerprint() -> str:
    """SHA-256 of ``nbgrader_config.py`` and every file of ``source_solutions/``: what a release is made from."""
    digest = hashlib.sha256((ROOT / "nbgrader_config.py").read_bytes())
    for path in sorted((ROOT / "source_solutions").rglob("*")):
        if path.is_file() and not {".ipynb_checkpoints", "__pycache__"} & set(path.parts):
            digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


#: sources fingerprint -> a release generated from them by this process (nbgrader takes seconds)
_GENERATED: dict[str, Path] = {}


def _run_generate_assignment() -> Path:
    """Generate, strip (:func:`strip_test_markers`) and stamp a release of the current sources in a scratch
    folder; return its assignment folder."""
    scratch = Path(tempfile.mkdtemp(prefix="release-"))
    atexit.register(shutil.rmtree, scratch, ignore_errors=True)
    shutil.copy2(ROOT / "nbgrader_config.py", scratch)
    shutil.copytree(ROOT / "source_solutions", scratch / "source_solutions",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    command = [sys.executable, "-m", "nbgrader", "generate_assignment", ASSIGNMENT, "--force", "--log-level=WARN"]
    result = subprocess.run(command, cwd=scratch, capture_output=True, text=True)
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"nbgrader generate_assignment failed with exit code {result.returncode}")
    generated = scratch / "notebooks" / ASSIGNMENT
    for path in generated.glob("*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        if strip_test_markers(nb):
            nbformat.write(nb, path)
        stamp(path)
    return generated


def make_student_release(destination_root: Path) -> Path:
    """Run ``nbgrader generate_assignment`` into ``destination_root/<assignment>`` and return that folder.

    The course is copied to a scratch folder first, so the gradebook and exchange of the
    real course are not touched; a release of the same sources made earlier by this process
    is reused. An existing ``destination_root/<assignment>`` is replaced: use
    :func:`update_release` for a folder people may have typed in.
    """
    fingerprint = sources_fingerprint()
    if fingerprint not in _GENERATED or not _GENERATED[fingerprint].is_dir():
        _GENERATED[fingerprint] = _run_generate_assignment()
    target = Path(destination_root) / ASSIGNMENT
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(_GENERATED[fingerprint], target)
    return target


def typed_in(path: Path, fresh: Path | None = None) -> bool:
    """Whether replacing or deleting ``path`` could lose something a person wrote.

    False when its cells are exactly as the release wrote them (its stamp matches) or as
    the new release ``fresh`` has them; True otherwise, also for a file that is not a
    readable notebook or carries no stamp.
    """
    if path.suffix != ".ipynb":
        return not (fresh is not None and fresh.exists() and fresh.read_bytes() == path.read_bytes())
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception:  # not JSON, not a notebook: someone's file all the same
        return True
    digest = cells_digest(nb)
    if nb.metadata.get(STAMP_KEY, {}).get("cells_sha256") == digest:
        return False
    return not (fresh is not None and fresh.exists()
                and cells_digest(nbformat.read(fresh, as_version=4)) == digest)


def update_release(fresh: Path, target: Path, force: bool = False, backup_root: Path = BACKUP_ROOT):
    """Bring ``target`` to the release ``fresh`` without losing anything typed into it.

    Release files are replaced; a file the release wrote and no longer has is removed;
    any other file (a student's own notebook, a checkpoint folder) is left alone.

    Returns
    -------
    (changed, backups) : list of str, list of Path
        Names replaced, added or removed, and where edited files were kept.

    Raises
    ------
    SystemExit
        Some files were typed in and ``force`` is False (nothing is changed then).
    """
    target.mkdir(parents=True, exist_ok=True)
    names = {path.name for path in fresh.iterdir() if path.is_file()}
    existing = {path.name for path in target.iterdir() if path.is_file()}
    obsolete = {name for name in existing - names if name.endswith(".ipynb") and not typed_in(target / name)}
    edited = sorted(name for name in existing & names if typed_in(target / name, fresh / name))
    if edited and not force:
        raise SystemExit(
            f"{len(edited)} notebook(s) in {target} were changed by hand since they were released: "
            f"{', '.join(edited)}. The release was not written. Keep your work elsewhere (or commit it) "
            "and run again, or run `python3 course.py release --force`, which first moves the changed "
            f"files to {backup_root}/<time>/.")
    backups = []
    if edited:
        folder = backup_root / time.strftime("%Y%m%d-%H%M%S") / target.name
        folder.mkdir(parents=True, exist_ok=True)
        for name in edited:
            backups.append(Path(shutil.copy2(target / name, folder / name)))
    changed = []
    for name in sorted(names):
        if not (target / name).exists() or (target / name).read_bytes() != (fresh / name).read_bytes():
            shutil.copy2(fresh / name, target / name)
            changed.append(name)
    for name in sorted(obsolete):
        (target / name).unlink()
        changed.append(name)
    return changed, backups


class ReleaseNotReady(RuntimeError):
    """The release is stale or was typed in: it must not be handed to students; the message says what to run."""


def check_handout_ready(release_dir: Path = RELEASE_DIR) -> None:
    """Raise :class:`ReleaseNotReady` unless ``release_dir`` is exactly what the sources release.

    Used before anything reaches students (the exchange, the handout): a notebook changed by
    hand since it was released would hand out those changes, a stale one an older course.
    """
    if not any(release_dir.glob("*.ipynb")):
        raise ReleaseNotReady(f"no notebooks in {release_dir}: run `python3 course.py release` first")
    edited = sorted(path.name for path in release_dir.glob("*.ipynb") if typed_in(path))
    if edited:
        raise ReleaseNotReady(f"{', '.join(edited)} in {release_dir} were changed by hand since they were "
                              "released: students would get those changes. Run `python3 course.py release "
                              "--force` (the changed files are kept in release-backups/).")
    with tempfile.TemporaryDirectory() as scratch:
        stale = release_differences(make_student_release(Path(scratch)), release_dir)
    if stale:
        raise ReleaseNotReady(f"{STALE_MESSAGE} (differs: {', '.join(stale)})")


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
    parser.add_argument("--force", action="store_true",
                        help="release even over notebooks changed by hand (they are kept in release-backups/)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        fresh = make_student_release(Path(scratch))
        if args.check:
            stale = release_differences(fresh, RELEASE_DIR)
            if stale:
                print(f"{STALE_MESSAGE} (differs: {', '.join(stale)})", file=sys.stderr)
                return 1
            print("notebooks/ is up to date with source_solutions/")
            return 0
        changed, backups = update_release(fresh, RELEASE_DIR, force=args.force)
    for backup in backups:
        print(f"kept your edited {backup.name} as {backup.relative_to(ROOT)}")
    where = RELEASE_DIR.relative_to(ROOT)
    print(f"released {len(list(RELEASE_DIR.glob('*.ipynb')))} notebooks to {where}"
          + (f" ({len(changed)} changed)" if changed else " (already up to date)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
