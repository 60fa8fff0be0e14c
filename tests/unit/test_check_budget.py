"""What one slow submission may cost: a function that timed out once is not called again in
that part, and a submission's checks stop at their time budget (limits.checks_seconds). No
kernel: a stand-in session answers the wire as the harness does (a slow function times out,
and the harness, interrupted, still says which op it was in)."""

from __future__ import annotations

import ast
import base64
import json
import time
from pathlib import Path

import pytest
import yaml

from graders.checks.base import OUT_OF_BUDGET, CheckContext, Outcome, explain_reply
from graders.errors import SpecError
from graders.execute import CellRun, RunRecord
from graders.grading import Grader
from graders.kernel import KernelProxy, Reply, call_op, function_name, sweep_op
from graders.notebook import Submission
from graders.spec import CheckSpec, Limits, load_spec


class StandInSession:
    """Answers requests like the harness: every call of a function named in `slow` runs past
    the limit; the rest answer at once. Keeps the limit of each request it ran."""

    def __init__(self, slow: set[str]) -> None:
        self.slow = slow
        self.record = RunRecord(mode="definitions")
        self.alive = True
        self.limits: list[float] = []  # the time limit of each request that reached the kernel
        self.sent: list[list[str]] = []  # the functions each of those requests called

    def run_code(self, code: str, *, number: int, timeout: float,
                 store_history: bool = True) -> CellRun:
        run = CellRun(number=number)
        if "make_wire" in code:  # installing the harness
            return run
        payload = ast.literal_eval(code[code.index("(") + 1:code.rindex(")")])
        ops = json.loads(base64.b64decode(payload))["ops"]
        self.limits.append(timeout)
        self.sent.append([function_name(op) for op in ops])
        for index, op in enumerate(ops):
            if function_name(op) in self.slow:
                run.timed_out, run.seconds = True, timeout
                run.replies.append(json.dumps({"ok": False, "failed_op": index, "error": {
                    "type": "KeyboardInterrupt", "message": ""}}))
                return run
        run.replies.append(json.dumps({"ok": True, "results": [None] * len(ops)}))
        return run


def _proxy(slow: set[str], **kwargs) -> tuple[KernelProxy, StandInSession]:
    session = StandInSession(slow)
    return KernelProxy(session, call_seconds=60, **kwargs), session  # type: ignore[arg-type]


def _bptt_request(handle: str) -> list[dict]:
    return [call_op("RNN", [27, 11, 27], store=handle, want=False),
            call_op(f"${handle}.ForwardTT", [1, 2], want=False),
            call_op(f"${handle}.BPTT", [1, 2], [2, 3], want=False)]


def test_a_function_that_timed_out_is_not_called_again_in_the_same_part():
    kernel, session = _proxy({"BPTT"})
    kernel.begin_part()
    first = kernel.request(_bptt_request("net1_public"))
    assert (first.problem, first.failed_op) == ("timeout", 2)
    # Another object, another check of the part: the same method is not called again.
    for handle in ("net2_public", "net6_hidden"):
        again = kernel.request(_bptt_request(handle))
        assert (again.problem, again.failed_op) == ("not_called", 2)
    assert len(session.sent) == 1
    assert again.detail == ("`BPTT` was not called again, because it timed out once already "
                            "in this part (it ran past the 60 s call limit)")


def test_other_functions_are_still_called_after_one_timed_out():
    kernel, session = _proxy({"BPTT"})
    kernel.begin_part()
    kernel.request(_bptt_request("net1_public"))
    sweep = sweep_op("$net1_public", param="U", deltas=[], call="ForwardTT", args=[[1, 2]],
                     collect="ys")
    assert kernel.request([sweep]).ok
    assert kernel.request([call_op("RNN", [27, 11, 27], store="x", want=False)]).ok
    assert len(session.sent) == 3


def test_a_new_part_calls_the_function_again_once():
    kernel, session = _proxy({"BPTT"})
    kernel.begin_part()
    kernel.request(_bptt_request("a"))
    kernel.begin_part()
    assert kernel.request(_bptt_request("b")).problem == "timeout"
    assert kernel.request(_bptt_request("c")).problem == "not_called"
    assert len(session.sent) == 2


def test_the_limit_named_is_the_one_the_call_ran_past():
    kernel, _ = _proxy({"train"})
    kernel.begin_part()
    kernel.request([call_op("train", 1)], timeout=120)
    again = kernel.request([call_op("train", 2)])
    assert "ran past the 120 s call limit" in again.detail


def test_when_the_harness_cannot_say_which_op_hung_every_function_of_the_request_is_held():
    kernel, session = _proxy({"BPTT"})
    original = session.run_code

    def silent(code, **kwargs):
        run = original(code, **kwargs)
        if run.timed_out:
            run.replies.clear()
        return run

    session.run_code = silent  # type: ignore[method-assign]
    kernel.begin_part()
    assert kernel.request(_bptt_request("a")).failed_op == -1
    assert set(kernel.timed_out) == {"RNN", "ForwardTT", "BPTT"}


@pytest.mark.parametrize(("op", "name"), [
    (call_op("BPTT", 1), "BPTT"),
    (call_op("$net6_hidden.BPTT", 1), "BPTT"),
    (call_op("net.layers.forward", 1), "forward"),
    (call_op("$nng_train"), "nng_train"),
    (sweep_op("$net", param="U", deltas=[], call="ForwardTT", args=[], collect="ys"),
     "ForwardTT"),
    ({"op": "get", "target": "net.U"}, ""),
    ({"op": "describe", "names": ["RNN"]}, ""),
])
def test_function_name_is_the_function_an_op_calls(op, name):
    assert function_name(op) == name


def test_no_request_runs_past_the_budget_deadline():
    kernel, session = _proxy(set(), deadline=time.perf_counter() + 5, budget_seconds=30)
    assert kernel.request([call_op("sigmoid", 1.0)]).ok
    assert session.limits[-1] <= 5  # cut from the 60 s call limit to what the budget has left


def test_a_request_past_the_deadline_is_refused_and_counted():
    kernel, session = _proxy(set(), deadline=time.perf_counter() - 1, budget_seconds=30)
    reply = kernel.request([call_op("sigmoid", 1.0)])
    assert reply.problem == "out_of_budget"
    assert "time budget (30 s, limits.checks_seconds)" in reply.detail
    assert (kernel.budget_hits, session.sent) == (1, [])


def test_a_call_cut_short_by_the_budget_is_out_of_budget_not_a_timeout():
    kernel, _ = _proxy({"BPTT"}, deadline=time.perf_counter() + 3, budget_seconds=30)
    kernel.begin_part()
    reply = kernel.request(_bptt_request("a"))
    assert reply.problem == "out_of_budget"
    assert kernel.timed_out == {}  # not the function's fault: the budget was nearly spent


@pytest.mark.parametrize(("reply", "phrase"), [
    (Reply(problem="not_called", detail="`BPTT` was not called again, because it timed out "
                                        "once already in this part"),
     "The grader did not run BPTT: `BPTT` was not called again"),
    (Reply(problem="out_of_budget", detail="the checks of this submission used up their time "
                                           "budget (600 s, limits.checks_seconds)"),
     "The grader stopped before it could run BPTT: the checks of this submission used up"),
    (Reply(problem="timeout", detail="no answer within 60 s"),
     "Run BPTT took too long: no answer within 60 s"),
])
def test_each_way_a_call_was_cut_short_is_said_plainly(reply, phrase):
    assert explain_reply(reply, "run BPTT", RunRecord(mode="definitions")).startswith(phrase)


# ------------------------------------------------------------------- checks past the budget


def _grader_and_context(tmp_path: Path, kernel: KernelProxy):
    spec = load_spec(_spec_with_limits(tmp_path, {"checks_seconds": 45}))
    submission = Submission(path=tmp_path / "s.ipynb", format="ipynb", cells=())
    grader = Grader(spec, submission, seed=1, data_dir=None, reference=None)
    check = CheckSpec(id="g", kind="x", marks=2, title="gradient of U")
    ctx = CheckContext(spec=spec, check=check, kernel=kernel, record=RunRecord(mode="full"),
                       reference=None, data_files={}, seed=1, shared={})
    return grader, ctx


def test_a_check_that_starts_after_the_budget_fails_unrun_with_its_reason(tmp_path):
    kernel, session = _proxy(set(), deadline=time.perf_counter() - 1, budget_seconds=45)
    grader, ctx = _grader_and_context(tmp_path, kernel)
    ran: list[str] = []
    result = grader._run_check(ctx, lambda c: ran.append("ran") or Outcome.passed("ok"))
    assert (ran, result.fraction, result.details["mistake"]) == ([], 0.0, OUT_OF_BUDGET)
    assert "used up their time budget (45 s, limits.checks_seconds)" in result.message
    assert any("time budget" in note for note in grader.notes)


def test_a_check_cut_short_by_the_budget_carries_the_out_of_budget_mistake(tmp_path):
    kernel, _ = _proxy({"BPTT"}, deadline=time.perf_counter() + 3, budget_seconds=45)
    grader, ctx = _grader_and_context(tmp_path, kernel)

    def check(c: CheckContext) -> Outcome:
        _, failure = c.request(None, [call_op("BPTT", 1)], "run BPTT")
        return failure or Outcome.passed("ok")

    result = grader._run_check(ctx, check)
    assert (result.fraction, result.details["mistake"]) == (0.0, OUT_OF_BUDGET)
    assert result.message.startswith("The grader stopped before it could run BPTT")


def test_a_check_within_the_budget_keeps_its_own_verdict(tmp_path):
    kernel, _ = _proxy({"BPTT"}, deadline=time.perf_counter() + 300, budget_seconds=45)
    grader, ctx = _grader_and_context(tmp_path, kernel)

    def check(c: CheckContext) -> Outcome:
        _, failure = c.request(None, [call_op("BPTT", 1)], "run BPTT")
        return failure or Outcome.passed("ok")

    result = grader._run_check(ctx, check)
    assert result.details["mistake"] == "timeout"
    assert "took too long: no answer within 60 s" in result.message


# ------------------------------------------------------------------------- the spec's budget


def _spec_with_limits(tmp_path: Path, limits: dict) -> Path:
    folder = tmp_path / "demo"
    folder.mkdir()
    part = {"id": "1a", "title": "t", "marks": 1, "by_hand": True}
    doc = {"id": "demo", "title": "Demo", "limits": limits,
           "questions": [{"id": "1", "title": "Q", "parts": [part]}]}
    (folder / "spec.yaml").write_text(yaml.safe_dump(doc))
    return folder / "spec.yaml"


def test_the_budget_defaults_to_ten_minutes_and_the_spec_may_set_it(tmp_path):
    assert Limits().checks_seconds == 600
    spec = load_spec(_spec_with_limits(tmp_path, {"checks_seconds": 90}))
    assert spec.limits.checks_seconds == 90


@pytest.mark.parametrize("bad", [0, -5, "ten", float("nan"), True])
def test_a_budget_that_is_not_a_positive_number_fails_at_load_with_its_key(tmp_path, bad):
    with pytest.raises(SpecError, match=r"limits\.checks_seconds"):
        load_spec(_spec_with_limits(tmp_path, {"checks_seconds": bad}))
