"""Build student submissions from the course's own notebooks.

A submission starts from the released notebooks (what students receive) with every answer
cell filled by the reference solution; a ``Variant`` then changes what a particular student
did differently: a mistaken line in one function, a cheat, or a fault. The demonstration
class and the grading tests are made of such submissions.
"""
from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import nbformat

from course_admin.grading.cells import grade_id_of, is_answer_cell
from course_admin.grading.solution_source import write_in_notebook
from course_utils.layout import ASSIGNMENT, NOTEBOOK_OF, NOTEBOOKS

ROOT = Path(__file__).resolve().parent.parent
SOURCE_DIR = ROOT / "source_solutions" / ASSIGNMENT
RELEASE_DIR = ROOT / "notebooks" / ASSIGNMENT
_MARKER = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.MULTILINE)


def solution_sources(source_dir: Path = SOURCE_DIR) -> dict[str, str]:
    """grade_id -> the source of each answer cell of the sources, without the solution markers."""
    answers = {}
    for name in NOTEBOOKS:
        for cell in nbformat.read(source_dir / name, as_version=4).cells:
            if is_answer_cell(cell):
                answers[grade_id_of(cell)] = _MARKER.sub("", cell.source)
    return answers


def replace_once(text: str, old: str, new: str, where: str) -> str:
    """``text`` with its single occurrence of ``old`` replaced; an error when there is not exactly one."""
    count = text.count(old)
    if count != 1:
        raise ValueError(f"{where}: expected exactly one {old!r} in the reference answer, found {count}; "
                         "update the variant to the current solution.")
    return text.replace(old, new)


NotebookEdit = Callable[[dict[str, nbformat.NotebookNode]], None]


@dataclass(frozen=True)
class Variant:
    """What one demonstration student did.

    Parameters
    ----------
    student : str
        The student id (folder name of the submission).
    summary : str
        One line for people: what this student did.
    answers : dict
        grade_id -> ``(old, new)`` replacements applied to that reference answer, or a
        callable ``source -> source``.
    edit : callable, optional
        Applied to ``{notebook name: notebook}`` after the answers are filled (for cheats
        and faults that change cells or files).
    blank : bool
        Leave the release untouched (answers not filled).
    write : callable, optional
        ``(folder) -> None``, run on the written submission folder (to corrupt or remove files).
    """

    student: str
    summary: str
    answers: dict = field(default_factory=dict)
    edit: NotebookEdit | None = None
    blank: bool = False
    write: Callable[[Path], None] | None = None

    @property
    def functions(self) -> set[str]:
        """The graded functions whose answers this variant changes."""
        return {gid for gid in self.answers if gid in NOTEBOOK_OF}


def build_notebooks(variant: Variant, answers: dict[str, str] | None = None,
                    with_hidden_tests: bool = False, release_dir: Path = RELEASE_DIR) -> dict[str, nbformat.NotebookNode]:
    """The notebooks of ``variant``'s submission, keyed by file name.

    They start from the release in ``release_dir`` (default: the committed ``notebooks/``).
    With ``with_hidden_tests`` the test cells are the instructor's as the autograder runs
    them, the course's solutions written in (the submission is then for executing, not for
    handing in).
    """
    answers = solution_sources() if answers is None else answers
    notebooks = {}
    for name in NOTEBOOKS:
        nb = nbformat.read((SOURCE_DIR if with_hidden_tests else Path(release_dir)) / name, as_version=4)
        if with_hidden_tests:
            write_in_notebook(nb, SOURCE_DIR, name)
        for cell in nb.cells:
            gid = grade_id_of(cell)
            if variant.blank or not is_answer_cell(cell):
                continue
            source = answers[gid]
            change = variant.answers.get(gid)
            if callable(change):
                source = change(source)
            elif change is not None:
                source = replace_once(source, *change, where=f"{variant.student}: {gid}")
            cell.source = source
        notebooks[name] = nb
    unknown = set(variant.answers) - {grade_id_of(c) for nb in notebooks.values() for c in nb.cells}
    if unknown:
        raise ValueError(f"{variant.student}: no answer cell with grade_id {sorted(unknown)}")
    if variant.edit is not None:
        variant.edit(notebooks)
    return notebooks


def write_submission(variant: Variant, submitted_root: Path, answers: dict[str, str] | None = None,
                     with_hidden_tests: bool = False, release_dir: Path = RELEASE_DIR) -> Path:
    """Write ``variant`` as ``<submitted_root>/<student>/<assignment>/*.ipynb`` and return that folder."""
    folder = submitted_root / variant.student / ASSIGNMENT
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for name, nb in build_notebooks(variant, answers, with_hidden_tests, release_dir).items():
        nbformat.write(nb, folder / name)
    if variant.write is not None:
        variant.write(folder)
    return folder


def write_class(variants: list[Variant], submitted_root: Path, release_dir: Path = RELEASE_DIR) -> list[Path]:
    """Write every variant's submission, starting from the release in ``release_dir`` (the
    reference answers are read once)."""
    answers = solution_sources()
    students = [variant.student for variant in variants]
    if len(set(students)) != len(students):
        raise ValueError("two variants have the same student id")
    return [write_submission(variant, submitted_root, answers, release_dir=release_dir) for variant in variants]


def corrupt(notebook: str) -> Callable[[Path], None]:
    """A ``write`` step that replaces ``notebook`` by text that is not JSON."""
    def write(folder: Path) -> None:
        (folder / notebook).write_text('{"cells": [ this is not JSON')
    return write


def remove(notebook: str) -> Callable[[Path], None]:
    """A ``write`` step that deletes ``notebook`` from the submission."""
    def write(folder: Path) -> None:
        (folder / notebook).unlink()
    return write


def rename(notebook: str, new_name: str) -> Callable[[Path], None]:
    """A ``write`` step that renames ``notebook`` as a download or a copy would."""
    def write(folder: Path) -> None:
        (folder / notebook).rename(folder / new_name)
    return write
