"""Comparison helpers for the test cells, with failure messages written for students.

Each helper checks a value in layers (type, shape, dtype, finiteness, values) and raises
``AssertionError`` at the first layer that fails, in the course's format: one line
``<name> <problem>: got <actual>, expected <expected>.`` then one ``Hint:`` line.

Two rules hold for every helper:

- Numbers are Python numbers. Where a ``float`` or an ``int`` is asked for, a NumPy scalar
  (``np.float64`` included, although it subclasses ``float``) and a 1-element array fail the
  type layer; the hint says that ``.item()`` turns either into a Python number.
- A hint belongs to the layer that failed. The test cell's ``hint`` explains the layer the
  helper is named after (the values of ``check_array``, the shape of ``check_shape``, the keys
  of ``check_keys``); every layer before it (type, shape, dtype, finiteness) gives its own.
  At the values layer, a result that equals a known mistake (``known``) names that mistake,
  and values that are all off by one factor or sign say so, before the test cell's hint.

Student code runs in the kernel before the test cells, so the helpers defend themselves. They
call only references to numpy and to the builtins captured, and checked to be genuine, when the
checking code is first imported (``_originals``), and every public helper first compares by
identity everything it relies on (numpy, numpy.testing, the builtins, ``sys.modules``, the
namespace and code of this module and of those it uses: ``_messages``, which words the failures,
``_integrity``, which keeps the snapshots and checks them, ``_stand_ins``, which puts the course's
solutions in place for hidden tests, and ``_originals``) with those
captures. Any difference raises ``the checking code was modified: ...``; rebinding a name on any
of these modules is refused outright.

For test authors: import the helpers inside each test cell instead of relying on names bound
earlier, start every hidden part with ``assert_intact()``, and compute hidden expected values
inside the hidden part or from the course's solutions (``solutions``, which ``stand_in`` also
puts in place of the graded functions the tested one uses; see ``_stand_ins``). Nothing in a
shared kernel is tamper-proof: these checks catch the usual patches, and anything subtler is
left in the submitted notebook for the grader to read.
"""

from copy import deepcopy as _deepcopy
from functools import update_wrapper as _update_wrapper

from . import _integrity, _messages, _originals, _stand_ins
from ._integrity import _seal, _tamper_message
from ._messages import (
    _MUTATION_HINT, _NON_FINITE_HINT, _RANDOM_STATE_HINT, _PROBABILITIES_HINT, _RANGE_HINT, _SIGN_HINT, _VALUES_HINT,
    _VALUES_IN_HINT, _ZERO_HINT, _Failure, _StudentFailure, _at, _describe, _dtype_hint, _either,
    _entries, _factor_hint, _fail, _format_number, _format_pair, _item_path, _keys_hint, _kinds_text,
    _shape_hint, _short_repr, _type_hint, _type_name, _value_hint,
)
from ._originals import (
    _AttributeError, _Exception, _ModuleType, _TypeError, _ValueError, _abs, _absolute, _add, _all,
    _any, _asarray, _bool, _dict, _dict_getitem, _dict_items, _dict_keys, _divmod, _enumerate,
    _equal, _float, _float64, _generic, _get_random_state, _greater, _greater_equal, _int, _isfinite, _isnan,
    _issubclass, _len, _less_equal, _list, _logical_and, _logical_not, _logical_or, _map,
    _module_setattr, _multiply, _ndarray, _number, _reversed, _set, _set_random_state, _str, _subtract, _tuple, _type,
    _where, _zip,
)

__all__ = [
    "assert_intact",
    "helpers_are_genuine",
    "check_type",
    "check_shape",
    "check_array",
    "check_scalar",
    "check_keys",
    "check_arrays_dict",
    "check_values_in",
    "check_in_range",
    "snapshot",
    "check_unchanged",
    "unchanged",
    "random_state_unchanged",
    "solutions",
    "stand_in",
]

#: Filled with the tamper check once the whole module is defined (see the end of this file);
#: the public helpers reach it only through their closures, never through a module global.
_VERIFIER_SLOT = []
_MODULE_DICT = globals()

# ---------------------------------------------------------------------------------------------
# Array utilities built on the captured ufuncs and on C-level ndarray methods only


def _true_positions(mask):
    """Flat (C-order) positions of the true entries of a boolean array."""
    return mask.ravel().nonzero()[0]


def _unravel(position, shape):
    """The index tuple of flat (C-order) `position` in an array of `shape`."""
    index = []
    for size in _reversed(shape):
        position, remainder = _divmod(position, size)
        index.append(remainder)
    return _tuple(_reversed(index))


def _first(mask, array):
    """Count, index and value of the first true entry of `mask` (count 0: nothing found)."""
    positions = _true_positions(mask)
    if positions.size == 0:
        return 0, None, None
    position = positions.item(0)
    return positions.size, _unravel(position, array.shape), array.item(position)


# ---------------------------------------------------------------------------------------------
# Layers: each returns quietly or raises the student-facing AssertionError


def _require_type(value, expected_type, name, hint):
    expected = expected_type if _type(expected_type) is _tuple else (expected_type,)
    cls = _type(value)
    for candidate in expected:
        # bool subclasses int, but True is never the integer a test asks for; and a NumPy
        # scalar is not the Python number a test asks for, even np.float64, a float subclass
        if (_issubclass(cls, candidate) and not (cls is _bool and candidate is _int)
                and not (_issubclass(cls, _generic) and (candidate is _float or candidate is _int))):
            return
    wanted = _either(_map(_type_name, expected))
    _fail(f"{name} has the wrong type: got {_describe(value)}, expected {wanted}.",
          hint, _type_hint(value, expected))


def _require_array(value, name, hint):
    """Check that `value` is an ndarray; return it as a plain ndarray (no subclass behaviour)."""
    _require_type(value, _ndarray, name, hint)
    return _asarray(value)


def _require_shape(array, expected_shape, name, hint):
    expected = _tuple(_map(_int, expected_shape))
    if array.shape != expected:
        _fail(f"{name} has the wrong shape: got {array.shape}, expected {expected}.",
              hint, _shape_hint(array.shape, expected))


_NUMERIC_KINDS = "biuf"


def _require_dtype(array, dtype_kind, name, hint):
    if dtype_kind is None:
        kinds, wanted = _NUMERIC_KINDS, "a numeric dtype"
    else:
        if _type(dtype_kind) is not _str or not dtype_kind or not _all(
                kind in _NUMERIC_KINDS for kind in dtype_kind):
            raise _ValueError(f"dtype_kind must be made of the letters {_NUMERIC_KINDS!r}, "
                              f"got {dtype_kind!r}")
        kinds, wanted = dtype_kind, _kinds_text(dtype_kind)
    got = array.dtype.kind
    if got not in kinds:
        _fail(f"{name} has the wrong dtype: got {array.dtype}, expected {wanted}.",
              hint, _dtype_hint(got, kinds))


def _require_finite(array, name, hint, expected=None):
    """Fail on NaN or inf in `array` (only where `expected`, when given, is finite)."""
    if array.dtype.kind != "f":
        return
    bad = _logical_not(_isfinite(array))
    if expected is not None:
        bad = _logical_and(bad, _isfinite(expected))
    count, index, value = _first(bad, array)
    if count:
        nan_count = _true_positions(_logical_and(bad, _isnan(array))).size
        what = "NaN" if nan_count == count else "inf" if nan_count == 0 else "NaN or inf"
        _fail(f"{name} contains {what} in {_entries(count, array.size)}: "
              f"got {_format_number(value)}{_at(index)}, expected finite values.",
              hint, _NON_FINITE_HINT)


def _values_hint(actual, expected, rtol, atol):
    """Name a constant factor (or sign) between all the values when there is one."""
    if _true_positions(_logical_not(_isfinite(_subtract(actual, expected)))).size:
        return _VALUES_HINT
    if _true_positions(_greater(_absolute(actual), atol)).size == 0:
        return _ZERO_HINT
    nonzero = _true_positions(_greater(_absolute(expected), atol))
    if nonzero.size < 2:
        return _VALUES_HINT
    factor = actual.item(nonzero.item(0)) / expected.item(nonzero.item(0))
    scaled = _multiply(factor, expected)
    tolerance = _add(atol, _multiply(rtol, _absolute(scaled)))
    misfit = _greater(_absolute(_subtract(actual, scaled)), tolerance)
    if _true_positions(misfit).size or _abs(factor - 1.0) < 1e-2:
        return _VALUES_HINT
    if _abs(factor + 1.0) < 1e-3:
        return _SIGN_HINT
    return _factor_hint(factor)


def _known_cause(actual, known, rtol, atol):
    """The cause of the first known mistake whose values `actual` has, or None.

    `known` is a sequence of ``(values, cause)`` pairs (None: no known mistakes); values of
    another shape or type than `actual` never match.
    """
    for values, cause in known or ():
        if _issubclass(_type(actual), _ndarray):
            if not _issubclass(_type(values), _ndarray) or values.shape != actual.shape:
                continue
            wanted, got = values.astype(_float64), actual.astype(_float64)
            gap = _absolute(_subtract(got, wanted))
            misses = _logical_not(_less_equal(gap, _add(atol, _multiply(rtol, _absolute(wanted)))))
            if not _true_positions(misses).size:
                return _str(cause)
        elif _type(values) in (_float, _int) and _abs(actual - values) <= atol + rtol * _abs(values):
            return _str(cause)
    return None


def _require_close(actual, expected, name, rtol, atol, hint, known=None):
    """Fail unless ``|actual - expected| <= atol + rtol * |expected|`` everywhere (as np.isclose)."""
    actual_f, expected_f = actual.astype(_float64), expected.astype(_float64)
    finite = _logical_and(_isfinite(actual_f), _isfinite(expected_f))
    error = _absolute(_subtract(_where(finite, actual_f, 0.0), _where(finite, expected_f, 0.0)))
    tolerance = _add(atol, _multiply(rtol, _absolute(_where(finite, expected_f, 0.0))))
    same_non_finite = _logical_or(_equal(actual_f, expected_f),
                                  _logical_and(_isnan(actual_f), _isnan(expected_f)))
    close = _where(finite, _less_equal(error, tolerance), same_non_finite)
    wrong = _true_positions(_logical_not(close))
    if wrong.size == 0:
        return
    worst = _int(_where(close, -1.0, error).argmax())
    got, wanted = _format_pair(actual.item(worst), expected.item(worst))
    _fail(f"{name} has wrong values in {_entries(wrong.size, actual.size)}: "
          f"got {got}{_at(_unravel(worst, actual.shape))}, expected {wanted} "
          f"(rtol={rtol:g}, atol={atol:g}).",
          _value_hint(hint, _values_hint(actual_f, expected_f, rtol, atol), _known_cause(actual, known, rtol, atol)),
          None)


def _require_array_close(actual, expected, name, rtol, atol, hint, dtype_kind, known=None):
    """All the layers of `check_array`, in order; `hint` is that of the values layer."""
    expected = _asarray(expected)
    actual = _require_array(actual, name, None)
    _require_shape(actual, expected.shape, name, None)
    _require_dtype(actual, dtype_kind, name, None)
    _require_finite(actual, name, None, expected)
    _require_close(actual, expected, name, rtol, atol, hint, known)


def _require_keys(mapping, expected_keys, name, hint):
    _require_type(mapping, _dict, name, None)
    got = _list(_dict_keys(mapping))
    expected = _list(expected_keys)
    got_set, expected_set = _set(got), _set(expected)
    missing = [key for key in expected if key not in got_set]
    extra = [key for key in got if key not in expected_set]
    if not missing and not extra:
        return
    problems = []
    if missing:
        problems.append(("is missing the key " if _len(missing) == 1 else "is missing the keys ")
                        + ", ".join(_map(_short_repr, missing)))
    if extra:
        problems.append(("has an unexpected key " if _len(extra) == 1 else "has unexpected keys ")
                        + ", ".join(_map(_short_repr, extra)))
    listed = ", ".join(_map(_short_repr, got))
    _fail(f"{name} {' and '.join(problems)}: got keys [{listed}], "
          f"expected [{', '.join(_map(_short_repr, expected))}].",
          hint, _keys_hint(missing, extra))


# ---------------------------------------------------------------------------------------------
# Non-mutation: deep copies taken before a call, compared entry by entry after it


def _copy_value(value):
    """A deep copy that keeps arrays as plain ndarrays and dicts, lists and tuples as such."""
    cls = _type(value)
    if _issubclass(cls, _ndarray):
        return _asarray(value).copy()
    if _issubclass(cls, _dict):
        return {key: _copy_value(item) for key, item in _dict_items(value)}
    if cls is _list:
        return [_copy_value(item) for item in value]
    if cls is _tuple:
        return _tuple(_copy_value(item) for item in value)
    return _deepcopy(value)


def _same_value(before, now):
    if before is now:
        return True
    if _issubclass(_type(before), _float) and before != before:
        return _issubclass(_type(now), _float) and now != now
    try:
        return _bool(before == now)
    except _Exception:
        return False


def _changed_count(before, now):
    """How many entries of `now` differ from `before` (same shape and dtype; NaN equals NaN)."""
    kind = before.dtype.kind
    if kind in "fc":
        same = _logical_or(_equal(now, before), _logical_and(_isnan(now), _isnan(before)))
    elif kind in "biumM":
        same = _equal(now, before)
    else:
        pairs = _zip(before.ravel().tolist(), now.ravel().tolist())
        return _len([True for old, new in pairs if not _same_value(old, new)])
    return _true_positions(_logical_not(same)).size


def _first_change(before, now, path):
    """``(path, got, expected)`` for the first difference between `before` and `now`, or None."""
    before_cls, now_cls = _type(before), _type(now)
    if _issubclass(before_cls, _ndarray):
        if not _issubclass(now_cls, _ndarray):
            return path, _type_name(now_cls), "numpy.ndarray as before"
        now = _asarray(now)
        if now.shape != before.shape:
            return path, f"shape {now.shape}", f"{before.shape} as before"
        if now.dtype != before.dtype:
            return path, f"dtype {now.dtype}", f"{before.dtype} as before"
        changed = _changed_count(before, now)
        return (path, f"{_entries(changed, now.size)} changed", "none") if changed else None
    if _issubclass(before_cls, _dict):
        if not _issubclass(now_cls, _dict):
            return path, _type_name(now_cls), "dict as before"
        now_keys = _list(_dict_keys(now))
        now_key_set = _set(now_keys)
        added = [key for key in now_keys if key not in before]
        removed = [key for key in before if key not in now_key_set]
        for keys, verb in ((added, "added"), (removed, "removed")):
            if keys:
                names = ", ".join(_map(_short_repr, keys))
                counted = f"{_len(keys)} {'key' if _len(keys) == 1 else 'keys'}"
                return path, f"{counted} {verb} ({names})", "none"
        for key, item in _dict_items(before):
            change = _first_change(item, _dict_getitem(now, key), _item_path(path, key))
            if change is not None:
                return change
        return None
    if before_cls is _list or before_cls is _tuple:
        if now_cls is not before_cls:
            return path, _type_name(now_cls), f"{_type_name(before_cls)} as before"
        if _len(now) != _len(before):
            return path, f"length {_len(now)}", f"{_len(before)} as before"
        for position, (old, new) in _enumerate(_zip(before, now)):
            change = _first_change(old, new, f"{path}[{position}]")
            if change is not None:
                return change
        return None
    if now_cls is not before_cls:
        return path, _type_name(now_cls), f"{_type_name(before_cls)} as before"
    if _same_value(before, now):
        return None
    return path, _short_repr(now), f"{_short_repr(before)} as before"


def _require_unchanged(before, call, hint, current):
    for input_name, now in _dict_items(current):
        if input_name not in before:
            raise _TypeError(f"{input_name!r} was not in the snapshot")
        change = _first_change(_dict_getitem(before, input_name), now, input_name)
        if change is not None:
            path, got, expected = change
            _fail(f"{call} modified its input {path}: got {got}, expected {expected}.",
                  hint, _MUTATION_HINT)


class _UnchangedBlock:
    """The context manager returned by `unchanged`.

    `check` is the public `check_unchanged`, handed over by `unchanged` right after its own
    tamper check, so that the exit check also starts with one.
    """

    def __init__(self, call, hint, inputs, check):
        self._call, self._hint, self._inputs, self._check = call, hint, inputs, check
        self._before = {name: _copy_value(value) for name, value in _dict_items(inputs)}

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        __tracebackhide__ = True
        if exc_type is None:  # an error inside the block is the more useful report
            self._check(self._before, self._call, hint=self._hint, **self._inputs)
        return False


class _RandomStateBlock:
    """The context manager returned by `random_state_unchanged`; `check` is the guarded comparison."""

    def __init__(self, call, hint, check):
        self._call, self._hint, self._check = call, hint, check
        self._before = _get_random_state()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        __tracebackhide__ = True
        after = _get_random_state()
        _set_random_state(self._before)  # the test leaves the generator as it found it
        if exc_type is None:
            self._check(self._before, after, self._call, self._hint)
        return False


def _same_random_state(before, after, call, hint):
    """Fail unless the two states of ``np.random.get_state()`` are the same."""
    same = (before[0] == after[0] and before[2] == after[2] and before[3] == after[3]
            and _len(before[1]) == _len(after[1]) and not _true_positions(_logical_not(
                _equal(before[1], after[1]))).size)
    if not same:
        _fail(f"{call} changed NumPy's global random state: got a different state after the call, "
              "expected the state it had before.", hint, _RANDOM_STATE_HINT)


# ---------------------------------------------------------------------------------------------
# Guards: the module objects refuse assignments, the helpers run the tamper check first


class _GuardedModule(_ModuleType):
    """The class of this module, and of the modules it uses, once imported: no rebinding, no deleting."""

    _IMPORT_ATTRIBUTES = frozenset({"__name__", "__loader__", "__package__", "__spec__",
                                    "__path__", "__file__", "__cached__", "__doc__"})

    def __setattr__(self, name, value):
        if name not in _GuardedModule._IMPORT_ATTRIBUTES:  # the import system sets these on reload
            raise _AttributeError(_tamper_message([f"{self.__name__}.{name} cannot be replaced"]))
        _module_setattr(self, name, value)

    def __delattr__(self, name):
        raise _AttributeError(_tamper_message([f"{self.__name__}.{name} cannot be deleted"]))


def _guarded(function):
    """Wrap a public helper so that it runs the tamper check first."""
    slot, failure, assertion_error = _VERIFIER_SLOT, _Failure, _StudentFailure

    def guarded(*args, **kwargs):
        __tracebackhide__ = True  # IPython and pytest leave this frame out of tracebacks
        try:
            slot[0]()
            return function(*args, **kwargs)
        except failure as error:
            raise assertion_error(*error.args) from None

    return _update_wrapper(guarded, function)


# ---------------------------------------------------------------------------------------------
# Public helpers


@_guarded
def assert_intact():
    """Raise ``AssertionError`` if numpy, the builtins or the checking code were patched.

    Every helper below does this first; hidden tests can call it on its own.

    >>> assert_intact()
    """


@_guarded
def helpers_are_genuine(*functions):
    """Whether each of `functions` is one of this module's own helpers, unmodified.

    A test cell calls it on the helpers it uses, to catch a no-op bound to a helper's name.
    Like every helper, it raises when the checking code was modified.

    >>> helpers_are_genuine(check_array, check_keys)
    True
    >>> helpers_are_genuine(lambda *args, **kwargs: None)
    False
    """
    if not functions:
        raise _TypeError("helpers_are_genuine() needs at least one function")
    for function in functions:
        if not _any(function is helper for helper in _PUBLIC_HELPERS):
            return False
        if function.__code__.co_filename != _THIS_FILE:
            return False
    return True


@_guarded
def check_type(value, expected_type, name, hint=None):
    """Check that `value` is an instance of `expected_type` (a type or a tuple of types).

    A NumPy float64 passes as a ``float`` (it is one); a 0-d or 1-element array does not.
    ``True`` and ``False`` do not pass as ``int``.

    >>> check_type({"W1": 0}, dict, "parameters")
    >>> check_type((1, 2), dict, "parameters")
    Traceback (most recent call last):
        ...
    AssertionError: parameters has the wrong type: got tuple, expected dict.
    Hint: check what is returned and, when several values are returned, their order.
    """
    _require_type(value, expected_type, name, hint)


@_guarded
def check_shape(array, expected_shape, name, hint=None):
    """Check that `array` is a NumPy array of shape `expected_shape`."""
    _require_shape(_require_array(array, name, None), expected_shape, name, hint)


@_guarded
def check_array(actual, expected, name, *, rtol=1e-5, atol=1e-8, hint=None, dtype_kind=None, known=None):
    """Compare an array with its expected values, layer by layer.

    Type (NumPy array), shape, dtype (its kind among the letters of `dtype_kind`, e.g. ``"f"``;
    by default any boolean, integer or floating-point dtype), finiteness, then values:
    ``|actual - expected| <= atol + rtol * |expected|`` entry by entry, as ``np.isclose``.
    `hint` explains a wrong value; `known` holds ``(values, cause)`` pairs of known mistakes,
    named instead when the wrong values are theirs.

    Parameters
    ----------
    actual : numpy.ndarray, shape (...)
        The student's array.
    expected : array_like, shape (...)
        The reference values; `actual` must have the same shape.

    >>> import numpy as np
    >>> check_array(np.array([[0.5, 1.0]]), np.array([[0.5, 1.0]]), "A2")
    >>> check_array(np.array([[0.5, 2.0]]), np.array([[0.5, 1.0]]), "A2")
    Traceback (most recent call last):
        ...
    AssertionError: A2 has wrong values in 1 of 2 entries: got 2 at index (0, 1), expected 1 (rtol=1e-05, atol=1e-08).
    Hint: recompute the entry at that index by hand, following the formula step by step.
    """
    _require_array_close(actual, expected, name, rtol, atol, hint, dtype_kind, known)


@_guarded
def check_scalar(actual, expected, name, *, rtol=1e-6, atol=1e-9, hint=None, known=None):
    """Check a single number: a Python ``float`` or ``int``, finite, close to `expected`.

    A NumPy scalar is not a Python number and fails the type layer. `hint` explains a wrong
    value; `known` holds ``(value, cause)`` pairs of known mistakes, named when they match.

    >>> check_scalar(0.6931, 0.6931, "compute_cost(A2, Y)")
    >>> check_scalar(-0.6931, 0.6931, "compute_cost(A2, Y)")
    Traceback (most recent call last):
        ...
    AssertionError: compute_cost(A2, Y) has the wrong value: got -0.6931, expected 0.6931 (rtol=1e-06, atol=1e-09).
    Hint: every value has the opposite sign; check the sign of each term.
    """
    _require_type(actual, (_float, _int), name, None)
    value, wanted = _float(actual), _float(expected)
    if not _isfinite(value):
        _fail(f"{name} is not finite: got {_format_number(value)}, expected {_format_number(wanted)}.",
              None, _NON_FINITE_HINT)
    if not _abs(value - wanted) <= atol + rtol * _abs(wanted):
        got, expected_text = _format_pair(value, wanted)
        opposite = wanted != 0 and _abs(value + wanted) <= atol + rtol * _abs(wanted)
        computed = _SIGN_HINT if opposite else _VALUES_HINT
        _fail(f"{name} has the wrong value: got {got}, expected {expected_text} "
              f"(rtol={rtol:g}, atol={atol:g}).",
              _value_hint(hint, computed, _known_cause(value, known, rtol, atol)), None)


@_guarded
def check_keys(mapping, expected_keys, name, hint=None):
    """Check that `mapping` is a dict with exactly the keys `expected_keys` (in any order)."""
    _require_keys(mapping, expected_keys, name, hint)


@_guarded
def check_arrays_dict(actual, expected, name, *, rtol=1e-5, atol=1e-8, hint=None, hints=None, known=None):
    """Check a dict of arrays: its type, its keys, then each entry with `check_array`.

    Entries are named as the student writes them (``grads["dW1"]``). `hints` maps keys to the
    hint for the values of that entry; `hint` is used for the others. `known` holds
    ``(dict of arrays, cause)`` pairs of known mistakes, matched entry by entry.
    """
    _require_keys(actual, _list(expected), name, None)
    for key, wanted in _dict_items(expected):
        entry_hint = hint if hints is None else hints.get(key, hint)
        entry_known = [(_dict_getitem(values, key), cause) for values, cause in known or ()
                       if _issubclass(_type(values), _dict) and key in values]
        _require_array_close(_dict_getitem(actual, key), wanted, _item_path(name, key),
                             rtol, atol, entry_hint, None, entry_known)


@_guarded
def check_values_in(array, allowed, name, hint=None):
    """Check that every entry of the array `array` is one of the numbers `allowed`.

    >>> import numpy as np
    >>> check_values_in(np.array([[0, 1, 1]]), (0, 1), "predict(parameters, X)")
    """
    array = _require_array(array, name, None)
    _require_dtype(array, None, name, None)
    allowed = _tuple(allowed)
    if not allowed:
        raise _ValueError("allowed must contain at least one value")
    inside = _equal(array, allowed[0])
    for value in allowed[1:]:
        inside = _logical_or(inside, _equal(array, value))
    outside = _logical_not(inside)
    count, index, value = _first(outside, array)
    if count:
        allowed_texts = _list(_map(_format_number, allowed))
        listed = ", ".join(allowed_texts)
        default = _VALUES_IN_HINT
        if _all(candidate in (0, 1) for candidate in allowed):
            strays = array.ravel()[_true_positions(outside)]
            within = _logical_and(_greater_equal(strays, 0), _less_equal(strays, 1))
            if not _true_positions(_logical_not(within)).size:
                default = _PROBABILITIES_HINT
        _fail(f"{name} has values outside {{{listed}}} in {_entries(count, array.size)}: "
              f"got {_format_number(value)}{_at(index)}, expected {_either(allowed_texts)}.",
              hint, default)


@_guarded
def check_in_range(value, low, high, name, hint=None):
    """Check that a number, or every entry of an array, lies in ``[low, high]`` (NaN does not).

    >>> check_in_range(90.75, 0, 100, "accuracy(predictions, Y)")
    """
    _require_type(value, (_float, _int, _ndarray, _number), name, None)
    bounds = f"[{_format_number(low)}, {_format_number(high)}]"
    if not _issubclass(_type(value), _ndarray):
        number = _float(value)
        if not low <= number <= high:
            _fail(f"{name} is out of range: got {_format_number(value)}, expected a value in {bounds}.",
                  hint, _RANGE_HINT)
        return
    array = _asarray(value)
    _require_dtype(array, None, name, None)
    outside = _logical_not(_logical_and(_greater_equal(array, low), _less_equal(array, high)))
    count, index, item = _first(outside, array)
    if count:
        _fail(f"{name} has values out of range in {_entries(count, array.size)}: "
              f"got {_format_number(item)}{_at(index)}, expected values in {bounds}.", hint, _RANGE_HINT)


@_guarded
def snapshot(**values):
    """Deep copies of the keyword arguments, to pass to `check_unchanged` after a call.

    Arrays, and dicts, lists and tuples of them, are copied entry by entry.
    """
    return {name: _copy_value(value) for name, value in _dict_items(values)}


@_guarded
def check_unchanged(snapshot, call, /, *, hint=None, **current):
    """Check that a call left its inputs as `snapshot` recorded them.

    `call` is the call as the student would write it; the keyword arguments are the inputs now.
    Dicts are compared entry by entry, including added and removed keys.

    >>> import numpy as np
    >>> parameters = {"W1": np.ones((2, 2))}
    >>> before = snapshot(parameters=parameters)
    >>> parameters["W1"] -= 1.0
    >>> check_unchanged(before, "update_parameters(parameters, grads)", parameters=parameters)
    Traceback (most recent call last):
        ...
    AssertionError: update_parameters(parameters, grads) modified its input parameters["W1"]: got 4 of 4 entries changed, expected none.
    Hint: in-place operations (-=, +=, item assignment) on an input change the caller's object too.
    """
    _require_unchanged(snapshot, call, hint, current)


@_guarded
def unchanged(call, /, *, hint=None, **inputs):
    """A context manager: `check_unchanged` on `inputs` when its block ends without an error.

    >>> import numpy as np
    >>> parameters = {"W1": np.ones((2, 2))}
    >>> with unchanged("update_parameters(parameters, grads)", parameters=parameters):
    ...     new_parameters = {"W1": parameters["W1"] - 1.0}
    """
    return _UnchangedBlock(call, hint, inputs, check_unchanged)


@_guarded
def solutions(*names, source):
    """The course's solutions of the graded functions `names`, in a read-only mapping.

    Only the test cell's own code gets them; a student's function that looks one up gets a
    ``LookupError``.

    Parameters
    ----------
    *names : str
        Graded functions, e.g. ``"forward_propagation"``.
    source : dict or str
        ``globals()`` in the source notebook, whose answer cells hold the solutions; for grading,
        the course build writes in their Python source instead (see ``_stand_ins``).

    >>> import numpy as np
    >>> reference = solutions("double", source="def double(x): return 2 * x")
    >>> reference["double"](np.ones(2))
    array([2., 2.])
    """
    return _stand_ins._solutions(names, source)


@_guarded
def stand_in(namespace, solutions, *names):
    """Put ``solutions[name]`` in `namespace` in place of each of `names` until the cell ends.

    What the names were bound to comes back after the IPython cell, whether it passed or
    failed, or earlier by calling the function returned (outside IPython, call it yourself).

    >>> namespace = {"double": print}
    >>> restore = stand_in(namespace, {"double": lambda x: 2 * x}, "double")
    >>> namespace["double"](21)
    42
    >>> restore()
    >>> namespace["double"] is print
    True
    """
    return _stand_ins._stand_in(namespace, solutions, names)


_checked_random_state = _guarded(_same_random_state)  # the exit check starts with a tamper check too


@_guarded
def random_state_unchanged(call, /, *, hint=None):
    """A context manager: fail when its block changed NumPy's global random state (``np.random``).

    The state is put back as it was in any case, so a failing call does not change later draws.

    >>> import numpy as np
    >>> with random_state_unchanged("initialize_parameters(2, 4, 1, seed=0)"):
    ...     weights = np.random.RandomState(0).randn(4, 2)
    >>> with random_state_unchanged("initialize_parameters(2, 4, 1, seed=0)"):
    ...     weights = np.random.randn(4, 2)
    Traceback (most recent call last):
        ...
    AssertionError: initialize_parameters(2, 4, 1, seed=0) changed NumPy's global random state: got a different state after the call, expected the state it had before.
    Hint: np.random.seed and the np.random functions use and change the random state shared by all code: draw from a generator of your own, np.random.RandomState(seed).
    """
    return _RandomStateBlock(call, hint, _checked_random_state)


# ---------------------------------------------------------------------------------------------
# Sealing: capture the snapshots of every module of the checking code, install the check

_PUBLIC_HELPERS = _tuple(_MODULE_DICT[name] for name in __all__)
_THIS_FILE = _guarded.__code__.co_filename
#: the modules the checks rely on, each after those it imports, this one last
_CHECKING_CODE = (_originals.__dict__, _messages.__dict__, _integrity.__dict__, _stand_ins.__dict__,
                  _MODULE_DICT)
_WATCH, _verify = _seal(_CHECKING_CODE, _GuardedModule)
_VERIFIER_SLOT.append(_verify)
del _VERIFIER_SLOT, _verify
_WATCH.watch_namespaces(_CHECKING_CODE)
