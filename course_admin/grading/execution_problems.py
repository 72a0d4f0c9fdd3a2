"""Reading back from a graded notebook what happened while it ran."""
from __future__ import annotations

from pathlib import Path

import nbformat

from .fair_execute import KERNEL_DIED, KERNEL_UNRESPONSIVE, TIMEOUT, TRUNCATION_NOTE
from .problems import Problem
from .cells import cell_label

#: the line nbgrader's LimitOutput leaves where it cut printed output
LIMIT_OUTPUT_NOTE = "... Output truncated ..."


def execution_problems(path: Path) -> list[Problem]:
    """Timeouts, dead or stopped kernels, memory errors and output floods seen in a graded notebook."""
    nb = nbformat.read(path, as_version=4)
    notebook = Path(path).stem
    found: dict[str, list[str]] = {}
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        label = cell_label(cell, index)
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                kind = {TIMEOUT: "timeout", KERNEL_DIED: "kernel_died",
                        KERNEL_UNRESPONSIVE: "kernel_unresponsive", "MemoryError": "memory_error"}.get(output.ename)
                if kind is not None:
                    found.setdefault(kind, []).append(label)
            elif output.output_type == "stream" and (TRUNCATION_NOTE in output.text
                                                     or LIMIT_OUTPUT_NOTE in output.text):
                found.setdefault("output_truncated", []).append(label)
    sentences = {
        "timeout": "ran past the time limit and was interrupted in",
        "kernel_died": "the kernel died (exit, crash or out of memory) in",
        "kernel_unresponsive": "ignored the interrupt after the time limit, kernel stopped, in",
        "memory_error": "hit the kernel memory limit (MemoryError) in",
        "output_truncated": "printed too much output (truncated) in",
    }
    problems = []
    for kind, labels in found.items():
        unique = list(dict.fromkeys(labels))
        problems.append(Problem(kind, notebook, f"{sentences[kind]} {', '.join(unique)}"))
    return problems
