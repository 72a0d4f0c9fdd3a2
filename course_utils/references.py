"""Reference outputs of the graded functions on their fixed-seed cases.

``reference(name)`` returns what the reference solution returned for
``name(*course_utils.cases.CASES[name]())``, with arrays, tuples, floats and
dicts (also with integer keys) restored exactly. The values are generated from
``source_solutions/`` by ``python3 course.py refs``; a test fails when they are stale.

>>> W1 = reference("initialize_parameters")["W1"]
>>> W1.shape
(4, 2)
>>> round(float(W1[0, 0]), 8)
-0.00416758

``known_mistakes(name)`` returns what known mistakes return on the same case, each with its
cause, for the ``known`` argument of the helpers of ``course_utils.checks``:

>>> [cause for _, cause in known_mistakes("accuracy")][:2]
['a fraction instead of a percentage', 'the number of right answers instead of a percentage']
"""
import json
from functools import lru_cache
from pathlib import Path

import numpy as np

REFERENCE_FILE = Path(__file__).with_name("data") / "reference_values.json"
KNOWN_MISTAKES_FILE = Path(__file__).with_name("data") / "known_mistakes.json"


def encode(value):
    """Turn a function's result into JSON-compatible data that ``decode`` restores exactly.

    Floats are written with ``repr``, which round-trips float64 exactly.
    """
    if isinstance(value, np.ndarray):
        return {"__array__": value.tolist(), "dtype": str(value.dtype), "shape": list(value.shape)}
    if isinstance(value, np.generic):
        return encode(value.item())
    if isinstance(value, tuple):
        return {"__tuple__": [encode(item) for item in value]}
    if isinstance(value, list):
        return [encode(item) for item in value]
    if isinstance(value, dict):
        return {"__dict__": [[encode(key), encode(item)] for key, item in value.items()]}
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    raise TypeError(f"cannot store a value of type {type(value).__name__} as a reference value")


def decode(data):
    """Inverse of ``encode``: fresh NumPy arrays, tuples and dicts."""
    if isinstance(data, list):
        return [decode(item) for item in data]
    if isinstance(data, dict):
        if "__array__" in data:
            return np.array(data["__array__"], dtype=data["dtype"]).reshape(data["shape"])
        if "__tuple__" in data:
            return tuple(decode(item) for item in data["__tuple__"])
        return {decode(key): decode(item) for key, item in data["__dict__"]}
    return data


@lru_cache(maxsize=1)
def _stored():
    """The raw stored data, read once per process."""
    try:
        return json.loads(REFERENCE_FILE.read_text())
    except FileNotFoundError:
        raise FileNotFoundError(
            f"{REFERENCE_FILE} is missing: reinstall the course package, or regenerate it with "
            "`python3 course.py refs`.") from None


def reference(name):
    """The stored reference result of the graded function ``name`` on its case (a fresh copy).

    Parameters
    ----------
    name : str
        A graded function, e.g. ``"forward_propagation"``.
    """
    stored = _stored()
    if name not in stored:
        raise KeyError(f"no reference value for {name!r}; the stored functions are {', '.join(sorted(stored))}.")
    return decode(stored[name])


@lru_cache(maxsize=1)
def _stored_mistakes():
    """The raw stored known mistakes, read once per process (none when the file is missing)."""
    try:
        return json.loads(KNOWN_MISTAKES_FILE.read_text())
    except FileNotFoundError:
        return {}


def known_mistakes(name, part=None):
    """What known mistakes in the graded function ``name`` return on its case.

    Parameters
    ----------
    name : str
        A graded function, e.g. ``"backward_propagation"``.
    part : str or int, optional
        A key (of a dict result) or a position (of a tuple result): the mistakes are then
        given for that part only, and those that leave it as the reference has it are left out.

    Returns
    -------
    list of (value, str)
        Each mistake's result (a fresh copy) and its cause, e.g. ``"dW2 without the 1/m"``.
    """
    pairs = [(decode(value), cause) for _, cause, value in _stored_mistakes().get(name, [])]
    if part is None:
        return pairs
    expected = _part(reference(name), part)
    chosen = []
    for value, cause in pairs:
        piece = _part(value, part)
        if piece is not None and not _equal(piece, expected):
            chosen.append((piece, cause))
    return chosen


def _part(value, part):
    """``value[part]`` for a dict with that key or a tuple with that position, else None."""
    if isinstance(value, dict):
        return value.get(part)
    if isinstance(value, tuple) and isinstance(part, int) and -len(value) <= part < len(value):
        return value[part]
    return None


def _equal(a, b):
    """Whether two decoded values are the same (arrays of the same shape and entries)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape
                and bool(np.array_equal(a, b)))
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_equal(a[key], b[key]) for key in a)
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    return a == b
