"""The generic kinds `distribution`, `value`, `trained` and `module` in a real kernel: an
assignment written only as YAML + reference.py in a temporary folder, graded by the real `grade`
on a right and a wrong notebook, with exact marks and the mistake each check names."""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
from pathlib import Path

import nbformat
import pytest

from tests.integration.conftest import GRADE

pytestmark = pytest.mark.integration

SPEC = """\
id: kinds_demo
title: Generic kinds in a kernel
questions:
  - id: "1"
    title: Everything
    parts:
      - id: init
        title: init fills a dict
        run: full
        marks: 1
        checks:
          - id: normal
            kind: distribution
            marks: 1
            params:
              function: init
              family: [normal]
              name: the weights
              cases:
                - {args: [{new: dict}, 200, 100], argument: 0, key: W, shape: [200, 100],
                   mean: 0.0, variance: 0.01, label: "200 x 100"}
      - id: answer
        title: a proposed input reaches a target
        run: full
        marks: 2
        checks:
          - id: entry
            kind: value
            marks: 1
            params: {target: answers, path: [a, 1], equals: 0.5, atol: 1.0e-3, rtol: 0}
          - id: reaches
            kind: value
            marks: 1
            params: {target: proposal, through: squared_norm, expected: target_norm,
                     atol: 1.0e-6, rtol: 0, hint_through: "|x|^2"}
      - id: fit
        title: the student's trained object
        run: full
        marks: 1
        checks:
          - id: error
            kind: trained
            marks: 1
            params:
              data: make_data
              measure: {call: model.predict, args: [{data: x}]}
              score: accuracy
              labels: y
              goal: higher
              threshold: 0.9
              name: the accuracy
      - id: loop
        title: the grader's loop of the student's step
        run: full
        marks: 1
        checks:
          - id: steps
            kind: trained
            marks: 1
            params:
              data: make_data
              setup: [{call: np.zeros, args: [2], store: w}]
              train: {call: step, args: [{stored: w}, {data: x}, {data: t}], times: 50,
                      result_replaces: 0}
              measure: {call: np.dot, args: [{data: x}, {stored: w}]}
              score: mse
              labels: t
              baseline_ratio: 0.1
      - id: torch
        title: a torch model found by its output shape
        run: full
        marks: 2
        checks:
          - id: built
            kind: module
            marks: 1
            params:
              build: {call: Net}
              probe_shape: [2, 8]
              output_shape: [2, 3]
              layers_match: exact
              layers: [{type: Linear, out_features: 16}, {type: Linear, out_features: 3}]
              parameters: {min: 150, max: 200}
          - id: model
            kind: module
            marks: 1
            params:
              probe_shape: [5, 8]
              output_shape: [5, 3]
              layers: [{type: Linear, in_features: 8, out_features: 16},
                       {type: Linear, in_features: 16, out_features: 3}]
              ops: [linear, relu, linear]
              parameters: 195
"""

REFERENCE = """\
import numpy as np


def squared_norm(x):
    return float(np.sum(np.asarray(x, dtype=float) ** 2))


def target_norm():
    return 2.0


def make_data(seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(100, 2))
    return {"x": x, "y": (x[:, 0] > 0).astype(int), "t": x @ np.array([1.0, -2.0])}
"""

RIGHT = """\
import numpy as np
import torch
from torch import nn
import torch.nn.functional as F


def init(params, n_in, n_out):
    params["W"] = np.random.normal(0.0, 0.1, size=(n_in, n_out))


answers = {"a": [0.0, 0.5]}
proposal = [1.0, 1.0]


def step(w, x, t):
    return w - 0.1 * 2 * x.T @ (x @ w - t) / len(x)


class Threshold:
    def predict(self, x):
        return (x[:, 0] > 0).astype(int)


model = Threshold()


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(8, 16)
        self.out = nn.Linear(16, 3)

    def forward(self, x):
        return self.out(F.relu(self.hidden(x)))


other = nn.Linear(8, 2)
net = Net()
"""

WRONG = """\
import numpy as np
import torch
from torch import nn


def init(params, n_in, n_out):
    params["W"] = np.random.uniform(-0.1, 0.1, size=(n_in, n_out))


answers = {"a": [0.0, 0.7]}
proposal = [1.0, 2.0]


def step(w, x, t):
    return w + 0.1 * 2 * x.T @ (x @ w - t) / len(x)


class Threshold:
    def predict(self, x):
        return (x[:, 1] > 0).astype(int)


model = Threshold()


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(8, 16)
        self.out = nn.Linear(16, 3)

    def forward(self, x):
        return self.out(torch.sigmoid(self.hidden(x)))


net = Net()
"""


def _assignment(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "a" / "kinds_demo").mkdir(parents=True)
    (tmp_path / "r" / "kinds_demo").mkdir(parents=True)
    (tmp_path / "a" / "kinds_demo" / "spec.yaml").write_text(SPEC)
    (tmp_path / "r" / "kinds_demo" / "reference.py").write_text(REFERENCE)
    return {**os.environ, "NNGRADER_ASSIGNMENTS": str(tmp_path / "a"),
            "NNGRADER_REFERENCES": str(tmp_path / "r")}


def _grade(tmp_path: Path, source: str, env: dict[str, str]) -> dict:
    notebook = tmp_path / "sub.ipynb"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(textwrap.dedent(source))])
    nb.metadata["nngrader"] = {"assignment": "kinds_demo"}
    nbformat.write(nb, notebook)
    out = tmp_path / "full.json"
    result = subprocess.run([GRADE, str(notebook), "--seed", "5", "--full-json", str(out),
                             "--quiet"], cwd=tmp_path, env=env, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(out.read_text())


def _checks(report: dict) -> dict[str, tuple[float, str, str]]:
    return {c["check_id"]: (c["fraction"], c["details"].get("mistake", ""), c["message"])
            for p in report["parts"] for c in p["checks"]}


def test_right_notebook_passes_every_generic_kind(tmp_path):
    checks = _checks(_grade(tmp_path, RIGHT, _assignment(tmp_path)))
    assert {k: v[0] for k, v in checks.items()} == {
        "normal": 1.0, "entry": 1.0, "reaches": 1.0, "error": 1.0, "steps": 1.0, "built": 1.0,
        "model": 1.0}
    assert "probability about" in checks["normal"][2]
    assert "(`net`)" in checks["model"][2]  # found by its output shape, not `other`


def test_wrong_notebook_fails_each_kind_with_its_named_mistake(tmp_path):
    checks = _checks(_grade(tmp_path, WRONG, _assignment(tmp_path)))
    assert {k: v[:2] for k, v in checks.items()} == {
        "normal": (0.0, "wrong_variance"), "entry": (0.0, "wrong_values"),
        "reaches": (0.0, "wrong_values"), "error": (0.0, "below_threshold"),
        "steps": (0.0, "not_learning"), "built": (1.0, ""), "model": (0.0, "missing_op")}
    assert "|x|^2 from proposal = [1.0, 2.0]" in checks["reaches"][2]
    assert "sigmoid" in checks["model"][2]
