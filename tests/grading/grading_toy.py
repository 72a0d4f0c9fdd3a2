"""A two-notebook toy nbgrader assignment and a class of submissions that each break one thing.

The toy has the layout of the real course (``source_solutions/<assignment>``, an
``nbgrader_config.py`` at its root) so the grading engine runs on it unchanged.
Test cells compare with plain ``assert`` and arithmetic, never with ``np.testing``,
so patching numpy from an answer cell cannot make them pass.

Each notebook has a "try it" cell the grader need not run (a course demonstration); that
of ``02_cubes`` raises whenever it runs.

Points: ``01_squares`` has 3 autograded points (``square_values`` 2, ``add_values`` 1)
and 2 manually graded points (``explain_square``); ``02_cubes`` has 3 autograded
points (``cube_values`` 2, ``halve_values`` 1).
"""
from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ASSIGNMENT = "toy"
NOTEBOOKS = ("01_squares.ipynb", "02_cubes.ipynb")

#: text that appears only inside hidden test blocks of the source
HIDDEN_MARKERS = ("hidden_probe_square", "hidden_probe_cube", "square(-7.5)", "cube(-1.5)")
#: text that appears only inside the solutions of the source
SOLUTION_MARKERS = ("solution_body_square", "solution_body_cube", "solution_body_add")
#: a line of a visible test, present in every feedback page of ``01_squares``
VISIBLE_TEST_LINE = 'assert _got == 9.0, f"square(3.0) is wrong: got {_got}, expected 9.0."'
#: the message of the failing hidden assertion on ``square``
HIDDEN_FAILURE_MESSAGE = "square is wrong for a negative input."
#: what the course demonstration of ``02_cubes`` raises whenever it runs
DEMO_RAN = "the course demonstration of 02_cubes ran"
#: that demonstration: it grades nothing, so grading skips it unless asked to run the demonstrations
CUBES_DEMO = ('# try it: a few cubes\nprint("cubes:", [cube(x) for x in (1.0, 2.0)])\n'
              f'raise RuntimeError("{DEMO_RAN}")')

CONFIG = '''c = get_config()
c.CourseDirectory.course_id = "toy"
c.CourseDirectory.source_directory = "source_solutions"
c.CourseDirectory.release_directory = "notebooks"
c.Execute.timeout = 5
'''

SOLUTIONS = {
    "square": 'def square(x):\n    """x squared, elementwise.\n\n'
              '    x: float or array of any shape; returns the same shape."""\n'
              "    solution_body_square = x * x\n    return solution_body_square\n",
    "add": 'def add(a, b):\n    """The sum a + b (floats or arrays of one shape)."""\n'
           "    solution_body_add = a + b\n    return solution_body_add\n",
    "cube": 'def cube(x):\n    """x cubed, elementwise (float or array of any shape)."""\n'
            "    solution_body_cube = x * x * x\n    return solution_body_cube\n",
    "halve": 'def halve(x):\n    """x / 2 (float or array of any shape)."""\n    return x / 2\n',
    "explain_square": "Squaring multiplies a number by itself.",
}


def _meta(grade_id, *, grade=False, solution=False, locked=False, points=None, cell_type="code"):
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3,
            "solution": solution}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def _answer(grade_id, header):
    source = f"{header}\n### BEGIN SOLUTION\n{SOLUTIONS[grade_id]}### END SOLUTION"
    return new_code_cell(source, metadata=_meta(grade_id, solution=True))


def _test(grade_id, points, visible, hidden):
    source = f"{visible}\n### BEGIN HIDDEN TESTS\n{hidden}\n### END HIDDEN TESTS"
    return new_code_cell(source, metadata=_meta(grade_id, grade=True, locked=True, points=points))


def source_notebooks() -> dict[str, nbformat.NotebookNode]:
    """The instructor versions of the toy notebooks, with solutions and hidden tests."""
    squares = new_notebook(cells=[
        new_markdown_cell("# Squares\nYou will implement: `square`, `add`."),
        new_code_cell("import numpy as np", metadata=_meta("setup_01", locked=True)),
        _answer("square", "# square(x): returns x * x"),
        new_code_cell("square(4.0)"),
        _test("square_values", 2,
              '"""square returns x * x for floats and arrays."""\n'
              "_got = square(3.0)\n" + VISIBLE_TEST_LINE + "\n"
              "_got = square(np.array([1.0, -2.0]))\n"
              'assert _got.shape == (2,) and float(_got[1]) == 4.0, "square(array) is wrong."',
              "hidden_probe_square = square(-7.5)\n"
              f'assert hidden_probe_square == 56.25, "{HIDDEN_FAILURE_MESSAGE}"'),
        _answer("add", "# add(a, b): returns a + b"),
        _test("add_values", 1,
              '"""add returns the sum."""\nassert add(2.0, 3.0) == 5.0, "add(2.0, 3.0) is wrong."',
              'assert add(-1.0, 1.0) == 0.0, "add is wrong for opposite numbers."'),
        new_markdown_cell("Explain in one sentence what squaring does.",
                          metadata=_meta("explain_square_prompt", locked=True)),
        new_markdown_cell("### BEGIN SOLUTION\n" + SOLUTIONS["explain_square"] + "\n### END SOLUTION",
                          metadata=_meta("explain_square", grade=True, solution=True, points=2)),
    ])
    cubes = new_notebook(cells=[
        new_markdown_cell("# Cubes\nYou will implement: `cube`, `halve`."),
        new_code_cell("import numpy as np", metadata=_meta("setup_02", locked=True)),
        _answer("cube", "# cube(x): returns x ** 3"),
        new_code_cell(CUBES_DEMO),
        _test("cube_values", 2,
              '"""cube returns x ** 3."""\nassert cube(2.0) == 8.0, "cube(2.0) is wrong."',
              "hidden_probe_cube = cube(-1.5)\n"
              'assert hidden_probe_cube == -3.375, "cube is wrong for a negative input."'),
        _answer("halve", "# halve(x): returns x / 2"),
        _test("halve_values", 1,
              '"""halve divides by two."""\nassert halve(3.0) == 1.5, "halve(3.0) is wrong."',
              'assert halve(-1.0) == -0.5, "halve is wrong for a negative input."'),
    ])
    kernelspec = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    for nb in (squares, cubes):
        nb.metadata["kernelspec"] = kernelspec
        nb.metadata["language_info"] = {"name": "python"}
    return dict(zip(NOTEBOOKS, (squares, cubes)))


def write_course(root: Path) -> Path:
    """Write the toy course (sources and ``nbgrader_config.py``) under ``root``; return ``root``."""
    source = root / "source_solutions" / ASSIGNMENT
    source.mkdir(parents=True)
    for name, nb in source_notebooks().items():
        nbformat.write(nb, source / name)
    (root / "nbgrader_config.py").write_text(CONFIG)
    return root


# ----------------------------------------------------------------------------- submissions


def find_cell(nb, grade_id):
    """The index of the cell with this grade_id."""
    for index, cell in enumerate(nb.cells):
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            return index
    raise KeyError(grade_id)


def answered(release: nbformat.NotebookNode, answers: dict[str, str]) -> nbformat.NotebookNode:
    """A copy of a released notebook with the answer cells of ``answers`` (grade_id -> source) filled in."""
    nb = copy.deepcopy(release)
    for grade_id, source in answers.items():
        try:
            nb.cells[find_cell(nb, grade_id)].source = source
        except KeyError:
            continue
    return nb


WRONG = {
    "square": "def square(x):\n    return x + x\n",
    "add": "def add(a, b):\n    return a - b\n",
    "cube": "def cube(x):\n    return x * 3\n",
    "halve": "def halve(x):\n    return x * 2\n",
}


def solution_answers(**overrides: str) -> dict[str, str]:
    """Every answer correct (the instructor's solution bodies), except those overridden."""
    return {**SOLUTIONS, **overrides}


def write_notebook(path: Path, nb: nbformat.NotebookNode) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)


def write_class(submitted: Path, release: dict[str, nbformat.NotebookNode],
                attacks: bool = True) -> dict[str, dict[str, float]]:
    """Write one submission per scenario under ``submitted/<student>/toy/``.

    ``attacks``: also the students who attack the grader and the interpreter (to be graded
    confined only: unconfined, the vandal would really rewrite the gradebooks).

    Returns the autograded score each notebook must get, per student.
    """
    squares, cubes = release["01_squares.ipynb"], release["02_cubes.ipynb"]
    expected: dict[str, dict[str, float]] = {}

    def student(name, notebooks, scores):
        for filename, content in notebooks.items():
            path = submitted / name / ASSIGNMENT / filename
            if isinstance(content, (bytes, str)):
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(content if isinstance(content, bytes) else content.encode())
            else:
                write_notebook(path, content)
        expected[name] = scores

    full = solution_answers()
    student("alice", {"01_squares.ipynb": answered(squares, full), "02_cubes.ipynb": answered(cubes, full)},
            {"01_squares": 3, "02_cubes": 3})
    student("blank", {"01_squares.ipynb": squares, "02_cubes.ipynb": cubes},
            {"01_squares": 0, "02_cubes": 0})

    # wrong answers, and numpy's comparison replaced with a no-op (the toy tests do not use it)
    patch = "import numpy as np\nnp.testing.assert_allclose = lambda *args, **kwargs: None\n"
    tampered = solution_answers(square=patch + WRONG["square"], cube=WRONG["cube"])
    student("tamperer", {"01_squares.ipynb": answered(squares, tampered),
                         "02_cubes.ipynb": answered(cubes, tampered)},
            {"01_squares": 1, "02_cubes": 1})

    # square hard-codes the visible expected values: the hidden test catches it
    hardcoded = "def square(x):\n    return abs(x) * 3.0 if np.ndim(x) == 0 else x * x\n"
    student("hardcoder", {"01_squares.ipynb": answered(squares, solution_answers(square=hardcoded)),
                          "02_cubes.ipynb": answered(cubes, full)},
            {"01_squares": 1, "02_cubes": 3})

    # prints the history (hidden tests it ran), the graded notebook file and the instructor's source
    snoop = ('print(In)\nfor path in ["01_squares.ipynb", "../../../source/toy/01_squares.ipynb"]:\n'
             "    print(open(path).read())\n")
    student("snooper", {"01_squares.ipynb": answered(squares, {"add": snoop}), "02_cubes.ipynb": cubes},
            {"01_squares": 0, "02_cubes": 0})

    # deletes the test of the wrong square (restored: fails) and of the right add (restored: passes)
    deleter = answered(squares, solution_answers(square=WRONG["square"]))
    del deleter.cells[find_cell(deleter, "square_values")]
    del deleter.cells[find_cell(deleter, "add_values")]
    student("deleter", {"01_squares.ipynb": deleter, "02_cubes.ipynb": answered(cubes, full)},
            {"01_squares": 1, "02_cubes": 3})

    # rewrites a locked test cell into a no-op and answers wrongly
    editor = answered(squares, solution_answers(square=WRONG["square"]))
    editor.cells[find_cell(editor, "square_values")].source = "pass"
    student("editor", {"01_squares.ipynb": editor, "02_cubes.ipynb": answered(cubes, full)},
            {"01_squares": 1, "02_cubes": 3})

    # kills its kernel in the add cell: square's test ran before and counts, add's test never runs
    exit_answer = "import os\nos._exit(3)\n"
    student("exiter", {"01_squares.ipynb": answered(squares, solution_answers(add=exit_answer)),
                       "02_cubes.ipynb": answered(cubes, full)},
            {"01_squares": 2, "02_cubes": 3})

    # looper: cube loops forever (its test is interrupted after the timeout);
    # stubborn: halve's cell swallows the interrupt (the kernel is stopped, halve's test never runs)
    loop = "def cube(x):\n    while True:\n        pass\n"
    stubborn = ("import time\nwhile True:\n    try:\n        time.sleep(0.1)\n"
                "    except KeyboardInterrupt:\n        pass\n")
    student("looper", {"01_squares.ipynb": answered(squares, full),
                       "02_cubes.ipynb": answered(cubes, solution_answers(cube=loop))},
            {"01_squares": 3, "02_cubes": 1})
    student("stubborn", {"01_squares.ipynb": answered(squares, full),
                         "02_cubes.ipynb": answered(cubes, solution_answers(halve=stubborn))},
            {"01_squares": 3, "02_cubes": 2})

    # add prints without end (its test times out with a flood of output); everything else right
    flood = 'def add(a, b):\n    while True:\n        print("spam " * 200)\n'
    student("flooder", {"01_squares.ipynb": answered(squares, solution_answers(add=flood)),
                        "02_cubes.ipynb": answered(cubes, full)},
            {"01_squares": 2, "02_cubes": 3})

    # halve asks for far more memory than a kernel may have: MemoryError in its test
    hog = "def halve(x):\n    _block = bytearray(6 * 2**30)\n    return x / 2\n"
    student("hog", {"01_squares.ipynb": answered(squares, full),
                    "02_cubes.ipynb": answered(cubes, solution_answers(halve=hog))},
            {"01_squares": 3, "02_cubes": 2})

    # 02 is not valid JSON (an interrupted upload)
    text = json.dumps(nbformat.writes(answered(cubes, full)))[: 300]
    student("broken", {"01_squares.ipynb": answered(squares, full), "02_cubes.ipynb": text},
            {"01_squares": 3, "02_cubes": 0})

    # 02 missing
    student("partial", {"01_squares.ipynb": answered(squares, full)},
            {"01_squares": 3, "02_cubes": 0})

    # both notebooks renamed by the browser or a file manager
    student("renamer", {"01_squares (1).ipynb": answered(squares, full),
                        "Copy of 02_cubes.ipynb": answered(cubes, full)},
            {"01_squares": 3, "02_cubes": 3})

    # duplicated answer and test cells (metadata and all); the first copies are kept
    duplicator = answered(squares, full)
    for grade_id in ("square", "add_values"):
        at = find_cell(duplicator, grade_id)
        twin = copy.deepcopy(duplicator.cells[at])
        twin["id"] = "twin-" + grade_id.replace("_", "-")
        duplicator.cells.insert(at + 1, twin)
    student("duplicator", {"01_squares.ipynb": duplicator, "02_cubes.ipynb": answered(cubes, full)},
            {"01_squares": 3, "02_cubes": 3})

    student("tinkerer", tinkerer_notebooks(squares, cubes), {"01_squares": 3, "02_cubes": 2})

    if not attacks:
        return expected
    # attacks on the grader itself: each must leave the grader and the class untouched
    attacks = solution_answers(add=VANDAL + SOLUTIONS["add"], halve=DAEMON + SOLUTIONS["halve"],
                               square=COPIER)
    student("attacker", {"01_squares.ipynb": answered(squares, attacks),
                         "02_cubes.ipynb": answered(cubes, attacks)},
            {"01_squares": 1, "02_cubes": 3})
    # attacks on the interpreter's machinery, each with a wrong answer it hopes to hide
    machinery = solution_answers(square=WRONG["square"] + HIDE_ASSERTS, cube=WRONG["cube"] + SILENCE_TRACEBACKS)
    student("rewirer", {"01_squares.ipynb": answered(squares, machinery),
                        "02_cubes.ipynb": answered(cubes, machinery)},
            {"01_squares": 1, "02_cubes": 1})
    return expected


#: what the walks of the vandal and the copier leave out: no gradebook or notebook is there, and "../../../.."
#: is "/", whose system folders take longer to walk than the toy's 5 s cell timeout on a busy machine
SKIPPED = '_SKIPPED = (".venv", ".pyenv", "site-packages", ".git", "usr", "proc", "sys", "dev", "lib", "bin", "sbin")'

#: what the vandal's files and the daemon's command line carry, so that the tests can look for them
ATTACK_MARK = "course-attack-mark"

#: walks every folder it can see and appends to every gradebook, notebook, report and log it finds
VANDAL = f"""import os as _os
{SKIPPED}
_hits = []
for _top in ["..", "../..", "../../..", "../../../..", "/home", "/tmp", "/var", "/run", "/root", "/work",
             _os.path.expanduser("~")]:
    for _dir, _subdirs, _files in _os.walk(_top):
        _subdirs[:] = [_sub for _sub in _subdirs if _sub not in _SKIPPED]
        for _name in _files:
            if _name.endswith((".db", ".ipynb", ".csv", ".json", ".log", ".py")):
                try:
                    with open(_os.path.join(_dir, _name), "a") as _file:
                        _file.write("{ATTACK_MARK}")
                    _hits.append(_os.path.join(_dir, _name))
                except OSError:
                    pass
print("vandal wrote to", len(_hits), "files:", sorted(set(_os.path.dirname(_hit) for _hit in _hits))[:5])
"""

#: starts a detached process (its own session) that would keep rewriting files after grading
DAEMON = f"""import subprocess as _subprocess, sys as _sys
_subprocess.Popen([_sys.executable, "-c", "import time\\nwhile True:\\n    time.sleep(0.2)", "{ATTACK_MARK}"],
                  start_new_session=True, stdout=_subprocess.DEVNULL, stderr=_subprocess.DEVNULL)
"""

#: looks for the instructor's copy of its notebook anywhere on disk and runs the solution it finds there
COPIER = f"""import json as _json, os as _os
{SKIPPED}
for _top in ["..", "../..", "../../..", "/home", "/tmp", "/var", "/run", "/root", "/work"]:
  for _dir, _subdirs, _files in _os.walk(_top):
    _subdirs[:] = [_sub for _sub in _subdirs if _sub not in _SKIPPED]
    for _name in _files:
        if _name == "01_squares.ipynb":
            try:
                _cells = _json.load(open(_os.path.join(_dir, _name)))["cells"]
            except Exception:
                continue
            for _cell in _cells:
                _text = "".join(_cell["source"])
                if "def square" in _text and "solution_body_square" in _text and "_os.walk" not in _text:
                    exec(_text.replace("### BEGIN SOLUTION", "").replace("### END SOLUTION", ""))
"""

#: an input transformer that turns every later cell with an assert into a no-op
HIDE_ASSERTS = """
get_ipython().input_transformers_cleanup.append(
    lambda lines: ["pass\\n"] if any("assert" in line for line in lines) else lines)
"""

#: IPython's traceback display replaced: errors of later cells are shown as nothing
SILENCE_TRACEBACKS = """
from IPython.core.interactiveshell import InteractiveShell as _Shell
_Shell.showtraceback = lambda self, *args, **kwargs: None
"""


#: what the changed "try it" cell of ``tinkerer`` prints when it runs
TINKERED_OUTPUT = "my own try: 16.0"


def tinkerer_notebooks(squares, cubes) -> dict[str, nbformat.NotebookNode]:
    """A student who changes the "try it" cell of ``01_squares``, answers ``cube`` with a helper
    defined in a cell of their own, answers ``halve`` wrongly, and sets the demonstration flag on
    their helper cell and on the test of ``halve``, hoping to have the grader skip that test."""
    from course_admin.grading.demo_cells import DEMO_FLAG

    squares = answered(squares, solution_answers())
    try_it = next(cell for cell in squares.cells if cell.source == "square(4.0)")
    try_it.source = 'print("my own try:", square(4.0))'
    cubes = answered(cubes, solution_answers(cube="def cube(x):\n    return cube_helper(x)\n",
                                             halve=WRONG["halve"]))
    helper = new_code_cell("def cube_helper(x):\n    return x * x * x\n", metadata={DEMO_FLAG: True})
    cubes.cells.insert(find_cell(cubes, "cube"), helper)
    cubes.cells[find_cell(cubes, "halve_values")].metadata[DEMO_FLAG] = True
    return {"01_squares.ipynb": squares, "02_cubes.ipynb": cubes}


def tree_fingerprint(root: Path) -> dict[str, tuple[str, int]]:
    """Relative path -> (sha256 of the content, modification time in ns), for every file under ``root``."""
    fingerprint = {}
    for path in sorted(Path(root).rglob("*")):
        if path.is_file():
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            fingerprint[str(path.relative_to(root))] = (digest, path.stat().st_mtime_ns)
    return fingerprint
