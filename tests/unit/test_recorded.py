"""The reference's recorded answers: plain data in, the same answers out, nothing else."""

from __future__ import annotations

import types
import zipfile
from collections import namedtuple
from dataclasses import dataclass

import numpy as np
import pytest

from graders.recorded import RecordingReference, ReferenceUnavailable, ReplayReference


@dataclass(frozen=True)
class Step:
    c: float
    h: np.ndarray


Pair = namedtuple("Pair", "left right")


def _module() -> types.ModuleType:
    module = types.ModuleType("fake_reference")
    module.SCALE = {"a": 2.0}
    module.square = lambda x: np.asarray(x) ** 2
    module.step = lambda x, *, gain=1.0: Step(float(x[0]) * gain, np.asarray(x) * gain)
    module.pair = lambda n: Pair(n, (n, [n]))
    module.with_rng = lambda rng: rng.random()
    return module


def _recorded(tmp_path):
    recorder = RecordingReference(_module())
    x = np.array([0.5, -1.25, 3.0])
    assert np.array_equal(recorder.square(x), x ** 2)
    recorder.step(x, gain=3.0)
    recorder.pair(7)
    assert recorder.SCALE == {"a": 2.0}
    recorder.with_rng(np.random.default_rng(0))
    recorder.save(tmp_path / "recorded.npz")
    return recorder, ReplayReference(tmp_path / "recorded.npz"), x


def test_replay_gives_the_recorded_answers_in_their_shapes(tmp_path):
    _, replay, x = _recorded(tmp_path)
    assert np.array_equal(replay.square(x), x ** 2)
    step = replay.step(x, gain=3.0)
    assert step.c == 1.5 and np.array_equal(step.h, x * 3.0)
    assert replay.pair(7) == (7, (7, [7])) and replay.pair(7).left == 7
    assert replay.SCALE == {"a": 2.0}


def test_arguments_equal_to_the_last_bits_match_but_other_inputs_do_not(tmp_path):
    _, replay, x = _recorded(tmp_path)
    assert np.array_equal(replay.square(x * (1 + 1e-15)), x ** 2)
    with pytest.raises(ReferenceUnavailable):
        replay.square(x + 1e-6)
    with pytest.raises(ReferenceUnavailable):
        replay.step(x, gain=2.0)
    with pytest.raises(ReferenceUnavailable):
        replay.never_called(x)


def test_a_call_that_cannot_be_data_is_not_recorded_and_says_why(tmp_path):
    recorder, replay, _ = _recorded(tmp_path)
    assert any("with_rng" in problem and "Generator" in problem
               for problem in recorder.unrecorded)
    with pytest.raises(ReferenceUnavailable):
        replay.with_rng(np.random.default_rng(0))


def test_the_record_is_arrays_and_json_only(tmp_path):
    _recorded(tmp_path)
    with zipfile.ZipFile(tmp_path / "recorded.npz") as archive:
        names = archive.namelist()
    assert "index.npy" in names
    with np.load(tmp_path / "recorded.npz", allow_pickle=False) as data:
        assert all(data[k].dtype != object for k in data.files)


def test_a_call_that_fills_its_arguments_fills_them_again_on_replay(tmp_path):
    from graders.checks.inputs import NotebookFunction

    def fill(params, name, activation):
        params["W" + name] = activation(np.arange(3.0))

    module = types.SimpleNamespace(fill=fill, double=lambda x: 2 * x)
    recorder = RecordingReference(module)
    act = NotebookFunction.bound(("double",), "double", recorder)
    recorder.fill(params := {}, "L", act)
    recorder.save(tmp_path / "recorded.npz")
    replay = ReplayReference(tmp_path / "recorded.npz")
    live = {}
    assert replay.fill(live, "L", NotebookFunction.bound(("double",), "double", replay)) is None
    assert np.array_equal(live["WL"], params["WL"]) and np.array_equal(live["WL"], [0, 2, 4])


@dataclass
class Net:
    size: int
    w: np.ndarray | None = None


def test_a_setup_object_given_attributes_is_replayed_as_the_argument_it_was(tmp_path):
    module = types.ModuleType("fake_reference")
    module.make = lambda size: Net(size)
    module.grad = lambda net, x: {"dw": net.w * x}
    recorder = RecordingReference(module)
    net = recorder.make(3)
    net.w = np.arange(3.0)
    recorder.grad(net, 2.0)
    recorder.save(tmp_path / "recorded.npz")
    replay = ReplayReference(tmp_path / "recorded.npz")
    again = replay.make(3)
    again.w = np.arange(3.0)  # what a setup call's `attributes` does
    assert np.array_equal(replay.grad(again, 2.0)["dw"], np.arange(3.0) * 2)
    again.w = np.arange(3.0) + 1e-6
    with pytest.raises(ReferenceUnavailable):
        replay.grad(again, 2.0)
