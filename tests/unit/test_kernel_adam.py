"""The written-out Adam the grader's short training (kind `module`) runs in the kernel takes the
same steps as torch.optim.Adam (which it replaces only because its first use costs seconds of
imports)."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

HELPERS = runpy.run_path(str(Path(__file__).resolve().parents[2]
                             / "graders/checks/torch_kernel.py"))


def _train(own: bool, steps: int = 40) -> list:
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.ReLU(), torch.nn.Flatten(),
                                torch.nn.Linear(4 * 6 * 6, 10))
    x, y = torch.randn(32, 1, 8, 8), torch.randint(0, 10, (32,))
    if own:
        step = HELPERS["nng_adam"](list(model.parameters()), 3e-3)
    else:
        step = torch.optim.Adam(model.parameters(), lr=3e-3).step
    for _ in range(steps):
        model.zero_grad(set_to_none=True)
        torch.nn.functional.cross_entropy(model(x), y).backward()
        step()
    return [p.detach().clone() for p in model.parameters()]


def test_written_out_adam_takes_the_steps_torch_optim_adam_takes():
    ours, theirs = _train(own=True), _train(own=False)
    start = _train(own=True, steps=0)
    assert max(float((a - b).abs().max()) for a, b in zip(ours, theirs, strict=True)) < 1e-6
    # ...and the steps are real: the weights moved far more than that.
    assert max(float((a - b).abs().max()) for a, b in zip(ours, start, strict=True)) > 1e-2
