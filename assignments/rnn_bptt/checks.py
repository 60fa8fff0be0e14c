"""Checks for rnn_bptt (the character RNN) that no generic kind covers: the net's sizes, its
training on the course's text, and the accuracy the student prints. (BPTT's gradients, 3a, are
the generic `gradient` kind, in the spec.) Interface kept from the original handout: class RNN
with U, W, V, b, c; ForwardTT(seq_in) fills xs, hs, ys; BPTT(seq_in, seq_out) sets dEdU, ...
"""

from __future__ import annotations

import re

import numpy as np

from graders.checks.base import CheckContext, Outcome
from graders.checks.compare import as_float_array
from graders.checks.registry import register

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
