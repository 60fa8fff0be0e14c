"""Fuzzing the two readers of untrusted or hand-written files: whatever the bytes, the notebook
reader returns a submission or raises SubmissionError, and the spec loader returns a spec or
raises SpecError. A fixed budget and derandomised examples, so CI is repeatable."""

from __future__ import annotations

import json
import math
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graders.errors import SpecError, SubmissionError
from graders.notebook import read_submission
from graders.spec import load_spec

BUDGET = settings(max_examples=150, deadline=None, derandomize=True,
                  suppress_health_check=[HealthCheck.function_scoped_fixture])

_leaf = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(
    max_size=20)
_json = st.recursive(_leaf, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
    st.text(max_size=10), inner, max_size=4), max_leaves=20)
_cell = st.fixed_dictionaries({"cell_type": st.sampled_from(["code", "markdown", "raw", 7]),
                               "source": st.text(max_size=40) | st.lists(st.text(max_size=10))
                               | _leaf},
                              optional={"outputs": _json, "metadata": _json, "id": _leaf})
_notebook = st.fixed_dictionaries({"cells": st.lists(_cell | _json, max_size=5)},
                                  optional={"metadata": _json, "nbformat": _leaf,
                                            "nbformat_minor": _leaf})


def _read(tmp_path: Path, name: str, data: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    try:
        submission = read_submission(path)
    except SubmissionError:
        return
    for cell in submission.cells:
        assert isinstance(cell.source, str) and cell.kind
        cell.as_markdown()


@BUDGET
@given(data=st.binary(max_size=300))
def test_any_bytes_are_read_or_refused_with_a_reason(tmp_path, data):
    _read(tmp_path, "any.ipynb", data)
    _read(tmp_path, "any.py", data)


@BUDGET
@given(document=_notebook | _json)
def test_any_notebook_shaped_json_is_read_or_refused_with_a_reason(tmp_path, document):
    _read(tmp_path, "shaped.ipynb", json.dumps(document).encode())


_part = st.fixed_dictionaries(
    {"id": _leaf, "title": _leaf, "marks": _leaf},
    optional={"by_hand": _leaf, "needs": _json, "run": _leaf, "answer": _json,
              "hidden_marks": _leaf,
              "checks": st.lists(st.fixed_dictionaries(
                  {"id": _leaf, "kind": st.sampled_from(["rnn_bptt.gradient", "nope", ""])
                   | _leaf, "marks": _leaf},
                  optional={"params": _json, "hints": _json, "visibility": _leaf}), max_size=2)
              | _json})
_spec = st.fixed_dictionaries(
    {"id": st.just("fuzz") | _leaf, "title": _leaf,
     "questions": st.lists(st.fixed_dictionaries({"id": _leaf, "title": _leaf,
                                                  "parts": st.lists(_part, max_size=2) | _json}),
                           max_size=2) | _json},
    optional={"data": _json, "limits": _json, "skip_calls": _json, "public_seed": _leaf,
              "locked_cells": _leaf, "support_files": _json, "full_run_stops_before": _json})


@BUDGET
@given(document=_spec | _json)
def test_any_spec_document_loads_or_fails_with_file_and_key(tmp_path, document):
    folder = tmp_path / "fuzz"
    folder.mkdir(exist_ok=True)
    path = folder / "spec.yaml"
    path.write_text(yaml.safe_dump(document))
    try:
        spec = load_spec(path)
    except SpecError as exc:
        assert str(path) in str(exc)
        return
    for part in spec.parts:  # what loads is sound: finite marks that add up
        assert math.isfinite(part.marks) and part.marks >= 0
        assert all(math.isfinite(c.marks) and c.marks >= 0 for c in part.checks)


@BUDGET
@given(text=st.text(max_size=200))
def test_any_text_as_a_spec_file_loads_or_fails_with_the_file(tmp_path, text):
    folder = tmp_path / "fuzz"
    folder.mkdir(exist_ok=True)
    path = folder / "spec.yaml"
    path.write_text(text)
    try:
        load_spec(path)
    except SpecError as exc:
        assert str(path) in str(exc)
