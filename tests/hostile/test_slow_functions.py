"""A student function that sleeps past the call limit on every call must not hold a worker for
the limit times the number of calls: the part waits the limit out once, and the submission's
checks stop at their budget (limits.checks_seconds). Graded by the real `grade` command on a
copy of rnn_bptt with small limits."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from hostile import ROOT, grade_file

pytestmark = pytest.mark.integration

FIXTURE = ROOT / "tests/fixtures/rnn_bptt/bptt_sleeps_past_the_call_limit.ipynb"
CALL_SECONDS = 4
# 3a makes six calls of BPTT (three sequence lengths, public and hidden inputs): waited out
# each time, its checks would take at least 6 * CALL_SECONDS.
BPTT_CALLS = 6


def _rnn_bptt_with_limits(root: Path, **limits: float) -> Path:
    shutil.copytree(ROOT / "assignments/rnn_bptt", root / "rnn_bptt")
    spec_path = root / "rnn_bptt/spec.yaml"
    spec = yaml.safe_load(spec_path.read_text())
    spec["limits"] = {**spec["limits"], **limits}
    spec_path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return root


def _grade(tmp_path: Path, **limits: float) -> tuple[dict[str, float], dict]:
    assignments = _rnn_bptt_with_limits(tmp_path / "assignments", **limits)
    submission = tmp_path / FIXTURE.name
    shutil.copy(FIXTURE, submission)
    graded = grade_file(submission, assignments, assignment="rnn_bptt",
                        args=("--only", "3a,3b", "--seed", "11"))
    report = json.loads(graded.text)
    checks = {c["check_id"]: c for p in report["parts"] for c in p["checks"]}
    return graded.marks, {"report": report, "checks": checks}


def test_a_part_waits_out_a_sleeping_function_once_then_calls_it_no_more(tmp_path):
    marks, graded = _grade(tmp_path, call_seconds=CALL_SECONDS)
    assert marks == {"3a": 0.0, "3b": 2.0}  # the net's sizes need no BPTT
    checks_seconds = graded["report"]["timings"]["checks"]
    assert checks_seconds < 3 * CALL_SECONDS < BPTT_CALLS * CALL_SECONDS
    first, later = graded["checks"]["dEdU"]["message"], graded["checks"]["dEdW"]["message"]
    assert f"Call net.BPTT took too long: no answer within {CALL_SECONDS} s" in first
    assert ("The grader did not call net.BPTT: `BPTT` was not called again, because it timed out "
            f"once already in this part (it ran past the {CALL_SECONDS} s call limit)") in later
    assert graded["checks"]["dEdW"]["details"]["mistake"] == "timeout"


def test_the_checks_stop_at_the_budget_and_the_rest_fail_saying_so(tmp_path):
    budget = 5
    marks, graded = _grade(tmp_path, call_seconds=60, checks_seconds=budget)
    assert marks == {"3a": 0.0, "3b": 0.0}
    assert graded["report"]["timings"]["checks"] < budget + 6  # an interrupt and a probe
    for check in ("dEdU", "dEdW", "dEdc", "sizes"):
        assert graded["checks"][check]["details"]["mistake"] == "out_of_budget"
    assert graded["checks"]["sizes"]["message"].startswith(
        f"Not checked: the checks of this submission used up their time budget ({budget} s, "
        "limits.checks_seconds)")
    assert any("time budget" in note for note in graded["report"]["notes"])
