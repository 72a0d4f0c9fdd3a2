"""Gradient checking by centered differences.

The functions here take a cost callable and a dict of parameters; they never compute
a network themselves. For every entry ``theta`` of every parameter the numerical
derivative is

    (cost(theta + epsilon) - cost(theta - epsilon)) / (2 epsilon)

(with the exact float distance between the two points in place of 2 epsilon)
and each analytic gradient is compared with it through the relative error
``||a - n|| / (||a|| + ||n||)`` (Frobenius norms over the whole array).

How large is "right"? Measured in float64 with ``epsilon = 1e-7`` on a correct
tanh/sigmoid 2-layer network (up to 5 inputs, 5 hidden units, 10 examples, weights of
order 0.1 to 1): median relative error about 1e-8, the largest of 2000 random cases
2.4e-6. Wrong backward passes (a missing 1/m, a wrong derivative of tanh, a missing
transpose, a sum over the wrong axis) give 1e-2 and more on such inputs. Hence the
default ``tolerance = 1e-5``. Keep the inputs small and the weights of order 0.1 or
more: with weights of 0.01 the gradients are so small that the rounding noise of the
cost alone reaches a relative error of 3e-5 on 400 examples.

A failure raises the ``AssertionError`` of ``course_utils.checks`` (``_messages._StudentFailure``):
in a notebook its traceback ends at the test cell, without the frames of this file.

>>> import numpy as np
>>> parameters = {"W": np.array([[1.0, -2.0]]), "b": np.array([[0.5]])}
>>> def cost(p):
...     return float(np.sum(p["W"] ** 2) + 3 * p["b"][0, 0])
>>> numerical = numerical_gradients(cost, parameters)
>>> sorted(numerical)
['dW', 'db']
>>> bool(np.allclose(numerical["dW"], [[2.0, -4.0]]))
True
>>> errors = check_gradients(cost, parameters, {"dW": np.array([[2.0, -4.0]]), "db": np.array([[3.0]])})
>>> all(error < 1e-7 for error in errors.values())
True
"""
import math
import numbers
from collections.abc import Mapping

import numpy as np

from ._messages import _StudentFailure

__all__ = [
    "numerical_gradients",
    "relative_error",
    "gradient_errors",
    "check_gradients",
    "DEFAULT_TOLERANCE",
    "CLEARLY_WRONG",
]

# Private references taken at import, so that a later patch of numpy does not change the check.
_array = np.array
_ndindex = np.ndindex
_float64 = np.float64
_ndarray = np.ndarray
_NUMBER_KINDS = "biuf"  # dtype kinds of booleans, integers and floats

#: relative error below which a gradient passes by default (see the module docstring)
DEFAULT_TOLERANCE = 1e-5
#: relative error above which a gradient is certainly wrong, quoted in the hints
CLEARLY_WRONG = 1e-2


def numerical_gradients(cost, parameters, epsilon=1e-7):
    """Centered-difference gradient of ``cost`` with respect to every parameter.

    Parameters
    ----------
    cost : callable
        ``cost(parameters) -> float``. It receives a fresh float64 copy of the parameters
        for every evaluation, so it may do anything with them.
    parameters : dict of str -> array
        The point where the gradient is taken, e.g. W1 (n_h, n_x), b1 (n_h, 1),
        W2 (n_y, n_h), b2 (n_y, 1). Never modified.
    epsilon : float
        The step on each side.

    Returns
    -------
    dict of str -> ndarray
        ``"d" + name`` -> float64 array of the shape of ``parameters[name]``.
    """
    base = _float_copies(parameters)
    if not (isinstance(epsilon, (int, float)) and 0 < epsilon < math.inf):
        raise ValueError(f"epsilon must be a positive number: got {epsilon!r}.")
    gradients = {}
    for name, value in base.items():
        gradient = _array(value)
        gradient.fill(0.0)
        for index in _ndindex(value.shape):
            original = value[index]
            plus, minus = original + epsilon, original - epsilon
            value[index] = plus
            cost_plus = _evaluate(cost, base)
            value[index] = minus
            cost_minus = _evaluate(cost, base)
            value[index] = original
            # the actual float distance between the two points, not 2 * epsilon
            gradient[index] = (cost_plus - cost_minus) / (plus - minus)
        gradients["d" + name] = gradient
    return gradients


def relative_error(analytic, numerical):
    """``||analytic - numerical|| / (||analytic|| + ||numerical||)``, 0.0 when both are zero.

    Parameters
    ----------
    analytic, numerical : array
        Two arrays of the same shape.

    Returns
    -------
    float
        In [0, 1]; nan when an entry is nan or infinite.

    >>> relative_error([3.0, 4.0], [3.0, 4.0])
    0.0
    >>> relative_error([1.0, 0.0], [-1.0, 0.0])
    1.0
    >>> relative_error([0.0], [0.0])
    0.0
    """
    a = _array(analytic, dtype=_float64)
    n = _array(numerical, dtype=_float64)
    if a.shape != n.shape:
        raise ValueError(f"the two gradients differ in shape: got {a.shape} and {n.shape}.")
    # scale both by the largest magnitude first: the ratio is unchanged and squares cannot overflow
    scale = max(float(abs(a).max(initial=0.0)), float(abs(n).max(initial=0.0)))
    if scale == 0.0:
        return 0.0
    if not math.isfinite(scale):
        return math.nan
    a, n = a / scale, n / scale
    difference = math.sqrt(float(((a - n) ** 2).sum()))
    return difference / (math.sqrt(float((a * a).sum())) + math.sqrt(float((n * n).sum())))


def gradient_errors(cost, parameters, grads, epsilon=1e-7, *, name="grads"):
    """Relative error of every analytic gradient against the numerical one.

    Parameters
    ----------
    cost : callable
        ``cost(parameters) -> float``.
    parameters : dict of str -> array
        e.g. W1 (n_h, n_x), b1 (n_h, 1), W2 (n_y, n_h), b2 (n_y, 1). Never modified.
    grads : dict of str -> array
        The analytic gradients: ``"d" + name`` for every parameter, each of its parameter's shape.
    epsilon : float
        The step of the centered differences.
    name : str
        How ``grads`` is called in the messages (the expression the student wrote).

    Returns
    -------
    dict of str -> float
        ``"d" + name`` -> relative error, in the order of ``parameters``.

    Raises
    ------
    AssertionError
        When ``grads`` is not a dict, lacks or adds keys, or holds an array of the wrong
        shape or with nan/inf entries; the message names the entry and gives one hint.
    """
    _assert_checking_code_intact()
    base = _float_copies(parameters)
    analytic = _validated_gradients(grads, base, name)
    numerical = numerical_gradients(cost, base, epsilon)
    return {key: relative_error(analytic[key], numerical[key]) for key in analytic}


def check_gradients(cost, parameters, grads, *, epsilon=1e-7, tolerance=DEFAULT_TOLERANCE, name="grads"):
    """Assert that every analytic gradient matches the numerical gradient of ``cost``.

    Parameters
    ----------
    cost : callable
        ``cost(parameters) -> float``.
    parameters : dict of str -> array
        e.g. W1 (n_h, n_x), b1 (n_h, 1), W2 (n_y, n_h), b2 (n_y, 1). Never modified.
    grads : dict of str -> array
        ``"d" + name`` for every parameter, each of its parameter's shape.
    epsilon : float
        The step of the centered differences.
    tolerance : float
        The largest relative error that passes.
    name : str
        How ``grads`` is called in the messages.

    Returns
    -------
    dict of str -> float
        The relative errors, as returned by :func:`gradient_errors`.

    Raises
    ------
    AssertionError
        When ``grads`` is malformed (see :func:`gradient_errors`) or when a relative error
        exceeds ``tolerance``; the message names the worst gradient.
    """
    errors = gradient_errors(cost, parameters, grads, epsilon, name=name)
    worst_key = max(errors, key=errors.get, default=None)
    if worst_key is not None and not errors[worst_key] <= tolerance:
        raise _StudentFailure(_mismatch_message(name, worst_key, errors[worst_key], tolerance))
    return errors


def _mismatch_message(name, key, error, tolerance):
    """The message for a gradient whose relative error is above the tolerance."""
    right, wrong = _threshold(tolerance), _threshold(CLEARLY_WRONG)
    if not error <= CLEARLY_WRONG:
        advice = (
            "it is wrong: look for a missing 1/m, a wrong derivative, a missing transpose or a sum over the wrong axis."
        )
    else:
        advice = (
            "it is wrong; in between look for a small mistake, "
            "such as a derivative that is almost but not exactly right."
        )
    return (
        f'{name}["{key}"] does not match the numerical gradient: got relative error {error:.1e}, '
        f"expected below {right}.\n"
        f"Hint: below {right} the gradient is right, above {wrong} {advice}"
    )


def _threshold(value):
    """A threshold in short scientific notation: 1e-05 rather than 1.0e-05."""
    short = f"{value:.0e}"
    return short if float(short) == value else f"{value:.2e}"


def _float_copies(parameters):
    """Fresh float64 copies of the parameters, in their order; TypeError when they are not arrays of numbers."""
    if not isinstance(parameters, Mapping):
        raise TypeError(f"parameters must be a dict of arrays: got {type(parameters).__name__}.")
    copies = {}
    for key, value in parameters.items():
        copy = _float_array(value)
        if copy is None:
            raise TypeError(f'parameters["{key}"] must be an array of numbers: got {type(value).__name__}.')
        copies[key] = copy
    return copies


def _float_array(value):
    """A float64 copy of ``value``, or None when it is not made of real numbers."""
    try:
        array = _array(value)
    except (TypeError, ValueError):
        return None
    if array.dtype.kind not in _NUMBER_KINDS:
        return None
    return _array(array, dtype=_float64)


def _evaluate(cost, parameters):
    """``cost`` on a fresh copy of ``parameters``, as a finite float."""
    value = cost({key: _array(array) for key, array in parameters.items()})
    if isinstance(value, _ndarray) and value.size == 1 and value.dtype.kind in _NUMBER_KINDS:
        number = float(value.reshape(-1)[0])
    elif isinstance(value, numbers.Real):
        number = float(value)
    else:
        raise ValueError(
            f"cost(parameters) did not return one number: got {type(value).__name__}, expected a float.\n"
            "Hint: the cost callable must reduce the loss over all the examples to a single float."
        )
    if not math.isfinite(number):
        raise ValueError(
            f"cost(parameters) did not return a finite number: got {number}, expected a finite float.\n"
            "Hint: a log of 0 or an overflow in the forward pass makes the cost nan or inf."
        )
    return number


def _validated_gradients(grads, parameters, name):
    """``grads`` as float64 arrays, after checking its type, keys, shapes and finiteness."""
    expected_keys = ["d" + key for key in parameters]
    if not isinstance(grads, Mapping):
        raise _StudentFailure(
            f"{name} is not a dict: got {type(grads).__name__}, expected a dict with keys {expected_keys}.\n"
            "Hint: the gradients come back as one dictionary with an entry per parameter."
        )
    if set(grads) != set(expected_keys):
        raise _StudentFailure(
            f"{name} has the wrong keys: got {list(grads)}, expected {expected_keys}.\n"
            'Hint: the gradient of a parameter is stored under its name with a leading "d" (dW1 for W1).'
        )
    arrays = {}
    for key in expected_keys:
        expected_shape = parameters[key[1:]].shape
        value = _float_array(grads[key])
        if value is None:
            raise _StudentFailure(
                f'{name}["{key}"] is not an array of numbers: got {type(grads[key]).__name__}, '
                f"expected a float array of shape {expected_shape}.\n"
                "Hint: each gradient is a NumPy array of the shape of its parameter."
            )
        if value.shape != expected_shape:
            raise _StudentFailure(
                f'{name}["{key}"] has the wrong shape: got {value.shape}, expected {expected_shape}.\n'
                f"Hint: {_shape_hint(key, value.shape, expected_shape)}"
            )
        bad = int((~_finite(value)).sum())
        if bad:
            raise _StudentFailure(
                f'{name}["{key}"] contains values that are not finite: got {bad} nan or inf '
                f"{'entry' if bad == 1 else 'entries'}, expected finite numbers.\n"
                "Hint: nan and inf usually come from an overflow or a division by zero earlier in the computation."
            )
        arrays[key] = value
    return arrays


def _finite(values):
    """Boolean mask of the finite entries, without numpy functions that could be patched."""
    return (values == values) & (abs(values) != math.inf)


def _shape_hint(key, got, expected):
    """The likely cause of a gradient of the wrong shape."""
    if len(got) == len(expected) and got == expected[::-1]:
        return "the shape is transposed: look at the order of the factors of the matrix product and their transposes."
    if len(got) < len(expected):
        return "a sum over an axis drops that axis unless it is kept."
    return f"{key} has the shape of {key[1:]}: look at the axis of each sum and the shapes of the factors."


def _assert_checking_code_intact():
    """Run the tamper check of ``course_utils.checks`` when that module is part of the package."""
    try:
        from course_utils import checks
    except ImportError as error:
        if getattr(error, "name", None) in ("course_utils.checks", "course_utils"):
            return
        raise
    assert_intact = getattr(checks, "assert_intact", None)
    if assert_intact is not None:
        assert_intact()
