"""Real services for the cluster tests: a Dask scheduler and workers, a PostgreSQL server, on 127.0.0.1.

:func:`dask_cluster` starts ``dask scheduler`` and ``dask worker`` processes (each worker
single-threaded, under a nanny that restarts it if it is killed) and stops them afterwards.
:func:`postgres_server` starts a throwaway PostgreSQL server from Debian's ``postgresql``
package in a temporary folder (as the ``postgres`` user when the tests run as root) and
yields the URL of an empty database. Both skip the test, with the reason, where the
program is missing; CI (``.ci/run``) installs it. Nothing here is a test.
"""
from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class DaskCluster:
    """A running scheduler and its workers' processes (``dask worker`` under a nanny, or alone)."""

    address: str
    scheduler: subprocess.Popen
    workers: list[subprocess.Popen] = field(default_factory=list)
    logs: Path | None = None

    def client(self):
        from distributed import Client

        return Client(self.address, timeout="20s")

    def add_worker(self, name: str, nanny: bool = True) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "ab")
        command = [str(BIN / "dask"), "worker", self.address, "--nthreads", "1", "--nworkers", "1",
                   "--host", "127.0.0.1", "--name", name, "--no-dashboard", "--local-directory",
                   str(self.logs / name)]
        if not nanny:
            command.append("--no-nanny")
        process = subprocess.Popen(command, stdout=log, stderr=log, env=_environment(), start_new_session=True)
        self.workers.append(process)
        return process

    def wait_for_workers(self, count: int, timeout: float = 90) -> None:
        with self.client() as client:
            client.wait_for_workers(count, timeout=timeout)


def _environment() -> dict[str, str]:
    return {**os.environ, "PATH": os.pathsep.join([str(BIN), os.environ.get("PATH", "")]), "MPLBACKEND": "Agg"}


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@contextlib.contextmanager
def dask_cluster(folder: Path, workers: int = 2, nanny: bool = True):
    """A scheduler on a free 127.0.0.1 port with ``workers`` single-threaded worker processes."""
    if not (BIN / "dask").exists():
        pytest.skip("the dask command is not installed in this environment (python3 course.py setup installs it)")
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = open(folder / "scheduler.log", "ab")
    scheduler = subprocess.Popen([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port),
                                  "--no-dashboard"], stdout=log, stderr=log, env=_environment(),
                                 start_new_session=True)
    cluster = DaskCluster(f"tcp://127.0.0.1:{port}", scheduler, logs=folder)
    try:
        for index in range(workers):
            cluster.add_worker(f"worker-{index}", nanny)
        cluster.wait_for_workers(workers)
        yield cluster
    finally:
        for process in [*cluster.workers, scheduler]:
            _stop(process)


def _postgres_programs() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda path: int(Path(path).parts[4]))
    if found:
        return Path(found[-1]).parent
    pg_ctl = shutil.which("pg_ctl")
    return Path(os.path.realpath(pg_ctl)).parent if pg_ctl else None


@contextlib.contextmanager
def postgres_server(database: str = "course"):
    """A PostgreSQL server of its own on a free 127.0.0.1 port; yields ``postgresql://grader@.../database``."""
    programs = _postgres_programs()
    if programs is None or not (programs / "initdb").exists():
        pytest.skip("no PostgreSQL server programs (Debian: apt-get install postgresql; .ci/run installs it)")
    as_user: list[str] = []
    owner = None
    if os.geteuid() == 0:  # the server refuses to run as root
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no postgres user to run the server as")
        as_user = ["setpriv", f"--reuid={owner.pw_uid}", f"--regid={owner.pw_gid}", "--init-groups"]
    folder = Path(tempfile.mkdtemp(prefix="course-postgres-"))
    data = folder / "data"
    data.mkdir()
    if owner is not None:
        os.chmod(folder, 0o755)
        os.chown(data, owner.pw_uid, owner.pw_gid)
    port = free_port()
    run = lambda *command: subprocess.run([*as_user, *command], check=True, capture_output=True, text=True)  # noqa: E731
    stop = [*as_user, str(programs / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]
    try:
        run(str(programs / "initdb"), "-D", str(data), "-U", "grader", "-A", "trust", "--no-sync")
        run(str(programs / "pg_ctl"), "-D", str(data), "-l", str(data / "server.log"), "-w", "-t", "60", "-o",
            f"-c listen_addresses=127.0.0.1 -p {port} -k {data} -c fsync=off", "start")
        import psycopg

        with psycopg.connect(f"postgresql://grader@127.0.0.1:{port}/postgres", autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{database}"')
    except subprocess.CalledProcessError as error:
        subprocess.run(stop, capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)
        pytest.fail(f"PostgreSQL did not start: {error.stderr or error.stdout}")
    try:
        yield f"postgresql://grader@127.0.0.1:{port}/{database}"
    finally:
        subprocess.run(stop, capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


def wait_until(condition, timeout: float, what: str, step: float = 0.2):
    """Poll ``condition()`` until it returns something true; fail naming ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
