"""The kernel-side search of kind `module`: a model found by output shape and layer structure."""

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

CHECKS = Path(__file__).resolve().parents[2] / "graders" / "checks"


@pytest.fixture(scope="module")
def helpers() -> dict:
    """The helpers as the kernel gets them: both files' source run in one namespace."""
    namespace: dict = {}
    for name in ("torch_kernel.py", "kinds_kernel.py"):
        exec(compile((CHECKS / name).read_text(), name, "exec"), namespace)  # noqa: S102
    return namespace


def _flat_autoencoder() -> nn.Module:
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 30), nn.SELU(), nn.Linear(30, 784),
                         nn.Unflatten(1, (1, 28, 28)))


def _conv_autoencoder() -> nn.Module:
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.MaxPool2d(2),
                         nn.ConvTranspose2d(4, 1, 2, stride=2))


CONV = [{"type": "Conv2d", "out_channels": 4, "kernel_size": 3}, {"type": "ConvTranspose2d"}]
PROBE = np.zeros((2, 1, 28, 28), dtype=np.float32)


def test_same_output_shape_picks_the_model_with_the_layers(helpers: dict) -> None:
    flat, conv = _flat_autoencoder(), _conv_autoencoder()
    found = helpers["nng_pick_module"]({"ae": flat, "cae": conv}, PROBE, [2, 1, 28, 28],
                                       "float32", [[2, 1, 28, 28]], CONV)
    assert found is conv


def test_without_a_layer_match_the_first_of_the_right_shape_is_judged(helpers: dict) -> None:
    flat = _flat_autoencoder()
    found = helpers["nng_pick_module"]({"x": 3, "ae": flat, "enc": nn.Linear(784, 30)}, PROBE,
                                       [2, 1, 28, 28], "float32", [[2, 1, 28, 28]], CONV)
    assert found is flat


def test_kernel_size_given_as_int_matches_a_tuple_and_sizes_must_agree(helpers: dict) -> None:
    matched = helpers["nng_layers_matched"]
    conv = _conv_autoencoder()
    assert matched(conv, CONV) == 2
    assert matched(conv, [{"type": "Conv2d", "out_channels": 16}]) == 0
    assert matched(conv, list(reversed(CONV))) == 1


def test_the_model_closest_to_the_layers_is_judged_when_none_has_them_all(helpers: dict) -> None:
    lstm = nn.ModuleDict({"emb": nn.Embedding(10, 50), "rnn": nn.LSTM(50, 256)})
    found = helpers["nng_pick_module"]({"ae": _flat_autoencoder(), "net": lstm}, None, [1],
                                       "long", None, [{"type": "Embedding", "embedding_dim": 100},
                                                      {"type": "RNN", "hidden_size": 256}])
    assert found is lstm


def test_layers_alone_find_a_model_when_no_output_shape_is_given(helpers: dict) -> None:
    rnn = nn.ModuleDict({"emb": nn.Embedding(10, 100), "rnn": nn.RNN(100, 256)})
    found = helpers["nng_pick_module"]({"cae": _conv_autoencoder(), "net": rnn}, None, [1],
                                       "long", None, [{"type": "Embedding"},
                                                      {"type": "RNN", "hidden_size": 256}])
    assert found is rnn


def _judged(shape: tuple, **params) -> str:
    from graders.checks.module import SCHEMA, judge_module

    facts = {"label": {"found": True, "name": "ae", "type": "AE", "is_module": True},
             "description": {"type": "AE", "layers": [], "parameters": 0, "trainable": 0},
             "ops": None, "output": np.zeros(shape)}
    return judge_module(facts, SCHEMA.validate({"probe_shape": [5, 784], **params})).mistake


def test_an_output_of_any_allowed_shape_passes_and_another_does_not() -> None:
    allowed = {"output_shape": [5, 784], "other_output_shapes": [[5, 1, 28, 28]]}
    assert _judged((5, 784), **allowed) == ""
    assert _judged((5, 1, 28, 28), **allowed) == ""
    assert _judged((5, 28, 28), **allowed) == "wrong_output_shape"
    assert _judged((5, 1, 28, 28), output_shape=[5, 784]) == "wrong_output_shape"


def test_other_output_shapes_without_output_shape_fails_at_load() -> None:
    from graders.checks.module import SCHEMA
    from graders.checks.schema import ParamError

    with pytest.raises(ParamError) as caught:
        SCHEMA.validate({"probe_shape": [5, 784], "other_output_shapes": [[5, 784]]})
    assert caught.value.key == "other_output_shapes"
