"""Data sets the grader makes itself: no downloads, the same numbers for the same seed.

- digits: scikit-learn's 8x8 handwritten digits, scaled to [0, 1], optionally enlarged to 32x32
  (each pixel a 4x4 block) where a handout expects 1024 inputs;
- spiral: the classic K-armed spiral of the spiral-data handouts.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Split:
    x: np.ndarray  # (N, features), float64
    labels: np.ndarray  # (N,), int
    classes: int

    @property
    def one_hot(self) -> np.ndarray:
        return np.eye(self.classes)[self.labels]


def digits(*, side: int = 8, train: int = 1200, seed: int = 0) -> tuple[Split, Split]:
    """(train, validation) splits of the 1,797 scikit-learn digits, shuffled by `seed`."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = bunch.images / 16.0
    if side != 8:
        if side % 8:
            raise ValueError("side must be a multiple of 8")
        block = side // 8
        images = np.kron(images, np.ones((1, block, block)))
    x = images.reshape(len(images), -1)
    order = np.random.default_rng(seed).permutation(len(x))
    x, labels = x[order], bunch.target[order].astype(int)
    return (Split(x[:train], labels[:train], 10), Split(x[train:], labels[train:], 10))


def spiral(*, points_per_class: int = 100, classes: int = 3, noise: float = 0.2,
           seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """X (N, 2) and integer labels y (N,): each class an arm of radius 0..1 with noisy angle."""
    rng = np.random.default_rng(seed)
    x = np.zeros((points_per_class * classes, 2))
    y = np.zeros(points_per_class * classes, dtype=int)
    for k in range(classes):
        rows = slice(points_per_class * k, points_per_class * (k + 1))
        radius = np.linspace(0.0, 1.0, points_per_class)
        angle = (np.linspace(k * 4.0, (k + 1) * 4.0, points_per_class)
                 + rng.standard_normal(points_per_class) * noise)
        x[rows] = np.c_[radius * np.sin(angle), radius * np.cos(angle)]
        y[rows] = k
    return x, y


def nist36_standin(part: str) -> bytes:
    """A stand-in for the course's nist36_<part>.mat (32x32 images as 1024-vectors, 36 one-hot
    classes): digits enlarged to 32x32; only the first 10 of the 36 classes occur."""
    from scipy.io import savemat

    train, rest = digits(side=32, train=1000, seed=36)
    valid = Split(rest.x[:400], rest.labels[:400], 10)
    test = Split(rest.x[400:], rest.labels[400:], 10)
    split = {"train": train, "valid": valid, "test": test}[part]
    labels = np.eye(36)[split.labels]
    buffer = io.BytesIO()
    savemat(buffer, {f"{part}_data": split.x, f"{part}_labels": labels})
    return buffer.getvalue()
