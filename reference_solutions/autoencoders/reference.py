"""What the autoencoders checks compare with. Never sent to a kernel.

- The supplied Network class's forward pass, from a network's weights read as data;
- the closed-form KL term of a VAE with a diagonal Gaussian posterior and a standard normal
  prior, and its gradient;
- reconstruction losses with the sigmoid folded in (binary cross-entropy on logits, or squared
  error of sigmoid(logits)), in every reduction a student may reasonably pick;
- the parameter count of the 1-D convolutional sentiment network the handout describes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

# ------------------------------------------------------------------ question 1: Network class


def activation(name: str, z: np.ndarray) -> np.ndarray:
    if name == "logistic":
        return 1.0 / (1.0 + np.exp(-z))
    if name == "identity":
        return z
    if name == "ReLU":
        return np.maximum(z, 0.0)
    if name == "softmax":
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
    raise ValueError(f"unknown activation {name!r}")


def network_forward(state: dict[str, Any], x: np.ndarray) -> np.ndarray:
    """The output of a Network described by {'acts', 'W', 'b'} (b[0] is the input layer's)."""
    h = x
    for w, b, act in zip(state["W"], state["b"][1:], state["acts"][1:], strict=True):
        h = activation(act, h @ w + b)
    return h


def untrained_state(state: dict[str, Any], rng: np.random.Generator) -> dict[str, Any]:
    """The same architecture with fresh weights drawn as Network.AddLayer draws them."""
    sizes = state["sizes"]
    return {"acts": state["acts"],
            "W": [rng.normal(size=(m, n)) / np.sqrt(m) for m, n in zip(sizes, sizes[1:])],
            "b": [np.zeros(n) for n in sizes]}


def reconstruction_error(state: dict[str, Any], x: np.ndarray) -> float:
    """Mean squared error per pixel between the images and the network's reconstructions."""
    return float(np.mean((network_forward(state, x) - x) ** 2))


# ------------------------------------------------------------------ question 2: PyTorch parts


def kl_divergence(mu: np.ndarray, logvar: np.ndarray) -> float:
    """KL(N(mu, diag(exp(logvar))) || N(0, I)): summed over latent units, mean over the batch."""
    per_example = -0.5 * np.sum(1.0 + logvar - mu**2 - np.exp(logvar), axis=1)
    return float(np.mean(per_example))


def kl_gradient(mu: np.ndarray, logvar: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = len(mu)
    return mu / n, 0.5 * (np.exp(logvar) - 1.0) / n


def kl_variants(mu: np.ndarray, logvar: np.ndarray) -> dict[str, float]:
    """What common slips give, to name them: the batch summed, the second argument taken as
    the standard deviation or the variance, the sign flipped, the 1/2 dropped."""
    n, given = len(mu), logvar  # what a slip takes the second argument to be
    with np.errstate(all="ignore"):
        as_sigma = -0.5 * np.sum(1.0 + np.log(given**2) - mu**2 - given**2, axis=1).mean()
        as_variance = -0.5 * np.sum(1.0 + np.log(given) - mu**2 - given, axis=1).mean()
    exact = kl_divergence(mu, logvar)
    return {"summed_over_batch": exact * n, "negated": -exact, "no_half": 2 * exact,
            "mean_over_units": exact / mu.shape[1],
            "argument_as_sigma": float(as_sigma), "argument_as_variance": float(as_variance)}


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def reconstruction_losses(logits: np.ndarray, images: np.ndarray) -> dict[str, float]:
    """Acceptable reconstruction losses (sigmoid folded in), by name."""
    bce = np.logaddexp(0.0, logits) - images * logits  # stable BCE with logits, per pixel
    squared = (_sigmoid(logits) - images) ** 2
    n = len(images)
    return {"binary cross-entropy (mean)": float(bce.mean()),
            "binary cross-entropy (sum)": float(bce.sum()),
            "binary cross-entropy (per image)": float(bce.sum() / n),
            "squared error of sigmoid (mean)": float(squared.mean()),
            "squared error of sigmoid (sum)": float(squared.sum()),
            "squared error of sigmoid (per image)": float(squared.sum() / n)}


def losses_without_sigmoid(logits: np.ndarray, images: np.ndarray) -> list[float]:
    """Squared error on raw logits, every reduction: the sigmoid left out."""
    squared = (logits - images) ** 2
    return [float(squared.mean()), float(squared.sum()), float(squared.sum() / len(images))]


# The 1-D CNN of the handout (after the textbook's figure): an 11-token sentence of 6-d
# embeddings; convolutions of width 2 (4 channels) and width 4 (5 channels); max-over-time
# pooling; concatenation to 9 values; a dense layer to 2 outputs. Embeddings not counted.
CNN1D_LAYERS = {"conv width 2": 2 * 6 * 4 + 4, "conv width 4": 4 * 6 * 5 + 5, "dense": 9 * 2 + 2}
CNN1D_PARAMETERS = sum(CNN1D_LAYERS.values())  # 197
CNN1D_SLIPS = {
    CNN1D_PARAMETERS - 4 - 5 - 2: "the biases are left out (4 + 5 + 2 of them)",
    CNN1D_PARAMETERS - CNN1D_LAYERS["dense"]: "the dense layer is left out",
    2 * 4 + 4 + 4 * 5 + 5 + 9 * 2 + 2: "each kernel's 6 input channels are left out",
}
