"""The published figures of the lesson, reproduced by the solutions in source_solutions/.

The functions are loaded from the source notebooks exactly as a later notebook loads a
student's, so these tests hold the course's own answer cells to the spec's numbers.
"""
import warnings
from pathlib import Path

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegressionCV

from course_utils.datasets import load_planar_dataset
from course_utils.layout import ASSIGNMENT
from course_utils.loader import load_functions

SOURCES = Path(__file__).resolve().parent.parent / "source_solutions" / ASSIGNMENT
COST_TRACE = [0.693048, 0.288083, 0.254385, 0.233864, 0.226792, 0.222644, 0.219731, 0.217504]
# measured here at iterations 8000 and 9000; other platforms differ by up to 2e-4
LATE_COSTS = {8000: 0.219465, 9000: 0.218560}


@pytest.fixture(scope="module")
def planar():
    return load_planar_dataset()


@pytest.fixture(scope="module")
def trained(planar):
    nn_model = load_functions("nn_model", folder=SOURCES)
    return nn_model(*planar, 4)


def test_the_planar_data_has_the_published_shape_and_balance(planar):
    X, Y = planar
    assert X.shape == (2, 400) and Y.shape == (1, 400)
    assert int(Y.sum()) == 200


def test_logistic_regression_reaches_47_percent_without_warnings(planar):
    X, Y = planar
    accuracy = load_functions("accuracy", folder=SOURCES)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        classifier = LogisticRegressionCV(l1_ratios=(0.0,), scoring="accuracy", use_legacy_attributes=False)
        classifier.fit(X.T, Y.ravel())
    assert accuracy(classifier.predict(X.T).reshape(1, -1), Y) == 47.0


def test_the_initial_parameters_are_the_published_ones():
    parameters = load_functions("initialize_parameters", folder=SOURCES)(2, 4, 1)
    np.testing.assert_allclose(parameters["W1"], [[-0.00416758, -0.00056267], [-0.02136196, 0.01640271],
                                                  [-0.01793436, -0.00841747], [0.00502881, -0.01245288]], atol=5e-9)
    np.testing.assert_allclose(parameters["W2"], [[-0.01057952, -0.00909008, 0.00551454, 0.02292208]], atol=5e-9)
    assert not parameters["b1"].any() and not parameters["b2"].any()


def test_the_cost_trace_of_four_hidden_units(trained):
    _, costs = trained
    assert len(costs) == 10000 and all(type(cost) is float for cost in costs)
    assert [round(costs[i], 6) for i in range(0, 8000, 1000)] == COST_TRACE
    for iteration, cost in LATE_COSTS.items():
        assert abs(costs[iteration] - cost) < 2e-4


def test_four_hidden_units_reach_90_75_percent(planar, trained):
    predict, accuracy = load_functions("predict", "accuracy", folder=SOURCES)
    parameters, _ = trained
    assert accuracy(predict(parameters, planar[0]), planar[1]) == 90.75


def test_the_hidden_size_sweep(planar):
    sweep = load_functions("hidden_size_sweep", folder=SOURCES)(*planar, [1, 2, 3, 4, 5, 10, 20, 50])
    assert list(sweep) == [1, 2, 3, 4, 5, 10, 20, 50]
    assert {n: sweep[n] for n in (1, 2, 3, 4, 5)} == {1: 67.5, 2: 67.25, 3: 90.75, 4: 90.5, 5: 91.25}
    assert all(90 <= sweep[n] <= 91.5 for n in (10, 20, 50)), sweep
