"""The figures printed by notebooks 09 (activations), 10 (initialisation scale) and 13 (momentum).

The graded functions are loaded from source_solutions/ as a later notebook loads a student's; the
training loops of the notebooks' demonstrations (which are not graded functions) are repeated here
in a few lines each, so that these tests hold the course's answer cells to the figures the
notebooks print and discuss.
"""
from pathlib import Path

import numpy as np
import pytest

from course_utils.datasets import load_planar_dataset
from course_utils.layout import ASSIGNMENT
from course_utils.loader import load_functions

SOURCES = Path(__file__).resolve().parent.parent / "source_solutions" / ASSIGNMENT


def load(*names):
    return load_functions(*names, folder=SOURCES)


@pytest.fixture(scope="module")
def planar():
    return load_planar_dataset()


def first_below(costs, threshold):
    return next((i for i, cost in enumerate(costs) if cost < threshold), None)


def count_rises(costs):
    return sum(later > earlier for earlier, later in zip(costs, costs[1:]))


# ------------------------------------------------------------------ 09 activations


def train_with_activation(X, Y, activation, num_iterations, learning_rate=1.2, n_h=4):
    """The demonstration loop of notebook 09: nn_model with a chosen hidden activation."""
    relu, leaky_relu, activation_derivative = load("relu", "leaky_relu", "activation_derivative")
    initialize_parameters, sigmoid, compute_cost, update_parameters = load(
        "initialize_parameters", "sigmoid", "compute_cost", "update_parameters")
    g = {"identity": lambda Z: Z, "tanh": np.tanh, "relu": relu, "leaky_relu": leaky_relu}[activation]
    m = X.shape[1]
    parameters = initialize_parameters(X.shape[0], n_h, Y.shape[0])
    costs = []
    for _ in range(num_iterations):
        Z1 = parameters["W1"] @ X + parameters["b1"]
        A1 = g(Z1)
        A2 = sigmoid(parameters["W2"] @ A1 + parameters["b2"])
        costs.append(compute_cost(A2, Y))
        dZ2 = A2 - Y
        slope = np.ones_like(Z1) if activation == "identity" else activation_derivative(activation, Z1)
        dZ1 = (parameters["W2"].T @ dZ2) * slope
        grads = {"dW1": dZ1 @ X.T / m, "db1": dZ1.sum(axis=1, keepdims=True) / m,
                 "dW2": dZ2 @ A1.T / m, "db2": dZ2.sum(axis=1, keepdims=True) / m}
        parameters = update_parameters(parameters, grads, learning_rate)
    A1 = g(parameters["W1"] @ X + parameters["b1"])
    predictions = (sigmoid(parameters["W2"] @ A1 + parameters["b2"]) > 0.5).astype(int)
    return parameters, costs, load("accuracy")(predictions, Y)


def test_09_without_nonlinearity_the_network_is_logistic_regression(planar):
    X, Y = planar
    parameters, costs, accuracy = train_with_activation(X, Y, "identity", 1000)
    assert accuracy == 47.0
    assert round(costs[-1], 4) == 0.6731
    w = parameters["W2"] @ parameters["W1"]
    b = parameters["W2"] @ parameters["b1"] + parameters["b2"]
    Z2 = parameters["W2"] @ (parameters["W1"] @ X + parameters["b1"]) + parameters["b2"]
    np.testing.assert_allclose(Z2, w @ X + b, rtol=0, atol=1e-12)


@pytest.mark.parametrize("activation, accuracy, final_cost", [
    ("tanh", 90.5, 0.223), ("relu", 70.75, 0.569), ("leaky_relu", 70.25, 0.569)])
def test_09_relu_against_tanh_on_the_flower(planar, activation, accuracy, final_cost):
    X, Y = planar
    parameters, costs, measured = train_with_activation(X, Y, activation, 5000)
    assert measured == accuracy
    assert round(costs[-1], 3) == final_cost
    Z1 = parameters["W1"] @ X + parameters["b1"]
    if activation != "tanh":
        assert not np.all(Z1 <= 0, axis=1).any()          # no dead unit
        assert round(float(np.mean(Z1 <= 0)), 2) == 0.63   # two thirds of the entries on the flat side


def test_09_the_derivatives_printed_in_the_notebook():
    activation_derivative = load("activation_derivative")
    z = np.array([[-3.0, -1.0, 0.0, 1.0, 3.0]])
    expected = {"sigmoid": [0.0452, 0.1966, 0.25, 0.1966, 0.0452], "tanh": [0.0099, 0.42, 1.0, 0.42, 0.0099],
                "relu": [0, 0, 0, 1, 1], "leaky_relu": [0.01, 0.01, 0.01, 1, 1]}
    for name, values in expected.items():
        assert np.round(activation_derivative(name, z), 4).tolist() == [values]


# ------------------------------------------------------------------ 10 initialisation scale


def train_from(parameters, X, Y, num_iterations=1000, learning_rate=1.2):
    """The demonstration loop of notebook 10: gradient descent from given parameters, cost from Z2."""
    forward_propagation, backward_propagation, update_parameters = load(
        "forward_propagation", "backward_propagation", "update_parameters")
    costs = []
    for _ in range(num_iterations):
        _, cache = forward_propagation(X, parameters)
        costs.append(float(np.mean(np.logaddexp(0, cache["Z2"]) - Y * cache["Z2"])))
        grads = backward_propagation(parameters, cache, X, Y)
        parameters = update_parameters(parameters, grads, learning_rate)
    return parameters, costs


def training_accuracy(parameters, X, Y):
    predict, accuracy = load("predict", "accuracy")
    return accuracy(predict(parameters, X), Y)


@pytest.mark.parametrize("scale, fraction, mean_slope, first_step", [
    (0.01, 0.0, 0.999, 0.179), (0.1, 0.0, 0.902, 0.115), (1.0, 0.383125, 0.353, 0.127), (10.0, 0.873125, 0.057, 0.016)])
def test_10_saturation_before_training(planar, scale, fraction, mean_slope, first_step):
    X, Y = planar
    initialize_parameters_scaled, saturation_fraction = load("initialize_parameters_scaled", "saturation_fraction")
    forward_propagation, backward_propagation = load("forward_propagation", "backward_propagation")
    start = initialize_parameters_scaled(2, 4, 1, scale)
    _, cache = forward_propagation(X, start)
    assert saturation_fraction(cache["A1"]) == fraction
    assert round(float(np.mean(1 - cache["A1"] ** 2)), 3) == mean_slope
    dW1 = backward_propagation(start, cache, X, Y)["dW1"]
    assert round(float(1.2 * np.linalg.norm(dW1) / np.linalg.norm(start["W1"])), 3) == first_step


def test_10_initialize_parameters_scaled_at_0_01_is_notebook_03(planar):
    initialize_parameters, initialize_parameters_scaled = load("initialize_parameters", "initialize_parameters_scaled")
    for key, value in initialize_parameters(2, 4, 1).items():
        np.testing.assert_array_equal(initialize_parameters_scaled(2, 4, 1, 0.01)[key], value)


def test_10_zero_and_equal_starts_keep_the_hidden_units_identical(planar):
    X, Y = planar
    initialize_parameters_scaled = load("initialize_parameters_scaled")
    zeros, zero_costs = train_from(initialize_parameters_scaled(2, 4, 1, 0.0), X, Y)
    assert not any(value.any() for value in zeros.values())          # nothing moved, not even b2
    assert zero_costs[-1] == pytest.approx(np.log(2), abs=1e-12)
    assert training_accuracy(zeros, X, Y) == 50.0
    equal = {"W1": np.tile([[0.3, -0.2]], (4, 1)), "b1": np.zeros((4, 1)),
             "W2": np.full((1, 4), 0.5), "b2": np.zeros((1, 1))}
    trained, costs = train_from(equal, X, Y)
    np.testing.assert_allclose(trained["W1"], np.tile(trained["W1"][:1], (4, 1)), rtol=0, atol=1e-12)
    assert round(float(np.abs(trained["W1"]).max()), 3) == 1.993
    assert round(costs[-1], 3) == 0.641
    assert training_accuracy(trained, X, Y) == 66.5
    random_start, _ = train_from(initialize_parameters_scaled(2, 4, 1, 0.01), X, Y)
    assert training_accuracy(random_start, X, Y) == 89.25


@pytest.mark.parametrize("scale, accuracies, first_cost", [
    (0.01, [89.75, 88.0, 89.25, 89.25], 0.693),
    (1.0, [89.75, 72.5, 88.75, 89.0], 1.127),
    (10.0, [67.25, 72.75, 90.25, 70.75], 12.135)])
def test_10_large_weights_freeze_the_hidden_layer(planar, scale, accuracies, first_cost):
    X, Y = planar
    initialize_parameters_scaled = load("initialize_parameters_scaled")
    measured, moved = [], []
    for seed in (0, 1, 2, 3):
        start = initialize_parameters_scaled(2, 4, 1, scale, seed=seed)
        trained, costs = train_from(start, X, Y)
        measured.append(training_accuracy(trained, X, Y))
        moved.append(np.linalg.norm(trained["W1"] - start["W1"]) / np.linalg.norm(start["W1"]))
        if seed == 2:
            assert round(costs[0], 3) == first_cost
    assert measured == accuracies
    if scale == 10.0:
        assert max(moved) < 1          # W1 changes by less than its own size
    if scale == 0.01:
        assert min(moved) > 100


# ------------------------------------------------------------------ 13 momentum


def train_with_momentum(X, Y, learning_rate, beta=None, num_iterations=1000, seed=2):
    """The demonstration loop of notebook 13: plain gradient descent, or momentum when beta is given."""
    initialize_parameters, forward_propagation, compute_cost, backward_propagation, update_parameters = load(
        "initialize_parameters", "forward_propagation", "compute_cost", "backward_propagation", "update_parameters")
    initialize_velocity, update_parameters_momentum = load("initialize_velocity", "update_parameters_momentum")
    parameters = initialize_parameters(X.shape[0], 4, Y.shape[0], seed=seed)
    velocity = initialize_velocity(parameters)
    costs = []
    for _ in range(num_iterations):
        A2, cache = forward_propagation(X, parameters)
        costs.append(compute_cost(A2, Y))
        grads = backward_propagation(parameters, cache, X, Y)
        if beta is None:
            parameters = update_parameters(parameters, grads, learning_rate)
        else:
            parameters, velocity = update_parameters_momentum(parameters, grads, velocity, beta, learning_rate)
    return parameters, costs


@pytest.mark.parametrize("learning_rate, final_cost, highest, rises", [
    (0.01, 0.6889, 0.693, 0), (1.2, 0.2881, 0.693, 0), (10.0, 0.3019, 3.336, 506)])
def test_13_three_learning_rates(planar, learning_rate, final_cost, highest, rises):
    _, costs = load("nn_model")(*planar, 4, num_iterations=1000, learning_rate=learning_rate)
    assert round(costs[-1], 4) == final_cost
    assert round(max(costs), 3) == highest
    assert count_rises(costs) == rises


@pytest.mark.parametrize("learning_rate, beta, below_0_3, below_0_25, rises, accuracy", [
    (1.2, None, 601, None, 0, 89.25), (1.2, 0.9, None, None, 0, 66.75),
    (10.0, None, 426, None, 506, 88.0), (10.0, 0.9, 84, 158, 2, 91.0)])
def test_13_momentum_makes_the_learning_rate_10_usable(planar, learning_rate, beta, below_0_3, below_0_25, rises,
                                                       accuracy):
    X, Y = planar
    parameters, costs = train_with_momentum(X, Y, learning_rate, beta)
    assert (first_below(costs, 0.3), first_below(costs, 0.25)) == (below_0_3, below_0_25)
    assert count_rises(costs) == rises
    assert training_accuracy(parameters, X, Y) == accuracy


@pytest.mark.parametrize("seed, expected", [
    (0, [(519, 89.75), (415, 89.5), (85, 91.0)]),
    (1, [(445, 88.0), (388, 89.25), (None, 67.0)]),
    (3, [(458, 89.25), (674, 89.5), (82, 91.0)])])
def test_13_other_starting_points(planar, seed, expected):
    X, Y = planar
    measured = []
    for learning_rate, beta in ((1.2, None), (1.2, 0.9), (10.0, 0.9)):
        parameters, costs = train_with_momentum(X, Y, learning_rate, beta, seed=seed)
        measured.append((first_below(costs, 0.3), training_accuracy(parameters, X, Y)))
    assert measured == expected
