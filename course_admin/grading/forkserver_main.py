"""The fork server's own process: imports the kernels' modules once, then forks one kernel per request.

This file is run as ``python -c <its text> FD MODULES LAUNCHER_CODE SANDBOXED`` (see
:func:`.forkserver.start_server`), inside the grading sandbox when there is one, so it
imports nothing of ``course_admin`` (which the sandbox does not contain).

Requests arrive as JSON on the ``SOCK_SEQPACKET`` socket ``FD``:

``{"argv": [...], "cwd": ..., "env": {...}}``
    fork a kernel that runs the launcher with ``argv``; answered ``{"pid": n}`` with a
    pidfd of the child attached (or ``{"error": ...}``);
``{"reset": true}``
    end every other process of the sandbox (what the last kernel left running, detached
    or not) and empty its scratch folders; answered ``{"ended": n}``. Only meaningful in
    a sandbox, where the server sees the sandbox's processes only.

The server makes itself non-dumpable: a kernel, which runs as the same user, can neither
trace it nor read or write its memory, so every kernel starts from the state the server
imported. A kernel can still kill it; the grading process then starts a new one.
"""
import ctypes
import json
import os
import shutil
import signal
import socket
import sys

_MESSAGE_BYTES = 1 << 20
#: scratch folders of the sandbox emptied by a reset
_SCRATCH = ("/home/student", "/tmp", "/dev/shm")
_PR_SET_DUMPABLE = 4


def serve(fd, modules, launcher_code, sandboxed):
    """The main loop: import ``modules``, say ``ready``, then answer requests until the socket closes."""
    import importlib
    import threading

    connection = socket.socket(fileno=fd)
    sys.path[:] = [entry for entry in sys.path if entry not in ("", os.getcwd())]
    try:
        ctypes.CDLL(None).prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)
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
        message, fds, _, _ = socket.recv_fds(connection, _MESSAGE_BYTES, 4)
        if not message:
            return
        _reap_children()
        request = json.loads(message)
        if fds:  # the kernel's end of its integrity socket (see kernel_launcher)
            request["env"]["COURSE_GRADING_MONITOR_FD"] = str(fds[0])
        if request.get("reset"):
            ended = _end_other_processes() if sandboxed else 0
            if sandboxed:
                for folder in _SCRATCH:
                    _empty(folder)
            connection.sendall(json.dumps({"ended": ended}).encode())
            continue
        pid = os.fork()
        if pid == 0:
            _become_kernel(connection, request, launcher_code)
        for fd in fds:
            os.close(fd)
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


def _reap_children():
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _other_processes():
    mine = {1, os.getpid()}
    return [int(name) for name in os.listdir("/proc") if name.isdigit() and int(name) not in mine]


def _end_other_processes():
    """SIGKILL every process of the sandbox but its init and this server, until none is left."""
    ended = set()
    for _ in range(1000):  # a fork bomb is bounded by the process limit
        others = _other_processes()
        if not others:
            break
        for pid in others:
            try:
                os.kill(pid, signal.SIGKILL)
                ended.add(pid)
            except ProcessLookupError:
                pass
        _reap_children()
    _reap_children()
    return len(ended)


def _empty(folder):
    if not os.path.isdir(folder):
        return
    for name in os.listdir(folder):
        path = os.path.join(folder, name)
        if os.path.isdir(path) and not os.path.islink(path):
            for inner, dirs, _ in os.walk(path):  # a folder the kernel made unreadable is still removed
                for sub in dirs:
                    if not os.path.islink(os.path.join(inner, sub)):
                        try:
                            os.chmod(os.path.join(inner, sub), 0o700)
                        except OSError:
                            pass
            try:
                os.chmod(path, 0o700)
            except OSError:
                pass
            shutil.rmtree(path, ignore_errors=True)
        else:
            try:
                os.unlink(path)
            except OSError:
                pass


def _become_kernel(connection, request, launcher_code):
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


def _reseed():
    """Fresh random state, as a newly started interpreter would have."""
    import random

    random.seed()
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        numpy.random.seed()


if __name__ == "__main__":
    serve(int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4] == "sandboxed")
