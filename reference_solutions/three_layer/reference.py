"""The grader's own spiral-data networks, in float64: what three_layer's checks compare with.

Row convention, as in the handout's code: X is (n, D), W1 is (D, H1), h1 = relu(X @ W1 + b1).
Losses are means over the examples, as in the course document. Never sent to a kernel.
"""

from __future__ import annotations

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


def three_layer_pre_activations(x: np.ndarray, weights: list[np.ndarray]) -> list[np.ndarray]:
    w1, b1, w2, b2, _, _ = weights
    z1 = x @ w1 + b1
    return [z1, relu(z1) @ w2 + b2]


def three_layer_loss(x: np.ndarray, y: np.ndarray, weights: list[np.ndarray]) -> float:
    """Mean negative log-likelihood of the labels y (integers)."""
    probs = softmax(three_layer_scores(x, weights))
    return float(-np.mean(np.log(probs[np.arange(len(y)), y])))


def autoencoder_output(x: np.ndarray, weights: list[np.ndarray]) -> np.ndarray:
    w1, b1, w2, b2 = weights
    return relu(relu(x @ w1 + b1) @ w2 + b2)


def autoencoder_pre_activations(x: np.ndarray, weights: list[np.ndarray]) -> list[np.ndarray]:
    w1, b1, w2, b2 = weights
    z1 = x @ w1 + b1
    return [z1, relu(z1) @ w2 + b2]


def autoencoder_loss(x: np.ndarray, weights: list[np.ndarray]) -> float:
    """(1/n) sum_i ||x_i - xhat_i||^2."""
    return float(np.sum((x - autoencoder_output(x, weights)) ** 2) / len(x))


def predict(x: np.ndarray, weights: list[np.ndarray]) -> np.ndarray:
    """Class predictions of trained weights in either orientation (W1 as (D, H1) or (H1, D))."""
    w1, b1, w2, b2, w3, b3 = (np.asarray(w, dtype=np.float64) for w in weights)
    if w1.shape[0] != x.shape[1]:  # the document's column convention: h = relu(W x + b)
        w1, w2, w3 = w1.T, w2.T, w3.T
    scores = three_layer_scores(x, [w1, b1.ravel(), w2, b2.ravel(), w3, b3.ravel()])
    return np.argmax(scores, axis=1)


def three_layer_gradients(x: np.ndarray, y: np.ndarray, weights: list[np.ndarray], *,
                          masks: tuple[bool, bool] = (True, True)) -> list[np.ndarray]:
    """Analytic gradients [dW1, db1, dW2, db2, dW3, db3]; masks=False drops a ReLU's mask (a
    known mistake, used to name it)."""
    w1, b1, w2, b2, w3, _ = weights
    n = len(x)
    h1 = relu(x @ w1 + b1)
    h2 = relu(h1 @ w2 + b2)
    d = softmax(h2 @ w3 + weights[5])
    d[np.arange(n), y] -= 1
    d /= n
    dh2 = d @ w3.T * ((h2 > 0) if masks[1] else 1)
    dh1 = dh2 @ w2.T * ((h1 > 0) if masks[0] else 1)
    return [x.T @ dh1, dh1.sum(0, keepdims=True), h1.T @ dh2, dh2.sum(0, keepdims=True),
            h2.T @ d, d.sum(0, keepdims=True)]


def autoencoder_gradients(x: np.ndarray, weights: list[np.ndarray], *,
                          masks: tuple[bool, bool] = (True, True)) -> list[np.ndarray]:
    """Analytic gradients [dW1, db1, dW2, db2]; masks as in three_layer_gradients (hidden,
    output)."""
    w1, b1, w2, b2 = weights
    h = relu(x @ w1 + b1)
    xhat = relu(h @ w2 + b2)
    dz2 = 2 * (xhat - x) / len(x) * ((xhat > 0) if masks[1] else 1)
    dz1 = dz2 @ w2.T * ((h > 0) if masks[0] else 1)
    return [x.T @ dz1, dz1.sum(0, keepdims=True), h.T @ dz2, dz2.sum(0, keepdims=True)]
