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
call only references to numpy and to the builtins captured, and checked to be genuine, when this
module is imported, and every public helper first compares by identity everything it relies on
(numpy, numpy.testing, the builtins, ``sys.modules``, this module's namespace and code) with
those captures. Any difference raises ``the checking code was modified: ...``; rebinding a
helper on the module is refused outright.

For test authors: import the helpers inside each test cell instead of relying on names bound
earlier, start hidden tests with ``assert_intact()`` and ``assert helpers_are_genuine(...)`` on
the helpers the cell uses, and compute hidden expected values inside the hidden cell. Nothing in
a shared kernel is tamper-proof: these checks catch the usual patches, and anything subtler is
left in the submitted notebook for the grader to read.
"""

import builtins as _builtins
import operator as _operator
import os as _os
import sys as _sys
import types as _types
from copy import deepcopy as _deepcopy
from functools import partial as _partial
from functools import update_wrapper as _update_wrapper

import numpy as _np

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
]

# ---------------------------------------------------------------------------------------------
# References captured at import. The functions below use only these, never a builtin or a numpy
# attribute looked up when they run (tests/test_checks.py verifies this on the bytecode).

_WATCHED_BUILTINS = (
    "AssertionError", "AttributeError", "Exception", "KeyError", "LookupError", "TypeError",
    "ValueError", "__import__", "abs", "all", "any", "bool", "callable", "dict", "divmod",
    "enumerate", "float", "frozenset", "getattr", "hasattr", "id", "int", "isinstance",
    "issubclass", "iter", "len", "list", "map", "max", "min", "next", "object", "range",
    "repr", "reversed", "round", "set", "sorted", "str", "sum", "tuple", "type", "zip",
)
_WATCHED_NUMPY = (
    # the comparison functions a test cell might use directly
    "allclose", "isclose", "array_equal", "array_equiv", "all", "any", "sum", "mean", "max",
    "min", "shape", "array", "asanyarray",
    # everything the helpers below use
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

_AssertionError, _AttributeError, _Exception = AssertionError, AttributeError, Exception
_LookupError, _TypeError, _ValueError = LookupError, TypeError, ValueError
_abs, _all, _any, _bool, _dict, _divmod, _enumerate = abs, all, any, bool, dict, divmod, enumerate
_float, _getattr, _id, _int, _issubclass, _len, _list = float, getattr, id, int, issubclass, len, list
_frozenset, _map, _repr, _reversed, _set, _str = frozenset, map, repr, reversed, set, str
_tuple, _type, _zip = tuple, type, zip

_dict_keys, _dict_items, _dict_getitem = dict.keys, dict.items, dict.__getitem__
_is, _itemgetter, _attrgetter = _operator.is_, _operator.itemgetter, _operator.attrgetter
_BuiltinFunctionType, _FunctionType = _types.BuiltinFunctionType, _types.FunctionType
_ModuleType, _NoneType = _types.ModuleType, type(None)
_module_setattr = _ModuleType.__setattr__
_HEAP_TYPE_FLAG = 1 << 9  # set on every class created by Python code, never on a C type

_ndarray, _generic, _number, _float64 = _np.ndarray, _np.generic, _np.number, _np.float64
_asarray, _where = _np.asarray, _np.where
_isfinite, _isnan, _absolute = _np.isfinite, _np.isnan, _np.absolute
_add, _subtract, _multiply = _np.add, _np.subtract, _np.multiply
_equal, _less_equal, _greater, _greater_equal = _np.equal, _np.less_equal, _np.greater, _np.greater_equal
_logical_and, _logical_or, _logical_not = _np.logical_and, _np.logical_or, _np.logical_not

_NUMPY_DICT = _np.__dict__
_NUMPY_DIRECTORY = _os.path.dirname(_np.__file__) + _os.sep
_BUILTINS_DICT = _builtins.__dict__
_SYS_DICT = _sys.__dict__
_SYS_MODULES = _sys.modules
_MODULE_NAME = __name__
_MODULE_DICT = globals()
del _np

#: Filled with the tamper check once the whole module is defined (see the end of this file);
#: the public helpers reach it only through their closures, never through a module global.
_VERIFIER_SLOT = []

# ---------------------------------------------------------------------------------------------
# Messages


def _hint_line(hint, default):
    """The ``Hint:`` line: the test cell's own hint when it gives one, else `default`."""
    text = default if hint is None else _str(hint)
    return text if text.startswith("Hint:") else "Hint: " + text


class _Failure(AssertionError):
    """A failed check inside this module; the public helper re-raises it as a `_StudentFailure`."""


def _render_traceback(self):
    """IPython's traceback of the failure without the frames of this module.

    IPython asks an exception for ``_render_traceback_`` before formatting it; leaving out the
    frames of this file, the student sees the test cell's line, then the message and the hint.
    """
    from IPython import get_ipython  # only ever called by IPython

    frames, tb = [], self.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename != _THIS_FILE:
            frames.append(tb)
        tb = tb.tb_next
    trimmed = None
    for tb in _reversed(frames):
        trimmed = _types.TracebackType(trimmed, tb.tb_frame, tb.tb_lasti, tb.tb_lineno)
    formatter = get_ipython().InteractiveTB
    return formatter.structured_traceback(_type(self), self, trimmed, tb_offset=formatter.tb_offset)


#: What a public helper raises: an ``AssertionError`` (named so in every traceback) whose
#: IPython traceback ends at the test cell.
_StudentFailure = _type("AssertionError", (AssertionError,), {
    "__module__": "builtins", "__qualname__": "AssertionError",
    "__doc__": "A failed check, as the student sees it.", "_render_traceback_": _render_traceback})


def _fail(message, hint, default_hint):
    """Raise the student-facing failure: `message`, then one hint line."""
    raise _Failure(message + "\n" + _hint_line(hint, default_hint))


def _format_number(value, spec=".6g"):
    """Compact text for a number: ints and bools as they are, floats to `spec`."""
    if _issubclass(_type(value), _generic):
        value = value.item()
    cls = _type(value)
    if cls is _bool:
        return "True" if value else "False"
    if _issubclass(cls, _int):
        return f"{_int(value)}"
    if _issubclass(cls, _float):
        return f"{value:{spec}}"
    return _short_repr(value)


def _format_pair(actual, expected):
    """Texts of `actual` and `expected`, with more digits when six cannot tell them apart."""
    for spec in (".6g", ".12g", ".17g"):
        actual_text, expected_text = _format_number(actual, spec), _format_number(expected, spec)
        if actual_text != expected_text:
            break
    return actual_text, expected_text


def _short_repr(value, limit=40):
    """``repr(value)`` cut to `limit` characters; a stand-in when ``repr`` itself fails."""
    try:
        text = _repr(value)
    except _Exception:
        return f"<{_type_name(_type(value))} object>"
    return text if _len(text) <= limit else text[: limit - 3] + "..."


def _type_name(cls):
    """A type's name as a student knows it: ``dict``, ``None``, ``numpy.ndarray``."""
    if cls is _NoneType:
        return "None"
    module = _getattr(cls, "__module__", None)
    if module == "numpy" or (_type(module) is _str and module.startswith("numpy.")):
        return "numpy." + cls.__name__
    return _getattr(cls, "__qualname__", "?")


def _describe(value):
    """The type of `value`, with the shape for an array."""
    text = _type_name(_type(value))
    if _issubclass(_type(value), _ndarray):
        text += f" of shape {_asarray(value).shape}"
    return text


def _either(texts, last="or"):
    """``'a'``, ``'a or b'``, ``'a, b or c'`` (or with `last` instead of ``or``)."""
    texts = _list(texts)
    return texts[0] if _len(texts) == 1 else f"{', '.join(texts[:-1])} {last} {texts[-1]}"


def _entries(count, total):
    """``'3 of 8 entries'``."""
    return f"{count} of {total} {'entry' if total == 1 else 'entries'}"


def _at(index):
    """``' at index (1, 0)'``, nothing for a 0-d array."""
    return f" at index {index}" if index else ""


def _item_path(path, key):
    """How the student writes an entry of a dict: ``grads["dW1"]``."""
    return f'{path}["{key}"]' if _type(key) is _str else f"{path}[{_short_repr(key)}]"


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


def _type_hint(value, expected):
    """A likely cause for `value` not being one of the `expected` types."""
    cls = _type(value)
    if value is None:
        return "a function without a return statement returns None."
    if cls is _bool and (_int in expected or _float in expected):
        return "a comparison gives True or False, not a number."
    wants_number = _float in expected or _int in expected
    if wants_number and (_issubclass(cls, _ndarray) or _issubclass(cls, _generic)):
        size = _asarray(value).size
        if size != 1:
            return f"a single number is expected, not an array of {size} entries."
        target = "float" if _float in expected else "int"
        what = "a NumPy scalar" if _issubclass(cls, _generic) else f"an array of shape {_asarray(value).shape}"
        return (f"{what} is not a Python {target}: .item() turns a NumPy scalar or "
                f"a 1-element array into a Python number.")
    if _ndarray in expected:
        if _issubclass(cls, (_list, _tuple)):
            return "a list or tuple is not a NumPy array; check the step that builds the result."
        if _issubclass(cls, (_float, _int, _generic)):
            return "a reduction or an indexing step may have turned the array into a single number."
    return "check what is returned and, when several values are returned, their order."


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


def _shape_hint(shape, expected):
    if _len(shape) == _len(expected) and shape == expected[::-1]:
        return "the shape is transposed; check the order of the factors in each matrix product."
    without_ones = _tuple(size for size in shape if size != 1)
    if _len(shape) < _len(expected) and without_ones == _tuple(size for size in expected if size != 1):
        return "an axis of length 1 is missing; a reduction without keepdims=True drops it."
    if _len(shape) == 2 and shape[0] == shape[1] and expected in ((1, shape[0]), (shape[0], 1)):
        return "arrays of shapes (n, 1) and (1, n) broadcast to (n, n); check the shapes of the operands."
    return "print the shapes of the intermediate results to find the step where the shape goes wrong."


def _require_shape(array, expected_shape, name, hint):
    expected = _tuple(_map(_int, expected_shape))
    if array.shape != expected:
        _fail(f"{name} has the wrong shape: got {array.shape}, expected {expected}.",
              hint, _shape_hint(array.shape, expected))


_NUMERIC_KINDS = "biuf"
_KIND_WORDS = {"b": "boolean", "i": "integer", "u": "integer", "f": "floating-point"}


def _kinds_text(kinds):
    """``'a floating-point dtype'``, ``'an integer or boolean dtype'``."""
    words = []
    for kind in kinds:
        if _KIND_WORDS[kind] not in words:
            words.append(_KIND_WORDS[kind])
    text = _either(words)
    return ("an " if text[0] in "aeiou" else "a ") + text + " dtype"


def _dtype_hint(got, kinds):
    if got == "O":
        return ("an object array usually comes from combining arrays of different shapes, "
                "or from a list of arrays.")
    if got == "b" and "b" not in kinds:
        return "a comparison gives an array of booleans, not of numbers; check the last step."
    if got in "biu" and "f" in kinds:
        return ("an array built from integers, or from a comparison, is not a floating-point "
                "array; check how it is created.")
    if got == "f":
        return "operations such as a division give floating-point numbers; check how the values are produced."
    return "check how the array is created and which operations change its dtype."


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


_NON_FINITE_HINT = "NaN and inf usually come from log(0), a division by zero or an overflowing exp."


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


_VALUES_HINT = "recompute the entry at that index by hand, following the formula step by step."
_SIGN_HINT = "every value has the opposite sign; check the sign of each term."


def _values_hint(actual, expected, rtol, atol):
    """Name a constant factor (or sign) between all the values when there is one."""
    if _true_positions(_logical_not(_isfinite(_subtract(actual, expected)))).size:
        return _VALUES_HINT
    if _true_positions(_greater(_absolute(actual), atol)).size == 0:
        return "every entry is zero; check that the values are actually computed and returned."
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
    return f"every value is {factor:.3g} times the expected one; check for a missing or extra factor."


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


def _value_hint(hint, computed, known_cause):
    """The hint of a wrong value: a known mistake, else a specific `computed` finding, else `hint`."""
    if known_cause is not None:
        return "these are the values of a known mistake: " + known_cause + "."
    if computed is not _VALUES_HINT or hint is None:
        return computed
    return hint


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


def _keys_hint(missing, extra):
    for key in extra:
        for wanted in missing:
            if _type(key) is _str and _type(wanted) is _str and key.lower() == wanted.lower():
                return f"keys are case-sensitive: {key!r} is not {wanted!r}."
    return "the keys must be exactly the names given in the docstring; check their spelling."


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


_MUTATION_HINT = ("in-place operations (-=, +=, item assignment) on an input change "
                  "the caller's object too.")


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


# ---------------------------------------------------------------------------------------------
# Tamper detection

_TAMPER_PREFIX = "the checking code was modified: "
_TAMPER_HINT = ("Hint: remove the code that reassigns or patches it, then restart the kernel "
                "and run all cells.")


def _tamper_message(problems):
    return _TAMPER_PREFIX + "; ".join(problems) + ".\n" + _TAMPER_HINT


def _summarize(names, verb, limit=6):
    """``'numpy.allclose and builtins.abs were replaced'``."""
    shown = names[:limit] + ([f"{_len(names) - limit} more"] if _len(names) > limit else [])
    return f"{_either(shown, 'and')} {'was' if _len(names) == 1 else 'were'} {verb}"


def _is_c_type(value):
    """Whether `value` is a class written in C (Python code cannot create one)."""
    return _issubclass(_type(value), _type) and not value.__flags__ & _HEAP_TYPE_FLAG


def _in_numpy(path):
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


def _item_fetcher(namespace, names):
    """A call returning the current values of `names` in `namespace`, as a tuple."""
    if _len(names) == 1:
        only = names[0]
        return lambda: (namespace[only],)
    return _partial(_itemgetter(*names), namespace)


class _Watch:
    """Identity snapshots of everything the helpers rely on, and the check against them."""

    def __init__(self):
        self.item_groups = []       # (label format, namespace, names, fetch, originals)
        self.attribute_groups = []  # (labels, objects, getter, originals)
        self.compromised = []       # labels of references that were not genuine when captured
        self.state = {"testing": False, "own_length": None}
        self.own_names = None       # this module's names when it was sealed
        self.package_entry = None   # (package namespace, attribute name, this module)

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

    def watch_own(self):
        """Snapshot this module's namespace: every name, and its size to notice additions."""
        names = [name for name in _MODULE_DICT if name != "__warningregistry__"]
        self.watch_items(_MODULE_NAME + ".{}", _MODULE_DICT, names)
        self.own_names = _frozenset(names)
        self.state["own_length"] = _len(_MODULE_DICT)

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
        """Watch ``package.<name>``, which the import system sets to `module` after sealing."""
        package, _, name = _MODULE_NAME.rpartition(".")
        if package in _SYS_MODULES:
            self.package_entry = (_SYS_MODULES[package].__dict__, name, module)

    def package_attribute_replaced(self):
        if self.package_entry is None:
            return False
        namespace, name, module = self.package_entry
        return namespace.get(name, module) is not module

    def added_names(self):
        """Names added to this module's namespace since it was sealed (warnings' own excepted)."""
        if self.own_names is None:
            return []
        return [name for name in _MODULE_DICT
                if name not in self.own_names and name != "__warningregistry__"]

    def accept_additions(self):
        """Whether this module's namespace grew only by names that change nothing."""
        if self.added_names():
            return False
        self.state["own_length"] = _len(_MODULE_DICT)
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
        if self.package_attribute_replaced():
            replaced.append(_MODULE_NAME)
        added = [_MODULE_NAME + "." + name for name in self.added_names()]
        phrases = [_summarize(names, verb) for names, verb in
                   ((replaced, "replaced"), (deleted, "deleted"), (added, "added")) if names]
        return phrases or [_MODULE_NAME + " was changed"]

    def verifier(self):
        """The fast check run before every public helper: identity comparisons in C loops."""
        item_groups, attribute_groups = self.item_groups, self.attribute_groups
        compromised, state, own_namespace, modules = self.compromised, self.state, _MODULE_DICT, _SYS_MODULES
        capture_testing, accept_additions = self.capture_testing, self.accept_additions
        package_attribute_replaced, problems = self.package_attribute_replaced, self.problems
        all_, map_, is_, len_ = _all, _map, _is, _len
        lookup_error, failure, tamper_message = _LookupError, _Failure, _tamper_message

        def verify():
            if not state["testing"] and "numpy.testing" in modules:
                capture_testing()
            intact = not compromised
            try:
                for _label, _namespace, _names, fetch, originals in item_groups:
                    intact = intact and all_(map_(is_, fetch(), originals))
                for _labels, objects, getter, originals in attribute_groups:
                    intact = intact and all_(map_(is_, map_(getter, objects), originals))
            except lookup_error:
                intact = False
            if intact and len_(own_namespace) != state["own_length"]:
                intact = accept_additions()
            if intact and package_attribute_replaced():
                intact = False
            if not intact:
                raise failure(tamper_message(problems()))

        return verify


class _GuardedModule(_ModuleType):
    """The class of this module once imported: it refuses to rebind or delete its attributes."""

    _IMPORT_ATTRIBUTES = frozenset({"__name__", "__loader__", "__package__", "__spec__",
                                    "__path__", "__file__", "__cached__", "__doc__"})

    def __setattr__(self, name, value):
        if name not in _GuardedModule._IMPORT_ATTRIBUTES:  # the import system sets these on reload
            raise _AttributeError(_tamper_message([f"{_MODULE_NAME}.{name} cannot be replaced"]))
        _module_setattr(self, name, value)

    def __delattr__(self, name):
        raise _AttributeError(_tamper_message([f"{_MODULE_NAME}.{name} cannot be deleted"]))


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
    """Raise ``AssertionError`` if numpy, the builtins or this module were patched.

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
        default = "check the last step that produces these values."
        if _all(candidate in (0, 1) for candidate in allowed):
            strays = array.ravel()[_true_positions(outside)]
            within = _logical_and(_greater_equal(strays, 0), _less_equal(strays, 1))
            if not _true_positions(_logical_not(within)).size:
                default = "values between 0 and 1 look like probabilities that were not turned into labels."
        _fail(f"{name} has values outside {{{listed}}} in {_entries(count, array.size)}: "
              f"got {_format_number(value)}{_at(index)}, expected {_either(allowed_texts)}.",
              hint, default)


@_guarded
def check_in_range(value, low, high, name, hint=None):
    """Check that a number, or every entry of an array, lies in ``[low, high]`` (NaN does not).

    >>> check_in_range(90.75, 0, 100, "accuracy(predictions, Y)")
    """
    _require_type(value, (_float, _int, _ndarray, _number), name, None)
    default = "check the formula and the scale (a fraction or a percentage) of the result."
    bounds = f"[{_format_number(low)}, {_format_number(high)}]"
    if not _issubclass(_type(value), _ndarray):
        number = _float(value)
        if not low <= number <= high:
            _fail(f"{name} is out of range: got {_format_number(value)}, expected a value in {bounds}.",
                  hint, default)
        return
    array = _asarray(value)
    _require_dtype(array, None, name, None)
    outside = _logical_not(_logical_and(_greater_equal(array, low), _less_equal(array, high)))
    count, index, item = _first(outside, array)
    if count:
        _fail(f"{name} has values out of range in {_entries(count, array.size)}: "
              f"got {_format_number(item)}{_at(index)}, expected values in {bounds}.", hint, default)


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


# ---------------------------------------------------------------------------------------------
# Sealing: capture the snapshots, install the check, guard the module object

_PUBLIC_HELPERS = _tuple(_MODULE_DICT[name] for name in __all__)
_THIS_FILE = _hint_line.__code__.co_filename
_THIS_MODULE = _SYS_MODULES.get(_MODULE_NAME)
if _getattr(_THIS_MODULE, "__dict__", None) is not _MODULE_DICT:
    _THIS_MODULE = None  # executed without being imported: there is no module object to guard
else:
    _module_setattr(_THIS_MODULE, "__class__", _GuardedModule)


def _own_functions():
    """Every function of this module: module-level, the wrapped helpers, and methods."""
    functions = []
    for value in _list(_MODULE_DICT.values()):
        if _type(value) is _FunctionType and value.__globals__ is _MODULE_DICT:
            functions.append(value)
            wrapped = value.__dict__.get("__wrapped__")
            if _type(wrapped) is _FunctionType:
                functions.append(wrapped)
        elif _issubclass(_type(value), _type) and value.__module__ == _MODULE_NAME:
            functions.extend(item for item in value.__dict__.values() if _type(item) is _FunctionType)
    return functions


def _seal():
    """Capture every reference the helpers rely on; return the watch and its fast check."""
    watch = _Watch()
    watch.watch_items("builtins.{}", _BUILTINS_DICT, _WATCHED_BUILTINS, home="builtins")
    watch.watch_items("numpy.{}", _NUMPY_DICT, _WATCHED_NUMPY, home="numpy")
    watch.watch_items("sys.{}", _SYS_DICT, ("modules",))
    own_entry = (_MODULE_NAME,) if _THIS_MODULE is not None else ()
    watch.watch_items("sys.modules[{!r}]", _SYS_MODULES, ("builtins", "numpy") + own_entry)
    for cls in (_Failure, _StudentFailure, _GuardedModule, _UnchangedBlock, _Watch):
        watch.watch_items(f"{_MODULE_NAME}.{cls.__name__}.{{}}", cls.__dict__, _list(cls.__dict__))
    if "numpy.testing" in _SYS_MODULES:
        watch.capture_testing()
    verify = watch.verifier()
    candidates = _own_functions() + [verify]
    candidates += [cell.cell_contents for function in candidates for cell in (function.__closure__ or ())
                   if _type(cell.cell_contents) is _FunctionType]
    candidates += [group[3] for group in watch.item_groups if _type(group[3]) is _FunctionType]
    functions = _list({_id(function): function for function in candidates}.values())
    # defaults matter only where parameters have them
    with_defaults = [function for function in functions if function.__defaults__ is not None]
    with_kwdefaults = [function for function in functions if function.__code__.co_kwonlyargcount]
    for attribute, watched in (("__code__", functions), ("__defaults__", with_defaults),
                               ("__kwdefaults__", with_kwdefaults)):
        labels = [f"{_MODULE_NAME}.{function.__qualname__}.{attribute}" for function in watched]
        watch.watch_attributes(labels, watched, attribute)
    cells = [cell for function in functions for cell in (function.__closure__ or ())]
    labels = [f"a closure variable of {_MODULE_NAME}"] * _len(cells)
    watch.watch_attributes(labels, cells, "cell_contents")
    if _THIS_MODULE is not None:
        watch.watch_attributes([f"the class of {_MODULE_NAME}"], [_THIS_MODULE], "__class__")
        watch.watch_package_attribute(_THIS_MODULE)
    return watch, verify


_WATCH, _verify = _seal()
_VERIFIER_SLOT.append(_verify)
del _VERIFIER_SLOT, _verify, _seal
_WATCH.watch_own()
