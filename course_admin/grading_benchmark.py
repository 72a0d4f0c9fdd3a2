"""Seconds per submission: plain serial ``nbgrader autograde`` against the course's pipeline.

``python -m course_admin.grading_benchmark [--students 20] [--workers 2] [--breakdown]``
``python -m course_admin.grading_benchmark --scaling [--scheduler tcp://HOST:PORT] [--workers 2] [--kill-after S]``

Both grade the same class of well-formed submissions (the reference solution and students
with one mistake each from the catalog, so that plain nbgrader does not stop on them), in
scratch copies of the course. Prints the seconds per submission of each, their ratio, and
whether both gave every student the same score. ``--breakdown`` adds the pipeline with
one worker, with kernels started as fresh interpreters instead of forked, and without the
sandbox (what isolation costs).

``--scaling`` grades the class on Dask with 1, 2, ... ``--workers`` workers (local clusters,
or that many of the ``--scheduler``'s workers) and prints seconds per submission, the
speed-up and the scaling efficiency (the time with one worker over n times the time with n).
``--kill-after S`` then grades once more with every worker and kills one of them S seconds
in (Dask gives its student to another worker; with ``--scheduler``, a worker under a nanny
is restarted), and prints what that cost.
"""
import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
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
    from course_admin.grading.gradebook import assignment_scores

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
    return seconds, assignment_scores(f"sqlite:///{course / 'gradebook.db'}", ASSIGNMENT)


def pipeline(submitted: Path, workdir: Path, workers: int, settings: GradingSettings,
             scheduler: str | None = None) -> tuple[float, dict[str, float]]:
    """Seconds and student -> score of the course's pipeline (prepare, intake, autograde, feedback, report)."""
    start = time.perf_counter()
    report = grade_class(ROOT, ASSIGNMENT, submitted, workdir, workers, settings=settings, layout="nbgrader",
                         scheduler=scheduler)
    return time.perf_counter() - start, {student.student: student.score for student in report.students}


def _kill_one_worker_later(scheduler: str, seconds: float) -> threading.Thread:
    """Kill a busy worker process of the Dask cluster at ``scheduler`` ``seconds`` from now."""
    def kill() -> None:
        from distributed import Client

        time.sleep(seconds)
        with Client(scheduler, timeout="20s") as client:
            busy = [worker for worker, keys in client.processing().items() if keys] or list(client.nthreads())
            pid = client.run(os.getpid, workers=busy[:1])[busy[0]]
        os.kill(pid, signal.SIGKILL)
        print(f"  killed the worker {busy[0]} (pid {pid}) {seconds:.0f} s into the run", flush=True)

    thread = threading.Thread(target=kill, daemon=True)
    thread.start()
    return thread


def scaling(submitted: Path, scratch: Path, count: int, workers: int, scheduler: str | None,
            kill_after: float | None) -> int:
    """Grade ``submitted`` with 1..``workers`` Dask workers; print seconds, speed-up and efficiency."""
    from course_admin.grading.cluster import local_cluster

    results = {}
    for number in range(1, workers + 1):
        print(f"grading with {number} worker{'s' * (number > 1)} ...", flush=True)
        results[number] = pipeline(submitted, scratch / f"scaling{number}", number, GradingSettings(), scheduler)
    base_seconds, base_scores = results[1]
    print(f"\n{'workers':>7}  {'seconds':>8}  {'s/submission':>12}  {'speed-up':>8}  {'efficiency':>10}")
    for number, (seconds, _) in results.items():
        print(f"{number:>7}  {seconds:8.1f}  {seconds / count:12.2f}  {base_seconds / seconds:8.2f}"
              f"  {base_seconds / (number * seconds):10.0%}")
    differing = [number for number, (_, scores) in results.items() if scores != base_scores]
    if kill_after is not None:
        print(f"grading with {workers} workers, one of them killed {kill_after:.0f} s in ...", flush=True)
        if scheduler is None:  # a local cluster of our own, so that its address is known
            with local_cluster(workers) as cluster:
                killer = _kill_one_worker_later(cluster.scheduler_address, kill_after)
                seconds, scores = pipeline(submitted, scratch / "killed", workers, GradingSettings(),
                                           cluster.scheduler_address)
        else:
            killer = _kill_one_worker_later(scheduler, kill_after)
            seconds, scores = pipeline(submitted, scratch / "killed", workers, GradingSettings(), scheduler)
        killer.join(timeout=1)
        print(f"  {seconds:.1f} s instead of {results[workers][0]:.1f} s: the killed worker cost "
              f"{seconds - results[workers][0]:+.1f} s")
        if scores != base_scores:
            differing.append(f"{workers} with a killed worker")
    print("scores: identical for every student in every run" if not differing
          else f"scores differ from the one-worker run with: {differing}")
    return 0 if not differing else 1


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--breakdown", action="store_true",
                        help="also time the pipeline with 1 worker, with kernels not forked and not isolated")
    parser.add_argument("--scaling", action="store_true",
                        help="seconds per submission with 1..--workers Dask workers, and the scaling efficiency")
    parser.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                        help="with --scaling: use the workers of this Dask cluster instead of local ones")
    parser.add_argument("--kill-after", type=float, metavar="SECONDS",
                        help="with --scaling: grade once more and kill a worker this many seconds in")
    args = parser.parse_args(argv)
    if args.scaling:
        with tempfile.TemporaryDirectory() as folder:
            submitted = Path(folder) / "class"
            write_class(benchmark_class(args.students), submitted)
            count = len(list(submitted.iterdir()))
            print(f"class of {count} submissions", flush=True)
            return scaling(submitted, Path(folder), count, args.workers, args.scheduler, args.kill_after)
    if args.scheduler or args.kill_after is not None:
        parser.error("--scheduler and --kill-after go with --scaling")
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
