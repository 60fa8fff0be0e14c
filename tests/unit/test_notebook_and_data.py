import json
from pathlib import Path

import nbformat
import pytest
import reference as rnn

from graders.checks.registry import assignment_checks_module
from graders.datafiles import DARWIN_CHARSET, make_origin_of_species_standin
from graders.errors import SubmissionError
from graders.handout import strip_solutions
from graders.notebook import read_submission
from graders.spec import assignments_root

reported_percentage = assignment_checks_module(
    assignments_root() / "rnn_bptt", "rnn_bptt").reported_percentage


def test_notebook_cells_and_assignment_id_are_read(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Q"),
                                         nbformat.v4.new_code_cell("x = 1")])
    nb.metadata["nngrader"] = {"assignment": "rnn_bptt"}
    path = tmp_path / "a.ipynb"
    nbformat.write(nb, path)
    sub = read_submission(path)
    assert sub.assignment_id == "rnn_bptt"
    assert [c.number for c in sub.code_cells] == [1]


def test_saved_output_is_read_only_as_far_as_answers_sit_so_a_flood_stays_cheap(tmp_path):
    from graders.notebook import SAVED_TEXT_CHARS

    cell = nbformat.v4.new_code_cell("print(answers)")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="ft 0.98\n"),
                    nbformat.v4.new_output("stream", name="stdout",
                                           text=["x" * 1000 + "\n"] * 1000),
                    nbformat.v4.new_output("stream", name="stdout", text="never read\n")]
    path = tmp_path / "flood.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[cell]), path)
    saved = read_submission(path).code_cells[0].saved_text
    assert saved.startswith("ft 0.98\n") and len(saved) == SAVED_TEXT_CHARS
    assert "never read" not in saved


@pytest.mark.parametrize("content, phrase", [
    (b"", "empty"),
    (b"{not json", "not a valid notebook (JSON error at line 1"),
    (b'{"hello": 1}', "not a Jupyter notebook"),
    (b'{"cells": [], "x": "\xff"}', "not UTF-8"),
])
def test_unreadable_notebooks_say_why(tmp_path, content, phrase):
    path = tmp_path / "bad.ipynb"
    path.write_bytes(content)
    with pytest.raises(SubmissionError) as caught:
        read_submission(path)
    assert phrase in str(caught.value)


def test_python_module_splits_on_cell_markers(tmp_path):
    path = tmp_path / "nn.py"
    path.write_text("import numpy\n# %%\nx = 1\n# %%\ny = 2\n")
    assert len(read_submission(path).code_cells) == 3


def test_nbformat3_notebook_is_upgraded(tmp_path):
    v3 = {"nbformat": 3, "nbformat_minor": 0, "metadata": {},
          "worksheets": [{"cells": [{"cell_type": "code", "input": "x = 1", "outputs": [],
                                     "language": "python"}]}]}
    path = tmp_path / "old.ipynb"
    path.write_text(json.dumps(v3))
    assert read_submission(path).code_cells[0].source == "x = 1"


def test_standin_text_yields_the_handouts_27_characters():
    text = make_origin_of_species_standin()
    assert "".join(sorted(set(text))) == DARWIN_CHARSET
    filtered, chars = rnn.prepare_text(text)
    assert "".join(chars) == " abcdefghijklmnopqrstuvwxyz"
    assert len(filtered) > 20_000


@pytest.mark.parametrize("printed, expected", [
    ("Next character right: 41.25%", 41.25),
    ("accuracy = 37.5 percent", 37.5),
    ("Accuracy: 0.42", 42.0),
    ("Epoch 3, Loss = 18.2\nI got 12 of 100 right", None),
    ("10%\nfinal: 55.5%", 55.5),
])
def test_reported_percentage_is_found(printed, expected):
    assert reported_percentage([printed]) == expected


def test_strip_solutions_leaves_a_stub_at_the_marker_indent():
    source = "def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION\n"
    assert strip_solutions(source) == ("def f():\n    # YOUR CODE HERE\n"
                                       "    raise NotImplementedError()")


def test_markdown_solution_becomes_a_prompt_and_the_rest_stays():
    from graders.handout import MD_PROMPT, strip_markdown_solutions

    source = "**Why?**\n<!-- BEGIN SOLUTION -->\nBecause.\n<!-- END SOLUTION -->\nMore."
    assert strip_markdown_solutions(source) == f"**Why?**\n{MD_PROMPT}\nMore."


def _masters() -> list[tuple[str, str]]:
    """(assignment, master notebook relative to reference_solutions/<id>/): master.ipynb, or
    each notebook of master/ for a course whose students hand in several."""
    root = Path(__file__).resolve().parents[2] / "reference_solutions"
    return sorted([(p.parent.name, p.name) for p in root.glob("*/master.ipynb")]
                  + [(p.parents[1].name, f"master/{p.name}")
                     for p in root.glob("*/master/*.ipynb")])


@pytest.mark.parametrize(("assignment", "master"), _masters())
def test_committed_starter_is_the_handout_built_from_the_master(root, assignment, master):
    from graders.build import handout_notebook, starter_path
    from graders.spec import load_assignment

    spec = load_assignment(assignment)
    source = root / f"reference_solutions/{assignment}/{master}"
    name = source.name if "/" in master else None
    built = handout_notebook(spec, source, name)
    committed = nbformat.read(starter_path(spec, source), as_version=4)
    assert nbformat.writes(built) == nbformat.writes(committed), (
        f"run `grade build {assignment} --starter` after editing the master")
