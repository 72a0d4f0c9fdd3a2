"""The grading kernel's spec: this interpreter running :mod:`.kernel_launcher` under hard limits.

Workers write it into their own Jupyter path (:func:`write_kernel_spec`); nbgrader's
``Execute`` starts kernels by its name (:data:`KERNEL_NAME`), through the fork server's
provisioner (:mod:`.forkserver`) when the worker runs one.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from .sandbox import KernelLimits

#: name of the memory-capped kernel the engine writes into its work directory
KERNEL_NAME = "course-grading"

#: the kernel's first code (limits, folder, safe imports, ipykernel), run with ``python -c``
_LAUNCHER = Path(__file__).with_name("kernel_launcher.py").read_text()

# One BLAS thread per kernel (two graders share two cores) and reproducible hashing.
KERNEL_ENV = {
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "PYTHONHASHSEED": "0",
    "MPLBACKEND": "Agg",
}


#: the kernel provisioner (an entry point of this package) that starts kernels through a fork server
PROVISIONER_NAME = "course-forking-provisioner"


def launcher_prefix() -> list[str]:
    """The start of the grading kernel's command: this interpreter running the launcher."""
    return [sys.executable, "-c", _LAUNCHER]


def write_kernel_spec(jupyter_path: Path, limits: KernelLimits, preload: tuple[str, ...] = (),
                      sandboxed: bool = False) -> Path:
    """Write the grading kernel spec under ``jupyter_path/kernels``; return its directory.

    Workers put ``jupyter_path`` on ``JUPYTER_PATH`` so that ``Execute.kernel_name``
    finds it; IPython's profile directory is ``jupyter_path/ipython`` (``/tmp/ipython`` in
    the sandbox). The kernel runs this interpreter with the hard limits of ``limits`` (an
    allocation past the memory cap raises ``MemoryError`` in the cell); the packages named
    in ``preload`` are imported before any cell runs. ``sandboxed``: the kernel runs from a
    copy of the notebooks the sandbox shows it (see :mod:`.kernel_launcher`). Interrupts
    are sent as messages, which reach a kernel in its own process namespace. Kernels are
    started by :mod:`.forkserver` when the grading process runs one, else as subprocesses.
    """
    from .sandbox import INCOMING, WORK

    spec_dir = Path(jupyter_path) / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True, exist_ok=True)
    launcher_settings = {**limits.to_dict(), "preload": list(preload)}
    if sandboxed:
        launcher_settings.update(incoming=INCOMING, work=WORK)
    # nbclient keeps IPython's history in memory only for kernels named python*, so say it here;
    # a private IPYTHONDIR keeps the grader's own IPython profile and startup files out of grading
    spec = {
        "argv": [*launcher_prefix(), json.dumps(launcher_settings, sort_keys=True),
                 "-f", "{connection_file}",
                 "--HistoryManager.hist_file=:memory:", "--IPKernelApp.ignore_cwd=True"],
        "display_name": "Python 3 (grading, confined)" if sandboxed else "Python 3 (grading, memory-capped)",
        "language": "python",
        "interrupt_mode": "message",
        "env": {**KERNEL_ENV, "IPYTHONDIR": str(Path(jupyter_path).resolve() / "ipython")},
        "metadata": {"debugger": False, "kernel_provisioner": {"provisioner_name": PROVISIONER_NAME}},
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec, indent=1) + "\n")
    return spec_dir
