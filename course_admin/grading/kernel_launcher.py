"""The grading kernel's first code: limits, its folder, safe imports, then ipykernel.

Run as ``python -c <this file's text> SETTINGS_JSON <ipykernel arguments>`` (the grading
kernel spec, see :func:`.execution.write_kernel_spec`), or executed by a forked child of
the fork server with the same ``sys.argv``. It imports nothing of ``course_admin``: in
the grading sandbox that package does not exist. Before any submitted code runs it

1. sets hard resource limits (address space, CPU time, processes, file size, open files,
   no core files) that an unprivileged process cannot raise again;
2. in the sandbox, copies the student's notebooks from the read-only incoming folder into
   a fresh writable folder and moves there (the notebooks load each other from it);
3. puts the kernel's folder last on ``sys.path`` and imports the preloaded packages now,
   so that a file a submission writes there (``numpy.py``, ``course_utils/``) cannot
   shadow them (editable installs are found after every ``sys.path`` entry);
4. starts ipykernel.
"""
import importlib
import json
import os
import resource
import shutil
import sys

_LIMITS = (("memory", "RLIMIT_AS"), ("cpu_seconds", "RLIMIT_CPU"), ("processes", "RLIMIT_NPROC"),
           ("file_bytes", "RLIMIT_FSIZE"), ("open_files", "RLIMIT_NOFILE"))


def _prepare(settings):
    for key, name in _LIMITS:
        if settings.get(key):
            resource.setrlimit(getattr(resource, name), (settings[key], settings[key]))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    incoming = settings.get("incoming")
    if incoming and os.path.isdir(incoming):
        os.makedirs(settings["work"], exist_ok=True)
        for entry in os.listdir(incoming):
            source = os.path.join(incoming, entry)
            if os.path.isfile(source):
                shutil.copyfile(source, os.path.join(settings["work"], entry))
        os.chdir(settings["work"])
    here = os.getcwd()
    sys.path[:] = [entry for entry in sys.path if entry not in ("", here)]
    for name in settings.get("preload", ()):
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    sys.path.append(here)


if __name__ == "__main__":
    _prepare(json.loads(sys.argv.pop(1)))
    from ipykernel.kernelapp import launch_new_instance

    launch_new_instance()
