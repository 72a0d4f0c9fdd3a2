"""How a failed check is worded and shown: values, shapes, types, hints and known mistakes.

Every check of ``course_utils.checks`` ends, when it fails, in `_fail`: one line
``<name> <problem>: got <actual>, expected <expected>.`` then one ``Hint:`` line. This module
holds the pieces of those lines (numbers, type names, entry counts, indices, dict entries), the
default hint of each layer (type, shape, dtype, finiteness, values, keys, range, mutation) and
the exception a student sees, raised by ``checks`` and ``gradcheck`` alike, whose IPython
traceback ends at the test cell.

Like the checks, it calls only the references of ``_originals``, and ``checks`` seals it with
itself: a patch of anything here is caught like a patch of ``checks``.
"""

from ._originals import (
    _Exception, _NoneType, _TracebackType, _asarray, _bool, _dirname, _float, _generic, _getattr,
    _int, _issubclass, _len, _list, _ndarray, _repr, _reversed, _sep, _str, _tuple, _type,
)

# ---------------------------------------------------------------------------------------------
# The failure a student sees


def _hint_line(hint, default):
    """The ``Hint:`` line: the test cell's own hint when it gives one, else `default`."""
    text = default if hint is None else _str(hint)
    return text if text.startswith("Hint:") else "Hint: " + text


class _Failure(AssertionError):
    """A failed check inside the checking code; the public helper re-raises it as a `_StudentFailure`."""


def _render_traceback(self):
    """IPython's traceback of the failure without the frames of ``course_utils``.

    IPython asks an exception for ``_render_traceback_`` before formatting it; leaving out the
    frames of the package's files, the student sees the test cell's line, then the message and
    the hint.
    """
    from IPython import get_ipython  # only ever called by IPython

    frames, tb = [], self.__traceback__
    while tb is not None:
        if not tb.tb_frame.f_code.co_filename.startswith(_PACKAGE_PREFIX):
            frames.append(tb)
        tb = tb.tb_next
    trimmed = None
    for tb in _reversed(frames):
        trimmed = _TracebackType(trimmed, tb.tb_frame, tb.tb_lasti, tb.tb_lineno)
    formatter = get_ipython().InteractiveTB
    return formatter.structured_traceback(_type(self), self, trimmed, tb_offset=formatter.tb_offset)


#: What a public helper, and ``gradcheck``, raise: an ``AssertionError`` (named so in every
#: traceback) whose IPython traceback ends at the test cell.
_StudentFailure = _type("AssertionError", (AssertionError,), {
    "__module__": "builtins", "__qualname__": "AssertionError",
    "__doc__": "A failed check, as the student sees it.", "_render_traceback_": _render_traceback})
#: the folder of course_utils, whose frames `_render_traceback` leaves out
_PACKAGE_PREFIX = _dirname(_hint_line.__code__.co_filename) + _sep


def _fail(message, hint, default_hint):
    """Raise the student-facing failure: `message`, then one hint line."""
    raise _Failure(message + "\n" + _hint_line(hint, default_hint))


# ---------------------------------------------------------------------------------------------
# Values, types and places, as the messages write them


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
# The default hint of each layer: a likely cause, never the fix


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


def _shape_hint(shape, expected):
    """A likely cause for an array of `shape` instead of `expected`."""
    if _len(shape) == _len(expected) and shape == expected[::-1]:
        return "the shape is transposed; check the order of the factors in each matrix product."
    without_ones = _tuple(size for size in shape if size != 1)
    if _len(shape) < _len(expected) and without_ones == _tuple(size for size in expected if size != 1):
        return "an axis of length 1 is missing; a reduction without keepdims=True drops it."
    if _len(shape) == 2 and shape[0] == shape[1] and expected in ((1, shape[0]), (shape[0], 1)):
        return "arrays of shapes (n, 1) and (1, n) broadcast to (n, n); check the shapes of the operands."
    return "print the shapes of the intermediate results to find the step where the shape goes wrong."


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
    """A likely cause for an array of dtype kind `got` instead of one of `kinds`."""
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


_NON_FINITE_HINT = "NaN and inf usually come from log(0), a division by zero or an overflowing exp."
_VALUES_HINT = "recompute the entry at that index by hand, following the formula step by step."
_SIGN_HINT = "every value has the opposite sign; check the sign of each term."
_ZERO_HINT = "every entry is zero; check that the values are actually computed and returned."
_VALUES_IN_HINT = "check the last step that produces these values."
_PROBABILITIES_HINT = "values between 0 and 1 look like probabilities that were not turned into labels."
_RANGE_HINT = "check the formula and the scale (a fraction or a percentage) of the result."


def _factor_hint(factor):
    """The hint of values that are all `factor` times the expected ones."""
    return f"every value is {factor:.3g} times the expected one; check for a missing or extra factor."


def _value_hint(hint, computed, known_cause):
    """The hint of a wrong value: a known mistake, else a specific `computed` finding, else `hint`."""
    if known_cause is not None:
        return "these are the values of a known mistake: " + known_cause + "."
    if computed is not _VALUES_HINT or hint is None:
        return computed
    return hint


def _keys_hint(missing, extra):
    """A likely cause for the `missing` and `extra` keys of a dict."""
    for key in extra:
        for wanted in missing:
            if _type(key) is _str and _type(wanted) is _str and key.lower() == wanted.lower():
                return f"keys are case-sensitive: {key!r} is not {wanted!r}."
    return "the keys must be exactly the names given in the docstring; check their spelling."


_RANDOM_STATE_HINT = ("np.random.seed and the np.random functions use and change the random state "
                      "shared by all code: draw from a generator of your own, np.random.RandomState(seed).")
_MUTATION_HINT = ("in-place operations (-=, +=, item assignment) on an input change "
                  "the caller's object too.")
