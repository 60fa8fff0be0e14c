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


# Known wrong softmaxes: the checks name a student's output that equals one of these.
def softmax_whole_matrix(x: np.ndarray) -> np.ndarray:
    """Normalised over the whole matrix instead of each row."""
    e = np.exp(x - np.max(x))
    return e / np.sum(e)


def softmax_by_column(x: np.ndarray) -> np.ndarray:
    """Each column sums to 1 instead of each row."""
    return softmax(x.T).T


def softmax_overflows(x: np.ndarray) -> np.ndarray:
    """np.exp of the raw logits: NaN wherever a row holds a large logit (or only tiny ones)."""
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(x)
        return e / np.sum(e, axis=1, keepdims=True)


def softmax_global_max(x: np.ndarray) -> np.ndarray:
    """One maximum for the whole matrix: rows far below it underflow to 0/0."""
    with np.errstate(invalid="ignore"):
        e = np.exp(x - np.max(x))
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


def initialize_weights(in_size: int, out_size: int, params: dict, name: str = "") -> None:
    """The handout's initialiser: W (in, out) uniform on +-xavier_bound, b a 1-D zero vector.
    Only shapes and the zero bias are compared (the draw is the grader's own)."""
    bound = xavier_bound(in_size, out_size)
    params["W" + name] = np.random.default_rng(0).uniform(-bound, bound, (in_size, out_size))
    params["b" + name] = np.zeros(out_size)


def layer_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray,
                  activation: str) -> tuple[np.ndarray, np.ndarray]:
    pre = x @ w + b
    return pre, ACTIVATIONS[activation][0](pre)


def layer_backward(delta: np.ndarray, x: np.ndarray, w: np.ndarray, post: np.ndarray,
                   activation: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(grad_W, grad_b, grad_X) given dLoss/d(post-activation)."""
    delta_pre = delta * ACTIVATIONS[activation][1](post)
    return x.T @ delta_pre, delta_pre.sum(axis=0), delta_pre @ w.T


def tanh(x: np.ndarray) -> np.ndarray:
    return np.tanh(x)


def layer_params(w: np.ndarray, b: np.ndarray, name: str) -> dict[str, np.ndarray]:
    """A params dict holding one layer's weights, as initialize_weights names them."""
    return {"W" + name: w, "b" + name: b}


def forward(x: np.ndarray, params: dict, name: str = "",
            activation: Callable[[np.ndarray], np.ndarray] = sigmoid) -> np.ndarray:
    """The handout's forward: activation(X @ W + b), caching (X, pre_act, post_act)."""
    pre = x @ params["W" + name] + params["b" + name]
    post = activation(pre)
    params["cache_" + name] = (x, pre, post)
    return post


def forward_ignores_activation(x: np.ndarray, params: dict, name: str = "",
                               activation: object = None) -> np.ndarray:
    """A known wrong forward: sigmoid whatever activation it is given."""
    return forward(x, params, name)


# The derivatives the course passes to backwards, as functions of the post-activation.
def sigmoid_deriv(post: np.ndarray) -> np.ndarray:
    return ACTIVATIONS["sigmoid"][1](post)


def linear_deriv(post: np.ndarray) -> np.ndarray:
    return ACTIVATIONS["linear"][1](post)


def tanh_deriv(post: np.ndarray) -> np.ndarray:
    return ACTIVATIONS["tanh"][1](post)


def relu_deriv(post: np.ndarray) -> np.ndarray:
    return ACTIVATIONS["relu"][1](post)


def backwards_params(x: np.ndarray, w: np.ndarray, b: np.ndarray, name: str,
                     activation: str) -> dict:
    """A layer's params with the cache forward leaves: (X, pre_act, post_act)."""
    pre, post = layer_forward(x, w, b, activation)
    return {"W" + name: w, "b" + name: b, "cache_" + name: (x, pre, post)}


def backwards(delta: np.ndarray, params: dict, name: str = "",
              activation_deriv: Callable[[np.ndarray], np.ndarray] = sigmoid_deriv,
              divide_by: float = 1.0) -> np.ndarray:
    """The handout's backwards: stores grad_W and grad_b of the layer, returns grad_X."""
    x, _, post = params["cache_" + name]
    delta_pre = delta * activation_deriv(post) / divide_by
    params["grad_W" + name] = x.T @ delta_pre
    params["grad_b" + name] = delta_pre.sum(axis=0)
    return delta_pre @ params["W" + name].T


def backwards_loss(inputs: dict) -> float:
    """The loss whose gradients backwards computes: sum(delta * activation(X @ W + b))."""
    _, post = layer_forward(inputs["x"], inputs["w"], inputs["b"], inputs["activation"])
    return float(np.sum(inputs["delta"] * post))


def backwards_pre_activation(inputs: dict) -> np.ndarray:
    return inputs["x"] @ inputs["w"] + inputs["b"]


# Known wrong backwards, named when a student's gradient matches.
def backwards_without_deriv(delta: np.ndarray, params: dict, name: str = "",
                            activation_deriv: object = None) -> np.ndarray:
    return backwards(delta, params, name, np.ones_like)


def backwards_divided_by_batch(delta: np.ndarray, params: dict, name: str = "",
                               activation_deriv: Callable[[np.ndarray], np.ndarray]
                               = sigmoid_deriv) -> np.ndarray:
    return backwards(delta, params, name, activation_deriv, divide_by=len(delta))


def total_cross_entropy(y: np.ndarray, probs: np.ndarray) -> float:
    return float(-np.sum(np.log(np.sum(y * probs, axis=1))))


def accuracy(y: np.ndarray, probs: np.ndarray) -> float:
    return float(np.mean(np.argmax(y, axis=1) == np.argmax(probs, axis=1)))


def compute_loss_and_acc(y: np.ndarray, probs: np.ndarray) -> tuple[float, float]:
    """The handout's (total cross-entropy, accuracy as a fraction)."""
    return total_cross_entropy(y, probs), accuracy(y, probs)


# Known wrong (loss, acc) pairs, named when a student's element matches.
def mean_loss(y: np.ndarray, probs: np.ndarray) -> tuple[float, float]:
    return total_cross_entropy(y, probs) / len(y), accuracy(y, probs)


def per_example_loss(y: np.ndarray, probs: np.ndarray) -> tuple[np.ndarray, float]:
    return -np.log(np.sum(y * probs, axis=1)), accuracy(y, probs)


def loss_sign_flipped(y: np.ndarray, probs: np.ndarray) -> tuple[float, float]:
    return -total_cross_entropy(y, probs), accuracy(y, probs)


def accuracy_percentage(y: np.ndarray, probs: np.ndarray) -> tuple[float, float]:
    return total_cross_entropy(y, probs), 100.0 * accuracy(y, probs)


def accuracy_count(y: np.ndarray, probs: np.ndarray) -> tuple[float, float]:
    return total_cross_entropy(y, probs), accuracy(y, probs) * len(y)


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
                    mu: float = 0.9) -> None:
    """The handout's step, in place: M = mu M - lr g; W = W + M for every key with a 'grad_'
    entry (M starts at zero)."""
    for key in [k for k in params if "grad_" + k in params]:
        m = mu * params.get("m_" + key, np.zeros_like(params[key])) - learning_rate * params[
            "grad_" + key]
        params["m_" + key] = m
        params[key] = params[key] + m


def momentum_off(params: dict[str, np.ndarray], learning_rate: float) -> None:
    """A known wrong step: the momentum is kept but the weights take a plain gradient step."""
    for key in [k for k in params if "grad_" + k in params]:
        params["m_" + key] = 0.9 * params.get("m_" + key, np.zeros_like(params[key])) - \
            learning_rate * params["grad_" + key]
        params[key] = params[key] - learning_rate * params["grad_" + key]


def momentum_params(w: np.ndarray, b: np.ndarray, grad_w: np.ndarray, grad_b: np.ndarray,
                    m_w: np.ndarray | None = None, m_b: np.ndarray | None = None) -> dict:
    """A params dict for momentum_update, with accumulators when given."""
    params = {"W": w, "b": b, "grad_W": grad_w, "grad_b": grad_b}
    if m_w is not None:
        params.update({"m_W": m_w, "m_b": m_b})
    return params


def psnr(image: np.ndarray, reconstruction: np.ndarray, max_value: float = 1.0) -> float:
    mse = float(np.mean((np.asarray(image, float) - np.asarray(reconstruction, float)) ** 2))
    return 20.0 * np.log10(max_value) - 10.0 * np.log10(mse)


def noisy(image: np.ndarray, noise: np.ndarray) -> np.ndarray:
    """A reconstruction: the image plus noise, kept in 0..1."""
    return np.clip(image + noise, 0.0, 1.0)


def times_255(image: np.ndarray) -> np.ndarray:
    return image * 255.0


def psnr_ignores_max(image: np.ndarray, reconstruction: np.ndarray,
                     max_value: float = 1.0) -> float:
    """A known wrong PSNR: max_value taken as 1 whatever it is."""
    return psnr(image, reconstruction)


def numbered_rows(n: int) -> np.ndarray:
    """n examples of one feature, each its own row number: a batch's x says which rows it holds."""
    return np.arange(n, dtype=np.float64)[:, None]


def numbered_labels(n: int) -> np.ndarray:
    """One-hot labels of 3 classes after a first column holding the row number."""
    y = np.zeros((n, 4))
    y[:, 0] = np.arange(n)
    y[np.arange(n), 1 + np.arange(n) % 3] = 1.0
    return y


def get_random_batches(x: np.ndarray, y: np.ndarray,
                       batch_size: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """The handout's batches: one random permutation, cut into batches of batch_size."""
    order = np.random.default_rng().permutation(len(x))
    return [(x[order[i:i + batch_size]], y[order[i:i + batch_size]])
            for i in range(0, len(x), batch_size)]
