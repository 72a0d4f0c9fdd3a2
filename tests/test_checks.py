"""Tests of course_utils.checks: the messages students see, and the tamper detection.

The tamper detection covers every module of the checking code: ``checks`` and the private
``_messages``, ``_integrity`` and ``_originals`` it imports.
"""

import ast
import builtins
import dis
import importlib.util
import re
import subprocess
import sys
import textwrap
import types
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import numpy.testing  # noqa: F401  (imported so that the checks watch it from the start)
import pytest

import course_utils
import course_utils._integrity as integrity
import course_utils._messages as messages
import course_utils._originals as originals
import course_utils._stand_ins as stand_ins
import course_utils.checks as checks
from course_utils.checks import (
    assert_intact,
    check_array,
    check_arrays_dict,
    check_in_range,
    check_keys,
    check_scalar,
    check_shape,
    check_type,
    check_unchanged,
    check_values_in,
    helpers_are_genuine,
    random_state_unchanged,
    snapshot,
    solutions,
    stand_in,
    unchanged,
)

CHECKS_FILE = Path(checks.__file__)
#: the files of every module the checks seal, this one last
CHECKING_FILES = [Path(namespace["__file__"]) for namespace in checks._CHECKING_CODE]
SCALAR_HINT = "Hint: a NumPy scalar is not a Python {t}: .item() turns a NumPy scalar or a 1-element array into a Python number."
ARRAY_HINT = ("Hint: an array of shape {shape} is not a Python {t}: .item() turns a NumPy scalar or a 1-element array "
              "into a Python number.")
TAMPER_HINT = "Hint: remove the code that reassigns or patches it, then restart the kernel and run all cells."


def fails_with(message, exception=AssertionError):
    """``pytest.raises`` for an `exception` whose text is exactly `message`."""
    return pytest.raises(exception, match="^" + re.escape(message) + "$")


def tampered(what):
    """``pytest.raises`` for the tamper message naming `what` (e.g. 'numpy.allclose was replaced')."""
    return fails_with(f"the checking code was modified: {what}.\n{TAMPER_HINT}")


@pytest.fixture(autouse=True)
def checking_code_restored():
    """Every test starts and ends with the checking code intact."""
    assert_intact()
    yield
    assert_intact()


# ---------------------------------------------------------------------------------------------
# check_type


@pytest.mark.parametrize("value, expected_type", [
    ({"W1": 1}, dict),
    (0.5, float),
    (3, int),
    (3, (float, int)),
    (np.zeros(2), np.ndarray),
    (True, bool),
])
def test_check_type_accepts(value, expected_type):
    check_type(value, expected_type, "x")


@pytest.mark.parametrize("value, expected_type, message", [
    ((1, 2), dict,
     "parameters has the wrong type: got tuple, expected dict.\n"
     "Hint: check what is returned and, when several values are returned, their order."),
    (None, dict,
     "parameters has the wrong type: got None, expected dict.\n"
     "Hint: a function without a return statement returns None."),
    (np.array(0.69), float,
     "parameters has the wrong type: got numpy.ndarray of shape (), expected float.\n"
     "Hint: an array of shape () is not a Python float: .item() turns a NumPy scalar or a 1-element array into a Python number."),
    (np.array([[0.69]]), float,
     "parameters has the wrong type: got numpy.ndarray of shape (1, 1), expected float.\n"
     "Hint: an array of shape (1, 1) is not a Python float: .item() turns a NumPy scalar or a 1-element array into a Python number."),
    (np.float32(0.69), float,
     "parameters has the wrong type: got numpy.float32, expected float.\n"
     "Hint: a NumPy scalar is not a Python float: .item() turns a NumPy scalar or a 1-element array into a Python number."),
    (np.float64(0.69), float,  # a float subclass, but not the Python float the course asks for
     "parameters has the wrong type: got numpy.float64, expected float.\n"
     "Hint: a NumPy scalar is not a Python float: .item() turns a NumPy scalar or a 1-element array into a Python number."),
    (np.int64(4), int,
     "parameters has the wrong type: got numpy.int64, expected int.\n"
     "Hint: a NumPy scalar is not a Python int: .item() turns a NumPy scalar or a 1-element array into a Python number."),
    (np.zeros((1, 3)), float,
     "parameters has the wrong type: got numpy.ndarray of shape (1, 3), expected float.\n"
     "Hint: a single number is expected, not an array of 3 entries."),
    (True, int,
     "parameters has the wrong type: got bool, expected int.\n"
     "Hint: a comparison gives True or False, not a number."),
    ([1.0, 2.0], np.ndarray,
     "parameters has the wrong type: got list, expected numpy.ndarray.\n"
     "Hint: a list or tuple is not a NumPy array; check the step that builds the result."),
    (np.float64(2.0), np.ndarray,
     "parameters has the wrong type: got numpy.float64, expected numpy.ndarray.\n"
     "Hint: a reduction or an indexing step may have turned the array into a single number."),
    ("4", (int, float, np.ndarray),
     "parameters has the wrong type: got str, expected int, float or numpy.ndarray.\n"
     "Hint: check what is returned and, when several values are returned, their order."),
])
def test_check_type_rejects(value, expected_type, message):
    with fails_with(message):
        check_type(value, expected_type, "parameters")


def test_a_hint_from_the_test_cell_replaces_the_default():
    with fails_with("x has the wrong type: got list, expected dict.\nHint: return the dictionary itself."):
        check_type([], dict, "x", hint="return the dictionary itself.")
    with fails_with("x has the wrong type: got list, expected dict.\nHint: already prefixed."):
        check_type([], dict, "x", hint="Hint: already prefixed.")


def test_failures_are_assertion_errors_named_so_without_chained_context():
    with pytest.raises(AssertionError) as caught:
        check_type([], dict, "x")
    assert type(caught.value).__name__ == "AssertionError"
    assert type(caught.value).__module__ == "builtins"
    assert caught.value.__suppress_context__


@pytest.mark.parametrize("value", [np.float64(0.25), np.float32(0.25), np.array(0.25), np.array([[0.25]]),
                                   np.array([0.25]), np.int64(3)])
def test_the_advice_of_the_number_hint_works(value):
    """Following the hint (.item()) gives a number that passes, on the pinned NumPy."""
    expected = int if isinstance(value, np.integer) else float
    with pytest.raises(AssertionError, match=r"\.item\(\) turns"):
        check_type(value, expected, "x")
    check_type(value.item(), expected, "x")
    check_scalar(value.item(), 3 if expected is int else 0.25, "x")


def test_float_of_a_one_by_one_array_is_refused_by_numpy_so_the_hint_does_not_advise_it():
    """``float(...)`` of a (1, 1) array raises on the pinned NumPy: the hint must not advise it."""
    with pytest.raises(TypeError):
        float(np.array([[0.25]]))
    with pytest.raises(AssertionError) as caught:
        check_type(np.array([[0.25]]), float, "x")
    assert "float(" not in str(caught.value)


# ---------------------------------------------------------------------------------------------
# check_shape


def test_check_shape_accepts_the_right_shape():
    check_shape(np.zeros((4, 1)), (4, 1), "b1")


@pytest.mark.parametrize("array, expected_shape, message", [
    (np.zeros((1, 4)), (4, 1),
     "b1 has the wrong shape: got (1, 4), expected (4, 1).\n"
     "Hint: the shape is transposed; check the order of the factors in each matrix product."),
    (np.zeros(4), (4, 1),
     "b1 has the wrong shape: got (4,), expected (4, 1).\n"
     "Hint: an axis of length 1 is missing; a reduction without keepdims=True drops it."),
    (np.zeros((5, 5)), (1, 5),
     "b1 has the wrong shape: got (5, 5), expected (1, 5).\n"
     "Hint: arrays of shapes (n, 1) and (1, n) broadcast to (n, n); check the shapes of the operands."),
    (np.zeros((3, 5)), (1, 5),
     "b1 has the wrong shape: got (3, 5), expected (1, 5).\n"
     "Hint: print the shapes of the intermediate results to find the step where the shape goes wrong."),
])
def test_check_shape_rejects(array, expected_shape, message):
    with fails_with(message):
        check_shape(array, expected_shape, "b1")


def test_check_shape_checks_the_type_first():
    with fails_with("b1 has the wrong type: got list, expected numpy.ndarray.\n"
                    "Hint: a list or tuple is not a NumPy array; check the step that builds the result."):
        check_shape([[0.0]] * 4, (4, 1), "b1")


# ---------------------------------------------------------------------------------------------
# check_array

EXPECTED_DW1 = np.array([[0.01, -0.02], [0.0246, 0.03], [-0.04, 0.05], [0.06, 0.07]])


def test_check_array_accepts_values_within_tolerance():
    check_array(EXPECTED_DW1 * (1 + 1e-7), EXPECTED_DW1, 'grads["dW1"]')
    check_array(EXPECTED_DW1 * 1.01, EXPECTED_DW1, 'grads["dW1"]', rtol=0.02)
    check_array(EXPECTED_DW1 + 1e-4, EXPECTED_DW1, 'grads["dW1"]', atol=1e-3)
    check_array(np.array([[1, 0, 1]]), np.array([[1.0, 0.0, 1.0]]), "predictions")


def test_check_array_reports_count_worst_index_both_values_and_tolerance():
    actual = EXPECTED_DW1.copy()
    actual[1, 0] = -0.0123  # the worst entry
    actual[2, 1] += 1e-3
    actual[3, 0] += 1e-4
    with fails_with('grads["dW1"] has wrong values in 3 of 8 entries: got -0.0123 at index (1, 0), '
                    'expected 0.0246 (rtol=1e-05, atol=1e-08).\n'
                    'Hint: recompute the entry at that index by hand, following the formula step by step.'):
        check_array(actual, EXPECTED_DW1, 'grads["dW1"]')


def test_check_array_shows_more_digits_when_six_do_not_tell_the_values_apart():
    with fails_with("A2 has wrong values in 1 of 1 entry: got 0.500001 at index (0, 0), expected 0.5 "
                    "(rtol=1e-07, atol=0).\n"
                    "Hint: recompute the entry at that index by hand, following the formula step by step."):
        check_array(np.array([[0.500001]]), np.array([[0.5]]), "A2", rtol=1e-7, atol=0)
    with fails_with("A2 has wrong values in 1 of 1 entry: got 0.5000001 at index (0, 0), expected 0.5 "
                    "(rtol=1e-08, atol=0).\n"
                    "Hint: recompute the entry at that index by hand, following the formula step by step."):
        check_array(np.array([[0.5000001]]), np.array([[0.5]]), "A2", rtol=1e-8, atol=0)


@pytest.mark.parametrize("factor, hint", [
    (2.0, "every value is 2 times the expected one; check for a missing or extra factor."),
    (0.0025, "every value is 0.0025 times the expected one; check for a missing or extra factor."),
    (-1.0, "every value has the opposite sign; check the sign of each term."),
    (0.0, "every entry is zero; check that the values are actually computed and returned."),
])
def test_check_array_names_a_constant_factor(factor, hint):
    with pytest.raises(AssertionError) as caught:
        check_array(EXPECTED_DW1 * factor, EXPECTED_DW1, "dW1")
    assert str(caught.value).endswith("\nHint: " + hint)


def test_check_array_checks_type_then_shape():
    with fails_with("A2 has the wrong type: got list, expected numpy.ndarray.\n"
                    "Hint: a list or tuple is not a NumPy array; check the step that builds the result."):
        check_array([[0.5, 0.5]], np.array([[0.5, 0.5]]), "A2")
    with fails_with("A2 has the wrong shape: got (2,), expected (1, 2).\n"
                    "Hint: an axis of length 1 is missing; a reduction without keepdims=True drops it."):
        check_array(np.array([0.5, 9.0]), np.array([[0.5, 0.5]]), "A2")


@pytest.mark.parametrize("actual, dtype_kind, message", [
    (np.array([[1, 2]]), "f",
     "A2 has the wrong dtype: got int64, expected a floating-point dtype.\n"
     "Hint: an array built from integers, or from a comparison, is not a floating-point array; "
     "check how it is created."),
    (np.array([[1.0, 2.0]]), "iub",
     "A2 has the wrong dtype: got float64, expected an integer or boolean dtype.\n"
     "Hint: operations such as a division give floating-point numbers; check how the values are produced."),
    (np.array([[1.0, 2.0]], dtype=object), None,
     "A2 has the wrong dtype: got object, expected a numeric dtype.\n"
     "Hint: an object array usually comes from combining arrays of different shapes, or from a list of arrays."),
    (np.array([[1 + 0j, 2]]), None,
     "A2 has the wrong dtype: got complex128, expected a numeric dtype.\n"
     "Hint: check how the array is created and which operations change its dtype."),
])
def test_check_array_checks_the_dtype(actual, dtype_kind, message):
    with fails_with(message):
        check_array(actual, np.array([[1.0, 2.0]]), "A2", dtype_kind=dtype_kind)


def test_check_array_refuses_a_dtype_kind_it_cannot_compare():
    with pytest.raises(ValueError, match="dtype_kind"):
        check_array(np.zeros(2), np.zeros(2), "A2", dtype_kind="O")


@pytest.mark.parametrize("bad_values, what, count", [
    ({(0, 1): np.nan, (0, 3): np.nan}, "NaN", 2),
    ({(0, 1): np.inf}, "inf", 1),
    ({(0, 1): np.nan, (0, 2): -np.inf}, "NaN or inf", 2),
])
def test_check_array_reports_non_finite_values(bad_values, what, count):
    expected = np.full((1, 4), 0.5)
    actual = expected.copy()
    for index, value in bad_values.items():
        actual[index] = value
    with fails_with(f"A2 contains {what} in {count} of 4 entries: got {actual[0, 1]} at index (0, 1), "
                    f"expected finite values.\n"
                    f"Hint: NaN and inf usually come from log(0), a division by zero or an overflowing exp."):
        check_array(actual, expected, "A2")


def test_check_array_accepts_non_finite_values_where_they_are_expected():
    expected = np.array([np.nan, np.inf, 1.0])
    check_array(expected.copy(), expected, "x")
    with fails_with("x has wrong values in 1 of 3 entries: got -inf at index (1,), expected inf "
                    "(rtol=1e-05, atol=1e-08).\n"
                    "Hint: recompute the entry at that index by hand, following the formula step by step."):
        check_array(np.array([np.nan, -np.inf, 1.0]), expected, "x")


def test_check_array_compares_the_values_of_an_ndarray_subclass_not_its_overrides():
    class Liar(np.ndarray):
        def __array_ufunc__(self, *args, **kwargs):
            return True

    with pytest.raises(AssertionError, match="^x has wrong values in 2 of 2 entries"):
        check_array(np.zeros(2).view(Liar), np.ones(2), "x")


# ---------------------------------------------------------------------------------------------
# check_scalar


@pytest.mark.parametrize("actual", [0.6931472, 0.69314721])
def test_check_scalar_accepts(actual):
    check_scalar(actual, 0.6931472, "compute_cost(A2, Y)")


def test_check_scalar_accepts_an_int():
    check_scalar(4, 4.0, "n_h")


@pytest.mark.parametrize("actual, message", [
    (np.array(0.69),
     "compute_cost(A2, Y) has the wrong type: got numpy.ndarray of shape (), expected float or int.\n"
     "Hint: an array of shape () is not a Python float: .item() turns a NumPy scalar or a 1-element array into a Python number."),
    (np.float64(0.6931472),
     "compute_cost(A2, Y) has the wrong type: got numpy.float64, expected float or int.\n"
     "Hint: a NumPy scalar is not a Python float: .item() turns a NumPy scalar or a 1-element array into a Python number."),
    (float("nan"),
     "compute_cost(A2, Y) is not finite: got nan, expected 0.693147.\n"
     "Hint: NaN and inf usually come from log(0), a division by zero or an overflowing exp."),
    (float("inf"),
     "compute_cost(A2, Y) is not finite: got inf, expected 0.693147.\n"
     "Hint: NaN and inf usually come from log(0), a division by zero or an overflowing exp."),
    (0.7,
     "compute_cost(A2, Y) has the wrong value: got 0.7, expected 0.693147 (rtol=1e-06, atol=1e-09).\n"
     "Hint: recompute the entry at that index by hand, following the formula step by step."),
    (-0.6931472,
     "compute_cost(A2, Y) has the wrong value: got -0.693147, expected 0.693147 (rtol=1e-06, atol=1e-09).\n"
     "Hint: every value has the opposite sign; check the sign of each term."),
])
def test_check_scalar_rejects(actual, message):
    with fails_with(message):
        check_scalar(actual, 0.6931472, "compute_cost(A2, Y)")


# ---------------------------------------------------------------------------------------------
# check_keys and check_arrays_dict

GRAD_KEYS = ["dW1", "db1", "dW2", "db2"]


def test_check_keys_accepts_the_keys_in_any_order():
    check_keys({"db2": 0, "dW2": 0, "db1": 0, "dW1": 0}, GRAD_KEYS, "grads")


@pytest.mark.parametrize("mapping, message", [
    ({"dW1": 0, "db1": 0, "dW2": 0},
     "grads is missing the key 'db2': got keys ['dW1', 'db1', 'dW2'], expected ['dW1', 'db1', 'dW2', 'db2'].\n"
     "Hint: the keys must be exactly the names given in the docstring; check their spelling."),
    ({"dW1": 0},
     "grads is missing the keys 'db1', 'dW2', 'db2': got keys ['dW1'], expected ['dW1', 'db1', 'dW2', 'db2'].\n"
     "Hint: the keys must be exactly the names given in the docstring; check their spelling."),
    ({"dW1": 0, "db1": 0, "dW2": 0, "db2": 0, "dZ2": 0},
     "grads has an unexpected key 'dZ2': got keys ['dW1', 'db1', 'dW2', 'db2', 'dZ2'], "
     "expected ['dW1', 'db1', 'dW2', 'db2'].\n"
     "Hint: the keys must be exactly the names given in the docstring; check their spelling."),
    ({"dW1": 0, "db1": 0, "dw2": 0, "db2": 0},
     "grads is missing the key 'dW2' and has an unexpected key 'dw2': got keys ['dW1', 'db1', 'dw2', 'db2'], "
     "expected ['dW1', 'db1', 'dW2', 'db2'].\n"
     "Hint: keys are case-sensitive: 'dw2' is not 'dW2'."),
    ([("dW1", 0)],
     "grads has the wrong type: got list, expected dict.\n"
     "Hint: check what is returned and, when several values are returned, their order."),
])
def test_check_keys_rejects(mapping, message):
    with fails_with(message):
        check_keys(mapping, GRAD_KEYS, "grads")


PARAMETERS = {"W1": np.full((4, 2), 0.01), "b1": np.zeros((4, 1)),
              "W2": np.full((1, 4), -0.02), "b2": np.zeros((1, 1))}


def test_check_arrays_dict_accepts_equal_dicts():
    check_arrays_dict({key: value.copy() for key, value in PARAMETERS.items()}, PARAMETERS, "parameters")


def test_check_arrays_dict_checks_keys_then_names_each_entry():
    with pytest.raises(AssertionError, match=r"^parameters is missing the key 'b2'"):
        check_arrays_dict({key: PARAMETERS[key] for key in ("W1", "b1", "W2")}, PARAMETERS, "parameters")
    actual = dict(PARAMETERS, b1=np.zeros(4))
    with fails_with('parameters["b1"] has the wrong shape: got (4,), expected (4, 1).\n'
                    "Hint: an axis of length 1 is missing; a reduction without keepdims=True drops it."):
        check_arrays_dict(actual, PARAMETERS, "parameters")


def test_check_arrays_dict_uses_the_hint_of_each_key():
    actual = dict(PARAMETERS, W2=PARAMETERS["W2"] + np.array([[0.0, 0.0, 0.0, 0.04]]))
    with fails_with('parameters["W2"] has wrong values in 1 of 4 entries: got 0.02 at index (0, 3), '
                    "expected -0.02 (rtol=1e-05, atol=1e-08).\nHint: W2 is drawn after W1."):
        check_arrays_dict(actual, PARAMETERS, "parameters", hint="unused here", hints={"W2": "W2 is drawn after W1."})
    with pytest.raises(AssertionError, match=r"\nHint: the general hint\.$"):
        check_arrays_dict(actual, PARAMETERS, "parameters", hint="the general hint.", hints={"W1": "not this one."})


# ---------------------------------------------------------------------------------------------
# check_values_in and check_in_range


def test_check_values_in_accepts_labels():
    check_values_in(np.array([[0, 1, 1, 0]]), (0, 1), "predict(parameters, X)")
    check_values_in(np.array([[True, False]]), (0, 1), "predict(parameters, X)")
    check_values_in(np.array([[0.0, 1.0]]), {0, 1}, "predict(parameters, X)")


@pytest.mark.parametrize("array, message", [
    (np.array([[0, 0.73, 1, 0.2]]),
     "predict(parameters, X) has values outside {0, 1} in 2 of 4 entries: got 0.73 at index (0, 1), "
     "expected 0 or 1.\n"
     "Hint: values between 0 and 1 look like probabilities that were not turned into labels."),
    (np.array([[0, 1, 2]]),
     "predict(parameters, X) has values outside {0, 1} in 1 of 3 entries: got 2 at index (0, 2), "
     "expected 0 or 1.\n"
     "Hint: check the last step that produces these values."),
    (np.array([[0, np.nan]]),
     "predict(parameters, X) has values outside {0, 1} in 1 of 2 entries: got nan at index (0, 1), "
     "expected 0 or 1.\n"
     "Hint: check the last step that produces these values."),
])
def test_check_values_in_rejects(array, message):
    with fails_with(message):
        check_values_in(array, (0, 1), "predict(parameters, X)")


def test_check_values_in_needs_allowed_values():
    with pytest.raises(ValueError):
        check_values_in(np.zeros(2), (), "x")


@pytest.mark.parametrize("value", [0, 100, 90.75, np.float64(50.0), np.float32(1.5), np.array([[0.0, 99.5]])])
def test_check_in_range_accepts(value):
    check_in_range(value, 0, 100, "accuracy(predictions, Y)")


@pytest.mark.parametrize("value, message", [
    (9075.0,
     "accuracy(predictions, Y) is out of range: got 9075, expected a value in [0, 100].\n"
     "Hint: check the formula and the scale (a fraction or a percentage) of the result."),
    (np.float64(-0.5),
     "accuracy(predictions, Y) is out of range: got -0.5, expected a value in [0, 100].\n"
     "Hint: check the formula and the scale (a fraction or a percentage) of the result."),
    (float("nan"),
     "accuracy(predictions, Y) is out of range: got nan, expected a value in [0, 100].\n"
     "Hint: check the formula and the scale (a fraction or a percentage) of the result."),
    (np.array([[50.0, 120.0, np.nan, -1.0]]),
     "accuracy(predictions, Y) has values out of range in 3 of 4 entries: got 120 at index (0, 1), "
     "expected values in [0, 100].\n"
     "Hint: check the formula and the scale (a fraction or a percentage) of the result."),
    ("90",
     "accuracy(predictions, Y) has the wrong type: got str, expected float, int, numpy.ndarray or numpy.number.\n"
     "Hint: check what is returned and, when several values are returned, their order."),
])
def test_check_in_range_rejects(value, message):
    with fails_with(message):
        check_in_range(value, 0, 100, "accuracy(predictions, Y)")


# ---------------------------------------------------------------------------------------------
# Non-mutation

CALL = "update_parameters(parameters, grads)"
MUTATION_HINT = "Hint: in-place operations (-=, +=, item assignment) on an input change the caller's object too."


def fresh_parameters():
    return {key: value.copy() for key, value in PARAMETERS.items()}


def test_check_unchanged_accepts_untouched_inputs_including_nan():
    parameters, costs = fresh_parameters(), [0.69, float("nan")]
    parameters["W1"][0, 0] = np.nan
    before = snapshot(parameters=parameters, costs=costs, learning_rate=1.2)
    check_unchanged(before, CALL, parameters=parameters, costs=costs, learning_rate=1.2)


def test_snapshot_is_a_deep_copy():
    parameters = fresh_parameters()
    before = snapshot(parameters=parameters)
    parameters["W1"] -= 1.0
    assert before["parameters"]["W1"][0, 0] == 0.01


def mutate_values(parameters):
    parameters["W1"] -= 1.0


def add_key(parameters):
    parameters["W3"] = np.zeros(1)


def remove_key(parameters):
    del parameters["b2"]


def transpose(parameters):
    parameters["W1"] = parameters["W1"].T


def change_dtype(parameters):
    parameters["b1"] = parameters["b1"].astype(np.float32)


def replace_by_scalar(parameters):
    parameters["b2"] = 0.0


@pytest.mark.parametrize("mutation, detail", [
    (mutate_values, 'parameters["W1"]: got 8 of 8 entries changed, expected none.'),
    (add_key, "parameters: got 1 key added ('W3'), expected none."),
    (remove_key, "parameters: got 1 key removed ('b2'), expected none."),
    (transpose, 'parameters["W1"]: got shape (2, 4), expected (4, 2) as before.'),
    (change_dtype, 'parameters["b1"]: got dtype float32, expected float64 as before.'),
    (replace_by_scalar, 'parameters["b2"]: got float, expected numpy.ndarray as before.'),
])
def test_check_unchanged_finds_the_mutation(mutation, detail):
    parameters = fresh_parameters()
    before = snapshot(parameters=parameters)
    mutation(parameters)
    with fails_with(f"{CALL} modified its input {detail}\n{MUTATION_HINT}"):
        check_unchanged(before, CALL, parameters=parameters)


def test_check_unchanged_compares_lists_and_plain_values():
    costs = [0.7, 0.6]
    before = snapshot(costs=costs, n_h=4)
    costs.append(0.5)
    with fails_with(f"nn_model(X, Y, 4) modified its input costs: got length 3, expected 2 as before.\n"
                    f"{MUTATION_HINT}"):
        check_unchanged(before, "nn_model(X, Y, 4)", costs=costs, n_h=4)
    with fails_with(f"f(n_h) modified its input n_h: got 5, expected 4 as before.\n{MUTATION_HINT}"):
        check_unchanged(before, "f(n_h)", n_h=5)


def test_check_unchanged_needs_a_snapshot_of_each_input():
    with pytest.raises(TypeError, match="'grads' was not in the snapshot"):
        check_unchanged(snapshot(parameters={}), CALL, parameters={}, grads={})


def test_unchanged_block_checks_its_inputs_at_the_end():
    parameters = fresh_parameters()
    with unchanged(CALL, parameters=parameters):
        new_parameters = {key: value - 1.0 for key, value in parameters.items()}
    assert new_parameters["W1"][0, 0] == pytest.approx(-0.99)
    with fails_with(f'{CALL} modified its input parameters["W1"]: got 8 of 8 entries changed, expected none.\n'
                    "Hint: return a new dict."):
        with unchanged(CALL, hint="return a new dict.", parameters=parameters):
            mutate_values(parameters)


def test_unchanged_block_lets_an_error_inside_it_through():
    parameters = fresh_parameters()
    with pytest.raises(ZeroDivisionError):
        with unchanged(CALL, parameters=parameters):
            mutate_values(parameters)
            1 / 0


# ---------------------------------------------------------------------------------------------
# Tamper detection


def pass_through(function):
    """A stand-in that behaves like `function`: what a careful patch would install."""
    return lambda *args, **kwargs: function(*args, **kwargs)


@contextmanager
def patched(namespace, name, value):
    """Set ``namespace[name]`` (a dict) to `value`, then put the original back."""
    original = namespace[name]
    namespace[name] = value
    try:
        yield
    finally:
        namespace[name] = original


def call_each_helper():
    """A valid call of every public helper."""
    yield lambda: assert_intact()
    yield lambda: helpers_are_genuine(check_array)
    yield lambda: check_type(1.0, float, "x")
    yield lambda: check_shape(np.zeros(2), (2,), "x")
    yield lambda: check_array(np.zeros(2), np.zeros(2), "x")
    yield lambda: check_scalar(1.0, 1.0, "x")
    yield lambda: check_keys({"a": 1}, ["a"], "x")
    yield lambda: check_arrays_dict({"a": np.zeros(1)}, {"a": np.zeros(1)}, "x")
    yield lambda: check_values_in(np.zeros(2), (0, 1), "x")
    yield lambda: check_in_range(0.5, 0, 1, "x")
    yield lambda: snapshot(x=np.zeros(2))
    yield lambda: check_unchanged(snapshot(), "f()")
    yield lambda: unchanged("f(x)", x=np.zeros(2))
    yield lambda: random_state_unchanged("f()")
    yield lambda: solutions("f", source="def f(): return 1")
    yield lambda: stand_in({}, {"f": len}, "f")()


STUDENT_PATCHES = [
    (np.__dict__, "allclose", lambda *args, **kwargs: True, "numpy.allclose"),
    (np.__dict__, "isclose", lambda *args, **kwargs: True, "numpy.isclose"),
    (np.__dict__, "array_equal", lambda *args, **kwargs: True, "numpy.array_equal"),
    (np.__dict__, "asarray", np.asanyarray, "numpy.asarray"),
    (np.__dict__, "subtract", np.add, "numpy.subtract"),
    (np.testing.__dict__, "assert_allclose", lambda *args, **kwargs: None, "numpy.testing.assert_allclose"),
    (np.testing.__dict__, "assert_array_equal", lambda *args, **kwargs: None, "numpy.testing.assert_array_equal"),
    (np.__dict__, "testing", types.ModuleType("numpy.testing"), "numpy.testing"),
    (builtins.__dict__, "isinstance", pass_through(isinstance), "builtins.isinstance"),
    (builtins.__dict__, "abs", pass_through(abs), "builtins.abs"),
    (builtins.__dict__, "__import__", pass_through(__import__), "builtins.__import__"),
    (sys.modules, "numpy", types.ModuleType("numpy"), "sys.modules['numpy']"),
    (sys.modules, "course_utils.checks", types.ModuleType("course_utils.checks"), "sys.modules['course_utils.checks']"),
    (course_utils.__dict__, "checks", types.ModuleType("course_utils.checks"), "course_utils.checks"),
    (checks.__dict__, "check_array", lambda *args, **kwargs: None, "course_utils.checks.check_array"),
    (checks.__dict__, "assert_intact", lambda: None, "course_utils.checks.assert_intact"),
    (checks.__dict__, "_subtract", np.add, "course_utils.checks._subtract"),
    (checks.__dict__, "_abs", pass_through(abs), "course_utils.checks._abs"),
    (messages.__dict__, "_either", lambda texts, last="or": "", "course_utils._messages._either"),
    (integrity.__dict__, "_looks_genuine", lambda *args: True, "course_utils._integrity._looks_genuine"),
    (originals.__dict__, "_subtract", np.add, "course_utils._originals._subtract"),
    (sys.modules, "course_utils._messages", types.ModuleType("course_utils._messages"),
     "sys.modules['course_utils._messages']"),
    (course_utils.__dict__, "_integrity", types.ModuleType("course_utils._integrity"), "course_utils._integrity"),
]


@pytest.mark.parametrize("namespace, name, value, label", STUDENT_PATCHES, ids=[p[3] for p in STUDENT_PATCHES])
def test_every_helper_detects_a_patch(namespace, name, value, label):
    with patched(namespace, name, value):
        for call in call_each_helper():
            with tampered(f"{label} was replaced"):
                call()
    for call in call_each_helper():
        call()  # intact again once the original is back


def test_the_message_names_every_change():
    with patched(np.__dict__, "allclose", lambda *args, **kwargs: True):
        with patched(builtins.__dict__, "abs", pass_through(abs)):
            with tampered("builtins.abs and numpy.allclose were replaced"):
                check_array(np.zeros(2), np.zeros(2), "x")


def test_a_deleted_reference_is_named():
    original = np.__dict__.pop("isclose")
    try:
        with tampered("numpy.isclose was deleted"):
            assert_intact()
    finally:
        np.isclose = original


def test_a_name_added_to_the_module_is_named():
    checks.__dict__["check_everything"] = lambda *args: None
    try:
        with tampered("course_utils.checks.check_everything was added"):
            assert_intact()
    finally:
        del checks.__dict__["check_everything"]


def refused(what):
    """``pytest.raises`` for the module guard's refusal naming `what`."""
    return fails_with(f"the checking code was modified: {what}.\n{TAMPER_HINT}", AttributeError)


@contextmanager
def unguarded(module):
    """`module` turned back into a plain module object for the time of the block."""
    guard = type(module)
    object.__setattr__(module, "__class__", types.ModuleType)
    try:
        yield
    finally:
        object.__setattr__(module, "__class__", guard)


def test_assigning_or_deleting_a_module_attribute_is_refused():
    with refused("course_utils.checks.check_array cannot be replaced"):
        checks.check_array = lambda *args, **kwargs: None
    with refused("course_utils.checks._abs cannot be replaced"):
        checks._abs = lambda value: 0
    with refused("course_utils.checks.check_keys cannot be deleted"):
        del checks.check_keys
    with refused("course_utils.checks.__class__ cannot be replaced"):
        checks.__class__ = types.ModuleType
    assert checks.__dict__["check_array"] is check_array


@contextmanager
def attribute_patched(target, name, value):
    original = getattr(target, name)
    setattr(target, name, value)
    try:
        yield
    finally:
        setattr(target, name, original)


def test_replaced_code_and_defaults_are_detected():
    raw_check_type = check_type.__wrapped__
    with attribute_patched(raw_check_type, "__code__", (lambda value, expected_type, name, hint=None: None).__code__):
        with tampered("course_utils.checks.check_type.__code__ was replaced"):
            check_scalar(1.0, 1.0, "x")
    raw_check_array = check_array.__wrapped__
    loose = dict(raw_check_array.__kwdefaults__, rtol=1e9)
    with attribute_patched(raw_check_array, "__kwdefaults__", loose):
        with tampered("course_utils.checks.check_array.__kwdefaults__ was replaced"):
            check_array(np.zeros(2), np.ones(2), "x")


def test_a_replaced_closure_variable_is_detected():
    cell = check_array.__closure__[[c.cell_contents for c in check_array.__closure__].index(check_array.__wrapped__)]
    with attribute_patched(cell, "cell_contents", lambda *args, **kwargs: None):
        with tampered("a closure variable of course_utils.checks was replaced"):
            check_array(np.zeros(2), np.ones(2), "x")


def test_the_guard_itself_is_watched():
    guard = type(checks)
    with attribute_patched(guard, "__setattr__", types.ModuleType.__setattr__):
        with tampered("course_utils.checks._GuardedModule.__setattr__ was replaced"):
            assert_intact()
    with unguarded(checks):
        with tampered("the class of course_utils.checks was replaced"):
            assert_intact()


def test_a_silenced_failure_in_the_messages_module_is_caught():
    """Every failure is raised by ``_messages._fail``: with its code a no-op, a wrong answer passes."""
    with attribute_patched(messages._fail, "__code__", (lambda message, hint, default_hint: None).__code__):
        check_array.__wrapped__(np.ones(2), np.zeros(2), "x")  # what the patch does without the defence
        with tampered("course_utils._messages._fail.__code__ was replaced"):
            check_array(np.ones(2), np.zeros(2), "x")


def test_a_patch_that_rewords_the_messages_is_caught():
    """A global or a default of ``_messages`` replaced changes what the student reads."""
    with patched(messages.__dict__, "_format_number", lambda value, spec=".6g": "1"):
        with pytest.raises(AssertionError, match=r"got 1 at index \(0,\), expected 1 "):
            check_array.__wrapped__(np.array([2.0]), np.array([1.0]), "x")
        with tampered("course_utils._messages._format_number was replaced"):
            check_array(np.array([2.0]), np.array([1.0]), "x")
    with attribute_patched(messages._format_number, "__defaults__", (".0e",)):
        with pytest.raises(AssertionError, match=r"^x is out of range: got 9e\+03, "):
            check_in_range.__wrapped__(9075.0, 0, 100, "x")
        with tampered("course_utils._messages._format_number.__defaults__ was replaced"):
            check_in_range(9075.0, 0, 100, "x")


def test_the_modules_the_checks_use_refuse_assignments_like_checks():
    """The module guard covers ``_messages``, ``_integrity`` and ``_originals`` too."""
    with refused("course_utils._messages._fail cannot be replaced"):
        messages._fail = lambda message, hint, default_hint: None
    with refused("course_utils._integrity._seal cannot be deleted"):
        del integrity._seal
    with refused("course_utils._originals._abs cannot be replaced"):
        originals._abs = lambda value: 0
    assert type(messages) is type(integrity) is type(originals) is type(checks)
    with unguarded(messages):
        with tampered("the class of course_utils._messages was replaced"):
            assert_intact()


def test_helpers_are_genuine_tells_a_substitute_from_a_helper():
    assert helpers_are_genuine(*[getattr(checks, name) for name in checks.__all__])
    assert not helpers_are_genuine(lambda *args, **kwargs: None)
    same_file = eval(compile("lambda *args, **kwargs: None", str(CHECKS_FILE), "eval"))
    assert same_file.__code__.co_filename == check_array.__code__.co_filename
    assert not helpers_are_genuine(check_array, same_file)
    assert not helpers_are_genuine(check_array.__wrapped__)
    with pytest.raises(TypeError):
        helpers_are_genuine()


def load_private_copy():
    """Execute checks.py again as a new module, not registered in sys.modules."""
    spec = importlib.util.spec_from_file_location("course_utils._checks_copy", CHECKS_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_copy_works_and_is_not_genuine_for_the_original():
    copy = load_private_copy()
    copy.check_array(np.zeros(2), np.zeros(2), "x")
    assert not helpers_are_genuine(copy.check_array)
    assert not copy.helpers_are_genuine(check_array)


@pytest.mark.parametrize("namespace, name, value, label", [
    (np.__dict__, "allclose", lambda *args, **kwargs: True, "numpy.allclose"),
    (np.__dict__, "subtract", np.add, "numpy.subtract"),
    (np.__dict__, "isfinite", np.frompyfunc(lambda value: True, 1, 1), "numpy.isfinite"),
    (np.testing.__dict__, "assert_allclose", lambda *args, **kwargs: None, "numpy.testing.assert_allclose"),
    (builtins.__dict__, "isinstance", pass_through(isinstance), "builtins.isinstance"),
    (builtins.__dict__, "round", builtins.abs, "builtins.round"),
    (builtins.__dict__, "float", type("float", (), {"__module__": "builtins"}), "builtins.float"),
])
def test_references_patched_before_the_import_are_caught(namespace, name, value, label):
    with patched(namespace, name, value):
        copy = load_private_copy()
    with tampered(f"{label} was replaced"):
        copy.check_array(np.zeros(2), np.zeros(2), "x")


def run_python(code):
    """Run `code` in a fresh interpreter; return its stdout."""
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                            cwd=CHECKS_FILE.parent.parent, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_numpy_testing_patched_before_its_first_check_is_caught():
    output = run_python("""
        import sys
        import numpy as np
        import course_utils.checks as checks
        assert "numpy.testing" not in sys.modules  # importing the checks does not load it
        np.testing.assert_allclose = lambda *args, **kwargs: None  # loads numpy.testing, then patches it
        try:
            checks.assert_intact()
        except AssertionError as error:
            print(error)
    """)
    assert output == f"the checking code was modified: numpy.testing.assert_allclose was replaced.\n{TAMPER_HINT}\n"


def test_a_reload_leaves_the_old_helpers_failing_and_catches_earlier_patches():
    output = run_python("""
        import importlib
        import numpy as np
        import course_utils.checks as checks
        from course_utils.checks import check_array
        np.subtract = np.add
        importlib.reload(checks)
        for helper in (check_array, checks.check_array):
            try:
                helper(np.zeros(2), np.zeros(2), "x")
            except AssertionError as error:
                print(str(error).splitlines()[0])
    """)
    old_helper, new_helper = output.splitlines()
    assert old_helper.startswith("the checking code was modified: numpy.subtract, course_utils.checks.")
    assert new_helper == "the checking code was modified: numpy.subtract was replaced."


def test_a_patch_of_the_integrity_module_cannot_blind_the_first_capture_of_numpy_testing():
    """``numpy.testing`` is captured, and checked to be genuine, at the first check after it loads.

    A ``_looks_genuine`` that says yes to everything would let a fake through that capture for
    good; the capture waits until ``_integrity`` is intact, so the fake is caught once it is back.
    """
    output = run_python("""
        import numpy as np
        import course_utils._integrity as integrity
        import course_utils.checks as checks
        genuine = integrity._looks_genuine
        integrity.__dict__["_looks_genuine"] = lambda *args: True
        np.testing.assert_allclose = lambda *args, **kwargs: None  # loads numpy.testing, then patches it
        blind = integrity._Watch("course_utils.checks")
        blind.capture_testing()
        print(blind.compromised)  # what the patch does without the defence: nothing is compromised
        for _ in range(2):
            try:
                checks.assert_intact()
            except AssertionError as error:
                print(str(error).splitlines()[0])
            integrity.__dict__["_looks_genuine"] = genuine
    """)
    assert output.splitlines() == [
        "[]",
        "the checking code was modified: course_utils._integrity._looks_genuine was replaced.",
        "the checking code was modified: numpy.testing.assert_allclose was replaced.",
    ]


def test_every_module_the_checks_import_is_sealed():
    """The modules of course_utils that the checking code imports are the modules it seals."""
    imported = {"checks"}
    for path in CHECKING_FILES:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                imported.update([node.module] if node.module else [alias.name for alias in node.names])
    assert imported == {path.stem for path in CHECKING_FILES}
    assert CHECKING_FILES[-1] == CHECKS_FILE


@pytest.mark.parametrize("path", CHECKING_FILES, ids=[path.stem for path in CHECKING_FILES])
def test_helpers_look_up_no_builtin_or_numpy_name_when_they_run(path):
    """Every function body uses the references captured at import, never a global builtin name."""
    code = compile(path.read_text(), str(path), "exec")
    offenders = []

    def visit(code_object):
        for constant in code_object.co_consts:
            if isinstance(constant, types.CodeType):
                if constant.co_flags & 0x1:  # CO_OPTIMIZED: a function body, not the module or a class
                    offenders.extend(
                        (constant.co_qualname, instruction.argval)
                        for instruction in dis.get_instructions(constant)
                        if instruction.opname in ("LOAD_GLOBAL", "LOAD_NAME")
                        and (instruction.argval in dir(builtins) or instruction.argval == "_np"))
                visit(constant)

    visit(code)
    assert offenders == []


def test_helpers_pass_in_a_jupyter_kernel_and_fail_with_a_short_traceback():
    """IPython and ipykernel change some builtins; none of the watched ones."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in (
        "import numpy as np\nimport numpy.testing\n"
        "from course_utils.checks import assert_intact, check_array, helpers_are_genuine",
        "assert_intact()\ncheck_array(np.ones(2), np.ones(2), 'x')\nprint(helpers_are_genuine(check_array))",
        "check_array(np.ones(2) * 2, np.ones(2), 'A2')",
    )]
    client = nbclient.NotebookClient(notebook, kernel_name="python3", allow_errors=True, timeout=60,
                                     resources={"metadata": {"path": str(CHECKS_FILE.parent.parent)}})
    client.execute()
    assert notebook.cells[1].outputs[0]["text"] == "True\n"
    error = notebook.cells[2].outputs[0]
    assert error["ename"] == "AssertionError"
    assert error["evalue"].startswith("A2 has wrong values in 2 of 2 entries")
    frames = [line for line in error["traceback"] if "File " in line]
    assert frames == []  # no frame of course_utils: the test cell's line, the message, the hint
    plain = re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(error["traceback"]))
    assert "check_array(np.ones(2) * 2, np.ones(2), 'A2')" in plain


# ---------------------------------------------------------------------------------------------
# Which hint a failure gets: the layer that failed, known mistakes, factors


def test_the_hint_of_the_test_cell_is_for_values_only():
    """A type or shape failure gets the hint of its own layer, never the values hint of the cell."""
    with fails_with("compute_cost(A2, Y) has the wrong type: got numpy.ndarray of shape (1, 1), expected float or int.\n"
                    + ARRAY_HINT.format(shape="(1, 1)", t="float")):
        check_scalar(np.array([[0.7]]), 0.69, "compute_cost(A2, Y)", hint="check the sign and the factor 1/m.")
    with fails_with('grads["dW1"] has the wrong shape: got (2, 4), expected (4, 2).\n'
                    "Hint: the shape is transposed; check the order of the factors in each matrix product."):
        check_array(np.zeros((2, 4)), np.ones((4, 2)), 'grads["dW1"]', hint="check the factor 1/m.")
    with pytest.raises(AssertionError, match=r"wrong dtype: got bool.*\nHint: a comparison gives an array of booleans"):
        check_array(np.array([[True, False]]), np.array([[1, 0]]), "predict(parameters, X)", dtype_kind="iu",
                    hint="predict 1 where A2 is above 0.5.")
    with pytest.raises(AssertionError, match=r"wrong type: got numpy.ndarray.*\nHint: (?!a comparison)"):
        check_scalar(np.array([[65.0]]), 65.0, "accuracy(predictions, Y)", hint="a comparison does not care.")


def test_a_constant_factor_is_named_before_the_hint_of_the_cell():
    with pytest.raises(AssertionError, match=r"\nHint: every value is 3 times the expected one"):
        check_array(np.array([[3.0, 6.0, -9.0]]), np.array([[1.0, 2.0, -3.0]]), "dW1", hint="the tanh derivative.")
    with pytest.raises(AssertionError, match=r"\nHint: the tanh derivative\.$"):
        check_array(np.array([[3.0, 2.0, -3.0]]), np.array([[1.0, 2.0, -3.0]]), "dW1", hint="the tanh derivative.")


def test_a_known_mistake_is_named_before_any_other_hint():
    known = [(np.array([[9.0, 9.0]]), "not this one"), (np.array([[3.0, 6.0]]), "dW1 without the 1/m")]
    with fails_with("dW1 has wrong values in 2 of 2 entries: got 6 at index (0, 1), expected 2 "
                    "(rtol=1e-05, atol=1e-08).\nHint: these are the values of a known mistake: dW1 without the 1/m."):
        check_array(np.array([[3.0, 6.0]]), np.array([[1.0, 2.0]]), "dW1", hint="the tanh derivative.", known=known)
    with pytest.raises(AssertionError, match=r"\nHint: the tanh derivative\.$"):
        check_array(np.array([[3.0, 5.0]]), np.array([[1.0, 2.0]]), "dW1", hint="the tanh derivative.", known=known)
    with pytest.raises(AssertionError, match=r"known mistake: a fraction instead of a percentage\.$"):
        check_scalar(0.65, 65.0, "accuracy(predictions, Y)", known=[(0.65, "a fraction instead of a percentage")])
    known_dicts = [({"W1": np.ones((1, 2)), "b1": np.full((1, 1), 7.0)}, "b1 drawn at random")]
    with pytest.raises(AssertionError, match=r'(?s)^parameters\["b1"\].*known mistake: b1 drawn at random\.$'):
        check_arrays_dict({"W1": np.ones((1, 2)), "b1": np.full((1, 1), 7.0)},
                          {"W1": np.ones((1, 2)), "b1": np.zeros((1, 1))}, "parameters", known=known_dicts)


# ---------------------------------------------------------------------------------------------
# solutions and stand_in: the course's solutions in place of the student's for one test cell

SOLUTION_SOURCE = "import numpy as np\ndef sigmoid(z):\n    return 1 / (1 + np.exp(-z))\n" \
                  "def forward(z):\n    return sigmoid(2 * z)\n"


def in_a_cell(source, namespace):
    """Run `source` as IPython runs a cell: module-level code of a file of its own."""
    exec(compile(source, "<a test cell>", "exec"), namespace)
    return namespace


def test_solutions_come_from_their_source_and_use_each_other_there():
    found = solutions("sigmoid", "forward", source=SOLUTION_SOURCE)
    cell = in_a_cell("half = found['forward'](0.0)\nsigmoid = found['sigmoid']", {"found": found})
    assert cell["half"] == 0.5  # its sigmoid is the one beside it, not the notebook's
    assert list(found) == ["sigmoid", "forward"] and "forward" in found and len(found) == 2
    with pytest.raises(AttributeError, match="cannot be changed"):
        found._get = dict.get
    assert in_a_cell("same = found['sigmoid']", {"found": solutions("sigmoid", source=cell)})["same"] \
        is cell["sigmoid"]


def test_a_graded_function_cannot_use_the_solutions_a_test_cell_holds():
    """A student's function that calls the solution it should have written fails instead."""
    found = solutions("forward", source=SOLUTION_SOURCE)
    answer = {"found": found}
    exec(compile("def forward(z):\n    return found['forward'](z)", "<an answer cell>", "exec"), answer)
    with pytest.raises(LookupError, match="for the test cell that asked for them: a graded function cannot"):
        in_a_cell("result = forward(0.0)", {"forward": answer["forward"]})
    # nor through a stand-in of its own
    exec(compile("def forward(z):\n    own = {}\n    checks.stand_in(own, found, 'forward')\n"
                 "    return own['forward'](z)", "<an answer cell>", "exec"), {**answer, "checks": checks})
    with pytest.raises(LookupError, match="a graded function cannot use them"):
        in_a_cell("result = forward(0.0)", {"forward": answer["forward"]})
    # a function of the test cell itself may (a recording stand-in)
    cell = in_a_cell("def recording(z):\n    return found['forward'](z)\nresult = student(recording)",
                     {"found": found, "student": lambda f: f(0.0)})
    assert cell["result"] == 0.5
    with pytest.raises(LookupError):  # nor a function with no cell around it
        found["forward"]


def test_solutions_name_what_is_missing_or_wrong():
    with pytest.raises(ValueError, match=r"^solutions\(\): relu is not a function of the source written in"):
        solutions("sigmoid", "relu", source=SOLUTION_SOURCE)
    with pytest.raises(ValueError, match=r"relu is not a function of this notebook"):
        solutions("relu", source={"relu": 1})
    with pytest.raises(TypeError, match=r"takes the notebook's globals\(\) or the Python source"):
        solutions("relu", source=["relu"])
    with pytest.raises(TypeError, match="at least one graded function"):
        solutions(source=SOLUTION_SOURCE)


def test_stand_in_replaces_names_and_puts_back_what_was_there_or_nothing():
    student = lambda z: "the student's"  # noqa: E731
    namespace = {"sigmoid": student, "found": solutions("sigmoid", "forward", source=SOLUTION_SOURCE),
                 "checks": checks}
    in_a_cell("restore = checks.stand_in(globals(), found, 'sigmoid', 'forward')\n"
              "stood = sigmoid is found['sigmoid'] and forward is found['forward']", namespace)
    assert namespace["stood"] is True
    namespace["forward"] = print  # a later stand-in of its own (a recording function) is undone too
    restore = namespace.pop("restore")
    restore()
    assert {name: namespace[name] for name in ("sigmoid",)} == {"sigmoid": student} and "forward" not in namespace
    restore()  # a second call changes nothing
    assert namespace["sigmoid"] is student
    with pytest.raises(ValueError, match=r"no solution of relu; add it to the names given to solutions\(\)"):
        stand_in(namespace, namespace["found"], "relu")
    with pytest.raises(TypeError, match=r"takes the notebook's globals\(\) first"):
        stand_in([], {}, "sigmoid")


def test_a_patched_stand_in_module_is_caught():
    """``_stand_ins`` is sealed with the checks: a no-op in place of its code would keep the student's."""
    with attribute_patched(stand_ins._stand_in, "__code__", (lambda namespace, solutions, names: None).__code__):
        with tampered("course_utils._stand_ins._stand_in.__code__ was replaced"):
            stand_in({}, {"f": len}, "f")
    with refused("course_utils._stand_ins._solutions cannot be replaced"):
        stand_ins._solutions = lambda names, source: {}


def test_stand_ins_end_with_the_ipython_cell_even_when_it_fails():
    """Run in a kernel: a failing test cell still gives the student's functions back, last stand-in first."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in (
        "def sigmoid(z):\n    return 'the student\\'s'",
        "from course_utils import checks\n"
        f"found = checks.solutions('sigmoid', 'forward', source={SOLUTION_SOURCE!r})\n"
        "checks.stand_in(globals(), found, 'sigmoid', 'forward')\n"
        "checks.stand_in(globals(), {'sigmoid': print}, 'sigmoid')\n"
        "assert sigmoid is print and float(forward(0.0)) == 0.5\n"
        "raise AssertionError('a failing test')",
        "print(sigmoid(0), 'forward' in globals())",
    )]
    client = nbclient.NotebookClient(notebook, kernel_name="python3", allow_errors=True, timeout=60,
                                     resources={"metadata": {"path": str(CHECKS_FILE.parent.parent)}})
    client.execute()
    assert notebook.cells[1].outputs[-1]["evalue"] == "a failing test"
    assert notebook.cells[2].outputs[0]["text"] == "the student's False\n"


# ---------------------------------------------------------------------------------------------
# random_state_unchanged


def test_random_state_unchanged_fails_a_call_that_draws_from_the_global_generator_and_puts_it_back():
    np.random.seed(5)
    expected_next = np.random.RandomState(5).randn(3)
    with fails_with("draw(seed=0) changed NumPy's global random state: got a different state after the call, "
                    "expected the state it had before.\nHint: np.random.seed and the np.random functions use "
                    "and change the random state shared by all code: draw from a generator of your own, "
                    "np.random.RandomState(seed)."):
        with random_state_unchanged("draw(seed=0)"):
            np.random.seed(0)
    assert np.array_equal(np.random.randn(3), expected_next)  # put back as it was
    with pytest.raises(AssertionError, match=r"before\.\nHint: use a generator of your own\.$"):
        with random_state_unchanged("draw()", hint="use a generator of your own."):
            np.random.rand()
    with random_state_unchanged("draw(seed=0)"):
        np.random.RandomState(0).randn(3)
    with pytest.raises(KeyError):  # an error inside the block is reported as it is
        with random_state_unchanged("draw()"):
            np.random.rand()
            raise KeyError("W1")
