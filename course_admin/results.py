"""After hand grading: feedback and grades again from the gradebook, and exports an LMS imports.

``python3 course.py feedback [--workdir DIR]``
    rewrite every student's feedback pages, ``DIR/reports/grades.csv`` and
    ``DIR/reports/report.json`` from the course gradebook (``DIR/course/gradebook.db``, or
    the PostgreSQL server ``grade --db`` was given; hand scores and comments from formgrader
    included), and print the class table as
    ``course.py grade`` does. No kernel is started and nothing is graded again: what only
    grading knew (notebook statuses, problems, seconds, isolation) comes from the previous
    ``report.json``.
``python3 course.py export --format canvas|moodle|csv [--workdir DIR] [--output FILE] [--roster FILE]``
    one row per student in the layout Canvas's or Moodle's grade import documents, or a
    plain table (see :mod:`course_admin.grading.exports` for the columns and the pages
    they follow). Scores include the hand scores; students whose written answers are not
    graded yet are exported with what they have so far, and listed in a warning.

Students with no LMS identity for the format (Canvas: ``ID``, ``SIS User ID`` or ``SIS
Login ID``; Moodle: the ``--moodle-key`` field) are listed on stderr and nothing is written
(exit code 1); ``--allow-missing`` writes the others and leaves those out, never with an
empty id. Identities come from nbgrader's student table and ``--roster``, a CSV with the
header ``student_id,first_name,last_name,email,lms_user_id,sis_id,login_id,section``
(``student_id`` required, the other columns optional).

``DIR`` defaults to ``grading/class``, as for ``course.py grade``. Exit codes: 0 done, 1 not
done (no graded class, a bad roster, students without identity), 2 bad arguments.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_WORKDIR = ROOT / "grading" / "class"


def run_feedback(course_root: Path, workdir: Path) -> int:
    """``feedback``: refresh the pages, grades.csv and report.json of ``workdir``; print the table."""
    from course_admin.grading.refresh import FEEDBACK_LOG, refresh_class

    refresh = refresh_class(course_root, workdir)
    report = refresh.report
    print(report.table())
    print(f"\n{refresh.pages} feedback pages written from the gradebook in {refresh.seconds:.1f} s "
          "(no notebook was run).")
    if refresh.missing:
        log = Path(report.workdir) / "logs" / FEEDBACK_LOG
        print("No feedback page could be written for " + ", ".join(refresh.missing)
              + f": nbgrader's messages are in {log}.", file=sys.stderr)
    print(f"Grades: {report.grades_csv}")
    print(f"Feedback pages: {Path(report.workdir) / 'course' / 'feedback'}")
    return 1 if refresh.missing else 0


def class_scores(graded):
    """The students' outcomes with today's gradebook scores (manual scores included)."""
    from course_admin.grading.gradebook import read_outcomes

    return read_outcomes(graded.workspace, graded.students)


def class_identities(graded, roster: Path | None):
    """student -> Identity, from nbgrader's student table and the roster when given."""
    from course_admin.grading.exports import gradebook_identities, merge_identities, read_roster

    identities = gradebook_identities(graded.workspace.db_url, graded.students)
    return merge_identities(identities, read_roster(roster)) if roster else identities


def run_export(workdir: Path, fmt: str, output: Path | None, roster: Path | None, allow_missing: bool,
               column: str | None, percent: bool, moodle_key: str) -> int:
    """``export``: write the grades of ``workdir`` in format ``fmt``; see the module docstring."""
    from course_admin.grading.exports import (DEFAULT_FILES, export_table, missing_identity, waiting_students,
                                              write_table)
    from course_admin.grading.refresh import load_graded_class

    graded = load_graded_class(workdir)
    students = class_scores(graded)
    identities = class_identities(graded, roster)
    missing = {student.student: reason for student in students
               if (reason := missing_identity(identities[student.student], fmt, moodle_key))}
    if missing:
        lines = [f"  {student}: {reason}" for student, reason in missing.items()]
        if not allow_missing:
            print(f"Not written: {len(missing)} students have no {fmt} identity:", *lines,
                  "Give them one in a roster (--roster FILE, see --help), or leave them out with --allow-missing.",
                  sep="\n", file=sys.stderr)
            return 1
        print(f"Left out of the export ({len(missing)} students without a {fmt} identity):", *lines,
              sep="\n", file=sys.stderr)
        students = [student for student in students if student.student not in missing]
    for student, notebooks in waiting_students(students).items():
        print(f"warning: {student} still waits for manual grading in {', '.join(notebooks)}: exported with "
              "those answers counted 0 so far (grade them in formgrader and export again)", file=sys.stderr)
    output = output or graded.workspace.reports_dir / DEFAULT_FILES[fmt]
    rows = export_table(fmt, students, identities, column or graded.workspace.assignment, percent)
    write_table(rows, output)
    maximum = f" out of {students[0].max_score:g} points" if students and not percent and fmt != "csv" else ""
    print(f"{len(students)} students written to {output} ({fmt} layout{maximum}).")
    return 0


def build_parser() -> argparse.ArgumentParser:
    from course_admin.grading.exports import FORMATS, MOODLE_KEYS

    parser = argparse.ArgumentParser(prog="course.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    feedback = commands.add_parser(
        "feedback", help="feedback pages, grades.csv and the report from the gradebook",
        description="Rewrite the feedback pages, reports/grades.csv and reports/report.json of a graded work "
                    "folder from its gradebook (hand scores and comments included), without running any "
                    "notebook, and print the class table.")
    export = commands.add_parser(
        "export", help="the grades as a file Canvas, Moodle or a spreadsheet imports",
        description="Write one row per student in Canvas's or Moodle's grade import layout, or a plain table. "
                    "Students without an identity for the format are listed and nothing is written, unless "
                    "--allow-missing; students still waiting for hand grading are exported and listed.")
    for sub in (feedback, export):
        sub.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR,
                         help="the work folder course.py grade wrote (default grading/class)")
    feedback.add_argument("--course", type=Path, default=ROOT,
                          help="the course checkout whose nbgrader_config.py applies (default: this one)")
    export.add_argument("--format", required=True, choices=FORMATS, dest="fmt",
                        help="canvas or moodle (their grade import layouts), or csv (a plain table)")
    export.add_argument("--output", type=Path,
                        help="the file to write (default DIR/reports/grades_canvas.csv, grades_moodle.csv "
                             "or grades_table.csv)")
    export.add_argument("--roster", type=Path,
                        help="CSV mapping nbgrader student ids to LMS identities: student_id,first_name,"
                             "last_name,email,lms_user_id,sis_id,login_id,section (all but student_id optional)")
    export.add_argument("--allow-missing", action="store_true",
                        help="write the students who have an LMS identity and leave out (and list) the others")
    export.add_argument("--column", help="header of the grade column (default: the assignment id); for Canvas, "
                                         "'Name (assignment id)' as its export heads it updates that assignment")
    export.add_argument("--percent", action="store_true",
                        help="grades in percent (0-100) instead of points, for an LMS item out of 100")
    export.add_argument("--moodle-key", choices=sorted(MOODLE_KEYS), default="email",
                        help="the user field Moodle's import identifies students by (default email)")
    return parser


def main(argv=None) -> int:
    from course_admin.grading.exports import ExportError
    from course_admin.grading.refresh import NoGradedClass

    args = build_parser().parse_args(argv)
    workdir = args.workdir.resolve()
    try:
        if args.command == "feedback":
            return run_feedback(args.course.resolve(), workdir)
        return run_export(workdir, args.fmt, args.output, args.roster, args.allow_missing, args.column,
                          args.percent, args.moodle_key)
    except (NoGradedClass, ExportError) as error:
        print(error, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
