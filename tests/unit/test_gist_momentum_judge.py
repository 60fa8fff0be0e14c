"""gist_ca2's momentum checks judge a script's training steps, whatever holds M: each kind of
update a student writes gets the verdict the handout's rule M = 0.9 M - lr g, W = W + M gives it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from graders.checks.registry import assignment_checks_module

CHECKS = assignment_checks_module(Path(__file__).resolve().parents[2] / "assignments/gist_ca2",
                                  "gist_ca2")
SHAPES = {"Wlayer1": (12, 4), "blayer1": (4,), "Woutput": (4, 12), "boutput": (12,)}
RATE = 3e-3


def _snapshots(update: Callable[[str, np.ndarray, np.ndarray, dict], np.ndarray],
               steps: int = 5, *, start: float = 0.0, dtype=np.float64) -> list[dict]:
    """What the kernel helper reports for a loop that applies `update(key, W, g, state)` to
    every parameter after a gradient drawn at random (a new batch every step)."""
    rng = np.random.default_rng(3)
    params = {k: rng.normal(size=s).astype(dtype) for k, s in SHAPES.items()}
    state = {"M": {k: np.full(s, start, dtype=dtype) for k, s in SHAPES.items()}}
    snapshots = []
    for _ in range(steps + 1):
        snapshots.append({k: v.copy() for k, v in params.items()})
        for k in SHAPES:
            params["grad_" + k] = rng.normal(size=SHAPES[k]).astype(dtype)
        for k in SHAPES:
            params[k] = update(k, params[k], params["grad_" + k], state).astype(dtype)
    return snapshots


def _momentum(beta: float = 0.9, only: str = "") -> Callable:
    def update(k, w, g, state):
        if only and not k.startswith(only):
            return w - RATE * g
        state["M"][k] = beta * state["M"][k] - RATE * g
        return w + state["M"][k]
    return update


def _other_sign(k, w, g, state):  # V = 0.9 V + lr g; W -= V: the same steps
    state["M"][k] = 0.9 * state["M"][k] + RATE * g
    return w - state["M"][k]


def _plain(k, w, g, state):
    return w - RATE * g


def _judge(snapshots: list[dict], prop: str):
    updates, problem = CHECKS.updates_from_snapshots(snapshots)
    assert updates is not None, problem
    judge = CHECKS.judge_momentum_carries if prop == "carries" else CHECKS.judge_momentum_starts
    return judge(updates, beta=0.9, rtol=1e-4)


@pytest.mark.parametrize(("update", "start", "carries", "starts"), [
    (_momentum(), 0.0, "", ""),
    (_other_sign, 0.0, "", ""),
    (_plain, 0.0, "momentum_off", "no_momentum"),
    (_momentum(beta=0.5), 0.0, "wrong_coefficient", ""),
    (_momentum(), 1.0, "", "nonzero_start"),
    (_momentum(only="W"), 0.0, "partial", ""),
], ids=["handout", "other_sign", "plain_sgd", "half_momentum", "starts_at_ones", "weights_only"])
def test_each_way_of_updating_gets_the_verdict_of_the_handouts_rule(update, start, carries,
                                                                       starts):
    snapshots = _snapshots(update, start=start)
    verdicts = {p: _judge(snapshots, p) for p in ("carries", "starts")}
    assert (verdicts["carries"].fraction, verdicts["carries"].mistake) == (float(not carries),
                                                                         carries)
    assert (verdicts["starts"].fraction, verdicts["starts"].mistake) == (float(not starts), starts)


def test_the_learning_rate_is_read_from_the_steps_and_reported():
    outcome = _judge(_snapshots(_momentum()), "carries")
    assert "lr = 0.003" in outcome.message


def test_float32_weights_pass_within_their_rounding():
    assert _judge(_snapshots(_momentum(), dtype=np.float32), "carries").fraction == 1.0
    assert _judge(_snapshots(_plain, dtype=np.float32), "carries").fraction == 0.0


def test_a_coefficient_off_by_one_percent_is_wrong():
    outcome = _judge(_snapshots(_momentum(beta=0.89)), "carries")
    assert outcome.mistake == "wrong_coefficient"
    assert "0.89" in outcome.message


def test_too_few_steps_are_reported_not_judged():
    updates, problem = CHECKS.updates_from_snapshots(_snapshots(_momentum(), steps=2))
    assert updates is None and "2 training step(s)" in problem


def test_a_bias_reshaped_by_a_2d_gradient_is_still_followed():
    snapshots = _snapshots(_momentum())
    for later in snapshots[1:]:
        later["blayer1"] = later["blayer1"].reshape(1, -1)
        later["grad_blayer1"] = later["grad_blayer1"].reshape(1, -1)
    assert _judge(snapshots, "carries").fraction == 1.0


def test_steps_that_change_nothing_are_named():
    outcome = _judge(_snapshots(lambda k, w, g, state: w), "carries")
    assert outcome.mistake == "not_updated"


def test_steps_whose_gradients_vanish_still_show_the_carried_momentum():
    # M started at one: the net saturates, backwards stores ~0 gradients, and lr can't be read;
    # the moves still carry 0.9 of the previous one, and the first step shows the wrong start.
    snapshots = _snapshots(lambda k, w, g, state: _momentum()(k, w, g * 1e-12, state), start=1.0)
    assert _judge(snapshots, "carries").fraction == 1.0
    assert "too small to read lr" in _judge(snapshots, "carries").message
    assert _judge(snapshots, "starts").mistake == "nonzero_start"
