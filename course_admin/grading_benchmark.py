"""Seconds per submission: plain serial ``nbgrader autograde`` against the course's pipeline.

``python -m course_admin.grading_benchmark [--students 20] [--workers 2]``

Both grade the same class of well-formed submissions (the reference solution and students
with one mistake each from the catalog, so that plain nbgrader does not stop on them), in
scratch copies of the course. Prints the seconds per submission of each, their ratio, and
whether both gave every student the same score.
"""
import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from course_admin.grading import grade_class
from course_admin.mistakes import CATALOG
from course_admin.submissions import Variant, write_class
from course_utils.layout import ASSIGNMENT

ROOT = Path(__file__).resolve().parent.parent


def benchmark_class(size: int) -> list[Variant]:
    """The reference solution and ``size - 1`` students with one catalog mistake each."""
    variants = [Variant("reference", "the reference solution")]
    for mistake in CATALOG[: size - 1]:
        variants.append(Variant(mistake.key, mistake.summary, answers={mistake.function: (mistake.old, mistake.new)}))
    return variants


def plain_nbgrader(submitted: Path, scratch: Path) -> tuple[float, dict[str, float]]:
    """Seconds and student -> score of ``nbgrader autograde`` run serially on a copy of the course."""
    from nbgrader.api import Gradebook

    course = scratch / "plain"
    course.mkdir()
    shutil.copy2(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "source_solutions", course / "source_solutions")
    shutil.copytree(submitted, course / "submitted")
    nbgrader = [sys.executable, "-m", "nbgrader"]
    subprocess.run([*nbgrader, "generate_assignment", ASSIGNMENT, "--force", "--log-level=ERROR"],
                   cwd=course, check=True)
    start = time.perf_counter()
    subprocess.run([*nbgrader, "autograde", ASSIGNMENT, "--force", "--log-level=ERROR"], cwd=course)
    seconds = time.perf_counter() - start
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        scores = {s.student.id: float(s.score) for s in gradebook.assignment_submissions(ASSIGNMENT)}
    return seconds, scores


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder)
        submitted = scratch / "class"
        write_class(benchmark_class(args.students), submitted)
        count = len(list(submitted.iterdir()))
        print(f"class of {count} submissions; grading with plain nbgrader (serial) ...", flush=True)
        plain_seconds, plain_scores = plain_nbgrader(submitted, scratch)
        print(f"grading with the pipeline ({args.workers} workers) ...", flush=True)
        start = time.perf_counter()
        report = grade_class(ROOT, ASSIGNMENT, submitted, scratch / "pipeline", args.workers, layout="nbgrader")
        pipeline_seconds = time.perf_counter() - start
        pipeline_scores = {student.student: student.score for student in report.students}
    print(f"plain nbgrader autograde : {plain_seconds:7.1f} s, {plain_seconds / count:5.2f} s per submission")
    print(f"pipeline, {args.workers} workers      : {pipeline_seconds:7.1f} s, "
          f"{pipeline_seconds / count:5.2f} s per submission (prepare, intake, feedback and report included)")
    print(f"speed-up                 : {plain_seconds / pipeline_seconds:5.2f}x")
    differing = {s: (plain_scores.get(s), pipeline_scores.get(s)) for s in set(plain_scores) | set(pipeline_scores)
                 if plain_scores.get(s) != pipeline_scores.get(s)}
    print("scores: identical for every student" if not differing else f"scores differ (plain, pipeline): {differing}")
    return 0 if not differing else 1


if __name__ == "__main__":
    sys.exit(main())
