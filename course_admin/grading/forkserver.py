"""Starting grading kernels by forking a process that has already imported what they need.

A fresh kernel spends about a second importing ipykernel, IPython, numpy, matplotlib and
``course_utils`` before the first cell runs, and grading starts one kernel per notebook.
Each grading worker therefore starts one *fork server*: a process that imports those
modules once, with the grading kernel's environment, and then forks a child per kernel.
The child is a new process in its own process group; it reseeds ``random`` and numpy,
closes the server's socket, moves to the notebook's folder, takes the environment the
kernel manager asked for, and runs the kernel spec's own launcher (memory cap, ``sys.path``
order, ipykernel) exactly as ``python -c <launcher>`` would. The server never runs
submitted code, so every kernel starts from the same clean state.

:class:`ForkingProvisioner` is the jupyter_client kernel provisioner named in the grading
kernel spec. When no fork server is running in this process, or the server cannot be
reached, or the command is not the grading launcher, it starts the kernel as a plain
subprocess, like jupyter_client's ``LocalProvisioner``.

A kernel can kill its parent, the server: the next kernel then starts a new server, up to
:data:`MAX_RESTARTS` times per worker.

The server and the provisioner talk over a ``SOCK_SEQPACKET`` socket pair: one JSON
request per kernel (command, folder, environment), answered with the child's pid and a
pidfd (Linux 5.3 or later), so that signals and liveness checks can never reach a
recycled pid. The server reaps finished children before each request and exits when
the worker closes its end.
"""
from __future__ import annotations

import asyncio
import json
import os
import select
import signal
import socket
import subprocess
import sys

from jupyter_client.provisioning import LocalProvisioner

#: modules the server imports before forking: what every grading kernel loads anyway
WARM_MODULES = (
    "ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.zmqshell", "ipykernel.debugger",
    "IPython.core.completer", "matplotlib_inline.backend_inline", "numpy", "matplotlib", "matplotlib.pyplot",
)

#: exit code reported for a forked kernel (the server, not this process, collects the real one)
EXIT_UNKNOWN = -1

#: seconds to wait for the server to be ready, and then for each kernel it forks
REPLY_TIMEOUT = 60

_MESSAGE_BYTES = 1 << 20

_SERVER_MAIN = "import sys\nfrom course_admin.grading.forkserver import serve\nserve(int(sys.argv[1]), *sys.argv[2:])\n"

#: how many times a server that a kernel killed is replaced; later kernels start as subprocesses
MAX_RESTARTS = 3

# the provisioner of this process uses it when set (see start_server)
_SERVER: "ForkServer | None" = None


class ForkedProcess:
    """The part of :class:`subprocess.Popen` a provisioner uses, for a kernel forked by the server.

    Parameters
    ----------
    pid : int
        The kernel's process id (also its process group id).
    pidfd : int
        A pidfd of the kernel, owned by this object from now on.
    """

    stdin = stdout = stderr = None

    def __init__(self, pid: int, pidfd: int):
        self.pid = pid
        self._pidfd = pidfd
        self.returncode: int | None = None

    def poll(self) -> int | None:
        """None while the kernel runs, else :data:`EXIT_UNKNOWN`."""
        if self.returncode is None and select.select([self._pidfd], [], [], 0)[0]:
            self._finished()
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        """Block until the kernel has exited (``subprocess.TimeoutExpired`` after ``timeout`` seconds)."""
        if self.returncode is None:
            if not select.select([self._pidfd], [], [], timeout)[0]:
                raise subprocess.TimeoutExpired("forked kernel", timeout)
            self._finished()
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.returncode is None:
            try:
                signal.pidfd_send_signal(self._pidfd, signum)
            except ProcessLookupError:  # it exited since the last poll
                self._finished()

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def _finished(self) -> None:
        self.returncode = EXIT_UNKNOWN
        os.close(self._pidfd)

    def __del__(self):
        if self.returncode is None:
            os.close(self._pidfd)


class ForkServer:
    """This process's end of a running fork server (see :func:`start_server`)."""

    def __init__(self, process: subprocess.Popen, connection: socket.socket, launcher_prefix: list[str],
                 env: dict[str, str], modules: tuple[str, ...], restarts: int = 0):
        self.process = process
        self.connection = connection
        self.launcher_prefix = launcher_prefix
        self.env = env
        self.modules = modules
        self.restarts = restarts
        self.ready = False
        self.failed = False

    def was_killed(self) -> bool:
        """Whether the server stopped after it had started kernels (a kernel can kill its parent)."""
        return self.ready and not self.failed and self.process.poll() is not None

    def serves(self, cmd: list[str]) -> bool:
        """Whether the server is up and ``cmd`` is the grading launcher it was started for."""
        return (not self.failed and self.process.poll() is None
                and list(cmd[: len(self.launcher_prefix)]) == self.launcher_prefix)

    def launch(self, cmd: list[str], cwd: str, env: dict[str, str]) -> ForkedProcess:
        """Fork a kernel running ``cmd`` in ``cwd`` with ``env``.

        Raises OSError when the server cannot start it; a server that did not start, went
        away or did not answer within :data:`REPLY_TIMEOUT` seconds is stopped for good.
        """
        try:
            if not self.ready:
                self._wait_ready()
            request = {"argv": list(cmd[len(self.launcher_prefix):]), "cwd": str(cwd), "env": dict(env)}
            self.connection.sendall(json.dumps(request).encode())
            message, fds, _, _ = socket.recv_fds(self.connection, _MESSAGE_BYTES, 1)
            if not message:
                raise ConnectionError("the fork server exited")
        except OSError:
            self.failed = True
            self.process.kill()
            raise
        reply = json.loads(message)
        if "error" in reply or not fds:
            for fd in fds:
                os.close(fd)
            raise OSError(f"the fork server could not start a kernel: {reply.get('error', 'no pidfd')}")
        return ForkedProcess(reply["pid"], fds[0])

    def _wait_ready(self) -> None:
        message = self.connection.recv(_MESSAGE_BYTES)
        if message != b"ready":
            raise ConnectionError(f"the fork server did not start: {message.decode(errors='replace')}")
        self.ready = True

    def close(self) -> None:
        self.connection.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start_server(launcher_prefix: list[str], env: dict[str, str],
                 modules: tuple[str, ...] = WARM_MODULES, restarts: int = 0) -> ForkServer:
    """Start a fork server for kernels whose command begins with ``launcher_prefix``.

    Parameters
    ----------
    launcher_prefix : list of str
        ``[python, "-c", launcher_code]``: the start of the grading kernel spec's ``argv``;
        the rest of a command is passed to the launcher as its ``sys.argv[1:]``.
    env : dict
        Environment of the server, hence of every kernel's interpreter start-up (hash seed,
        BLAS threads); each kernel then takes the environment its manager asks for.
    modules : tuple of str
        Modules to import before forking.
    restarts : int
        How many servers this one replaces (see :data:`MAX_RESTARTS`).

    The server imports in the background; the first :meth:`ForkServer.launch` waits for it.
    Launches from this process go through it from now on (see :class:`ForkingProvisioner`).
    """
    global _SERVER
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    process = subprocess.Popen(
        [sys.executable, "-c", _SERVER_MAIN, str(theirs.fileno()), ",".join(modules), launcher_prefix[2]],
        pass_fds=[theirs.fileno()], env=env, stdin=subprocess.DEVNULL, cwd="/")
    theirs.close()
    ours.settimeout(REPLY_TIMEOUT)
    _SERVER = ForkServer(process, ours, list(launcher_prefix), dict(env), tuple(modules), restarts)
    return _SERVER


def _usable_server() -> "ForkServer | None":
    """This process's server, started again when a kernel killed it (at most :data:`MAX_RESTARTS` times)."""
    server = _SERVER
    if server is not None and server.was_killed() and server.restarts < MAX_RESTARTS:
        server.close()
        server = start_server(server.launcher_prefix, server.env, server.modules, restarts=server.restarts + 1)
    return server


def supported() -> bool:
    """Whether this platform can run a fork server (Linux: ``os.fork`` and pidfds)."""
    return sys.platform == "linux" and hasattr(os, "pidfd_open") and hasattr(signal, "pidfd_send_signal")


def stop_server() -> None:
    """Stop this process's fork server, if any; kernels are started as subprocesses again."""
    global _SERVER
    if _SERVER is not None:
        _SERVER.close()
        _SERVER = None


class ForkingProvisioner(LocalProvisioner):
    """jupyter_client's ``LocalProvisioner``, starting grading kernels through the fork server."""

    async def launch_kernel(self, cmd: list[str], **kwargs):
        server = _usable_server()
        if server is None or not server.serves(cmd):
            return await super().launch_kernel(cmd, **kwargs)
        cwd = kwargs.get("cwd") or os.getcwd()
        try:
            self.process = server.launch(cmd, cwd, kwargs.get("env") or dict(os.environ))
        except OSError as error:
            self.log.warning("starting the kernel as a subprocess: %s", error)
            return await super().launch_kernel(cmd, **kwargs)
        self.pid = self.pgid = self.process.pid
        self.cwd = cwd
        return self.connection_info

    async def wait(self) -> int | None:
        if not isinstance(self.process, ForkedProcess):
            return await super().wait()
        # LocalProvisioner polls every 0.1 s; a kernel killed at shutdown is gone within milliseconds
        while self.process.poll() is None:
            await asyncio.sleep(0.005)
        code, self.process = self.process.returncode, None
        return code


# ---------------------------------------------------------------------------- the server side

def serve(fd: int, modules: str, launcher_code: str) -> None:
    """The fork server's main loop (run by :func:`start_server` in its own process)."""
    import importlib
    import threading

    connection = socket.socket(fileno=fd)
    sys.path[:] = [entry for entry in sys.path if entry not in ("", os.getcwd())]
    try:
        for name in filter(None, modules.split(",")):
            importlib.import_module(name)
        if threading.active_count() != 1:
            raise RuntimeError("an imported module started a thread; forking would be unsafe")
        os.close(os.pidfd_open(os.getpid()))  # Linux 5.3 or later
    except Exception as error:  # the worker falls back to plain subprocesses
        connection.sendall(f"{type(error).__name__}: {error}".encode())
        return
    connection.sendall(b"ready")
    while True:
        message = connection.recv(_MESSAGE_BYTES)
        if not message:
            return
        _reap_children()
        request = json.loads(message)
        pid = os.fork()
        if pid == 0:
            _become_kernel(connection, request, launcher_code)
        try:
            os.setpgid(pid, pid)
        except OSError:  # the child got there first, or already exited
            pass
        try:
            pidfd = os.pidfd_open(pid)
        except OSError as error:
            os.kill(pid, signal.SIGKILL)
            connection.sendall(json.dumps({"error": f"pidfd_open: {error}"}).encode())
            continue
        socket.send_fds(connection, [json.dumps({"pid": pid}).encode()], [pidfd])
        os.close(pidfd)


def _reap_children() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _become_kernel(connection: socket.socket, request: dict, launcher_code: str) -> None:
    """In the forked child: become a kernel as ``python -c <launcher> <argv>`` would; never returns."""
    code = 1
    try:
        os.setpgid(0, 0)
        connection.close()
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        _reseed()
        # ipykernel read JPY_PARENT_PID when the server imported it: name the parent here,
        # so that the kernel exits when the server does
        sys.argv = ["-c", *request["argv"], f"--IPKernelApp.parent_handle={os.getppid()}"]
        exec(compile(launcher_code, "<string>", "exec"), {"__name__": "__main__"})
        code = 0
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        os._exit(code)


def _reseed() -> None:
    """Fresh random state, as a newly started interpreter would have."""
    import random

    random.seed()
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        numpy.random.seed()
