"""The course's solutions, standing in for a student's graded functions during one test cell.

A test of a function that uses other graded functions grades that function alone: its hidden
part puts the course's solutions of the functions it uses into the notebook's namespace in
place of the student's (``checks.stand_in``) and they are put back when the cell ends, whether
it passed or failed. The same solutions give the hidden tests their expected values
(``checks.solutions``).

No module a student can import holds a solution. A hidden test asks for them with
``checks.solutions("nn_model", ..., source=globals())``: in the instructor's source notebook
its own namespace holds them (its answer cells are the solutions); before grading, the course
build writes their Python source in place of ``globals()``
(``course_admin.grading.solution_source``), inside the hidden part, which only the autograder
runs and nbgrader keeps out of the release and the feedback. While the test runs the solutions
are a global of the notebook; they answer the test cell's own code only, never a student's
function that looks them up (``_asked_by_the_running_cell``).

``checks`` seals this module with the rest of the checking code, so it calls only the
references of ``_originals``.
"""

from ._originals import (
    _AttributeError, _FunctionType, _LookupError, _SYS_MODULES, _TypeError, _ValueError, _callable, _dict,
    _dirname, _exec, _getframe, _iter, _len, _list, _object_setattr, _sep, _str, _tuple, _type,
)

#: the value of ``__name__`` where the source of the solutions runs
NAMESPACE_NAME = "course_solutions"
_ABSENT = object()  # a name the namespace did not hold before a stand-in


def _solutions(names, source):
    """A read-only mapping name -> the course's solution, for :func:`checks.solutions`."""
    if not names:
        raise _TypeError("solutions() needs the names of at least one graded function")
    if _type(source) is _str:
        namespace = {"__name__": NAMESPACE_NAME}
        _exec(source, namespace)
    elif _type(source) is _dict:
        namespace = source
    else:
        raise _TypeError("solutions(..., source=...) takes the notebook's globals() or the Python source "
                         f"of the solutions, got {_type(source).__name__}")
    found = {}
    for name in names:
        function = namespace.get(name, _ABSENT)
        if _type(function) is not _FunctionType:
            where = "the source written in for grading" if _type(source) is _str else "this notebook"
            raise _ValueError(f"solutions(): {name} is not a function of {where}; name graded functions "
                              "whose notebooks the course's answer cells define (course_utils.layout).")
        found[name] = function
    return _Solutions(found)


_COURSE_UTILS = _dirname(__file__) + _sep


def _asked_by_the_running_cell():
    """Whether the code asking, the first caller outside ``course_utils``, is the test cell's own.

    The cell running is the nearest module-level frame outwards (IPython runs each cell as one
    module); a function of the test cell shares its file name, a student's function, defined in
    an answer cell, does not.
    """
    frame = _getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_COURSE_UTILS):
        frame = frame.f_back
    if frame is None:
        return False
    asking = frame.f_code.co_filename
    while frame is not None and frame.f_code.co_name != "<module>":
        frame = frame.f_back
    return frame is not None and frame.f_code.co_filename == asking


class _Solutions:
    """The course's solutions by name, for the test cell that asked for them only.

    A graded function that looks one up while the test runs (it is a global of the notebook)
    gets a ``LookupError`` instead of the answer; nothing can be assigned on the object.
    """

    __slots__ = ("_names", "_get")

    def __init__(self, functions):
        def get(name):
            if not _asked_by_the_running_cell():
                raise _LookupError("the course's solutions are for the test cell that asked for them: a graded "
                                   "function cannot use them")
            return functions[name]

        _object_setattr(self, "_names", _tuple(functions))
        _object_setattr(self, "_get", get)

    def __getitem__(self, name):
        return self._get(name)

    def __contains__(self, name):
        return name in self._names

    def __iter__(self):
        return _iter(self._names)

    def __len__(self):
        return _len(self._names)

    def __setattr__(self, name, value):
        raise _AttributeError("the course's solutions cannot be changed")

    def __delattr__(self, name):
        raise _AttributeError("the course's solutions cannot be changed")

    def __repr__(self):
        return f"<the course's solutions of {', '.join(self._names)}>"


def _stand_in(namespace, solutions, names):
    """Bind ``namespace[name] = solutions[name]`` for `names`; return the call that undoes it."""
    if _type(namespace) is not _dict:
        raise _TypeError(f"stand_in() takes the notebook's globals() first, got {_type(namespace).__name__}")
    if not names:
        raise _TypeError("stand_in() needs the names of at least one graded function")
    for name in names:
        if name not in solutions:
            raise _ValueError(f"stand_in(): no solution of {name}; add it to the names given to solutions()")
    saved = [(name, namespace.get(name, _ABSENT)) for name in names]
    pending = [True]

    def restore():
        """Put back what the names were bound to (once; later calls do nothing)."""
        if not pending:
            return
        pending.clear()
        for name, value in saved:
            if value is _ABSENT:
                namespace.pop(name, None)
            else:
                namespace[name] = value

    for name in names:
        namespace[name] = solutions[name]
    _after_this_cell(restore)
    return restore


def _after_this_cell(callback):
    """Run `callback` once, after the IPython cell now running, even when it fails."""
    ipython = _SYS_MODULES.get("IPython")
    get_ipython = _attribute(ipython, "get_ipython")
    shell = get_ipython() if _callable(get_ipython) else None
    events = _attribute(shell, "events")
    if events is None:
        return  # not in IPython: the caller restores

    def once(*result):
        events.unregister("post_run_cell", once)
        callback()

    # first in the list: the stand-in made last is undone first, so two on one name unwind
    registered = _attribute(events, "callbacks")
    if _type(registered) is _dict and _type(registered.get("post_run_cell")) is _list:
        registered["post_run_cell"].insert(0, once)
    else:
        events.register("post_run_cell", once)


def _attribute(owner, name):
    """``owner.name``, or None when `owner` is None or has no such attribute."""
    if owner is None:
        return None
    try:
        return owner.__getattribute__(name)
    except _AttributeError:
        return None
