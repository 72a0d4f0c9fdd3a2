"""Loads the student's own graded functions from the earlier notebooks of the same folder.

A later notebook never ships a reference implementation: it runs the answer cells of the
earlier notebooks instead, as the student saved them, e.g. in ``07_training.ipynb``::

    from course_utils.loader import load_functions
    forward_propagation, compute_cost = load_functions("forward_propagation", "compute_cost")

Only the definitions of the answer cells (code cells whose nbgrader metadata has
``"solution": true``) are run, in a fresh namespace that holds nothing but ``np``: functions,
classes, imports, and assignments to plain names that call nothing. Statements that do
something (a print, a loop, a call, a change to another module) are left out, so a stray line
in an earlier notebook can neither hang, flood nor stop a later one. Every other cell of those
notebooks is ignored. A graded function that mentions another one by name (``nn_model`` calls
``forward_propagation``) brings that function's notebook along, and all of them share one
namespace. IPython magics, shell escapes and help requests in answer cells are skipped;
with IPython installed, ``%time``, ``%%time`` and ``%%capture`` keep their Python statements.

Only answer cells travel: a helper function written in another cell of an earlier notebook is
not loaded, and a loaded function that uses one fails with :class:`EarlierNotebookNameError`
(a ``NameError``) saying so. Only what is saved travels, too: the notebooks are read from disk.

When something is missing the error names the notebook to finish: a missing or unreadable
notebook file, an answer cell that fails, a function that its notebook does not define
(:class:`NotebookLoadError`, an ``ImportError``), or a function that is still the
``raise NotImplementedError()`` stub when called (:class:`UnfinishedNotebookError`,
a ``NotImplementedError``).
"""
import ast
import builtins
import functools
import io
import json
import linecache
import re
import symtable
import tokenize
from pathlib import Path
from typing import NamedTuple

import numpy as np

from course_utils.layout import GRADED_FUNCTIONS, NOTEBOOK_OF

__all__ = [
    "load_functions",
    "answer_source",
    "NotebookLoadError",
    "NotebookMissingError",
    "InvalidNotebookError",
    "AnswerCellError",
    "FunctionNotDefinedError",
    "UnfinishedNotebookError",
    "EarlierNotebookNameError",
]

#: the value of ``__name__`` in the namespace of the loaded answer cells
NAMESPACE_NAME = "course_notebooks"

# cell magics whose body is plain Python that should still run
_MAGICS_THAT_RUN_THEIR_BODY = ("time", "capture")
# without IPython: "%magic", "!shell", "name = !shell", "name = %magic", "name?", "?name"
_ESCAPED_LINE = re.compile(r"\s*([%!?]|[\w.]+\s*=\s*[%!]|[\w.]+\?\??\s*$)")


class NotebookLoadError(ImportError):
    """An earlier notebook could not provide a graded function.

    Attributes
    ----------
    notebook : str
        The file name of the notebook to finish or repair.
    """

    def __init__(self, message, notebook):
        super().__init__(message)
        self.notebook = notebook


class NotebookMissingError(NotebookLoadError):
    """The notebook file is not in the folder."""


class InvalidNotebookError(NotebookLoadError):
    """The notebook file is not valid JSON or not a Jupyter notebook."""


class AnswerCellError(NotebookLoadError):
    """An answer cell of the notebook raised an exception (a SyntaxError included) while loading."""


class FunctionNotDefinedError(NotebookLoadError):
    """The answer cells of the notebook do not define the function (or bind its name to a non-function)."""


class UnfinishedNotebookError(NotImplementedError):
    """A loaded graded function is still the ``raise NotImplementedError()`` stub.

    Attributes
    ----------
    function : str
        The graded function.
    notebook : str
        The notebook that defines it.
    """

    def __init__(self, function, notebook):
        super().__init__(
            f"{function} is not implemented yet in {notebook}: finish that notebook, save it, "
            "then run this cell again.\n"
            "Hint: its answer cell still raises NotImplementedError, the placeholder of an unanswered question."
        )
        self.function = function
        self.notebook = notebook


class EarlierNotebookNameError(NameError):
    """A loaded function uses a name that the answer cells of its notebook do not define.

    Attributes
    ----------
    function, notebook, missing : str
        The graded function, the notebook that defines it and the undefined name.
    """

    def __init__(self, function, notebook, missing):
        super().__init__(
            f"{function}, loaded from {notebook}, uses the name {missing!r}, which the answer cells of "
            f"{notebook} do not define: got NameError, expected every name it uses to be defined there.\n"
            "Hint: only the answer cells of an earlier notebook are loaded, as they are saved on disk; "
            f"a helper written in another cell stays behind (define it inside the answer cell of {function}, "
            "save the notebook, then run this cell again).",
            name=missing,
        )
        self.function, self.notebook, self.missing = function, notebook, missing


def load_functions(*names, folder=None):
    """The student's own graded functions, loaded from the notebooks that define them.

    Parameters
    ----------
    *names : str
        Graded function names (see ``course_utils.layout.GRADED_FUNCTIONS``).
    folder : str or Path, optional
        The folder of the notebooks; the current working directory by default, which is
        the notebook's own folder in Jupyter and under ``nbgrader autograde``.

    Returns
    -------
    function or tuple of functions
        The function itself for one name, else a tuple in the order of ``names``. Each one
        raises :class:`UnfinishedNotebookError` when its notebook's stub is still in place.

    Raises
    ------
    ValueError
        When a name is not that of a graded function.
    NotebookLoadError
        When a needed notebook is missing, unreadable, fails to run or lacks a function.
    """
    _check_names(names)
    folder = Path.cwd() if folder is None else Path(folder)
    notebooks = _needed_notebooks(names, folder.resolve())
    namespace = {"__name__": NAMESPACE_NAME, "__builtins__": builtins, "np": np}
    for notebook in sorted(notebooks):  # teaching order: by the two-digit prefix
        for cell in notebooks[notebook].cells:
            _run_answer_cell(cell, notebook, namespace)
    for function in dict.fromkeys([*names, *_referenced_functions(notebooks)]):
        _check_defined(function, namespace)
    _guard_graded_functions(namespace, notebooks)
    functions = tuple(namespace[name] for name in names)
    return functions[0] if len(functions) == 1 else functions


def answer_source(*names, folder):
    """The Python that :func:`load_functions` runs for ``names``, as one module's source.

    It imports numpy as ``np`` and then defines, in teaching order, what the answer cells of
    the notebooks of ``names``, and of the graded functions they use, define. Run from the
    course's solutions, it is how a hidden test gets them (``course_admin.grading.solution_source``).
    Raises as :func:`load_functions` does, when a name is unknown or a notebook cannot provide it.
    """
    _check_names(names)
    notebooks = _needed_notebooks(names, Path(folder).resolve())
    parts = ["import numpy as np"]
    for notebook in sorted(notebooks):
        parts.extend(cell.definitions for cell in notebooks[notebook].cells if cell.definitions)
    return "\n\n".join(parts) + "\n"


# ---------------------------------------------------------------- finding the notebooks


class _AnswerCell(NamedTuple):
    label: str  # how the student finds it: "the answer cell of sigmoid" (else "cell 7")
    filename: str  # what tracebacks show, e.g. "04_forward_propagation.ipynb, the answer cell of sigmoid"
    source: str
    definitions: str  # the Python that runs: the cell's definitions, magics removed
    code: object
    references: frozenset  # graded function names the cell uses as globals


class _Notebook(NamedTuple):
    cells: tuple
    references: tuple  # graded function names used by its answer cells, in teaching order


def _check_names(names):
    """ValueError unless every name is that of a graded function."""
    known = ", ".join(GRADED_FUNCTIONS)
    if not names:
        raise ValueError(f"load_functions needs at least one function name: expected some of {known}.")
    for name in names:
        if not isinstance(name, str) or name not in NOTEBOOK_OF:
            raise ValueError(
                f"load_functions got an unknown function name: got {name!r}, expected one of {known}.\n"
                "Hint: the names are those of the graded functions, spelled exactly as in their notebooks."
            )


def _needed_notebooks(names, folder):
    """notebook file -> its answer cells, for the notebooks of ``names`` and of the functions they use."""
    notebooks = {}
    pending = list(dict.fromkeys(names))
    while pending:
        function = pending.pop(0)
        notebook = NOTEBOOK_OF[function]
        if notebook in notebooks:
            continue
        notebooks[notebook] = _read_notebook(folder, notebook, function)
        pending.extend(name for name in notebooks[notebook].references if NOTEBOOK_OF[name] not in notebooks)
    return notebooks


def _referenced_functions(notebooks):
    """The graded functions used by the loaded answer cells, in teaching order."""
    return [name for notebook in sorted(notebooks) for name in notebooks[notebook].references]


def _read_notebook(folder, notebook, function):
    """The answer cells of ``folder / notebook``, parsed and compiled."""
    path = folder / notebook
    if not path.exists():
        raise NotebookMissingError(
            f"{notebook} was not found in {folder}: this notebook needs {function} from it.\n"
            "Hint: keep all the notebooks of the course together in one folder and do not rename them.",
            notebook,
        )
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise _invalid(notebook, f"{type(error).__name__}: {error}") from error
    if not isinstance(content, dict) or not isinstance(content.get("cells"), list):
        raise _invalid(notebook, f"JSON {type(content).__name__} without a list of cells")
    cells = []
    for number, cell in enumerate(content["cells"], start=1):
        if not isinstance(cell, dict):
            raise _invalid(notebook, f"cell {number} that is a JSON {type(cell).__name__}")
        if _is_answer_cell(cell):
            source = cell.get("source", "")
            if isinstance(source, list) and all(isinstance(line, str) for line in source):
                source = "".join(source)
            if not isinstance(source, str):
                raise _invalid(notebook, f"cell {number} whose source is a JSON {type(source).__name__}")
            grade_id = cell["metadata"]["nbgrader"].get("grade_id")
            cells.append(_prepare_cell(notebook, number, source, grade_id))
    references = set().union(*(cell.references for cell in cells))
    ordered = tuple(name for name in GRADED_FUNCTIONS if name in references)
    return _Notebook(tuple(cells), ordered)


def _invalid(notebook, problem):
    """The error for a file that is not a readable notebook."""
    return InvalidNotebookError(
        f"{notebook} is not a valid notebook: got {problem}, expected a Jupyter notebook.\n"
        f"Hint: open {notebook} in Jupyter to see whether it still opens; if not, "
        "restore it from a checkpoint or a fresh copy and redo its answers.",
        notebook,
    )


def _is_answer_cell(cell):
    """True for an nbgrader answer cell: a code cell whose nbgrader metadata says solution."""
    metadata = cell.get("metadata")
    nbgrader = metadata.get("nbgrader") if isinstance(metadata, dict) else None
    return cell.get("cell_type") == "code" and isinstance(nbgrader, dict) and nbgrader.get("solution") is True


def _cell_label(number, grade_id):
    """How a student finds the cell: by the function it defines, else by its position."""
    if isinstance(grade_id, str) and grade_id in NOTEBOOK_OF:
        return f"the answer cell of {grade_id}"
    return f"cell {number}"


def _prepare_cell(notebook, number, source, grade_id=None):
    """Parse and compile one answer cell, finding the graded functions it uses."""
    label = _cell_label(number, grade_id)
    filename = f"{notebook}, {label}"
    try:
        tree = _definitions_only(_python_tree(source, filename))
        code = compile(tree, filename, "exec", dont_inherit=True)
        definitions = ast.unparse(tree)
        references = _global_names(definitions, filename) & set(NOTEBOOK_OF)
    except (SyntaxError, ValueError) as error:
        raise _cell_error(notebook, label, error) from error
    return _AnswerCell(label, filename, source, definitions, code, frozenset(references))


def _definitions_only(tree):
    """``tree`` keeping only the statements that define something without running student code."""
    def is_definition(node):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)):
            return True
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            return (all(isinstance(target, ast.Name) for target in targets)
                    and not any(isinstance(inner, (ast.Call, ast.Lambda)) for inner in ast.walk(node.value)))
        return False

    tree.body = [node for node in tree.body if is_definition(node)]
    return tree


def _global_names(source, filename):
    """Names that some scope of ``source`` reads as a global."""
    names = set()
    tables = [symtable.symtable(source, filename, "exec")]
    while tables:
        table = tables.pop()
        is_module = table.get_type() == "module"
        for symbol in table.get_symbols():
            if symbol.is_referenced() and (is_module or symbol.is_global()):
                names.add(symbol.get_name())
        tables.extend(table.get_children())
    return names


# ---------------------------------------------------------------- IPython magics


def _python_tree(source, filename):
    """The module AST of a cell, with IPython magics and shell escapes removed; line numbers kept."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:
        return ast.parse(_without_magic_lines(source), filename)
    transformer = TransformerManager()
    # dropping the leading blank lines would shift every line number of the cell
    transformer.cleanup_transforms = [
        transform for transform in transformer.cleanup_transforms
        if getattr(transform, "__name__", None) != "leading_empty_lines"
    ]
    try:
        python = transformer.transform_cell(source)
    except Exception:  # IPython could not make sense of it: let the parser report the problem
        python = source
    tree = _MagicRemover(filename).visit(ast.parse(python, filename))
    return ast.fix_missing_locations(tree)


class _MagicRemover(ast.NodeTransformer):
    """Replaces the ``get_ipython()...`` calls written by IPython's transformer.

    ``%time stmt`` and the bodies of ``%%time`` and ``%%capture`` are kept as Python;
    any other magic, shell escape or help request becomes ``pass``.
    """

    def __init__(self, filename):
        self.filename = filename

    def visit_Expr(self, node):
        magic = _magic_call(node.value)
        if magic is None:
            return node
        method, arguments = magic
        if method == "run_line_magic" and len(arguments) == 2 and arguments[0] == "time":
            return self._python_at(arguments[1], node, first_line=node.lineno)
        if method == "run_cell_magic" and len(arguments) == 3 and arguments[0] in _MAGICS_THAT_RUN_THEIR_BODY:
            return self._python_at(arguments[2], node, first_line=node.lineno + 1)
        return ast.copy_location(ast.Pass(), node)

    def visit_Assign(self, node):
        return node if _magic_call(node.value) is None else ast.copy_location(ast.Pass(), node)

    def _python_at(self, source, node, first_line):
        """``source`` (which may hold magics itself) as statements starting at ``first_line``."""
        tree = _python_tree(source, self.filename)
        ast.increment_lineno(tree, first_line - 1)
        return tree.body or [ast.copy_location(ast.Pass(), node)]


def _magic_call(node):
    """(method, constant arguments) of a call ``get_ipython().method(...)``, else None."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
        return None
    owner = node.func.value
    if not (isinstance(owner, ast.Call) and isinstance(owner.func, ast.Name) and owner.func.id == "get_ipython"):
        return None
    arguments = [argument.value if isinstance(argument, ast.Constant) else None for argument in node.args]
    return node.func.attr, arguments


def _without_magic_lines(source):
    """Without IPython: magic, shell and help lines become ``pass``; a ``%%`` cell keeps only a Python body."""
    lines = source.split("\n")
    if lines and lines[0].startswith("%%"):
        magic = lines[0][2:].split(maxsplit=1)
        if not magic or magic[0] not in _MAGICS_THAT_RUN_THEIR_BODY:
            return ""
        lines[0] = ""
    inside_strings = _lines_inside_strings("\n".join(lines))
    for index, line in enumerate(lines):
        if _ESCAPED_LINE.match(line) and index + 1 not in inside_strings:
            lines[index] = line[: len(line) - len(line.lstrip())] + "pass"
    return "\n".join(lines)


def _lines_inside_strings(source):
    """Numbers of the lines that continue a multi-line string (they are text, not code)."""
    inside = set()
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.STRING:
                inside.update(range(token.start[0] + 1, token.end[0] + 1))
    except (tokenize.TokenError, SyntaxError):
        pass  # the parser reports the problem later
    return inside


# ---------------------------------------------------------------- running the cells


def _run_answer_cell(cell, notebook, namespace):
    """Execute one answer cell in ``namespace``; its source is kept so that tracebacks show it."""
    linecache.cache[cell.filename] = (len(cell.source), None, cell.source.splitlines(True), cell.filename)
    try:
        exec(cell.code, namespace)
    except (Exception, SystemExit) as error:
        raise _cell_error(notebook, cell.label, error) from error


def _cell_error(notebook, label, error):
    """The error for an answer cell (`label`: "the answer cell of sigmoid") that fails while loading."""
    detail = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    label = f"its {label}" if label.startswith("cell ") else label
    return AnswerCellError(
        f"{notebook} could not be loaded: {label} raised {detail}.\n"
        f"Hint: open {notebook}, run that cell to see the error, correct it and save the notebook, "
        "then run this cell again.",
        notebook,
    )


def _check_defined(function, namespace):
    """FunctionNotDefinedError unless the answer cells bound ``function`` to a callable."""
    notebook = NOTEBOOK_OF[function]
    if function not in namespace:
        raise FunctionNotDefinedError(
            f"{function} is not defined in {notebook}: finish that notebook (and save it) before running this one.\n"
            f"Hint: the answer cell that defines {function} is missing, renamed or not saved yet.",
            notebook,
        )
    if not callable(namespace[function]):
        raise FunctionNotDefinedError(
            f"{function} in {notebook} is not a function: got {type(namespace[function]).__name__}, "
            "expected a function.\n"
            f"Hint: an answer cell of {notebook} assigns a value to the name {function} after its definition.",
            notebook,
        )


def _guard_graded_functions(namespace, notebooks):
    """Wrap every loaded graded function so that its stub names the notebook to finish."""
    for function, notebook in NOTEBOOK_OF.items():
        if notebook in notebooks and callable(namespace.get(function)):
            namespace[function] = _unfinished_guard(namespace[function], function, notebook)


def _unfinished_guard(implementation, function, notebook):
    """``implementation`` with NotImplementedError turned into UnfinishedNotebookError."""

    @functools.wraps(implementation)
    def guarded(*args, **kwargs):
        try:
            return implementation(*args, **kwargs)
        except (UnfinishedNotebookError, EarlierNotebookNameError):
            raise  # a deeper function already named its notebook
        except NotImplementedError as error:
            raise UnfinishedNotebookError(function, notebook) from error
        except NameError as error:
            if error.name is None or error.name in implementation.__globals__:
                raise
            raise EarlierNotebookNameError(function, notebook, error.name) from None

    return guarded
