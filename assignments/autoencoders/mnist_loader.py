"""mnist_loader.py: reads the course's mnist.pkl (handout module).

The file is the classic pickled MNIST: a tuple (training, validation, test), each a pair
(images as an (n, 784) float array in [0, 1], labels as an (n,) integer array). It may be
gzip-compressed. The file is looked for beside the notebook and in data/.

    train, validate, test = mnist_loader.load_data_wrapper()
    train_in, train_targets = train[0][:1000], train[1][:1000]    # images, one-hot rows
"""

import gzip
import os
import pickle

import numpy as np

CANDIDATES = ("mnist.pkl", "mnist.pkl.gz", os.path.join("data", "mnist.pkl"),
              os.path.join("data", "mnist.pkl.gz"))


def _find(path=None):
    for candidate in ([path] if path else CANDIDATES):
        if os.path.isfile(candidate):
            return candidate
    raise FileNotFoundError("mnist.pkl was not found beside the notebook or in data/")


def load_data(path=None):
    """(training, validation, test): each (images (n, 784), labels (n,))."""
    filename = _find(path)
    with open(filename, "rb") as raw:
        compressed = raw.read(2) == b"\x1f\x8b"
    opener = gzip.open if compressed else open
    with opener(filename, "rb") as f:
        data = pickle.load(f, encoding="latin1")
    return tuple((np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.int64))
                 for x, y in data)


def one_hot(labels, classes=10):
    return np.eye(classes)[np.asarray(labels, dtype=int)]


def load_data_wrapper(path=None):
    """[images, one-hot targets] for each of training, validation and test."""
    return tuple([x, one_hot(y)] for x, y in load_data(path))
