"""How kind `module` finds a model by what it is: the kernel reports each candidate's layers and
output shape, the grader chooses (output shape, layer family, layers in order)."""

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


def _reported(helpers: dict, name: str, model: nn.Module, what: str = "instance",
              probe: np.ndarray = PROBE, dtype: str = "float32") -> dict:
    """A candidate as the kernel reports it: its layers (as the harness describes them) and
    its output shape on the probe."""
    layers = []
    for _, layer in model.named_modules():
        if list(layer.children()):
            continue
        info = {"type": type(layer).__name__}
        for attr in ("in_features", "out_features", "in_channels", "out_channels",
                     "kernel_size", "embedding_dim", "hidden_size"):
            value = getattr(layer, attr, None)
            if value is not None:
                info[attr] = list(value) if isinstance(value, tuple) else value
        layers.append(info)
    parameters = sum(p.numel() for p in model.parameters())
    forward = helpers["nng_module_try_forward"](model, probe, list(probe.shape), dtype)
    return {"name": name, "what": what, "args": None if what == "instance" else [],
            "description": {"type": type(model).__name__, "layers": layers,
                            "parameters": parameters}, "forward": forward}


def _chosen(candidates: list, **wanted) -> str | None:
    from graders.checks.module import choose_module

    found = choose_module(candidates, out_shapes=wanted.get("out_shapes", []),
                          patterns=wanted.get("patterns", []), family=wanted.get("family", []))
    return None if found is None else found["name"]


def test_same_output_shape_picks_the_model_with_the_layers(helpers: dict) -> None:
    candidates = [_reported(helpers, "ae", _flat_autoencoder()),
                  _reported(helpers, "cae", _conv_autoencoder())]
    assert _chosen(candidates, out_shapes=[[2, 1, 28, 28]], patterns=CONV) == "cae"


def test_without_a_layer_match_the_first_of_the_right_shape_is_judged(helpers: dict) -> None:
    candidates = [_reported(helpers, "ae", _flat_autoencoder()),
                  _reported(helpers, "enc", nn.Sequential(nn.Flatten(), nn.Linear(784, 30)))]
    assert _chosen(candidates, out_shapes=[[2, 1, 28, 28]], patterns=CONV) == "ae"


def test_a_model_that_crashes_on_the_probe_is_reported_and_not_chosen(helpers: dict) -> None:
    broken = _reported(helpers, "cae", nn.Linear(3, 3))
    assert "error" in broken["forward"] and "shape" not in broken["forward"]
    candidates = [broken, _reported(helpers, "ae", _flat_autoencoder())]
    assert _chosen(candidates, out_shapes=[[2, 1, 28, 28]]) == "ae"


def test_a_module_without_parameters_such_as_a_loss_is_never_the_model(helpers: dict) -> None:
    candidates = [_reported(helpers, "loss_fn", nn.MSELoss())]
    assert _chosen(candidates) is None


def test_family_tells_two_models_of_one_output_shape_apart(helpers: dict) -> None:
    candidates = [_reported(helpers, "ae", _flat_autoencoder()),
                  _reported(helpers, "cae", _conv_autoencoder())]
    assert _chosen(candidates, out_shapes=[[2, 1, 28, 28]], family=["conv2d"]) == "cae"
    assert _chosen(candidates, out_shapes=[[2, 1, 28, 28]], family=["Linear"]) == "ae"
    assert _chosen(candidates, family=["LSTM", "GRU"]) is None


def test_an_instance_is_judged_before_a_class_of_the_same_behaviour(helpers: dict) -> None:
    candidates = [_reported(helpers, "AE", _flat_autoencoder(), what="class"),
                  _reported(helpers, "model", _flat_autoencoder())]
    assert _chosen(candidates, out_shapes=[[2, 1, 28, 28]]) == "model"
    assert _chosen(candidates[:1], out_shapes=[[2, 1, 28, 28]]) == "AE"


def test_kernel_size_given_as_int_matches_a_tuple_and_sizes_must_agree(helpers: dict) -> None:
    from graders.checks.module import _layers_in_order

    layers = _reported(helpers, "cae", _conv_autoencoder())["description"]["layers"]
    assert _layers_in_order(layers, CONV) == 2
    assert _layers_in_order(layers, [{"type": "Conv2d", "out_channels": 16}]) == 0
    assert _layers_in_order(layers, list(reversed(CONV))) == 1


def test_the_model_closest_to_the_layers_is_judged_when_none_has_them_all(helpers: dict) -> None:
    tokens = np.zeros((2, 5), dtype=np.int64)
    lstm = nn.ModuleDict({"emb": nn.Embedding(10, 50), "rnn": nn.LSTM(50, 256)})
    candidates = [_reported(helpers, "ae", _flat_autoencoder(), probe=tokens, dtype="long"),
                  _reported(helpers, "net", lstm, probe=tokens, dtype="long")]
    assert _chosen(candidates, patterns=[{"type": "Embedding", "embedding_dim": 100},
                                         {"type": "RNN", "hidden_size": 256}]) == "net"


def test_layers_alone_find_a_model_when_no_output_shape_is_given(helpers: dict) -> None:
    tokens = np.zeros((2, 5), dtype=np.int64)
    rnn = nn.ModuleDict({"emb": nn.Embedding(10, 100), "rnn": nn.RNN(100, 256)})
    candidates = [_reported(helpers, "cae", _conv_autoencoder(), probe=tokens, dtype="long"),
                  _reported(helpers, "net", rnn, probe=tokens, dtype="long")]
    assert _chosen(candidates, patterns=[{"type": "Embedding"},
                                         {"type": "RNN", "hidden_size": 256}]) == "net"


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


@pytest.mark.parametrize(("pattern", "fix"), [
    ({"type": 3}, "a list of them"),
    ({"type": "Conv2d", "padding": {"one_of": [1, "same"]}}, "any_of"),
    ({"type": "Linear", "in_feature": 3}, "in_features"),
])
def test_a_layer_pattern_mistake_fails_at_load(pattern: dict, fix: str) -> None:
    from graders.checks.module import SCHEMA
    from graders.checks.schema import ParamError

    with pytest.raises(ParamError) as caught:
        SCHEMA.validate({"probe_shape": [5, 784], "layers": [pattern]})
    assert fix in str(caught.value)
