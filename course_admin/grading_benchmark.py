"""Seconds per submission: plain serial ``nbgrader autograde`` against the course's pipeline.

``python -m course_admin.grading_benchmark [--students 20] [--workers 2] [--breakdown]``

Both grade the same class of well-formed submissions (the reference solution and students
with one mistake each from the catalog, so that plain nbgrader does not stop on them), in
scratch copies of the course. Prints the seconds per submission of each, their ratio, and
whether both gave every student the same score. ``--breakdown`` adds the pipeline with
one worker, with kernels started as fresh interpreters instead of forked, and without the
sandbox (what isolation costs).
"""
import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from course_admin.grading import GradingSettings, grade_class
from course_admin.grading.workspace import tools_on_path
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
    with tools_on_path():
        subprocess.run([*nbgrader, "generate_assignment", ASSIGNMENT, "--force", "--log-level=ERROR"],
                       cwd=course, check=True)
        start = time.perf_counter()
        subprocess.run([*nbgrader, "autograde", ASSIGNMENT, "--force", "--log-level=ERROR"], cwd=course)
        seconds = time.perf_counter() - start
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        scores = {s.student.id: float(s.score) for s in gradebook.assignment_submissions(ASSIGNMENT)}
    return seconds, scores


def pipeline(submitted: Path, workdir: Path, workers: int, settings: GradingSettings) -> tuple[float, dict[str, float]]:
    """Seconds and student -> score of the course's pipeline (prepare, intake, autograde, feedback, report)."""
    start = time.perf_counter()
    report = grade_class(ROOT, ASSIGNMENT, submitted, workdir, workers, settings=settings, layout="nbgrader")
    return time.perf_counter() - start, {student.student: student.score for student in report.students}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--breakdown", action="store_true",
                        help="also time the pipeline with 1 worker, with kernels not forked and not isolated")
    args = parser.parse_args(argv)
    runs = {f"pipeline, {args.workers} workers": (args.workers, GradingSettings())}
    if args.breakdown:
        runs["pipeline, 1 worker"] = (1, GradingSettings())
        runs[f"pipeline, {args.workers} workers, kernels not forked"] = (args.workers, GradingSettings(fork_kernels=False))
        # the class holds no attacker: it may be graded unconfined to show what isolation costs
        runs[f"pipeline, {args.workers} workers, not isolated"] = (args.workers, GradingSettings(sandbox=False))
    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder)
        submitted = scratch / "class"
        write_class(benchmark_class(args.students), submitted)
        count = len(list(submitted.iterdir()))
        print(f"class of {count} submissions; grading with plain nbgrader (serial) ...", flush=True)
        results = {"plain nbgrader autograde": plain_nbgrader(submitted, scratch)}
        for index, (name, (workers, settings)) in enumerate(runs.items()):
            print(f"grading with the {name} ...", flush=True)
            results[name] = pipeline(submitted, scratch / f"pipeline{index}", workers, settings)
    plain_seconds, plain_scores = results["plain nbgrader autograde"]
    width = max(map(len, results))
    differing = {}
    for name, (seconds, scores) in results.items():
        speed_up = "" if name.startswith("plain") else f", {plain_seconds / seconds:5.2f}x faster"
        print(f"{name:<{width}} : {seconds:7.1f} s, {seconds / count:5.2f} s per submission{speed_up}")
        differing.update({(name, student): (plain_scores.get(student), scores.get(student))
                          for student in set(plain_scores) | set(scores)
                          if plain_scores.get(student) != scores.get(student)})
    print("(the pipeline's times include preparing the release, intake, feedback pages and the report)")
    print("scores: identical for every student in every run" if not differing
          else f"scores differ from plain nbgrader (plain, pipeline): {differing}")
    return 0 if not differing else 1


if __name__ == "__main__":
    sys.exit(main())
