"""`grade new ID`: a new assignment that loads, grades and validates from the first minute.

It writes the three files an instructor edits (assignments/ID/spec.yaml, and beside the
reference reference_solutions/ID/reference.py and master.ipynb), then builds the starter from
the master. The example is small and complete (a random initialiser, a training step, a number),
graded by generic kinds only, so `grade validate ID` runs on it as it stands; replace it with the
real assignment piece by piece (docs/authoring.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

from graders.errors import UsageError
from graders.spec import assignments_root, references_root

_NEW_ID = re.compile(r"^[a-z][a-z0-9_]{1,40}$")


@dataclass(frozen=True)
class Scaffold:
    spec: Path
    reference: Path
    master: Path
    starter: Path


SPEC = """\
# {title}: made by `grade new {ident}`. Every key is described in docs/authoring.md.
id: {ident}
title: "{title}"

limits:
  cell_seconds: 120
  call_seconds: 30

questions:
  - id: "1"
    title: Weights, training and a number
    parts:
      - id: "1a"
        title: init_weights draws Xavier-uniform weights
        marks: 1
        needs: [init_weights]
        checks:
          - id: xavier
            title: "uniform on +-sqrt(6/(n_in + n_out))"
            kind: distribution
            marks: 1
            params:
              function: init_weights
              name: the weights
              family: [uniform]
              expected: init_range          # reference.py: {{low, high}} for the call's args
              cases:
                - {{args: [300, 200], shape: [300, 200], label: "n_in=300, n_out=200"}}
                - {{args: [40, 160], shape: [40, 160], label: "n_in=40, n_out=160"}}
            hints:
              wrong_variance: "The range is +-sqrt(6 / (n_in + n_out))."
      - id: "1b"
        title: predict and gradient_step fit a line
        marks: 2
        needs: [init_weights, predict, gradient_step]
        checks:
          - id: fits
            title: "100 of your gradient steps reduce the squared error"
            kind: trained
            marks: 2
            params:
              data: make_data               # reference.py: arrays x, y from a seed
              setup:
                - {{call: init_weights, args: [3, 1], store: w}}
              train:
                call: gradient_step
                args: [{{stored: w}}, {{data: x}}, {{data: y}}, 0.05]
                times: 100
                result_replaces: 0          # a step that returns the new w works too
              measure: {{call: predict, args: [{{stored: w}}, {{data: x}}]}}
              score: mse
              labels: y
              goal: lower
              baseline_ratio: 0.2           # at most a fifth of the error before training
              threshold: 0.05               # the noise's variance is 0.01
              name: the mean squared error
            hints:
              not_learning: "gradient_step must step downhill: w - lr * gradient."
      - id: "1c"
        title: the slope of the sigmoid at 0
        marks: 1
        needs: [sigmoid_slope_at_zero]
        checks:
          - id: slope
            title: "sigmoid'(0)"
            kind: value
            marks: 1
            params:
              target: sigmoid_slope_at_zero
              equals: 0.25
              atol: 0.001
              rtol: 0
"""

REFERENCE = '''\
"""The grader's own answers for {ident}. Never sent to a kernel, never in a handout."""

from __future__ import annotations

import numpy as np

TRUE_WEIGHTS = np.array([[1.5], [-2.0], [0.5]])


def init_range(n_in: int, n_out: int) -> dict:
    """What `distribution` expects of init_weights(n_in, n_out): uniform on +-bound."""
    bound = float(np.sqrt(6.0 / (n_in + n_out)))
    return {{"low": -bound, "high": bound}}


def make_data(seed: int) -> dict:
    """The data `trained` sends the student's functions: y = x @ TRUE_WEIGHTS + noise."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(200, 3))
    return {{"x": x, "y": x @ TRUE_WEIGHTS + 0.1 * rng.normal(size=(200, 1))}}
'''

INTRO = """\
# {title}

Write each function where the notebook says so, run every cell, and save the notebook.
Your functions are called by the grader on its own inputs."""

IMPORTS = "import numpy as np"

INIT_TEXT = """\
## 1(a) Initialising weights [1 mark]

`init_weights(n_in, n_out)` returns an `(n_in, n_out)` array drawn uniformly from
$[-b, b]$ with $b = \\sqrt{6 / (n_{in} + n_{out})}$."""

INIT_CODE = """\
def init_weights(n_in, n_out):
    ### BEGIN SOLUTION
    bound = np.sqrt(6.0 / (n_in + n_out))
    return np.random.uniform(-bound, bound, size=(n_in, n_out))
    ### END SOLUTION"""

FIT_TEXT = """\
## 1(b) Fitting a line [2 marks]

`predict(w, x)` returns `x @ w`. `gradient_step(w, x, y, lr)` takes one step of gradient
descent on the mean squared error $\\frac{1}{n}\\lVert x w - y\\rVert^2$: change `w` in
place (`w -= ...`) or return the new `w`."""

FIT_CODE = """\
def predict(w, x):
    ### BEGIN SOLUTION
    return x @ w
    ### END SOLUTION


def gradient_step(w, x, y, lr):
    ### BEGIN SOLUTION
    grad = 2.0 * x.T @ (predict(w, x) - y) / len(x)
    w -= lr * grad
    ### END SOLUTION"""

SLOPE_TEXT = """\
## 1(c) A number [1 mark]

Set `sigmoid_slope_at_zero` to the derivative of the logistic sigmoid at 0."""

SLOPE_CODE = """\
### BEGIN SOLUTION
sigmoid_slope_at_zero = 0.25
### END SOLUTION"""


def master_notebook(ident: str, title: str) -> nbformat.NotebookNode:
    """The example master: Markdown prompts, and code with solution regions."""
    nb = nbformat.v4.new_notebook()
    locked = nbformat.v4.new_code_cell(IMPORTS, metadata={"tags": ["locked"]})
    nb.cells = [nbformat.v4.new_markdown_cell(INTRO.format(title=title)), locked,
                nbformat.v4.new_markdown_cell(INIT_TEXT), nbformat.v4.new_code_cell(INIT_CODE),
                nbformat.v4.new_markdown_cell(FIT_TEXT), nbformat.v4.new_code_cell(FIT_CODE),
                nbformat.v4.new_markdown_cell(SLOPE_TEXT),
                nbformat.v4.new_code_cell(SLOPE_CODE)]
    nb.metadata = {"kernelspec": {"display_name": "Python 3", "language": "python",
                                  "name": "python3"},
                   "nngrader": {"assignment": ident}}
    return nb


def scaffold_assignment(ident: str, *, title: str = "") -> Scaffold:
    """Write a new assignment's spec, reference and master, and build its starter.

    Raises UsageError for an id that is not a lower-case identifier or already exists."""
    from graders.build import write_starter
    from graders.spec import load_assignment

    if not _NEW_ID.match(ident):
        raise UsageError(f"{ident!r} cannot be an assignment id: use 2-41 lower-case letters, "
                         "digits and '_', starting with a letter (e.g. softmax_loss)")
    folder, refs = assignments_root() / ident, references_root() / ident
    for existing in (folder, refs):
        if existing.exists():
            raise UsageError(f"{existing} already exists; choose another id or remove it")
    title = title or ident.replace("_", " ").capitalize()
    folder.mkdir(parents=True)
    refs.mkdir(parents=True)
    spec = folder / "spec.yaml"
    spec.write_text(SPEC.format(ident=ident, title=title.replace('"', "'")), encoding="utf-8")
    reference = refs / "reference.py"
    reference.write_text(REFERENCE.format(ident=ident), encoding="utf-8")
    master = refs / "master.ipynb"
    nbformat.write(master_notebook(ident, title), master)
    load_assignment(ident)  # the scaffold must load: a broken template is our bug
    return Scaffold(spec=spec, reference=reference, master=master, starter=write_starter(ident))
