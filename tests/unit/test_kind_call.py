"""Kind `call` without a kernel: the judge names shape, transpose, NaN, dtype, a known wrong
answer with its hint, and by how much; the reference side selects outputs as the kernel does;
a spec with a typo fails at load naming file, key path and fix."""

from types import SimpleNamespace

import numpy as np
import pytest
import yaml

from graders.checks.call import SCHEMA, judge_output
from graders.checks.invocation import Call, pick, select, validated
from graders.errors import SpecError
from graders.spec import load_spec

EXPECTED = np.arange(6.0).reshape(2, 3) + 0.5


@pytest.mark.parametrize("actual, mistake, phrase", [
    (EXPECTED.copy(), "", "matches"),
    (EXPECTED[:, :2], "wrong_shape", "has shape (2, 2), expected (2, 3)"),
    (EXPECTED.T.copy(), "transposed", "transposed"),
    (np.where(EXPECTED > 3, np.nan, EXPECTED), "nonfinite", "NaN or infinite"),
    (EXPECTED.astype(int), "wrong_dtype", "dtype int64"),
    (EXPECTED * 1.01, "wrong_values", "largest relative 0.01"),
    (None, "wrong_type", "but it is None"),
])
def test_judge_names_what_is_wrong_and_by_how_much(actual, mistake, phrase):
    outcome = judge_output(actual=actual, expected=EXPECTED, name="y", rtol=1e-6, atol=1e-9)
    assert outcome.mistake == mistake
    assert outcome.fraction == (1.0 if not mistake else 0.0)
    assert phrase in outcome.message


def test_a_known_wrong_answer_is_named_with_its_hint():
    outcome = judge_output(actual=-EXPECTED, expected=EXPECTED, name="y", rtol=1e-6, atol=1e-9,
                           wrong_answers={"sign_flipped": (-EXPECTED, "exp(-x), not exp(x)"),
                                          "doubled": (2 * EXPECTED, "halve it")})
    assert outcome.mistake == "sign_flipped"
    assert outcome.details["hint"] == "exp(-x), not exp(x)"
    assert "known wrong answer 'sign_flipped'" in outcome.message


@pytest.mark.parametrize("actual, mistake", [
    (np.array([[0.5, 0.5], [np.nan, np.nan]]), "global_max"),   # NaN where the known answer has
    (np.array([[np.nan, np.nan], [0.5, 0.5]]), "nonfinite"),    # NaN elsewhere: not named
    (np.array([[0.5, 0.5], [np.inf, 0.5]]), "nonfinite"),       # non-finite in other entries
])
def test_a_known_wrong_answer_with_nan_is_named_only_when_its_nan_entries_agree(actual, mistake):
    expected = np.full((2, 2), 0.5)
    known = np.array([[0.5, 0.5], [np.nan, np.nan]])
    outcome = judge_output(actual=actual, expected=expected, name="p", rtol=1e-7, atol=1e-12,
                           wrong_answers={"global_max": (known, "subtract each row's maximum")})
    assert outcome.mistake == mistake


@pytest.mark.parametrize("actual, mistake, phrase", [
    ((np.ones(2), EXPECTED), "", "all 2 elements match"),
    ((np.ones(2), EXPECTED * 2), "wrong_values", "element 1 of the cache: 6 of 6 entries"),
    ((np.ones(2),), "wrong_type", "a tuple of 2 values, but it is a tuple of 1"),
    (None, "wrong_type", "but it is None"),
])
def test_a_tuple_is_compared_element_by_element(actual, mistake, phrase):
    outcome = judge_output(actual=actual, expected=(np.ones(2), EXPECTED), name="the cache",
                           rtol=1e-6, atol=1e-9)
    assert outcome.mistake == mistake and phrase in outcome.message


@pytest.mark.parametrize("actual, mistake, phrase", [
    (np.ones((2, 3)), "", "has shape (2, 3)"),
    (np.ones((3, 2)), "transposed", "the transpose of the expected (2, 3)"),
    (np.ones((1, 2, 3)), "wrong_shape", "expected (2, 3)"),
    ({"W": 1}, "wrong_type", "but it is a dict"),
])
def test_a_shape_comparison_ignores_values_and_names_a_transpose(actual, mistake, phrase):
    from graders.checks.call import judge_shape

    outcome = judge_shape(actual=actual, expected=EXPECTED, name="W")
    assert outcome.mistake == mistake and phrase in outcome.message


@pytest.mark.parametrize("actual, mistake, phrase", [
    ({"W": EXPECTED, "m": np.ones(2)}, "", "all 2 entries match"),
    ({"W": EXPECTED, "m": np.ones(2), "extra": 1}, "", "all 2 entries match"),
    ({"W": EXPECTED}, "wrong_type", "has no entry 'm' (it holds: W)"),
    ({"W": EXPECTED - 1, "m": np.ones(2)}, "plain_step", "known wrong answer 'plain_step'"),
    ({"W": EXPECTED + 1, "m": np.ones(2)}, "wrong_values", "params['W']: 6 of 6 entries"),
    ([EXPECTED], "wrong_type", "should be a dict"),
])
def test_a_dict_is_compared_entry_by_entry_and_may_be_a_known_wrong_answer(actual, mistake,
                                                                           phrase):
    outcome = judge_output(actual=actual, expected={"W": EXPECTED, "m": np.ones(2)},
                           name="params", rtol=1e-6, atol=1e-9,
                           wrong_answers={"plain_step": ({"W": EXPECTED - 1, "m": np.ones(2)},
                                                         "use the momentum")})
    assert outcome.mistake == mistake and phrase in outcome.message


def test_a_loss_given_as_a_one_entry_array_is_one_number():
    assert judge_output(actual=np.array([2.5]), expected=2.5, name="loss", rtol=1e-9,
                        atol=0).fraction == 1


def test_non_numeric_outputs_are_compared_for_equality():
    assert judge_output(actual=["a", "b"], expected=["a", "b"], name="w", rtol=0,
                        atol=0).fraction == 1
    wrong = judge_output(actual="c", expected="a", name="w", rtol=0, atol=0)
    assert wrong.mistake == "wrong_values" and "'c', expected 'a'" in wrong.message


@pytest.mark.parametrize("output, value, phrase", [
    ({"index": 2}, (1, 2), "has 2 element(s)"),
    ({"index": 0}, np.zeros(3), "should be a tuple"),
    ({"key": "W"}, {"b": 1}, "has no key 'W'"),
    ({"each": 0}, np.zeros(3), "should be a list of tuples"),
    ({"each": 1}, [(1, 2), (3,)], "item 1 is a tuple"),
])
def test_picking_an_element_that_is_not_there_says_why(output, value, phrase):
    full = {"of": "returned", "name": "", "attribute": "", "index": -1, "key": "", **output}
    with pytest.raises(LookupError, match=phrase.replace("(", r"\(").replace(")", r"\)")):
        pick(full, value)


def test_each_takes_one_element_of_every_item():
    full = {"of": "returned", "name": "", "attribute": "", "index": -1, "key": "", "each": 1}
    assert pick(full, [(1, 2), (3, 4)]) == [2, 4]


class _Model:
    def __init__(self, size):
        self.W = np.ones(size)

    def scale(self, x):
        x *= 2.0
        return self.W * x


REFERENCE = SimpleNamespace(Model=_Model, scale=lambda model, x: model.scale(x))


def _call(**params):
    base = {"function": "$m.scale", "reference": "scale",
            "inputs": {"n": {"constant": 3}, "x": {"array": [1, 2, 3]}},
            "setup": [{"call": "Model", "reference": "Model", "args": ["n"], "store": "m"}],
            "args": ["x"]}
    return Call(validated(SCHEMA, {**base, **params}), "hidden")


def test_the_reference_side_selects_returned_changed_and_stored_values_without_touching_inputs():
    call = _call()
    values = call.draw(1, REFERENCE)
    returned, space = call.call_reference(REFERENCE, values)
    function = call.params["function"]
    out = {"of": "returned", "name": "", "attribute": "", "index": -1, "key": ""}
    assert np.array_equal(select(out, returned, space, function), [2, 4, 6])
    changed = {**out, "of": "argument", "name": "x"}
    assert np.array_equal(select(changed, returned, space, function), [2, 4, 6])
    stored = {**out, "of": "object", "attribute": "W"}
    assert np.array_equal(select(stored, returned, space, function), [1, 1, 1])
    assert np.array_equal(values["x"], [1, 2, 3])


def test_kernel_ops_put_the_inputs_run_setup_then_call_with_handles():
    call = _call()
    ops = call.kernel_ops(call.draw(1, REFERENCE), store="nng_out_hidden")
    assert [op["op"] for op in ops] == ["put", "put", "call", "call"]
    assert ops[2]["target"] == "Model" and ops[2]["store"] == "nng_m_hidden"
    assert ops[3]["target"] == "$nng_m_hidden.scale"
    assert ops[3]["args"] == [{"$ref": "$nng_x_hidden"}]


REFERENCE_PY = "def sigmoid(x):\n    return x\n\n\ndef sigmoid_flipped(x):\n    return x\n"


def _spec(tmp_path, monkeypatch, params):
    monkeypatch.setenv("NNGRADER_REFERENCES", str(tmp_path / "refs"))
    (tmp_path / "refs" / "demo").mkdir(parents=True)
    (tmp_path / "refs" / "demo" / "reference.py").write_text(REFERENCE_PY)
    folder = tmp_path / "demo"
    folder.mkdir()
    check = {"id": "c", "kind": "call", "marks": 1, "params": params}
    doc = {"id": "demo", "title": "Demo", "questions": [{"id": "1", "title": "Q", "parts": [
        {"id": "1a", "title": "t", "marks": 1, "checks": [check]}]}]}
    (folder / "spec.yaml").write_text(yaml.safe_dump(doc))
    return folder / "spec.yaml"


GOOD = {"function": "sigmoid", "reference": "sigmoid", "inputs": {"x": {"normal": [3]}},
        "mistakes": {"sigmoid_flipped": "exp(-x)"}}


def test_a_good_call_spec_loads(tmp_path, monkeypatch):
    spec = load_spec(_spec(tmp_path, monkeypatch, GOOD))
    assert spec.part("1a").checks[0].kind == "call"


@pytest.mark.parametrize("change, key, phrase", [
    ({"refernce": "sigmoid"}, "params.refernce", "did you mean 'reference'?"),
    ({"reference": "sigmod"}, "params.reference", "did you mean 'sigmoid'?"),
    ({"mistakes": {"sigmoid_fliped": "x"}}, "params.mistakes.sigmoid_fliped",
     "did you mean 'sigmoid_flipped'?"),
    ({"inputs": {"x": {"normla": [3]}}}, "params.inputs.x.normla", "did you mean 'normal'?"),
    ({"output": {"of": "retruned"}}, "params.output.of", "did you mean 'returned'?"),
    ({"output": {"of": "argument", "name": "y"}}, "params.output.name", "not an input"),
    ({"args": ["z"]}, "params.args[0]", "not an input or a setup store"),
    ({"function": "$net.forward"}, "params.function", "names no setup store"),
    ({"rtol": "small"}, "params.rtol", "finite number"),
    ({"setup": [{"call": "Net", "reference": "sigmoid", "store": "n",
                 "attributes": {"W": "w"}}]}, "params.setup[0].attributes", "'w' is not an input"),
    ({"setup": [{"call": "$n.fit", "reference": "sigmoid"}]}, "params.setup[0].call",
     "names no earlier setup store"),
    ({"setup": [{"cal": "Net", "reference": "sigmoid"}]}, "params.setup[0].cal",
     "did you mean 'call'?"),
])
def test_a_call_spec_with_a_typo_fails_at_load_naming_file_key_and_fix(
        tmp_path, monkeypatch, change, key, phrase):
    path = _spec(tmp_path, monkeypatch, {**GOOD, **change})
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    assert caught.value.key_path == f"questions[0].parts[0].checks[0].{key}"
    assert phrase in str(caught.value)
    assert str(path) in str(caught.value)


class _FakeKernel:
    """Stands in for CheckContext's kernel side: answers every call with (1.5, [2, 3])."""

    def __init__(self):
        self.requests = []
        self.shared = {}

    def once(self, key, compute):
        if key not in self.shared:
            self.shared[key] = compute()
        return self.shared[key]

    def request(self, helpers, ops, doing):
        self.requests.append(ops)
        return [None] * (len(ops) - 1) + [(1.5, np.array([2.0, 3.0]))], None


def test_checks_reading_elements_of_one_call_share_one_kernel_request():
    from graders.checks.call import fetch_output

    call = Call(validated(SCHEMA, {"function": "f", "reference": "f",
                                   "inputs": {"x": {"normal": [2]}}}), "hidden")
    fake = _FakeKernel()
    values = call.draw(1, None)
    out = {"of": "returned", "name": "", "attribute": "", "key": ""}
    first = fetch_output(fake, call, values, {**out, "index": 0}, "call f")
    second = fetch_output(fake, call, values, {**out, "index": 1}, "call f")
    assert first.value == 1.5 and np.array_equal(second.value, [2.0, 3.0])
    assert len(fake.requests) == 1
