"""The generic kinds against a real kernel, on a small assignment written only as data (in a
temporary folder): call (returned, stored, changed; setup and methods), property (every
property, passing and failing) and gradient (returned, and stored by a method with respect to a
parameter set on the object), each graded by the real `grade` command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.integration

GRADE = str(Path(sys.executable).with_name("grade"))

REFERENCE = '''
import numpy as np


def softmax(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def batches(n, size):
    order = np.arange(n)
    return [order[i:i + size] for i in range(0, n, size)]


def shuffle(n):
    return np.arange(n)


def normalise(x):
    x /= np.linalg.norm(x)
    return None


class Scaler:
    def __init__(self, factor):
        self.factor = factor
        self.history = []

    def apply(self, x):
        self.last = self.factor * x
        return self.last


def apply(scaler, x):
    return scaler.apply(x)


def square_loss(x, w):
    r = x @ w
    return 0.5 * float(r @ r), x.T @ r


def square_loss_doubled(x, w):
    loss, grad = square_loss(x, w)
    return loss, 2 * grad


class Linear:
    def __init__(self, n_in, n_out):
        self.W = np.zeros((n_in, n_out))

    def forward(self, x):
        self.x = x
        self.out = x @ self.W
        self.loss = 0.5 * float(np.sum(self.out ** 2))
        return self.out

    def backward(self):
        self.dW = self.x.T @ self.out


def forward(layer, x):
    return layer.forward(x)


def relu_loss(x, w):
    h = x @ w
    return float(np.sum(np.maximum(h, 0))), x.T @ (h > 0).astype(float)


def relu_inputs(values):
    return values["x"] @ values["w"]


def backward(layer):
    return layer.backward()
'''

SUBMISSION = '''
import numpy as np


def softmax(x):
    e = np.exp(x)
    return e / e.sum(axis=1, keepdims=True)


def batches(n, size):
    order = np.random.permutation(n)
    return [order[i:i + size] for i in range(0, n, size - 1)]


def shuffle(n):
    return np.random.permutation(n)


def normalise(x):
    x /= np.linalg.norm(x)


class Scaler:
    def __init__(self, factor):
        self.factor = factor

    def apply(self, x):
        self.last = self.factor * x
        return self.last


def square_loss(x, w):
    r = x @ w
    return 0.5 * float(r @ r), 2 * (x.T @ r)


def relu_loss(x, w):
    h = x @ w
    return np.where(h > 0, h, 0).sum(), x.T @ (h > 0)


class Linear:
    def __init__(self, n_in, n_out):
        self.W = np.random.randn(n_in, n_out)

    def forward(self, x):
        self.x = x
        self.out = x @ self.W
        self.loss = float(np.sum(self.out ** 2))
        return self.out

    def backward(self):
        self.dW = 2 * self.x.T @ self.out
'''


def _check(ident, kind, params, marks=1):
    return {"id": ident, "kind": kind, "marks": marks, "params": params}


SOFTMAX = {"function": "softmax", "reference": "softmax", "inputs": {"x": {"normal": [4, 5]}}}
LOSS = {"function": "square_loss", "reference": "square_loss",
        "inputs": {"x": {"normal": [6, 3]}, "w": {"normal": [3]}}}
CHECKS = [
    _check("softmax_values", "call", SOFTMAX),
    _check("softmax_shift", "property", {**SOFTMAX, "property": "invariant", "input": "x"}),
    _check("softmax_unchanged", "property", {**SOFTMAX, "property": "input_unchanged"}),
    _check("batches_partition", "property", {
        "function": "batches", "reference": "batches",
        "inputs": {"n": {"constant": 10}, "size": {"constant": 3}},
        "property": "partition", "n": 10}),
    _check("shuffle_permutation", "property", {
        "function": "shuffle", "reference": "shuffle", "inputs": {"n": {"constant": 9}},
        "property": "permutation", "n": 9}),
    _check("shuffle_differs", "property", {
        "function": "shuffle", "reference": "shuffle", "inputs": {"n": {"constant": 9}},
        "property": "differs_between_calls"}),
    _check("normalise_changes_x", "call", {
        "function": "normalise", "reference": "normalise", "inputs": {"x": {"normal": [5]}},
        "output": {"of": "argument", "name": "x"}}),
    _check("scaler_stores", "call", {
        "function": "$s.apply", "reference": "apply",
        "inputs": {"k": {"constant": 3.0}, "x": {"normal": [4]}},
        "setup": [{"call": "Scaler", "reference": "Scaler", "args": ["k"], "store": "s"}],
        "args": ["x"], "output": {"of": "object", "attribute": "last"}}),
    _check("loss_gradient", "gradient", {
        **LOSS, "wrt": "w", "gradient": {"index": 1},
        "mistakes": {"square_loss_doubled": "the 1/2 cancels the 2"}}),
    _check("relu_gradient", "gradient", {
        "function": "relu_loss", "reference": "relu_loss",
        "inputs": {"x": {"normal": [8, 3]}, "w": {"normal": [3, 4], "std": 0.01}},
        "away_from_kinks": {"reference": "relu_inputs", "margin": 1e-3},
        "wrt": "w", "gradient": {"index": 1}}),
    _check("constructor_stores", "call", {
        "function": "Scaler", "reference": "Scaler",
        "inputs": {"k": {"uniform": [], "low": 1, "high": 4}},
        "output": {"attribute": "factor"}}),
    _check("stored_gradient", "gradient", {
        "function": "$layer.backward", "reference": "backward",
        "inputs": {"n_in": {"constant": 3}, "n_out": {"constant": 2}, "W": {"normal": [3, 2]},
                   "x": {"normal": [5, 3]}},
        "setup": [{"call": "Linear", "reference": "Linear", "args": ["n_in", "n_out"],
                   "store": "layer", "attributes": {"W": "W"}},
                  {"call": "$layer.forward", "reference": "forward", "args": ["x"]}],
        "args": [], "wrt": "W", "gradient": {"of": "object", "attribute": "dW"},
        "loss": {"of": "object", "attribute": "loss"}}),
    _check("missing", "call", {"function": "not_written", "reference": "softmax",
                               "inputs": {"x": {"normal": [2, 2]}}}),
]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    root = tmp_path_factory.mktemp("kinds")
    (root / "assignments" / "demo").mkdir(parents=True)
    (root / "refs" / "demo").mkdir(parents=True)
    (root / "refs" / "demo" / "reference.py").write_text(REFERENCE)
    needs = ["softmax", "batches", "shuffle", "normalise", "Scaler", "square_loss", "Linear",
             "relu_loss", "not_written"]
    doc = {"id": "demo", "title": "Demo", "questions": [{"id": "1", "title": "Q", "parts": [
        {"id": "1a", "title": "all", "marks": len(CHECKS), "needs": needs, "checks": CHECKS}]}]}
    (root / "assignments" / "demo" / "spec.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    (root / "submission.py").write_text(SUBMISSION)
    env = {**os.environ, "NNGRADER_ASSIGNMENTS": str(root / "assignments"),
           "NNGRADER_REFERENCES": str(root / "refs")}
    result = subprocess.run([GRADE, "submission.py", "--assignment", "demo", "--seed", "3",
                             "--full-json", "full.json", "--quiet"], cwd=root, env=env,
                            capture_output=True, text=True, timeout=600)
    full = json.loads((root / "full.json").read_text())
    assert result.returncode == 0, full["notes"]
    return {c["check_id"]: c for c in full["parts"][0]["checks"]}


@pytest.mark.parametrize("check, fraction, mistake, phrase", [
    ("softmax_values", 1, "", "matches"),
    ("softmax_shift", 0, "not_invariant", "Adding a constant to each row of `x` should leave"),
    ("softmax_unchanged", 1, "", "leaves its arguments unchanged"),
    ("batches_partition", 0, "not_partition", "appear more than once"),
    ("shuffle_permutation", 1, "", "exactly once"),
    ("shuffle_differs", 1, "", "different"),
    ("normalise_changes_x", 1, "", "matches"),
    ("scaler_stores", 1, "", "matches"),
    ("loss_gradient", 0, "square_loss_doubled", "known wrong gradient"),
    ("relu_gradient", 1, "", "matches central differences"),
    ("constructor_stores", 1, "", "matches"),
    ("stored_gradient", 0, "forward_not_model", "your forward pass is not the model"),
    ("missing", 0, "not_defined", "`not_written` is not defined"),
])
def test_each_generic_kind_judges_real_student_code(report, check, fraction, mistake, phrase):
    got = report[check]
    assert (got["fraction"], got["details"]["mistake"]) == (fraction, mistake), got["message"]
    assert phrase in got["message"]


def test_a_known_wrong_answer_gives_the_specs_hint(report):
    assert report["loss_gradient"]["hint"] == "the 1/2 cancels the 2"
