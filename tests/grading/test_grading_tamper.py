"""The static tampering scan: what it flags, and ordinary code it leaves alone."""
from __future__ import annotations

import nbformat
import pytest

from course_admin.grading.tamper import scan_notebook, scan_source


@pytest.mark.parametrize("source, finding", [
    ("import numpy as np\nnp.testing.assert_allclose = lambda *a, **k: None",
     "assigns to numpy.testing.assert_allclose"),
    ("import numpy.testing as npt\nnpt.assert_allclose = print", "assigns to numpy.testing.assert_allclose"),
    ("from numpy import testing\ntesting.assert_array_equal = print", "assigns to numpy.testing.assert_array_equal"),
    ("np.random.seed = lambda s: None", "assigns to numpy.random.seed"),
    ("del np.testing.assert_allclose", "assigns to numpy.testing.assert_allclose"),
    ("import course_utils.checks\ncourse_utils.checks.check_close = print",
     "assigns to course_utils.checks.check_close"),
    ("from course_utils import checks as c\nc.check_close = print", "assigns to course_utils.checks.check_close"),
    # the private modules the checks use, patched the same ways
    ("from course_utils import _messages as m\nm._fail = print", "assigns to course_utils._messages._fail"),
    ("import course_utils._messages\ncourse_utils._messages._fail.__code__ = print.__code__",
     "assigns to course_utils._messages._fail.__code__"),
    ("from course_utils._integrity import _Watch\n_Watch.verifier = print",
     "assigns to course_utils._integrity._Watch.verifier"),
    ("import course_utils._originals as o\nvars(o)['_abs'] = print", "writes to a __dict__ (vars(o)['_abs'])"),
    ("import builtins", "imports builtins"),
    ("from builtins import abs", "imports from builtins"),
    ("__builtins__.abs = lambda x: 0", "uses __builtins__"),
    ("import numpy\nsetattr(numpy, 'allclose', lambda *a: True)", "calls setattr on the module numpy"),
    ("import math\nsetattr(math, 'isclose', print)", "calls setattr on the module math"),
    ("import sys\nsys.modules['numpy'] = object()", "writes to sys.modules (sys.modules['numpy'])"),
    ("import sys\nsys.modules.pop('numpy')", "changes sys.modules (sys.modules.pop)"),
    ("from sys import modules\nmodules['numpy'] = None", "writes to sys.modules (modules['numpy'])"),
    ("obj.__dict__['x'] = 1", "writes to a __dict__ (obj.__dict__['x'])"),
    ("vars(np)['allclose'] = print", "writes to a __dict__ (vars(np)['allclose'])"),
    ("thing.__dict__.update(a=1)", "writes to a __dict__ (thing.__dict__.update)"),
    ("abs = lambda x: 0", "rebinds the built-in name abs"),
    ("def isinstance(a, b):\n    return True", "rebinds the built-in name isinstance"),
    ("exec('np.testing.assert_allclose = print')", "calls exec"),
    ("import ctypes", "imports ctypes"),
    ("import sqlite3\nsqlite3.connect('../../../gradebook.db')", "imports sqlite3"),
    ("from subprocess import run", "imports subprocess"),
    ("import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)", "imports signal"),
    ("import os\nos._exit(0)", "calls os._exit"),
    ("import os as o\no.system('rm -rf /')", "calls os.system"),
    ("from os import kill\nkill(1, 9)", "calls os.kill"),
    # the one way past the checks' seals: the state a function keeps in its closure
    ("checks.check_array.__closure__[0].cell_contents = print",
     "reads the inside of a function or frame (checks.check_array.__closure__)"),
    ("cells = getattr(checks.check_array, '__closure__')",
     "reads the inside of a function or frame (getattr(checks.check_array, '__closure__'))"),
    ("name = '__clo' + 'sure__'\ncells = getattr(checks.check_array, name)",
     "calls getattr with a computed name (getattr(checks.check_array, name))"),
    ("import sys\nsys._getframe(1).f_globals['expected'] = 0", "reads the inside of a function or frame (sys._getframe)"),
    ("import inspect\ninspect.currentframe().f_back.f_locals",
     "reads the inside of a function or frame (inspect.currentframe().f_back)"),
    ("def forward(X):\n    forward.__code__ = other.__code__", "reads the inside of a function or frame (forward.__code__)"),
    # where a graded function would find the solutions standing in, or a test's expected values
    ("def nn_model(X, Y, n_h):\n    return globals()['hidden_solutions']['nn_model'](X, Y, n_h)",
     "reads the notebook's namespace (globals())"),
    ("def predict(p, X):\n    return [v for v in vars().values()]", "reads the notebook's namespace (vars())"),
    ("import __main__\nexpected = __main__.hidden_expected", "reads the notebook's namespace (import __main__)"),
    ("from __main__ import hidden_solutions", "reads the notebook's namespace (import __main__)"),
])
def test_flagged(source, finding):
    assert finding in scan_source(source)


@pytest.mark.parametrize("source", [
    "import numpy as np\n\ndef sigmoid(z):\n    return 1 / (1 + np.exp(-z))",
    "params = {}\nparams['W1'] = np.zeros((4, 2))\nparams['W1'][0, 0] = 1.0",
    "class Net:\n    def __init__(self):\n        self.layers = []",
    "def f(max=3):\n    sum = 0\n    for i in range(max):\n        sum += i\n    return sum",
    "np.random.seed(1)\nX = np.random.randn(2, 3)",
    "%timeit np.zeros(3)\n!echo hello",
    "import numpy as np",
    "this is not python (",
    "import os\nos.path.join('a', 'b')\nfiles = os.listdir('.')",
    "def system(x):\n    return x\nsystem(3)",
    "value = getattr(parameters, 'get')('W1')\nsetattr(model, 'W1', value)",
    "names = vars(parameters)\nlocals()",
])
def test_ordinary_code_is_not_flagged(source):
    assert scan_source(source) == []


def test_rebinding_a_name_that_a_read_only_cell_imports_is_flagged():
    assert scan_source("np = FakeNumpy()", guarded_names={"np": "numpy"}) == [
        "rebinds np, which a read-only cell imports"]
    assert scan_source("import fake as np", guarded_names={"np": "numpy"}) == [
        "rebinds np (imported by a read-only cell) to fake"]
    assert scan_source("import numpy as np", guarded_names={"np": "numpy"}) == []


def test_scan_notebook_looks_at_student_cells_only_and_names_them():
    locked = {"nbgrader": {"grade": True, "grade_id": "sigmoid_values", "locked": True, "points": 1,
                           "solution": False, "schema_version": 3}}
    answer = {"nbgrader": {"grade": False, "grade_id": "sigmoid", "locked": False,
                           "solution": True, "schema_version": 3}}
    setup = {"nbgrader": {"grade": False, "grade_id": "setup", "locked": True,
                          "solution": False, "schema_version": 3}}
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import numpy as np", metadata=setup),
        nbformat.v4.new_code_cell("np.testing.assert_allclose = print\nnp = None", metadata=answer),
        nbformat.v4.new_code_cell("import builtins  # instructor code is not scanned", metadata=locked),
        nbformat.v4.new_code_cell("setattr(np, 'exp', abs)"),
    ])
    assert scan_notebook(nb) == [
        "sigmoid: assigns to numpy.testing.assert_allclose",
        "sigmoid: rebinds np, which a read-only cell imports",
        "cell 4: calls setattr on the module numpy",
    ]
