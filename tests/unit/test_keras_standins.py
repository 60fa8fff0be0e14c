"""Keras's Fashion-MNIST stand-in: written where Keras 3 caches its datasets, in the format its
loader reads, so a course's `fashion_mnist.load_data()` runs with no network (the kernel has
none)."""

import gzip
import os
import subprocess
import sys
import textwrap

import numpy as np

from graders import datafiles, datasets
from graders.execute import kernel_environment

FASHION = ".keras/datasets/fashion-mnist/"


def _staged(tmp_path):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    files = [(FASHION + name, f"keras_fashion_{key}")
              for key, name in datasets.KERAS_FASHION_FILES.items()]
    return run_dir, datafiles.stage_data(files, run_dir, None, tmp_path)


def test_standins_are_staged_under_the_run_folders_keras_home(tmp_path):
    run_dir, staged = _staged(tmp_path)
    assert len(staged) == 4
    assert (run_dir / FASHION / "t10k-images-idx3-ubyte.gz").is_file()
    assert kernel_environment(run_dir)["KERAS_HOME"] == str(run_dir / ".keras")
    assert kernel_environment(run_dir)["KERAS_BACKEND"] == "torch"


def test_fashion_files_decode_as_idx_with_matching_counts(tmp_path):
    run_dir, _ = _staged(tmp_path)
    folder = run_dir / FASHION
    with gzip.open(folder / "train-labels-idx1-ubyte.gz") as f:
        labels = np.frombuffer(f.read(), np.uint8, offset=8)
    with gzip.open(folder / "train-images-idx3-ubyte.gz") as f:
        images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(len(labels), 28, 28)
    assert len(labels) == datasets.KERAS_TRAIN
    assert set(np.unique(labels)) <= set(range(10))
    assert images.max() > 200 and images.min() == 0


def test_fashion_standin_differs_from_the_mnist_one():
    (mnist_x, _), _ = datasets.keras_digits(fashion=False)
    (fashion_x, _), _ = datasets.keras_digits(fashion=True)
    assert mnist_x.shape == fashion_x.shape == (datasets.KERAS_TRAIN, 28, 28)
    assert not np.array_equal(mnist_x, fashion_x)


def test_keras_load_data_reads_the_standins_offline(tmp_path):
    run_dir, _ = _staged(tmp_path)
    code = textwrap.dedent("""
        import socket
        def no_network(*args, **kwargs):
            raise OSError("no network in this test")
        socket.socket.connect = no_network
        from keras.datasets import fashion_mnist
        (a, b), (c, d) = fashion_mnist.load_data()
        print(a.shape, c.shape, a.dtype, b.dtype, int(b.max()))
    """)
    env = {**kernel_environment(run_dir), "PATH": os.environ.get("PATH", "")}
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=run_dir,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    train, test = datasets.KERAS_TRAIN, 1797 - datasets.KERAS_TRAIN
    assert done.stdout.strip().split("\n")[-1] == (
        f"({train}, 28, 28) ({test}, 28, 28) uint8 uint8 9")
