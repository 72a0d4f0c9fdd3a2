"""A static scan of a student's own code cells for attempts to fool the tests.

It reads the syntax tree only (nothing runs) and reports, per cell:

- assignments or deletions of attributes or items of ``numpy`` (``numpy.testing``
  included), ``builtins`` and ``course_utils``, whatever alias they were imported under;
- ``setattr``/``delattr`` on a module;
- writes to ``sys.modules``, to any ``__dict__`` or ``vars(...)``;
- ``import builtins`` (or ``__builtin__``) and any use of ``__builtins__``;
- rebinding at the top level a built-in name (``abs = ...``) or a name the read-only
  cells import (``np = ...``), which the test cells would then use;
- ``exec``/``eval``/``compile``/``__import__``, which hide what they do, and ``getattr``,
  ``setattr`` or ``delattr`` with a computed name;
- reads of what a function or a frame keeps inside (``__closure__``, ``cell_contents``,
  ``__code__``, ``__globals__``, ``f_back``...), the way into the checks' own state;
- reads of the notebook's whole namespace (``globals()``, ``vars()`` without an argument,
  ``import __main__``), where a graded function would look for what a test cell holds: the
  course's solutions standing in while it runs, or the test's expected values;
- modules a NumPy exercise has no use for and that reach outside the notebook
  (``ctypes``, ``sqlite3``, ``subprocess``, ``signal``...), and ``os.system``,
  ``os.kill``, ``os._exit`` and the like.

A finding means "look at this", not "cheated": the scores never depend on it.
"""
from __future__ import annotations

import ast
import builtins

from .cells import cell_label, is_locked, python_source

PROTECTED_MODULES = ("numpy", "builtins", "course_utils")
_DEFAULT_ALIASES = {"np": "numpy", "numpy": "numpy", "builtins": "builtins",
                    "__builtins__": "builtins", "course_utils": "course_utils"}
_MUTATING_METHODS = {"update", "setdefault", "pop", "popitem", "clear", "__setitem__", "__delitem__"}
_OPAQUE_CALLS = {"exec", "eval", "compile", "__import__"}
_FOREIGN_MODULES = {"ctypes", "sqlite3", "subprocess", "socket", "signal", "multiprocessing", "gc", "pty"}
_PROCESS_CALLS = {"system", "popen", "fork", "forkpty", "kill", "killpg", "_exit", "abort", "setsid",
                  "execv", "execve", "execl", "execlp", "execvp", "spawnv", "spawnl", "posix_spawn"}
_BUILTIN_NAMES = {name for name in dir(builtins) if not name.startswith("_")}
# the insides of functions, frames and generators: nothing a NumPy exercise reads
_INTERNALS = {"__closure__", "cell_contents", "__code__", "__globals__", "__defaults__", "__kwdefaults__",
              "__wrapped__", "__self__", "__func__", "f_back", "f_globals", "f_locals", "f_builtins",
              "tb_frame", "gi_frame", "cr_frame", "_getframe", "currentframe", "getclosurevars"}
_ATTRIBUTE_CALLS = {"getattr", "setattr", "delattr"}


def _parse(source: str):
    try:
        return ast.parse(python_source(source))
    except (SyntaxError, ValueError):
        return None


def _imports(tree) -> dict[str, str]:
    """Alias -> dotted module (or module attribute) bound by the import statements of ``tree``."""
    aliases = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    aliases[alias.asname] = alias.name
                else:
                    root = alias.name.split(".")[0]
                    aliases[root] = root
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return aliases


def _dotted(node, aliases) -> str | None:
    """``np.testing.assert_allclose`` -> ``numpy.testing.assert_allclose`` (None for other roots)."""
    parts = []
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        parts.append(node.attr if isinstance(node, ast.Attribute) else "[...]")
        node = node.value
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "vars":
        parts.append("__dict__")
        node = node.args[0] if node.args else ast.Name(id="?")
    if not isinstance(node, ast.Name):
        return None
    root = aliases.get(node.id, _DEFAULT_ALIASES.get(node.id, node.id))
    return ".".join([root, *reversed(parts)])


def _is_protected(dotted: str) -> bool:
    return any(dotted == module or dotted.startswith(module + ".") for module in PROTECTED_MODULES)


def _targets(node):
    if isinstance(node, (ast.Assign,)):
        yield from node.targets
    elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
        yield node.target
    elif isinstance(node, ast.Delete):
        yield from node.targets
    elif isinstance(node, (ast.For, ast.AsyncFor)):
        yield node.target
    elif isinstance(node, ast.withitem) and node.optional_vars is not None:
        yield node.optional_vars


def _flatten(target):
    if isinstance(target, (ast.Tuple, ast.List)):
        for element in target.elts:
            yield from _flatten(element)
    elif isinstance(target, ast.Starred):
        yield from _flatten(target.value)
    else:
        yield target


class _Scanner(ast.NodeVisitor):
    def __init__(self, aliases: dict[str, str], guarded_names: dict[str, str]):
        self.aliases = aliases
        self.guarded_names = guarded_names  # name -> module the read-only cells bind it to
        self.findings: list[str] = []

    def note(self, text: str) -> None:
        if text not in self.findings:
            self.findings.append(text)

    def generic_visit(self, node):
        for target in _targets(node):
            for element in _flatten(target):
                self._check_target(element)
        super().generic_visit(node)

    def _check_target(self, target) -> None:
        if not isinstance(target, (ast.Attribute, ast.Subscript)):
            return
        dotted = _dotted(target, self.aliases)
        if dotted is None:
            if "__dict__" in ast.unparse(target):
                self.note(f"writes to a __dict__ ({ast.unparse(target)})")
            return
        if dotted.startswith("sys.modules"):
            self.note(f"writes to sys.modules ({ast.unparse(target)})")
        elif ".__dict__" in dotted:
            self.note(f"writes to a __dict__ ({ast.unparse(target)})")
        elif _is_protected(dotted):
            self.note(f"assigns to {dotted}")

    def visit_Import(self, node):
        for alias in node.names:
            if alias.name in {"builtins", "__builtin__"}:
                self.note(f"imports {alias.name}")
            if alias.name == "__main__":
                self.note("reads the notebook's namespace (import __main__)")
            if alias.name.split(".")[0] in _FOREIGN_MODULES:
                self.note(f"imports {alias.name.split('.')[0]}")
        self.generic_visit(node)

    def visit_ImportFrom(self, node):
        if node.module in {"builtins", "__builtin__"}:
            self.note(f"imports from {node.module}")
        if node.module == "__main__":
            self.note("reads the notebook's namespace (import __main__)")
        if node.module and node.module.split(".")[0] in _FOREIGN_MODULES:
            self.note(f"imports {node.module.split('.')[0]}")
        self.generic_visit(node)

    def visit_Name(self, node):
        if node.id == "__builtins__":
            self.note("uses __builtins__")
        self.generic_visit(node)

    def visit_Attribute(self, node):
        if node.attr in _INTERNALS:
            self.note(f"reads the inside of a function or frame ({ast.unparse(node)})")
        self.generic_visit(node)

    def visit_Call(self, node):
        func = node.func
        if isinstance(func, ast.Name) and func.id in {"setattr", "delattr"} and node.args:
            dotted = _dotted(node.args[0], self.aliases)
            first = node.args[0]
            is_module = (isinstance(first, ast.Name) and (first.id in self.aliases or first.id in _DEFAULT_ALIASES)) \
                or (dotted is not None and _is_protected(dotted))
            if is_module:
                self.note(f"calls {func.id} on the module {dotted}")
        if isinstance(func, ast.Name) and func.id in _OPAQUE_CALLS:
            self.note(f"calls {func.id}")
        if isinstance(func, ast.Name) and (func.id == "globals" or func.id == "vars" and not node.args):
            self.note(f"reads the notebook's namespace ({func.id}())")
        if isinstance(func, ast.Name) and func.id in _ATTRIBUTE_CALLS and len(node.args) >= 2:
            name = node.args[1]
            if not (isinstance(name, ast.Constant) and isinstance(name.value, str)):
                self.note(f"calls {func.id} with a computed name ({ast.unparse(node)})")
            elif name.value in _INTERNALS:
                self.note(f"reads the inside of a function or frame ({ast.unparse(node)})")
        if isinstance(func, ast.Attribute) and func.attr in _PROCESS_CALLS:
            dotted = _dotted(func, self.aliases) or ""
            if dotted in {f"os.{func.attr}", f"posix.{func.attr}"}:
                self.note(f"calls {dotted}")
        if isinstance(func, ast.Name) and func.id in _PROCESS_CALLS:
            origin = self.aliases.get(func.id, "")
            if origin in {f"os.{func.id}", f"posix.{func.id}"}:
                self.note(f"calls {origin}")
        if isinstance(func, ast.Attribute) and func.attr in _MUTATING_METHODS:
            dotted = _dotted(func.value, self.aliases) or ""
            if dotted.startswith("sys.modules"):
                self.note(f"changes sys.modules ({ast.unparse(func)})")
            elif dotted.endswith("__dict__") or "__dict__" in ast.unparse(func.value):
                self.note(f"writes to a __dict__ ({ast.unparse(func)})")
        self.generic_visit(node)

    def check_top_level(self, tree) -> None:
        """Top-level rebinding of built-in names and of names the read-only cells import."""
        for statement in tree.body:
            names = []
            if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.append(statement.name)
            for target in _targets(statement):
                names.extend(element.id for element in _flatten(target) if isinstance(element, ast.Name))
            if isinstance(statement, (ast.Import, ast.ImportFrom)):
                bound = _imports(ast.Module(body=[statement], type_ignores=[]))
                for name, module in bound.items():
                    expected = self.guarded_names.get(name)
                    if expected is not None and module != expected:
                        self.note(f"rebinds {name} (imported by a read-only cell) to {module}")
                    elif name in _BUILTIN_NAMES:
                        self.note(f"rebinds the built-in name {name}")
            for name in names:
                if name in self.guarded_names:
                    self.note(f"rebinds {name}, which a read-only cell imports")
                elif name in _BUILTIN_NAMES:
                    self.note(f"rebinds the built-in name {name}")


def scan_source(source: str, aliases: dict[str, str] | None = None,
                guarded_names: dict[str, str] | None = None) -> list[str]:
    """Findings for one cell's source (empty when nothing suspicious is seen).

    Parameters
    ----------
    source : str
        The code of one cell (IPython syntax allowed).
    aliases : dict, optional
        Import aliases bound elsewhere in the notebook (``{"np": "numpy"}``).
    guarded_names : dict, optional
        Names the read-only cells import, which a student cell must not rebind.
    """
    tree = _parse(source)
    if tree is None:
        return []
    scanner = _Scanner({**(aliases or {}), **_imports(tree)}, guarded_names or {})
    scanner.visit(tree)
    scanner.check_top_level(tree)
    return scanner.findings


def scan_notebook(nb) -> list[str]:
    """Findings for every code cell a student can edit, each prefixed by the cell's name."""
    aliases: dict[str, str] = {}
    guarded: dict[str, str] = {}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        tree = _parse(cell.source)
        if tree is None:
            continue
        bound = _imports(tree)
        aliases.update(bound)
        if is_locked(cell):
            guarded.update(bound)
    findings = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or is_locked(cell):
            continue
        for finding in scan_source(cell.source, aliases, guarded):
            findings.append(f"{cell_label(cell, index)}: {finding}")
    return findings
