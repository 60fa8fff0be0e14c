"""Kind `gradient` without a kernel: right, transposed, factor 2, sign, 'your forward pass is not
the model' apart from 'not the gradient of your own forward pass', and typos refused at load."""

import numpy as np
import pytest

from graders.checks.gradient import plan_probes
from graders.checks.gradient_kind import judge_gradient

A = np.array([[2.0, -1.0, 0.5], [0.3, 1.5, -0.7]])
X0 = np.array([[0.2, -0.4, 1.1], [0.9, 0.1, -0.3]])
STEP = 1e-5


def model_loss(x):
    return float(np.sum(A * x ** 2) / 2)  # gradient A * x


def other_loss(x):
    return float(np.sum(A * x ** 2))  # a forward pass twice the model's: gradient 2 A x


def _judge(actual, own=model_loss, mistakes=None):
    probes = plan_probes(X0.shape, rng=np.random.default_rng(0), entries=4, directions=3,
                         prefer=A * X0)
    deltas = [s * STEP * d for _, d in probes for s in (1.0, -1.0)]
    return judge_gradient(actual=actual, expected=A * X0, probes=probes,
                          model_losses=[model_loss(X0 + d) for d in deltas],
                          own_losses=None if own is None else [own(X0 + d) for d in deltas],
                          name="dx", step=STEP, rtol=1e-5, floor=1e-7, wrong_answers=mistakes)


def test_the_right_gradient_passes_with_its_relative_error():
    outcome = _judge(A * X0)
    assert outcome.fraction == 1 and "largest relative error" in outcome.message
    assert outcome.details["max_rel_error"] < 1e-6


@pytest.mark.parametrize("actual, mistake, phrase", [
    ((A * X0).T, "transposed", "transposed"),
    ((A * X0)[:, :2], "wrong_shape", "shape (2, 2)"),
    (np.full(A.shape, np.nan), "nonfinite", "NaN"),
    (-(A * X0), "not_gradient_of_forward", "Your loss agrees with the model's"),
])
def test_a_wrong_gradient_says_what_is_wrong(actual, mistake, phrase):
    outcome = _judge(actual)
    assert (outcome.fraction, outcome.mistake) == (0.0, mistake)
    assert phrase in outcome.message


def test_the_gradient_of_a_wrong_forward_pass_is_told_apart():
    outcome = _judge(2 * A * X0, own=other_loss)
    assert outcome.mistake == "forward_not_model"
    assert "gradient of your own forward pass" in outcome.message
    assert "your forward pass is not the model" in outcome.message


def test_a_gradient_of_neither_loss_says_so():
    outcome = _judge(3 * A * X0, own=other_loss)
    assert outcome.mistake == "not_gradient_of_forward"
    assert "not the gradient of your own forward pass either" in outcome.message
    assert "rel. error" in outcome.message  # the table of the worst probes


def test_a_student_loss_that_could_not_be_read_still_judges_against_the_model():
    assert _judge(A * X0, own=lambda x: float("nan")).fraction == 1
    assert _judge(2 * A * X0, own=None).mistake == "not_gradient_of_forward"


def test_a_known_wrong_gradient_is_named_with_its_hint():
    outcome = _judge(2 * A * X0, mistakes={"doubled": (2 * A * X0, "the 1/2 cancels the 2")})
    assert outcome.mistake == "doubled" and outcome.details["hint"] == "the 1/2 cancels the 2"


REFERENCE_PY = "def loss_and_grad(x, w):\n    return 0.0, x\n"
GOOD = {"function": "loss_and_grad", "reference": "loss_and_grad",
        "inputs": {"x": {"normal": [3]}, "w": {"normal": [3]}}, "wrt": "x",
        "gradient": {"index": 1}}


def _spec(tmp_path, monkeypatch, params):
    import yaml

    monkeypatch.setenv("NNGRADER_REFERENCES", str(tmp_path / "refs"))
    (tmp_path / "refs" / "demo").mkdir(parents=True)
    (tmp_path / "refs" / "demo" / "reference.py").write_text(REFERENCE_PY)
    (tmp_path / "demo").mkdir()
    check = {"id": "g", "kind": "gradient", "marks": 1, "params": params}
    doc = {"id": "demo", "title": "Demo", "questions": [{"id": "1", "title": "Q", "parts": [
        {"id": "1a", "title": "t", "marks": 1, "checks": [check]}]}]}
    (tmp_path / "demo" / "spec.yaml").write_text(yaml.safe_dump(doc))
    return tmp_path / "demo" / "spec.yaml"


def test_a_good_gradient_spec_loads(tmp_path, monkeypatch):
    from graders.spec import load_spec

    assert load_spec(_spec(tmp_path, monkeypatch, GOOD)).part("1a").checks[0].kind == "gradient"


@pytest.mark.parametrize("change, key, phrase", [
    ({"wrt": "y"}, "params.wrt", "not an input"),
    ({"gradient": {"indx": 1}}, "params.gradient.indx", "did you mean 'index'?"),
    ({"loss": {"of": "argumnet", "name": "x"}}, "params.loss.of", "did you mean 'argument'?"),
    ({"entris": 3}, "params.entris", "did you mean 'entries'?"),
    ({"step": 0}, "params.step", "must be > 0"),
    ({"vary": {"size": "T", "values": [1, 2]}}, "params.vary.size", "size 'T' is not declared"),
    ({"loss_of": "los"}, "params.loss_of", "reference.py defines no function 'los'"),
    ({"loss_args": ["y"]}, "params.loss_args[0]", "not an input"),
    ({"own_forward_credit": 2}, "params.own_forward_credit", "must be <= 1"),
    ({"inputs": {"x": {"normal": [3], "kinks": [0], "margin": 1e-6}, "w": {"normal": [3]}}},
     "params.inputs.x.margin", "not larger than the finite-difference step"),
])
def test_a_gradient_spec_with_a_typo_fails_at_load_naming_file_key_and_fix(
        tmp_path, monkeypatch, change, key, phrase):
    from graders.errors import SpecError
    from graders.spec import load_spec

    path = _spec(tmp_path, monkeypatch, {**GOOD, **change})
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    assert caught.value.key_path == f"questions[0].parts[0].checks[0].{key}"
    assert phrase in str(caught.value) and str(path) in str(caught.value)


def test_a_loss_reference_is_differenced_for_a_call_that_returns_no_loss():
    from types import SimpleNamespace

    from graders.checks.gradient_kind import SCHEMA, _model_losses
    from graders.checks.invocation import Call, validated

    reference = SimpleNamespace(
        layer_backward=lambda delta, x: delta * x,
        vjp_loss=lambda inputs: float(np.sum(inputs["delta"] * inputs["x"] ** 2 / 2)))
    p = validated(SCHEMA, {"function": "layer_backward", "reference": "layer_backward",
                           "inputs": {"delta": {"normal": [2, 3]}, "x": {"normal": [2, 3]}},
                           "wrt": "x", "gradient": {"of": "returned"},
                           "loss_reference": "vjp_loss"})
    call = Call(p, "hidden")
    values = {"delta": A, "x": X0}
    probes = plan_probes(X0.shape, rng=np.random.default_rng(0), entries=4, directions=3)
    deltas = [s * STEP * d for _, d in probes for s in (1.0, -1.0)]
    losses = _model_losses(SimpleNamespace(reference=reference), call, values, deltas)
    assert np.allclose(losses, [model_loss(X0 + d) for d in deltas])
    outcome = judge_gradient(actual=A * X0, expected=A * X0, probes=probes, model_losses=losses,
                             own_losses=None, name="dx", step=STEP, rtol=1e-5, floor=1e-7)
    assert outcome.fraction == 1


def test_a_gradient_with_one_value_everywhere_is_named_constant():
    outcome = _judge(np.full(A.shape, 0.25))
    assert (outcome.fraction, outcome.mistake) == (0.0, "constant")
    assert "the same value, 0.25, in every entry" in outcome.message


def test_the_exact_gradient_of_a_wrong_forward_pass_earns_the_credit_the_spec_gives():
    probes = plan_probes(X0.shape, rng=np.random.default_rng(0), entries=4, directions=3)
    deltas = [s * STEP * d for _, d in probes for s in (1.0, -1.0)]
    outcome = judge_gradient(actual=2 * A * X0, expected=A * X0, probes=probes,
                             model_losses=[model_loss(X0 + d) for d in deltas],
                             own_losses=[other_loss(X0 + d) for d in deltas], name="dx",
                             step=STEP, rtol=1e-5, floor=1e-7, own_forward_credit=0.5)
    assert (outcome.fraction, outcome.mistake) == (0.5, "forward_not_model")


@pytest.mark.parametrize("noise, flagged", [(0.0, False), (1e-9, True)])
def test_a_right_gradient_only_as_exact_as_an_estimate_is_flagged_for_the_marker(noise, flagged):
    probes = plan_probes(X0.shape, rng=np.random.default_rng(0), entries=4, directions=3)
    deltas = [s * STEP * d for _, d in probes for s in (1.0, -1.0)]
    outcome = judge_gradient(actual=A * X0 + noise, expected=A * X0, probes=probes,
                             model_losses=[model_loss(X0 + d) for d in deltas], own_losses=None,
                             name="dx", step=STEP, rtol=1e-5, floor=1e-7, exact_rtol=1e-12)
    assert outcome.fraction == 1
    assert (outcome.mistake == "finite_differences") is flagged
    assert ("for the marker" in outcome.message) is flagged
    assert "for the marker" not in outcome.message.splitlines()[0]


def _outcome(fraction, message, mistake="", **details):
    from graders.checks.base import Outcome

    return Outcome(fraction, message, mistake=mistake, details=details)


def test_cases_score_their_worst_and_say_which_values_are_right():
    from graders.checks.gradient_kind import combine_cases

    outcome = combine_cases([(1, _outcome(1, "ok 1", max_rel_error=1e-9)),
                             (2, _outcome(1, "ok 2", max_rel_error=2e-9)),
                             (6, _outcome(0, "dW is the known wrong gradient 'x'\n    table",
                                          "x", hint="carry W^T", max_rel_error=0.3))],
                            name="dW", label="seq_length")
    lines = outcome.message.splitlines()
    assert lines[0] == "dW is wrong for seq_length 6 (right for 1, 2)."
    assert lines[1] == "  seq_length 1: ok 1"
    assert lines[-2:] == ["  seq_length 6: dW is the known wrong gradient 'x'", "        table"]
    assert (outcome.fraction, outcome.mistake) == (0, "x")
    assert outcome.details["hint"] == "carry W^T" and outcome.details["max_rel_error"] == 0.3


def test_cases_right_only_for_the_first_are_named_so_and_a_repeated_failure_said_once():
    from graders.checks.gradient_kind import combine_cases

    crash = _outcome(0, "Your code raised IndexError", "crashed")
    assert combine_cases([(1, crash), (2, crash)], name="dW", label="T").message.count(
        "IndexError") == 1
    outcome = combine_cases([(1, _outcome(1, "ok")),
                             (3, _outcome(0, "not the gradient", "not_gradient_of_forward"))],
                            name="dW", label="T")
    assert outcome.mistake == "right_only_for_first_case"
    right = combine_cases([(1, _outcome(1, "ok")), (3, _outcome(1, "ok", "finite_differences"))],
                          name="dW", label="T")
    assert (right.fraction, right.mistake) == (1, "finite_differences")
    assert right.message.splitlines()[0] == "dW is right for T 1, 3."


def test_a_failed_request_names_its_step_in_the_specs_own_names():
    from graders.checks.invocation import Call
    from graders.kernel import call_op, get_op

    call = Call({"function": "$net.BPTT"}, "hidden")
    ops = [call_op("RNN", [3, 2, 3], store="nng_net_hidden"),
           call_op("$nng_net_hidden.ForwardTT", [1]), get_op("$nng_net_hidden.dEdU")]
    assert [call.describe_op(ops, i) for i in (0, 1, 2, -1)] == [
        "call RNN", "call net.ForwardTT", "read net.dEdU", "call net.BPTT"]
