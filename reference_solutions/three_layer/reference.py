"""The grader's own spiral-data networks, in float64: what three_layer's checks compare with.

Row convention, as in the handout's code: X is (n, D), W1 is (D, H1), h1 = relu(X @ W1 + b1).
Losses are means over the examples, as in the course document. Never sent to a kernel.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def relu(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0.0)


def softmax(scores: np.ndarray) -> np.ndarray:
    shifted = scores - scores.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)


def three_layer_scores(x: np.ndarray, weights: list[np.ndarray]) -> np.ndarray:
    w1, b1, w2, b2, w3, b3 = weights
    h1 = relu(x @ w1 + b1)
    h2 = relu(h1 @ w2 + b2)
    return h2 @ w3 + b3


def predict(x: np.ndarray, weights: list[np.ndarray]) -> np.ndarray:
    """Class predictions of trained weights in either orientation (W1 as (D, H1) or (H1, D))."""
    w1, b1, w2, b2, w3, b3 = (np.asarray(w, dtype=np.float64) for w in weights)
    if w1.shape[0] != x.shape[1]:  # the document's column convention: h = relu(W x + b)
        w1, w2, w3 = w1.T, w2.T, w3.T
    scores = three_layer_scores(x, [w1, b1.ravel(), w2, b2.ravel(), w3, b3.ravel()])
    return np.argmax(scores, axis=1)


# --------------------------------------------------------------------------- the gradient checks
# Called as the handout's functions are: three_layer_gradients(X, y, W1, b1, W2, b2, W3, b3) and
# autoencoder_gradients(X, W1, b1, W2, b2), returning (loss, dW1, db1, ...).


def _three_layer(x: np.ndarray, y: np.ndarray, weights: list[np.ndarray],
                 masks: tuple[bool, bool] = (True, True)) -> tuple[Any, ...]:
    """(loss, dW1, db1, dW2, db2, dW3, db3); masks=False drops a ReLU's mask on the way back."""
    w1, b1, w2, b2, w3, b3 = weights
    n = len(x)
    h1 = relu(x @ w1 + b1)
    h2 = relu(h1 @ w2 + b2)
    d = softmax(h2 @ w3 + b3)
    loss = float(-np.mean(np.log(d[np.arange(n), y])))
    d[np.arange(n), y] -= 1
    d /= n
    dh2 = d @ w3.T * ((h2 > 0) if masks[1] else 1)
    dh1 = dh2 @ w2.T * ((h1 > 0) if masks[0] else 1)
    return (loss, x.T @ dh1, dh1.sum(0, keepdims=True), h1.T @ dh2, dh2.sum(0, keepdims=True),
            h2.T @ d, d.sum(0, keepdims=True))


def three_layer_gradients(X, y, W1, b1, W2, b2, W3, b3):
    """The mean negative log-likelihood and its gradients."""
    return _three_layer(X, y, [W1, b1, W2, b2, W3, b3])


def three_layer_summed(X, y, W1, b1, W2, b2, W3, b3):
    """Known mistake: the loss and gradients summed over the examples, not averaged."""
    return tuple(v * len(X) for v in _three_layer(X, y, [W1, b1, W2, b2, W3, b3]))


def three_layer_no_mask_layer1(X, y, W1, b1, W2, b2, W3, b3):
    """Known mistake: the first hidden layer's ReLU mask skipped on the way back."""
    return _three_layer(X, y, [W1, b1, W2, b2, W3, b3], masks=(False, True))


def three_layer_no_mask_layer2(X, y, W1, b1, W2, b2, W3, b3):
    """Known mistake: the second hidden layer's ReLU mask skipped on the way back."""
    return _three_layer(X, y, [W1, b1, W2, b2, W3, b3], masks=(True, False))


def three_layer_no_masks(X, y, W1, b1, W2, b2, W3, b3):
    """Known mistake: no ReLU mask on the way back at all."""
    return _three_layer(X, y, [W1, b1, W2, b2, W3, b3], masks=(False, False))


def _mixed(pre: np.ndarray) -> float:
    """1 when a layer has units on and units off (so a missing mask shows), else 0."""
    return float((pre > 0).any() and (pre < 0).any())


def layer_kinks(values: dict[str, Any]) -> list[Any]:
    """For away_from_kinks (both networks): the pre-activations of both ReLU layers, and 0 (so
    the inputs are drawn again) unless each layer has some units on and some off."""
    x, w1, b1, w2, b2 = (values[k] for k in ("X", "W1", "b1", "W2", "b2"))
    z1 = x @ w1 + b1
    z2 = relu(z1) @ w2 + b2
    return [z1, z2, _mixed(z1) * _mixed(z2)]


def _autoencoder(x: np.ndarray, weights: list[np.ndarray],
                 masks: tuple[bool, bool] = (True, True)) -> tuple[Any, ...]:
    """(loss, dW1, db1, dW2, db2); masks as in _three_layer (hidden, output)."""
    w1, b1, w2, b2 = weights
    h = relu(x @ w1 + b1)
    xhat = relu(h @ w2 + b2)
    loss = float(np.sum((x - xhat) ** 2) / len(x))
    dz2 = 2 * (xhat - x) / len(x) * ((xhat > 0) if masks[1] else 1)
    dz1 = dz2 @ w2.T * ((h > 0) if masks[0] else 1)
    return (loss, x.T @ dz1, dz1.sum(0, keepdims=True), h.T @ dz2, dz2.sum(0, keepdims=True))


def autoencoder_gradients(X, W1, b1, W2, b2):
    """The mean squared reconstruction error (1/n) sum_i ||x_i - xhat_i||^2 and its gradients."""
    return _autoencoder(X, [W1, b1, W2, b2])


def autoencoder_summed(X, W1, b1, W2, b2):
    """Known mistake: the loss and gradients summed over the examples, not averaged."""
    return tuple(v * len(X) for v in _autoencoder(X, [W1, b1, W2, b2]))


def autoencoder_no_mask_hidden(X, W1, b1, W2, b2):
    """Known mistake: the hidden layer's ReLU mask skipped on the way back."""
    return _autoencoder(X, [W1, b1, W2, b2], masks=(False, True))


def autoencoder_no_mask_output(X, W1, b1, W2, b2):
    """Known mistake: the output layer's ReLU mask skipped on the way back."""
    return _autoencoder(X, [W1, b1, W2, b2], masks=(True, False))


def autoencoder_no_masks(X, W1, b1, W2, b2):
    """Known mistake: no ReLU mask on the way back at all."""
    return _autoencoder(X, [W1, b1, W2, b2], masks=(False, False))
