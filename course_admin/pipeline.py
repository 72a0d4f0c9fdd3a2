"""The instructor pipeline: release, collect, autograde, feedback, grades and a report, in one command.

``python3 course.py run``
    grade the demonstration class (made from the course's own notebooks) under ``grading/demo``
``python3 course.py grade --submissions DIR``  or  ``--zips DIR``
    grade a real class: nbgrader's layout (``<student>/planar_nn/*.ipynb``) or one zip per student

Steps: release ``source_solutions/`` into the work folder (``notebooks/``, where someone may be
typing, is left alone), copy the submissions (never
modified), grade them in parallel with nbgrader in ``<workdir>/course`` (its SQLite gradebook
is ``<workdir>/course/gradebook.db``, unless ``--db`` names a PostgreSQL one), write feedback without hidden tests or solutions and
``<workdir>/reports/grades.csv``, and print the scores with the submissions that need
attention and why. The exit code is 0 when every submission was graded, problems included;
1 when the pipeline itself could not run, 2 when it refused to (no isolation, a worker with
another environment, no scheduler at ``--scheduler``, a bad ``--db``), 3 when every worker of
the cluster left halfway (what was graded is kept).

``--scheduler tcp://HOST:PORT`` grades on a Dask cluster instead of this machine's cores;
``--db postgresql://...`` keeps the course gradebook on a PostgreSQL server (README: Grading
on a cluster).

The course's own demonstration cells (training runs, sweeps, figures) that a student left
unchanged grade nothing and are not run; ``--run-course-demos`` runs them too: slower, but the
autograded notebooks and the feedback pages then carry every figure (for reviewing written
answers in formgrader, say).
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from course_admin import release
from course_admin.grading import GradingSettings, grade_class
from course_utils.layout import ASSIGNMENT

ROOT = Path(__file__).resolve().parent.parent
#: one grading process per core this process may run on
DEFAULT_WORKERS = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def cell_scores(report, students: list[str]) -> dict[str, dict[str, tuple[float, float]]]:
    """student -> grade_id -> (score, max_score) of every autograded test cell of ``report`` (a ClassReport).

    The scores are the course gradebook's when the report was made; written answers
    (markdown cells graded by hand) are left out.
    """
    return {student: {cell.grade_id: (cell.score, cell.max_score) for notebook in report.student(student).notebooks
                      for cell in notebook.cells if cell.cell_type == "code"}
            for student in students}


def demo_verdicts(demo_students, scores) -> dict[str, str]:
    """student -> '' when the demonstration student scored as it should, else what differs."""
    from course_utils.layout import function_of_test_cell as function_of

    verdicts = {}
    for demo in demo_students:
        autograded = scores[demo.variant.student]
        lost = {function_of(gid) or gid for gid, (score, maximum) in autograded.items() if score < maximum}
        expected = {"none": set(), "all": {function_of(gid) or gid for gid in autograded}}.get(
            demo.outcome, set(demo.loses))
        problems = []
        if lost - expected:
            problems.append("also lost " + ", ".join(sorted(lost - expected)))
        if expected - lost:
            problems.append("kept the points of " + ", ".join(sorted(expected - lost)))
        verdicts[demo.variant.student] = "; ".join(problems)
    return verdicts


def run_demo(workdir: Path, workers: int | None, timeout: int, run_course_demos: bool = False,
             sandbox: bool = True, scheduler: str | None = None, database: str | None = None) -> int:
    """Grade the demonstration class and show that every student scored as intended."""
    from course_admin.demo_students import write_demo_class

    # the class starts from a release of the current sources, made in the work folder:
    # notebooks/ (which someone may be typing in) is neither read nor written
    fresh_release = release.make_student_release(workdir / "release")
    submitted = workdir / "class"
    demo_students = write_demo_class(submitted, attacks=sandbox, release_dir=fresh_release)
    if not sandbox:
        print("grading without isolation: the students who attack the grader are left out of the class")
    print(f"demonstration class of {len(demo_students)} students written to {submitted}", flush=True)
    report = grade_class(ROOT, ASSIGNMENT, submitted, workdir / "grading", workers,
                         settings=GradingSettings(timeout=timeout, run_course_demos=run_course_demos,
                                                  sandbox=sandbox),
                         layout="nbgrader", scheduler=scheduler, database=database)
    print(report.table())
    scores = cell_scores(report, [d.variant.student for d in demo_students])
    verdicts = demo_verdicts(demo_students, scores)
    print("\nWhat each demonstration student did, and whether it scored as it should:")
    for demo in demo_students:
        verdict = verdicts[demo.variant.student]
        print(f"  {'ok ' if not verdict else 'NO '} {demo.variant.student:<42} {demo.variant.summary}"
              + (f"  <- {verdict}" if verdict else ""))
    _print_outputs(report)
    return 0 if not any(verdicts.values()) else 1


def run_class(submissions: Path, layout: str, workdir: Path, workers: int | None, timeout: int | None,
              run_course_demos: bool = False, sandbox: bool = True, scheduler: str | None = None,
              database: str | None = None) -> int:
    """Grade a real class."""
    if not submissions.is_dir():
        print(f"{submissions} is not a folder: pass the folder that holds the submissions.", file=sys.stderr)
        return 1
    report = grade_class(ROOT, ASSIGNMENT, submissions, workdir, workers,
                         settings=GradingSettings(timeout=timeout, run_course_demos=run_course_demos,
                                                  sandbox=sandbox),
                         layout=layout, scheduler=scheduler, database=database)
    print(report.table())
    _print_outputs(report)
    return 0


def _print_outputs(report) -> None:
    where = (f"{report.workers} local worker{'s' * (report.workers != 1)}" if report.cluster == "local"
             else f"the Dask cluster at {report.cluster}")
    print(f"\nGraded in {report.seconds:.0f} s on {where}.")
    print(f"Grades: {report.grades_csv}")
    print(f"Gradebook: {report.gradebook}")
    print(f"Graded notebooks and feedback: {report.workdir}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="grade the demonstration class")
    demo.add_argument("--workdir", type=Path, default=ROOT / "grading" / "demo",
                      help="where the class, the nbgrader course, feedback and grades.csv go (default grading/demo)")
    demo.add_argument("--timeout", type=int, default=30, help="seconds a cell may run (default 30)")
    grade = commands.add_parser("grade", help="grade a class of your own")
    source = grade.add_mutually_exclusive_group(required=True)
    source.add_argument("--submissions", type=Path, help="folder in nbgrader's layout: <student>/planar_nn/")
    source.add_argument("--zips", type=Path, help="folder of zip files, one per student: <student>_*.zip")
    grade.add_argument("--workdir", type=Path, default=ROOT / "grading" / "class",
                       help="where the nbgrader course, feedback and grades.csv go (default grading/class)")
    grade.add_argument("--timeout", type=int, default=None,
                       help="seconds a cell may run (default: nbgrader_config.py's Execute.timeout)")
    for sub in (demo, grade):
        sub.add_argument("--workers", type=int, default=None,
                         help=f"grading processes on this machine (default {DEFAULT_WORKERS}: one per core); "
                              "with --scheduler, use at most this many of the cluster's workers (default all)")
        sub.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                         help="grade on the Dask cluster of this scheduler instead of this machine "
                              "(README: Grading on a cluster)")
        sub.add_argument("--db", metavar="URL",
                         help="the course gradebook: postgresql://USER@HOST:PORT/DATABASE, or sqlite for the "
                              "work folder's own file (default: what this work folder used last, SQLite at first)")
        sub.add_argument("--run-course-demos", action="store_true",
                         help="also run the course's demonstration cells the students left unchanged: "
                              "slower, but the autograded notebooks and feedback then carry every figure "
                              "(e.g. for formgrader review of written answers)")
        sub.add_argument("--no-sandbox", action="store_true",
                         help="grade without confining the kernels (where bubblewrap cannot run): submitted "
                              "code then runs with your rights; the report says so")
    args = parser.parse_args(argv)
    from course_admin.grading.cluster import ClusterUnavailable, NoWorkersLeft
    from course_admin.grading.database import BadDatabaseURL
    from course_admin.grading.remote import EnvironmentMismatch
    from course_admin.grading.sandbox import IsolationUnavailable

    workers = args.workers if args.workers is not None or args.scheduler else DEFAULT_WORKERS
    try:
        if args.command == "demo":
            return run_demo(args.workdir.resolve(), workers, args.timeout, args.run_course_demos,
                            not args.no_sandbox, args.scheduler, args.db)
        layout = "nbgrader" if args.submissions else "zips"
        return run_class((args.submissions or args.zips).resolve(), layout, args.workdir.resolve(),
                         workers, args.timeout, args.run_course_demos, not args.no_sandbox, args.scheduler,
                         args.db)
    except (IsolationUnavailable, EnvironmentMismatch, ClusterUnavailable, BadDatabaseURL) as error:
        print(error, file=sys.stderr)
        return 2
    except NoWorkersLeft as error:
        print(error, file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
