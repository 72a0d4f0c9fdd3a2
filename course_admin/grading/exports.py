"""The class's grades as a file an LMS imports: Canvas, Moodle, or a plain spreadsheet table.

One row per student; the score is the assignment's total in the course gradebook, manual
scores given in formgrader included. A student whose written answers still wait for a
grader is exported with what they have so far (those answers count 0), and named in a
warning (:func:`waiting_students`).

Layouts
-------
``canvas``
    Canvas's gradebook import, as documented in the Instructure Community guide "How do I
    import grades in the Gradebook?"
    (https://community.canvaslms.com/t5/Instructor-Guide/How-do-I-import-grades-in-the-Gradebook/ta-p/807):
    the columns ``Student, ID, SIS User ID, SIS Login ID, Section``, then one column per
    assignment. ``Student`` is the name as ``Last, First``; ``ID`` is the Canvas user id;
    ``SIS User ID`` and ``SIS Login ID`` the institution's ids; Canvas matches each row to a
    student by ``ID``, ``SIS User ID`` or ``SIS Login ID``, so a student needs one of them.
    The assignment column is headed as Canvas's own gradebook export heads it,
    ``Assignment name (canvas assignment id)``, to update that assignment; a name Canvas does
    not know creates a new assignment (pass the header with ``column=``). The second row is
    Canvas's export's ``Points Possible`` row (the first cell says so, the identity cells are
    empty, the assignment cell holds its points): Canvas reads it back when the file is
    imported; the guide's list of required columns does not ask for it.
``moodle``
    Moodle's CSV grade import, as documented in MoodleDocs "Grade import"
    (https://docs.moodle.org/311/en/Grade_import, "CSV grade import"): after the upload the
    teacher maps one column to a user field ("Identify user by": "Map from" a column of the
    file, "Map to" ``useremail``, ``useridnumber`` or ``username``) and each other column to a
    grade item (or a new one), a feedback column to "Feedback for" that item. The columns:
    ``First name, Last name, ID number, Username, Email address`` (the names of Moodle's own
    export, where it has them), the grade column, and ``<grade column> feedback`` (the
    scores per notebook, in words). The identity the teacher maps (``key=``: ``email``,
    ``idnumber`` or ``username``) must be there for every student. The grade is in points:
    the Moodle grade item's maximum must be the assignment's (``max_points`` of the table),
    or export percentages (``percent=True``) into an item out of 100.
``csv``
    A plain table for a spreadsheet: ``student, total, max, percent``, one column per
    notebook (its score, headed by the notebook's name) and ``waiting_for_manual_grading``
    (the notebooks with written answers not graded yet, separated by spaces).

Identities
----------
LMS identities come from nbgrader's ``Student`` table (``first_name``, ``last_name``,
``email``, ``lms_user_id``), overridden, field by field, by a roster CSV when one is given
(:func:`read_roster`). The roster's header holds ``student_id`` (the nbgrader student id)
and any of ``first_name, last_name, email, lms_user_id, sis_id, login_id, section``:
``lms_user_id`` is the LMS's own user id (Canvas ``ID``), ``sis_id`` the institution's id
(Canvas ``SIS User ID``, Moodle ``ID number``), ``login_id`` the login (Canvas ``SIS Login
ID``, Moodle ``Username``), ``section`` the Canvas section.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, fields, replace
from pathlib import Path

from .outcome import StudentOutcome

FORMATS = ("canvas", "moodle", "csv")
#: format -> the file written under ``<workdir>/reports`` when no output is given
DEFAULT_FILES = {"canvas": "grades_canvas.csv", "moodle": "grades_moodle.csv", "csv": "grades_table.csv"}

CANVAS_IDENTITY_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
CANVAS_POINTS_ROW = "Points Possible"
MOODLE_IDENTITY_COLUMNS = ("First name", "Last name", "ID number", "Username", "Email address")
#: Moodle's "Map to" user field -> the Identity attribute and the column that carries it
MOODLE_KEYS = {"email": ("email", "Email address"), "idnumber": ("sis_id", "ID number"),
               "username": ("login_id", "Username")}
PLAIN_COLUMNS = ("student", "total", "max", "percent")
PLAIN_WAITING = "waiting_for_manual_grading"

ROSTER_ID = "student_id"


@dataclass(frozen=True)
class Identity:
    """Who a student is for the LMS (empty strings where unknown).

    Attributes
    ----------
    student : str
        The nbgrader student id.
    first_name, last_name, email : str
    lms_user_id : str
        The LMS's own user id (Canvas ``ID``).
    sis_id : str
        The institution's student id (Canvas ``SIS User ID``, Moodle ``ID number``).
    login_id : str
        The login (Canvas ``SIS Login ID``, Moodle ``Username``).
    section : str
        The Canvas section.
    """

    student: str
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    lms_user_id: str = ""
    sis_id: str = ""
    login_id: str = ""
    section: str = ""

    @property
    def sortable_name(self) -> str:
        """``Last, First`` as Canvas shows students; the student id when no name is known."""
        if self.last_name and self.first_name:
            return f"{self.last_name}, {self.first_name}"
        return self.last_name or self.first_name or self.student


ROSTER_COLUMNS = tuple(item.name for item in fields(Identity) if item.name != "student")


class ExportError(ValueError):
    """An export that cannot be written as asked (a bad roster, an unknown format or key)."""


def gradebook_identities(db_url: str, students: list[str]) -> dict[str, Identity]:
    """student -> the identity nbgrader's ``Student`` table holds (names, email, ``lms_user_id``)."""
    from .gradebook import student_records

    return {student: Identity(student, **(record or {})) for student, record in student_records(db_url, students).items()}


def read_roster(path: Path) -> dict[str, dict[str, str]]:
    """student id -> the non-empty fields of its roster row (see the module docstring for the columns).

    Raises
    ------
    ExportError
        When the header has no ``student_id`` or a column this module does not know (a typo
        would otherwise leave every student without that identity), or a student appears twice.
    """
    path = Path(path)
    if not path.is_file():
        raise ExportError(f"no roster at {path}: pass a CSV file with the columns "
                          f"{ROSTER_ID},{','.join(ROSTER_COLUMNS)} (all but {ROSTER_ID} optional).")
    with path.open(newline="", encoding="utf-8-sig") as handle:  # a spreadsheet's byte-order mark is fine
        reader = csv.DictReader(handle)
        header = [name.strip() for name in reader.fieldnames or []]
        unknown = [name for name in header if name not in (ROSTER_ID, *ROSTER_COLUMNS)]
        if ROSTER_ID not in header or unknown:
            problem = f"unknown columns {', '.join(unknown)}" if unknown else f"no {ROSTER_ID} column"
            raise ExportError(f"roster {path}: {problem}. Its header may hold {ROSTER_ID} (required) and "
                              f"{', '.join(ROSTER_COLUMNS)}.")
        roster: dict[str, dict[str, str]] = {}
        for line, row in enumerate(reader, start=2):
            row = {key.strip(): (value or "").strip() for key, value in row.items() if key is not None}
            student = row.pop(ROSTER_ID)
            if not student:
                continue
            if student in roster:
                raise ExportError(f"roster {path}, line {line}: student {student!r} appears twice; keep one row.")
            roster[student] = {key: value for key, value in row.items() if value}
    return roster


def merge_identities(identities: dict[str, Identity], roster: dict[str, dict[str, str]]) -> dict[str, Identity]:
    """``identities`` with every non-empty roster field put over the gradebook's."""
    return {student: replace(identity, **roster.get(student, {})) for student, identity in identities.items()}


def missing_identity(identity: Identity, fmt: str, key: str = "email") -> str | None:
    """Why ``identity`` cannot be imported in format ``fmt``, or None when it can."""
    if fmt == "canvas" and not (identity.lms_user_id or identity.sis_id or identity.login_id):
        return "no Canvas ID, SIS User ID or SIS Login ID (roster columns lms_user_id, sis_id, login_id)"
    if fmt == "moodle":
        attribute, column = MOODLE_KEYS[key]
        if not getattr(identity, attribute):
            return f"no {column} (roster column {attribute}), which the import identifies users by"
    return None


def waiting_students(students: list[StudentOutcome]) -> dict[str, list[str]]:
    """student -> the notebooks with answers still waiting for a grader, for students with any."""
    waiting = {student.student: [nb.notebook for nb in student.notebooks if nb.needs_manual_grade]
               for student in students}
    return {student: notebooks for student, notebooks in waiting.items() if notebooks}


def _number(value: float) -> str:
    return f"{round(value, 2):g}"


def _grade(student: StudentOutcome, percent: bool) -> str:
    if not percent:
        return _number(student.score)
    return _number(100 * student.score / student.max_score if student.max_score else 0.0)


def _summary(student: StudentOutcome) -> str:
    """The scores per notebook in one line, as the feedback column of a Moodle import."""
    parts = [f"{nb.notebook} {_number(nb.score)}/{_number(nb.max_score)}"
             + (" (written answers not graded yet)" if nb.needs_manual_grade else "") for nb in student.notebooks]
    return f"{_number(student.score)}/{_number(student.max_score)} points: " + ", ".join(parts)


def canvas_table(students: list[StudentOutcome], identities: dict[str, Identity], column: str,
                 percent: bool = False) -> list[list[str]]:
    """Rows of the Canvas import (header, ``Points Possible``, one row per student); see the module docstring."""
    points = "100" if percent or not students else _number(students[0].max_score)
    rows = [[*CANVAS_IDENTITY_COLUMNS, column], [CANVAS_POINTS_ROW, "", "", "", "", points]]
    for student in students:
        who = identities[student.student]
        rows.append([who.sortable_name, who.lms_user_id, who.sis_id, who.login_id, who.section,
                     _grade(student, percent)])
    return rows


def moodle_table(students: list[StudentOutcome], identities: dict[str, Identity], column: str,
                 percent: bool = False) -> list[list[str]]:
    """Rows of the Moodle CSV import (header, one row per student); see the module docstring."""
    rows = [[*MOODLE_IDENTITY_COLUMNS, column, f"{column} feedback"]]
    for student in students:
        who = identities[student.student]
        rows.append([who.first_name, who.last_name, who.sis_id, who.login_id, who.email,
                     _grade(student, percent), _summary(student)])
    return rows


def plain_table(students: list[StudentOutcome]) -> list[list[str]]:
    """Rows of the plain table (header, one row per student); see the module docstring."""
    notebooks = [nb.notebook for nb in students[0].notebooks] if students else []
    rows = [[*PLAIN_COLUMNS, *notebooks, PLAIN_WAITING]]
    for student in students:
        rows.append([student.student, _number(student.score), _number(student.max_score),
                     _grade(student, percent=True), *(_number(nb.score) for nb in student.notebooks),
                     " ".join(nb.notebook for nb in student.notebooks if nb.needs_manual_grade)])
    return rows


def export_table(fmt: str, students: list[StudentOutcome], identities: dict[str, Identity], column: str,
                 percent: bool = False) -> list[list[str]]:
    """The rows of format ``fmt`` (one of :data:`FORMATS`) for ``students``."""
    if fmt == "canvas":
        return canvas_table(students, identities, column, percent)
    if fmt == "moodle":
        return moodle_table(students, identities, column, percent)
    if fmt == "csv":
        return plain_table(students)
    raise ExportError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}.")


def write_table(rows: list[list[str]], path: Path) -> Path:
    """Write ``rows`` as a UTF-8 CSV file (quoted where needed, as both LMSs read it)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path
