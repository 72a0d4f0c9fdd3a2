"""Grading on a Dask cluster of separate processes, and with the gradebook on a PostgreSQL server.

The toy class (``grading_toy``) graded by the session fixture on a local cluster is the
reference: on a ``dask scheduler`` with two ``dask worker`` processes on 127.0.0.1 and a
PostgreSQL gradebook, a part of it gets the same scores and findings (the whole
demonstration class does in ``tests/test_pipeline.py``); a worker killed
mid-student costs nothing but time; when every worker is gone the run stops and keeps what
was graded; a worker with another environment or without isolation is refused before it
grades anybody; formgrader writes a hand grade into the PostgreSQL gradebook while the
pipeline regrades another student.
"""
from __future__ import annotations

import dataclasses
import importlib.util
import json
import os
import shutil
import signal
import stat
import sys
import threading
import urllib.request
from pathlib import Path

import pytest

import grading_toy as toy
from conftest import ISOLATED
from course_admin.grading import GradingSettings, grade_class, prepare_workspace
from course_admin.grading import cluster as cluster_module
from course_admin.grading import remote
from course_admin.grading.bundle import build_bundle
from course_admin.grading.cluster import NoWorkersLeft, grade_students
from course_admin.grading.database import describe
from course_admin.grading.remote import EnvironmentMismatch
from course_admin.grading.sandbox import IsolationUnavailable
from services import dask_cluster, postgres_server, wait_until


#: a part of the toy class (one of each kind of demonstration student is graded on a cluster by tests/test_pipeline.py)
SOME = ("alice", "blank", "deleter", "exiter", "renamer", "hardcoder")


def kinds(report, student):
    return sorted(problem.kind for problem in report.student(student).problems)


def some_of(graded_class, folder: Path, students=SOME) -> Path:
    """A class of ``students`` of the toy class, copied into ``folder``."""
    for student in students:
        shutil.copytree(graded_class.submissions / student, folder / student)
    return folder


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with dask_cluster(tmp_path_factory.mktemp("dask"), workers=2) as running:
        yield running


@pytest.fixture(scope="module")
def postgres():
    with postgres_server() as url:
        yield url


@pytest.fixture(scope="module")
def on_the_cluster(graded_class, cluster, postgres, tmp_path_factory):
    """Part of the toy class graded on the scheduler's two workers into a PostgreSQL gradebook."""
    workdir = tmp_path_factory.mktemp("cluster_work")
    graded_by = []
    submissions = some_of(graded_class, tmp_path_factory.mktemp("cluster_class"))
    report = grade_class(graded_class.course, toy.ASSIGNMENT, submissions, workdir, None,
                         settings=GradingSettings(sandbox=ISOLATED), scheduler=cluster.address, database=postgres,
                         progress=lambda outcome: graded_by.append((outcome.student, outcome.worker)))
    return workdir, report, graded_by


def test_two_worker_processes_and_postgresql_give_the_local_scores_and_findings(graded_class, on_the_cluster,
                                                                                 cluster):
    workdir, report, graded_by = on_the_cluster
    assert report.scores() == {student: graded_class.expected[student] for student in SOME}
    for student in SOME:
        assert kinds(report, student) == kinds(graded_class.parallel, student), student
    assert sorted(student for student, _ in graded_by) == sorted(SOME)  # each stored once
    assert len({worker.split(" on ")[0] for _, worker in graded_by}) == 2
    assert report.cluster == cluster.address


def test_the_postgresql_gradebook_is_remembered_and_used_for_feedback(graded_class, on_the_cluster, postgres):
    from course_admin.grading.refresh import refresh_class

    workdir, report, _ = on_the_cluster
    assert report.gradebook == describe(postgres)
    assert not (workdir / "course" / "gradebook.db").exists()  # nothing was written to a SQLite course gradebook
    remembered = workdir / "gradebook-url"
    assert remembered.read_text().strip() == postgres
    assert stat.S_IMODE(remembered.stat().st_mode) == 0o600
    refreshed = refresh_class(graded_class.course, workdir)  # course.py feedback, from the server
    assert refreshed.report.scores() == report.scores()


def test_a_worker_killed_mid_student_costs_only_that_students_time(graded_class, cluster, tmp_path):
    killed: dict[str, str] = {}

    def kill_a_busy_worker():
        with cluster.client() as client:
            busy = wait_until(lambda: [(address, key) for address, keys in client.processing().items()
                                       for key in keys if str(key).startswith("grade-")],
                              120, "a worker grading a student")
            address, key = busy[0]
            pid = client.run(os.getpid, workers=[address])[address]
            os.kill(pid, signal.SIGKILL)
            killed[address] = str(key)

    killer = threading.Thread(target=kill_a_busy_worker)
    killer.start()
    graded = []
    submissions = some_of(graded_class, tmp_path / "class")
    report = grade_class(graded_class.course, toy.ASSIGNMENT, submissions, tmp_path / "work", None,
                         settings=GradingSettings(sandbox=ISOLATED), scheduler=cluster.address,
                         progress=lambda outcome: graded.append(outcome.student))
    killer.join()
    assert killed, "no worker was killed"
    [key] = killed.values()
    victim = key[len("grade-"):-len("-12345678")]
    assert victim in SOME
    assert sorted(graded) == sorted(SOME)  # the victim too, and stored once
    assert report.scores() == {student: graded_class.expected[student] for student in SOME}
    assert kinds(report, victim) == kinds(graded_class.parallel, victim)
    cluster.wait_for_workers(2)  # the nanny restarted the killed worker


def test_when_every_worker_is_gone_the_run_stops_and_keeps_what_was_graded(graded_class, tmp_path, monkeypatch):
    from course_admin.grading.gradebook import read_outcomes
    from course_admin.grading.workspace import Workspace
    from nbgrader.api import Gradebook, MissingEntry

    monkeypatch.setattr(cluster_module, "WORKER_WAIT", 5.0)
    with dask_cluster(tmp_path / "dask", workers=1, nanny=False) as lone:
        def kill_after_the_first(outcome):
            if lone.workers[0].poll() is None:
                os.killpg(lone.workers[0].pid, signal.SIGKILL)

        with pytest.raises(NoWorkersLeft, match="Start workers and run the same command again") as stopped:
            grade_class(graded_class.course, toy.ASSIGNMENT, some_of(graded_class, tmp_path / "class"),
                        tmp_path / "work", None,
                        settings=GradingSettings(sandbox=ISOLATED), scheduler=lone.address,
                        progress=kill_after_the_first)
    graded, missing = stopped.value.graded, stopped.value.missing
    assert graded and missing and sorted(graded + missing) == sorted(SOME)
    workspace = Workspace(tmp_path / "work", toy.ASSIGNMENT)
    kept = {outcome.student: {nb.notebook: nb.score for nb in outcome.notebooks}
            for outcome in read_outcomes(workspace, graded)}
    assert kept == {student: graded_class.expected[student] for student in graded}
    with Gradebook(workspace.db_url) as gradebook:
        for student in missing:
            with pytest.raises(MissingEntry):
                gradebook.find_submission(toy.ASSIGNMENT, student)
    assert all((workspace.feedback_dir(student)).is_dir() for student in graded)


@pytest.fixture()
def prepared(toy_course, tmp_path):
    settings = GradingSettings(sandbox=ISOLATED)
    workspace = prepare_workspace(toy_course, toy.ASSIGNMENT, tmp_path / "work", settings)
    return workspace, build_bundle(toy_course, workspace, settings)


def test_a_cluster_whose_workers_have_another_environment_is_refused(prepared):
    workspace, bundle = prepared
    forged = dataclasses.replace(bundle, environment={**bundle.environment, "numpy": "1.0.0"}, digest="forged")
    with pytest.raises(EnvironmentMismatch, match=r"numpy 1\.0\.0 on the grading machine, 2\.\d+\.\d+ here"):
        grade_students(forged, workspace, ["ann"], workers=1)
    # a worker that joins later checks before its first student
    with pytest.raises(EnvironmentMismatch, match="python3 course.py setup"):
        remote.prepare(forged)


def test_a_worker_that_cannot_confine_kernels_refuses_to_grade(prepared, monkeypatch):
    _, bundle = prepared
    confined = dataclasses.replace(bundle, settings=GradingSettings(sandbox=True), digest="confined")
    monkeypatch.setattr(remote, "isolation_status", lambda: (False, "bwrap is not installed"))
    with pytest.raises(IsolationUnavailable, match="bwrap is not installed.*--no-sandbox"):
        remote.prepare(confined)


def _lab_server():
    path = Path(__file__).resolve().parents[1] / "browser" / "lab_server.py"
    spec = importlib.util.spec_from_file_location("lab_server", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("lab_server", module)
    spec.loader.exec_module(module)
    return module


def test_formgrader_writes_a_hand_grade_while_the_pipeline_regrades_another_student(
        graded_class, on_the_cluster, cluster, tmp_path):
    from course_admin import lab
    from course_admin.grading.workspace import Workspace
    from nbgrader.api import Gradebook

    lab_server = _lab_server()
    workdir, _, _ = on_the_cluster
    workspace = Workspace(workdir, toy.ASSIGNMENT)
    with Gradebook(workspace.db_url) as gradebook:
        grade_id = gradebook.find_grade("explain_square", "01_squares", toy.ASSIGNMENT, "alice").id
    one_student = some_of(graded_class, tmp_path / "regrade", ["blank"])

    home = lab_server.jupyter_home(tmp_path / "instructor")
    lab_server.quiet_lab_settings(home)
    port = lab.free_port()
    launch = lab.formgrade(workdir, [], port=port, environ=lab_server.server_environment(home),
                           course_root=graded_class.course)
    token = launch.env["JUPYTER_TOKEN"]
    regraded = {}

    def regrade():
        regraded["report"] = grade_class(graded_class.course, toy.ASSIGNMENT, one_student, workdir, None,
                                         settings=GradingSettings(sandbox=ISOLATED), scheduler=cluster.address)

    with lab_server.running_lab(launch.argv, launch.cwd, lab_server.server_environment(home, launch.env),
                                tmp_path / "server.log", port=port, token=token) as server:
        pipeline = threading.Thread(target=regrade)
        pipeline.start()
        request = urllib.request.Request(f"{server.url}/formgrader/api/grade/{grade_id}", method="PUT",
                                         data=json.dumps({"manual_score": 1.5}).encode(),
                                         headers={"Authorization": f"token {token}",
                                                  "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            saved = json.loads(response.read())
        during = pipeline.is_alive()
        pipeline.join()
    assert during, "the regrade ended before formgrader wrote: nothing ran at the same time"
    assert saved["manual_score"] == 1.5
    assert regraded["report"].scores() == {"blank": graded_class.expected["blank"]}
    with Gradebook(workspace.db_url) as gradebook:
        grade = gradebook.find_grade("explain_square", "01_squares", toy.ASSIGNMENT, "alice")
        assert (grade.manual_score, grade.needs_manual_grade) == (1.5, False)
        alice = gradebook.find_submission(toy.ASSIGNMENT, "alice")
        assert alice.score == sum(graded_class.expected["alice"].values()) + 1.5


def test_gradebook_urls_are_checked_remembered_and_their_passwords_kept_out_of_messages(tmp_path):
    from course_admin.grading import database

    assert database.sqlalchemy_url("postgres://grader@db:5432/course") == "postgresql+psycopg://grader@db:5432/course"
    with pytest.raises(database.BadDatabaseURL, match=r"mysql://grader:\*\*\*@db/course: not a gradebook URL"):
        database.sqlalchemy_url("mysql://grader:secret@db/course")
    with pytest.raises(database.BadDatabaseURL):
        database.remember(tmp_path, "gradebook.db")  # refused before anything is written
    assert database.remembered(tmp_path) is None
    database.remember(tmp_path, "postgresql://grader@db/course")
    assert database.remembered(tmp_path) == "postgresql://grader@db/course"
    database.remember(tmp_path, "sqlite")  # back to the work folder's own file
    assert database.remembered(tmp_path) is None
