"""The grading kernel's first code: limits, its folder, safe imports, then ipykernel.

Run as ``python -c <this file's text> SETTINGS_JSON <ipykernel arguments>`` (the grading
kernel spec, see :func:`.kernel_spec.write_kernel_spec`), or executed by a forked child of
the fork server with the same ``sys.argv``. It imports nothing of ``course_admin``: in
the grading sandbox that package does not exist. Before any submitted code runs it

1. sets hard resource limits (address space, CPU time, processes, file size, open files,
   no core files) that an unprivileged process cannot raise again;
2. in the sandbox, copies the student's notebooks from the read-only incoming folder into
   a fresh writable folder and moves there (the notebooks load each other from it);
3. puts the kernel's folder last on ``sys.path`` and imports the preloaded packages now,
   so that a file a submission writes there (``numpy.py``, ``course_utils/``) cannot
   shadow them (editable installs are found after every ``sys.path`` entry);
4. starts ipykernel and, once its shell exists, the integrity monitor (below).

The integrity monitor
---------------------
Submitted code runs in the same interpreter as the tests, so it could change how later
cells are transformed, run or reported. Before any cell runs, the launcher notes the
interpreter's machinery: the shell's input and AST transformers, its run path (the
methods from ``run_cell`` down to ``run_code``), its compiler, traceback formatters,
display hook and publisher, event callbacks, the kernel's execute handlers and session,
and ``sys``'s trace, profile, exception and display hooks and streams, and the checking
code the test cells call (every ``course_utils`` module imported by then: its namespace, and
each of its functions' code, defaults and closure variables, the state a submission could
reach past the checks' own seals through ``__closure__``). An audit hook,
which Python offers no way to remove, then compares the machinery with that note each
time a cell's code starts (the ``exec`` audit event) and writes what differs, signed with
a key read from the grader before any submitted code ran, to a socket the grader reads.
A test cell whose run brought no signed report, or a report of changed machinery, is not
trusted (see :mod:`.integrity`). Comparisons are by identity only, so that nothing a
submission defined runs inside the hook.
"""
import os
import sys

# before any other import: a file in the kernel's folder (json.py, resource.py) must not stand in for a module
sys.path[:] = [entry for entry in sys.path if entry not in ("", os.getcwd())]

import importlib  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import shutil  # noqa: E402

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


_DESCRIPTORS = (staticmethod, classmethod, property)


def _own(obj):
    """``obj.__dict__`` (or {}), read only when ``obj``'s class is a plain class (no descriptor of the submission runs)."""
    try:
        return object.__getattribute__(obj, "__dict__")
    except AttributeError:
        return {}


_BOUND = type(_own.__get__(0))  # bound methods
_CODE = type(_own.__code__)


def _identity(value):
    """What identifies ``value``: itself, or for a bound method, its function and object (bound afresh each time)."""
    if type(value) is _BOUND:
        return (value.__func__, value.__self__)
    return value


def _listed(watched, label, value):
    watched[label] = _identity(value)
    if type(value) is list:
        watched[label + "[:]"] = tuple(_identity(item) for item in value)


#: packages whose own functions may register IPython event callbacks (matplotlib's inline backend does)
_EVENT_PACKAGES = ("IPython", "ipykernel", "matplotlib", "matplotlib_inline")


def _package_functions():
    """ids of the functions the event packages define (their objects kept alive alongside).

    The inline backend is imported first, as the fork server does: its ``flush_figures``
    registers itself once a cell plots, also in a kernel that was not forked.
    """
    try:
        importlib.import_module("matplotlib_inline.backend_inline")
    except ImportError:
        pass
    functions = []
    for name, module in list(sys.modules.items()):
        if name.split(".")[0] in _EVENT_PACKAGES and module is not None:
            for value in list(vars(module).values()):
                if type(value) is type(_own):
                    functions.append(value)
    return functions, frozenset(id(function) for function in functions)


def _values(shell, kernel):
    """The attributes and trait values of the shell and of the kernel (their ``__dict__`` read directly)."""
    return ({**_own(shell), **_own(shell).get("_trait_values", {})},
            {**_own(kernel), **_own(kernel).get("_trait_values", {})})


def _objects(shell, kernel, shell_values, kernel_values):
    """label -> the objects a cell's run goes through, whose classes and own attributes are watched."""
    return {"shell": shell, "kernel": kernel, "session": kernel_values.get("session"),
            "compiler": shell_values.get("compile"), "traceback": shell_values.get("InteractiveTB"),
            "displayhook": shell_values.get("displayhook"), "display_pub": shell_values.get("display_pub"),
            "events": shell_values.get("events"), "transformers": shell_values.get("input_transformer_manager"),
            "stdout": sys.stdout, "stderr": sys.stderr}


def _machinery(shell, kernel, types, allowed=frozenset(), checking=()):
    """label -> object (or tuple of objects) a cell's run goes through, read by identity, calling nothing.

    ``types`` maps the labels of the watched objects to their classes when the kernel
    started: an object whose class changed since is reported as such and not read.
    ``checking``: the modules of the checking code when the kernel started (see :func:`_checking_code`).
    """
    import threading

    watched = {"shell.__class__": type(shell), "kernel.__class__": type(kernel)}
    _checking_code(checking, watched)
    if type(shell) is not types.get("shell", type(shell)) or type(kernel) is not types.get("kernel", type(kernel)):
        return watched  # their attributes are not read: a class of the submission's could run code here
    shell_values, kernel_values = _values(shell, kernel)
    for name in ("input_transformers_cleanup", "input_transformers_post", "ast_transformers", "compile",
                 "InteractiveTB", "SyntaxTB", "displayhook", "display_pub", "display_trap", "events",
                 "input_transformer_manager", "builtin_trap", "custom_exceptions", "CustomTB", "data_pub"):
        _listed(watched, "shell." + name, shell_values.get(name))
    objects = _objects(shell, kernel, shell_values, kernel_values)
    for label, obj in objects.items():
        watched[label + ".__class__"] = type(obj)
        if obj is None or type(obj) is not types.get(label, type(obj)):
            continue
        for cls in type(obj).__mro__[:-1]:
            for key, value in vars(cls).items():
                if callable(value) or type(value) in _DESCRIPTORS:
                    watched[f"{cls.__name__}.{key}"] = value
        for key, value in _own(obj).items() if label not in ("stdout", "stderr") else ():
            if callable(value) and not issubclass(type(value), type):
                watched[f"{label}.{key} (set on the object)"] = _identity(value)
    if type(objects["transformers"]) is types.get("transformers"):
        for name in ("cleanup_transforms", "line_transforms", "token_transformers"):
            _listed(watched, "input_transformer_manager." + name, _own(objects["transformers"]).get(name))
    if type(objects["events"]) is types.get("events"):
        callbacks = _own(objects["events"]).get("callbacks")
        if type(callbacks) is dict:
            for event, functions in callbacks.items():  # the packages' own callbacks come and go
                watched["events." + str(event)] = (
                    tuple(_identity(item) for item in functions
                          if id(item.__func__ if type(item) is _BOUND else item) not in allowed)
                    if type(functions) is list else functions)
    for name in ("shell_handlers", "control_handlers"):
        handlers = kernel_values.get(name)
        if type(handlers) is dict:
            for key, value in handlers.items():
                watched[f"kernel.{name}[{key}]"] = _identity(value)
    watched["sys.stdout"], watched["sys.stderr"] = sys.stdout, sys.stderr
    watched["sys.excepthook"], watched["sys.displayhook"] = _identity(sys.excepthook), _identity(sys.displayhook)
    watched["sys.gettrace()"], watched["sys.getprofile()"] = sys.gettrace(), sys.getprofile()
    watched["threading trace hook"] = vars(threading).get("_trace_hook")
    watched["threading profile hook"] = vars(threading).get("_profile_hook")
    return watched


_FUNCTION = type(_own)
_CHECKING_PACKAGE = "course_utils"


def _checking_modules():
    """``(name, module, namespace)`` of every module of the checking code imported so far."""
    return tuple((name, module, _own(module)) for name, module in list(sys.modules.items())
                 if type(name) is str and name.startswith(_CHECKING_PACKAGE + ".") and module is not None)


def _str_keyed(namespace):
    """A copy of `namespace` with its string keys only (a key of the submission's could run code when compared)."""
    return {key: value for key, value in list(namespace.items()) if type(key) is str}


def _checking_code(modules, watched):
    """Add to `watched` what the checking code is made of, read by identity.

    Every name of each module's namespace; then, for each function reached from there (the
    methods of its classes and the functions held in closures included), its code, defaults,
    keyword defaults and the contents of each closure variable.
    """
    functions, seen = [], set()

    def reach(value, label):
        if type(value) is _FUNCTION and id(value) not in seen:
            seen.add(id(value))
            functions.append((label, value))
        elif type(value) is type and id(value) not in seen and _is_checking_class(value):
            seen.add(id(value))
            for key, item in _str_keyed(_own_type_dict(value)).items():
                watched[f"{label}.{key}"] = item
                reach(item, f"{label}.{key}")

    for name, module, namespace in modules:
        watched[f"sys.modules[{name!r}]"] = sys.modules.get(name)
        watched[f"{name}.__class__"] = type(module)
        for key, value in _str_keyed(namespace).items():
            if key != "__warningregistry__":
                watched[f"{name}.{key}"] = value
                reach(value, f"{name}.{key}")
    while functions:
        label, function = functions.pop()
        watched[label + ".__code__"] = function.__code__
        watched[label + ".__defaults__"] = function.__defaults__
        watched[label + ".__kwdefaults__"] = function.__kwdefaults__
        for index, cell in enumerate(function.__closure__ or ()):
            try:
                contents = cell.cell_contents
            except ValueError:  # not yet assigned
                contents = None
            watched[f"{label} closure variable {index}"] = contents
            reach(contents, f"{label} closure variable {index}")
            # a list of functions is where the checks keep their tamper check (their snapshots, lists
            # of data, grow as numpy.testing is first captured: only the list's identity is watched)
            if type(contents) in (list, tuple) and all(callable(item) for item in contents):
                watched[f"{label} closure variable {index}[:]"] = tuple(contents)
                for position, item in enumerate(contents):
                    reach(item, f"{label} closure variable {index}[{position}]")


def _own_type_dict(cls):
    """A plain class's own namespace (``type(cls) is type``: no metaclass of the submission's runs)."""
    return type.__dict__["__dict__"].__get__(cls)


def _is_checking_class(cls):
    """Whether a plain class was written in the checking code (its own ``__module__`` entry says so)."""
    module = _own_type_dict(cls).get("__module__")
    return type(module) is str and (module + ".").startswith(_CHECKING_PACKAGE + ".")


def _types(shell, kernel):
    """label -> class of every object :func:`_machinery` watches."""
    return {label: type(obj) for label, obj in _objects(shell, kernel, *_values(shell, kernel)).items()}


def _start_monitor(fd, shell, kernel):
    """Install the audit hook that reports changes of the machinery to ``fd`` (see the module docstring)."""
    import hashlib

    key = os.read(fd, 64)
    os.set_blocking(fd, False)
    blake2b, write, machinery = hashlib.blake2b, os.write, _machinery
    types = {}
    pristine = {}
    checking = []  # the checking code's modules, fixed when the first cell starts
    kept_alive, allowed = _package_functions()
    # the folder IPython's compiler names cells after: only their code starting is reported
    cells = os.path.dirname(shell.compile.get_code_name("", "", 0)) + os.sep
    state = {"seq": 0, "file": None, "lost": 0, "events": [], "busy": False}
    noted_events = {"sys.addaudithook": "added an audit hook", "sys.settrace": "set a trace function",
                    "sys.setprofile": "set a profile function"}

    def same(a, b):
        if type(a) is tuple and type(b) is tuple:
            return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
        return a is b

    def differences():
        now = machinery(shell, kernel, types, allowed, checking)
        changed = [name for name in pristine if name not in now or not same(now[name], pristine[name])]
        changed += [name for name in now if name not in pristine]
        return sorted(changed)

    def report(filename):
        findings = differences()
        state["seq"] += 1
        payload = "\x1f".join([str(state["seq"]), str(state["lost"]), filename, "\x1e".join(findings),
                               "\x1e".join(state["events"])]).encode("utf-8", "replace")
        record = blake2b(payload, key=key, digest_size=16).hexdigest().encode() + b" " + payload
        try:
            write(fd, record[:60000])
            state["lost"] = 0
        except OSError:
            state["lost"] += 1
        state["events"] = []

    def hook(event, args):
        if state["busy"]:
            return
        if event in noted_events and (event == "sys.addaudithook" or args and args[0] is not None):
            state["events"].append(noted_events[event])
            return
        if event != "exec" or not args:
            return
        code = args[0]
        filename = code.co_filename if type(code) is _CODE else None
        if type(filename) is not str or filename == state["file"] or not filename.startswith(cells):
            return
        state["busy"] = True
        try:
            if not pristine:  # the first cell's code is about to run: nothing submitted has run yet
                types.update(_types(shell, kernel))
                checking.extend(_checking_modules())
                pristine.update(machinery(shell, kernel, types, allowed, checking))
            state["file"] = filename
            report(filename)
        finally:
            state["busy"] = False

    sys.addaudithook(hook)


def _main():
    _prepare(json.loads(sys.argv.pop(1)))
    from ipykernel.kernelapp import IPKernelApp

    app = IPKernelApp.instance()
    app.initialize()
    fd = os.environ.pop("COURSE_GRADING_MONITOR_FD", "")
    if fd.isdigit():
        _start_monitor(int(fd), app.shell, app.kernel)
    app.start()


if __name__ == "__main__":
    _main()
