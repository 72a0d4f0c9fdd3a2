"""Grading kernels are confined: each attack below works in an unconfined kernel and fails in the sandbox.

Each test runs the same attacking cells twice: in a grading kernel started as the pipeline
starts it (bubblewrap sandbox, fork server inside), and in one started without the sandbox,
where the attack must succeed (so that the test shows the defence, not a broken attack).
The class-level attacks (a vandal, a daemon, a copier, rewired machinery) are students of
the toy class (``grading_toy.write_class``), checked here against the graded class.
"""
from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path

import pytest

import grading_toy as toy
import kernel_cells
from course_admin.grading import GradingSettings, forkserver, sandbox
from course_admin.demo_students import REWIRE_CHECKS
from course_admin.grading.kernel_spec import KERNEL_NAME, write_kernel_spec

AVAILABILITY = sandbox.check()
needs_sandbox = pytest.mark.skipif(not AVAILABILITY.works, reason=f"no isolation here: {AVAILABILITY.reason}")


@pytest.fixture(scope="module")
def kernel_specs(tmp_path_factory):
    """Kernel specs on JUPYTER_PATH: ``confined`` and ``open`` (same launcher, no sandbox)."""
    specs = {}
    for name, sandboxed in (("confined", True), ("open", False)):
        root = tmp_path_factory.mktemp(f"jupyter_{name}")
        spec_dir = write_kernel_spec(root, sandbox.KernelLimits(memory=3 * 2**30, processes=64),
                                     GradingSettings().preload, sandboxed=sandboxed)
        specs[name] = (root, json.loads((spec_dir / "kernel.json").read_text()))
    return specs


@pytest.fixture(params=["forked", "subprocess"])
def confined(request, kernel_specs, tmp_path, monkeypatch):
    """Start grading kernels in a sandbox, forked from a server inside it or each in a sandbox of its own."""
    root, spec = kernel_specs["confined"]
    monkeypatch.setenv("JUPYTER_PATH", str(root))
    scratch = sandbox.scratch_root("course-grading-test-")
    box = sandbox.Sandbox(scratch / "incoming", scratch / "sockets", sandbox.KernelLimits(processes=64))
    box.prepare()
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(box.sockets))
    if request.param == "forked":
        forkserver.start_server(spec["argv"][:3], {**os.environ, **spec["env"]}, sandbox=box)
    else:
        forkserver.confine(box)
    yield box
    forkserver.stop_server()
    import shutil

    shutil.rmtree(scratch, ignore_errors=True)


@pytest.fixture()
def unconfined(kernel_specs, monkeypatch):
    root, _ = kernel_specs["open"]
    monkeypatch.setenv("JUPYTER_PATH", str(root))
    forkserver.confine(None)
    yield None


def run_cells(folder: Path, *cells: str, box=None, timeout: float = 30) -> list[str]:
    """Run ``cells`` in a new grading kernel started for ``folder``; each cell's stdout, or ``ename: evalue``."""
    options = {"transport": "ipc", "ip": str(box.sockets / "kernel")} if box is not None else {}
    return [f"{reply['ename']}: {reply['evalue']}" if reply["status"] == "error" else printed
            for printed, reply in kernel_cells.run_cells(folder, *cells, timeout=timeout, **options)]


@pytest.fixture()
def secret(tmp_path):
    """A file of the grader's, outside the student's folder, and the student's folder."""
    path = tmp_path / "instructor" / "gradebook.db"
    path.parent.mkdir()
    path.write_text("the grades")
    folder = tmp_path / "student"
    folder.mkdir()
    (folder / "01_mine.ipynb").write_text("{}")
    return path, folder


def _touch(path: Path) -> str:
    return f"open({str(path)!r}, 'a').write('changed'); print('wrote')"


@needs_sandbox
def test_a_kernel_sees_its_own_notebooks_and_cannot_read_or_write_the_graders_files(confined, secret):
    path, folder = secret
    mine, seen, read, write = run_cells(
        folder, "import os; print(sorted(os.listdir('.')))", f"import os; print(os.path.exists({str(folder)!r}))",
        f"print(open({str(path)!r}).read())", _touch(path), box=confined)
    assert mine == "['01_mine.ipynb']"  # a copy of its notebooks, in a folder of the sandbox's own
    assert seen == "False"
    assert read.startswith("FileNotFoundError") and write.startswith(("FileNotFoundError", "PermissionError",
                                                                       "OSError"))
    assert path.read_text() == "the grades"


def test_without_the_sandbox_the_same_cells_read_and_change_the_graders_files(unconfined, secret):
    path, folder = secret
    read, write = run_cells(folder, f"print(open({str(path)!r}).read())", _touch(path))
    assert (read, write) == ("the grades", "wrote")


@needs_sandbox
def test_a_kernel_has_no_home_no_course_checkout_and_no_instructor_package(confined, secret):
    _, folder = secret
    home, checkout, admin, venv = run_cells(
        folder, "import os; print(sorted(os.listdir(os.path.expanduser('~'))))",
        f"import os; print(sorted(os.listdir({str(Path(__file__).resolve().parents[2])!r})))",
        "import course_admin", "import numpy, course_utils; print('ok')", box=confined)
    assert home == "['work']"
    assert checkout == "['.venv', 'course_utils']"  # no sources, no release, no instructor package
    assert admin.startswith("ModuleNotFoundError")
    assert venv == "ok"


@pytest.fixture()
def listener():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    yield server.getsockname()[1]
    server.close()


CONNECT = ("import socket\ntry:\n    socket.create_connection(('127.0.0.1', {port}), timeout=2)\n    print('connected')\n"
           "except OSError as error:\n    print(type(error).__name__)")


@needs_sandbox
def test_a_kernel_has_no_network(confined, secret, listener):
    _, folder = secret
    assert run_cells(folder, CONNECT.format(port=listener), box=confined) == ["ConnectionRefusedError"]


def test_without_the_sandbox_a_kernel_reaches_the_graders_ports(unconfined, secret, listener):
    _, folder = secret
    assert run_cells(folder, CONNECT.format(port=listener)) == ["connected"]


RAISE_LIMITS = """import resource
for name in ("RLIMIT_AS", "RLIMIT_NPROC", "RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_NOFILE"):
    limit = getattr(resource, name)
    try:
        resource.setrlimit(limit, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        print(name, "raised")
    except (ValueError, OSError):
        print(name, "kept")
"""


@needs_sandbox
def test_limits_cannot_be_raised_and_the_user_is_unprivileged(confined, secret):
    _, folder = secret
    limits, who = run_cells(folder, RAISE_LIMITS, "import os\ntry:\n    os.setuid(0)\nexcept OSError as e:\n"
                                                  "    print(os.getuid(), type(e).__name__)", box=confined)
    assert limits.split("\n") == [f"{name} kept" for name in ("RLIMIT_AS", "RLIMIT_NPROC", "RLIMIT_CPU",
                                                              "RLIMIT_FSIZE", "RLIMIT_NOFILE")]
    assert who == f"{sandbox.SANDBOX_UID} PermissionError"


FORK_BOMB = """import os, time
children = 0
try:
    for _ in range(1000):
        if os.fork() == 0:
            time.sleep(5)
            os._exit(0)
        children += 1
except OSError:
    pass
print(children)
"""


@needs_sandbox
def test_a_fork_bomb_stops_at_the_process_limit(confined, secret):
    _, folder = secret
    children, = run_cells(folder, FORK_BOMB, box=confined)
    assert int(children) < 64


DETACH = ("import subprocess, sys\n"
          "subprocess.Popen([sys.executable, '-c', 'import time\\nwhile True: time.sleep(0.1)', '{mark}'],"
          " start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\nprint('started')")


def processes_with(mark: str) -> list[int]:
    found = []
    for name in os.listdir("/proc"):
        try:
            if name.isdigit() and mark.encode() in Path(f"/proc/{name}/cmdline").read_bytes():
                found.append(int(name))
        except OSError:
            continue
    return found


@needs_sandbox
def test_nothing_a_kernel_started_outlives_its_notebook(confined, secret):
    _, folder = secret
    mark = f"detached-{time.time_ns()}"
    assert run_cells(folder, DETACH.format(mark=mark), box=confined) == ["started"]
    deadline = time.monotonic() + 5
    while processes_with(mark) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert processes_with(mark) == []


def test_without_the_sandbox_a_detached_process_outlives_its_kernel(unconfined, secret):
    _, folder = secret
    mark = f"detached-{time.time_ns()}"
    assert run_cells(folder, DETACH.format(mark=mark)) == ["started"]
    time.sleep(0.5)
    survivors = processes_with(mark)
    for pid in survivors:
        os.kill(pid, 9)
    assert survivors


def test_doctor_says_whether_isolation_works_here():
    from course_admin import doctor

    assert doctor.main([]) == (0 if AVAILABILITY.works else 1)


def test_grading_refuses_to_run_unconfined_unless_told(monkeypatch, tmp_path):
    from course_admin.grading import GradingSettings
    from course_admin.grading import engine

    monkeypatch.setattr(sandbox, "check", lambda: sandbox.Availability(False, "bubblewrap is not installed"))
    with pytest.raises(engine.IsolationUnavailable, match="--no-sandbox"):
        engine.grade_class(tmp_path, "toy", tmp_path, tmp_path / "work", settings=GradingSettings())
    assert not (tmp_path / "work").exists()
    assert "NOT ISOLATED" in engine.confirm_isolation(GradingSettings(sandbox=False))


def test_the_pipeline_exits_with_a_clear_message_where_isolation_cannot_work(monkeypatch, capsys):
    from course_admin import pipeline

    monkeypatch.setattr(sandbox, "check", lambda: sandbox.Availability(False, "bubblewrap is not installed"))
    monkeypatch.setattr(pipeline.release, "main", lambda argv: 0)
    assert pipeline.main(["demo", "--workdir", "/nonexistent-workdir"]) == 2
    message = capsys.readouterr().err
    assert "bubblewrap is not installed" in message and "--no-sandbox" in message


# ----------------------------------------------------------------------------- the toy class's attackers


@needs_sandbox
def test_the_vandal_changed_no_file_of_the_grader_the_class_or_the_course(graded_class):
    for root in (graded_class.course, graded_class.submissions, graded_class.workdir):
        for path in Path(root).rglob("*"):
            if path.is_file():
                assert not path.read_bytes().endswith(toy.ATTACK_MARK.encode()), path


@needs_sandbox
def test_no_process_started_by_a_submission_is_left_after_grading(graded_class):
    assert processes_with(toy.ATTACK_MARK) == []


@needs_sandbox
def test_the_copier_found_no_solution_to_copy(graded_class):
    scores = {nb.notebook: nb.score for nb in graded_class.parallel.student("attacker").notebooks}
    assert scores == {"01_squares": 1, "02_cubes": 3}  # square: nothing found to copy


@needs_sandbox
def test_changed_machinery_costs_the_function_that_changed_it_and_says_what_was_done(graded_class):
    student = graded_class.parallel.student("rewirer")
    details = {problem.notebook: problem.detail for problem in student.problems if problem.kind == "machinery_changed"}
    assert "input_transformer_manager.cleanup_transforms" in details["01_squares"] or \
        "input_transformers_cleanup" in details["01_squares"]
    assert "the answer square replaced" in details["01_squares"]
    assert "InteractiveShell.showtraceback" in details["02_cubes"] and "the answer cube replaced" in details["02_cubes"]
    assert all(problem.needs_attention for problem in student.problems if problem.kind == "machinery_changed")


def test_the_report_says_whether_grading_was_isolated(graded_class):
    report = graded_class.parallel
    assert report.isolation.startswith("Isolated" if AVAILABILITY.works else "GRADING WAS NOT")
    assert report.isolation in report.table()


def run_watched(folder: Path, *cells: str) -> tuple[list[str], list[list[str]], object]:
    """Run ``cells`` in an unconfined grading kernel: each cell's status, what the monitor saw change
    while it ran, and the monitor."""
    from jupyter_client.manager import KernelManager

    manager = KernelManager(kernel_name=KERNEL_NAME)
    manager.start_kernel(cwd=str(folder))
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        monitor = manager.provisioner.monitor
        statuses, changed = [], []
        for code in cells:
            statuses.append(client.execute_interactive(code, timeout=30)["content"]["status"])
            changed.append([name for report in monitor.drain() for name in report.changed])
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    return statuses, changed, monitor


def test_an_input_transformer_hides_a_failing_test_and_the_monitor_reports_it(unconfined, secret):
    """The attack works on the interpreter (the failing assert passes); the signed report names the change."""
    statuses, changed, monitor = run_watched(secret[1], "x = 1", toy.HIDE_ASSERTS, "assert False, 'caught'")
    assert statuses == ["ok", "ok", "ok"]  # without the monitor, the failing test would pass
    assert changed[:2] == [[], []] and "input_transformer_manager.cleanup_transforms[:]" in changed[2]
    assert monitor.broken is None


def test_rewiring_the_checks_through_a_closure_passes_a_wrong_answer_and_the_monitor_reports_it(unconfined, secret):
    """The attack defeats the checks' seals inside the interpreter; the launcher's watch of the checking code sees it."""
    wrong = "import numpy as np\nchecks.assert_intact()\nchecks.check_array(np.zeros(3), np.ones(3), name='A2')"
    statuses, changed, monitor = run_watched(secret[1], "from course_utils import checks", wrong, REWIRE_CHECKS,
                                             wrong)
    assert statuses == ["ok", "error", "ok", "ok"]  # without the monitor, the wrong answer passes the second time
    assert changed[:3] == [[], [], []]
    assert any("check_array" in name and "closure variable" in name for name in changed[3]), changed[3]
    assert monitor.broken is None


@needs_sandbox
def test_what_a_kernel_leaves_in_its_scratch_is_gone_for_the_next_one_from_the_same_server(kernel_specs, secret,
                                                                                          monkeypatch):
    root, spec = kernel_specs["confined"]
    monkeypatch.setenv("JUPYTER_PATH", str(root))
    scratch = sandbox.scratch_root("course-grading-test-")
    box = sandbox.Sandbox(scratch / "incoming", scratch / "sockets")
    box.prepare()
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(box.sockets))
    server = forkserver.start_server(spec["argv"][:3], {**os.environ, **spec["env"]}, sandbox=box)
    try:
        _, folder = secret
        leave = "import os\nfor top in ('/tmp', os.path.expanduser('~'), '/dev/shm'):\n" \
                "    os.makedirs(os.path.join(top, 'left', 'behind'))\nprint('left')"
        look = "import os\nprint(sorted(os.listdir('/tmp') + os.listdir('/dev/shm')), os.path.exists('../left'))"
        assert run_cells(folder, leave, box=box) == ["left"]
        seen, = run_cells(folder, look, box=box)
        assert "left" not in seen and seen.endswith("False")
        assert forkserver._SERVER is server and not server.failed  # nested folders did not stop the server
    finally:
        forkserver.stop_server()
        import shutil

        shutil.rmtree(scratch, ignore_errors=True)
