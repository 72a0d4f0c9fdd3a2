"""Tests of course_utils.plotting: the artists each plot draws, the axes it uses, its errors."""

import re
import subprocess
import sys

import matplotlib

matplotlib.use("Agg", force=True)

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import PathCollection  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402
from matplotlib.contour import ContourSet  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

from course_utils.datasets import load_planar_dataset, noisy_moons  # noqa: E402
from course_utils.plotting import (  # noqa: E402
    CLASS_COLORS,
    plot_boundary_grid,
    plot_costs,
    plot_dataset,
    plot_decision_boundary,
    plot_hidden_units,
    plot_network,
)


@pytest.fixture(autouse=True)
def close_figures():
    plt.close("all")
    yield
    plt.close("all")


@pytest.fixture
def planar():
    return load_planar_dataset()


def right_half(G):
    """A classifier in the course's convention: (2, k) in, (1, k) booleans out."""
    return G[0:1] > 0


def scatters(ax):
    return [c for c in ax.collections if isinstance(c, PathCollection)]


def contours(ax):
    return [c for c in ax.collections if isinstance(c, ContourSet)]


def exact(message):
    return f"^{re.escape(message)}$"


# --- plot_dataset --------------------------------------------------------------------------


def test_dataset_draws_one_scatter_per_class_with_their_points(planar):
    X, Y = planar
    ax = plot_dataset(X, Y, title="flower")
    class_0, class_1 = scatters(ax)
    np.testing.assert_array_equal(class_0.get_offsets(), X[:, :200].T)
    np.testing.assert_array_equal(class_1.get_offsets(), X[:, 200:].T)
    assert to_hex(class_0.get_facecolor()[0]) == CLASS_COLORS[0].lower()
    assert to_hex(class_1.get_facecolor()[0]) == CLASS_COLORS[1].lower()
    assert CLASS_COLORS[0] != CLASS_COLORS[1]
    assert [text.get_text() for text in ax.get_legend().get_texts()] == ["y = 0", "y = 1"]
    assert ax.get_title() == "flower"
    assert ax.get_aspect() == 1.0


def test_dataset_makes_a_new_figure_without_ax(planar):
    plot_dataset(*planar)
    plot_dataset(*planar)
    assert len(plt.get_fignums()) == 2


def test_dataset_draws_on_the_given_axes(planar):
    fig, (left, right) = plt.subplots(1, 2)
    returned = plot_dataset(*planar, ax=right)
    assert returned is right
    assert len(scatters(right)) == 2 and len(left.collections) == 0
    assert plt.get_fignums() == [fig.number]


def test_dataset_accepts_flat_labels(planar):
    X, Y = planar
    ax = plot_dataset(X, Y.ravel())
    assert [len(c.get_offsets()) for c in scatters(ax)] == [200, 200]


@pytest.mark.parametrize(
    "X, Y, message",
    [
        (np.zeros((400, 2)), np.zeros((1, 400)),
         "X must have shape (2, m), one point per column, got shape (400, 2); a row-major (m, 2) array needs X.T"),
        (np.zeros(4), np.zeros((1, 4)),
         "X must have shape (2, m), one point per column, got shape (4,); a row-major (m, 2) array needs X.T"),
        (np.zeros((2, 4)), np.zeros((1, 5)), "Y must have shape (1, m) with m = 4 to match X, got shape (1, 5)"),
        (np.zeros((2, 4)), np.zeros((4, 1)), "Y must have shape (1, m) with m = 4 to match X, got shape (4, 1)"),
        (np.zeros((2, 3)), np.array([[0, 1, 2]]), "Y must hold labels 0 and 1, got values such as 2"),
    ],
)
def test_dataset_shape_errors_make_no_figure(X, Y, message):
    with pytest.raises(ValueError, match=exact(message)):
        plot_dataset(X, Y)
    assert plt.get_fignums() == []


# --- plot_decision_boundary ----------------------------------------------------------------


def test_boundary_draws_regions_under_the_data(planar):
    X, Y = planar
    ax = plot_decision_boundary(right_half, X, Y, title="half")
    (regions,) = contours(ax)
    assert list(regions.levels) == [-0.5, 0.5, 1.5]
    assert len(scatters(ax)) == 2
    assert ax.collections.index(regions) < ax.collections.index(scatters(ax)[0])
    assert ax.get_title() == "half"


def test_boundary_calls_predict_once_on_a_column_major_grid_with_margin(planar):
    X, Y = planar
    calls = []

    def recording_predict(G):
        calls.append(G.copy())
        return right_half(G)

    ax = plot_decision_boundary(recording_predict, X, Y, resolution=50, margin=0.2)
    (G,) = calls
    assert G.shape == (2, 2500)
    for row in range(2):
        low, high = X[row].min(), X[row].max()
        pad = 0.2 * (high - low)
        assert G[row].min() == pytest.approx(low - pad) and G[row].max() == pytest.approx(high + pad)
    assert ax.get_xlim() == pytest.approx((G[0].min(), G[0].max()))
    assert ax.get_ylim() == pytest.approx((G[1].min(), G[1].max()))


@pytest.mark.parametrize(
    "predict",
    [
        right_half,
        lambda G: (G[0] > 0).astype(int),
        lambda G: (G[0] > 0).astype(float).reshape(-1, 1),
        lambda G: list((G[0] > 0).astype(int)),
    ],
    ids=["(1, k) bool", "(k,) int", "(k, 1) float", "list"],
)
def test_boundary_accepts_every_label_layout(planar, predict):
    ax = plot_decision_boundary(predict, *planar, resolution=20)
    assert len(contours(ax)) == 1


def test_boundary_with_a_sklearn_classifier_and_a_course_style_network():
    X, Y = noisy_moons()
    classifier = LogisticRegression().fit(X.T, Y.ravel())
    ax = plot_decision_boundary(lambda G: classifier.predict(G.T), X, Y, resolution=30)
    assert len(contours(ax)) == 1

    rng = np.random.RandomState(0)
    parameters = {"W1": rng.randn(4, 2), "b1": np.zeros((4, 1)), "W2": rng.randn(1, 4), "b2": np.zeros((1, 1))}

    def predict(parameters, X):
        A1 = np.tanh(parameters["W1"] @ X + parameters["b1"])
        A2 = 1 / (1 + np.exp(-(parameters["W2"] @ A1 + parameters["b2"])))
        return (A2 > 0.5).astype(int)

    ax = plot_decision_boundary(lambda G: predict(parameters, G), X, Y, resolution=30)
    assert len(contours(ax)) == 1


def test_boundary_draws_on_the_given_axes(planar):
    fig, ax = plt.subplots()
    assert plot_decision_boundary(right_half, *planar, ax=ax, resolution=10) is ax
    assert plt.get_fignums() == [fig.number]


@pytest.mark.parametrize(
    "predict, message",
    [
        (lambda G: G[0, :-1] > 0,
         "predict returned an array of shape (99,) for a (2, 100) grid; "
         "it must return one label per column: shape (1, 100) or (100,)"),
        (lambda G: np.full((1, G.shape[1]), 0.73),
         "the output of predict must hold labels 0 and 1, got values such as 0.73; "
         "threshold probabilities, e.g. (A2 > 0.5)"),
    ],
)
def test_boundary_rejects_bad_predictions(planar, predict, message):
    with pytest.raises(ValueError, match=exact(message)):
        plot_decision_boundary(predict, *planar, resolution=10)
    assert plt.get_fignums() == []


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"X": np.zeros((3, 5)), "Y": np.zeros((1, 5))},
         "X must have shape (2, m), one point per column, got shape (3, 5); a row-major (m, 2) array needs X.T"),
        ({"resolution": 1}, "resolution must be an integer >= 2, got 1"),
        ({"margin": -1}, "margin must be a finite number >= 0 (a fraction of the data's range), got -1"),
    ],
)
def test_boundary_argument_errors(planar, kwargs, message):
    arguments = {"X": planar[0], "Y": planar[1], **kwargs}
    with pytest.raises(ValueError, match=exact(message)):
        plot_decision_boundary(right_half, **arguments)
    assert plt.get_fignums() == []


def test_boundary_of_a_single_point_still_has_a_grid():
    ax = plot_decision_boundary(right_half, np.array([[0.5], [0.5]]), np.array([[1]]), resolution=5)
    assert ax.get_xlim() == pytest.approx((-0.5, 1.5))


# --- plot_costs ----------------------------------------------------------------------------


def test_costs_line_has_iterations_and_costs():
    costs = [0.69, 0.5, 0.4, 0.35]
    ax = plot_costs(costs, title="training")
    (line,) = ax.get_lines()
    np.testing.assert_array_equal(line.get_xdata(), [0, 1, 2, 3])
    np.testing.assert_array_equal(line.get_ydata(), costs)
    assert (ax.get_xlabel(), ax.get_ylabel(), ax.get_title()) == ("iteration", "cost", "training")
    assert ax.get_yscale() == "linear" and ax.get_legend() is None


def test_costs_every_spaces_the_iterations():
    ax = plot_costs(np.array([0.7, 0.3, 0.2]), every=100)
    np.testing.assert_array_equal(ax.get_lines()[0].get_xdata(), [0, 100, 200])


def test_costs_overlay_with_labels_and_log_scale():
    ax = plot_costs([0.7, 0.4, 0.3], label="learning_rate = 1.2")
    assert plot_costs([0.7, 0.6, 0.5], ax=ax, label="learning_rate = 0.1", log_scale=True) is ax
    assert len(ax.get_lines()) == 2
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["learning_rate = 1.2", "learning_rate = 0.1"]
    assert ax.get_yscale() == "log"
    assert len(plt.get_fignums()) == 1


@pytest.mark.parametrize(
    "costs, kwargs, message",
    [
        ([], {}, "costs is empty: record at least one cost before plotting"),
        ([[0.7, 0.5], [0.4, 0.3]], {},
         "costs must be a 1-D sequence of numbers (costs[i] the i-th recorded cost), got shape (2, 2)"),
        (["high", "low"], {},
         "costs must be a 1-D sequence of numbers (costs[i] the i-th recorded cost), got list"),
        ([0.7, 0.5], {"every": 0}, "every must be an integer >= 1, got 0"),
    ],
)
def test_costs_errors(costs, kwargs, message):
    with pytest.raises(ValueError, match=exact(message)):
        plot_costs(costs, **kwargs)
    assert plt.get_fignums() == []


# --- plot_boundary_grid --------------------------------------------------------------------


def sweep_predicts():
    return {f"threshold {t}": (lambda G, t=t: G[0:1] > t) for t in (-1, 0, 1, 2)}


def test_grid_draws_every_classifier_and_hides_unused_axes(planar):
    axes = plot_boundary_grid(sweep_predicts(), *planar, resolution=20)
    assert axes.shape == (6,)
    assert len(plt.get_fignums()) == 1
    assert [ax.get_title() for ax in axes[:4]] == ["threshold -1", "threshold 0", "threshold 1", "threshold 2"]
    for ax in axes[:4]:
        assert ax.get_visible() and len(contours(ax)) == 1 and len(scatters(ax)) == 2
    for ax in axes[4:]:
        assert not ax.get_visible()


def test_grid_titles_for_lists_and_fewer_columns_than_classifiers(planar):
    axes = plot_boundary_grid([right_half, right_half], *planar, resolution=10)
    assert axes.shape == (2,)
    assert [ax.get_title() for ax in axes] == ["model 1", "model 2"]
    axes = plot_boundary_grid([right_half, right_half], *planar, titles=["n_h = 1", "n_h = 2"], ncols=1, resolution=10)
    assert [ax.get_title() for ax in axes] == ["n_h = 1", "n_h = 2"]
    assert axes[0].get_position().y0 > axes[1].get_position().y0


def test_grid_draws_on_given_axes(planar):
    fig, given = plt.subplots(2, 2)
    axes = plot_boundary_grid([right_half] * 3, *planar, axes=given, resolution=10)
    assert list(axes) == list(given.ravel())
    assert [ax.get_visible() for ax in axes] == [True, True, True, False]
    assert plt.get_fignums() == [fig.number]


def test_grid_calls_each_predict_once(planar):
    counts = [0, 0]

    def counting(index):
        def predict(G):
            counts[index] += 1
            return right_half(G)
        return predict

    plot_boundary_grid([counting(0), counting(1)], *planar, resolution=10)
    assert counts == [1, 1]


@pytest.mark.parametrize(
    "predicts, kwargs, message",
    [
        ({}, {}, "predicts is empty: give at least one classifier"),
        ([right_half, "tanh"], {}, "predicts[1] must be callable, got str"),
        ({"n_h = 4": lambda G: np.zeros(3)}, {},
         "predicts['n_h = 4'] returned an array of shape (3,) for a (2, 100) grid; "
         "it must return one label per column: shape (1, 100) or (100,)"),
        ([right_half], {"titles": ["a", "b"]},
         "titles must give one title per classifier: got 2 titles for 1 classifiers"),
        ([right_half], {"ncols": 0}, "ncols must be an integer >= 1, got 0"),
    ],
)
def test_grid_errors_make_no_figure(planar, predicts, kwargs, message):
    with pytest.raises(ValueError, match=exact(message)):
        plot_boundary_grid(predicts, *planar, resolution=10, **kwargs)
    assert plt.get_fignums() == []


def test_grid_too_few_given_axes(planar):
    _, given = plt.subplots(1, 2)
    with pytest.raises(ValueError, match=exact("axes holds 2 axes but there are 3 classifiers to plot")):
        plot_boundary_grid([right_half] * 3, *planar, axes=given, resolution=10)


# --- plot_hidden_units ---------------------------------------------------------------------


def test_hidden_units_heatmap_with_annotations():
    W1 = np.array([[-0.00416758, -0.00056267], [-0.02136196, 0.01640271], [0.5, -0.0]])
    ax = plot_hidden_units(W1, title="W1")
    (image,) = ax.images
    np.testing.assert_array_equal(image.get_array(), W1)
    assert image.get_clim() == (-0.5, 0.5)
    assert [t.get_text() for t in ax.texts] == ["-0.0042", "-0.00056", "-0.021", "0.016", "0.5", "0"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["unit 1", "unit 2", "unit 3"]
    assert ax.get_title() == "W1"


def test_hidden_units_identical_rows_after_zero_initialisation():
    ax = plot_hidden_units(np.zeros((4, 2)))
    assert ax.images[0].get_clim() == (-1.0, 1.0)
    assert {t.get_text() for t in ax.texts} == {"0"} and len(ax.texts) == 8


def test_hidden_units_annotation_choice_and_given_axes():
    assert len(plot_hidden_units(np.ones((50, 2))).texts) == 0
    assert len(plot_hidden_units(np.ones((4, 2)), annotate=False).texts) == 0
    fig, ax = plt.subplots()
    assert plot_hidden_units(np.ones((50, 2)), ax=ax, annotate=True) is ax
    assert len(ax.texts) == 100
    assert len(plt.get_fignums()) == 3 and fig.number in plt.get_fignums()


@pytest.mark.parametrize("W1", [np.ones(4), np.ones((2, 2, 2)), np.ones((0, 2))])
def test_hidden_units_shape_errors(W1):
    message = f"W1 must be a non-empty 2-D array of shape (n_h, n_x), got shape {W1.shape}"
    with pytest.raises(ValueError, match=exact(message)):
        plot_hidden_units(W1)
    assert plt.get_fignums() == []


# --- plot_network --------------------------------------------------------------------------


def texts_of(ax):
    return [t.get_text() for t in ax.texts]


def test_network_draws_one_circle_per_unit_and_one_line_per_weight():
    ax = plot_network()
    centres = [patch.center for patch in ax.patches]
    # inputs at x = 0, hidden units and output further right; each layer centred on y = 0, top first
    assert centres == [(0.0, 0.5), (0.0, -0.5),
                       (2.2, 1.5), (2.2, 0.5), (2.2, -0.5), (2.2, -1.5),
                       (4.4, 0.0)]
    assert len(ax.lines) == 2 * 4 + 4 * 1
    # W1's lines first: hidden unit 1 is reached from x_1, then from x_2
    first = ax.lines[0].get_xydata()
    np.testing.assert_allclose(first, [[0.0, 0.5], [2.2, 1.5]])
    np.testing.assert_allclose(ax.lines[-1].get_xydata(), [[2.2, -1.5], [4.4, 0.0]])
    labels = texts_of(ax)
    assert labels.count("tanh") == 4 and "$x_{1}$" in labels and "$x_{2}$" in labels and r"$\sigma$" in labels
    assert "$W_1$ (4, 2)\n$b_1$ (4, 1)" in labels and "$W_2$ (1, 4)\n$b_2$ (1, 1)" in labels
    assert r"$\hat y = a_2$" in labels
    assert not ax.axison


def test_network_of_other_sizes_names_its_shapes():
    ax = plot_network(3, 5, 2, title="a 3-5-2 network")
    assert len(ax.patches) == 3 + 5 + 2
    assert len(ax.lines) == 3 * 5 + 5 * 2
    labels = texts_of(ax)
    assert "$W_1$ (5, 3)\n$b_1$ (5, 1)" in labels and "$W_2$ (2, 5)\n$b_2$ (2, 1)" in labels
    assert {"$x_{3}$", r"$\hat y_{1}$", r"$\hat y_{2}$"} <= set(labels)
    assert "hidden layer\n$n_h = 5$ tanh units" in labels
    assert ax.get_title() == "a 3-5-2 network"


def test_network_fits_in_its_axes():
    ax = plot_network(2, 10, 1)
    (x_low, x_high), (y_low, y_high) = ax.get_xlim(), ax.get_ylim()
    for patch in ax.patches:
        x, y = patch.center
        assert x_low < x - patch.radius and x + patch.radius < x_high
        assert y_low < y - patch.radius and y + patch.radius < y_high


def test_network_draws_on_the_given_axes():
    fig, ax = plt.subplots()
    assert plot_network(ax=ax) is ax
    assert plt.get_fignums() == [fig.number]


@pytest.mark.parametrize("kwargs, message", [
    ({"n_h": 0}, "n_h must be an integer >= 1, got 0"),
    ({"n_x": 2.0}, "n_x must be an integer >= 1, got 2.0"),
    ({"n_y": True}, "n_y must be an integer >= 1, got True"),
])
def test_network_size_errors_make_no_figure(kwargs, message):
    with pytest.raises(ValueError, match=exact(message)):
        plot_network(**kwargs)
    assert plt.get_fignums() == []


# --- global state --------------------------------------------------------------------------


RCPARAMS_SCRIPT = """
import matplotlib
matplotlib.use("Agg")
import numpy as np
from course_utils.datasets import load_planar_dataset
from course_utils.plotting import (
    plot_boundary_grid, plot_costs, plot_dataset, plot_decision_boundary, plot_hidden_units, plot_network,
)
X, Y = load_planar_dataset()
before = dict(matplotlib.rcParams)
plot_dataset(X, Y)
plot_decision_boundary(lambda G: G[0] > 0, X, Y, resolution=10)
plot_costs([0.7, 0.5], label="run", log_scale=True)
plot_boundary_grid([lambda G: G[0] > 0] * 4, X, Y, resolution=10)
plot_hidden_units(np.zeros((4, 2)))
plot_network(3, 5, 2)
after = dict(matplotlib.rcParams)
print(sorted(key for key in before if before[key] != after[key]))
"""


def test_no_plot_changes_rcparams():
    """Run in a fresh interpreter, so that an earlier test cannot have changed the settings already."""
    result = subprocess.run([sys.executable, "-c", RCPARAMS_SCRIPT], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_importing_plotting_does_not_import_pyplot():
    code = (
        "import sys, course_utils, course_utils.plotting; "
        "print('matplotlib.pyplot' in sys.modules, 'matplotlib' in sys.modules)"
    )
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert output.split() == ["False", "False"]
