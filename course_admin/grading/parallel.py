"""Grading students in a pool of worker processes.

Each worker is a fresh ``python -m course_admin.grading.worker`` process (nothing is
inherited from the caller, whatever its ``__main__``), with its own scratch gradebook.
Students are handed out one at a time as workers free up, so one slow submission does
not hold back a fixed share of the class. Scores do not depend on the number of
workers: every notebook runs in a fresh kernel, and the parent alone stores grades.

A worker that stops (student code cannot cause it: it runs in kernels) loses the
student it was grading; such students are retried once, one at a time, and a second
failure is reported as a grading error with every notebook at 0.
"""
from __future__ import annotations

import json
import os
import selectors
import shutil
import subprocess
import sys
from collections import deque
from pathlib import Path

from .problems import Problem
from .worker import GradingJob, NotebookOutcome, StudentOutcome, job_to_json
from .workspace import Workspace

#: the folder holding the ``course_admin`` package, put on the workers' PYTHONPATH
_PACKAGE_ROOT = Path(__file__).resolve().parents[2]


def _worker_environment() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_PACKAGE_ROOT), env.get("PYTHONPATH")]))
    env.setdefault("MPLBACKEND", "Agg")
    return env


class _Worker:
    def __init__(self, name: str, job_file: Path, workspace: Workspace):
        self.name = name
        self.current: str | None = None
        own_dir = workspace.workers_dir / name
        own_dir.mkdir(parents=True, exist_ok=True)
        self.dir = own_dir
        self.stderr = open(own_dir / "stderr.log", "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "course_admin.grading.worker", str(job_file), name],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr, text=True, bufsize=1,
            env=_worker_environment(), cwd=str(workspace.workdir))

    def send(self, student: str | None) -> None:
        self.current = student
        if student is None:
            self.process.stdin.close()
        else:
            self.process.stdin.write(student + "\n")
            self.process.stdin.flush()

    def close(self) -> None:
        if self.process.stdin and not self.process.stdin.closed:
            self.process.stdin.close()
        self.process.wait()
        self.stderr.close()


def _run_pool(job_file: Path, workspace: Workspace, students: list[str], workers: int, prefix: str,
              progress=None):
    """Grade ``students`` with ``workers`` processes; return (outcomes, failures by student)."""
    outcomes: dict[str, StudentOutcome] = {}
    failures: dict[str, str] = {}
    queue = deque(students)
    selector = selectors.DefaultSelector()
    pool = [_Worker(f"{prefix}{index}", job_file, workspace) for index in range(max(1, min(workers, len(students))))]
    for worker in pool:
        selector.register(worker.process.stdout, selectors.EVENT_READ, worker)
    running = len(pool)
    try:
        while running:
            for key, _ in selector.select():
                worker: _Worker = key.data
                line = worker.process.stdout.readline()
                if not line:  # the worker exited
                    selector.unregister(worker.process.stdout)
                    running -= 1
                    if worker.current is not None:
                        code = worker.process.wait()
                        failures[worker.current] = f"the grading process stopped (exit code {code})"
                        worker.current = None
                    continue
                word, _, rest = line.strip().partition(" ")
                if word == "done":
                    path = worker.dir / f"{rest}.json"
                    outcomes[rest] = StudentOutcome.from_dict(json.loads(path.read_text()))
                    if progress is not None:
                        progress(outcomes[rest])
                elif word == "failed":
                    student, _, reason = rest.partition(" ")
                    failures[student] = reason
                elif word != "ready":
                    continue
                worker.send(queue.popleft() if queue else None)
    finally:
        for worker in pool:
            worker.close()
        selector.close()
    for student in queue:  # only when every worker stopped early
        failures.setdefault(student, "no grading process was left to grade it")
    return outcomes, failures


def grade_students(job: GradingJob, students: list[str], workers: int = 2,
                   progress=None) -> dict[str, StudentOutcome]:
    """Grade ``students`` with up to ``workers`` processes; return their outcomes by student.

    A student whose grading failed twice gets every notebook at 0 (status ``grading
    error``) and a ``grading_error`` problem. ``progress``, when given, is called with
    each :class:`StudentOutcome` as soon as it is in.
    """
    workspace = Workspace(Path(job.workdir), job.assignment)
    if workspace.workers_dir.exists():
        shutil.rmtree(workspace.workers_dir)
    workspace.workers_dir.mkdir(parents=True)
    if not students:
        return {}
    job_file = workspace.workers_dir / "job.json"
    job_file.write_text(job_to_json(job))
    outcomes, failures = _run_pool(job_file, workspace, sorted(students), workers, "w", progress)
    if failures:
        retried, failures = _run_pool(job_file, workspace, sorted(failures), 1, "retry", progress)
        outcomes.update(retried)
    for student, reason in failures.items():
        outcomes[student] = _failed_outcome(workspace, student, reason)
    return dict(sorted(outcomes.items()))


def _failed_outcome(workspace: Workspace, student: str, reason: str) -> StudentOutcome:
    notebooks = [NotebookOutcome(name[: -len(".ipynb")], "grading error", [], {})
                 for name in workspace.expected_notebooks()]
    return StudentOutcome(student, notebooks, [Problem("grading_error", None,
                                                       f"grading failed twice ({reason}): scored 0")])
