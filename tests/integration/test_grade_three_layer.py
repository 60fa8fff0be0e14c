"""three_layer: reference, starter, known-mistake fixtures and a solution written like the
original course's, graded by the real `grade` command with exact marks and named mistakes."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "three_layer"
FULL = {"1a": 5, "1b": 15, "2a": 4}

# submission -> (marks per part, {(part, check): mistake named})
EXPECTED = {
    "reference_solutions/three_layer/master.ipynb": (FULL, {}),
    "assignments/three_layer/starter.ipynb": ({"1a": 0, "1b": 0, "2a": 0},
                                              {("1b", "train"): "crashed"}),
    # Gradients summed, not averaged: only the loss is right, and training with them diverges.
    "gradients_not_averaged": ({**FULL, "1a": 1, "1b": 3},
                               {("1a", "dW3"): "three_layer_summed", ("1b", "train"): "too_low"}),
    # No ReLU mask on the first layer's way back: dW1, db1 wrong, and training fails.
    "gradients_no_relu_mask_layer1": ({**FULL, "1a": 3.5, "1b": 3},
                                      {("1a", "dW1"): "three_layer_no_mask_layer1"}),
    "autoencoder_no_output_mask": ({**FULL, "2a": 1},
                                   {("2a", "dW2"): "autoencoder_no_mask_output"}),
    # Scores not shifted by their row maximum: the same loss unless scores are large (the
    # loss check's are near 1000).
    "loss_overflows": ({**FULL, "1a": 4}, {("1a", "loss"): "nonfinite"}),
    # H2 hard-coded to 100: right with the defaults, wrong shapes for H2=30.
    "ignores_h2": ({**FULL, "1b": 12}, {("1b", "shapes"): "ignores_sizes"}),
    # Updates written to new names: the initial weights come back.
    "weights_never_updated": ({**FULL, "1b": 3}, {("1b", "fresh"): "too_low"}),
    # As the original course's students wrote it: globals, W1 as H1 x D, 1-D biases, no gradient
    # functions. Full marks for 1b; the functions only our handout asks for are missing.
    "real_solution_style": ({"1a": 0, "1b": 15, "2a": 0}, {("1a", "loss"): "not_defined"}),
}


def _path(name: str) -> Path:
    return ROOT / name if "/" in name else FIXTURES / f"{name}.ipynb"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_submission_gets_exactly_its_expected_marks(name, grade_full, assert_graded_as):
    marks, mistakes = EXPECTED[name]
    report = grade_full(_path(name), "--assignment", "three_layer", "--seed", "11")
    assert_graded_as(report, marks, mistakes)


def test_real_style_solution_is_measured_on_fresh_spiral_points(grade_full):
    report = grade_full(_path("real_solution_style"), "--assignment", "three_layer",
                        "--only", "1b", "--seed", "5")
    fresh = next(c for c in report["parts"][0]["checks"] if c["check_id"] == "fresh")
    assert "fresh spiral points" in fresh["message"] and fresh["fraction"] == 1


def test_report_shows_the_figures_of_a_part_graded_by_hand(
        tmp_path, grade_cli, png_figure):
    import nbformat

    nb = nbformat.read(ROOT / "reference_solutions/three_layer/master.ipynb", as_version=4)
    cell = next(c for c in nb.cells if "for H1, H2 in" in c.source)
    cell.outputs = [nbformat.v4.new_output("display_data", data={"image/png": png_figure})] * 2
    submission = tmp_path / "with_figures.ipynb"
    nbformat.write(nb, submission)
    result = grade_cli(str(submission), "--only", "1c", "--report", "out/report.md", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    report = (tmp_path / "out/report.md").read_text()
    assert "![1c figure 1](report_figures/1c-1.png)" in report
    assert "![1c figure 2](report_figures/1c-2.png)" in report
    saved = (tmp_path / "out/report_figures/1c-1.png").read_bytes()
    assert saved.startswith(b"\x89PNG")
