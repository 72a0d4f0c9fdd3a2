"""Every mistake of the catalog costs points at the test of the function it breaks, with a message
that names what is wrong; the other functions of the notebook keep their points.

One kernel per notebook: the notebook runs once as the reference solution, then for each
mistake its answer cell is run with the mistaken line, followed by every test cell of the
notebook (hidden tests included, as the autograder runs them), and the reference answer is
run again before the next mistake. The same is done on the release, whose test cells are the
visible tests alone: a mistake marked ``visible`` must fail them with its message before
submission, any other must pass them (so that the counts of ``course_admin.mistakes`` hold).
"""
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

import nbformat
import pytest
from nbclient import NotebookClient

from course_admin.mistakes import CATALOG
from course_admin.grading.cells import grade_id_of, is_answer_cell, is_test_cell
from course_admin.submissions import Variant, replace_once, write_submission
from course_utils.layout import NOTEBOOK_OF, function_of_test_cell


def errors_of(cell):
    """The error text of an executed cell ('' when it ran cleanly)."""
    return "\n".join(f"{out.ename}: {out.evalue}" for out in cell.outputs if out.output_type == "error")


def run_mistakes(notebook_path, mistakes):
    """mistake key -> {grade_id: error text} of the test cells that failed with that mistake."""
    nb = nbformat.read(notebook_path, as_version=4)
    client = NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(notebook_path.parent)}})
    answers = {grade_id_of(cell): (index, cell) for index, cell in enumerate(nb.cells)
               if is_answer_cell(cell) and cell.cell_type == "code"}
    tests = [(index, cell) for index, cell in enumerate(nb.cells) if is_test_cell(cell)]
    outcomes = {}
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index)
        assert not any(errors_of(cell) for _, cell in tests), f"{notebook_path.name} fails as the reference"
        for mistake in mistakes:
            index, cell = answers[mistake.function]
            reference_source = cell.source
            cell.source = replace_once(reference_source, mistake.old, mistake.new, mistake.key)
            client.execute_cell(cell, index)
            failures = {}
            for test_index, test in tests:
                client.execute_cell(test, test_index)
                if errors_of(test):
                    failures[grade_id_of(test)] = errors_of(test)
            outcomes[mistake.key] = failures
            cell.source = reference_source
            client.execute_cell(cell, index)
    return outcomes


def run_catalog(folder):
    """mistake key -> failed test cells of the notebooks in `folder`, run two at a time."""
    by_notebook = defaultdict(list)
    for mistake in CATALOG:
        by_notebook[NOTEBOOK_OF[mistake.function]].append(mistake)
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = pool.map(lambda item: run_mistakes(folder / item[0], item[1]), by_notebook.items())
        return {key: failures for result in results for key, failures in result.items()}


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    """mistake key -> failed test cells, hidden tests included (as at grading)."""
    return run_catalog(write_submission(Variant("reference", "the reference solution"),
                                        tmp_path_factory.mktemp("mistakes"), with_hidden_tests=True))


@pytest.fixture(scope="module")
def visible_outcomes(tmp_path_factory):
    """mistake key -> failed test cells of the release, whose tests are the visible ones."""
    return run_catalog(write_submission(Variant("reference", "the reference solution"),
                                        tmp_path_factory.mktemp("visible")))


def own_failures(mistake, failures):
    """The failures among `failures` of test cells of the mistaken function."""
    return {gid: text for gid, text in failures.items() if function_of_test_cell(gid) == mistake.function}


def test_the_catalog_has_at_least_forty_mistakes_over_every_graded_function():
    assert len(CATALOG) >= 40
    assert {mistake.function for mistake in CATALOG} == set(NOTEBOOK_OF)
    assert len({mistake.key for mistake in CATALOG}) == len(CATALOG)


@pytest.mark.parametrize("mistake", CATALOG, ids=lambda mistake: mistake.key)
def test_the_mistake_fails_its_own_tests_and_only_those(mistake, outcomes):
    failures = outcomes[mistake.key]
    own = {gid: text for gid, text in failures.items() if function_of_test_cell(gid) == mistake.function}
    others = sorted(set(failures) - set(own))
    assert own, f"{mistake.summary}: no test cell of {mistake.function} failed"
    assert any(mistake.expect in text for text in own.values()), (
        f"{mistake.summary}: the failing tests do not mention {mistake.expect!r}:\n" + "\n".join(own.values()))
    assert not others, f"{mistake.summary}: tests of other functions failed too: {others}"


@pytest.mark.parametrize("mistake", CATALOG, ids=lambda mistake: mistake.key)
def test_the_visible_tests_catch_exactly_the_mistakes_marked_visible(mistake, visible_outcomes):
    own = own_failures(mistake, visible_outcomes[mistake.key])
    if mistake.visible:
        assert any(mistake.expect in text for text in own.values()), (
            f"{mistake.summary}: the visible tests do not fail with {mistake.expect!r}:\n" + "\n".join(own.values()))
    else:
        assert not own, f"{mistake.summary}: the visible tests catch it; mark it visible:\n" + "\n".join(own.values())
