"""What yale_sds355_a7's problem 2 checks compare with: the Fashion-MNIST test images the grader
staged in Keras's cache (graders/datasets.py keras_digits), scaled as the course's code scales
them. Never sent to a kernel.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def fashion_test_images() -> np.ndarray:
    """The staged Fashion-MNIST test images as (N, 784) floats in [0, 1]."""
    from graders import datasets

    _, (x_test, _) = datasets.keras_digits(fashion=True)
    return x_test.reshape(len(x_test), -1).astype(np.float64) / 255.0


def fashion_test(seed: int) -> dict[str, np.ndarray]:
    """The data a trained autoencoder is measured on (the same whatever the seed)."""
    return {"x": fashion_test_images()}


def fashion_test_found(x_test: Any) -> float:
    """The fraction of the staged Fashion-MNIST test images the notebook's x_test holds, row for
    row (flattened or 28x28, scaled to [0, 1] or left in 0..255): 1 when it loaded
    fashion_mnist, 0 for any other data."""
    expected = fashion_test_images()
    x = np.asarray(x_test, dtype=np.float64)
    if x.ndim < 2 or len(x) != len(expected) or x[0].size != expected.shape[1]:
        return 0.0
    x = x.reshape(len(x), -1)
    if np.nanmax(x) > 1.5:
        x = x / 255.0
    return float(np.mean(np.all(np.abs(x - expected) < 1e-3, axis=1)))
