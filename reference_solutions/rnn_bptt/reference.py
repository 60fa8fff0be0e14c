"""Grader-side reference for rnn_bptt: the character RNN's forward pass, loss and BPTT in float64.

Runs only in the grader's process, never in a student's kernel. The model (handout notation):
    s_t = U x_t + W h_{t-1} + b,  h_t = relu(s_t),  z_t = V h_t + c,  y_t = softmax(z_t),  h_{-1} = 0
    E = sum_t -log y_t[target_t]
`bptt_variant` reproduces known student mistakes, so a report can name the one it sees.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

PARAMS = ("U", "W", "V", "b", "c")
GRADIENTS = {"U": "dEdU", "W": "dEdW", "V": "dEdV", "b": "dEdb", "c": "dEdc"}


@dataclass(frozen=True)
class Forward:
    xs: np.ndarray  # (T, X) one-hot inputs
    ss: np.ndarray  # (T, H) hidden pre-activations
    hs: np.ndarray  # (T, H) hidden activities
    ys: np.ndarray  # (T, Y) softmax outputs


def one_hot(indices: np.ndarray, size: int) -> np.ndarray:
    out = np.zeros((len(indices), size))
    out[np.arange(len(indices)), np.asarray(indices, dtype=int)] = 1.0
    return out


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def forward(params: dict[str, np.ndarray], seq_in: np.ndarray) -> Forward:
    U, W, V, b, c = (np.asarray(params[k], dtype=np.float64) for k in PARAMS)
    xs = one_hot(seq_in, U.shape[1])
    T, H = len(seq_in), W.shape[0]
    ss, hs = np.zeros((T, H)), np.zeros((T, H))
    h_prev = np.zeros(H)
    for t in range(T):
        ss[t] = U @ xs[t] + W @ h_prev + b
        hs[t] = np.maximum(ss[t], 0.0)
        h_prev = hs[t]
    ys = softmax(hs @ V.T + c)
    return Forward(xs=xs, ss=ss, hs=hs, ys=ys)


def sequence_loss(ys: np.ndarray, seq_out: np.ndarray) -> float:
    """E = sum over t of the cross-entropy of y_t against the one-hot target."""
    ys = np.asarray(ys, dtype=np.float64)
    picked = ys[np.arange(len(seq_out)), np.asarray(seq_out, dtype=int)]
    with np.errstate(divide="ignore"):
        return float(-np.sum(np.log(picked)))


def bptt(params: dict[str, np.ndarray], seq_in: np.ndarray, seq_out: np.ndarray) -> dict[str, np.ndarray]:
    """Gradients of E with respect to U, W, V, b, c, keyed by the handout's names (dEdU, ...)."""
    return bptt_variant(params, seq_in, seq_out, mistake="")


def bptt_variant(params: dict[str, np.ndarray], seq_in: np.ndarray, seq_out: np.ndarray,
                 *, mistake: str) -> dict[str, np.ndarray]:
    """BPTT, or BPTT with one known mistake ('' for none; see MISTAKES)."""
    if mistake and mistake not in MISTAKES:
        raise ValueError(f"unknown mistake {mistake!r}")
    U, W, V = (np.asarray(params[k], dtype=np.float64) for k in ("U", "W", "V"))
    fwd = forward(params, seq_in)
    T, H = len(seq_in), W.shape[0]
    dz = fwd.ys - one_hot(seq_out, V.shape[0])
    grads = {name: np.zeros_like(np.asarray(params[p], dtype=np.float64))
             for p, name in GRADIENTS.items()}
    carry = np.zeros(H)
    for t in reversed(range(T)):
        dh = V.T @ dz[t] + (0.0 if mistake == "no_recurrence" else carry)
        ds = dh * (fwd.ss[t] > 0)
        if mistake == "carry_accumulated":
            carry = carry + W.T @ ds
        else:
            carry = W.T @ ds
        grads["dEdV"] += np.outer(dz[t], fwd.hs[t])
        grads["dEdc"] += dz[t]
        grads["dEdU"] += np.outer(ds, fwd.xs[t])
        grads["dEdb"] += ds
        if t > 0:
            grads["dEdW"] += np.outer(ds, fwd.hs[t - 1])
    if mistake == "divided_by_length":
        grads = {k: v / T for k, v in grads.items()}
    return grads


# Mistakes that change the numbers but keep the shapes; the rest are recognised by their form.
MISTAKES = ("no_recurrence", "carry_accumulated", "divided_by_length")


def initial_params(dims: tuple[int, int, int], rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Weights drawn the way the handout's RNN.__init__ draws them (an untrained net)."""
    X, H, Y = dims
    return {
        "U": rng.normal(size=(H, X)) / np.sqrt(X),
        "W": rng.normal(size=(H, H)) / np.sqrt(H),
        "V": rng.normal(size=(Y, H)) / np.sqrt(H),
        "b": np.zeros(H),
        "c": np.zeros(Y),
    }


# ------------------------------------------------------------------------------------ the data


def prepare_text(raw: str) -> tuple[str, list[str]]:
    """The handout's data cell: lower-case; insert '\\0' before the sorted character set; every
    character at position 24 or lower becomes the one at position 2 (a space, for English text);
    runs of spaces collapse. Returns the filtered text and its sorted characters."""
    text = raw.lower()
    chars = ["\0"] + sorted(set(text))
    kept = set(chars[25:])
    filler = chars[2] if len(chars) > 2 else " "
    filtered = re.sub(" +", " ", "".join(ch if ch in kept else filler for ch in text))
    return filtered, sorted(set(filtered))


def encode(text: str, chars: list[str]) -> np.ndarray:
    index = {ch: i for i, ch in enumerate(chars)}
    return np.array([index[ch] for ch in text], dtype=np.int64)


def sequences(indices: np.ndarray, *, start: int, count: int, length: int) -> tuple[np.ndarray, np.ndarray]:
    """`count` consecutive windows from `start`: inputs and the targets shifted by one."""
    starts = np.arange(start, start + count)
    ins = np.stack([indices[s:s + length] for s in starts])
    outs = np.stack([indices[s + 1:s + length + 1] for s in starts])
    return ins, outs


def forward_batch(params: dict[str, np.ndarray], ins: np.ndarray) -> np.ndarray:
    """Softmax outputs for many sequences at once: shape (N, T, Y)."""
    U, W, V, b, c = (np.asarray(params[k], dtype=np.float64) for k in PARAMS)
    ins = np.asarray(ins, dtype=int)
    h = np.zeros((ins.shape[0], W.shape[0]))
    ys = np.zeros((ins.shape[0], ins.shape[1], V.shape[0]))
    for t in range(ins.shape[1]):
        h = np.maximum(U[:, ins[:, t]].T + h @ W.T + b, 0.0)
        ys[:, t] = softmax(h @ V.T + c)
    return ys


def mean_loss_per_char(params: dict[str, np.ndarray], ins: np.ndarray, outs: np.ndarray) -> float:
    ys = forward_batch(params, ins)
    n, t = np.indices(np.asarray(outs).shape)
    with np.errstate(divide="ignore"):
        return float(-np.mean(np.log(ys[n, t, np.asarray(outs, dtype=int)])))


def accuracies(params: dict[str, np.ndarray], ins: np.ndarray, outs: np.ndarray) -> dict[str, float]:
    """Next-character accuracy in percent: at the last step only, and over every step."""
    predicted = forward_batch(params, ins).argmax(axis=2)
    outs = np.asarray(outs, dtype=int)
    return {"last step": 100.0 * float(np.mean(predicted[:, -1] == outs[:, -1])),
            "every step": 100.0 * float(np.mean(predicted == outs))}


# ------------------------------------------------------------------------ the BPTT checks (3a)
# The generic `gradient` kind builds the student's net as `RNN(dims, seq_length)`, sets its
# weights, runs `ForwardTT(seq_in)` then `BPTT(seq_in, seq_out)` and reads `dEdU`, ...; the same
# calls are made here on a Net, and every gradient function returns the gradients by name with
# the outputs `ys` (the loss is sequence_loss of them).


@dataclass
class Net:
    """The reference's stand-in for the student's RNN: its sizes and the weights set on it."""

    dims: list[int]
    seq_length: int
    U: np.ndarray | None = None
    W: np.ndarray | None = None
    V: np.ndarray | None = None
    b: np.ndarray | None = None
    c: np.ndarray | None = None


def new_net(dims: list[int], seq_length: int) -> Net:
    return Net(list(dims), int(seq_length))


def forward_tt(net: Net, seq_in: np.ndarray) -> None:
    """ForwardTT's place in the calls; the gradient functions run the forward pass themselves."""


def _weights(net: Net) -> dict[str, np.ndarray]:
    return {k: np.asarray(getattr(net, k), dtype=np.float64) for k in PARAMS}


def _answer(net: Net, seq_in: np.ndarray, seq_out: np.ndarray, mistake: str = ""
            ) -> dict[str, np.ndarray]:
    params = _weights(net)
    return {**bptt_variant(params, seq_in, seq_out, mistake=mistake),
            "ys": forward(params, seq_in).ys}


def net_gradients(net: Net, seq_in: np.ndarray, seq_out: np.ndarray) -> dict[str, np.ndarray]:
    """dEdU, dEdW, dEdV, dEdb, dEdc of E = sequence_loss(ys, seq_out), and the outputs ys."""
    return _answer(net, seq_in, seq_out)


def divided_by_length(net: Net, seq_in: np.ndarray, seq_out: np.ndarray) -> dict[str, np.ndarray]:
    """Known mistake: every gradient divided by the sequence length (E taken as a mean)."""
    return _answer(net, seq_in, seq_out, "divided_by_length")


def no_recurrence(net: Net, seq_in: np.ndarray, seq_out: np.ndarray) -> dict[str, np.ndarray]:
    """Known mistake: no W^T carry from step t+1 back to step t."""
    return _answer(net, seq_in, seq_out, "no_recurrence")


def counted_twice(net: Net, seq_in: np.ndarray, seq_out: np.ndarray) -> dict[str, np.ndarray]:
    """Known mistake: the carry from later steps accumulates instead of being replaced."""
    return _answer(net, seq_in, seq_out, "carry_accumulated")


def left_at_zero(net: Net, seq_in: np.ndarray, seq_out: np.ndarray) -> dict[str, np.ndarray]:
    """Known mistake: the gradients reset to zero and never added to."""
    return {k: np.zeros_like(v) for k, v in net_gradients(net, seq_in, seq_out).items()}


def doubled(net: Net, seq_in: np.ndarray, seq_out: np.ndarray) -> dict[str, np.ndarray]:
    """Known mistake: every term counted twice."""
    return {k: 2 * v for k, v in net_gradients(net, seq_in, seq_out).items()}


def sign_flipped(net: Net, seq_in: np.ndarray, seq_out: np.ndarray) -> dict[str, np.ndarray]:
    """Known mistake: dE/dz = t - y instead of y - t."""
    return {k: -v for k, v in net_gradients(net, seq_in, seq_out).items()}


def transposed(net: Net, seq_in: np.ndarray, seq_out: np.ndarray) -> dict[str, np.ndarray]:
    """Known mistake: the outer products the wrong way round (shows for the square W)."""
    return {k: v.T for k, v in net_gradients(net, seq_in, seq_out).items()}


def hidden_kinks(values: dict[str, np.ndarray]) -> list[np.ndarray | float]:
    """For away_from_kinks: every hidden pre-activation, and 0 (so the inputs are drawn again)
    unless at least 30% of the hidden units are on."""
    ss = forward({k: values[k] for k in PARAMS}, values["seq_in"]).ss
    return [ss, 1.0 if (ss > 0).mean() > 0.3 else 0.0]
