"""A catalog of realistic student mistakes, each a small change to one reference answer.

Every entry must cost points at a test cell of the function it breaks, with a message that
names what is wrong (``tests/test_mistakes.py`` holds the course to this). ``expect`` is
a piece of text the failing test's message must contain. ``visible`` says whether the visible
tests (those a student runs before submitting) already catch it, with that same message; the
others only cost points at grading, in the hidden tests. ``python -m course_admin.mistakes``
prints the counts.
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class Mistake:
    """One mistaken line (or few) in the answer of ``function``."""

    key: str
    function: str
    summary: str
    old: str
    new: str
    expect: str
    visible: bool = True


def _m(function, key, summary, old, new, expect, visible=True):
    return Mistake(f"{function}-{key}", function, summary, old, new, expect, visible)


# the line of activation_derivative that refuses a name it does not know
_UNKNOWN_ACTIVATION = ("raise ValueError(f\"unknown activation {name!r}: "
                       "expected 'sigmoid', 'tanh', 'relu' or 'leaky_relu'\")")

CATALOG = [
    # accuracy
    _m("accuracy", "fraction", "a fraction instead of a percentage",
       "float(100 * np.mean(right))", "float(np.mean(right))", "known mistake: a fraction instead of a percentage"),
    _m("accuracy", "count", "the number of right answers instead of a percentage",
       "float(100 * np.mean(right))", "float(np.sum(right))", "wrong value"),
    _m("accuracy", "error-rate", "the error rate instead of the accuracy",
       "predictions == Y", "predictions != Y", "wrong value"),
    _m("accuracy", "ignores-labels", "the share of predicted ones, ignoring Y",
       "float(100 * np.mean(right))", "float(100 * np.mean(predictions))", "wrong value"),
    _m("accuracy", "truncated", "truncated to a whole percent, as the original notebook printed it",
       "float(100 * np.mean(right))", "float(int(100 * np.mean(right)))", "accuracy(", visible=False),
    # layer_sizes
    _m("layer_sizes", "hidden-size", "three hidden units instead of four",
       "n_h = 4 ", "n_h = 3 ", "layer_sizes("),
    _m("layer_sizes", "examples-axis", "the number of examples as the input size",
       "n_x = X.shape[0]", "n_x = X.shape[1]", "layer_sizes("),
    _m("layer_sizes", "fixed-output", "a hard-coded output size",
       "n_y = Y.shape[0]", "n_y = 1", "layer_sizes("),
    _m("layer_sizes", "order", "the sizes returned in the wrong order",
       "return n_x, n_h, n_y", "return n_h, n_x, n_y", "layer_sizes("),
    # initialize_parameters
    _m("initialize_parameters", "global-seed", "seeding and drawing from the global random state",
       "rng = np.random.RandomState(seed)", "np.random.seed(seed)\n    rng = np.random", "global random state"),
    _m("initialize_parameters", "ignores-seed", "the seed argument ignored",
       "np.random.RandomState(seed)", "np.random.RandomState(2)", "W1 of initialize_parameters(2, 4, 1, seed=0)"),
    _m("initialize_parameters", "unscaled", "weights not multiplied by 0.01",
       "W1 = rng.randn(n_h, n_x) * 0.01", "W1 = rng.randn(n_h, n_x)", "W1"),
    _m("initialize_parameters", "transposed", "W1 of shape (n_x, n_h)",
       "W1 = rng.randn(n_h, n_x) * 0.01", "W1 = rng.randn(n_x, n_h).T * 0.01", "W1"),
    _m("initialize_parameters", "draw-order", "W2 drawn before W1",
       "W1 = rng.randn(n_h, n_x) * 0.01      # (n_h, n_x), drawn first\n"
       "    b1 = np.zeros((n_h, 1))              # (n_h, 1)\n"
       "    W2 = rng.randn(n_y, n_h) * 0.01",
       "W2 = rng.randn(n_y, n_h) * 0.01\n    b1 = np.zeros((n_h, 1))\n    W1 = rng.randn(n_h, n_x) * 0.01",
       "W1"),
    _m("initialize_parameters", "flat-bias", "b1 as a 1-d array",
       "b1 = np.zeros((n_h, 1))", "b1 = np.zeros(n_h)", "b1"),
    _m("initialize_parameters", "uniform", "rand (uniform) instead of randn (normal)",
       "W1 = rng.randn(n_h, n_x) * 0.01", "W1 = rng.rand(n_h, n_x) * 0.01", "W1"),
    # sigmoid
    _m("sigmoid", "sign", "exp(z) instead of exp(-z)",
       "1 / (1 + np.exp(-z))", "1 / (1 + np.exp(z))", "sigmoid("),
    _m("sigmoid", "tanh", "tanh instead of the sigmoid",
       "return 1 / (1 + np.exp(-z))", "return np.tanh(z)", "sigmoid("),
    _m("sigmoid", "scalar-math", "math.exp, which only takes numbers",
       "return 1 / (1 + np.exp(-z))", "import math\n    return 1 / (1 + math.exp(-z))", "TypeError"),
    # forward_propagation
    _m("forward_propagation", "sigmoid-hidden", "the sigmoid in the hidden layer",
       "A1 = np.tanh(Z1)", "A1 = sigmoid(Z1)", "A1"),
    _m("forward_propagation", "tanh-output", "tanh at the output",
       "A2 = sigmoid(Z2)", "A2 = np.tanh(Z2)", "A2"),
    _m("forward_propagation", "no-bias", "b1 left out",
       "Z1 = W1 @ X + b1", "Z1 = W1 @ X", "Z1"),
    _m("forward_propagation", "pre-activation", "Z1 fed to the output layer instead of A1",
       "Z2 = W2 @ A1 + b2", "Z2 = W2 @ Z1 + b2", "Z2"),
    _m("forward_propagation", "cache-key", "Z2 missing from the cache",
       '"Z2": Z2, ', "", "Z2"),
    _m("forward_propagation", "return-order", "cache and A2 returned in the wrong order",
       "return A2, cache", "return cache, A2", "cache has the wrong type"),
    # compute_cost
    _m("compute_cost", "no-mean", "the sum over examples instead of the mean",
       "cost = -np.sum(log_likelihood) / m", "cost = -np.sum(log_likelihood)", "compute_cost("),
    _m("compute_cost", "sign", "the log-likelihood instead of its negative",
       "cost = -np.sum(log_likelihood) / m", "cost = np.sum(log_likelihood) / m", "compute_cost("),
    _m("compute_cost", "array", "a (1, 1) array instead of a float",
       "return float(cost)", "return np.array([[cost]])", "compute_cost("),
    _m("compute_cost", "half-formula", "only the y = 1 term of the cross-entropy",
       "Y * np.log(A2) + (1 - Y) * np.log(1 - A2)", "Y * np.log(A2)", "compute_cost("),
    _m("compute_cost", "wrong-axis", "m taken from the wrong axis of Y",
       "m = Y.shape[1]", "m = Y.shape[0]", "compute_cost("),
    _m("compute_cost", "wrong-log", "log(A2) in the y = 0 term",
       "(1 - Y) * np.log(1 - A2)", "(1 - Y) * np.log(A2)", "compute_cost("),
    # backward_propagation
    _m("backward_propagation", "no-mean", "dW2 without the 1/m",
       "dW2 = dZ2 @ A1.T / m", "dW2 = dZ2 @ A1.T", "dW2"),
    _m("backward_propagation", "wrong-axis", "db2 summed over the wrong axis",
       "db2 = np.sum(dZ2, axis=1, keepdims=True) / m", "db2 = np.sum(dZ2, axis=0, keepdims=True) / m", "db2"),
    _m("backward_propagation", "no-keepdims", "db1 without keepdims",
       "db1 = np.sum(dZ1, axis=1, keepdims=True) / m", "db1 = np.sum(dZ1, axis=1) / m", "db1"),
    _m("backward_propagation", "tanh-derivative", "1 - A1 as the derivative of tanh",
       "(1 - A1 ** 2)", "(1 - A1)", "known mistake: 1 - A1 as the derivative of tanh"),
    _m("backward_propagation", "no-mean-hidden", "dW1 without the 1/m",
       "dW1 = dZ1 @ X.T / m", "dW1 = dZ1 @ X.T", "known mistake: dW1 without the 1/m"),
    _m("backward_propagation", "sign", "Y - A2 instead of A2 - Y",
       "dZ2 = A2 - Y", "dZ2 = Y - A2", "dW2"),
    _m("backward_propagation", "wrong-input", "A1 in place of X for dW1",
       "dW1 = dZ1 @ X.T / m", "dW1 = dZ1 @ A1.T / m", "dW1"),
    _m("backward_propagation", "swapped-keys", "dW1 and dW2 stored under each other's names",
       '{"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}', '{"dW1": dW2, "db1": db1, "dW2": dW1, "db2": db2}',
       "dW"),
    # update_parameters
    _m("update_parameters", "ascent", "gradient ascent (a plus sign)",
       'parameters[name] - learning_rate * grads["d" + name]',
       'parameters[name] + learning_rate * grads["d" + name]', 'update_parameters(parameters, grads)["W1"] has wrong values'),
    _m("update_parameters", "ignores-rate", "the learning rate argument ignored",
       'learning_rate * grads["d" + name]', '1.2 * grads["d" + name]', "update_parameters(parameters, grads, 0.0)"),
    _m("update_parameters", "in-place", "the parameters updated in place",
       'return {name: parameters[name] - learning_rate * grads["d" + name]  # new arrays, same shapes\n'
       '            for name in ("W1", "b1", "W2", "b2")}',
       'for name in ("W1", "b1", "W2", "b2"):\n'
       '        parameters[name] -= learning_rate * grads["d" + name]\n'
       '    return parameters', "modified"),
    # nn_model
    _m("nn_model", "ignores-rate", "the learning rate not passed to update_parameters",
       "update_parameters(parameters, grads, learning_rate)", "update_parameters(parameters, grads)",
       "nn_model(X, Y, 4, 2, 0.0)"),
    _m("nn_model", "sparse-costs", "the cost recorded every 1000 iterations only",
       "        costs.append(cost)\n", "        if i % 1000 == 0:\n            costs.append(cost)\n", "costs"),
    _m("nn_model", "wrong-seed", "initialised with another seed",
       "initialize_parameters(n_x, n_h, n_y)", "initialize_parameters(n_x, n_h, n_y, seed=3)", "costs[0] returned by nn_model("),
    _m("nn_model", "ignores-hidden-size", "four hidden units whatever n_h is",
       "initialize_parameters(n_x, n_h, n_y)", "initialize_parameters(n_x, 4, n_y)", "nn_model(X, Y, 2, 1)"),
    _m("nn_model", "prints-every-iteration", "the cost printed at every iteration",
       "if print_cost and i % 1000 == 0:", "if print_cost:", "the number of lines printed by nn_model(X, Y, n_h, 3"),
    _m("nn_model", "array-costs", "the costs returned as an array",
       "return parameters, costs", "return parameters, np.array(costs)", "the cost list of nn_model("),
    _m("nn_model", "ignores-iterations", "a fixed number of iterations",
       "for i in range(num_iterations):", "for i in range(100):", "nn_model("),
    # predict
    _m("predict", "threshold", "A2 >= 0.5 (0.5 itself predicted as 1)",
       "(A2 > 0.5)", "(A2 >= 0.5)", "predict(parameters, X) where A2 is exactly 0.5"),
    _m("predict", "probabilities", "the probabilities instead of labels",
       "return (A2 > 0.5).astype(int)", "return A2", "predict("),
    _m("predict", "rounded-floats", "np.round, which gives floats",
       "return (A2 > 0.5).astype(int)", "return np.round(A2)", "predict("),
    # hidden_size_sweep
    _m("hidden_size_sweep", "list", "a list of accuracies instead of a dict",
       "return accuracies", "return list(accuracies.values())", "hidden_size_sweep("),
    _m("hidden_size_sweep", "string-keys", "the sizes stored as strings",
       "accuracies[n_h] = ", "accuracies[str(n_h)] = ", "hidden_size_sweep("),
    _m("hidden_size_sweep", "fraction", "accuracies divided by 100",
       "accuracy(predict(parameters, X), Y)", "accuracy(predict(parameters, X), Y) / 100", "hidden_size_sweep("),
    _m("hidden_size_sweep", "ignores-iterations", "always 5000 iterations",
       "num_iterations=num_iterations", "num_iterations=5000", "hidden_size_sweep("),
    _m("hidden_size_sweep", "ignores-rate", "the learning rate not passed on to nn_model",
       ", learning_rate=learning_rate)", ")", "hidden_size_sweep(X, Y, [2], 30, 0.0)[2]"),
    # relu
    _m("relu", "in-place", "the negative entries of z set to 0 in place",
       "return np.maximum(0, z)", "z[z < 0] = 0\n    return z", "modified"),
    _m("relu", "abs", "the absolute value instead of the positive part",
       "return np.maximum(0, z)", "return np.abs(z)", "relu("),
    _m("relu", "max-reduction", "np.max (a reduction) instead of np.maximum",
       "return np.maximum(0, z)", "return np.max(z, 0)", "wrong shape"),
    _m("relu", "mask", "the mask z > 0 (booleans) instead of the values",
       "return np.maximum(0, z)", "return z > 0", "relu(z) has the wrong dtype"),
    # leaky_relu
    _m("leaky_relu", "ignores-slope", "the default slope whatever slope is",
       "slope * z)", "0.01 * z)", "slope=0.2"),
    _m("leaky_relu", "no-leak", "plain ReLU, the negative side set to 0",
       "np.where(z > 0, z, slope * z)", "np.maximum(0, z)", "leaky_relu("),
    _m("leaky_relu", "swapped", "the slope applied to the positive side",
       "np.where(z > 0, z, slope * z)", "np.where(z > 0, slope * z, z)", "leaky_relu("),
    _m("leaky_relu", "in-place", "the negative entries of z multiplied by the slope in place",
       "return np.where(z > 0, z, slope * z)", "z[z <= 0] *= slope\n    return z", "modified"),
    _m("leaky_relu", "constant-leak", "the slope itself instead of slope * z on the negative side",
       "np.where(z > 0, z, slope * z)", "np.where(z > 0, z, slope)",
       "known mistake: the slope itself instead of slope * z on the negative side"),
    # activation_derivative
    _m("activation_derivative", "tanh-no-square", "1 - tanh(Z) as the derivative of tanh",
       "return 1 - np.tanh(Z) ** 2", "return 1 - np.tanh(Z)", "activation_derivative('tanh', Z)"),
    _m("activation_derivative", "sigmoid-as-tanh", "the tanh formula 1 - s**2 for the sigmoid",
       "return s * (1 - s)", "return 1 - s ** 2", "activation_derivative('sigmoid', Z)"),
    _m("activation_derivative", "relu-boolean", "the ReLU slope left as booleans",
       "return (Z > 0).astype(float)", "return Z > 0", "dtype"),
    _m("activation_derivative", "relu-at-zero", "slope 1 for ReLU at Z = 0",
       "(Z > 0).astype(float)", "(Z >= 0).astype(float)", "at Z = 0"),
    _m("activation_derivative", "no-error", "None for an unknown name instead of a ValueError",
       _UNKNOWN_ACTIVATION,
       "return None", "raised no error"),
    _m("activation_derivative", "tanh-of-z", "1 - Z**2 instead of 1 - tanh(Z)**2",
       "return 1 - np.tanh(Z) ** 2", "return 1 - Z ** 2", "known mistake: 1 - Z**2 instead of 1 - tanh(Z)**2"),
    _m("activation_derivative", "sigmoid-itself", "the sigmoid itself as its derivative",
       "return s * (1 - s)", "return s", "activation_derivative('sigmoid', Z) has wrong values"),
    _m("activation_derivative", "leaky-as-relu", "the ReLU slope 0 on the negative side of the leaky ReLU",
       "np.where(Z > 0, 1.0, 0.01)", "(Z > 0).astype(float)", "activation_derivative('leaky_relu', Z) has wrong"),
    _m("activation_derivative", "leaky-at-zero", "slope 1 for the leaky ReLU at Z = 0",
       "np.where(Z > 0, 1.0, 0.01)", "np.where(Z >= 0, 1.0, 0.01)", "activation_derivative('leaky_relu', Z) at Z = 0"),
    _m("activation_derivative", "wrong-error", "a KeyError instead of a ValueError for an unknown name",
       'raise ValueError(f"unknown activation', 'raise KeyError(f"unknown activation', "raised the wrong error"),
    _m("activation_derivative", "unnamed-error", "a ValueError whose message does not name the activation",
       _UNKNOWN_ACTIVATION,
       'raise ValueError("unknown activation")', "does not name the activation"),
    # initialize_parameters_scaled
    _m("initialize_parameters_scaled", "hidden-layer-only", "the scale applied to W1 only, W2 left at 0.01",
       "W2 = rng.randn(n_y, n_h) * scale", "W2 = rng.randn(n_y, n_h) * 0.01", "W2"),
    _m("initialize_parameters_scaled", "variance", "the square root of the scale, as if it were a variance",
       "W1 = rng.randn(n_h, n_x) * scale", "W1 = rng.randn(n_h, n_x) * np.sqrt(scale)", "W1"),
    _m("initialize_parameters_scaled", "global-seed", "seeding and drawing from the global random state",
       "rng = np.random.RandomState(seed)", "np.random.seed(seed)\n    rng = np.random", "global random state"),
    _m("initialize_parameters_scaled", "random-bias", "b1 drawn at random like the weights",
       '"b1": np.zeros((n_h, 1))', '"b1": rng.randn(n_h, 1) * scale', "b1"),
    _m("initialize_parameters_scaled", "ignores-seed", "the seed argument ignored",
       "np.random.RandomState(seed)", "np.random.RandomState(2)", "seed=0"),
    _m("initialize_parameters_scaled", "fixed-scale", "W1 drawn with the factor 0.01 whatever the scale",
       "W1 = rng.randn(n_h, n_x) * scale", "W1 = rng.randn(n_h, n_x) * 0.01",
       "known mistake: W1 drawn with the factor 0.01 whatever the scale"),
    # saturation_fraction
    _m("saturation_fraction", "count", "the number of saturated entries instead of their fraction",
       "np.mean(np.abs(A1) > threshold)", "np.sum(np.abs(A1) > threshold)", "saturation_fraction("),
    _m("saturation_fraction", "no-abs", "only the positive side counted",
       "np.abs(A1) > threshold", "A1 > threshold", "saturation_fraction("),
    _m("saturation_fraction", "not-strict", "entries equal to the threshold counted",
       "np.abs(A1) > threshold", "np.abs(A1) >= threshold", "saturation_fraction(A1) for A1 = ["),
    _m("saturation_fraction", "fixed-threshold", "0.99 whatever the threshold is",
       "np.abs(A1) > threshold", "np.abs(A1) > 0.99", "threshold="),
    _m("saturation_fraction", "numpy-scalar", "the NumPy scalar of np.mean instead of a Python float",
       "return float(np.mean(np.abs(A1) > threshold))", "return np.mean(np.abs(A1) > threshold)",
       "saturation_fraction(A1) has the wrong type"),
    # initialize_velocity
    _m("initialize_velocity", "parameter-keys", "the velocity keyed W1, b1, ... instead of dW1, db1, ...",
       '{"d" + name: ', "{name: ", "initialize_velocity(parameters)"),
    _m("initialize_velocity", "copies-parameters", "the parameters themselves instead of zeros",
       "np.zeros_like(parameters[name], dtype=float)", "parameters[name]", 'initialize_velocity(parameters)["dW1"]'),
    _m("initialize_velocity", "flat", "flat arrays of zeros, one axis lost",
       "np.zeros_like(parameters[name], dtype=float)", "np.zeros(parameters[name].shape[0])", "wrong shape"),
    # update_parameters_momentum
    _m("update_parameters_momentum", "old-velocity", "the step taken with the old velocity",
       'learning_rate * new_velocity["d" + name]', 'learning_rate * velocity["d" + name]', 'new_parameters["W1"]'),
    _m("update_parameters_momentum", "no-damping", "the gradient added without the factor 1 - beta",
       "(1 - beta) * grads[key]", "grads[key]", 'new_velocity["dW1"]'),
    _m("update_parameters_momentum", "swapped-beta", "beta on the gradient and 1 - beta on the velocity",
       "beta * velocity[key] + (1 - beta) * grads[key]", "(1 - beta) * velocity[key] + beta * grads[key]",
       'new_velocity["dW1"]'),
    _m("update_parameters_momentum", "in-place", "the velocity updated in place",
       'new_velocity = {key: beta * velocity[key] + (1 - beta) * grads[key]          # new arrays\n'
       '                    for key in ("dW1", "db1", "dW2", "db2")}',
       'for key in ("dW1", "db1", "dW2", "db2"):\n'
       '        velocity[key] = beta * velocity[key] + (1 - beta) * grads[key]\n'
       '    new_velocity = velocity', "modified"),
    _m("update_parameters_momentum", "ignores-rate", "the default learning rate whatever learning_rate is",
       'learning_rate * new_velocity["d" + name]', '1.2 * new_velocity["d" + name]',
       "with beta=0.0, learning_rate=0.5"),
    _m("update_parameters_momentum", "ignores-beta", "the default beta 0.9 whatever beta is",
       "beta * velocity[key] + (1 - beta) * grads[key]", "0.9 * velocity[key] + 0.1 * grads[key]",
       'new_velocity["dW1"] with beta=0.0'),
    # softmax
    _m("softmax", "no-shift", "the exponentials taken without subtracting the column maximum",
       "shifted = Z - np.max(Z, axis=0, keepdims=True)", "shifted = Z", "softmax(Z + 1000)"),
    _m("softmax", "wrong-axis", "normalised over the examples (axis 1) instead of the classes",
       "np.sum(exponentials, axis=0, keepdims=True)", "np.sum(exponentials, axis=1, keepdims=True)", "softmax(Z)"),
    _m("softmax", "in-place", "the column maximum subtracted from Z in place",
       "shifted = Z - np.max(Z, axis=0, keepdims=True)", "Z -= np.max(Z, axis=0, keepdims=True)\n    shifted = Z",
       "modified"),
    # softmax_forward
    _m("softmax_forward", "sigmoid-output", "a sigmoid at the output instead of the softmax",
       "A2 = softmax(Z2)", "A2 = 1 / (1 + np.exp(-Z2))", 'cache["A2"]'),
    _m("softmax_forward", "linear-hidden", "no activation in the hidden layer",
       "A1 = np.tanh(Z1)", "A1 = Z1", 'cache["A1"]'),
    _m("softmax_forward", "no-bias", "b1 left out",
       "Z1 = W1 @ X + b1", "Z1 = W1 @ X", 'cache["Z1"]'),
    # softmax_cost
    _m("softmax_cost", "penalty-without-m", "the penalty lambd / 2 times the squared weights, not divided by m",
       "lambd / (2 * m) * squared_weights", "lambd / 2 * squared_weights", "softmax_cost("),
    _m("softmax_cost", "summed-loss", "the cross-entropy summed over the examples instead of averaged",
       "cross_entropy = -np.sum(Y_onehot * np.log(A2)) / m", "cross_entropy = -np.sum(Y_onehot * np.log(A2))",
       "softmax_cost("),
    _m("softmax_cost", "penalised-biases", "the biases penalised with the weights",
       'np.sum(parameters["W2"] ** 2)',
       'np.sum(parameters["W2"] ** 2) + np.sum(parameters["b1"] ** 2) + np.sum(parameters["b2"] ** 2)',
       "biases"),
    _m("softmax_cost", "numpy-scalar", "the NumPy scalar of np.sum instead of a Python float",
       "return float(cross_entropy + lambd / (2 * m) * squared_weights)",
       "return cross_entropy + lambd / (2 * m) * squared_weights",
       "softmax_cost(A2, Y_onehot, parameters, lambd) has the wrong type"),
    # softmax_backward
    _m("softmax_backward", "no-penalty", "dW2 without the gradient of the penalty",
       "dW2 = dZ2 @ A1.T / m + lambd / m * W2", "dW2 = dZ2 @ A1.T / m", 'grads["dW2"]'),
    _m("softmax_backward", "penalty-without-m", "the penalty's gradient on W1 not divided by m",
       "lambd / m * W1", "lambd * W1", 'grads["dW1"]'),
    _m("softmax_backward", "sign", "Y_onehot - A2 instead of A2 - Y_onehot",
       "dZ2 = A2 - Y_onehot", "dZ2 = Y_onehot - A2", 'grads["dW2"]'),
    _m("softmax_backward", "penalised-bias", "the bias b2 penalised like the weights",
       "db2 = np.sum(dZ2, axis=1, keepdims=True) / m",
       'db2 = np.sum(dZ2, axis=1, keepdims=True) / m + lambd / m * parameters["b2"]',
       "known mistake: the bias b2 penalised like the weights"),
    # train_and_score
    _m("train_and_score", "ignores-iterations", "always 5000 iterations",
       "num_iterations=num_iterations", "num_iterations=5000", "train_and_score("),
    _m("train_and_score", "fraction", "the accuracy divided by 100",
       "return parameters, accuracy(predict(parameters, X), Y)",
       "return parameters, accuracy(predict(parameters, X), Y) / 100", "the accuracy train_and_score("),
    _m("train_and_score", "order", "the accuracy and the parameters returned in the wrong order",
       "return parameters, accuracy(predict(parameters, X), Y)",
       "return accuracy(predict(parameters, X), Y), parameters", "train_and_score("),
    _m("train_and_score", "ignores-rate", "the learning rate not passed on to nn_model",
       ", learning_rate=learning_rate)", ")", "train_and_score(X, Y, 3, 2, 0.0)[0]"),
    _m("train_and_score", "fixed-hidden-size", "four hidden units whatever n_h is",
       "nn_model(X, Y, n_h,", "nn_model(X, Y, 4,",
       'train_and_score(X, Y, 3, 200)[0]["W1"] has the wrong shape'),
    # train_test_sweep
    _m("train_test_sweep", "test-on-training", "the test accuracy measured on the training set",
       "test_accuracy = accuracy(predict(parameters, X_test), Y_test)",
       "test_accuracy = accuracy(predict(parameters, X_train), Y_train)", "the test accuracy"),
    _m("train_test_sweep", "trains-on-test", "the networks trained on the test set",
       "nn_model(X_train, Y_train, n_h,", "nn_model(X_test, Y_test, n_h,", "the training accuracy"),
    _m("train_test_sweep", "list-pair", "each pair of accuracies stored as a list",
       "results[n_h] = (train_accuracy, test_accuracy)", "results[n_h] = [train_accuracy, test_accuracy]", "tuple"),
    _m("train_test_sweep", "swapped-pair", "the test accuracy first and the training accuracy second",
       "results[n_h] = (train_accuracy, test_accuracy)", "results[n_h] = (test_accuracy, train_accuracy)",
       "known mistake: the test accuracy first and the training accuracy second"),
    _m("train_test_sweep", "ignores-iterations", "always 5000 iterations",
       "num_iterations=num_iterations", "num_iterations=5000", "known mistake: always 5000 iterations"),
]


def counts(catalog=CATALOG):
    """``(caught by the visible tests, caught only by the hidden tests)`` over `catalog`."""
    visible = sum(mistake.visible for mistake in catalog)
    return visible, len(catalog) - visible


if __name__ == "__main__":
    seen, hidden_only = counts()
    print(f"{len(CATALOG)} mistakes: {seen} caught by the visible tests before submission, "
          f"{hidden_only} only by the hidden tests at grading")
    for mistake in CATALOG:
        if not mistake.visible:
            print(f"  hidden only: {mistake.key} ({mistake.summary})")
