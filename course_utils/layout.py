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
}

#: graded function -> the notebook that defines it
NOTEBOOK_OF = {function: notebook for notebook, functions in NOTEBOOKS.items() for function in functions}

GRADED_FUNCTIONS = tuple(NOTEBOOK_OF)
