"""Labelled numbers found where students write them: printed output, Markdown, LaTeX, tables,
variables. A number counts only next to its own label and for the input it belongs to."""

from __future__ import annotations

import numpy as np
import pytest

from graders.answers import (
    CellText,
    InputMarker,
    Vocabulary,
    choose,
    describe_search,
    find_in_text,
    find_in_variable,
    find_vectors,
    leading_number,
    normalise,
    numbers_only,
    vector_in_variable,
)

GATES = Vocabulary(
    labels={"f": ("f_t", "ft", "forget gate"), "i": ("i_t", "it", "input gate"),
            "o": ("o_t", "ot", "output gate"), "C": ("C_t", "Ct", "c_t", "cell state"),
            "h": ("h_t", "ht", "hidden state")},
    inputs={"i": InputMarker(("i", "1"), (1.0, 0.0, 0.0)),
            "ii": InputMarker(("ii", "2"), (0.0, 1.0, 0.0)),
            "iii": InputMarker(("iii", "3"), (1.0, 0.0, 1.0))})


def markdown(text: str, cell: int = 1) -> CellText:
    return CellText(cell, "markdown", text)


def code(source: str, output: str, cell: int = 2, number: int = 1,
         place: str = "output") -> CellText:
    return CellText(cell, "code", source, code_cell=number, output=output, output_place=place)


def read(*cells: CellText) -> set[tuple[str | None, str, float]]:
    return {(f.input, f.label, round(f.value, 7)) for f in find_in_text(cells, GATES)}


@pytest.mark.parametrize("text, expected", [
    ("0.9820", 0.982),
    ("0.98 and more words", 0.98),
    ("array([0.98201379])", 0.98201379),
    ("np.float64(0.98)", 0.98),
    ("tensor(0.9820)", 0.982),
    ("tensor([[0.9820]], grad_fn=<SigmoidBackward0>)", 0.982),
    ("tensor(0.9820, dtype=torch.float64)", 0.982),
    ("[0.98]", 0.98),
    ("-1.278e-04", -0.0001278),
    ("0.9933...", 0.9933),
    ("0.98, ", 0.98),
    ("0.98 * -0.02 + 0.011", None),   # the start of a sum is not an answer
    ("0.98 - 0.02", None),
    ("[0.98, 0.01]", None),            # nor the first of several numbers
    ("0.98, 0.01", None),
    ("array([0.98", None),
    ("sigma(4)", None),
])
def test_leading_number_takes_a_whole_answer_only(text, expected):
    assert leading_number(text) == (pytest.approx(expected) if expected is not None else None)


@pytest.mark.parametrize("text, expected", [
    ("(-0.0191, -0.000128)", [-0.0191, -0.000128]),
    ("(array([-0.0191]), array([-0.000128]))", [-0.0191, -0.000128]),
    ("(tensor(-0.0191), tensor([-0.0001], grad_fn=<MulBackward0>))", [-0.0191, -0.0001]),
    ("-0.0191 -0.000128", [-0.0191, -0.000128]),
    ("C = -0.0191", None),
    ("", None),
])
def test_numbers_only_reads_a_bare_printed_tuple(text, expected):
    assert numbers_only(text) == expected


@pytest.mark.parametrize("latex, plain", [
    ("$f_{t} = 0.98$", "f_t = 0.98"),
    ("**$h_t$** $\\approx 1.278 \\times 10^{-4}$", "h_t ≈ 1.278e-4"),
    ("$\\tilde{C}_t = 0.05$", "Ctilde_t = 0.05"),
    ("$\\mathbf{f}_t = 0.98$", "f_t = 0.98"),
    ("$f_t^{(ii)} = 0.018$", "f_t (ii) = 0.018"),
])
def test_normalise_takes_markup_off(latex, plain):
    assert " ".join(normalise(latex).split()) == plain


def test_printed_labels_each_take_their_own_number():
    found = read(code("x = np.array([1, 0, 0])\nprint('ft', f, 'it', i, 'ot', o, 'Ct', C, 'ht', h)",
                      "ft 0.9820 it 0.0110 ot 0.0067 Ct -0.0191 ht -0.000128\n"))
    assert found == {("i", "f", 0.982), ("i", "i", 0.011), ("i", "o", 0.0067),
                     ("i", "C", -0.0191), ("i", "h", -0.000128)}


def test_a_right_number_next_to_the_wrong_gate_belongs_to_that_gate():
    found = read(code("x_t = [0, 1, 0]", "forget gate: 0.989, input gate: 0.018"))
    assert found == {("ii", "f", 0.989), ("ii", "i", 0.018)}


@pytest.mark.parametrize("text", [
    "f_t = 0.98", "ft=0.98", "f_t: 0.98", "ft 0.98", "**f_t** = 0.98", "`ft` = 0.98",
    "f_t = sigma(8*1 - 4) = sigma(4) = 0.98", "$$f_t = \\sigma(4) \\approx 0.98$$",
    "$f_{t} = 0.98$", "\\(f_t = 0.98\\)", "forget gate (f_t) = 0.98", "f_t: array([0.98])",
    "F_t = 0.98", "f_t = 9.8e-1", "f_t = 9.8 \\times 10^{-1}",
])
def test_one_label_one_number_in_many_notations(text):
    assert read(markdown("i. $x_t = [1, 0, 0]$\n" + text)) == {("i", "f", 0.98)}


@pytest.mark.parametrize("text", [
    "f_t = 0.98 * -0.02 + 0.011 * 0.05",      # an expression without its result
    "C_{t-1} = -0.02",                          # the old state is not the new one
    "\\tilde{C}_t = 0.04996",                   # nor is the candidate
    "the forget gate is open, so it is about 0.98",
    "hidden state h_{t-1} = 0.05",
    "f_prev = 0.5", "fts 0.98", "f(x) = 0.98",
])
def test_numbers_not_attached_to_a_label_are_not_answers(text):
    assert read(markdown("i. $x_t = [1, 0, 0]$\n" + text)) == set()


def test_an_aligned_environment_continues_the_label_across_lines():
    found = read(markdown("(iii)\n$$\\begin{aligned} C_t &= f_t C_{t-1} + i_t \\tanh(h_{t-1}) "
                          "\\\\ &= 0.982 \\cdot (-0.02) + 0.011 "
                          "\\cdot 0.05 \\\\ &= -0.01909 \\\\ h_t &= 0.993 \\tanh(-0.01909) "
                          "\\\\ &= -0.01896 \\end{aligned}$$"))
    assert found == {("iii", "C", -0.01909), ("iii", "h", -0.01896)}


def test_three_inputs_printed_in_one_cell_are_told_apart_by_their_headers():
    output = ("Input (i): x = [1, 0, 0]\n  ft 0.9820  it 0.0110\n"
              "Input (ii): x = [0, 1, 0]\n  ft 0.0180  it 0.9890\n"
              "Input (iii): x = [1, 0, 1]\n  ft 0.9820  it 0.0110\n")
    found = read(code("for name, x in inputs.items(): ...", output),
                 markdown("**2(a)** See above.", cell=3))
    assert found == {("i", "f", 0.982), ("i", "i", 0.011), ("ii", "f", 0.018),
                     ("ii", "i", 0.989), ("iii", "f", 0.982), ("iii", "i", 0.011)}


def test_a_loop_over_the_inputs_gives_each_printed_record_the_input_in_code_order():
    source = "for x in ([1, 0, 0], [0, 1, 0], [1, 0, 1]):\n    print(f'ft={f:.4f}, it={i:.4f}')"
    found = read(code(source, "ft=0.9820, it=0.0110\nft=0.0180, it=0.9890\n"
                              "ft=0.9820, it=0.0110\n"))
    assert ("ii", "i", 0.989) in found and ("iii", "f", 0.982) in found and len(found) == 6


def test_a_loop_whose_records_do_not_match_the_inputs_places_nothing():
    source = "for x in ([1, 0, 0], [0, 1, 0], [1, 0, 1]):\n    print(f'ft={f:.4f}')"
    found = find_in_text([code(source, "ft=0.9820\nft=0.0180\n")], GATES)
    assert {f.input for f in found} == {None}


def test_printed_tuples_take_their_labels_from_the_code():
    cells = [code("def lstm(x, h, C):\n    ...\n    return C_t, h_t", "", cell=1, number=1),
             code("x1 = np.array([1, 0, 0])", "", cell=2, number=2),
             code("print(lstm(x1, h0, C0))", "(array([-0.01909]), array([-0.0001278]))",
                  cell=3, number=3),
             code("x = [1, 0, 1]\nC_t, h_t = lstm(x, h0, C0)\n(C_t, h_t)",
                  "(-0.01909, -0.01896)", cell=4, number=4)]
    assert read(*cells) == {("i", "C", -0.01909), ("i", "h", -0.0001278),
                            ("iii", "C", -0.01909), ("iii", "h", -0.01896)}


def test_unlabelled_debug_prints_are_not_answers():
    assert read(code("x = [1, 0, 0]\nprint(sigmoid(4))\nprint(a, b)", "0.9820\n0.1 0.2")) == set()


def test_a_label_list_shares_out_a_tuple_of_numbers():
    found = read(code("x = [1, 0, 1]", "(C_t, h_t) = (tensor([-0.0191]), tensor([-0.0190]))"))
    assert found == {("iii", "C", -0.0191), ("iii", "h", -0.019)}


def test_a_markdown_table_with_a_column_per_gate():
    table = ("| input | $f_t$ | $i_t$ | **o_t** | $C_t$ | $h_t$ |\n|---|:-:|---|---|---|---|\n"
             "| i | 0.982 | 0.011 | 0.0067 | -0.0191 | -1.28e-4 |\n"
             "| iii | 0.982 | 0.011 | 0.993 | -0.0191 | -0.019 |")
    found = read(markdown(table))
    assert ("i", "h", -0.000128) in found and ("iii", "o", 0.993) in found and len(found) == 10


def test_a_markdown_table_with_a_column_per_input_and_a_row_per_gate():
    table = ("| gate | i | ii | iii |\n|:--|--:|--:|--:|\n"
             "| f_t | 0.982 | 0.018 | 0.982 |\n| h_t (output) | -1.28e-4 | 3.3e-4 | -0.019 |")
    assert read(markdown(table)) == {("i", "f", 0.982), ("ii", "f", 0.018), ("iii", "f", 0.982),
                                     ("i", "h", -0.000128), ("ii", "h", 0.00033),
                                     ("iii", "h", -0.019)}


def test_a_printed_data_frame_is_read_as_a_table():
    output = ("       f_t     i_t       h_t\ni   0.9820  0.0110 -0.000128\n"
              "ii  0.0180  0.9890  0.000328\n")
    found = find_in_text([code("df", output)], GATES)
    assert {(f.input, f.label, f.value) for f in found} >= {("ii", "i", 0.989),
                                                            ("i", "h", -0.000128)}
    assert {f.where.place for f in found} == {"printed table"}


def test_every_number_says_where_it_was_read():
    cells = [markdown("# LSTM", cell=1), code("x = [0, 1, 0]", "ft 0.0180\nit 0.9890", cell=2,
                                               number=1, place="saved output")]
    found = {f.label: f for f in find_in_text(cells, GATES)}
    assert found["i"].where.describe() == ("code cell 1 (cell 2 of the notebook), saved output "
                                           "(not rerun), line 2")
    assert found["i"].text == "it 0.9890"


def test_the_last_answer_written_wins_and_the_variable_wins_over_all():
    cells = [code("x = [1, 0, 0]", "ft 0.5", cell=1, number=1),
             markdown("i. $f_t = 0.982$", cell=2)]
    found = find_in_text(cells, GATES)
    assert choose(found, "f", "i").value == 0.982
    found += find_in_variable({"i": {"f": 0.7}}, "answer", GATES)
    picked = choose(found, "f", "i")
    assert picked.value == 0.7 and picked.where.describe() == "variable answer['i']['f']"
    assert choose(found, "f", "ii") is None


@pytest.mark.parametrize("value, expected", [
    ({"i": {"f": 0.98, "C_t": np.array([0.1])}}, {("i", "f", 0.98), ("i", "C", 0.1)}),
    ({"(ii)": (1, 2, 3, 4, 5)}, {("ii", "f", 1), ("ii", "i", 2), ("ii", "o", 3), ("ii", "C", 4),
                                 ("ii", "h", 5)}),
    ({"3": [0.1, 0.2, 0.3, 0.4, 0.5]}, {("iii", "f", 0.1), ("iii", "i", 0.2), ("iii", "o", 0.3),
                                        ("iii", "C", 0.4), ("iii", "h", 0.5)}),
    ({"i": {"f": "n/a", "h": None}}, set()),
    ([1, 2], set()),
])
def test_variables_in_the_handouts_forms(value, expected):
    found = find_in_variable(value, "answer_2a", GATES)
    assert {(f.input, f.label, f.value) for f in found} == expected


def test_the_search_says_what_it_looked_at():
    cells = [markdown("| a | b |\n|---|---|\n| 1 | 2 |"), code("print(1)", "1"),
             code("print(2)", "2", place="saved output")]
    said = describe_search(cells, "answer_2a", "not defined")
    assert said == ("Searched the variable answer_2a (not defined), the printed output of 1 "
                    "code cell(s) as run by the grader, the saved output of 1 code cell(s) that "
                    "printed nothing here and 1 Markdown cell(s), with 1 table(s), and their "
                    "LaTeX.")


def test_a_name_reused_for_each_input_does_not_hide_the_input_each_cell_sets():
    cells = [code(f"x = np.array({x})\nprint(f'ft {{f}}')", f"ft {v}", cell=n, number=n)
             for n, (x, v) in enumerate([([1, 0, 0], 0.98), ([0, 1, 0], 0.018)], start=1)]
    assert read(*cells) == {("i", "f", 0.98), ("ii", "f", 0.018)}


def test_an_aligned_environment_over_several_source_lines():
    found = read(markdown("i.\n$$\\begin{aligned} C_t &= f_t C_{t-1} + i_t \\tanh(h_{t-1}) \\\\\n"
                          "&= 0.982 \\cdot (-0.02) + 0.011 \\cdot 0.05 \\\\\n"
                          "&\\approx -0.0191 \\end{aligned}$$"))
    assert found == {("i", "C", -0.0191)}


@pytest.mark.parametrize("cell, expected", [
    (markdown("Choose $x_t = [1, 1, 0]$."), (1.0, 1.0, 0.0)),
    (markdown("$$x_t = \\begin{bmatrix} 0.5 \\\\ 0.5 \\\\ 1 \\end{bmatrix}$$"), (0.5, 0.5, 1.0)),
    (code("x = np.array([1.0, 1.0, 0.0])  # my choice", ""), (1.0, 1.0, 0.0)),
    (code("v = np.array([h0, 1, 1, 0])", ""), (1.0, 1.0, 0.0)),   # h_{t-1} in front
    (code("print(x)", "x_t = (1, 1, 0)"), (1.0, 1.0, 0.0)),
    (code("x = [1, 1]", ""), None),                                   # not three numbers
    (code("W = [1, 1, 0]", ""), None),                                # not its label
    (code("x = [a, 1, 0]", ""), None),
])
def test_proposed_vectors_are_read_next_to_their_name(cell, expected):
    found = find_vectors([cell], ["x_t", "x"], 3, long_synonyms=["v"], leading=1)
    assert (found[-1].values if found else None) == expected


@pytest.mark.parametrize("value, expected", [
    ([1, 1, 0], (1.0, 1.0, 0.0)), (np.array([0.05, 1, 1, 0]), (1.0, 1.0, 0.0)),
    ("a half", None), ([1, "x", 0], None), ((1, 1), None),
])
def test_a_proposal_in_a_variable(value, expected):
    assert vector_in_variable(value, 3, leading=1) == expected
