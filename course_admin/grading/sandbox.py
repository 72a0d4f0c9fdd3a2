"""Confining grading kernels with bubblewrap: they see the course's environment and one student's notebooks.

Every process that runs submitted code (the fork server that kernels are forked from, each
kernel, whatever a kernel starts) runs inside a bubblewrap sandbox (Debian's ``bwrap``,
the tool Flatpak confines its applications with). Its file system is built from nothing:

==========================  ============================================================
``/usr`` (+ ``/bin``, ...)   read-only: the system's programs and libraries
interpreter, packages       read-only: this Python's prefix, the course's virtual
                            environment and the ``course_utils`` package, at their paths
``/run/grading/incoming``   read-only: the notebooks of the student being graded, copied
                            there by the grading process before each notebook
``/home/student``           writable scratch (a size-capped tmpfs, emptied between
                            notebooks); ``/home/student/work`` is the kernel's folder
``/tmp``, ``/dev/shm``      writable scratch, size-capped, emptied between notebooks
the kernel's sockets        one folder, read-write, holding the kernel's connection file
                            and its ZeroMQ sockets (jupyter_client's ``ipc`` transport)
==========================  ============================================================

Nothing else exists inside: not the instructor's sources or release, not the work
folder, the gradebooks, other students, the original submissions or any home folder.
The sandbox has its own network (loopback only, nothing outside is reachable), process
ids, IPC and host name. The code inside runs as ``nobody`` without capabilities and with
``no_new_privs``; the kernel launcher sets hard resource limits (:class:`KernelLimits`)
before any submitted code runs, and an unprivileged process cannot raise them.

When the grader runs as root, bwrap builds the sandbox with root's rights and
``setpriv`` (util-linux) then becomes ``nobody`` on the host, so the process limit counts
the sandbox's processes only; otherwise bwrap runs as the grading user in a new user
namespace, mapped to ``nobody`` inside. A sandbox ends with everything in it when its
first process ends or when the grading process dies (``--die-with-parent``).
"""
from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

#: the unprivileged user and group the code inside runs as
SANDBOX_UID = 65534
HOME = "/home/student"
#: the kernel's folder inside the sandbox, filled with the student's notebooks before each notebook
WORK = f"{HOME}/work"
#: where the student's notebooks are seen (read-only) inside the sandbox
INCOMING = "/run/grading/incoming"
#: host name inside the sandbox
HOSTNAME = "grading"

#: the system folders bound read-only (those that exist; symbolic links are recreated as links)
_SYSTEM = ("/usr", "/bin", "/lib", "/lib64", "/lib32", "/libx32", "/sbin")
#: files of /etc a Python process may read (dynamic linker, time zone, users)
_ETC = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime", "/etc/nsswitch.conf",
        "/etc/passwd", "/etc/group")


class IsolationUnavailable(RuntimeError):
    """Grading was asked to confine kernels on a machine where bubblewrap cannot."""


@dataclass(frozen=True)
class KernelLimits:
    """Hard resource limits of every grading kernel, set before submitted code runs.

    Attributes
    ----------
    memory : int
        Bytes of address space per process (``RLIMIT_AS``); 0 for no cap.
    cpu_seconds : int
        CPU seconds per process (``RLIMIT_CPU``): a kernel past it is killed.
    processes : int
        Processes of the sandbox's user (``RLIMIT_NPROC``): bounds fork bombs.
    file_bytes : int
        Largest file a process may write (``RLIMIT_FSIZE``).
    open_files : int
        Open file descriptors per process (``RLIMIT_NOFILE``).
    scratch_bytes : int
        Size of each writable scratch file system (``/home/student``, ``/tmp``, ``/dev/shm``).
    """

    memory: int = 4 * 2**30
    cpu_seconds: int = 1200
    processes: int = 128
    file_bytes: int = 64 * 2**20
    open_files: int = 512
    scratch_bytes: int = 256 * 2**20

    def to_dict(self) -> dict[str, int]:
        return {"memory": self.memory, "cpu_seconds": self.cpu_seconds, "processes": self.processes,
                "file_bytes": self.file_bytes, "open_files": self.open_files}


def bwrap_program() -> str | None:
    """The path of ``bwrap``, or None when bubblewrap is not installed."""
    return shutil.which("bwrap")


def readable_paths() -> list[str]:
    """Host folders the sandbox shows read-only at their own paths: interpreter, packages, ``course_utils``.

    Only the interpreter's own folders count, never other ``sys.path`` entries: the grading
    process runs from the work folder and has the course checkout on ``PYTHONPATH``.
    """
    import site
    import sysconfig

    paths = [sys.base_prefix, sys.prefix, str(Path(sys.executable).resolve().parent)]
    paths += [path for key, path in sysconfig.get_paths().items() if key in {"stdlib", "platstdlib", "purelib",
                                                                               "platlib"}]
    paths += site.getsitepackages()
    spec = importlib.util.find_spec("course_utils")
    if spec is not None and spec.submodule_search_locations:
        paths += list(spec.submodule_search_locations)
    kept: list[str] = []
    for path in sorted({os.path.realpath(path) for path in paths} | {os.path.abspath(path) for path in paths}):
        if any(path == parent or path.startswith(parent.rstrip("/") + "/") for parent in kept):
            continue  # already inside a bound folder
        if path == "/usr" or path.startswith("/usr/") or not os.path.exists(path):
            continue
        kept.append(path)
    return kept


def _ancestors(path: str) -> list[str]:
    parts = Path(path).parts[1:-1]
    return ["/" + "/".join(parts[: index + 1]) for index in range(len(parts))]


@dataclass(frozen=True)
class Sandbox:
    """One confined file system and process tree for the kernels of one grading process.

    Parameters
    ----------
    incoming : Path
        Host folder shown read-only at :data:`INCOMING`: the grading process copies the
        student's notebooks there.
    sockets : Path
        Host folder shown read-write at its own path: connection files and kernel sockets.
    limits : KernelLimits
        Sizes of the scratch file systems (the other limits are set by the kernel launcher).
    """

    incoming: Path
    sockets: Path
    limits: KernelLimits = KernelLimits()

    def command(self, argv: list[str], env: dict[str, str], readable: list[str] | None = None) -> list[str]:
        """The command that runs ``argv`` with ``env`` inside the sandbox, from :data:`HOME`.

        The kernel launcher creates :data:`WORK`, fills it from :data:`INCOMING` and moves there.
        """
        bwrap = bwrap_program()
        if bwrap is None:
            raise FileNotFoundError("bubblewrap is not installed (Debian: apt-get install bubblewrap)")
        as_root = os.geteuid() == 0
        args = [bwrap, "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
                "--die-with-parent", "--new-session", "--hostname", HOSTNAME]
        if not as_root:
            args += ["--unshare-user", "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID)]
        for path in _SYSTEM:
            if os.path.islink(path):
                args += ["--symlink", os.readlink(path), path]
            elif os.path.isdir(path):
                args += ["--ro-bind", path, path]
        for path in _ETC:
            if os.path.exists(path):
                args += ["--ro-bind", path, path]
        size = str(self.limits.scratch_bytes)
        args += ["--proc", "/proc", "--dev", "/dev",
                 "--perms", "01777", "--size", size, "--tmpfs", "/tmp",
                 "--perms", "01777", "--size", size, "--tmpfs", "/dev/shm",
                 "--perms", "0755", "--dir", "/home",
                 "--perms", "01777", "--size", size, "--tmpfs", HOME,
                 "--perms", "0755", "--dir", "/run/grading",
                 "--ro-bind", str(self.incoming), INCOMING]
        created: set[str] = {"/usr", "/etc", "/tmp", "/dev", "/proc", "/home", "/run", "/run/grading"}
        binds = [(path, False) for path in (readable if readable is not None else readable_paths())]
        binds.append((str(self.sockets), True))
        for path, _ in binds:
            for parent in _ancestors(path):
                if parent not in created:
                    args += ["--perms", "0755", "--dir", parent]
                    created.add(parent)
        for path, writable in binds:
            args += ["--bind" if writable else "--ro-bind", path, path]
        args += ["--clearenv"]
        for name, value in sorted(env.items()):
            args += ["--setenv", name, value]
        args += ["--setenv", "HOME", HOME, "--chdir", HOME]
        if as_root:
            # build the sandbox as root, then become nobody on the host too: no capabilities, no way back
            args += ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--cap-add", "CAP_CHOWN",
                     "--", "setpriv", f"--reuid={SANDBOX_UID}", f"--regid={SANDBOX_UID}", "--clear-groups",
                     "--inh-caps=-all", "--bounding-set=-all", "--"]
        else:
            args += ["--"]
        return [*args, *argv]

    def prepare(self) -> None:
        """Create the host folders the sandbox binds, owned by the sandbox's user when grading as root."""
        for scratch in ("/tmp", "/dev/shm", HOME):
            if str(self.sockets).startswith(scratch + "/"):
                raise ValueError(f"the sockets folder {self.sockets} would be emptied with the sandbox's "
                                 f"{scratch}: use a folder elsewhere (see scratch_root())")
        for folder in (self.incoming, self.sockets):
            folder.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            os.chown(self.sockets, SANDBOX_UID, SANDBOX_UID)
        os.chmod(self.sockets, 0o700)

    def fill_incoming(self, source: Path) -> None:
        """Replace the contents of :attr:`incoming` with the files of ``source`` (the kernel's folder).

        The folder is read-only inside the sandbox: it holds only the files this method copied.
        """
        for path in self.incoming.iterdir():
            path.unlink()
        if source.is_dir():
            for path in source.iterdir():
                if path.is_file() and not path.is_symlink():
                    shutil.copyfile(path, self.incoming / path.name)

    def hand_over(self, path: Path) -> None:
        """Let the sandbox's user read ``path`` (a connection file the grading process wrote)."""
        if os.geteuid() == 0:
            os.chown(path, SANDBOX_UID, SANDBOX_UID)


def scratch_root(prefix: str) -> Path:
    """A new private host folder for a grading process's sandbox (short: socket paths are limited to 107 bytes)."""
    import tempfile

    base = "/var/tmp" if os.path.isdir("/var/tmp") and os.access("/var/tmp", os.W_OK) else None
    return Path(tempfile.mkdtemp(prefix=prefix, dir=base))


@dataclass(frozen=True)
class Availability:
    """Whether this machine can confine grading kernels, and why not."""

    works: bool
    reason: str


def check(timeout: float = 30) -> Availability:
    """Start one sandbox and look inside: the interpreter runs, nothing of the host is visible, no network.

    Returns ``Availability(True, what was seen)`` or ``Availability(False, why not and what to do)``.
    """
    if sys.platform != "linux":
        return Availability(False, f"grading kernels can be confined on Linux only (this is {sys.platform})")
    if bwrap_program() is None:
        return Availability(False, "bubblewrap is not installed: install it (Debian and Ubuntu: "
                                   "apt-get install bubblewrap)")
    if os.geteuid() == 0 and shutil.which("setpriv") is None:
        return Availability(False, "setpriv (util-linux) is missing: install util-linux")
    probe = (
        "import os, socket, sys\n"
        "import numpy, course_utils\n"
        "seen = sorted(os.listdir('/'))\n"
        "try:\n"
        "    socket.create_connection(('192.0.2.1', 9), timeout=1)\n"
        "    net = 'network reachable'\n"
        "except OSError:\n"
        "    net = 'no network'\n"
        "print(os.getuid(), net, ' '.join(seen))\n"
    )
    scratch = scratch_root("course-grading-check-")
    try:
        sandbox = Sandbox(scratch / "incoming", scratch / "sockets")
        sandbox.prepare()
        try:
            result = subprocess.run(sandbox.command([sys.executable, "-c", probe], {"PATH": "/usr/bin:/bin"}),
                                    capture_output=True, text=True, timeout=timeout)
        except (OSError, subprocess.TimeoutExpired) as error:
            return Availability(False, f"bubblewrap could not start a sandbox: {error}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if result.returncode != 0:
        message = (result.stderr.strip().splitlines() or ["no message"])[-1]
        hint = ""
        if "namespace" in message.lower() or "permission" in message.lower():
            hint = (" (user namespaces may be disabled: run as root, or allow them with "
                    "sysctl kernel.unprivileged_userns_clone=1 / user.max_user_namespaces)")
        return Availability(False, f"bubblewrap could not start a sandbox: {message}{hint}")
    words = result.stdout.split()
    if len(words) < 3 or words[0] != str(SANDBOX_UID) or "reachable" in result.stdout:
        return Availability(False, f"the sandbox is not confined as it should be: {result.stdout.strip()}")
    return Availability(True, f"bubblewrap confines grading kernels here: uid {words[0]} inside, no network, "
                              f"the root folder holds only {' '.join(words[3:])}")
