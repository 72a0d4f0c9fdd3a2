"""Tests of course_utils.loader on small fake nbgrader notebooks written to tmp_path."""
import sys
import traceback
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from course_utils.layout import GRADED_FUNCTIONS
from course_utils.loader import (
    EarlierNotebookNameError,
    AnswerCellError,
    FunctionNotDefinedError,
    InvalidNotebookError,
    NotebookLoadError,
    NotebookMissingError,
    UnfinishedNotebookError,
    load_functions,
)

STUB = "    raise NotImplementedError()\n"


def answer(source, grade_id="answer"):
    """An nbgrader answer cell."""
    nbgrader = {"solution": True, "grade": False, "locked": False, "grade_id": grade_id, "schema_version": 3}
    return new_code_cell(source, metadata={"nbgrader": nbgrader})


def locked_test(source, grade_id="test"):
    """An nbgrader autograder-test cell."""
    nbgrader = {"solution": False, "grade": True, "locked": True, "points": 1, "grade_id": grade_id}
    return new_code_cell(source, metadata={"nbgrader": nbgrader})


def write_notebook(folder, name, cells):
    notebook = new_notebook(cells=cells)
    nbformat.write(notebook, str(Path(folder) / name))


# Cells that must never run: each would raise or print if it did.
NOT_ANSWERS = [
    new_markdown_cell("# A notebook\nIt explains things."),
    new_code_cell('print("SETUP CELL RAN")\nraise RuntimeError("the setup cell ran")'),
    locked_test('raise AssertionError("the test cell ran")'),
    new_code_cell("sigmoid = None", metadata={"nbgrader": {"solution": False, "grade": False, "locked": True}}),
]

INITIALIZATION = """
def layer_sizes(X, Y):
    return X.shape[0], 4, Y.shape[0]

def initialize_parameters(n_x, n_h, n_y, seed=2):
    rng = np.random.RandomState(seed)
    return {"W1": rng.randn(n_h, n_x) * 0.01, "b1": np.zeros((n_h, 1)),
            "W2": rng.randn(n_y, n_h) * 0.01, "b2": np.zeros((n_y, 1))}
"""

SIGMOID = '''
def sigmoid(z):
    """Logistic function, elementwise; z of any shape."""
    return 1 / (1 + np.exp(-z))
'''

FORWARD = """
def forward_propagation(X, parameters):
    A1 = np.tanh(parameters["W1"] @ X + parameters["b1"])
    A2 = sigmoid(parameters["W2"] @ A1 + parameters["b2"])
    return A2, {"A1": A1, "A2": A2}
"""

FORWARD_STUB = '''
def forward_propagation(X, parameters):
    """Forward pass of the network."""
''' + STUB

NN_MODEL = """
def nn_model(X, Y, n_h, num_iterations=10000, learning_rate=1.2, print_cost=False):
    parameters = initialize_parameters(X.shape[0], n_h, Y.shape[0])
    A2, cache = forward_propagation(X, parameters)
    return parameters, [float(A2.mean())]
"""

NN_MODEL_STUB = '''
def nn_model(X, Y, n_h, num_iterations=10000, learning_rate=1.2, print_cost=False):
    """Train the network."""
''' + STUB

SWEEP = """
def hidden_size_sweep(X, Y, hidden_sizes, num_iterations=5000, learning_rate=1.2):
    results = {}
    for n_h in hidden_sizes:
        parameters, costs = nn_model(X, Y, n_h, num_iterations, learning_rate)
        accuracy = 100.0 * costs[-1]  # a local variable, not the graded accuracy of 02
        results[n_h] = accuracy
    return results
"""


def write_course(folder, forward=FORWARD, nn_model=NN_MODEL):
    """Notebooks 03, 04, 07 and 08 of a course whose answers are filled (or stubs where asked)."""
    write_notebook(folder, "03_initialization.ipynb", [*NOT_ANSWERS, answer(INITIALIZATION)])
    write_notebook(
        folder, "04_forward_propagation.ipynb", [NOT_ANSWERS[0], answer(SIGMOID), *NOT_ANSWERS[1:], answer(forward)]
    )
    write_notebook(folder, "07_training.ipynb", [*NOT_ANSWERS, answer(nn_model)])
    write_notebook(folder, "08_hidden_size_sweep.ipynb", [*NOT_ANSWERS, answer(SWEEP)])
    return folder


@pytest.fixture
def course(tmp_path):
    return write_course(tmp_path)


# ---------------------------------------------------------------- loading


def test_one_name_gives_the_function_itself(course):
    sigmoid = load_functions("sigmoid", folder=course)
    assert callable(sigmoid) and sigmoid.__name__ == "sigmoid"
    np.testing.assert_allclose(sigmoid(np.array([0.0, 2.0])), [0.5, 1 / (1 + np.exp(-2.0))])


def test_several_names_give_a_tuple_in_the_order_asked(course):
    functions = load_functions("initialize_parameters", "sigmoid", "layer_sizes", folder=str(course))
    assert isinstance(functions, tuple)
    assert [function.__name__ for function in functions] == ["initialize_parameters", "sigmoid", "layer_sizes"]
    assert functions[2](np.zeros((5, 3)), np.zeros((2, 3))) == (5, 4, 2)


def test_the_folder_defaults_to_the_working_directory(course, monkeypatch):
    monkeypatch.chdir(course)
    layer_sizes = load_functions("layer_sizes")
    assert layer_sizes(np.zeros((3, 1)), np.zeros((1, 1))) == (3, 4, 1)


def test_other_graded_functions_are_loaded_across_notebooks(course):
    nn_model = load_functions("nn_model", folder=course)
    parameters, costs = nn_model(np.ones((2, 3)), np.ones((1, 3)), 4)
    assert sorted(parameters) == ["W1", "W2", "b1", "b2"]
    assert costs == [pytest.approx(0.5, abs=0.01)]
    shared = nn_model.__wrapped__.__globals__
    assert {"initialize_parameters", "forward_propagation", "sigmoid"} <= set(shared)


def test_loading_is_transitive(course):
    hidden_size_sweep = load_functions("hidden_size_sweep", folder=course)
    results = hidden_size_sweep(np.ones((2, 3)), np.ones((1, 3)), [1, 3])
    assert list(results) == [1, 3]


def test_only_the_needed_notebooks_are_read(course):
    (course / "07_training.ipynb").unlink()
    (course / "03_initialization.ipynb").write_text("not json")
    assert load_functions("forward_propagation", folder=course).__name__ == "forward_propagation"


def test_a_local_variable_named_like_a_graded_function_needs_no_notebook(course):
    # hidden_size_sweep has a local variable `accuracy`: 02_logistic_regression.ipynb is not needed
    assert not (course / "02_logistic_regression.ipynb").exists()
    load_functions("hidden_size_sweep", folder=course)


def test_a_graded_function_used_by_an_answer_cell_is_loaded_from_its_notebook(tmp_path):
    accuracy = "def accuracy(predictions, Y):\n    return 50.0\n"
    write_notebook(tmp_path, "02_logistic_regression.ipynb", [answer(accuracy)])
    write_notebook(
        tmp_path,
        "08_hidden_size_sweep.ipynb",
        [answer("def hidden_size_sweep(X, Y, hidden_sizes):\n    return {n: accuracy(X, Y) for n in hidden_sizes}\n")],
    )
    assert load_functions("hidden_size_sweep", folder=tmp_path)(None, None, [2]) == {2: 50.0}


def test_only_the_definitions_of_answer_cells_run(tmp_path, capsys):
    write_notebook(
        tmp_path,
        "04_forward_propagation.ipynb",
        [
            *NOT_ANSWERS,
            new_markdown_cell("def sigmoid(: not python", metadata={"nbgrader": {"solution": True, "grade": True}}),
            answer('print("answer cell ran")\n' + SIGMOID),
            answer(FORWARD),
        ],
    )
    sigmoid = load_functions("sigmoid", folder=tmp_path)
    assert sigmoid(0.0) == 0.5  # the locked cell `sigmoid = None` did not run
    assert capsys.readouterr().out == ""  # the print is not a definition


def test_statements_that_do_something_are_left_out(course):
    doing = (
        "import sys\nimport numpy\nraise NotImplementedError()\nsys.exit(3)\nwhile True:\n    pass\n"
        "numpy.allclose = None\nnp.isclose = lambda *a: True\nSCALE = 1.0\nlater = print('x')\n"
        "def compute_cost(A2, Y):\n    return SCALE * float(np.mean(A2 - Y))\n"
    )
    write_notebook(course, "05_cost.ipynb", [answer(doing)])
    allclose, isclose = np.allclose, np.isclose
    compute_cost = load_functions("compute_cost", folder=course)
    assert compute_cost(np.ones((1, 2)), np.zeros((1, 2))) == 1.0
    assert np.allclose is allclose and np.isclose is isclose


def test_the_namespace_is_fresh_and_holds_only_numpy(tmp_path):
    write_notebook(
        tmp_path,
        "05_cost.ipynb",
        [answer("def compute_cost(A2, Y):\n    return helper_from_the_caller(A2, Y)\n")],
    )
    global helper_from_the_caller
    helper_from_the_caller = lambda A2, Y: 0.0  # noqa: E731 - a global of the caller
    try:
        compute_cost = load_functions("compute_cost", folder=tmp_path)
        namespace = compute_cost.__wrapped__.__globals__
        assert set(namespace) == {"__name__", "__builtins__", "np", "compute_cost"}
        assert namespace["np"] is np and namespace["compute_cost"] is compute_cost
        with pytest.raises(NameError, match="helper_from_the_caller"):
            compute_cost(0.5, 1)
    finally:
        del helper_from_the_caller


def test_every_call_loads_afresh(course):
    first = load_functions("sigmoid", folder=course)
    write_notebook(course, "04_forward_propagation.ipynb", [answer("def sigmoid(z):\n    return 'new'\n" + FORWARD)])
    second = load_functions("sigmoid", folder=course)
    assert first is not second and first.__wrapped__.__globals__ is not second.__wrapped__.__globals__
    assert first(0.0) == 0.5 and second(0.0) == "new"


def test_tracebacks_show_the_answer_cell(course):
    sigmoid = load_functions("sigmoid", folder=course)
    with pytest.raises(TypeError) as raised:
        sigmoid("a string")
    frames = traceback.extract_tb(raised.value.__traceback__)
    assert frames[-1].filename == "04_forward_propagation.ipynb, cell 2"
    assert frames[-1].line == "return 1 / (1 + np.exp(-z))"


# ---------------------------------------------------------------- stubs: UnfinishedNotebookError


def test_a_stub_names_its_function_and_notebook(tmp_path):
    write_course(tmp_path, forward=FORWARD_STUB)
    forward_propagation = load_functions("forward_propagation", folder=tmp_path)
    with pytest.raises(UnfinishedNotebookError) as raised:
        forward_propagation(np.zeros((2, 3)), {})
    assert str(raised.value) == (
        "forward_propagation is not implemented yet in 04_forward_propagation.ipynb: finish that notebook, "
        "save it, then run this cell again.\n"
        "Hint: its answer cell still raises NotImplementedError, the placeholder of an unanswered question."
    )
    assert isinstance(raised.value, NotImplementedError)
    assert type(raised.value.__cause__) is NotImplementedError
    assert (raised.value.function, raised.value.notebook) == ("forward_propagation", "04_forward_propagation.ipynb")


def test_a_stub_deep_inside_names_the_deepest_notebook_once(tmp_path):
    write_course(tmp_path, forward=FORWARD_STUB)
    hidden_size_sweep = load_functions("hidden_size_sweep", folder=tmp_path)
    with pytest.raises(UnfinishedNotebookError) as raised:
        hidden_size_sweep(np.ones((2, 3)), np.ones((1, 3)), [1])
    assert str(raised.value) == (
        "forward_propagation is not implemented yet in 04_forward_propagation.ipynb: finish that notebook, "
        "save it, then run this cell again.\n"
        "Hint: its answer cell still raises NotImplementedError, the placeholder of an unanswered question."
    )
    assert type(raised.value.__cause__) is NotImplementedError  # not wrapped a second time


def test_a_stub_in_the_middle_names_its_own_notebook(tmp_path):
    write_course(tmp_path, nn_model=NN_MODEL_STUB)
    hidden_size_sweep = load_functions("hidden_size_sweep", folder=tmp_path)
    with pytest.raises(UnfinishedNotebookError) as raised:
        hidden_size_sweep(np.ones((2, 3)), np.ones((1, 3)), [1])
    assert str(raised.value).startswith("nn_model is not implemented yet in 07_training.ipynb: finish that notebook")


def test_wrappers_keep_name_doc_and_wrapped(tmp_path):
    write_course(tmp_path, forward=FORWARD_STUB)
    sigmoid, forward_propagation = load_functions("sigmoid", "forward_propagation", folder=tmp_path)
    assert sigmoid.__name__ == "sigmoid"
    assert sigmoid.__doc__ == "Logistic function, elementwise; z of any shape."
    assert forward_propagation.__doc__ == "Forward pass of the network."
    assert sigmoid.__wrapped__.__name__ == "sigmoid" and not hasattr(sigmoid.__wrapped__, "__wrapped__")
    assert forward_propagation.__wrapped__.__globals__["sigmoid"] is sigmoid  # the shared namespace holds the wrappers


def test_other_exceptions_pass_through_unchanged(course):
    sigmoid = load_functions("sigmoid", folder=course)
    with pytest.raises(TypeError) as raised:
        sigmoid(None)
    assert not isinstance(raised.value, UnfinishedNotebookError)


# ---------------------------------------------------------------- errors that name the notebook to finish


def test_missing_notebook(course):
    (course / "04_forward_propagation.ipynb").unlink()
    with pytest.raises(NotebookMissingError) as raised:
        load_functions("sigmoid", folder=course)
    assert str(raised.value) == (
        f"04_forward_propagation.ipynb was not found in {course.resolve()}: this notebook needs sigmoid from it.\n"
        "Hint: keep all the notebooks of the course together in one folder and do not rename them."
    )
    assert isinstance(raised.value, ImportError) and isinstance(raised.value, NotebookLoadError)
    assert raised.value.notebook == "04_forward_propagation.ipynb"


def test_missing_notebook_needed_by_another_one(course):
    (course / "04_forward_propagation.ipynb").rename(course / "04_forward_propagation_copy.ipynb")
    with pytest.raises(NotebookMissingError) as raised:
        load_functions("hidden_size_sweep", folder=course)
    assert str(raised.value).startswith(
        f"04_forward_propagation.ipynb was not found in {course.resolve()}: "
        "this notebook needs forward_propagation from it.\n"
    )


def test_missing_folder(tmp_path):
    with pytest.raises(NotebookMissingError) as raised:
        load_functions("accuracy", folder=tmp_path / "nowhere")
    assert str(raised.value).startswith(f"02_logistic_regression.ipynb was not found in {tmp_path / 'nowhere'}: ")


def test_function_not_defined(course):
    write_notebook(course, "04_forward_propagation.ipynb", [*NOT_ANSWERS, answer(SIGMOID)])
    with pytest.raises(FunctionNotDefinedError) as raised:
        load_functions("forward_propagation", folder=course)
    assert str(raised.value) == (
        "forward_propagation is not defined in 04_forward_propagation.ipynb: finish that notebook (and save it) "
        "before running this one.\n"
        "Hint: the answer cell that defines forward_propagation is missing, renamed or not saved yet."
    )
    assert isinstance(raised.value, ImportError) and raised.value.notebook == "04_forward_propagation.ipynb"


def test_function_used_by_a_loaded_function_but_not_defined(course):
    write_notebook(course, "04_forward_propagation.ipynb", [*NOT_ANSWERS, answer(SIGMOID)])
    with pytest.raises(FunctionNotDefinedError) as raised:
        load_functions("nn_model", folder=course)
    assert str(raised.value).startswith("forward_propagation is not defined in 04_forward_propagation.ipynb: ")


def test_function_defined_only_outside_the_answer_cells(course):
    write_notebook(course, "05_cost.ipynb", [new_code_cell("def compute_cost(A2, Y):\n    return 0.0\n")])
    with pytest.raises(FunctionNotDefinedError, match=r"^compute_cost is not defined in 05_cost.ipynb: finish"):
        load_functions("compute_cost", folder=course)


def test_name_bound_to_something_else(course):
    cells = [answer("def compute_cost(A2, Y):\n    return 0.0\n"), answer("compute_cost = 0.7\n")]
    write_notebook(course, "05_cost.ipynb", cells)
    with pytest.raises(FunctionNotDefinedError) as raised:
        load_functions("compute_cost", folder=course)
    assert str(raised.value) == (
        "compute_cost in 05_cost.ipynb is not a function: got float, expected a function.\n"
        "Hint: an answer cell of 05_cost.ipynb assigns a value to the name compute_cost after its definition."
    )


def test_answer_cell_that_raises(course):
    write_notebook(
        course, "03_initialization.ipynb", [NOT_ANSWERS[0], answer(INITIALIZATION), answer("ratio = 1 / 0\n")]
    )
    with pytest.raises(AnswerCellError) as raised:
        load_functions("nn_model", folder=course)
    assert str(raised.value) == (
        "03_initialization.ipynb could not be loaded: its cell 3 raised ZeroDivisionError: division by zero.\n"
        "Hint: open 03_initialization.ipynb, run that cell to see the error, correct it and save the notebook, "
        "then run this cell again."
    )
    assert isinstance(raised.value, ImportError) and raised.value.notebook == "03_initialization.ipynb"
    assert type(raised.value.__cause__) is ZeroDivisionError


def test_answer_cell_that_raises_without_a_message(course):
    write_notebook(course, "05_cost.ipynb", [answer("def compute_cost(A2, Y, stub=next(iter(()))):\n    pass\n")])
    with pytest.raises(AnswerCellError) as raised:
        load_functions("compute_cost", folder=course)
    assert str(raised.value).startswith("05_cost.ipynb could not be loaded: its cell 1 raised StopIteration.\n")


def test_answer_cell_that_exits(course):
    exits = "import sys\ndef compute_cost(A2, Y, code=sys.exit(3)):\n    pass\n"
    write_notebook(course, "05_cost.ipynb", [answer(exits)])
    expected = r"^05_cost.ipynb could not be loaded: its cell 1 raised SystemExit: 3\.\nHint: "
    with pytest.raises(AnswerCellError, match=expected):
        load_functions("compute_cost", folder=course)


def test_answer_cell_with_a_syntax_error(course):
    broken = answer("def forward_propagation(:\n    pass\n")
    write_notebook(course, "04_forward_propagation.ipynb", [NOT_ANSWERS[0], answer(SIGMOID), broken])
    with pytest.raises(AnswerCellError) as raised:
        load_functions("sigmoid", folder=course)
    assert str(raised.value).startswith(
        "04_forward_propagation.ipynb could not be loaded: its cell 3 raised SyntaxError: invalid syntax "
        "(04_forward_propagation.ipynb, cell 3, line 1).\n"
        "Hint: open 04_forward_propagation.ipynb, run that cell"
    )


def test_notebook_that_is_not_json(course):
    (course / "04_forward_propagation.ipynb").write_text("")
    with pytest.raises(InvalidNotebookError) as raised:
        load_functions("sigmoid", folder=course)
    assert str(raised.value) == (
        "04_forward_propagation.ipynb is not a valid notebook: got JSONDecodeError: Expecting value: line 1 column 1 "
        "(char 0), expected a Jupyter notebook.\n"
        "Hint: open 04_forward_propagation.ipynb in Jupyter to see whether it still opens; if not, restore it from "
        "a checkpoint or a fresh copy and redo its answers."
    )
    assert isinstance(raised.value, ImportError) and raised.value.notebook == "04_forward_propagation.ipynb"


def test_notebook_that_is_not_utf8(course):
    (course / "05_cost.ipynb").write_bytes(b'{"cells": "\xff"}')
    with pytest.raises(InvalidNotebookError, match=r"^05_cost.ipynb is not a valid notebook: got UnicodeDecodeError: "):
        load_functions("compute_cost", folder=course)


@pytest.mark.parametrize(
    "text, problem",
    [
        ("[1, 2]", "JSON list without a list of cells"),
        ('{"metadata": {}}', "JSON dict without a list of cells"),
        ('{"cells": {}}', "JSON dict without a list of cells"),
        ('{"cells": [{"cell_type": "markdown", "source": ""}, 7]}', "cell 2 that is a JSON int"),
        (
            '{"cells": [{"cell_type": "code", "metadata": {"nbgrader": {"solution": true}}, "source": 5}]}',
            "cell 1 whose source is a JSON int",
        ),
    ],
)
def test_json_that_is_not_a_notebook(course, text, problem):
    (course / "05_cost.ipynb").write_text(text)
    with pytest.raises(InvalidNotebookError) as raised:
        load_functions("compute_cost", folder=course)
    assert str(raised.value).startswith(
        f"05_cost.ipynb is not a valid notebook: got {problem}, expected a Jupyter notebook.\nHint: "
    )


def test_source_as_a_list_of_lines_and_cells_without_metadata(course):
    (course / "05_cost.ipynb").write_text(
        '{"cells": [{"cell_type": "code", "source": "raise RuntimeError()"},'
        ' {"cell_type": "code", "metadata": {"nbgrader": {"solution": true}},'
        ' "source": ["def compute_cost(A2, Y):\\n", "    return 0.25\\n"]}]}'
    )
    assert load_functions("compute_cost", folder=course)(None, None) == 0.25


# ---------------------------------------------------------------- names


def test_unknown_function_name(course):
    with pytest.raises(ValueError) as raised:
        load_functions("sigmoid", "forward_prop", folder=course)
    assert str(raised.value) == (
        "load_functions got an unknown function name: got 'forward_prop', "
        f"expected one of {', '.join(GRADED_FUNCTIONS)}.\n"
        "Hint: the names are those of the graded functions, spelled exactly as in their notebooks."
    )
    assert "accuracy, layer_sizes, initialize_parameters, sigmoid" in str(raised.value)


def test_a_function_object_instead_of_a_name(course):
    with pytest.raises(ValueError, match=r"^load_functions got an unknown function name: got <built-in function len>"):
        load_functions(len, folder=course)


def test_no_name_at_all(course):
    with pytest.raises(ValueError) as raised:
        load_functions(folder=course)
    assert str(raised.value) == (
        f"load_functions needs at least one function name: expected some of {', '.join(GRADED_FUNCTIONS)}."
    )


# ---------------------------------------------------------------- IPython magics


MAGICS = '''%matplotlib inline
!echo shell escapes do not run
files = !ls
np.sum?
%time ratio = 2.0

def compute_cost(A2, Y):
    """Mean of A2 times ratio; a line in a docstring may start with
% or ! and stays text."""
    %time value = float(np.mean(A2)) * ratio
    return value
'''


@pytest.mark.parametrize("with_ipython", [True, False])
def test_magics_are_tolerated(tmp_path, monkeypatch, capfd, with_ipython):
    if not with_ipython:
        monkeypatch.setitem(sys.modules, "IPython.core.inputtransformer2", None)  # the import fails
    write_notebook(tmp_path, "05_cost.ipynb", [answer(MAGICS)])
    compute_cost = load_functions("compute_cost", folder=tmp_path)
    if with_ipython:  # %time keeps its statement
        assert compute_cost(np.array([[0.25, 0.75]]), None) == 1.0
        assert "% or ! and stays text" in compute_cost.__doc__
    else:  # without IPython every magic line is skipped
        assert "files" not in compute_cost.__wrapped__.__globals__
    assert "shell escapes do not run" not in capfd.readouterr().out


@pytest.mark.parametrize("with_ipython", [True, False])
def test_cell_magics(tmp_path, monkeypatch, capfd, with_ipython):
    if not with_ipython:
        monkeypatch.setitem(sys.modules, "IPython.core.inputtransformer2", None)
    write_notebook(
        tmp_path,
        "04_forward_propagation.ipynb",
        [
            answer("%%time\n" + SIGMOID),
            answer("%%capture captured\n" + FORWARD),
            answer("%%bash\necho cell magics other than time and capture do not run\nexit 1\n"),
        ],
    )
    sigmoid, forward_propagation = load_functions("sigmoid", "forward_propagation", folder=tmp_path)
    assert sigmoid(0.0) == 0.5 and forward_propagation.__name__ == "forward_propagation"
    assert "do not run" not in capfd.readouterr().out


def test_a_cell_magic_body_keeps_its_line_numbers(tmp_path):
    write_notebook(tmp_path, "04_forward_propagation.ipynb", [answer("%%time\n" + SIGMOID)])
    sigmoid = load_functions("sigmoid", folder=tmp_path)
    with pytest.raises(TypeError) as raised:
        sigmoid("a string")
    frame = traceback.extract_tb(raised.value.__traceback__)[-1]
    expected = ("04_forward_propagation.ipynb, cell 1", 5, "return 1 / (1 + np.exp(-z))")
    assert (frame.filename, frame.lineno, frame.line) == expected


def test_an_answer_cell_is_named_by_its_function_not_by_a_number(tmp_path):
    """A student sees no cell numbers: the error names the answer cell of the function."""
    write_notebook(tmp_path, "04_forward_propagation.ipynb", [
        *NOT_ANSWERS, answer("def sigmoid(z):\n    return 1 / (1 + np.exp(-z))\n", grade_id="sigmoid"),
        answer("def forward_propagation(X, parameters):\n    return 1 / 0\nx = 1 +\n", grade_id="forward_propagation"),
    ])
    with pytest.raises(AnswerCellError) as raised:
        load_functions("sigmoid", folder=tmp_path)
    message = str(raised.value)
    assert message.startswith("04_forward_propagation.ipynb could not be loaded: the answer cell of "
                              "forward_propagation raised SyntaxError")
    assert "cell 6" not in message


def test_a_helper_left_in_another_cell_is_reported_with_what_to_do(tmp_path):
    """Only answer cells travel: a function that uses a helper of another cell says so."""
    write_notebook(tmp_path, "02_logistic_regression.ipynb", [
        new_code_cell("def share(right):\n    return float(100 * np.mean(right))\n"),
        answer("def accuracy(predictions, Y):\n    return share(predictions == Y)\n", grade_id="accuracy"),
    ])
    accuracy = load_functions("accuracy", folder=tmp_path)
    with pytest.raises(NameError) as raised:
        accuracy(np.ones((1, 2)), np.ones((1, 2)))
    assert isinstance(raised.value, EarlierNotebookNameError)
    assert str(raised.value).startswith("accuracy, loaded from 02_logistic_regression.ipynb, uses the name 'share', "
                                        "which the answer cells of 02_logistic_regression.ipynb do not define")
    assert "define it inside the answer cell of accuracy" in str(raised.value)


def test_a_misspelt_name_inside_the_function_is_reported_the_same_way(tmp_path):
    write_notebook(tmp_path, "02_logistic_regression.ipynb", [
        answer("def accuracy(predictions, Y):\n    right = predictions == Y\n    return right_answers\n", grade_id="accuracy"),
    ])
    accuracy = load_functions("accuracy", folder=tmp_path)
    with pytest.raises(EarlierNotebookNameError):
        accuracy(np.ones((1, 2)), np.ones((1, 2)))
