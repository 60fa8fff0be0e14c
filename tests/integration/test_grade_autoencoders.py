"""autoencoders: reference, starter and known-mistake fixtures graded by the real `grade` command,
with exact marks and the mistake each message names; the HTML report a TA marks from."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "autoencoders"
FULL = {"1a": 3, "2.1": 4, "2.2": 4, "2.3": 3, "2.4": 3, "2.5": 1}

# submission -> (marks per part, {(part, check): mistake named}); one mistake per part.
EXPECTED = {
    "reference_solutions/autoencoders/master.ipynb": (FULL, {}),
    "assignments/autoencoders/starter.ipynb": (
        dict.fromkeys(FULL, 0), {("1a", "depth"): "not_found", ("2.1", "layers"): "not_defined"}),
    "mistakes_a": ({"1a": 2, "2.1": 3, "2.2": 3, "2.3": 1, "2.4": 2, "2.5": 0},
                   {("1a", "depth"): "too_shallow", ("2.1", "activations"): "missing_op",
                    ("2.2", "decoder"): "missing_layer", ("2.3", "value"): "summed_over_batch",
                    ("2.4", "recurrent"): "missing_layer", ("2.5", "count"): "wrong_count"}),
    "mistakes_b": ({"1a": 2, "2.1": 3, "2.2": 3, "2.3": 1, "2.4": 2, "2.5": 0},
                   {("1a", "sizes"): "wrong_sizes", ("2.1", "activations"): "after_output",
                    ("2.2", "shape"): "wrong_output_shape", ("2.3", "value"): "argument_as_sigma",
                    ("2.4", "shape"): "wrong_output_shape"}),
    "mistakes_c": ({**FULL, "1a": 2, "2.1": 3, "2.3": 2},
                   {("1a", "trained"): "not_trained", ("2.1", "loss"): "no_sigmoid",
                    ("2.3", "gradient"): "no_gradient"}),
    "mistakes_d": ({**FULL, "1a": 1}, {("1a", "sizes"): "wrong_sizes",
                                       ("1a", "trained"): "wrong_sizes"}),
    # AddLayer on an empty Network named `ae`, functional SELU and pooling, squared error of
    # sigmoid(logits) summed, an LSTM with one logit, the count as np.int64.
    "other_forms_right": (FULL, {}),
    # A student's edited Network.py: a 'sigmoid' output only their own class knows.
    "edited_network_module": (FULL, {}),
    # The handout's models under names of the student's own: found by what they are.
    "models_named_freely": (FULL, {}),
}


def _path(name: str) -> Path:
    return ROOT / name if "/" in name else FIXTURES / f"{name}.ipynb"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_submission_gets_exactly_its_expected_marks(name, grade_full, assert_graded_as):
    marks, mistakes = EXPECTED[name]
    report = grade_full(_path(name), "--assignment", "autoencoders", "--seed", "11")
    assert_graded_as(report, marks, mistakes)


def test_the_network_loaded_in_1d_is_not_mistaken_for_the_students(grade_full):
    # The master reuses `net` for the supplied network; the grader stops before that cell.
    report = grade_full(_path("mistakes_a"), "--only", "1a", "--seed", "2")
    depth = next(c for c in report["parts"][0]["checks"] if c["check_id"] == "depth")
    assert "[784, 3, 784]" in depth["message"]
    assert any("ran code cells 1 to 4 only" in note for note in report["notes"])


def test_a_network_trained_with_an_edited_network_module_is_measured_with_its_own_forward(
        grade_full):
    # A 784-128-3-128-784 net whose output activation ('sigmoid') exists only in the student's
    # patched Network class: the supplied class could not run it, the student's FeedForward can.
    report = grade_full(_path("edited_network_module"), "--only", "1a", "--seed", "11")
    checks = {c["check_id"]: c for c in report["parts"][0]["checks"]}
    assert {k: c["status"] for k, c in checks.items()} == {
        "depth": "passed", "sizes": "passed", "trained": "passed"}
    assert "[784, 128, 3, 128, 784]" in checks["sizes"]["message"]


def test_html_report_shows_answers_and_figures_inline_for_the_human_grader(
        tmp_path, grade_cli, png_figure):
    nb = nbformat.read(ROOT / "reference_solutions/autoencoders/master.ipynb", as_version=4)
    for marker in ("picks = [int(", "codes = codes_of(net, train_in, 2)"):
        cell = next(c for c in nb.cells if marker in c.source)
        cell.outputs = [nbformat.v4.new_output("display_data", data={"image/png": png_figure})]
    comparison = next(c for c in nb.cells if "**Comparison (2.2):**" in c.source)
    comparison.source += "\n\nSharper strokes. <script>alert('x')</script>"
    submission = tmp_path / "with_figures.ipynb"
    nbformat.write(nb, submission)
    result = grade_cli(str(submission), "--only", "1b,1c,2.2-comparison", "--report",
                       "out/report.html", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "out/report.html").read_text()
    assert page.count(f"src='data:image/png;base64,{png_figure}'") == 2
    assert "1b: figure 1" in page and "1c: figure 1" in page
    assert "Sharper strokes." in page and "<script>" not in page
    assert "&lt;script&gt;" in page
