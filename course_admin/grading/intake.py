"""Collecting a class's submissions and writing sanitised copies for nbgrader.

Two input layouts are read; neither is ever written to:

- nbgrader's: ``<submissions>/<student>/<assignment>/*.ipynb`` (``timestamp.txt`` kept);
- LMS downloads: a flat folder of ``<student>_<anything>.zip`` archives (notebooks
  anywhere inside; ``__MACOSX`` and checkpoints skipped), or loose
  ``<student>_<anything>.ipynb`` files. The student id is the ``student`` group of
  ``GradingSettings.student_pattern`` (by default everything before the first ``_``).
  Several archives of one student are merged in name order.

When two notebook files of one submission have the same name (in two folders, or two
archives), the first one (shallowest, then in name order) is graded and the other
reported. Student ids are reduced to letters, digits and ``.-@_`` so that they are safe
as nbgrader ids and folder names; two ids that reduce to the same one get ``-2``, ``-3``...
"""
from __future__ import annotations

import re
import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import nbformat

from .demo_cells import mark_course_demos
from .problems import Problem
from .notebook_repair import match_notebooks, parse_notebook, repair_notebook, validation_error
from .tamper import scan_notebook

#: members larger than this are not read from archives (a notebook of this course is far smaller)
MAX_NOTEBOOK_BYTES = 64 * 2**20


@dataclass
class RawSubmission:
    """What one student handed in, as read from the input folder.

    Attributes
    ----------
    student : str
        The (normalised) student id.
    files : dict
        File name -> content of every notebook file found.
    timestamp : str or None
        The content of nbgrader's ``timestamp.txt``, when there is one.
    problems : list of Problem
        Found while reading (unreadable archive, ignored files...).
    """

    student: str
    files: dict[str, bytes] = field(default_factory=dict)
    timestamp: str | None = None
    problems: list[Problem] = field(default_factory=list)


@dataclass
class IntakeResult:
    """One student's sanitised submission.

    Attributes
    ----------
    student : str
    notebooks : list of str
        Expected notebook file names that were written for grading.
    problems : list of Problem
        Everything found and repaired, notebook by notebook.
    """

    student: str
    notebooks: list[str]
    problems: list[Problem]


def safe_student_id(raw: str) -> str:
    """``raw`` with characters other than letters, digits and ``.-@_`` replaced by ``_``."""
    cleaned = re.sub(r"[^A-Za-z0-9.@_-]+", "_", raw.strip()).strip("._")
    return cleaned or "student"


def _register(submissions: dict[str, RawSubmission], raw_ids: dict[str, str], raw_id: str) -> RawSubmission:
    """The submission of ``raw_id``, created on first sight under a safe, unique student id."""
    if raw_id in raw_ids:
        return submissions[raw_ids[raw_id]]
    base = student = safe_student_id(raw_id)
    suffix = 1
    while student in submissions:
        suffix += 1
        student = f"{base}-{suffix}"
    raw_ids[raw_id] = student
    submissions[student] = RawSubmission(student)
    if student != raw_id:
        submissions[student].problems.append(
            Problem("student_id_changed", None, f"student id {raw_id!r} is graded as {student!r}"))
    return submissions[student]


def _skipped(path: PurePosixPath) -> bool:
    return any(part in {"__MACOSX", ".ipynb_checkpoints"} or part.startswith(".") for part in path.parts)


#: what nbgrader's exchange puts beside a submission's notebooks (the timestamp is read, the secret is
#: what feedback is released under: neither is the student's work)
EXCHANGE_FILES = ("timestamp.txt", "submission_secret.txt")


def collect_folder(submissions_dir: Path, assignment: str) -> list[RawSubmission]:
    """Read an nbgrader-layout folder: one :class:`RawSubmission` per student folder."""
    submissions: dict[str, RawSubmission] = {}
    raw_ids: dict[str, str] = {}
    for student_dir in sorted(Path(submissions_dir).iterdir()):
        if not student_dir.is_dir() or student_dir.name.startswith("."):
            continue
        submission = _register(submissions, raw_ids, student_dir.name)
        folder = student_dir / assignment
        if not folder.is_dir():
            continue
        stamp = folder / "timestamp.txt"
        if stamp.is_file():
            submission.timestamp = stamp.read_text().strip() or None
        for path in sorted(folder.rglob("*"), key=lambda item: (len(item.relative_to(folder).parts), str(item))):
            relative = PurePosixPath(path.relative_to(folder).as_posix())
            if not path.is_file() or _skipped(relative) or path.name in EXCHANGE_FILES:
                continue
            if path.suffix.lower() == ".ipynb":
                _add_file(submission, str(relative), path.read_bytes())
            else:
                submission.problems.append(Problem("ignored_file", None, f"not graded: {relative}"))
    return list(submissions.values())


def _add_file(submission: RawSubmission, where: str, data: bytes, name: str | None = None) -> None:
    """Keep ``data`` under its file name unless a file of that name came first (then report it)."""
    name = name or PurePosixPath(where).name
    if name in submission.files:
        submission.problems.append(Problem("unmatched_file", None, f"{where} has the name of another notebook "
                                           "of this submission and was not graded"))
        return
    submission.files[name] = data


def collect_zips(zip_dir: Path, student_pattern: str) -> tuple[list[RawSubmission], list[str]]:
    """Read a folder of LMS downloads (``.zip`` archives and loose ``.ipynb`` files).

    Returns
    -------
    submissions : list of RawSubmission
    unassigned : list of str
        File names in which no student id was found.
    """
    pattern = re.compile(student_pattern)
    submissions: dict[str, RawSubmission] = {}
    raw_ids: dict[str, str] = {}
    unassigned = []
    for path in sorted(Path(zip_dir).iterdir()):
        if not path.is_file() or path.name.startswith("."):
            continue
        suffix = path.suffix.lower()
        found = pattern.match(path.name)
        if suffix not in {".zip", ".ipynb"} or found is None or not found.group("student"):
            unassigned.append(path.name)
            continue
        submission = _register(submissions, raw_ids, found.group("student"))
        if suffix == ".ipynb":
            _add_file(submission, path.name, path.read_bytes(), name=path.name[found.end():] or path.name)
            continue
        _read_archive(submission, path)
    return list(submissions.values()), unassigned


def _read_archive(submission: RawSubmission, path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            members = sorted(archive.infolist(), key=lambda info: (info.filename.count("/"), info.filename))
            for info in members:
                member = PurePosixPath(info.filename)
                if info.is_dir() or _skipped(member):
                    continue
                if member.suffix.lower() != ".ipynb":
                    submission.problems.append(Problem("ignored_file", None, f"not graded: {path.name}:{member}"))
                    continue
                if info.file_size > MAX_NOTEBOOK_BYTES:
                    submission.problems.append(Problem("unmatched_file", None,
                                                       f"{path.name}:{member} is too large to grade"))
                    continue
                _add_file(submission, f"{path.name}:{member}", archive.read(info))
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as error:
        submission.problems.append(Problem("archive_error", None, f"{path.name} could not be read ({error})"))


# ----------------------------------------------------------------------------- sanitising


def sanitise_submission(raw: RawSubmission, release: dict[str, object], out_dir: Path) -> IntakeResult:
    """Match, repair and scan one student's notebooks; write those fit for grading to ``out_dir``.

    The unchanged course demonstrations of each written notebook are flagged (see :mod:`.demo_cells`).

    Parameters
    ----------
    raw : RawSubmission
    release : dict
        Expected file name -> released notebook.
    out_dir : Path
        ``submitted/<student>/<assignment>`` of the work directory (created).
    """
    problems = list(raw.problems)
    parsed, reasons = {}, {}
    for name, data in raw.files.items():
        parsed[name], reasons[name] = parse_notebook(data)
    matches, invalid, unmatched = match_notebooks(parsed, release)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for expected in sorted(release):
        notebook = expected[: -len(".ipynb")]
        if expected in invalid:
            problems.append(Problem("invalid_notebook", notebook,
                                    f"{invalid[expected]} is {reasons[invalid[expected]]}: scored 0"))
            continue
        if expected not in matches:
            problems.append(Problem("missing_notebook", notebook, f"{expected} was not handed in: scored 0"))
            continue
        filename = matches[expected]
        if not _lms_named(filename, expected):
            problems.append(Problem("renamed_notebook", notebook, f"{filename} graded as {expected}"))
        nb, repairs = repair_notebook(parsed[filename], release[expected], notebook)
        problems.extend(repairs)
        reason = validation_error(nb)
        if reason is not None:
            problems.append(Problem("invalid_notebook", notebook,
                                    f"{filename} does not follow the notebook format ({reason}): scored 0"))
            continue
        for finding in scan_notebook(nb):
            problems.append(Problem("tampering_suspected", notebook, finding))
        mark_course_demos(nb, release[expected])
        nbformat.write(nb, out_dir / expected)
        written.append(expected)
    for filename in unmatched:
        what = "is not a notebook" if parsed[filename] is None else "matches no notebook of the assignment"
        problems.append(Problem("unmatched_file", None, f"{filename} {what} and was not graded"))
    if raw.timestamp:
        (out_dir / "timestamp.txt").write_text(raw.timestamp + "\n")
    return IntakeResult(raw.student, written, problems)


def _lms_named(filename: str, expected: str) -> bool:
    """The expected name itself, or behind the numeric ids an LMS prefixes (``4412_02_cubes.ipynb``)."""
    return filename.endswith(expected) and re.fullmatch(r"[\d_]*", filename[: -len(expected)]) is not None


def load_release(release_dir: Path) -> dict[str, object]:
    """Expected file name -> released notebook."""
    return {path.name: nbformat.read(path, as_version=4) for path in sorted(Path(release_dir).glob("*.ipynb"))}


def sanitise_class(submissions: list[RawSubmission], release_dir: Path, submitted_root: Path,
                   assignment: str) -> dict[str, IntakeResult]:
    """Sanitise every submission into ``submitted_root/<student>/<assignment>`` (emptied first)."""
    release = load_release(release_dir)
    if submitted_root.exists():
        shutil.rmtree(submitted_root)
    results = {}
    for raw in sorted(submissions, key=lambda item: item.student):
        results[raw.student] = sanitise_submission(raw, release, submitted_root / raw.student / assignment)
    return results
