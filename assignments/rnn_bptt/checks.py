"""Checks for rnn_bptt (the character RNN): BPTT gradients, the net's sizes, training, and the
accuracy the student reports. Interface kept from the original handout: class RNN with U, W, V,
b, c; ForwardTT(seq_in) fills xs, hs, ys; BPTT(seq_in, seq_out) sets dEdU, dEdW, dEdV, dEdb, dEdc.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from graders.checks.base import CheckContext, Outcome
from graders.checks.compare import Comparison, as_float_array, compare_arrays
from graders.checks.gradient import GradientCheck, check_gradient
from graders.checks.registry import register
from graders.checks.schema import Choice, Integer, ListOf
from graders.kernel import call_op, get_op, set_op, sweep_op

GRADIENT_MISTAKES = (
    "not_set", "wrong_shape", "transposed", "nonfinite", "left_at_zero", "inner_product",
    "divided_by_length", "no_recurrence", "counted_twice", "sign_flipped", "recurrence",
    "forward_not_model", "not_gradient_of_forward", "crashed", "finite_differences",
    "timeout", "out_of_budget",
)
KINK_MARGIN = 1e-3  # |s| of every hidden unit at least this far from the ReLU kink


# ----------------------------------------------------------------------------- 3a: BPTT


@dataclass
class Trial:
    """One sequence length: the inputs, the grader's answers and what the student's code did."""

    length: int
    params: dict[str, np.ndarray]
    seq_in: np.ndarray
    seq_out: np.ndarray
    expected: dict[str, np.ndarray]
    problem: str = ""  # why the student's code could not be run at all
    mistake: str = ""
    forward: Comparison | None = None
    gradients: dict[str, Any] = field(default_factory=dict)  # name -> value, or None when unset


def _choose_inputs(reference: Any, rng: np.random.Generator, *, vocab: int, hidden: int,
                   length: int) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """Random weights and sequences whose hidden pre-activations all keep clear of 0, where
    ReLU has its kink and finite differences would be wrong."""
    for _ in range(200):
        params = {
            "U": rng.normal(size=(hidden, vocab)),
            "W": rng.normal(size=(hidden, hidden)) * 0.6 / np.sqrt(hidden),
            "V": rng.normal(size=(vocab, hidden)) / np.sqrt(hidden),
            "b": rng.normal(size=hidden) * 0.5,
            "c": rng.normal(size=vocab) * 0.1,
        }
        seq_in = rng.integers(0, vocab, size=length)
        seq_out = rng.integers(0, vocab, size=length)
        ss = reference.forward(params, seq_in).ss
        if np.min(np.abs(ss)) > KINK_MARGIN and (ss > 0).mean() > 0.3:
            return params, seq_in, seq_out
    raise RuntimeError("could not find inputs away from the ReLU kink")


def _vocab_size(ctx: CheckContext) -> int:
    reply = ctx.kernel.call("index2vec", 0)
    if reply.ok:
        array = as_float_array(reply.results[0])
        if array is not None and array.ndim == 1 and array.size > 1:
            return int(array.size)
    return int(ctx.params.get("vocab", 27))


def _run_trials(ctx: CheckContext) -> list[Trial]:
    """Run the student's ForwardTT and BPTT once per sequence length; shared by the part."""
    key = ("bptt_trials", tuple(ctx.params["seq_lengths"]), ctx.params["hidden"])
    if key in ctx.shared:
        return ctx.shared[key]
    reference = ctx.reference
    vocab = _vocab_size(ctx)
    hidden = int(ctx.params["hidden"])
    trials = []
    for length in ctx.params["seq_lengths"]:
        rng = np.random.default_rng([ctx.seed, 3, length])  # the same for every check of 3a
        params, seq_in, seq_out = _choose_inputs(reference, rng, vocab=vocab, hidden=hidden,
                                                 length=length)
        trial = Trial(length, params, seq_in, seq_out,
                      expected=reference.bptt(params, seq_in, seq_out))
        handle = "$" + ctx.kernel_name(f"net{length}")
        ops = [call_op("RNN", [vocab, hidden, vocab], store=handle[1:], want=False,
                       seq_length=length)]
        ops += [set_op(f"{handle}.{name}", value.copy()) for name, value in params.items()]
        ops += [call_op(f"{handle}.ForwardTT", seq_in.copy(), want=False),
                get_op(f"{handle}.ys"),
                call_op(f"{handle}.BPTT", seq_in.copy(), seq_out.copy(), want=False)]
        reply = ctx.kernel.request(ops)
        if not reply.ok:
            step = _describe_step(reply.failed_op, len(ops))
            trial.problem = ctx.explain(reply, step)
            trial.mistake = {"timeout": "timeout", "not_called": "timeout",
                             "out_of_budget": "out_of_budget"}.get(reply.problem, "crashed")
            trials.append(trial)
            continue
        ys = as_float_array(reply.results[-2])
        want = reference.forward(params, seq_in).ys
        trial.forward = compare_arrays(actual=ys, expected=want, name="ys", rtol=1e-7,
                                       atol=1e-10)
        for name in reference.GRADIENTS.values():
            got = ctx.kernel.get(f"{handle}.{name}")
            trial.gradients[name] = got.results[0] if got.ok else None
        trials.append(trial)
    ctx.shared[key] = trials
    return trials


def _describe_step(failed_op: int, count: int) -> str:
    if failed_op == 0:
        return "create RNN([X, H, Y], seq_length=...)"
    if failed_op == count - 1:
        return "run BPTT"
    if failed_op >= count - 3:
        return "run ForwardTT"
    return "set the weights U, W, V, b, c"


def _fd_through_forward(ctx: CheckContext, trial: Trial, param: str,
                        analytic: np.ndarray) -> GradientCheck | None:
    """Finite differences of E computed from the student's own ForwardTT outputs."""
    reference = ctx.reference
    handle = "$" + ctx.kernel_name(f"net{trial.length}")
    problems: list[str] = []

    def loss_at(deltas: list[np.ndarray]) -> list[float]:
        reply = ctx.kernel.request([sweep_op(handle, param=param, deltas=list(deltas),
                                             call="ForwardTT", args=[trial.seq_in.copy()],
                                             collect="ys")])
        if not reply.ok:
            problems.append(ctx.explain(reply, "run ForwardTT for the finite differences"))
            return [np.nan] * len(deltas)
        return [reference.sequence_loss(np.asarray(ys, dtype=np.float64), trial.seq_out)
                for ys in reply.results[0]]

    result = check_gradient(analytic=analytic, loss_at=loss_at,
                            rng=ctx.rng("fd", trial.length), step=float(ctx.params["step"]),
                            rtol=float(ctx.params["fd_rtol"]),
                            entries=int(ctx.params["entries"]),
                            directions=int(ctx.params["directions"]),
                            prefer=trial.expected[ctx.params["gradient"]])
    return None if problems else result


def _recognise(reference: Any, trial: Trial, name: str, value: Any) -> str:
    """The known mistake the student's gradient looks like, or ''."""
    expected = trial.expected[name]
    if value is None:
        return "not_set"
    array = as_float_array(value)
    if array is None:
        return "wrong_shape"
    if array.shape != expected.shape:
        return "transposed" if array.shape == expected.shape[::-1] else "wrong_shape"
    if not np.all(np.isfinite(array)):
        return "nonfinite"
    scale = max(float(np.max(np.abs(expected))), 1e-12)

    def near(other: np.ndarray) -> bool:
        return bool(np.max(np.abs(array - other)) <= 1e-6 * scale)

    if not np.any(array) and np.any(expected):
        return "left_at_zero"
    if array.size > 1 and np.ptp(array) == 0 and np.ptp(expected) > 0:
        return "inner_product"
    if array.ndim == 2 and array.shape[0] == array.shape[1] and near(expected.T):
        return "transposed"
    for mistake, label in (("divided_by_length", "divided_by_length"),
                           ("no_recurrence", "no_recurrence"),
                           ("carry_accumulated", "counted_twice")):
        variant = reference.bptt_variant(trial.params, trial.seq_in, trial.seq_out,
                                         mistake=mistake)[name]
        if trial.length > 1 and near(variant) and not near(expected):
            return label
    if near(2 * expected):
        return "counted_twice"
    if near(-expected):
        return "sign_flipped"
    return ""


@register("rnn_bptt.gradient", required=("gradient", "param"),
          types={"gradient": Choice("dEdU", "dEdW", "dEdV", "dEdb", "dEdc"),
                 "param": Choice("U", "W", "V", "b", "c"),
                 "seq_lengths": ListOf(Integer(minimum=1), min_items=1)},
          optional={"seq_lengths": [1, 2, 6], "hidden": 11, "step": 1e-5, "fd_rtol": 1e-5,
                    "rtol": 1e-6, "atol": 1e-9, "entries": 6, "directions": 3,
                    "method_rtol": 1e-12},
          mistakes=GRADIENT_MISTAKES)
def check_bptt_gradient(ctx: CheckContext) -> Outcome:
    """One of dEdU, dEdW, dEdV, dEdb, dEdc: right for every sequence length, against the model's
    gradient and against finite differences of the student's own ForwardTT."""
    name, param = ctx.params["gradient"], ctx.params["param"]
    trials = _run_trials(ctx)
    lines: list[str] = []
    credits: list[float] = []
    mistake = ""
    evaluations = 0
    for trial in trials:
        credit, trial_lines, trial_mistake, spent = _judge_trial(ctx, trial, name, param)
        evaluations += spent
        credits.append(credit)
        if trial.problem and any(trial.problem in line for line in lines):
            continue  # the same failure at every length is said once
        lines += trial_lines
        if (credit < 1 or trial_mistake == "finite_differences") and not mistake:
            mistake = trial_mistake
    lengths = [t.length for t in trials]
    right = [t.length for t, c in zip(trials, credits, strict=True) if c >= 1]
    fraction = min(credits) if credits else 0.0
    if fraction >= 1:
        head = f"{name} is right for seq_length {_join(lengths)}."
    else:
        wrong = [n for n in lengths if n not in right]
        head = f"{name} is wrong for seq_length {_join(wrong)}"
        head += f" (right for {_join(right)})." if right else "."
        if mistake in ("", "not_gradient_of_forward") and right and min(right) == 1:
            mistake = mistake or "recurrence"
    return Outcome(fraction, "\n".join([head] + lines), mistake=mistake,
                   details={"fd_evaluations": evaluations, "seq_lengths": lengths})


def _judge_trial(ctx: CheckContext, trial: Trial, name: str,
                 param: str) -> tuple[float, list[str], str, int]:
    """(credit, message lines, mistake, finite-difference evaluations) for one length."""
    tag = f"  seq_length {trial.length}:"
    if trial.problem:
        return 0.0, [f"{tag} {trial.problem}"], trial.mistake, 0
    value = trial.gradients.get(name)
    expected = trial.expected[name]
    if value is None:
        return 0.0, [f"{tag} BPTT did not set self.{name}."], "not_set", 0
    match = compare_arrays(actual=value, expected=expected, name=name,
                           rtol=float(ctx.params["rtol"]), atol=float(ctx.params["atol"]))
    mistake = "" if match.ok else _recognise(ctx.reference, trial, name, value)
    array = as_float_array(value)
    fd = None
    if array is not None and array.shape == expected.shape and np.all(np.isfinite(array)):
        fd = _fd_through_forward(ctx, trial, param, array)
    spent = fd.evaluations if fd else 0
    forward_ok = trial.forward is not None and trial.forward.ok
    if match.ok:
        note = f"{tag} matches the model's gradient ({match.details['max_rel_error']:.1e} " \
               "largest relative difference)"
        if fd is not None:
            verdict = "agree" if fd.ok else "of your own ForwardTT disagree"
            note += f"; finite differences {verdict} ({fd.max_rel_error:.1e}, " \
                    f"{fd.evaluations} evaluations)"
        lines, flag = [note], _finite_difference_signature(ctx, array, expected)
        if flag:
            lines.append(flag)
        return 1.0, lines, "finite_differences" if flag else "", spent
    lines = [f"{tag} {match.summary}"]
    if match.table:
        lines.append(match.table)
    if not forward_ok and trial.forward is not None:
        lines.append(f"    your ForwardTT is not the model: {trial.forward.summary}")
        mistake = mistake or "forward_not_model"
    if fd is not None and fd.ok and not forward_ok:
        lines.append("    but it IS the gradient of your own ForwardTT (finite differences agree): "
                     "fix the forward pass or the helpers it calls (sigma, softmax), not BPTT.")
        return 0.5, lines, "forward_not_model", spent
    if fd is not None and not fd.ok:
        lines.append(f"    finite differences of your own ForwardTT disagree too (largest relative "
                     f"error {fd.max_rel_error:.2g}, tolerance {fd.rtol:g}):")
        lines.append(fd.table(4))
        mistake = mistake or "not_gradient_of_forward"
    return 0.0, lines, mistake, spent


def _finite_difference_signature(ctx: CheckContext, array: np.ndarray | None,
                                 expected: np.ndarray) -> str:
    """A note for the marker when a right gradient is only as exact as a finite-difference
    estimate. Back-propagation in float64 agrees with the model to about 1e-13 of the
    gradient's size; central differences cannot beat the rounding of the loss divided by the
    step (about 1e-11 here, and usually far more), so agreement worse than `method_rtol`
    suggests the gradient was estimated from the forward pass, not back-propagated. No marks
    depend on it: right numbers, perhaps the wrong method, for a person to look at."""
    if array is None or array.shape != expected.shape:
        return ""
    scale = float(np.max(np.abs(expected))) or 1.0
    error = float(np.max(np.abs(array - expected))) / scale
    if error <= float(ctx.params["method_rtol"]):
        return ""
    return (f"    for the marker: right to {error:.1e} of the gradient's size, where "
            "back-propagation in float64 gets about 1e-13; finite differences of the loss give "
            "this. Right numbers, perhaps not by back-propagation: please look at the method.")


def _join(values: list[int]) -> str:
    return ", ".join(str(v) for v in values) or "none"


# ----------------------------------------------------------------------------- 3b: the net


def _fetch_weights(ctx: CheckContext, name: str) -> tuple[dict[str, np.ndarray] | None, str]:
    reply = ctx.kernel.get(*(f"{name}.{p}" for p in ("U", "W", "V", "b", "c")))
    if not reply.ok:
        return None, ctx.explain(reply, f"read the weights of `{name}`")
    weights = {}
    for p, value in zip(("U", "W", "V", "b", "c"), reply.results, strict=True):
        array = as_float_array(value)
        if array is None:
            return None, f"`{name}.{p}` is not an array of numbers."
        weights[p] = array
    return weights, ""


def _expected_shapes(dims: list[int]) -> dict[str, tuple[int, ...]]:
    x, h, y = dims
    return {"U": (h, x), "W": (h, h), "V": (y, h), "b": (h,), "c": (y,)}


@register("rnn_bptt.net_sizes", optional={"name": "net", "dims": [27, 400, 27]},
          mistakes=("not_defined", "wrong_sizes"))
def check_net_sizes(ctx: CheckContext) -> Outcome:
    """The student's `net` has the asked-for input, hidden and output sizes."""
    name, dims = ctx.params["name"], ctx.params["dims"]
    weights, problem = _fetch_weights(ctx, name)
    if weights is None:
        return Outcome.failed(problem, mistake="not_defined")
    want = _expected_shapes(dims)
    wrong = [f"{p} is {weights[p].shape}, expected {want[p]}" for p in want
             if weights[p].shape != want[p]]
    if wrong:
        return Outcome.failed(f"`{name}` does not have sizes {dims}: " + "; ".join(wrong) + ".",
                              mistake="wrong_sizes")
    return Outcome.passed(f"`{name}` is an RNN with {dims[0]} inputs, {dims[1]} hidden units "
                          f"and {dims[2]} outputs.")


# ----------------------------------------------------------------------------- 3c: training


def _held_out(ctx: CheckContext, count: int) -> tuple[np.ndarray, np.ndarray] | None:
    path = ctx.data_files.get(ctx.params["data"])
    if path is None or not path.is_file():
        return None
    text, chars = ctx.reference.prepare_text(path.read_text(encoding="utf-8", errors="replace"))
    reply = ctx.kernel.get("chars")
    if reply.ok and isinstance(reply.results[0], list) and set(reply.results[0]) >= set(chars):
        chars = reply.results[0]
    indices = ctx.reference.encode(text, chars)
    first = min(20_000, len(indices) // 2)
    rng = ctx.rng("held-out")
    starts = rng.integers(first, len(indices) - 12, size=count)
    ins = np.stack([indices[s:s + 10] for s in starts])
    outs = np.stack([indices[s + 1:s + 11] for s in starts])
    return ins, outs


@register("rnn_bptt.trained", optional={"name": "net", "data": "origin_of_species.txt",
                                        "sequences": 400, "margin": 0.3},
          mistakes=("not_defined", "not_trained", "diverged"))
def check_trained(ctx: CheckContext) -> Outcome:
    """The trained net's cross-entropy on held-out text is clearly below an untrained net's."""
    name = ctx.params["name"]
    weights, problem = _fetch_weights(ctx, name)
    if weights is None:
        return Outcome.failed(problem, mistake="not_defined")
    held = _held_out(ctx, int(ctx.params["sequences"]))
    if held is None:
        return Outcome.failed(f"the data file {ctx.params['data']} was not available to the "
                              "grader", mistake="not_defined")
    ins, outs = held
    if not all(np.all(np.isfinite(w)) for w in weights.values()):
        return Outcome.failed(f"`{name}` has NaN or infinite weights: training diverged. Try a "
                              "smaller learning rate (kappa).", mistake="diverged")
    try:
        trained = ctx.reference.mean_loss_per_char(weights, ins, outs)
    except (ValueError, IndexError) as exc:
        return Outcome.failed(f"`{name}`'s weights do not fit together ({exc}).",
                              mistake="not_defined")
    dims = (weights["U"].shape[1], weights["U"].shape[0], weights["V"].shape[0])
    rng = ctx.rng("untrained")
    untrained = float(np.mean([
        ctx.reference.mean_loss_per_char(ctx.reference.initial_params(dims, rng), ins, outs)
        for _ in range(3)]))
    margin = float(ctx.params["margin"])
    facts = (f"cross-entropy per character on {len(ins)} held-out sequences: yours "
             f"{trained:.3f}, an untrained net's {untrained:.3f}")
    if not np.isfinite(trained) or trained > untrained - margin:
        return Outcome.failed(f"`{name}` does not beat an untrained net by {margin} nats: "
                              f"{facts}. Train longer, or check that Train runs without "
                              "errors.", mistake="not_trained",
                              trained_loss=trained, untrained_loss=untrained)
    return Outcome.passed(f"`{name}` has learned: {facts}.", trained_loss=trained,
                          untrained_loss=untrained)


# ----------------------------------------------------------------------------- 3d: accuracy

_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*(?:%|percent)", re.IGNORECASE)
_FRACTION_LINE = re.compile(r"(accura|correct|fraction)", re.IGNORECASE)
_NUMBER = re.compile(r"(?<![\w.])(\d*\.\d+|\d+)(?![\w.])")


def reported_percentage(texts: list[str]) -> float | None:
    """The last percentage printed: '42.1%', '42.1 percent', or an accuracy line with a
    fraction such as 'accuracy: 0.421'."""
    found: float | None = None
    for text in texts:
        for line in text.splitlines():
            percents = _PERCENT.findall(line)
            if percents:
                found = float(percents[-1])
            elif _FRACTION_LINE.search(line):
                numbers = [float(n) for n in _NUMBER.findall(line)]
                numbers = [n for n in numbers if 0 <= n <= 100]
                if numbers:
                    value = numbers[-1]
                    found = value * 100 if value <= 1 else value
    return found


@register("rnn_bptt.reported_accuracy",
          optional={"name": "net", "tolerance": 2.0, "data": "origin_of_species.txt"},
          mistakes=("not_reported", "not_defined", "disagrees"))
def check_reported_accuracy(ctx: CheckContext) -> Outcome:
    """The percentage the notebook prints agrees with the accuracy the grader measures."""
    name = ctx.params["name"]
    reported = reported_percentage([c.stdout for c in ctx.record.cells])
    if reported is None:
        return Outcome.failed("No percentage was printed. Print the share of next characters "
                              "your net predicts right, e.g. print(f'{100 * right / total:.1f}%').",
                              mistake="not_reported")
    weights, problem = _fetch_weights(ctx, name)
    if weights is None:
        return Outcome.failed(problem, mistake="not_defined")
    data = ctx.kernel.get("sentences", "next_chars")
    ins = outs = None
    if data.ok:
        ins, outs = as_float_array(data.results[0]), as_float_array(data.results[1])
    if ins is None or outs is None or ins.shape != outs.shape or ins.ndim != 2:
        return Outcome.failed("`sentences` and `next_chars` are needed to measure the accuracy, "
                              "and they are missing or not (n, 10) arrays.", mistake="not_defined")
    try:
        measured = ctx.reference.accuracies(weights, ins.astype(int), outs.astype(int))
    except (ValueError, IndexError) as exc:
        return Outcome.failed(f"could not run `{name}` on `sentences` ({exc}).",
                              mistake="not_defined")
    tolerance = float(ctx.params["tolerance"])
    facts = ", ".join(f"{v:.1f}% ({k})" for k, v in measured.items())
    if any(abs(reported - v) <= tolerance for v in measured.values()):
        return Outcome.passed(f"You report {reported:.1f}%; the grader measures {facts}.",
                              reported=reported, measured=measured)
    return Outcome.failed(f"You report {reported:.1f}%, but the grader measures {facts} for "
                          f"`{name}` on `sentences` (tolerance {tolerance:g} points). Count a "
                          "prediction as right when ForwardTT's output index equals the next "
                          "character's index.", mistake="disagrees",
                          reported=reported, measured=measured)
