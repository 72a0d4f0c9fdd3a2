"""Tests of course_utils.gradcheck against a reference 2-layer network written here.

The network (tanh hidden layer, sigmoid output, mean binary cross-entropy) is a test
helper only; course_utils never implements it. Planted bugs are the mistakes students
make in backward propagation.
"""
import re
import sys
from pathlib import Path

import numpy as np
import pytest

import course_utils
from course_utils.gradcheck import (
    CLEARLY_WRONG,
    DEFAULT_TOLERANCE,
    check_gradients,
    gradient_errors,
    numerical_gradients,
    relative_error,
)

# ---------------------------------------------------------------- the reference network (test helper)


def random_network(n_x, n_h, m, scale=0.5, seed=0):
    """X (n_x, m), Y (1, m) of 0/1 labels and parameters W1 (n_h, n_x), b1 (n_h, 1), W2 (1, n_h), b2 (1, 1)."""
    rng = np.random.RandomState(seed)
    X = rng.randn(n_x, m)
    Y = (rng.rand(1, m) > 0.5).astype(float)
    parameters = {
        "W1": rng.randn(n_h, n_x) * scale,
        "b1": rng.randn(n_h, 1) * scale,
        "W2": rng.randn(1, n_h) * scale,
        "b2": rng.randn(1, 1) * scale,
    }
    return X, Y, parameters


def forward(X, parameters):
    """A2 (1, m) and the cache Z1, A1 (n_h, m), Z2, A2 (1, m)."""
    Z1 = parameters["W1"] @ X + parameters["b1"]
    A1 = np.tanh(Z1)
    Z2 = parameters["W2"] @ A1 + parameters["b2"]
    A2 = 1 / (1 + np.exp(-Z2))
    return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}


def mean_cross_entropy(A2, Y):
    """Mean binary cross-entropy of A2 (1, m) against Y (1, m)."""
    m = Y.shape[1]
    return float(-np.sum(Y * np.log(A2) + (1 - Y) * np.log(1 - A2)) / m)


def cost_function(X, Y):
    """parameters -> cost of the network on X, Y."""
    return lambda parameters: mean_cross_entropy(forward(X, parameters)[0], Y)


def backward(parameters, X, Y, bug=None):
    """The gradients dW1, db1, dW2, db2, right or with one planted bug."""
    m = X.shape[1]
    _, cache = forward(X, parameters)
    A1, A2 = cache["A1"], cache["A2"]
    dZ2 = A2 - Y  # (1, m)
    dW2 = dZ2 @ A1.T if bug == "dW2 without 1/m" else dZ2 @ A1.T / m
    db2 = np.sum(dZ2, axis=1, keepdims=True) / m
    if bug == "tanh derivative 1 - A1":
        dZ1 = (parameters["W2"].T @ dZ2) * (1 - A1)
    else:
        dZ1 = (parameters["W2"].T @ dZ2) * (1 - A1**2)  # (n_h, m)
    dW1 = X @ dZ1.T / m if bug == "dW1 transposed" else dZ1 @ X.T / m
    if bug == "db1 summed over examples axis 0":
        db1 = np.sum(dZ1, axis=0, keepdims=True).T / m  # (m, 1): right shape only when m == n_h
    else:
        db1 = np.sum(dZ1, axis=1, keepdims=True) / m
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}


def copies(parameters):
    return {key: value.copy() for key, value in parameters.items()}


CLEARLY_WRONG_HINT = (
    "Hint: below 1e-05 the gradient is right, above 1e-02 it is wrong: look for a missing 1/m, "
    "a wrong derivative, a missing transpose or a sum over the wrong axis."
)


def mismatch_pattern(key, hint=CLEARLY_WRONG_HINT):
    """The whole mismatch message, with the relative error left as a number to read back."""
    return (
        re.escape(f'grads["{key}"] does not match the numerical gradient: got relative error ')
        + r"(\d\.\de[-+]\d\d)"
        + re.escape(", expected below 1e-05.\n" + hint)
    )


# ---------------------------------------------------------------- right gradients pass


def test_right_gradient_is_accepted_and_errors_are_returned_in_parameter_order():
    X, Y, parameters = random_network(2, 4, 3)
    errors = check_gradients(cost_function(X, Y), parameters, backward(parameters, X, Y))
    assert list(errors) == ["dW1", "db1", "dW2", "db2"]
    assert all(isinstance(error, float) for error in errors.values())
    assert max(errors.values()) < 1e-7


@pytest.mark.parametrize("scale", [0.1, 0.5, 1.0])
@pytest.mark.parametrize("sizes", [(2, 4, 3), (3, 5, 7), (4, 4, 4)])
def test_right_gradient_passes_with_a_wide_margin_on_small_inputs(sizes, scale):
    worst = 0.0
    for seed in range(10):
        X, Y, parameters = random_network(*sizes, scale=scale, seed=seed)
        errors = gradient_errors(cost_function(X, Y), parameters, backward(parameters, X, Y))
        worst = max(worst, *errors.values())
    assert worst < DEFAULT_TOLERANCE / 5


def test_default_tolerance_sits_between_right_and_clearly_wrong():
    assert 1e-7 < DEFAULT_TOLERANCE < CLEARLY_WRONG


# ---------------------------------------------------------------- planted bugs are flagged


@pytest.mark.parametrize(
    "bug, worst_key",
    [
        ("tanh derivative 1 - A1", "dW1"),
        ("dW1 transposed", "dW1"),
        ("db1 summed over examples axis 0", "db1"),
    ],
)
def test_planted_bug_is_flagged_with_the_worst_gradient_named(bug, worst_key):
    X, Y, parameters = random_network(4, 4, 4)  # square shapes: the bugs keep the right shapes
    grads = backward(parameters, X, Y, bug=bug)
    with pytest.raises(AssertionError) as raised:
        check_gradients(cost_function(X, Y), parameters, grads)
    match = re.fullmatch(mismatch_pattern(worst_key), str(raised.value))
    assert match, str(raised.value)
    assert float(match.group(1)) > CLEARLY_WRONG


def test_missing_one_over_m_is_flagged_with_its_exact_relative_error():
    X, Y, parameters = random_network(2, 4, 4)
    grads = backward(parameters, X, Y, bug="dW2 without 1/m")
    with pytest.raises(AssertionError) as raised:
        check_gradients(cost_function(X, Y), parameters, grads)
    # m * g against g: (m - 1) / (m + 1) = 0.6 for m = 4
    assert str(raised.value) == (
        'grads["dW2"] does not match the numerical gradient: got relative error 6.0e-01, expected below 1e-05.\n'
        + CLEARLY_WRONG_HINT
    )


def test_small_mistake_gets_the_in_between_hint():
    X, Y, parameters = random_network(2, 4, 3)
    grads = backward(parameters, X, Y)
    grads["db1"] = grads["db1"] * 1.001  # relative error 0.001 / 2.001
    with pytest.raises(AssertionError) as raised:
        check_gradients(cost_function(X, Y), parameters, grads)
    assert str(raised.value) == (
        'grads["db1"] does not match the numerical gradient: got relative error 5.0e-04, expected below 1e-05.\n'
        "Hint: below 1e-05 the gradient is right, above 1e-02 it is wrong; in between look for a small mistake, "
        "such as a derivative that is almost but not exactly right."
    )


def test_name_and_tolerance_appear_in_the_message():
    X, Y, parameters = random_network(2, 4, 3)
    grads = backward(parameters, X, Y)
    grads["db2"] = grads["db2"] * 1.001
    with pytest.raises(AssertionError) as raised:
        check_gradients(cost_function(X, Y), parameters, grads, tolerance=2.5e-7, name="my_grads")
    assert str(raised.value).startswith(
        'my_grads["db2"] does not match the numerical gradient: got relative error 5.0e-04, expected below 2.50e-07.\n'
        "Hint: below 2.50e-07 the gradient is right, above 1e-02 it is wrong; in between"
    )


def test_a_looser_tolerance_lets_a_small_mistake_pass():
    X, Y, parameters = random_network(2, 4, 3)
    grads = backward(parameters, X, Y)
    grads["db1"] = grads["db1"] * 1.001
    errors = check_gradients(cost_function(X, Y), parameters, grads, tolerance=1e-3)
    assert 4e-4 < errors["db1"] < 6e-4


# ---------------------------------------------------------------- malformed grads


@pytest.fixture
def network():
    X, Y, parameters = random_network(2, 4, 3)
    return cost_function(X, Y), parameters, backward(parameters, X, Y)


def test_grads_that_is_not_a_dict(network):
    cost, parameters, grads = network
    with pytest.raises(AssertionError) as raised:
        check_gradients(cost, parameters, list(grads.values()))
    assert str(raised.value) == (
        "grads is not a dict: got list, expected a dict with keys ['dW1', 'db1', 'dW2', 'db2'].\n"
        "Hint: the gradients come back as one dictionary with an entry per parameter."
    )


@pytest.mark.parametrize(
    "change, shown",
    [
        (lambda grads: grads.pop("db2"), "['dW1', 'db1', 'dW2']"),
        (lambda grads: grads.update(dZ1=np.zeros((4, 3))), "['dW1', 'db1', 'dW2', 'db2', 'dZ1']"),
    ],
)
def test_missing_or_extra_keys(network, change, shown):
    cost, parameters, grads = network
    change(grads)
    with pytest.raises(AssertionError) as raised:
        gradient_errors(cost, parameters, grads)
    assert str(raised.value) == (
        f"grads has the wrong keys: got {shown}, expected ['dW1', 'db1', 'dW2', 'db2'].\n"
        'Hint: the gradient of a parameter is stored under its name with a leading "d" (dW1 for W1).'
    )


def test_keys_named_like_the_parameters(network):
    cost, parameters, grads = network
    renamed = {key[1:]: value for key, value in grads.items()}
    with pytest.raises(AssertionError, match=re.escape("got ['W1', 'b1', 'W2', 'b2'], expected ['dW1'")):
        check_gradients(cost, parameters, renamed, name="gradients")
    with pytest.raises(AssertionError) as raised:
        check_gradients(cost, parameters, renamed, name="gradients")
    assert str(raised.value).startswith("gradients has the wrong keys: ")


@pytest.mark.parametrize(
    "key, value, got, hint",
    [
        (
            "dW1",
            np.zeros((2, 4)),
            (2, 4),
            "the shape is transposed: look at the order of the factors of the matrix product and their transposes.",
        ),
        ("db1", np.zeros(4), (4,), "a sum over an axis drops that axis unless it is kept."),
        (
            "db1",
            np.zeros((1, 3)),
            (1, 3),
            "db1 has the shape of b1: look at the axis of each sum and the shapes of the factors.",
        ),
    ],
)
def test_wrong_shapes(network, key, value, got, hint):
    cost, parameters, grads = network
    grads[key] = value
    with pytest.raises(AssertionError) as raised:
        check_gradients(cost, parameters, grads)
    expected = parameters[key[1:]].shape
    assert str(raised.value) == (
        f'grads["{key}"] has the wrong shape: got {got}, expected {expected}.\nHint: {hint}'
    )


@pytest.mark.parametrize("value, type_name", [(None, "NoneType"), ("0.1", "str"), ({"a": 1}, "dict")])
def test_gradient_that_is_not_an_array_of_numbers(network, value, type_name):
    cost, parameters, grads = network
    grads["dW2"] = value
    with pytest.raises(AssertionError) as raised:
        check_gradients(cost, parameters, grads)
    assert str(raised.value) == (
        f'grads["dW2"] is not an array of numbers: got {type_name}, expected a float array of shape (1, 4).\n'
        "Hint: each gradient is a NumPy array of the shape of its parameter."
    )


@pytest.mark.parametrize(
    "bad_values, shown", [([np.nan], "1 nan or inf entry"), ([np.inf, -np.inf], "2 nan or inf entries")]
)
def test_gradient_with_nan_or_inf(network, bad_values, shown):
    cost, parameters, grads = network
    grads["dW1"] = grads["dW1"].copy()
    grads["dW1"].flat[: len(bad_values)] = bad_values
    with pytest.raises(AssertionError) as raised:
        check_gradients(cost, parameters, grads)
    assert str(raised.value) == (
        f'grads["dW1"] contains values that are not finite: got {shown}, expected finite numbers.\n'
        "Hint: nan and inf usually come from an overflow or a division by zero earlier in the computation."
    )


def test_lists_and_integer_arrays_are_accepted_as_gradients():
    parameters = {"w": np.array([[1.0, 2.0]])}
    errors = check_gradients(lambda p: float(np.sum(p["w"] ** 2)), parameters, {"dw": [[2, 4]]})
    assert errors["dw"] < 1e-9


# ---------------------------------------------------------------- nothing of the caller is modified


def test_callers_parameters_and_grads_are_not_mutated(network):
    cost, parameters, grads = network
    parameters_before, grads_before = copies(parameters), copies(grads)
    arrays_before = {key: id(value) for key, value in parameters.items()}
    check_gradients(cost, parameters, grads)
    numerical_gradients(cost, parameters)
    assert {key: id(value) for key, value in parameters.items()} == arrays_before
    for key in parameters:
        np.testing.assert_array_equal(parameters[key], parameters_before[key])
    for key in grads:
        np.testing.assert_array_equal(grads[key], grads_before[key])


def test_a_cost_that_modifies_its_argument_changes_neither_the_caller_nor_the_result():
    parameters = {"w": np.array([1.0, -3.0])}

    def vandal_cost(p):
        value = float(np.sum(p["w"] ** 2))
        p["w"] *= 100
        p["extra"] = 1
        return value

    numerical = numerical_gradients(vandal_cost, parameters)
    np.testing.assert_array_equal(parameters["w"], [1.0, -3.0])
    assert list(parameters) == ["w"]
    np.testing.assert_allclose(numerical["dw"], [2.0, -6.0], rtol=1e-6)


# ---------------------------------------------------------------- numerical_gradients


def test_numerical_gradients_of_a_known_function():
    parameters = {"A": np.array([[1.0, 2.0], [3.0, -1.0]]), "c": np.array([[0.5]]), "k": np.array([[2, 3]])}

    def cost(p):
        return float(np.sum(p["A"] ** 3) + np.sin(p["c"][0, 0]) + np.sum(p["k"] * p["A"][0]))

    numerical = numerical_gradients(cost, parameters)
    assert list(numerical) == ["dA", "dc", "dk"]
    assert numerical["dk"].dtype == np.float64  # integer parameters are differentiated as floats
    np.testing.assert_allclose(numerical["dA"], 3 * parameters["A"] ** 2 + [[2, 3], [0, 0]], rtol=1e-6)
    np.testing.assert_allclose(numerical["dc"], [[np.cos(0.5)]], rtol=1e-6)
    np.testing.assert_allclose(numerical["dk"], [[1.0, 2.0]], rtol=1e-6)


def test_numerical_gradients_match_the_reference_backward_pass():
    X, Y, parameters = random_network(3, 5, 7)
    numerical = numerical_gradients(cost_function(X, Y), parameters)
    analytic = backward(parameters, X, Y)
    for key in analytic:
        assert numerical[key].shape == parameters[key[1:]].shape
        np.testing.assert_allclose(numerical[key], analytic[key], rtol=1e-5, atol=1e-9)


def test_the_cost_may_return_a_one_element_array_or_a_numpy_scalar():
    parameters = {"w": np.array([2.0])}
    for cost in (lambda p: p["w"] ** 2, lambda p: np.float32(p["w"][0] ** 2), lambda p: (p["w"] ** 2).reshape(1, 1)):
        np.testing.assert_allclose(numerical_gradients(cost, parameters, epsilon=1e-4)["dw"], [4.0], rtol=1e-3)


@pytest.mark.parametrize(
    "cost, message",
    [
        (
            lambda p: None,
            "cost(parameters) did not return one number: got NoneType, expected a float.\n"
            "Hint: the cost callable must reduce the loss over all the examples to a single float.",
        ),
        (
            lambda p: p["w"] * 2,
            "cost(parameters) did not return one number: got ndarray, expected a float.\n"
            "Hint: the cost callable must reduce the loss over all the examples to a single float.",
        ),
        (
            lambda p: float(np.log(p["w"][0] - 1)),
            "cost(parameters) did not return a finite number: got nan, expected a finite float.\n"
            "Hint: a log of 0 or an overflow in the forward pass makes the cost nan or inf.",
        ),
    ],
)
def test_a_cost_that_does_not_return_a_finite_number(cost, message):
    with np.errstate(all="ignore"), pytest.raises(ValueError) as raised:
        numerical_gradients(cost, {"w": np.array([0.5, 1.0])})
    assert str(raised.value) == message


@pytest.mark.parametrize("epsilon", [0, -1e-7, float("nan"), float("inf"), "1e-7"])
def test_epsilon_must_be_positive(epsilon):
    with pytest.raises(ValueError) as raised:
        numerical_gradients(lambda p: 0.0, {"w": np.zeros(1)}, epsilon=epsilon)
    assert str(raised.value) == f"epsilon must be a positive number: got {epsilon!r}."


@pytest.mark.parametrize(
    "parameters, message",
    [
        ([np.zeros(2)], "parameters must be a dict of arrays: got list."),
        ({"W1": "abc"}, 'parameters["W1"] must be an array of numbers: got str.'),
        ({"W1": None}, 'parameters["W1"] must be an array of numbers: got NoneType.'),
    ],
)
def test_parameters_must_be_a_dict_of_arrays(parameters, message):
    with pytest.raises(TypeError) as raised:
        numerical_gradients(lambda p: 0.0, parameters)
    assert str(raised.value) == message


# ---------------------------------------------------------------- relative_error


def test_relative_error_values():
    assert relative_error([3.0, 4.0], [3.0, 4.0]) == 0.0
    assert relative_error(np.zeros((2, 2)), np.zeros((2, 2))) == 0.0
    assert relative_error([1.0, 0.0], [-1.0, 0.0]) == 1.0
    assert relative_error([[2.0]], [[1.0]]) == pytest.approx(1 / 3)
    assert relative_error([0.0, 0.0], [0.0, 1e-300]) == 1.0
    assert isinstance(relative_error([1.0], [2.0]), float)


def test_relative_error_is_scale_free_and_does_not_overflow():
    a, n = np.array([3.0, -1.0, 2.0]), np.array([3.5, -1.0, 1.0])
    expected = np.linalg.norm(a - n) / (np.linalg.norm(a) + np.linalg.norm(n))
    assert relative_error(a, n) == pytest.approx(expected, rel=1e-12)
    assert relative_error(a * 1e200, n * 1e200) == pytest.approx(expected, rel=1e-12)
    assert relative_error(a * 1e-200, n * 1e-200) == pytest.approx(expected, rel=1e-12)


def test_relative_error_with_nan_is_nan():
    assert np.isnan(relative_error([np.nan], [1.0]))


def test_relative_error_needs_equal_shapes():
    with pytest.raises(ValueError) as raised:
        relative_error(np.zeros((2, 1)), np.zeros((1, 2)))
    assert str(raised.value) == "the two gradients differ in shape: got (2, 1) and (1, 2)."


# ---------------------------------------------------------------- tamper check


def test_the_tamper_check_of_the_checks_module_runs_first(network, monkeypatch):
    cost, parameters, grads = network

    class FakeChecks:
        @staticmethod
        def assert_intact():
            raise AssertionError("the checking code was modified: np.allclose")

    monkeypatch.setattr(course_utils, "checks", FakeChecks, raising=False)
    monkeypatch.setitem(sys.modules, "course_utils.checks", FakeChecks)
    with pytest.raises(AssertionError) as raised:
        check_gradients(cost, parameters, grads)
    assert str(raised.value) == "the checking code was modified: np.allclose"


def test_without_a_checks_module_the_gradient_check_still_works(network, monkeypatch):
    cost, parameters, grads = network
    monkeypatch.delattr(course_utils, "checks", raising=False)
    monkeypatch.setitem(sys.modules, "course_utils.checks", None)  # makes the import fail
    assert max(check_gradients(cost, parameters, grads).values()) < 1e-7


def test_a_patched_numpy_does_not_change_the_verdict(network, monkeypatch):
    """gradcheck keeps its own references: only the tamper check of course_utils.checks sees patches."""
    cost, parameters, grads = network
    grads["dW1"] = grads["dW1"] * 2
    intact = type("IntactChecks", (), {"assert_intact": staticmethod(lambda: None)})
    monkeypatch.setattr(course_utils, "checks", intact, raising=False)
    monkeypatch.setitem(sys.modules, "course_utils.checks", intact)
    monkeypatch.setattr(np, "array", lambda *args, **kwargs: np.zeros(1))
    monkeypatch.setattr(np.linalg, "norm", lambda *args, **kwargs: 0.0)
    monkeypatch.setattr(np, "isfinite", lambda values: True)
    with pytest.raises(AssertionError, match=re.escape('grads["dW1"] does not match the numerical gradient')):
        check_gradients(cost, parameters, grads)


def test_a_patched_numpy_is_reported_by_the_real_tamper_check(network, monkeypatch):
    pytest.importorskip("course_utils.checks")
    cost, parameters, grads = network
    monkeypatch.setattr(np, "allclose", lambda *args, **kwargs: True)
    with pytest.raises(AssertionError, match=r"^the checking code was modified: "):
        check_gradients(cost, parameters, grads)


# ---------------------------------------------------------------- what a student sees in a notebook


def test_a_failure_in_a_notebook_ends_at_the_test_cell():
    """The traceback of a failed gradient check shows the test cell's line, not gradcheck.py."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    calls = {
        "wrong values": "check_gradients(cost, parameters, {'dW': np.array([[4.0]])})",
        "wrong shape": "check_gradients(cost, parameters, {'dW': np.zeros((1, 2))})",
    }
    setup = ("import numpy as np\nfrom course_utils.gradcheck import check_gradients\n"
             "parameters = {'W': np.array([[1.0]])}\ncost = lambda p: float(np.sum(p['W'] ** 2))")
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(setup)]
                                        + [nbformat.v4.new_code_cell(call) for call in calls.values()])
    folder = str(Path(course_utils.__file__).parent.parent)
    nbclient.NotebookClient(notebook, kernel_name="python3", allow_errors=True, timeout=60,
                            resources={"metadata": {"path": folder}}).execute()
    for cell, (what, call) in zip(notebook.cells[1:], calls.items()):
        error = cell.outputs[0]
        assert (what, error["ename"]) == (what, "AssertionError")
        plain = re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(error["traceback"]))
        assert "gradcheck.py" not in plain, what
        assert call in plain and error["evalue"].startswith('grads["dW"] ')
