"""Fixed-seed inputs for the visible tests of every graded function.

Each ``<function>_case()`` returns the positional arguments of one call of that graded
function, as a tuple, built from its own ``np.random.RandomState`` so that the global
random state is never touched. The outputs of the reference solution on these inputs
are stored in ``course_utils/data/reference_values.json`` (see ``course_utils.references``).

Every call returns fresh arrays, so a test may pass them to student code that
modifies its inputs without spoiling the next test.

>>> X, Y = layer_sizes_case()
>>> X.shape, Y.shape
((5, 3), (2, 3))
>>> sorted(CASES) == sorted(__import__("course_utils.layout").layout.GRADED_FUNCTIONS)
True
"""
import numpy as np

from course_utils.references import reference


def _parameters(rng, n_x, n_h, n_y, scale=1.0):
    """Random parameters of a ``n_x``-``n_h``-``n_y`` network: W1 (n_h, n_x), b1 (n_h, 1), W2 (n_y, n_h), b2 (n_y, 1)."""
    return {
        "W1": rng.randn(n_h, n_x) * scale,
        "b1": rng.randn(n_h, 1) * scale,
        "W2": rng.randn(n_y, n_h) * scale,
        "b2": rng.randn(n_y, 1) * scale,
    }


def accuracy_case():
    """predictions (1, 20) and Y (1, 20) of 0/1 labels, 13 of them equal."""
    rng = np.random.RandomState(4)
    Y = rng.randint(0, 2, size=(1, 20))
    predictions = Y.copy()
    wrong = rng.choice(20, size=7, replace=False)
    predictions[0, wrong] = 1 - predictions[0, wrong]
    return predictions, Y


def layer_sizes_case():
    """X (5, 3) and Y (2, 3): sizes that differ in every position."""
    rng = np.random.RandomState(1)
    return rng.randn(5, 3), rng.randn(2, 3)


def initialize_parameters_case():
    """n_x, n_h, n_y of the planar lesson: (2, 4, 1)."""
    return 2, 4, 1


def sigmoid_case():
    """z (2, 4): negative, zero, positive and large values."""
    return (np.array([[-30.0, -2.0, -0.5, 0.0], [0.5, 1.0, 3.0, 30.0]]),)


def forward_propagation_case():
    """X (2, 3) and parameters of a 2-4-1 network, drawn from RandomState(1)."""
    rng = np.random.RandomState(1)
    X = rng.randn(2, 3)
    parameters = _parameters(rng, 2, 4, 1, scale=0.5)
    return X, parameters


def compute_cost_case():
    """A2 (1, 5) strictly inside (0, 1) and Y (1, 5) of 0/1 labels."""
    rng = np.random.RandomState(2)
    A2 = rng.uniform(0.05, 0.95, size=(1, 5))
    Y = rng.randint(0, 2, size=(1, 5))
    return A2, Y


def backward_propagation_case(cache=None):
    """parameters, cache, X (2, 3), Y (1, 3): the forward case, its cache and labels.

    ``cache`` defaults to the stored reference cache of the forward case.
    """
    X, parameters = forward_propagation_case()
    Y = np.array([[1, 0, 1]])
    if cache is None:
        _, cache = reference("forward_propagation")
    return parameters, cache, X, Y


def update_parameters_case():
    """parameters and grads of a 2-4-1 network from RandomState(3); the default learning rate."""
    rng = np.random.RandomState(3)
    parameters = _parameters(rng, 2, 4, 1)
    gradients = _parameters(rng, 2, 4, 1, scale=0.1)
    grads = {"d" + key: value for key, value in gradients.items()}
    return parameters, grads


def nn_model_case():
    """The planar data X (2, 400), Y (1, 400), n_h = 4 and a short run of 50 iterations."""
    from course_utils.datasets import load_planar_dataset

    X, Y = load_planar_dataset()
    return X, Y, 4, 50


def predict_case():
    """parameters of a 2-4-1 network and X (2, 8), from RandomState(7): four examples on each side of 0.5."""
    rng = np.random.RandomState(7)
    parameters = _parameters(rng, 2, 4, 1)
    X = rng.randn(2, 8)
    return parameters, X


def hidden_size_sweep_case():
    """The planar data, hidden sizes (1, 3) and 100 iterations."""
    from course_utils.datasets import load_planar_dataset

    X, Y = load_planar_dataset()
    return X, Y, (1, 3), 100


def relu_case():
    """z (3, 4): negative, zero and positive values, small and large."""
    return (np.array([[-3.0, -0.5, 0.0, 0.5], [2.0, -1e-3, 1e-3, 7.5], [-12.0, 4.0, -2.25, 1.0]]),)


def leaky_relu_case():
    """z (2, 5): negative, zero and positive values; the default slope."""
    return (np.array([[-4.0, -1.0, 0.0, 0.25, 3.0], [6.0, -0.02, 0.02, -10.0, 1.5]]),)


def activation_derivative_case():
    """The name "tanh" and Z (3, 5) from RandomState(9), of size about 2."""
    rng = np.random.RandomState(9)
    return "tanh", 2.0 * rng.randn(3, 5)


def initialize_parameters_scaled_case():
    """n_x, n_h, n_y = 3, 5, 2 and the scale 0.5; the default seed."""
    return 3, 5, 2, 0.5


def saturation_fraction_case():
    """A1 (4, 10): tanh of values of size about 2, from RandomState(11); the default threshold."""
    rng = np.random.RandomState(11)
    return (np.tanh(2.0 * rng.randn(4, 10)),)


def initialize_velocity_case():
    """parameters of a 3-5-2 network from RandomState(12)."""
    return (_parameters(np.random.RandomState(12), 3, 5, 2),)


def update_parameters_momentum_case():
    """parameters, grads and a non-zero velocity of a 2-4-1 network from RandomState(13); the defaults."""
    rng = np.random.RandomState(13)
    parameters = _parameters(rng, 2, 4, 1)
    grads = {"d" + key: value for key, value in _parameters(rng, 2, 4, 1, scale=0.1).items()}
    velocity = {"d" + key: value for key, value in _parameters(rng, 2, 4, 1, scale=0.05).items()}
    return parameters, grads, velocity


def _one_hot(rng, n_classes, m):
    """Y_onehot (n_classes, m): one 1 per column, in a row drawn at random, zeros elsewhere."""
    labels = rng.randint(0, n_classes, size=m)
    return (np.arange(n_classes).reshape(-1, 1) == labels).astype(np.float64)


def _probabilities(rng, n_classes, m):
    """(n_classes, m) positive entries, each column summing to 1 (a Dirichlet draw, none very small)."""
    return rng.dirichlet(np.full(n_classes, 2.0), size=m).T


def softmax_case():
    """Z (3, 5) of scores from RandomState(21); its last column holds three equal scores."""
    rng = np.random.RandomState(21)
    Z = rng.randn(3, 5) * 2
    Z[:, 4] = 0.5
    return (Z,)


def softmax_forward_case():
    """X (2, 5) and parameters of a 2-4-3 network (three output classes), from RandomState(22)."""
    rng = np.random.RandomState(22)
    X = rng.randn(2, 5)
    parameters = _parameters(rng, 2, 4, 3, scale=0.5)
    return X, parameters


def softmax_cost_case():
    """A2 (3, 5) with columns summing to 1, Y_onehot (3, 5), parameters of a 2-4-3 network, lambd = 0.7."""
    rng = np.random.RandomState(23)
    A2 = _probabilities(rng, 3, 5)
    Y_onehot = _one_hot(rng, 3, 5)
    parameters = _parameters(rng, 2, 4, 3, scale=0.5)
    return A2, Y_onehot, parameters, 0.7


def softmax_backward_case():
    """parameters of a 2-4-3 network, a cache, X (2, 5), Y_onehot (3, 5) and lambd = 0.7, from RandomState(24).

    The cache stands in for a forward pass: Z1 (4, 5) random with A1 = tanh(Z1), and A2 (3, 5)
    random probabilities (columns summing to 1) with Z2 = log(A2), scores whose softmax is A2.
    """
    rng = np.random.RandomState(24)
    X = rng.randn(2, 5)
    Y_onehot = _one_hot(rng, 3, 5)
    parameters = _parameters(rng, 2, 4, 3, scale=0.5)
    Z1 = rng.randn(4, 5)
    A2 = _probabilities(rng, 3, 5)
    cache = {"Z1": Z1, "A1": np.tanh(Z1), "Z2": np.log(A2), "A2": A2}
    return parameters, cache, X, Y_onehot, 0.7


def train_and_score_case():
    """Noisy moons X (2, 60), Y (1, 60) from seed 4, n_h = 3 and a short run of 200 iterations."""
    from course_utils.datasets import noisy_moons

    X, Y = noisy_moons(m=60, seed=4)
    return X, Y, 3, 200


def train_test_sweep_case():
    """A small flower (seed 3, 40 per class) split 60/20, hidden sizes (1, 3) and 100 iterations."""
    from course_utils.datasets import load_planar_dataset, train_test_split

    X, Y = load_planar_dataset(seed=3, per_class=40)
    X_train, Y_train, X_test, Y_test = train_test_split(X, Y, test_fraction=0.25, seed=0)
    return X_train, Y_train, X_test, Y_test, (1, 3), 100


#: graded function -> its case
CASES = {
    "accuracy": accuracy_case,
    "layer_sizes": layer_sizes_case,
    "initialize_parameters": initialize_parameters_case,
    "sigmoid": sigmoid_case,
    "forward_propagation": forward_propagation_case,
    "compute_cost": compute_cost_case,
    "backward_propagation": backward_propagation_case,
    "update_parameters": update_parameters_case,
    "nn_model": nn_model_case,
    "predict": predict_case,
    "hidden_size_sweep": hidden_size_sweep_case,
    "relu": relu_case,
    "leaky_relu": leaky_relu_case,
    "activation_derivative": activation_derivative_case,
    "initialize_parameters_scaled": initialize_parameters_scaled_case,
    "saturation_fraction": saturation_fraction_case,
    "initialize_velocity": initialize_velocity_case,
    "update_parameters_momentum": update_parameters_momentum_case,
    "softmax": softmax_case,
    "softmax_forward": softmax_forward_case,
    "softmax_cost": softmax_cost_case,
    "softmax_backward": softmax_backward_case,
    "train_and_score": train_and_score_case,
    "train_test_sweep": train_test_sweep_case,
}
