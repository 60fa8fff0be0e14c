"""The input generator vocabulary: seeded float64 draws, sizes by name, kinks avoided, and
every spec mistake refused with its key path and fix."""

from types import SimpleNamespace

import numpy as np
import pytest

from graders.checks import inputs as gen
from graders.checks.schema import Param, ParamError, Schema, SchemaContext

CONTEXT = SchemaContext(frozenset({"make_labels", "pre_activations", "tanh_deriv"}))
SCHEMA = Schema(Param("inputs", gen.INPUTS, {}), Param("sizes", gen.SIZES, {}),
                rules=(gen.inputs_rule(),))


def _validated(inputs, sizes=None):
    return SCHEMA.validate({"inputs": inputs, "sizes": sizes or {}}, "", CONTEXT)


REFERENCE = SimpleNamespace(
    make_labels=lambda x: (x[:, 0] > 0).astype(np.int64),
    pre_activations=lambda values: values["x"] @ values["w"],
    tanh_deriv=lambda a: 1.0 - a ** 2,
)


def _draw(inputs, sizes=None, seed=3, away=None):
    p = _validated(inputs, sizes)
    return gen.draw_inputs(p["inputs"], sizes=p["sizes"], rng=np.random.default_rng(seed),
                           reference=REFERENCE, away_from_kinks=away)


def test_draws_are_float64_shaped_by_size_names_and_repeat_with_the_seed():
    spec = {"x": {"normal": ["n", "d"], "std": 2}, "u": {"uniform": ["d"], "low": 3, "high": 4}}
    first, again = _draw(spec, {"n": 5, "d": 3}), _draw(spec, {"n": 5, "d": 3})
    assert first["x"].shape == (5, 3) and first["x"].dtype == np.float64
    assert np.all((first["u"] >= 3) & (first["u"] < 4))
    assert np.array_equal(first["x"], again["x"])
    assert not np.array_equal(first["x"], _draw(spec, {"n": 5, "d": 3}, seed=4)["x"])


def test_scalar_integers_are_python_ints_and_bounds_may_name_sizes():
    drawn = _draw({"i": {"integers": [], "high": "V"}, "idx": {"integers": [20], "high": 3}},
                  {"V": 7})
    assert isinstance(drawn["i"], int) and 0 <= drawn["i"] < 7
    assert drawn["idx"].dtype == np.int64 and set(drawn["idx"]) <= {0, 1, 2}


def test_one_hot_choice_constant_array_and_reference_inputs():
    drawn = _draw({"x": {"normal": [6, 2]}, "y": {"one_hot": [6, 4]},
                   "w": {"choice": ["a", "b"]}, "words": {"constant": ["a", "b"]},
                   "t": {"array": [[1, 2]]}, "labels": {"reference": "make_labels",
                                                        "args": ["x"]}})
    assert np.array_equal(drawn["y"].sum(axis=1), np.ones(6))
    assert drawn["w"] in ("a", "b") and drawn["words"] == ["a", "b"]
    assert drawn["t"].dtype == np.float64
    assert np.array_equal(drawn["labels"], (drawn["x"][:, 0] > 0).astype(int))


def test_entries_near_a_kink_are_drawn_again():
    drawn = _draw({"x": {"uniform": [2000], "low": -0.01, "high": 0.01, "kinks": [0.0],
                         "margin": 0.005}})
    assert np.min(np.abs(drawn["x"])) >= 0.005


def test_a_reference_function_keeps_derived_values_away_from_kinks():
    spec = {"x": {"normal": [4, 3]}, "w": {"normal": [3, 5]}}
    drawn = _draw(spec, away={"reference": "pre_activations", "margin": 0.05})
    assert np.min(np.abs(drawn["x"] @ drawn["w"])) >= 0.05


def test_keep_away_pushes_out_when_drawing_keeps_landing_on_the_kink():
    values = gen.keep_away(np.zeros(3), kinks=[0.0], margin=0.1, redraw=np.zeros)
    assert np.allclose(np.abs(values), 0.1)


@pytest.mark.parametrize("inputs, sizes, key, phrase", [
    ({"x": {"normall": [3]}}, {}, "inputs.x.normall", "did you mean 'normal'?"),
    ({"x": {"normal": [3], "sdt": 2}}, {}, "inputs.x.sdt", "did you mean 'std'?"),
    ({"x": {"normal": [3], "std": "big"}}, {}, "inputs.x.std", "finite number"),
    ({"x": {"normal": ["n"]}}, {"m": 3}, "inputs.x.normal", "size 'n' is not declared"),
    ({"x": {"integers": [3]}}, {}, "inputs.x.high", "is required"),
    ({"x": {"one_hot": [3]}}, {}, "inputs.x.one_hot", "[rows, classes]"),
    ({"x": {"reference": "make_lables"}}, {}, "inputs.x.reference",
     "did you mean 'make_labels'?"),
    ({"y": {"reference": "make_labels", "args": ["x"]}}, {}, "inputs.y.args[0]",
     "not an input defined before"),
    ({"x": {"normal": [3], "uniform": [3]}}, {}, "inputs.x", "exactly one generator"),
    ({"x": {"integers": [3], "high": 4, "kinks": [0]}}, {}, "inputs.x.kinks",
     "takes no option"),
    ({"x": 3}, {}, "inputs.x", "one generator"),
    ({"f": {"function": "tanh_deriv"}}, {}, "inputs.f.same_as", "is required"),
    ({"f": {"function": "tanh_deriv", "same_as": "tanh_derv"}}, {}, "inputs.f.same_as",
     "did you mean 'tanh_deriv'?"),
    ({"t": {"size": "T"}}, {"L": 3}, "inputs.t.size", "size 'T' is not declared"),
])
def test_a_broken_input_names_its_key_and_the_fix(inputs, sizes, key, phrase):
    with pytest.raises(ParamError) as caught:
        _validated(inputs, sizes)
    assert caught.value.key == key
    assert phrase in str(caught.value)


def test_a_choice_of_words_is_a_list_of_str_and_of_numbers_an_array():
    drawn = _draw({"words": {"choice": ["a", "b", "c"], "shape": [4]},
                   "steps": {"choice": [0.1, 0.2], "shape": [3]}})
    assert isinstance(drawn["words"], list) and all(type(w) is str for w in drawn["words"])
    assert isinstance(drawn["steps"], np.ndarray) and drawn["steps"].shape == (3,)


def test_a_function_input_is_the_notebooks_own_in_the_kernel_and_the_reference_in_the_grader():
    from graders.checks.invocation import kernel_value
    from graders.kernel import Ref

    drawn = _draw({"f": {"function": ["tanh_deriv", "np.tanh"], "same_as": "tanh_deriv"}})
    assert drawn["f"](np.array([0.5])) == pytest.approx([0.75])
    assert kernel_value(drawn["f"]) == Ref.first_of("tanh_deriv", "np.tanh")
    assert gen.copy_inputs(drawn)["f"](np.array([0.0])) == pytest.approx([1.0])


def test_a_size_input_is_the_size_as_a_python_int():
    drawn = _draw({"length": {"size": "T"}, "seq": {"integers": ["T"], "high": 5}}, {"T": 6})
    assert drawn["length"] == 6 and type(drawn["length"]) is int and drawn["seq"].shape == (6,)
