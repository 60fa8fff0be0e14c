"""Finite-difference gradient checks: central differences in float64, relative error with an
explicit tolerance, on sampled entries plus random directions.

A random direction d checks every entry at once: (E(p + h d) - E(p - h d)) / 2h must equal
<gradient, d>. So a 400x400 matrix is verified with tens of evaluations, not 320,000. The loss
is evaluated through a callback that takes a batch of perturbations, so the caller can send the
whole batch to a kernel in one round trip.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

# Evaluates the loss at parameter + delta for each delta; returns one float per delta.
LossAt = Callable[[Sequence[np.ndarray]], Sequence[float]]


@dataclass(frozen=True)
class Probe:
    label: str  # "entry (3, 4)" or "random direction 2"
    analytic: float
    numeric: float
    rel_error: float


@dataclass(frozen=True)
class GradientCheck:
    ok: bool
    probes: tuple[Probe, ...]
    evaluations: int
    rtol: float
    step: float

    @property
    def max_rel_error(self) -> float:
        return max((p.rel_error for p in self.probes), default=0.0)

    @property
    def failures(self) -> tuple[Probe, ...]:
        return tuple(p for p in self.probes if p.rel_error > self.rtol)

    def table(self, count: int = 5) -> str:
        worst = sorted(self.probes, key=lambda p: -p.rel_error)[:count]
        rows = [f"    {'where':<22}{'yours':>14}{'finite diff.':>14}{'rel. error':>12}"]
        rows += [f"    {p.label:<22}{p.analytic:>14.6g}{p.numeric:>14.6g}{p.rel_error:>12.2e}"
                 for p in worst]
        return "\n".join(rows)


def relative_error(a: float, b: float, *, floor: float) -> float:
    """|a - b| / max(|a|, |b|, floor): the floor keeps two tiny numbers from failing."""
    return abs(a - b) / max(abs(a), abs(b), floor)


def plan_probes(shape: tuple[int, ...], *, rng: np.random.Generator, entries: int,
                directions: int, prefer: np.ndarray | None = None
                ) -> list[tuple[str, np.ndarray]]:
    """Unit perturbation directions: some single entries (half of them the largest of `prefer`,
    where given), then random Gaussian directions normalised to unit length."""
    size = int(np.prod(shape))
    chosen: list[int] = []
    if prefer is not None and size:
        order = np.argsort(-np.abs(np.asarray(prefer)).ravel())
        chosen += [int(i) for i in order[: (entries + 1) // 2]]
    pool = [i for i in range(size) if i not in set(chosen)]
    extra = min(entries - len(chosen), len(pool))
    if extra > 0:
        chosen += [int(i) for i in rng.choice(pool, size=extra, replace=False)]
    probes = []
    for flat in chosen[:entries]:
        direction = np.zeros(size)
        direction[flat] = 1.0
        index = tuple(int(i) for i in np.unravel_index(flat, shape))
        label = f"entry {index if len(index) > 1 else index[0]}"
        probes.append((label, direction.reshape(shape)))
    for k in range(directions):
        direction = rng.standard_normal(shape)
        probes.append((f"random direction {k + 1}", direction / np.linalg.norm(direction)))
    return probes


def check_gradient(*, analytic: np.ndarray, loss_at: LossAt, rng: np.random.Generator,
                   step: float = 1e-5, rtol: float = 1e-5, floor: float = 1e-7,
                   entries: int = 6, directions: int = 3,
                   prefer: np.ndarray | None = None) -> GradientCheck:
    """Compare `analytic` with central differences of the loss; one batched call of loss_at."""
    analytic = np.asarray(analytic, dtype=np.float64)
    probes = plan_probes(analytic.shape, rng=rng, entries=entries, directions=directions,
                         prefer=prefer)
    deltas = [sign * step * d for _, d in probes for sign in (1.0, -1.0)]
    losses = np.asarray(loss_at(deltas), dtype=np.float64)
    results = []
    for k, (label, direction) in enumerate(probes):
        numeric = (losses[2 * k] - losses[2 * k + 1]) / (2 * step)
        value = float(np.sum(analytic * direction))
        results.append(Probe(label, value, float(numeric),
                             relative_error(value, float(numeric), floor=floor)))
    ok = all(np.isfinite(p.numeric) and p.rel_error <= rtol for p in results)
    return GradientCheck(ok=ok, probes=tuple(results), evaluations=len(deltas), rtol=rtol,
                         step=step)


def central_differences(loss: Callable[[np.ndarray], float], x: np.ndarray, *,
                        step: float = 1e-6) -> np.ndarray:
    """Every entry of d loss / d x by central differences, in float64 (for small arrays only)."""
    x = np.array(x, dtype=np.float64, copy=True)
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        kept = x[index]
        x[index] = kept + step
        above = loss(x)
        x[index] = kept - step
        below = loss(x)
        x[index] = kept
        grad[index] = (above - below) / (2 * step)
    return grad
