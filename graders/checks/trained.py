"""Kind `trained`: an outcome of training, against a threshold or the untrained baseline.

Either the student's own trained object is measured (e.g. `net.predict` on the grader's data),
or the grader runs its own short loop driven by the student's functions (`train`: one call
repeated, e.g. a step that updates the parameters) and measures before and after. The grader's
data come from a reference function given a seed drawn from the run's; the kernel's generators are
seeded too, so a report's seed repeats it. The score is computed here, from what came back.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from graders.checks.base import TORCH_HELPERS, CheckContext, KernelHelpers, Outcome
from graders.checks.calls import (
    CALL,
    CALLS,
    TIMES,
    call_arguments,
    call_ops,
    call_text,
    data_ops,
    stored,
    target_path,
)
from graders.checks.compare import as_float_array, describe_value
from graders.checks.registry import register
from graders.checks.schema import (
    Choice,
    Integer,
    Number,
    Param,
    Record,
    ReferenceFunction,
    Schema,
    Text,
)
from graders.kernel import Ref, call_op

HELPERS = KernelHelpers.from_files(Path(__file__).with_name("kinds_kernel.py"), TORCH_HELPERS)
SCORES = ("value", "mean", "accuracy", "error_rate", "mse")

def _replaces_a_stored_argument(values: dict[str, Any]) -> tuple[str, str, str] | None:
    index = values["result_replaces"]
    if index < 0:
        return None
    args = values["args"]
    if index >= len(args) or not (isinstance(args[index], dict) and "stored" in args[index]):
        return ("result_replaces", f"argument {index} must be `{{stored: NAME}}` (what the "
                "step's result replaces)", "store the parameters in a setup call and pass "
                "them as {stored: NAME}")
    return None


TRAIN = Schema(
    *CALL.params,
    Param("times", TIMES, 1, "how many times the grader repeats the call (its training loop)"),
    Param("result_replaces", Integer(minimum=-1), -1,
          "the argument (0-based, a `{stored: NAME}`) that each call's result replaces when it "
          "has the same type and shape, so a step written `return w - lr * grad` and one "
          "updating `w` in place both train; -1: results are ignored"),
    rules=(_replaces_a_stored_argument,),
)


def _rules(values: dict[str, Any]) -> tuple[str, str, str] | None:
    if values["threshold"] is None and values["baseline_ratio"] is None:
        return ("threshold", "needs a `threshold`, a `baseline_ratio`, or both",
                "add threshold: NUMBER")
    if values["baseline_ratio"] is not None and values["train"] is None:
        return ("baseline_ratio", "compares with the score before training, so needs `train`",
                "add a `train` call, or use `threshold` only")
    if values["score"] in ("accuracy", "error_rate", "mse") and not values["labels"]:
        return ("labels", f"score {values['score']!r} needs the data name of the labels",
                "add labels: NAME (an array the data function returns)")
    return None


SCHEMA = Schema(
    Param("data", ReferenceFunction(), "", "a reference.py function given an integer seed "
          "(drawn from the run's) returning a mapping of name to array, used as `{data: NAME}`"),
    Param("setup", CALLS, [], "calls made first, e.g. building the model (`store: net`)"),
    Param("train", Record(TRAIN), None, "the grader's training loop: one call repeated "
          "`times` times (omit to measure the student's own trained object)"),
    Param("measure", Record(CALL), doc="the call whose result is scored (after training, and "
          "before it too when there is `train`)"),
    Param("score", Choice(*SCORES), "value",
          "`value`: the result is a number; `mean`: its mean; `accuracy` / `error_rate`: "
          "its rows' argmax (or its integers) against `labels`; `mse`: against `labels`"),
    Param("labels", Text(), "", "data name of the labels or targets"),
    Param("goal", Choice("lower", "higher"), "lower", "whether a lower or a higher score is "
          "better"),
    Param("threshold", Number(), None, "the score after training must be this good"),
    Param("baseline_ratio", Number(minimum=0), None,
          "the score after training must be better than this times the score before "
          "(goal lower: after <= ratio * before; higher: after >= ratio * before)"),
    Param("seconds", Number(minimum=1), 0, "time allowed for the whole request (0: the "
          "spec's call_seconds)"),
    Param("name", Text(), "the score", "what the report calls the score, e.g. `the loss`"),
    rules=(_rules,),
    doc="An outcome of training against a threshold or the untrained baseline.",
)

MISTAKES = ("not_defined", "crashed", "timeout", "wrong_type", "wrong_shape", "nonfinite",
            "not_learning", "below_threshold")


# ----------------------------------------------------------------------------- judge


def score_of(result: Any, *, score: str, labels: np.ndarray | None) -> tuple[float | None, str]:
    """The number a measured result stands for: (score, '') or (None, why it has none)."""
    array = as_float_array(result)
    if array is None:
        return None, f"it is {describe_value(result)}, not numbers"
    if not np.isfinite(array).all():
        return None, f"it holds {int((~np.isfinite(array)).sum())} NaN or infinite values"
    if score == "value":
        if array.size != 1:
            return None, f"it has shape {array.shape}, not a single number"
        return float(array.ravel()[0]), ""
    if score == "mean":
        return float(array.mean()), ""
    assert labels is not None
    if score == "mse":
        if array.shape != labels.shape:
            return None, f"it has shape {array.shape}, the targets {labels.shape}"
        return float(np.mean((array - labels) ** 2)), ""
    wanted = labels.argmax(axis=1) if labels.ndim == 2 else labels.astype(int)
    predicted = array.argmax(axis=1) if array.ndim == 2 else np.rint(array).astype(int)
    if predicted.shape != wanted.shape:
        return None, f"it gives {predicted.shape[0] if predicted.ndim else 1} predictions " \
                     f"for {wanted.shape[0]} examples"
    accuracy = float(np.mean(predicted == wanted))
    return (accuracy if score == "accuracy" else 1.0 - accuracy), ""


def judge_training(*, after: float, before: float | None, goal: str,
                   threshold: float | None, ratio: float | None, name: str) -> Outcome:
    """Pass when `after` meets the threshold and beats ratio x `before` (each when given)."""
    better = (lambda a, b: a <= b) if goal == "lower" else (lambda a, b: a >= b)
    word = "at most" if goal == "lower" else "at least"
    start = f" (before training: {before:.4g})" if before is not None else ""
    if ratio is not None and before is not None and not better(after, ratio * before):
        return Outcome.failed(f"After training, {name} is {after:.4g}{start}; it should be "
                              f"{word} {ratio:g} x {before:.4g} = {ratio * before:.4g}. "
                              "Training barely changed it: check the update's sign and size, "
                              "and that the parameters it changes are the ones the model uses.",
                              mistake="not_learning", after=after, before=before)
    if threshold is not None and not better(after, threshold):
        return Outcome.failed(f"After training, {name} is {after:.4g}{start}; it should be "
                              f"{word} {threshold:g}.", mistake="below_threshold", after=after,
                              before=before)
    wanted = [f"{word} {threshold:g}"] if threshold is not None else []
    if ratio is not None and before is not None:
        wanted.append(f"{word} {ratio:g} x the untrained {before:.4g}")
    return Outcome.passed(f"After training, {name} is {after:.4g}{start}: "
                          f"{' and '.join(wanted)}, as required.", after=after, before=before)


# ----------------------------------------------------------------------------- fetch


def loop_ops(train: dict[str, Any], prefix: str,
             handles: dict[str, str]) -> list[dict[str, Any]]:
    """The grader's loop: the step repeated in the kernel, its result (when it replaces an
    argument) kept under that argument's stored name for the calls after it."""
    ops, args, kwargs = call_arguments(train, prefix=prefix, data=handles)
    target = Ref(target_path(train["call"], prefix))
    index = train["result_replaces"]
    if index < 0:
        return [*ops, call_op("$nng_repeat", target, train["times"], *args, want=False,
                              **kwargs)]
    name = train["args"][index]["stored"]
    return [*ops, call_op("$nng_repeat_replacing", target, train["times"], index, args, kwargs,
                          store=stored(prefix, name)[1:], want=False)]


def training_ops(p: dict[str, Any], prefix: str, seed: int,
                 arrays: dict[str, Any]) -> tuple[list[dict[str, Any]], list[int]]:
    """The request's ops, and the indices of the measured results (before, after)."""
    ops, handles = data_ops(arrays, prefix)
    ops.append(call_op("$nng_seed", seed, want=False))
    for call in p["setup"]:
        ops += call_ops(call, prefix=prefix, data=handles)
    measured = []
    if p["train"] is not None:
        ops += call_ops(p["measure"], prefix=prefix, data=handles, want=True)
        measured.append(len(ops) - 1)
        ops += loop_ops(p["train"], prefix, handles)
    ops += call_ops(p["measure"], prefix=prefix, data=handles, want=True)
    measured.append(len(ops) - 1)
    return ops, measured


@register("trained", params=SCHEMA, mistakes=MISTAKES)
def check_trained(ctx: CheckContext) -> Outcome:
    """Measure an outcome of training (the student's trained object, or the grader's own loop
    of the student's calls) against a threshold and/or the score before training."""
    p = ctx.params
    p["setup"] = [CALL.validate(c) for c in p["setup"]]
    p["measure"] = CALL.validate(p["measure"])
    p["train"] = TRAIN.validate(p["train"]) if p["train"] is not None else None
    # An integer seed, not a Generator: the call is then data a handout's record can replay.
    seed = int(ctx.rng("data").integers(2**31))
    arrays = dict(getattr(ctx.reference, p["data"])(seed)) if p["data"] else {}
    ops, measured = training_ops(p, ctx.kernel_name("nng_trained"), ctx.seed, arrays)
    steps = [f"call {call_text(c)}" for c in p["setup"]]
    if p["train"]:
        steps.append(f"train with {call_text(p['train'])} x {p['train']['times']}")
    steps.append(f"measure {call_text(p['measure'])}")
    doing = ", then ".join(steps)
    results, failure = ctx.request(HELPERS, ops, doing, timeout=p["seconds"] or None)
    if failure:
        return failure
    labels = np.asarray(arrays[p["labels"]], dtype=np.float64) if p["labels"] else None
    scores = []
    for index in measured:
        value, problem = score_of(results[index], score=p["score"], labels=labels)
        if value is None:
            return Outcome.failed(f"The grader could not score {call_text(p['measure'])}: "
                                  f"{problem}.", mistake="wrong_type")
        scores.append(value)
    outcome = judge_training(after=scores[-1], before=scores[0] if len(scores) == 2 else None,
                             goal=p["goal"], threshold=p["threshold"],
                             ratio=p["baseline_ratio"], name=p["name"])
    outcome.message += f" (seed {ctx.seed})"
    return outcome
