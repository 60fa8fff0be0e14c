import numpy as np
import pytest

from graders.checks.compare import compare_arrays

EXPECTED = np.arange(6, dtype=float).reshape(2, 3) + 1


@pytest.mark.parametrize("actual, problem, phrase", [
    (None, "type", "should be an array of shape (2, 3), but it is None"),
    ("abc", "type", "but it is a str"),
    (np.ones((3, 2)), "shape", "the transpose of the expected shape"),
    (np.ones(6), "shape", "has shape (6,), expected (2, 3)"),
    (np.full((2, 3), np.nan), "nonfinite", "6 NaN or infinite entries"),
    (EXPECTED * 1.1, "values", "6 of 6 entries differ"),
])
def test_mismatch_messages_say_what_is_wrong(actual, problem, phrase):
    result = compare_arrays(actual=actual, expected=EXPECTED, name="grad", rtol=1e-6, atol=1e-9)
    assert not result.ok
    assert result.problem == problem
    assert phrase in result.message


@pytest.mark.parametrize("actual, phrase", [
    (np.nan, "the loss is nan, not a finite number"),
    (np.array([[np.inf]]), "the loss is inf, not a finite number"),
])
def test_a_single_number_that_is_not_finite_is_shown(actual, phrase):
    result = compare_arrays(actual=actual, expected=np.ones((1, 1)) if np.ndim(actual) else
                            np.float64(1.5), name="the loss", rtol=1e-6, atol=1e-9)
    assert (result.ok, result.problem, result.summary) == (False, "nonfinite", phrase)


def test_match_within_tolerance_passes_and_reports_the_largest_difference():
    result = compare_arrays(actual=EXPECTED + 1e-9, expected=EXPECTED, name="g", rtol=1e-6,
                            atol=1e-9)
    assert result.ok
    assert "largest difference" in result.summary


def test_value_mismatch_lists_the_worst_entry_first():
    actual = EXPECTED.copy()
    actual[1, 2] = 100
    result = compare_arrays(actual=actual, expected=EXPECTED, name="g", rtol=1e-6, atol=1e-9)
    first_row = result.table.splitlines()[1]
    assert first_row.split()[0:2] == ["(1,", "2)"]


def test_bias_gradient_as_row_or_vector_is_reshaped_to_the_expected_shape():
    from graders.checks.compare import gradient_array

    expected = np.arange(3.0)
    assert gradient_array(np.arange(3.0).reshape(1, 3), expected).shape == (3,)
    assert gradient_array(np.arange(3.0), expected.reshape(1, 3)).shape == (1, 3)
    assert gradient_array(np.ones((2, 3)), np.ones((3, 2))).shape == (2, 3)  # not a bias


def test_transposed_matrix_is_recognised_but_a_square_one_is_not():
    from graders.checks.compare import is_transposed

    w = np.arange(6.0).reshape(2, 3)
    assert is_transposed(w.T, w, rtol=1e-9, atol=0)
    assert not is_transposed(w.T + 1, w, rtol=1e-9, atol=0)
    square = np.arange(4.0).reshape(2, 2)
    assert not is_transposed(square.T, square, rtol=1e-9, atol=0)


def test_values_near_the_float_limit_are_reported_as_wrong_without_warnings():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = compare_arrays(actual=np.array([1e308, -1e308]), expected=np.array([1e-300, 1.0]),
                                name="g", rtol=1e-6, atol=1e-320)
    assert not result.ok and result.details["mismatched"] == 2
