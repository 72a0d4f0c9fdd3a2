"""A term with nbgrader's own exchange: the instructor's side.

``python3 course.py term open``     create the exchange and release the assignment into it
``python3 course.py term status``   what the exchange holds: released, who submitted, feedback returned
``python3 course.py term collect``  the latest submission of every student, into ``submitted/``
``python3 course.py grade --submissions submitted``   grade what was collected (``grading/class``)
``python3 course.py term return``   hand the feedback pages of the graded class back through the exchange

Students fetch and submit from JupyterLab's Assignment List (or ``nbgrader fetch_assignment`` /
``nbgrader submit``), and fetch their feedback there once it is returned. ``term open`` writes
the Jupyter configuration they need (:func:`write_student_setup`): the exchange's folder and
the course, and the instructor's tools hidden.

The course folder of the term is the one ``nbgrader_config.py`` names (the repository: its
``gradebook.db``, ``submitted/`` and ``exchange/`` are ignored by git); ``--exchange`` puts
the exchange elsewhere, for example ``/srv/nbgrader/exchange`` on a shared JupyterHub.
"""
from __future__ import annotations

import argparse
import os
import shutil
import stat
import sys
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

from course_admin.grading.intake import EXCHANGE_FILES
from course_admin.grading.workspace import Workspace
from course_admin.release import RELEASE_DIR, ReleaseNotReady, check_handout_ready
from course_utils.layout import ASSIGNMENT

ROOT = Path(__file__).resolve().parent.parent
#: where ``term open`` writes the Jupyter configuration for students (git ignores grading/)
STUDENT_SETUP = ROOT / "grading" / "student-jupyter-config"


class TermError(RuntimeError):
    """A step of the term cannot be done; the message says what to do."""


@dataclass(frozen=True)
class Term:
    """The instructor's side of a term.

    Attributes
    ----------
    course_root : Path
        The nbgrader course folder: ``gradebook.db`` and ``submitted/<student>/<assignment>/`` live here.
    exchange : Path
        nbgrader's exchange folder, shared with the students.
    release_dir : Path
        The released notebooks handed out (default: the committed ``notebooks/planar_nn``).
    """

    course_root: Path
    exchange: Path
    release_dir: Path = RELEASE_DIR
    assignment: str = ASSIGNMENT

    @classmethod
    def from_course_config(cls, exchange: Path | None = None, course_root: Path | None = None) -> "Term":
        """The term that ``nbgrader_config.py`` describes, with ``exchange`` or ``course_root`` overridden."""
        config = _course_config()
        root = Path(course_root or config.CourseDirectory.root)
        return cls(root.resolve(), Path(exchange or config.Exchange.root).resolve())

    @property
    def course_id(self) -> str:
        return _course_config().CourseDirectory.course_id

    @property
    def submitted_root(self) -> Path:
        return self.course_root / "submitted"

    def config(self):
        """The course's nbgrader configuration pointed at this term's folders."""
        config = _course_config()
        config.CourseDirectory.root = str(self.course_root)
        # nbgrader joins these to the root; an absolute path stands for itself
        config.CourseDirectory.release_directory = str(self.release_dir.parent)
        config.CourseDirectory.db_url = f"sqlite:///{self.course_root / 'gradebook.db'}"
        config.Exchange.root = str(self.exchange)
        return config

    def api(self, **coursedir_traits):
        """nbgrader's instructor API on this term (logging quietly into the result dicts)."""
        from nbgrader.apps import NbGraderAPI
        from nbgrader.coursedir import CourseDirectory

        config = self.config()
        for name, value in coursedir_traits.items():
            setattr(config.CourseDirectory, name, value)
        coursedir = CourseDirectory(config=config)
        return NbGraderAPI(coursedir=coursedir, config=config)


def _course_config():
    from course_admin.grading.settings import load_course_config

    return load_course_config(ROOT)


def _checked(result: dict, what: str) -> str:
    """The log of an nbgrader API call; a :class:`TermError` with nbgrader's words when it failed."""
    log = result.get("log", "") or ""
    if not result.get("success"):
        detail = (result.get("error") or log).strip().splitlines()
        raise TermError(f"{what} failed: {detail[-1] if detail else 'no reason given'}")
    return log


def student_config(term: Term) -> str:
    """The ``nbgrader_config.py`` a student's Jupyter needs (in ``~/.jupyter/`` or ``/etc/jupyter/``)."""
    return ("c = get_config()  # noqa: F821\n"
            f"c.Exchange.root = {str(term.exchange)!r}\n"
            f"c.CourseDirectory.course_id = {term.course_id!r}\n")


def write_student_setup(term: Term, folder: Path) -> list[Path]:
    """Write the Jupyter configuration folder students' Jupyter needs for this term.

    ``nbgrader_config.py`` (the exchange and course) and the files that hide the instructor's
    tools (:mod:`course_admin.student_tools`): copy the folder's content to ``/etc/jupyter/`` on
    a shared server, to ``~/.jupyter/`` for one student, or point ``JUPYTER_CONFIG_DIR`` at it.
    """
    from course_admin.student_tools import write_student_jupyter_config

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "nbgrader_config.py").write_text(student_config(term))
    return [folder / "nbgrader_config.py", *write_student_jupyter_config(folder)]


def create_exchange(term: Term) -> Path:
    """Create the exchange folder, writable by every student, sticky (nobody removes another's files)."""
    term.exchange.mkdir(parents=True, exist_ok=True)
    mode = stat.S_IMODE(term.exchange.stat().st_mode)
    wanted = 0o777 | stat.S_ISVTX
    if mode & wanted != wanted:
        try:
            os.chmod(term.exchange, mode | wanted)
        except PermissionError as error:
            raise TermError(f"cannot make {term.exchange} writable for students ({error}): create it as its "
                            "owner with `chmod 1777`, or pass --exchange with a folder you own") from error
    return term.exchange


def open_term(term: Term, force: bool = False) -> str:
    """Create the exchange and release the assignment to it; ``force`` replaces an earlier release."""
    try:
        check_handout_ready(term.release_dir)
    except ReleaseNotReady as error:
        raise TermError(str(error)) from error
    create_exchange(term)
    outbound = term.exchange / term.course_id / "outbound" / term.assignment
    if outbound.exists() and force:
        shutil.rmtree(outbound)
    return _checked(term.api().release_assignment(term.assignment), "nbgrader release_assignment")


def submissions_in_exchange(term: Term) -> dict[str, list[str]]:
    """student -> timestamps of their submissions waiting in the exchange's inbound folder (oldest first)."""
    inbound = term.exchange / term.course_id / "inbound"
    found: dict[str, list[str]] = {}
    for path in sorted(inbound.glob(f"*+{term.assignment}+*")) if inbound.is_dir() else []:
        student, _, timestamp = path.name.split("+", 2)
        found.setdefault(student, []).append(timestamp.rsplit("+", 1)[0])
    return {student: sorted(times) for student, times in found.items()}


def collect(term: Term) -> list[str]:
    """Copy the latest submission of every student into ``submitted/``; return the students collected."""
    if not (term.exchange / term.course_id / "inbound").is_dir():
        raise TermError(f"nothing to collect: {term.exchange} has no course {term.course_id!r}. "
                        "Run `python3 course.py term open` first.")
    _checked(term.api().collect(term.assignment, update=True), "nbgrader collect")
    return sorted(path.parent.name for path in term.submitted_root.glob(f"*/{term.assignment}") if path.is_dir())


def _timestamp(folder: Path) -> str | None:
    """The content of nbgrader's ``timestamp.txt`` in ``folder``, or None."""
    stamp = folder / "timestamp.txt"
    return stamp.read_text().strip() if stamp.is_file() else None


def return_feedback(term: Term, workdir: Path) -> tuple[list[str], list[str]]:
    """Release through the exchange the feedback pages that ``course.py grade`` wrote in ``workdir``.

    Only a student whose graded submission is the one collected gets pages (nbgrader keys
    them to that submission); the others are listed, with the reason.

    Returns
    -------
    (returned, skipped) : list of str, list of str
        Students whose feedback was released, and one line per student left out.
    """
    graded = Workspace(Path(workdir), term.assignment)
    students = sorted(path.parent.name for path in graded.feedback_root.glob(f"*/{term.assignment}")
                      if any(path.glob("*.html")))
    if not students:
        raise TermError(f"no feedback pages in {graded.feedback_root}: grade the collected class first "
                        f"(python3 course.py grade --submissions {term.submitted_root})")
    returned, skipped = [], []
    with tempfile.TemporaryDirectory(prefix="feedback-") as staging:
        for student in students:
            collected = term.submitted_root / student / term.assignment
            missing = [name for name in EXCHANGE_FILES if not (collected / name).is_file()]
            if missing:
                skipped.append(f"{student}: not submitted through the exchange (no {' or '.join(missing)} "
                               f"in {collected})")
                continue
            if _timestamp(graded.submitted_dir(student)) != _timestamp(collected):
                skipped.append(f"{student}: the graded submission is not the one collected last: grade again")
                continue
            pages = Path(staging) / student / term.assignment
            shutil.copytree(graded.feedback_dir(student), pages)
            for name in EXCHANGE_FILES:
                shutil.copy2(collected / name, pages / name)
            returned.append(student)
        if returned:
            api = term.api(feedback_directory=staging)
            with warnings.catch_warnings():  # nbgrader 0.9.6 misspells a keyword it passes on (authentictor)
                warnings.filterwarnings("ignore", "Passing unrecognized arguments", DeprecationWarning)
                _checked(api.release_feedback(term.assignment), "nbgrader release_feedback")
    return returned, skipped


def status(term: Term) -> str:
    """A few lines on the exchange: released or not, submissions per student, feedback returned."""
    course = term.exchange / term.course_id
    released = sorted(path.name for path in (course / "outbound" / term.assignment).glob("*.ipynb"))
    waiting = submissions_in_exchange(term)
    pages = list((course / "feedback").glob("*.html"))
    lines = [f"exchange {term.exchange}, course {term.course_id}",
             f"released: {len(released)} notebooks" if released else "released: nothing (python3 course.py term open)",
             f"submitted: {len(waiting)} students" + (": " + ", ".join(
                 f"{student} ({len(times)}x, last {times[-1]})" for student, times in waiting.items()) if waiting else ""),
             f"feedback returned: {len(pages)} pages"]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--exchange", type=Path, help="the exchange folder (default: nbgrader_config.py's Exchange.root)")
    steps = parser.add_subparsers(dest="step", required=True)
    opening = steps.add_parser("open", help="create the exchange and release the assignment into it")
    opening.add_argument("--force", action="store_true", help="replace an earlier release in the exchange")
    opening.add_argument("--student-config", type=Path, default=STUDENT_SETUP,
                         help="where to write the Jupyter configuration students need (default "
                              f"{STUDENT_SETUP.relative_to(ROOT)})")
    steps.add_parser("status", help="what the exchange holds")
    steps.add_parser("collect", help="copy the latest submission of every student into submitted/")
    returning = steps.add_parser("return", help="release the graded class's feedback through the exchange")
    returning.add_argument("--workdir", type=Path, default=ROOT / "grading" / "class",
                           help="the grading work folder of `course.py grade` (default grading/class)")
    args = parser.parse_args(argv)
    term = Term.from_course_config(exchange=args.exchange)
    try:
        if args.step == "open":
            open_term(term, args.force)
            written = write_student_setup(term, args.student_config)
            print(f"released {term.assignment} to {term.exchange} (course {term.course_id}).")
            print(f"Students' Jupyter configuration is in {args.student_config} ({len(written)} files): copy "
                  "its content to /etc/jupyter/ on the course's server (or ~/.jupyter/ of each student).")
        elif args.step == "status":
            print(status(term))
        elif args.step == "collect":
            students = collect(term)
            print(f"collected {len(students)} students into {term.submitted_root}.")
            print(f"Next: python3 course.py grade --submissions {term.submitted_root}")
        else:
            returned, skipped = return_feedback(term, args.workdir.resolve())
            print(f"feedback returned to {len(returned)} students; they fetch it from the Assignment List "
                  f"(or nbgrader fetch_feedback {term.assignment}).")
            for line in skipped:
                print(f"  not returned: {line}", file=sys.stderr)
    except TermError as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
