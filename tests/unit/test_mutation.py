"""Mutants: one plausible bug each, only inside solution regions, the rest of the cell intact."""

from __future__ import annotations

import nbformat

from graders import mutation

CELL = """%matplotlib inline
def grad(W, x, d):
    total = 0
    ### BEGIN SOLUTION
    for t in range(3):
        total += W.T @ d - x
    s = d.sum(axis=0)
    ### END SOLUTION
    return total * 0.5
"""


def _mutants(source: str = CELL) -> list[tuple[int, str, str]]:
    return list(mutation.mutants_of_cell(source))


def test_every_operator_family_appears_for_a_typical_solution():
    operators = {op for _, op, _ in _mutants()}
    assert operators == {"off-by-one", "accumulate", "transpose", "sign", "drop-term", "axis",
                         "reduce"}


def test_lines_outside_the_solution_region_are_never_mutated():
    for line, _, source in _mutants():
        assert 5 <= line <= 7
        assert source.splitlines()[0] == "%matplotlib inline"
        assert source.splitlines()[-1] == "    return total * 0.5"


def test_mutants_are_the_expected_text():
    lines = {source.splitlines()[line - 1].strip() for line, _, source in _mutants()}
    assert "for t in range(3 - 1):" in lines
    assert "total = W.T @ d - x" in lines
    assert "total += (W.T @ d + x)" in lines
    assert "total += (d @ W.T) - x" in lines
    assert "total += W @ d - x" in lines
    assert "s = d.sum(axis=1)" in lines
    assert "s = d.mean(axis=0)" in lines


def test_a_cell_without_solutions_or_with_a_syntax_error_has_no_mutants():
    assert _mutants("x = 1 + 2\n") == []
    assert _mutants("### BEGIN SOLUTION\nx = (1 +\n### END SOLUTION\n") == []


def test_cells_graded_by_hand_are_left_alone_and_apply_changes_one_cell():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(CELL),
                                         nbformat.v4.new_code_cell(CELL)])
    nb.cells[1].metadata["tags"] = [mutation.BY_HAND_TAG]
    found = mutation.mutants_of_notebook(nb)
    assert found and {m.cell_index for m in found} == {0}
    changed = mutation.apply(nb, found[0])
    assert changed.cells[0].source != CELL and nb.cells[0].source == CELL
    assert changed.cells[1].source == CELL


def test_sampling_is_repeatable_and_keeps_notebook_order():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(CELL)])
    found = mutation.mutants_of_notebook(nb)
    first, again = mutation.sample(found, 4), mutation.sample(found, 4)
    assert first == again and len(first) == 4
    assert [found.index(m) for m in first] == sorted(found.index(m) for m in first)
