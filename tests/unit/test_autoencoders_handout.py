"""The autoencoders handout modules: Network.py keeps the course's interface and file format,
mnist_loader.py reads the real mnist.pkl format (plain or gzip), and the stand-ins fit both."""

from __future__ import annotations

import gzip
import importlib.util
import pickle
from pathlib import Path

import numpy as np
import pytest

HANDOUT = Path(__file__).resolve().parents[2] / "assignments" / "autoencoders"


def _module(name: str):
    spec = importlib.util.spec_from_file_location(f"handout_{name}", HANDOUT / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def network():
    return _module("Network")


def test_backprop_gradient_matches_central_differences(network):
    np.random.seed(4)
    net = network.Network([5, 4, 3, 4, 5], type="Bernoulli")
    x = np.random.rand(6, 5)
    before = [w.copy() for w in net.W]
    net.FeedForward(x)
    net.BackProp(x, lrate=1.0)
    step = [b - a for a, b in zip(net.W, before, strict=True)]  # = dE/dW for lrate 1
    net.W = [w.copy() for w in before]
    for layer in net.lyr:
        layer.b = np.zeros_like(layer.b)
    k, (i, j) = 1, (2, 1)
    eps = 1e-6
    net.W[k][i, j] += eps
    up = net.Evaluate(x, x)
    net.W[k][i, j] -= 2 * eps
    down = net.Evaluate(x, x)
    assert abs((up - down) / (2 * eps) - step[k][i, j]) < 1e-8


def test_save_and_load_round_trip_without_pickles(network, tmp_path):
    np.random.seed(0)
    net = network.Network([6, 3, 6], type="Bernoulli")
    net.lyr[1].b = np.arange(3.0)
    target = tmp_path / "small.net"
    net.Save(str(target))
    loaded = network.Network.Load(str(target))
    assert [layer.N for layer in loaded.lyr] == [6, 3, 6]
    assert loaded.type == "Bernoulli" and loaded.lyr[-1].act_text == "logistic"
    x = np.random.rand(2, 6)
    assert np.allclose(loaded.FeedForward(x), net.FeedForward(x))
    assert np.allclose(loaded.FeedForwardFrom(1, np.ones((1, 3))),
                       net.FeedForwardFrom(1, np.ones((1, 3))))
    with open(target, "rb") as fp:  # every record loads with allow_pickle=False
        records = [np.load(fp, allow_pickle=False) for _ in range(3 + 3 * 3 + 2)]
    assert int(records[0]) == 3


def test_an_empty_network_grows_with_add_layer(network):
    net = network.Network()
    for n in (4, 2, 4):
        net.AddLayer(network.Layer(n))
    assert [w.shape for w in net.W] == [(4, 2), (2, 4)]


@pytest.mark.parametrize("compress", [False, True])
def test_loader_reads_the_pickled_tuple_format(tmp_path, monkeypatch, compress):
    images = np.random.default_rng(0).random((5, 784)).astype(np.float32)
    data = ((images, np.arange(5)), (images[:2], np.arange(2)), (images[:3], np.arange(3)))
    raw = pickle.dumps(data, protocol=2)
    (tmp_path / "mnist.pkl").write_bytes(gzip.compress(raw) if compress else raw)
    monkeypatch.chdir(tmp_path)
    loader = _module("mnist_loader")
    train, validate, test = loader.load_data_wrapper()
    assert train[0].shape == (5, 784) and train[1].shape == (5, 10)
    assert np.array_equal(np.argmax(test[1], axis=1), np.arange(3))


def test_standins_fit_the_loader_and_the_network_format(tmp_path, monkeypatch, network):
    from graders import datasets

    (tmp_path / "mnist.pkl").write_bytes(datasets.mnist_pkl_standin())
    (tmp_path / "autoencoder.net").write_bytes(datasets.autoencoder_net_standin(HANDOUT))
    monkeypatch.chdir(tmp_path)
    train, _, _ = _module("mnist_loader").load_data_wrapper()
    assert train[0].shape[1] == 784 and 0 <= train[0].min() and train[0].max() <= 1
    net = network.Network.Load(str(tmp_path / "autoencoder.net"))
    assert [layer.N for layer in net.lyr] == [784, 50, 3, 50, 784]
    assert net.FeedForward(train[0][:4]).shape == (4, 784)
