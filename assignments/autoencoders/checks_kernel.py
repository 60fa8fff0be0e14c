"""Grader helpers for the autoencoders question on the supplied Network class, sent into the
student's kernel with the `define` op (plain code, no secrets). Networks go back as data: layer
sizes, activation names, weights and biases as arrays."""

import numpy as np


def nng_network_state(net):
    return {"sizes": [int(layer.N) for layer in net.lyr],
            "acts": [str(getattr(layer, "act_text", "")) for layer in net.lyr],
            "type": str(getattr(net, "type", "")),
            "W": [np.asarray(w, dtype=float) for w in net.W],
            "b": [np.asarray(layer.b, dtype=float).ravel() for layer in net.lyr]}


def nng_reconstructions(net, split, count, seeds):
    """The network's own reconstructions of `count` images of a split (its FeedForward,
    whatever its Network.py computes), and those of copies with fresh weights drawn as AddLayer
    draws them, one per seed: the untrained baseline of the same code."""
    import copy

    images = nng_mnist_images(split, count)
    outputs = {"trained": np.asarray(copy.deepcopy(net).FeedForward(images), dtype=float)}
    untrained = []
    for seed in seeds:
        fresh = copy.deepcopy(net)
        rng = np.random.default_rng(seed)
        fresh.W = [rng.normal(size=np.shape(w)) / np.sqrt(np.shape(w)[0]) for w in fresh.W]
        for layer in fresh.lyr:
            layer.b = np.zeros_like(np.asarray(layer.b, dtype=float))
        untrained.append(np.asarray(fresh.FeedForward(images), dtype=float))
    outputs["untrained"] = untrained
    return outputs


def nng_mnist_images(split, count):
    """The first `count` images of a split (0 training, 1 validation, 2 test) of the mnist.pkl
    beside the notebook, read with the handout's own loader."""
    import mnist_loader

    return np.asarray(mnist_loader.load_data()[split][0][:count], dtype=float)
