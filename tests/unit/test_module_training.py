"""Kind `module`'s optional short training by the grader: the kernel helper trains a copy of the
model and returns its held-out outputs; the grader scores them against a threshold."""

from pathlib import Path

import numpy as np
import pytest

from graders.checks.module import SCHEMA, TRAIN, judge_training, score_outputs

CHECKS = Path(__file__).resolve().parents[2] / "graders" / "checks"


def _train_params(**given) -> dict:
    return TRAIN.validate({"data": "blobs", "threshold": 0.9, "false_fail_rate": 0.01, **given})


def test_accuracy_is_the_argmax_against_the_labels() -> None:
    outputs = np.array([[2.0, 0.0], [0.0, 1.0], [3.0, 1.0], [0.0, 5.0]])
    value, problem = score_outputs(outputs, np.array([0, 1, 1, 1]), score="accuracy",
                                   loss="cross_entropy")
    assert (value, problem) == (0.75, "")


def test_cross_entropy_loss_is_computed_from_logits_in_the_grader() -> None:
    outputs = np.array([[0.0, 0.0], [0.0, np.log(3.0)]])
    value, _ = score_outputs(outputs, np.array([0, 1]), score="loss", loss="cross_entropy")
    assert value == pytest.approx((np.log(2.0) + np.log(4.0 / 3.0)) / 2)


@pytest.mark.parametrize(("outputs", "targets", "loss", "named"), [
    (np.array([[np.nan, 0.0]]), np.array([0]), "cross_entropy", "NaN"),
    (np.zeros((3, 2)), np.array([0, 1]), "cross_entropy", "2 examples"),
    (np.zeros((2, 1)), np.array([0, 3]), "cross_entropy", "one score per class"),
    (np.zeros((2, 3)), np.zeros((2, 4)), "mse", "the targets (2, 4)"),
    ("a string", np.array([0]), "cross_entropy", "not numbers"),
])
def test_outputs_that_cannot_be_scored_say_why(outputs, targets, loss, named) -> None:
    value, problem = score_outputs(outputs, targets, score="accuracy", loss=loss)
    assert value is None and named in problem


def test_mse_and_bce_losses_and_their_accuracy() -> None:
    targets = np.array([[1.0, 0.0], [0.0, 1.0]])
    outputs = np.array([[0.8, 0.1], [0.3, 0.9]])
    mse, _ = score_outputs(outputs, targets, score="loss", loss="mse")
    assert mse == pytest.approx(np.mean((outputs - targets) ** 2))
    bce, _ = score_outputs(outputs, targets, score="loss", loss="bce_with_logits")
    assert bce == pytest.approx(np.mean(np.log1p(np.exp(outputs)) - targets * outputs))
    accuracy, _ = score_outputs(outputs, targets, score="accuracy", loss="mse")
    assert accuracy == 1.0


def test_below_the_threshold_fails_stating_the_false_fail_rate() -> None:
    result = {"outputs": np.array([[1.0, 0.0], [1.0, 0.0]]), "losses": [0.7, 0.69]}
    outcome = judge_training(result, np.array([0, 1]), _train_params(), name="the model",
                             examples=100)
    assert outcome.fraction == 0 and outcome.mistake == "below_threshold"
    assert "50.0% accuracy" in outcome.message and "at least 90%" in outcome.message
    assert "falls short 1% of the time or less" in outcome.message
    assert "from 0.7 to 0.69" in outcome.message


def test_reaching_the_threshold_passes_and_says_how_it_was_trained() -> None:
    result = {"outputs": np.array([[1.0, 0.0], [0.0, 1.0]]), "losses": [0.7, 0.1]}
    outcome = judge_training(result, np.array([0, 1]), _train_params(steps=7), name="the model",
                             examples=100)
    assert outcome.fraction == 1 and "7 Adam steps of batch 64" in outcome.message


def test_a_loss_threshold_is_met_from_below() -> None:
    result = {"outputs": np.array([[0.5], [0.5]]), "losses": []}
    params = _train_params(score="loss", loss="mse", threshold=0.3)
    targets = np.array([[0.0], [1.0]])
    assert judge_training(result, targets, params, name="m", examples=2).fraction == 1
    params = _train_params(score="loss", loss="mse", threshold=0.2)
    assert judge_training(result, targets, params, name="m", examples=2).mistake == \
        "below_threshold"


def test_upscale_needs_an_input_shape_it_divides() -> None:
    from graders.checks.schema import ParamError

    with pytest.raises(ParamError) as caught:
        _train_params(upscale=4, input_shape=[1, 30, 30])
    assert caught.value.key.endswith("upscale")
    assert _train_params(upscale=4, input_shape=[1, 32, 32])["upscale"] == 4


def test_a_module_check_with_train_loads() -> None:
    params = SCHEMA.validate({"probe_shape": [5, 4], "train": {"data": "blobs", "threshold": 0.9,
                                                               "false_fail_rate": 0.0}})
    assert params["train"]["steps"] == 100


torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def helpers() -> dict:
    namespace: dict = {}
    for name in ("torch_kernel.py", "kinds_kernel.py"):
        exec(compile((CHECKS / name).read_text(), name, "exec"), namespace)  # noqa: S102
    return namespace


def _blobs(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, size=300)
    centres = np.array([[2.0, 0.0], [-2.0, 0.0], [0.0, 2.5]])
    return centres[labels] + rng.normal(scale=0.5, size=(300, 2)), labels


@pytest.mark.parametrize("optimiser", ["adam", "sgd"])
def test_the_kernel_trains_a_copy_and_leaves_the_notebooks_model_alone(helpers, optimiser):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.Tanh(), torch.nn.Linear(16, 3))
    before = [p.detach().clone() for p in model.parameters()]
    x, labels = _blobs(1)
    setup = {"shape": [], "dtype": "float32", "upscale": 1, "loss": "cross_entropy",
             "optimiser": optimiser, "learning_rate": 0.05 if optimiser == "adam" else 0.5,
             "steps": 150, "batch_size": 32, "seed": 3}
    result = helpers["nng_module_train"](model, x[:200], labels[:200], x[200:], setup)
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))
    accuracy, _ = score_outputs(result["outputs"], labels[200:], score="accuracy",
                                loss="cross_entropy")
    assert accuracy > 0.9 and result["losses"][-1] < result["losses"][0]


def test_upscaled_inputs_are_blocks_of_the_small_image(helpers) -> None:
    small = np.arange(4.0).reshape(1, 4)
    big = helpers["_nng_batch_inputs"](small, "float32", [1, 4, 4], 2)
    assert big.shape == (1, 1, 4, 4)
    assert big[0, 0].tolist() == [[0, 0, 1, 1], [0, 0, 1, 1], [2, 2, 3, 3], [2, 2, 3, 3]]
