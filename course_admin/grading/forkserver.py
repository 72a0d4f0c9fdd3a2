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

When grading is confined (:mod:`.sandbox`), the server runs inside the worker's sandbox
(its code, :mod:`.forkserver_main`, imports nothing of ``course_admin``), kernels that are
not forked get a sandbox each, and between two kernels the server ends every process the
last one left behind and empties the scratch folders (``reset``); only then does the
worker copy the next notebooks into the sandbox. Kernels talk to the worker over Unix
sockets in the one folder both see (jupyter_client's ``ipc`` transport).

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
from pathlib import Path
from typing import TYPE_CHECKING

from jupyter_client.provisioning import LocalProvisioner

from .sandbox import HOME

if TYPE_CHECKING:
    from .sandbox import Sandbox

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

#: the server's own code (run with ``python -c``, inside the sandbox: it cannot import course_admin)
_SERVER_MAIN = (Path(__file__).with_name("forkserver_main.py")).read_text()

#: how many times a server that a kernel killed is replaced; later kernels start as subprocesses
MAX_RESTARTS = 3

# the provisioner of this process uses them when set (see start_server and confine)
_SERVER: "ForkServer | None" = None
_SANDBOX: "Sandbox | None" = None
#: where kernels' and fork servers' standard output and error go (None: inherited), see route_output
_OUTPUT = None

#: environment variables a grading kernel keeps from its manager's (the rest of the grader's stays out)
_KERNEL_VARIABLES = ("PATH", "LANG", "LANGUAGE", "TZ", "JPY_PARENT_PID", "JPY_SESSION_NAME")


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
                 env: dict[str, str], modules: tuple[str, ...], restarts: int = 0,
                 sandbox: "Sandbox | None" = None):
        self.process = process
        self.connection = connection
        self.launcher_prefix = launcher_prefix
        self.env = env
        self.modules = modules
        self.restarts = restarts
        self.sandbox = sandbox
        #: whether nothing has run in the sandbox since the last reset (a launch makes it False)
        self.clean = False
        self.ready = False
        self.failed = False

    def was_killed(self) -> bool:
        """Whether the server stopped after it had started kernels (a kernel can kill its parent)."""
        return self.ready and not self.failed and self.process.poll() is not None

    def serves(self, cmd: list[str]) -> bool:
        """Whether the server is up and ``cmd`` is the grading launcher it was started for."""
        return (not self.failed and self.process.poll() is None
                and list(cmd[: len(self.launcher_prefix)]) == self.launcher_prefix)

    def launch(self, cmd: list[str], cwd: str, env: dict[str, str], fds: tuple[int, ...] = ()) -> ForkedProcess:
        """Fork a kernel running ``cmd`` in ``cwd`` with ``env``, handing it ``fds`` (its integrity socket).

        Raises OSError when the server cannot start it (see :meth:`_exchange`).
        """
        self.clean = False
        request = {"argv": list(cmd[len(self.launcher_prefix):]), "cwd": str(cwd), "env": dict(env)}
        message, fds = self._exchange(request, fds)
        reply = json.loads(message)
        if "error" in reply or not fds:
            for fd in fds:
                os.close(fd)
            raise OSError(f"the fork server could not start a kernel: {reply.get('error', 'no pidfd')}")
        return ForkedProcess(reply["pid"], fds[0])

    def reset(self) -> int:
        """End every process the last kernel left in the sandbox and empty its scratch; how many were ended.

        Raises OSError when the server does not answer (it is then stopped for good).
        """
        message, _ = self._exchange({"reset": True})
        self.clean = True
        return int(json.loads(message).get("ended", 0))

    def _exchange(self, request: dict, fds: tuple[int, ...] = ()) -> tuple[bytes, list[int]]:
        """Send ``request`` (with ``fds``) and return the reply and the descriptors attached to it.

        A server that did not start, went away or did not answer within
        :data:`REPLY_TIMEOUT` seconds is stopped for good, and OSError raised.
        """
        try:
            if not self.ready:
                self._wait_ready()
            socket.send_fds(self.connection, [json.dumps(request).encode()], list(fds))
            message, received, _, _ = socket.recv_fds(self.connection, _MESSAGE_BYTES, 1)
            if not message:
                raise ConnectionError("the fork server exited")
        except OSError:
            self.failed = True
            self.process.kill()
            raise
        return message, received

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
                 modules: tuple[str, ...] = WARM_MODULES, restarts: int = 0,
                 sandbox: "Sandbox | None" = None) -> ForkServer:
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
    sandbox : Sandbox, optional
        Run the server, hence every kernel it forks, inside this sandbox; kernels that
        cannot be forked are then started in sandboxes of their own.

    The server imports in the background; the first :meth:`ForkServer.launch` waits for it.
    Launches from this process go through it from now on (see :class:`ForkingProvisioner`).
    """
    global _SERVER
    confine(sandbox)
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    command = [launcher_prefix[0], "-c", _SERVER_MAIN, str(theirs.fileno()), ",".join(modules), launcher_prefix[2],
               "sandboxed" if sandbox is not None else "open"]
    server_env = dict(env)
    if sandbox is not None:
        server_env = sandboxed_environment(env)
        command = sandbox.command(command, server_env)
    process = subprocess.Popen(command, pass_fds=[theirs.fileno()], env=server_env, stdin=subprocess.DEVNULL,
                               stdout=_OUTPUT, stderr=_OUTPUT, cwd="/", start_new_session=True)
    theirs.close()
    ours.settimeout(REPLY_TIMEOUT)
    _SERVER = ForkServer(process, ours, list(launcher_prefix), dict(env), tuple(modules), restarts, sandbox)
    return _SERVER


def route_output(file) -> None:
    """Send the stray output of the kernels started from now on (and of their fork server) to ``file``.

    None: they inherit this process's standard output and error.
    """
    global _OUTPUT
    _OUTPUT = file


def confine(sandbox: "Sandbox | None") -> None:
    """Start every grading kernel of this process inside ``sandbox`` (None: unconfined)."""
    global _SANDBOX
    _SANDBOX = sandbox


def sandboxed_environment(env: dict[str, str]) -> dict[str, str]:
    """What a kernel in the sandbox gets of ``env``: the kernel spec's variables and locale, paths of its own.

    The grading process's other variables (tokens, the instructor's paths) stay outside.
    """
    from .kernel_spec import KERNEL_ENV

    kept = {name: value for name, value in env.items() if name in _KERNEL_VARIABLES or name in KERNEL_ENV
            or name.startswith("LC_")}
    kept.update(HOME=HOME, IPYTHONDIR="/tmp/ipython", MPLCONFIGDIR="/tmp/matplotlib", TMPDIR="/tmp",
                XDG_CACHE_HOME="/tmp/cache",
                PATH=os.pathsep.join([str(Path(sys.executable).parent), "/usr/bin", "/bin"]))
    return kept


def _usable_server() -> "ForkServer | None":
    """This process's server, started again when a kernel killed it (at most :data:`MAX_RESTARTS` times)."""
    server = _SERVER
    if server is not None and server.was_killed() and server.restarts < MAX_RESTARTS:
        server.close()
        server = start_server(server.launcher_prefix, server.env, server.modules, restarts=server.restarts + 1,
                              sandbox=server.sandbox)
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
    confine(None)


class ForkingProvisioner(LocalProvisioner):
    """jupyter_client's ``LocalProvisioner``, starting grading kernels through the fork server,
    inside the grading sandbox when this process has one (see :func:`confine`)."""

    async def pre_launch(self, **kwargs):
        if _SANDBOX is not None and self.parent is not None:
            # the kernel reads its connection file in the one folder it shares with this process
            import uuid

            self.parent.connection_file = str(_SANDBOX.sockets / f"kernel-{uuid.uuid4()}.json")
        return await super().pre_launch(**kwargs)

    async def launch_kernel(self, cmd: list[str], **kwargs):
        from .integrity import MonitorChannel

        server = _usable_server()
        sandbox = _SANDBOX
        cwd = kwargs.get("cwd") or os.getcwd()
        env = dict(kwargs.get("env") or os.environ)
        if sandbox is not None:
            env = sandboxed_environment(env)
            if server is not None and server.serves(cmd) and not server.clean:
                try:
                    server.reset()  # nothing of the last kernel may see the next student's files
                except OSError as error:
                    self.log.warning("the fork server did not answer a reset: %s", error)
            sandbox.fill_incoming(Path(cwd))
            self._hand_over_connection_file(cmd, sandbox)
        self.monitor = MonitorChannel()
        env["COURSE_GRADING_MONITOR_FD"] = str(self.monitor.kernel_fd)
        self.cwd = cwd
        if server is not None and server.serves(cmd):
            try:
                self.process = server.launch(cmd, HOME if sandbox is not None else cwd, env,
                                             (self.monitor.kernel_fd,))
            except OSError as error:
                self.log.warning("starting the kernel without the fork server: %s", error)
            else:
                # in a sandbox the pid is the one inside it: signals go through the pidfd only
                self.pid, self.pgid = self.process.pid, (None if sandbox is not None else self.process.pid)
                self.monitor.kernel_started()
                return self.connection_info
        command = sandbox.command(list(cmd), env) if sandbox is not None else list(cmd)
        # in a sandbox, the process is bubblewrap's: killing it ends its whole sandbox
        self.process = subprocess.Popen(command, env=env, cwd=None if sandbox is not None else cwd,
                                        stdin=subprocess.DEVNULL, stdout=_OUTPUT, stderr=_OUTPUT,
                                        start_new_session=True,
                                        pass_fds=[self.monitor.kernel_fd])
        self.pid = self.pgid = self.process.pid
        self.monitor.kernel_started()
        return self.connection_info

    @staticmethod
    def _hand_over_connection_file(cmd: list[str], sandbox: "Sandbox") -> None:
        if "-f" in cmd:
            sandbox.hand_over(Path(cmd[cmd.index("-f") + 1]))

    async def wait(self) -> int | None:
        if not isinstance(self.process, ForkedProcess):
            return await super().wait()
        # LocalProvisioner polls every 0.1 s; a kernel killed at shutdown is gone within milliseconds
        while self.process.poll() is None:
            await asyncio.sleep(0.005)
        code, self.process = self.process.returncode, None
        return code

    async def cleanup(self, restart: bool = False) -> None:
        """After the kernel: end what it left running in the sandbox (a forked kernel's sandbox outlives it)."""
        await super().cleanup(restart)
        monitor = getattr(self, "monitor", None)
        if monitor is not None:
            monitor.close()
            self.monitor = None
        server = _SERVER
        if _SANDBOX is not None and server is not None and server.ready and not server.failed \
                and server.process.poll() is None:
            try:
                server.reset()
            except OSError as error:
                self.log.warning("the fork server did not answer a reset: %s", error)
