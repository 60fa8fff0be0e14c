"""The grader's own fully connected network, in float64: what mlp_numpy's checks compare with.

Layers follow the handout's convention: rows are examples, a layer computes act(X @ W + b) with
W of shape (in, out) and b of shape (out,). Losses are totals over the examples, not means.
Never sent to a kernel.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Activation = tuple[Callable[[np.ndarray], np.ndarray], Callable[[np.ndarray], np.ndarray]]


def sigmoid(x: np.ndarray) -> np.ndarray:
    return np.exp(-np.logaddexp(0.0, -x))


def softmax(x: np.ndarray) -> np.ndarray:
    shifted = x - np.max(x, axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=1, keepdims=True)


# name -> (function, derivative as a function of the post-activation)
ACTIVATIONS: dict[str, Activation] = {
    "sigmoid": (sigmoid, lambda a: a * (1.0 - a)),
    "linear": (lambda x: x, np.ones_like),
    "tanh": (np.tanh, lambda a: 1.0 - a ** 2),
    "relu": (lambda x: np.maximum(x, 0.0), lambda a: (a > 0).astype(np.float64)),
}


def xavier_bound(in_size: int, out_size: int) -> float:
    """Glorot and Bengio's uniform range: Var = 2 / (in + out) means U(-b, b), b^2 = 6/(in+out)."""
    return float(np.sqrt(6.0 / (in_size + out_size)))


def xavier_range(in_size: int, out_size: int, params: object = None, name: str = "") -> dict:
    """What the `distribution` check expects of initialize_weights(in, out, params, name)'s W:
    uniform on +-xavier_bound (mean 0, variance 2/(in+out))."""
    bound = xavier_bound(in_size, out_size)
    return {"low": -bound, "high": bound}


def layer_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray,
                  activation: str) -> tuple[np.ndarray, np.ndarray]:
    pre = x @ w + b
    return pre, ACTIVATIONS[activation][0](pre)


def layer_backward(delta: np.ndarray, x: np.ndarray, w: np.ndarray, post: np.ndarray,
                   activation: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(grad_W, grad_b, grad_X) given dLoss/d(post-activation)."""
    delta_pre = delta * ACTIVATIONS[activation][1](post)
    return x.T @ delta_pre, delta_pre.sum(axis=0), delta_pre @ w.T


def total_cross_entropy(y: np.ndarray, probs: np.ndarray) -> float:
    return float(-np.sum(np.log(np.sum(y * probs, axis=1))))


def accuracy(y: np.ndarray, probs: np.ndarray) -> float:
    return float(np.mean(np.argmax(y, axis=1) == np.argmax(probs, axis=1)))


# --------------------------------------------------------------------- a two-layer classifier


def two_layer_loss(params: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray,
                   hidden: str) -> float:
    """Total cross-entropy of hidden-activation layer 'layer1' then softmax layer 'output'."""
    _, h = layer_forward(x, params["Wlayer1"], params["blayer1"], hidden)
    probs = softmax(h @ params["Woutput"] + params["boutput"])
    return total_cross_entropy(y, probs)


def predict(params: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    """Class probabilities of the sigmoid-hidden, softmax-output network of question 2."""
    _, h = layer_forward(x, params["Wlayer1"], params["blayer1"], "sigmoid")
    return softmax(h @ params["Woutput"] + params["boutput"])


def torch_digits(seed: int) -> dict[str, np.ndarray]:
    """What the grader trains the PyTorch models of 2.2 on: scikit-learn's 8x8 digits as rows of
    64 in [0, 1] (the CNN's 32x32 images are made from them in the kernel), 1,200 to train on
    and 597 held out, shuffled by the seed."""
    from graders import datasets

    train, valid = datasets.digits(seed=seed % 1000)
    return {"x": train.x, "labels": train.labels, "valid_x": valid.x,
            "valid_labels": valid.labels}


# ------------------------------------------------------------------------ the autoencoder

AUTOENCODER_LAYERS = (("layer1", "relu"), ("hidden", "relu"), ("hidden2", "relu"),
                      ("output", "sigmoid"))


def autoencoder_sizes(in_size: int, hidden: int) -> dict[str, tuple[int, int]]:
    return {"layer1": (in_size, hidden), "hidden": (hidden, hidden),
            "hidden2": (hidden, hidden), "output": (hidden, in_size)}


def autoencoder_pre_activations(params: dict[str, np.ndarray],
                                x: np.ndarray) -> list[np.ndarray]:
    pres, h = [], x
    for name, activation in AUTOENCODER_LAYERS:
        pre, h = layer_forward(h, params["W" + name], params["b" + name], activation)
        pres.append(pre)
    return pres


def autoencoder_output(params: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    h = x
    for name, activation in AUTOENCODER_LAYERS:
        _, h = layer_forward(h, params["W" + name], params["b" + name], activation)
    return h


def autoencoder_loss(params: dict[str, np.ndarray], x: np.ndarray) -> float:
    """Total squared error between the reconstruction and the input."""
    return float(np.sum((autoencoder_output(params, x) - x) ** 2))


def momentum_update(params: dict[str, np.ndarray], learning_rate: float,
                    mu: float = 0.9) -> dict[str, np.ndarray]:
    """A copy of params after M = mu M - lr g; W = W + M for every key with a 'grad_' entry."""
    out = {k: np.array(v, dtype=np.float64, copy=True) for k, v in params.items()}
    for key in [k for k in params if "grad_" + k in params]:
        m = out.get("m_" + key, np.zeros_like(out[key]))
        m = mu * m - learning_rate * out["grad_" + key]
        out["m_" + key] = m
        out[key] = out[key] + m
    return out


def psnr(image: np.ndarray, reconstruction: np.ndarray, max_value: float = 1.0) -> float:
    mse = float(np.mean((np.asarray(image, float) - np.asarray(reconstruction, float)) ** 2))
    return 20.0 * np.log10(max_value) - 10.0 * np.log10(mse)
