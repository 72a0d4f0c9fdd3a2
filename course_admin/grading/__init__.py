"""Grading a class with nbgrader, fairly, in parallel, without leaking hidden tests.

``grade_class(course_root, assignment, submissions, workdir, workers=2) -> ClassReport``
runs these steps (each is a function of :mod:`.engine` that can be called alone):

1. ``prepare_workspace`` (:mod:`.workspace`): copy the instructor's sources into
   ``<workdir>/course``, write the course's solutions into the hidden tests that ask for
   them (:mod:`.solution_source`) and run nbgrader's ``generate_assignment`` there (release +
   gradebook); the memory-capped kernel spec is :mod:`.kernel_spec`'s. Nothing is written into
   the course checkout or the submissions folder.
2. ``collect_submissions`` + ``sanitise_submissions`` (the intake step, :mod:`.intake`,
   with the notebook cleaner :mod:`.notebook_repair` and :mod:`.tamper`): read nbgrader's
   layout or LMS zip downloads; match renamed notebooks back by their grade_ids; record invalid and missing notebooks (scored 0); repair
   duplicated, deleted and edited graded cells from the release; scan answer cells for
   tampering; flag the course's demonstration cells the student left unchanged
   (:mod:`.demo_cells`); write sanitised copies to ``<workdir>/course/submitted``.
3. ``autograde`` (:mod:`.cluster`, :mod:`.bundle`, :mod:`.remote`, :mod:`.worker`,
   :mod:`.fair_execute`, :mod:`.kernel_spec`, :mod:`.kernel_client`): one Dask task per student, on a local cluster or on ``--scheduler``'s;
   a task gets the course bundle and the student's files as bytes, and each worker, with
   its scratch gradebook, runs nbgrader's ``Autograde`` notebook by notebook with
   :class:`~.fair_execute.FairExecute`: per-cell timeout with interrupt, output
   capped, kernels under ``RLIMIT_AS`` with ``course_utils`` imported before any cell,
   each forked from the worker's warm fork server (:mod:`.forkserver`);
   a dead or unresponsive kernel costs the cells from there on, never the notebook;
   flagged demonstrations are not run unless ``GradingSettings.run_course_demos``.
   Each worker also writes the student's feedback pages with hidden tests and solutions
   removed, and every traceback or output line that quotes them (:mod:`.feedback`), and
   sends back the graded notebooks, the pages and a :class:`~.outcome.StudentOutcome`
   (cell grades, notebook statuses, problems).
4. ``store`` (:mod:`.gradebook`, the one module that opens gradebooks): the parent alone
   writes the grades into the course gradebook, each student's as it arrives (manual grades
   from formgrader are kept); the gradebook is SQLite in the work folder or PostgreSQL
   (:mod:`.database`).
5. ``build_report`` + ``export`` (:mod:`.report`): ``ClassReport`` of the outcomes with the
   scores read back from the gradebook, ``table()`` with a "needs attention" list and its
   reasons, and ``reports/grades.csv`` (student, assignment, notebook, score, max_score, ...).

Running it again on the same class gives the same scores, whatever the number of
workers. ``regenerate_feedback`` rewrites the feedback pages from the gradebook after
manual grading in formgrader (pointed at ``<workdir>/course``).

Isolation (:mod:`.sandbox`): every kernel runs inside a bubblewrap sandbox that holds
the interpreter, ``course_utils`` and a copy of its own student's notebooks, read-only,
plus a scratch folder that is emptied after each notebook; no network, user ``nobody``
with hard limits, and nothing left running after the notebook (the worker's fork server
runs inside the sandbox and ends what a kernel left). An audit hook in each kernel
(:mod:`.kernel_launcher`, :mod:`.integrity`) reports, signed, any change to the
interpreter's machinery; test cells run after one are graded again with the tampering
cell neutralised. ``GradingSettings(sandbox=False)`` (``--no-sandbox``) grades unconfined.

Importing this package loads nothing heavy; the names below are imported on first use.
"""
from __future__ import annotations

_EXPORTS = {
    "grade_class": "engine",
    "collect_submissions": "engine",
    "sanitise_submissions": "engine",
    "autograde": "engine",
    "store": "engine",
    "build_report": "engine",
    "export": "engine",
    "regenerate_feedback": "engine",
    "prepare_workspace": "workspace",
    "Workspace": "workspace",
    "GradingSettings": "settings",
    "ClassReport": "report",
    "StudentOutcome": "outcome",
    "NotebookOutcome": "outcome",
    "CellGrade": "outcome",
    "Problem": "problems",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    globals()[name] = value
    return value
