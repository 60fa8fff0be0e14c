"""Data sets the grader makes itself: no downloads, the same numbers for the same seed.

- digits: scikit-learn's 8x8 handwritten digits, scaled to [0, 1], optionally enlarged to 32x32
  (each pixel a 4x4 block) where a handout expects 1024 inputs;
- spiral: the classic K-armed spiral of the spiral-data handouts.
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Split:
    x: np.ndarray  # (N, features), float64
    labels: np.ndarray  # (N,), int
    classes: int

    @property
    def one_hot(self) -> np.ndarray:
        return np.eye(self.classes)[self.labels]


@functools.cache
def _digits() -> Any:
    """scikit-learn's digits, read once per process (every training check uses them). The
    arrays are made read-only: callers derive new ones and must never change these."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    bunch.images.setflags(write=False)
    bunch.target.setflags(write=False)
    return bunch


def digits(*, side: int = 8, train: int = 1200, seed: int = 0) -> tuple[Split, Split]:
    """(train, validation) splits of the 1,797 scikit-learn digits, shuffled by `seed`."""
    bunch = _digits()
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


def digits28(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """All 1,797 scikit-learn digits enlarged to 28x28 (bilinear), as (N, 784) in [0, 1] and
    their labels, shuffled by `seed`: MNIST-sized inputs that need no download."""
    from scipy.ndimage import zoom

    bunch = _digits()
    images = np.clip(zoom(bunch.images / 16.0, (1, 3.5, 3.5), order=1), 0.0, 1.0)
    order = np.random.default_rng(seed).permutation(len(images))
    return images.reshape(len(images), -1)[order], bunch.target[order].astype(np.int64)


def mnist_pkl_standin() -> bytes:
    """A stand-in for the course's mnist.pkl in its real format (a pickled tuple of
    (images, labels) for training, validation and test), made from digits28: 1,297 training
    digits, 250 for validation and 250 for testing. Written by the grader; only the student's
    kernel reads it."""
    import pickle

    x, y = digits28(seed=28)
    x = x.astype(np.float32)
    splits = ((x[:1297], y[:1297]), (x[1297:1547], y[1297:1547]), (x[1547:], y[1547:]))
    return pickle.dumps(splits, protocol=4)


@functools.lru_cache(maxsize=2)
def autoencoder_net_standin(folder: Path) -> bytes:
    """A stand-in for the course's autoencoder.net: a 784-50-3-50-784 network of the handout's
    Network class (`folder/Network.py`, the assignment's support file) trained briefly on
    digits28, saved in that class's own file format."""
    import contextlib
    import importlib.util
    import tempfile

    path = folder / "Network.py"
    module_spec = importlib.util.spec_from_file_location("nngrader_handout_network", path)
    assert module_spec is not None and module_spec.loader is not None
    network = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(network)
    x, _ = digits28(seed=28)
    state = np.random.get_state()
    np.random.seed(3)
    try:
        net = network.Network([784, 50, 3, 50, 784], type="Bernoulli")
        with contextlib.redirect_stdout(io.StringIO()):
            net.SGD(x[:1000], x[:1000], lrate=1.0, epochs=20, batch_size=10)
    finally:
        np.random.set_state(state)
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "autoencoder.net"
        net.Save(str(target))
        return target.read_bytes()


# Keras's own datasets, read from its cache (KERAS_HOME/datasets/) so load_data() never downloads.
KERAS_FASHION_FILES = {
    "train_labels": "train-labels-idx1-ubyte.gz",
    "train_images": "train-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
}
KERAS_TRAIN = 1500  # of digits28's 1,797 images; the rest are the test set


def keras_digits(*, fashion: bool) -> tuple[tuple[np.ndarray, np.ndarray],
                                             tuple[np.ndarray, np.ndarray]]:
    """((x_train, y_train), (x_test, y_test)) as Keras's mnist and fashion_mnist give them:
    uint8 images (N, 28, 28) in 0..255 and uint8 labels, made from digits28 (1,500 training and
    297 test images). The Fashion-MNIST stand-in has every image turned a quarter and shuffled
    differently from the digits a notebook may load by other means, so a grader can tell them
    apart (they are not clothes: what is graded is which data a notebook trained on)."""
    x, y = digits28(seed=7 if fashion else 28)
    images = np.rint(x.reshape(-1, 28, 28) * 255.0).astype(np.uint8)
    if fashion:
        images = np.ascontiguousarray(np.rot90(images, k=1, axes=(1, 2)))
    labels = y.astype(np.uint8)
    return ((images[:KERAS_TRAIN], labels[:KERAS_TRAIN]),
            (images[KERAS_TRAIN:], labels[KERAS_TRAIN:]))


def keras_fashion_standin(name: str) -> bytes:
    """One of Keras's four Fashion-MNIST files (gzipped idx: labels after an 8-byte header,
    images after a 16-byte one), `name` a key of KERAS_FASHION_FILES."""
    import gzip
    import struct

    split, what = name.split("_")
    pair = keras_digits(fashion=True)[0 if split == "train" else 1]
    if what == "labels":
        labels = pair[1]
        header = struct.pack(">II", 2049, len(labels))
        payload = labels.tobytes()
    else:
        images = pair[0]
        header = struct.pack(">IIII", 2051, len(images), 28, 28)
        payload = images.tobytes()
    return gzip.compress(header + payload, mtime=0)
