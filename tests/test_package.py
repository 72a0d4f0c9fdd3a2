"""course_utils stays light and honest: nothing heavy on import, no graded function implemented."""
import ast
import subprocess
import sys
from pathlib import Path

from course_utils.layout import GRADED_FUNCTIONS

PACKAGE = Path(__file__).resolve().parent.parent / "course_utils"


def modules_loaded_by(statement):
    """The top-level module names a fresh interpreter has loaded after ``statement``."""
    code = f"import sys\n{statement}\nprint(' '.join(sorted({{m.split('.')[0] for m in sys.modules}})))"
    return set(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
               .stdout.split())


def test_importing_the_package_and_its_test_helpers_loads_neither_matplotlib_nor_sklearn():
    loaded = modules_loaded_by("import course_utils, course_utils.checks, course_utils.cases, "
                               "course_utils.references, course_utils.loader, course_utils.gradcheck, "
                               "course_utils.datasets, course_utils.plotting")
    assert not loaded & {"matplotlib", "sklearn", "scipy", "IPython", "nbformat"}


def test_importing_the_package_prints_nothing_and_leaves_the_random_state_alone():
    code = ("import numpy as np; state = np.random.get_state()[1].copy(); import course_utils.cases, "
            "course_utils.datasets, course_utils.plotting, course_utils.checks; "
            "assert (np.random.get_state()[1] == state).all()")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout == "" and result.stderr == ""


def test_no_module_of_course_utils_defines_a_graded_function():
    for path in PACKAGE.glob("*.py"):
        defined = {node.name for node in ast.walk(ast.parse(path.read_text()))
                   if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}
        assert not defined & set(GRADED_FUNCTIONS), f"{path.name} defines {defined & set(GRADED_FUNCTIONS)}"
