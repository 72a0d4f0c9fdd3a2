"""The course's assignment, its notebooks in teaching order, and where each graded function lives."""

ASSIGNMENT = "planar_nn"

#: notebook file -> the graded functions its answer cells define, in teaching order
NOTEBOOKS = {
    "01_planar_data.ipynb": (),
    "02_logistic_regression.ipynb": ("accuracy",),
    "03_initialization.ipynb": ("layer_sizes", "initialize_parameters"),
    "04_forward_propagation.ipynb": ("sigmoid", "forward_propagation"),
    "05_cost.ipynb": ("compute_cost",),
    "06_backward_propagation.ipynb": ("backward_propagation",),
    "07_training.ipynb": ("update_parameters", "nn_model", "predict"),
    "08_hidden_size_sweep.ipynb": ("hidden_size_sweep",),
    # beyond the planar lesson
    "09_activations.ipynb": ("relu", "leaky_relu", "activation_derivative"),
    "10_initialization_scale.ipynb": ("initialize_parameters_scaled", "saturation_fraction"),
    "11_softmax_regularization.ipynb": ("softmax", "softmax_forward", "softmax_cost", "softmax_backward"),
    "12_other_datasets.ipynb": ("train_and_score",),
    "13_momentum.ipynb": ("initialize_velocity", "update_parameters_momentum"),
    "14_generalization.ipynb": ("train_test_sweep",),
}

#: graded function -> the notebook that defines it
NOTEBOOK_OF = {function: notebook for notebook, functions in NOTEBOOKS.items() for function in functions}

GRADED_FUNCTIONS = tuple(NOTEBOOK_OF)

# longest first, so that "softmax_forward_..." belongs to softmax_forward and not to softmax
_BY_LENGTH = sorted(GRADED_FUNCTIONS, key=len, reverse=True)


def function_of_test_cell(grade_id: str) -> str | None:
    """The graded function a test cell's grade_id belongs to (``<function>_<anything>``), or None.

    >>> function_of_test_cell("softmax_forward_shapes"), function_of_test_cell("softmax_sums_to_one")
    ('softmax_forward', 'softmax')
    >>> function_of_test_cell("q_overfitting") is None
    True
    """
    return next((function for function in _BY_LENGTH if grade_id.startswith(function + "_")), None)
