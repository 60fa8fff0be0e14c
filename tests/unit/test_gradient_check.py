"""The finite-difference checker against known-right and known-wrong gradients."""

import numpy as np
import pytest
import reference as rnn
import torch

from graders.checks.gradient import check_gradient, plan_probes


def _quadratic_setup(shape=(7, 5), seed=0):
    rng = np.random.default_rng(seed)
    A = rng.normal(size=shape)
    x0 = rng.normal(size=shape)

    def loss_at(deltas):
        return [float(np.sum(A * np.sin(x0 + d))) for d in deltas]

    return A * np.cos(x0), loss_at


def test_right_gradient_passes_with_tight_tolerance():
    grad, loss_at = _quadratic_setup()
    result = check_gradient(analytic=grad, loss_at=loss_at, rng=np.random.default_rng(1),
                            rtol=1e-6)
    assert result.ok
    assert result.max_rel_error < 1e-7
    assert result.evaluations == 2 * (6 + 3)


@pytest.mark.parametrize("mangle", [
    lambda g: 2 * g,
    lambda g: -g,
    lambda g: g[::-1, ::-1].copy(),
])
def test_wrong_gradients_fail(mangle):
    grad, loss_at = _quadratic_setup()
    result = check_gradient(analytic=mangle(grad), loss_at=loss_at,
                            rng=np.random.default_rng(1), rtol=1e-5)
    assert not result.ok
    assert result.failures


def test_one_wrong_entry_in_a_large_matrix_is_caught_by_a_preferred_entry():
    grad, loss_at = _quadratic_setup(shape=(40, 40))
    wrong = grad.copy()
    wrong[3, 4] += 5.0
    result = check_gradient(analytic=wrong, loss_at=loss_at, rng=np.random.default_rng(2),
                            prefer=np.abs(wrong - grad))
    assert not result.ok


def test_random_directions_cover_every_entry():
    probes = plan_probes((20, 20), rng=np.random.default_rng(0), entries=0, directions=2)
    for _, direction in probes:
        assert np.count_nonzero(direction) == 400
        assert np.isclose(np.linalg.norm(direction), 1.0)


def _bptt_case(length=5, hidden=6, vocab=9, seed=3):
    rng = np.random.default_rng(seed)
    params = rnn.initial_params((vocab, hidden, vocab), rng)
    params["b"] = rng.normal(size=hidden) * 0.5
    seq_in = rng.integers(0, vocab, size=length)
    seq_out = rng.integers(0, vocab, size=length)
    return params, seq_in, seq_out


def _bptt_loss_at(params, name, seq_in, seq_out):
    def loss_at(deltas):
        out = []
        for d in deltas:
            shifted = dict(params, **{name: params[name] + d})
            out.append(rnn.sequence_loss(rnn.forward(shifted, seq_in).ys, seq_out))
        return out
    return loss_at


@pytest.mark.parametrize("param", ["U", "W", "V", "b", "c"])
def test_reference_bptt_passes_the_finite_difference_check(param):
    params, seq_in, seq_out = _bptt_case()
    grads = rnn.bptt(params, seq_in, seq_out)
    result = check_gradient(analytic=grads[rnn.GRADIENTS[param]],
                            loss_at=_bptt_loss_at(params, param, seq_in, seq_out),
                            rng=np.random.default_rng(0))
    assert result.ok, result.table()


@pytest.mark.parametrize("mistake", ["no_recurrence", "divided_by_length", "carry_accumulated"])
def test_bptt_with_a_known_mistake_fails_the_check_for_W(mistake):
    params, seq_in, seq_out = _bptt_case(length=6)
    grads = rnn.bptt_variant(params, seq_in, seq_out, mistake=mistake)
    result = check_gradient(analytic=grads["dEdW"],
                            loss_at=_bptt_loss_at(params, "W", seq_in, seq_out),
                            rng=np.random.default_rng(0))
    assert not result.ok


def test_reference_bptt_agrees_with_torch_autograd():
    params, seq_in, seq_out = _bptt_case(length=7, hidden=8, vocab=11)
    tensors = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True)
               for k, v in params.items()}
    h = torch.zeros(8, dtype=torch.float64)
    loss = torch.zeros((), dtype=torch.float64)
    for x, t in zip(seq_in, seq_out, strict=True):
        h = torch.relu(tensors["U"][:, int(x)] + tensors["W"] @ h + tensors["b"])
        logits = tensors["V"] @ h + tensors["c"]
        loss = loss - torch.log_softmax(logits, dim=0)[int(t)]
    loss.backward()
    ours = rnn.bptt(params, seq_in, seq_out)
    for p, g in rnn.GRADIENTS.items():
        np.testing.assert_allclose(ours[g], tensors[p].grad.numpy(), rtol=1e-10, atol=1e-12)
    assert np.isclose(rnn.sequence_loss(rnn.forward(params, seq_in).ys, seq_out), loss.item())
