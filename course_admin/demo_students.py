"""The demonstration class: what a real class hands in, made from the course's own notebooks.

``python3 course.py run`` grades it, so that a newcomer sees the whole pipeline work: the
reference solution, an untouched release, students with realistic mistakes, cheats that must
earn nothing, and faults that must cost only their own points. Each variant names the graded
functions whose points it should lose (``loses``); the grading tests hold the pipeline to that.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from course_admin.mistakes import CATALOG
from course_admin.grading.cells import grade_id_of, is_test_cell
from course_admin.submissions import RELEASE_DIR, Variant, corrupt, remove, rename, write_class
from course_utils.layout import function_of_test_cell


@dataclass(frozen=True)
class DemoStudent:
    """A variant and what grading it must show."""

    variant: Variant
    loses: frozenset = field(default_factory=frozenset)
    #: "all": every autograded point lost; "none": full marks; "some": exactly ``loses``
    outcome: str = "some"


def _mistake(key: str) -> Variant:
    mistake = next(m for m in CATALOG if m.key == key)
    return Variant(f"mistake-{key}", mistake.summary, answers={mistake.function: (mistake.old, mistake.new)})


def _replace_answer(body: str):
    """An answer change that keeps the reference's def line and docstring and swaps the body."""
    def change(source: str) -> str:
        opening = source.index('"""')
        closing = source.index('"""', opening + 3) + 3
        return source[:closing] + "\n" + body
    return change


def _is_test_of(cell, function: str) -> bool:
    """Whether ``cell`` is a graded test cell of ``function``."""
    return is_test_cell(cell) and function_of_test_cell(grade_id_of(cell) or "") == function


def _drop_test_cells(function: str):
    """A notebook edit that deletes every test cell of ``function``."""
    def edit(notebooks):
        for nb in notebooks.values():
            nb.cells = [cell for cell in nb.cells if not _is_test_of(cell, function)]
    return edit


def _blank_test_cells(function: str):
    """A notebook edit that empties every test cell of ``function``."""
    def edit(notebooks):
        for nb in notebooks.values():
            for cell in nb.cells:
                if _is_test_of(cell, function):
                    cell.source = "pass  # nothing to see here"
    return edit


def _duplicate_answer(gid: str):
    """A notebook edit that duplicates the answer cell ``gid``, metadata and all."""
    def edit(notebooks):
        for nb in notebooks.values():
            for index, cell in enumerate(nb.cells):
                if grade_id_of(cell) == gid:
                    duplicate = cell.copy()
                    duplicate["id"] = f"{cell.get('id', gid)}-copy"  # Jupyter gives a copy a new id
                    nb.cells.insert(index + 1, duplicate)
                    return
    return edit


WRONG_COST = "    return 0.25\n"
HARD_CODED_INIT = '''    import numpy as np
    return {"W1": np.array([[-0.00416758, -0.00056267], [-0.02136196, 0.01640271],
                            [-0.01793436, -0.00841747], [0.00502881, -0.01245288]]),
            "b1": np.zeros((4, 1)),
            "W2": np.array([[-0.01057952, -0.00909008, 0.00551454, 0.02292208]]),
            "b2": np.zeros((1, 1))}
'''
COPIED_REFERENCE = '''    from course_utils.references import reference
    return reference("forward_propagation")
'''
# the hidden tests of nn_model hold the course's solution of it (the source notebooks are public)
CALLS_THE_HIDDEN_SOLUTION = '''    return hidden_solutions["nn_model"](X, Y, n_h, num_iterations, learning_rate)
'''
PATCH_NUMPY = '''
import numpy
numpy.allclose = lambda *args, **kwargs: True
numpy.isclose = lambda a, b, *args, **kwargs: numpy.ones(numpy.shape(a), dtype=bool)
numpy.testing.assert_allclose = lambda *args, **kwargs: None
numpy.testing.assert_array_equal = lambda *args, **kwargs: None
'''
PATCH_CHECKS = '''
import course_utils.checks as _checks
for _name in [n for n in vars(_checks) if n.startswith(("check_", "assert_"))]:
    _checks.__dict__[_name] = lambda *args, **kwargs: None
_checks.__dict__["helpers_are_genuine"] = lambda *args, **kwargs: True
'''
PATCH_BUILTINS = '''
import builtins
builtins.isinstance = lambda *args: True
builtins.abs = lambda x: 0
builtins.max = lambda *args, **kwargs: 0
'''

# attacks on the grader: confined, each reaches nothing but the student's own scratch
VANDALISE = '''
import os as _os
for _top in ["..", "../..", "../../..", "/", _os.path.expanduser("~")]:
    for _dir, _subdirs, _files in _os.walk(_top):
        if _dir.startswith(("/proc", "/sys", "/dev")):
            continue
        for _name in _files:
            if _name.endswith((".db", ".ipynb", ".csv", ".json", ".html")):
                try:
                    with open(_os.path.join(_dir, _name), "a") as _file:
                        _file.write("vandalised")
                except OSError:
                    pass
'''
DETACH = '''
import subprocess as _subprocess, sys as _sys
_subprocess.Popen([_sys.executable, "-c", "import glob, time\\nwhile True:\\n    time.sleep(0.5)"],
                  start_new_session=True, stdout=_subprocess.DEVNULL, stderr=_subprocess.DEVNULL)
'''
COPY_SOLUTION = '''    import json, os
    if not hasattr(forward_propagation, "found"):  # search the disk (system folders aside) once per kernel
        forward_propagation.found = None
        for folder, subfolders, files in os.walk("/"):
            if folder == "/":
                subfolders[:] = [name for name in subfolders if name not in ("proc", "sys", "dev", "usr")]
            if "04_forward_propagation.ipynb" in files:
                for cell in json.load(open(os.path.join(folder, "04_forward_propagation.ipynb")))["cells"]:
                    text = "".join(cell["source"])
                    marked = any(line.strip() == "### BEGIN SOLUTION" for line in text.splitlines())
                    if "def forward_propagation" in text and marked:  # the instructor's, not this one
                        forward_propagation.found = text
    if forward_propagation.found is None:
        raise NotImplementedError
    scope = {}
    exec(forward_propagation.found, scope)
    return scope["forward_propagation"](X, parameters)
'''
# attacks on the interpreter's machinery, each hiding a wrong answer
HIDE_ASSERTIONS = '''
get_ipython().input_transformers_cleanup.append(
    lambda lines: ["pass\\n"] if any("check" in line or "assert" in line for line in lines) else lines)
'''
SILENCE_TRACEBACKS = '''
from IPython.core.interactiveshell import InteractiveShell as _Shell
_Shell.showtraceback = lambda self, *args, **kwargs: None
'''
SKIP_CELLS = '''
import asyncio as _asyncio
_shell = get_ipython()
_real_run = _shell.run_cell_async
async def _run_quietly(raw_cell, *args, **kwargs):
    if "accuracy" in raw_cell and "assert" in raw_cell or "check" in raw_cell:
        raw_cell = "pass"
    return await _real_run(raw_cell, *args, **kwargs)
_shell.run_cell_async = _run_quietly
'''

# past the checks' own seals: the tamper check they all call is kept in a closure variable's list;
# emptying it and swapping the code of the helpers' inner checks makes a wrong answer pass them all
REWIRE_CHECKS = '''
from course_utils import checks as _c
for _helper in [getattr(_c, _n) for _n in dir(_c) if _n.startswith("check_")]:
    for _cell in _helper.__closure__ or ():
        if type(_cell.cell_contents) is list:
            _cell.cell_contents[:] = [lambda: None] * len(_cell.cell_contents)
        elif type(_cell.cell_contents) is type(_helper) and _cell.cell_contents.__name__ == _helper.__name__:
            _cell.cell_contents.__code__ = (lambda *args, **kwargs: None).__code__
'''


def demo_students(attacks: bool = True) -> list[DemoStudent]:
    """The demonstration class, in the order its table is printed.

    ``attacks``: also the students who attack the grader and the interpreter, for a class
    graded confined (unconfined, the vandal would really rewrite the gradebooks).
    """
    some = lambda *functions: frozenset(functions)  # noqa: E731
    students = [
        DemoStudent(Variant("reference", "the reference solution"), outcome="none"),
        DemoStudent(Variant("untouched", "the release handed in untouched", blank=True), outcome="all"),
        # realistic mistakes, each costing the points of one function
        DemoStudent(_mistake("backward_propagation-no-keepdims"), some("backward_propagation")),
        DemoStudent(_mistake("forward_propagation-sigmoid-hidden"), some("forward_propagation")),
        DemoStudent(_mistake("compute_cost-no-mean"), some("compute_cost")),
        DemoStudent(_mistake("predict-threshold"), some("predict")),
        # cheats: nothing for the function cheated on
        DemoStudent(Variant("cheat-hard-coded", "initialize_parameters returns the published numbers",
                            answers={"initialize_parameters": _replace_answer(HARD_CODED_INIT)}),
                    some("initialize_parameters")),
        DemoStudent(Variant("cheat-copied-reference", "forward_propagation returns the stored reference values",
                            answers={"forward_propagation": _replace_answer(COPIED_REFERENCE)}),
                    some("forward_propagation")),
        DemoStudent(Variant("cheat-hidden-solution", "nn_model calls the solution its hidden tests hold",
                            answers={"nn_model": _replace_answer(CALLS_THE_HIDDEN_SOLUTION)}),
                    some("nn_model")),
        DemoStudent(Variant("cheat-patched-numpy", "a wrong compute_cost and numpy's comparisons replaced",
                            answers={"compute_cost": lambda s: _replace_answer(WRONG_COST)(s) + PATCH_NUMPY}),
                    some("compute_cost")),
        DemoStudent(Variant("cheat-patched-checks", "a wrong compute_cost and course_utils.checks replaced",
                            answers={"compute_cost": lambda s: _replace_answer(WRONG_COST)(s) + PATCH_CHECKS}),
                    some("compute_cost")),
        DemoStudent(Variant("cheat-patched-builtins", "a wrong compute_cost and builtins replaced",
                            answers={"compute_cost": lambda s: _replace_answer(WRONG_COST)(s) + PATCH_BUILTINS}),
                    some("compute_cost")),
        DemoStudent(Variant("cheat-edited-tests", "a wrong backward_propagation and its test cells emptied",
                            answers={"backward_propagation": _replace_answer("    return {}\n")},
                            edit=_blank_test_cells("backward_propagation")),
                    some("backward_propagation")),
        DemoStudent(Variant("cheat-deleted-tests", "a wrong predict and its test cells deleted",
                            answers={"predict": _replace_answer("    return X[:1] * 0\n")},
                            edit=_drop_test_cells("predict")),
                    some("predict")),
        # faults: each costs only its own points, the rest of the class is graded
        DemoStudent(Variant("fault-infinite-loop", "hidden_size_sweep never returns",
                            answers={"hidden_size_sweep": _replace_answer("    while True:\n        pass\n")}),
                    some("hidden_size_sweep")),
        DemoStudent(Variant("fault-kernel-exit", "forward_propagation's cell kills the kernel",
                            answers={"forward_propagation": lambda s: "import os\nos._exit(1)\n" + s}),
                    some("forward_propagation")),
        DemoStudent(Variant("fault-output-flood", "accuracy prints a million lines",
                            answers={"accuracy": lambda s: s + "\nfor _i in range(10**6):\n    print(_i)\n"}),
                    outcome="none"),
        DemoStudent(Variant("fault-huge-allocation", "layer_sizes allocates a 80 GB array",
                            answers={"layer_sizes": _replace_answer(
                                "    import numpy as np\n    big = np.ones((100000, 100000))\n"
                                "    return X.shape[0], 4, Y.shape[0]\n")}),
                    some("layer_sizes")),
        DemoStudent(Variant("fault-invalid-json", "05_cost.ipynb is not valid JSON",
                            write=corrupt("05_cost.ipynb")), some("compute_cost")),
        DemoStudent(Variant("fault-missing-notebook", "06_backward_propagation.ipynb is missing",
                            write=remove("06_backward_propagation.ipynb")), some("backward_propagation")),
        DemoStudent(Variant("fault-renamed-notebook", "03_initialization.ipynb handed in as a copy",
                            write=rename("03_initialization.ipynb", "03_initialization (1).ipynb")),
                    outcome="none"),
        DemoStudent(Variant("fault-duplicated-cells", "update_parameters' answer cell duplicated",
                            edit=_duplicate_answer("update_parameters")), outcome="none"),
    ]
    if not attacks:
        return students
    return students + [
        # attacks on the grader: confined, they change nothing and cost nothing but what they got wrong
        DemoStudent(Variant("attack-gradebooks", "compute_cost's cell appends to every gradebook and notebook",
                            answers={"compute_cost": lambda s: s + VANDALISE}), outcome="none"),
        DemoStudent(Variant("attack-detached-process", "accuracy's cell leaves a process running",
                            answers={"accuracy": lambda s: s + DETACH}), outcome="none"),
        DemoStudent(Variant("attack-instructor-copy", "forward_propagation runs the solution found on disk",
                            answers={"forward_propagation": _replace_answer(COPY_SOLUTION)}),
                    some("forward_propagation")),
        DemoStudent(Variant("attack-input-transformer", "a wrong compute_cost and later test cells rewritten",
                            answers={"compute_cost": lambda s: _replace_answer(WRONG_COST)(s) + HIDE_ASSERTIONS}),
                    some("compute_cost")),
        DemoStudent(Variant("attack-traceback-display", "a wrong sigmoid and IPython's tracebacks silenced",
                            answers={"sigmoid": lambda s: _replace_answer("    return z\n")(s) + SILENCE_TRACEBACKS}),
                    some("sigmoid")),
        DemoStudent(Variant("attack-run-path", "a wrong accuracy and the shell's run_cell_async replaced",
                            answers={"accuracy": lambda s: _replace_answer("    return 100.0\n")(s) + SKIP_CELLS}),
                    some("accuracy")),
        DemoStudent(Variant("attack-checks-closure", "a wrong compute_cost and the checks rewired through __closure__",
                            answers={"compute_cost": lambda s: _replace_answer(WRONG_COST)(s) + REWIRE_CHECKS}),
                    some("compute_cost")),
    ]


def write_demo_class(submitted_root: Path, attacks: bool = True, release_dir: Path = RELEASE_DIR) -> list[DemoStudent]:
    """Write the demonstration class in nbgrader's layout under ``submitted_root`` (see :func:`demo_students`),
    starting from the release in ``release_dir`` (default: the committed ``notebooks/``)."""
    students = demo_students(attacks)
    write_class([student.variant for student in students], submitted_root, release_dir)
    return students
