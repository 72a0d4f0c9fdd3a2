"""The checking code's defence: identity snapshots of everything it relies on, and their check.

Student code runs in the kernel before the test cells. When ``checks`` is imported, `_seal`
captures, for every module of the checking code (``checks``, ``_messages``, ``_integrity``,
``_stand_ins``, ``_originals``): its namespace, the code, defaults and closures of its functions,
the attributes of its classes, its ``sys.modules`` entry and its package attribute; and the
watched builtins and numpy functions, each checked to be genuine when captured. The check it returns compares
all of them by identity with those snapshots; any difference raises
``the checking code was modified: ...``.
"""

from functools import partial as _partial

from ._messages import _Failure, _either
from ._originals import (
    _BUILTINS_DICT, _NUMPY_DICT, _NUMPY_DIRECTORY, _SYS_DICT, _SYS_MODULES, _BuiltinFunctionType,
    _FunctionType, _LookupError, _ModuleType, _all, _any, _attrgetter, _builtins, _frozenset,
    _getattr, _id, _is, _issubclass, _itemgetter, _len, _list, _map, _module_setattr, _str, _tuple,
    _type, _zip,
)

# ---------------------------------------------------------------------------------------------
# What is watched besides the checking code itself, and how a change is reported

_WATCHED_BUILTINS = (
    "AssertionError", "AttributeError", "Exception", "KeyError", "LookupError", "TypeError",
    "ValueError", "__import__", "abs", "all", "any", "bool", "callable", "dict", "divmod",
    "enumerate", "exec", "float", "frozenset", "getattr", "hasattr", "id", "int", "isinstance",
    "issubclass", "iter", "len", "list", "map", "max", "min", "next", "object", "range",
    "repr", "reversed", "round", "set", "sorted", "str", "sum", "tuple", "type", "zip",
)
_WATCHED_NUMPY = (
    # the comparison functions a test cell might use directly
    "allclose", "isclose", "array_equal", "array_equiv", "all", "any", "sum", "mean", "max",
    "min", "shape", "array", "asanyarray",
    # everything the checking code uses (see _originals)
    "asarray", "ndarray", "generic", "number", "integer", "floating", "float64", "bool_", "ufunc",
    "isfinite", "isnan", "abs", "absolute", "add", "subtract", "multiply", "equal", "less_equal",
    "greater", "greater_equal", "logical_and", "logical_or", "logical_not", "where",
)
_WATCHED_TESTING = (
    "assert_allclose", "assert_array_equal", "assert_equal", "assert_almost_equal",
    "assert_array_almost_equal", "assert_array_less",
)
#: numpy attributes whose ``__name__`` differs from the name they are published under
_NUMPY_ALIASES = {"abs": "absolute", "bool_": "bool"}
_HEAP_TYPE_FLAG = 1 << 9  # set on every class created by Python code, never on a C type

_TAMPER_PREFIX = "the checking code was modified: "
_TAMPER_HINT = ("Hint: remove the code that reassigns or patches it, then restart the kernel "
                "and run all cells.")


def _tamper_message(problems):
    """The whole message of a tamper failure, from phrases such as ``'numpy.allclose was replaced'``."""
    return _TAMPER_PREFIX + "; ".join(problems) + ".\n" + _TAMPER_HINT


def _summarize(names, verb, limit=6):
    """``'numpy.allclose and builtins.abs were replaced'``."""
    shown = names[:limit] + ([f"{_len(names) - limit} more"] if _len(names) > limit else [])
    return f"{_either(shown, 'and')} {'was' if _len(names) == 1 else 'were'} {verb}"


# ---------------------------------------------------------------------------------------------
# Genuineness of a builtin or numpy reference when it is captured


def _is_c_type(value):
    """Whether `value` is a class written in C (Python code cannot create one)."""
    return _issubclass(_type(value), _type) and not value.__flags__ & _HEAP_TYPE_FLAG


def _in_numpy(path):
    """Whether `path` is a file of the installed numpy."""
    return _type(path) is _str and path.startswith(_NUMPY_DIRECTORY)


def _looks_genuine(value, name, home):
    """Whether `value` can be the original ``<home>.<name>``, checked when it is captured."""
    expected_name = _NUMPY_ALIASES.get(name, name) if home == "numpy" else name
    cls = _type(value)
    if _is_c_type(value):
        module = value.__module__
        return value.__name__ == expected_name and (module == home or module.startswith(home + "."))
    if cls is _BuiltinFunctionType:
        owner = value.__self__
        if home == "builtins":
            return owner is _builtins and value.__name__ == expected_name
        return (_type(owner) is _ModuleType and owner.__name__.startswith("numpy")
                and value.__name__ == expected_name)
    if home != "numpy":
        return False
    if cls is _ModuleType:
        return value.__name__ == "numpy." + name and _in_numpy(_getattr(value, "__file__", None))
    if cls is _FunctionType:
        return value.__name__ == expected_name and _in_numpy(value.__code__.co_filename)
    numpy_callable = cls.__name__ in ("ufunc", "_ArrayFunctionDispatcher")
    if _is_c_type(cls) and cls.__module__ == "numpy" and numpy_callable:
        if value.__name__ != expected_name:
            return False
        return cls.__name__ == "ufunc" or _looks_genuine(value._implementation, name, home)
    return False


# ---------------------------------------------------------------------------------------------
# Snapshots and the check against them


def _item_fetcher(namespace, names):
    """A call returning the current values of `names` in `namespace`, as a tuple."""
    if _len(names) == 1:
        only = names[0]
        return lambda: (namespace[only],)
    return _partial(_itemgetter(*names), namespace)


class _Watch:
    """Identity snapshots of everything the checking code relies on, and the check against them."""

    def __init__(self, public_name):
        self.public_name = public_name  # the module the students import: course_utils.checks
        self.item_groups = []       # (label format, namespace, names, fetch, originals)
        self.attribute_groups = []  # (labels, objects, getter, originals)
        self.compromised = []       # labels of references that were not genuine when captured
        self.state = {"testing": False, "sizes": None}
        self.sealed = []            # (module name, namespace, its names when sealed) of each module
        self.namespaces = []        # the namespaces alone, for the size check
        self.package_entries = []   # (package namespace, attribute name, module) of each module

    def watch_items(self, label, namespace, names, home=None):
        """Snapshot ``namespace[name]`` for `names`; check them if they come from `home`."""
        names = _tuple(names)
        fetch = _item_fetcher(namespace, names)
        originals = fetch()
        if home is not None:
            for name, value in _zip(names, originals):
                if not _looks_genuine(value, name, home):
                    self.compromised.append(label.format(name))
        self.item_groups.append((label, namespace, names, fetch, originals))

    def watch_attributes(self, labels, objects, attribute):
        getter = _attrgetter(attribute)
        objects = _tuple(objects)
        self.attribute_groups.append((_tuple(labels), objects, getter, _tuple(_map(getter, objects))))

    def watch_namespaces(self, namespaces):
        """Snapshot each module's namespace: every name, and its size to notice additions."""
        for namespace in namespaces:
            module_name = namespace["__name__"]
            names = [name for name in namespace if name != "__warningregistry__"]
            self.watch_items(module_name + ".{}", namespace, names)
            self.sealed.append((module_name, namespace, _frozenset(names)))
            self.namespaces.append(namespace)
        self.state["sizes"] = _list(_map(_len, self.namespaces))

    def capture_testing(self):
        """Snapshot numpy.testing, which numpy imports only on demand, once it is loaded."""
        testing = _SYS_MODULES.get("numpy.testing")
        testing_dict = _getattr(testing, "__dict__", {})
        if "testing" not in _NUMPY_DICT or not _all(name in testing_dict for name in _WATCHED_TESTING):
            return  # still being imported
        self.state["testing"] = True
        self.watch_items("numpy.{}", _NUMPY_DICT, ("testing",), home="numpy")
        self.watch_items("sys.modules[{!r}]", _SYS_MODULES, ("numpy.testing",))
        self.watch_items("numpy.testing.{}", testing_dict, _WATCHED_TESTING, home="numpy")

    def watch_package_attribute(self, module):
        """Watch ``package.<name>``, which the import system sets to `module` once it is imported."""
        package, _, name = module.__name__.rpartition(".")
        if package in _SYS_MODULES:
            self.package_entries.append((_SYS_MODULES[package].__dict__, name, module))

    def replaced_package_attributes(self):
        """The modules whose package attribute is now something else."""
        return [module.__name__ for namespace, name, module in self.package_entries
                if namespace.get(name, module) is not module]

    def added_names(self):
        """Names added to the modules' namespaces since they were sealed (warnings' own excepted)."""
        return [module_name + "." + name for module_name, namespace, names in self.sealed
                for name in namespace if name not in names and name != "__warningregistry__"]

    def accept_additions(self):
        """Whether the namespaces grew only by names that change nothing."""
        if self.added_names():
            return False
        self.state["sizes"] = _list(_map(_len, self.namespaces))
        return True

    def problems(self):
        """What changed, as ``'numpy.allclose was replaced'`` phrases (the slow path)."""
        replaced, deleted = _list(self.compromised), []
        for label, namespace, names, fetch, originals in self.item_groups:
            for name, original in _zip(names, originals):
                try:
                    current = namespace[name]
                except _LookupError:
                    deleted.append(label.format(name))
                    continue
                if current is not original and label.format(name) not in replaced:
                    replaced.append(label.format(name))
        for labels, objects, getter, originals in self.attribute_groups:
            for label, target, original in _zip(labels, objects, originals):
                if getter(target) is not original:
                    replaced.append(label)
        replaced.extend(self.replaced_package_attributes())
        phrases = [_summarize(names, verb) for names, verb in
                   ((replaced, "replaced"), (deleted, "deleted"), (self.added_names(), "added")) if names]
        return phrases or [self.public_name + " was changed"]

    def verifier(self):
        """The fast check run before every public helper: identity comparisons in C loops."""
        item_groups, attribute_groups = self.item_groups, self.attribute_groups
        compromised, state, namespaces, modules = self.compromised, self.state, self.namespaces, _SYS_MODULES
        capture_testing, accept_additions = self.capture_testing, self.accept_additions
        replaced_package_attributes, problems = self.replaced_package_attributes, self.problems
        all_, map_, is_, len_, list_ = _all, _map, _is, _len, _list
        lookup_error, failure, tamper_message = _LookupError, _Failure, _tamper_message

        def verify():
            intact = True
            try:
                for _label, _namespace, _names, fetch, originals in item_groups:
                    intact = intact and all_(map_(is_, fetch(), originals))
                for _labels, objects, getter, originals in attribute_groups:
                    intact = intact and all_(map_(is_, map_(getter, objects), originals))
            except lookup_error:
                intact = False
            # only once the code that captures it is known to be intact
            if intact and not state["testing"] and "numpy.testing" in modules:
                capture_testing()
            intact = intact and not compromised
            if intact and list_(map_(len_, namespaces)) != state["sizes"]:
                intact = accept_additions()
            if intact and replaced_package_attributes():
                intact = False
            if not intact:
                raise failure(tamper_message(problems()))

        return verify


# ---------------------------------------------------------------------------------------------
# Sealing: what belongs to the checking code, captured once


def _imported_module(namespace):
    """The module object whose namespace is `namespace`, or None when it was not imported."""
    module = _SYS_MODULES.get(namespace["__name__"])
    return module if _getattr(module, "__dict__", None) is namespace else None


def _own_classes(namespaces):
    """``(label, class)`` for every class written in Python that the checking code holds.

    A class belongs to the checking code when its module, or a method, is one of `namespaces`;
    it is named after the first of `namespaces` that holds it: with every module after those it
    imports, the module that made it (``_StudentFailure`` calls itself builtins.AssertionError).
    """
    module_names = {namespace["__name__"] for namespace in namespaces}
    namespace_ids = {_id(namespace) for namespace in namespaces}
    found = {}
    for namespace in namespaces:
        for value in _list(namespace.values()):
            if not _issubclass(_type(value), _type) or _is_c_type(value) or _id(value) in found:
                continue
            methods = [item for item in value.__dict__.values() if _type(item) is _FunctionType]
            ours = _any(_id(method.__globals__) in namespace_ids for method in methods)
            if ours or value.__module__ in module_names:
                found[_id(value)] = (namespace["__name__"] + "." + value.__name__, value)
    return _list(found.values())


def _own_functions(namespaces, classes):
    """Every function of the checking code: module-level, the wrapped helpers, and methods."""
    namespace_ids = {_id(namespace) for namespace in namespaces}
    functions = []
    for namespace in namespaces:
        for value in _list(namespace.values()):
            if _type(value) is _FunctionType and _id(value.__globals__) in namespace_ids:
                functions.append(value)
                wrapped = value.__dict__.get("__wrapped__")
                if _type(wrapped) is _FunctionType:
                    functions.append(wrapped)
    for _label, cls in classes:
        functions.extend(item for item in cls.__dict__.values() if _type(item) is _FunctionType)
    return functions


def _seal(namespaces, guard):
    """Capture everything the checking code relies on; return the watch and its fast check.

    The caller calls ``watch.watch_namespaces(namespaces)`` last, once its own namespace is final.

    Parameters
    ----------
    namespaces : sequence of dict
        The globals of every module of the checking code, each after the modules it imports;
        the last is the public module, ``checks``.
    guard : type
        The module class that refuses assignments. Every module becomes one when the public
        module is imported (a copy of it executed apart from the import system guards nothing).
    """
    watch = _Watch(namespaces[-1]["__name__"])
    watch.watch_items("builtins.{}", _BUILTINS_DICT, _WATCHED_BUILTINS, home="builtins")
    watch.watch_items("numpy.{}", _NUMPY_DICT, _WATCHED_NUMPY, home="numpy")
    watch.watch_items("sys.{}", _SYS_DICT, ("modules",))
    modules = [module for module in _map(_imported_module, namespaces) if module is not None]
    entries = _tuple(module.__name__ for module in modules)
    watch.watch_items("sys.modules[{!r}]", _SYS_MODULES, ("builtins", "numpy") + entries)
    classes = _own_classes(namespaces)
    for label, cls in classes:
        watch.watch_items(label + ".{}", cls.__dict__, _list(cls.__dict__))
    if "numpy.testing" in _SYS_MODULES:
        watch.capture_testing()
    verify = watch.verifier()
    candidates = _own_functions(namespaces, classes) + [verify]
    candidates += [cell.cell_contents for function in candidates for cell in (function.__closure__ or ())
                   if _type(cell.cell_contents) is _FunctionType]
    candidates += [group[3] for group in watch.item_groups if _type(group[3]) is _FunctionType]
    functions = _list({_id(function): function for function in candidates}.values())
    # defaults matter only where parameters have them
    with_defaults = [function for function in functions if function.__defaults__ is not None]
    with_kwdefaults = [function for function in functions if function.__code__.co_kwonlyargcount]
    for attribute, watched in (("__code__", functions), ("__defaults__", with_defaults),
                               ("__kwdefaults__", with_kwdefaults)):
        labels = [f"{function.__module__}.{function.__qualname__}.{attribute}" for function in watched]
        watch.watch_attributes(labels, watched, attribute)
    owners = [function for function in functions for _cell in (function.__closure__ or ())]
    cells = [cell for function in functions for cell in (function.__closure__ or ())]
    watch.watch_attributes([f"a closure variable of {owner.__module__}" for owner in owners], cells,
                           "cell_contents")
    public_is_imported = _imported_module(namespaces[-1]) is not None
    for module in modules:
        if public_is_imported:
            _module_setattr(module, "__class__", guard)
        watch.watch_attributes([f"the class of {module.__name__}"], [module], "__class__")
        watch.watch_package_attribute(module)
    return watch, verify
