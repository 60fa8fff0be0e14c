"""The LSTM cell of the course document with its given weights: what lstm_gates compares with.

v = [h_{t-1}; x_t] has four entries (one hidden unit, a three-element input). Each gate reads
exactly one entry of v: f the first input, i the second, o the third, and the candidate state
reads h_{t-1}. Never sent to a kernel.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

W_F, B_F = np.array([0.0, 8.0, 0.0, 0.0]), -4.0
W_I, B_I = np.array([0.0, 0.0, 9.0, 0.0]), -4.5
W_O, B_O = np.array([0.0, 0.0, 0.0, 10.0]), -5.0
W_C, B_C = np.array([1.0, 0.0, 0.0, 0.0]), 0.0
H0, C0 = 0.05, -0.02

# The three inputs of part (a), by their numbering in the document.
INPUTS = {"i": (1.0, 0.0, 0.0), "ii": (0.0, 1.0, 0.0), "iii": (1.0, 0.0, 1.0)}

# What parts (b) and (c) ask the new state to approximate.
TARGETS = {"sum": ("C", C0 + H0), "average": ("h", (C0 + H0) / 2.0)}


@dataclass(frozen=True)
class Step:
    f: float
    i: float
    o: float
    candidate: float
    C: float
    h: float

    def value(self, name: str) -> float:
        return float(getattr(self, name))


def sigmoid(z: float) -> float:
    return float(1.0 / (1.0 + np.exp(-z)))


def lstm_step(x: tuple[float, ...] | np.ndarray, h_prev: float = H0,
              C_prev: float = C0) -> Step:
    v = np.concatenate([[h_prev], np.asarray(x, dtype=np.float64).ravel()])
    f = sigmoid(W_F @ v + B_F)
    i = sigmoid(W_I @ v + B_I)
    o = sigmoid(W_O @ v + B_O)
    candidate = float(np.tanh(W_C @ v + B_C))
    C = f * C_prev + i * candidate
    return Step(f=f, i=i, o=o, candidate=candidate, C=C, h=o * float(np.tanh(C)))


def gates(x: tuple[float, ...]) -> dict[str, float]:
    """The gates and new states of the cell for input x, by label (f, i, o, C, h)."""
    step = lstm_step(x)
    return {name: step.value(name) for name in ("f", "i", "o", "C", "h")}


def _reached(x: tuple[float, ...], target_name: str) -> dict[str, object]:
    state, target = TARGETS[target_name]
    step = lstm_step(x)
    reached = step.value(state)
    what = "C_{t-1} + h_{t-1}" if target_name == "sum" else "(C_{t-1} + h_{t-1}) / 2"
    return {"gap": abs(reached - target),
            "said": f"the cell gives {state}_t = {reached:.5g}; the target {what} is "
                    f"{target:.5g} (f_t = {step.f:.4g}, i_t = {step.i:.4g}, o_t = {step.o:.4g})"}


def reaches_sum(x: tuple[float, ...]) -> dict[str, object]:
    """How far C_t for input x is from C_{t-1} + h_{t-1} (part b)."""
    return _reached(x, "sum")


def reaches_average(x: tuple[float, ...]) -> dict[str, object]:
    """How far h_t for input x is from (C_{t-1} + h_{t-1}) / 2 (part c)."""
    return _reached(x, "average")
