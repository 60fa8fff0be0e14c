"""Only the statements a part needs run: no training, no plots."""

from graders.notebook import Cell
from graders.prune import after_failed_import, names_bound_by_dropped, prune_cells

CLASS_AND_TRAINING = '''import numpy as np
%matplotlib inline
data = np.arange(10)
data.sort()
def helper(x):
    return x + SCALE
SCALE = 2
class Model:
    def forward(self, x):
        return helper(x)
net = Model()
net.Train(data, epochs=15)
for epoch in range(5):
    net.Train(data)
plt.plot(data)
unrelated = expensive()
'''


def _kept(source, needed, skip=("Train", "plot")):
    cells = [Cell(index=0, kind="code", source=source, number=1)]
    pruned = prune_cells(cells, needed, skip)
    return pruned[0].source if pruned else ""


def test_class_keeps_its_helpers_and_their_globals_but_not_training():
    kept = _kept(CLASS_AND_TRAINING, ["Model"])
    assert "class Model" in kept and "def helper" in kept and "SCALE = 2" in kept
    assert "Train" not in kept and "plt.plot" not in kept and "expensive" not in kept


def test_needed_object_keeps_its_construction_but_not_its_training():
    kept = _kept(CLASS_AND_TRAINING, ["net"])
    assert "net = Model()" in kept
    assert "Train" not in kept


def test_mutations_of_needed_data_are_kept():
    kept = _kept(CLASS_AND_TRAINING, ["data"])
    assert "data.sort()" in kept


def test_line_numbers_are_preserved():
    kept = _kept(CLASS_AND_TRAINING, ["Model"])
    original = CLASS_AND_TRAINING.splitlines()
    for number, line in enumerate(kept.splitlines()):
        assert line == "" or line == original[number]


def test_cell_that_does_not_parse_is_left_out():
    assert _kept("def broken(:\n    pass\n", ["broken"]) == ""


SPIRAL_SCRIPT = '''X = make_data()
def score(P, W):
    return P @ W
def train(H=100):
    return fit(X, H)
weights = train()
print(score(X, weights))
shuffle_in_place(X)
'''


def test_statement_using_what_only_a_skipped_call_binds_is_dropped():
    kept = _kept(SPIRAL_SCRIPT, ["train"], skip=("train",))
    assert "X = make_data()" in kept and "def train" in kept
    assert "weights = train()" not in kept and "print(score" not in kept


def test_data_passed_to_a_call_is_kept_but_a_function_passed_is_not_changed():
    kept = _kept(SPIRAL_SCRIPT, ["train"], skip=("train",))
    assert "shuffle_in_place(X)" in kept
    assert "def score" not in kept


def test_a_failed_import_leaves_the_rest_of_its_cell_to_run_with_line_numbers_kept():
    source = "import Network as NN\nimport copy\n%matplotlib inline\nimport numpy as np"
    rest = after_failed_import(source, "No module named 'Network'")
    assert rest == "\nimport copy\n%matplotlib inline\nimport numpy as np"
    assert after_failed_import("from google.colab import drive\ndrive.mount('/x')",
                               "No module named 'google'") == "\ndrive.mount('/x')"
    assert after_failed_import("from util import *\nx = 1",
                               "cannot import name 'tanh' from 'util' (/run/util.py)") \
        == "\nx = 1"


def test_nothing_is_left_to_run_when_the_failed_import_is_last_or_not_top_level():
    assert after_failed_import("import numpy\nimport Network", "No module named 'Network'") is None
    assert after_failed_import("def f():\n    import Network\nf()",
                               "No module named 'Network'") is None
    assert after_failed_import("import numpy", "division by zero") is None


def test_only_names_that_left_out_statements_bind_can_be_repaired_by_a_full_run():
    cells = [Cell(index=0, kind="code", number=1,
                  source="from google.colab import drive\ndrive.mount('/x')"),
             Cell(index=1, kind="code", number=2,
                  source="progress = net_train()\ndef f(x):\n    return x * 2")]
    repairable = names_bound_by_dropped(cells, ["f"])
    assert "progress" in repairable
    assert "drive" not in repairable and "f" not in repairable


def test_a_needed_name_bound_nowhere_keeps_every_class_so_a_model_can_be_found_by_behaviour():
    kept = _kept(CLASS_AND_TRAINING, ["SELUAutoencoder"])
    assert "class Model" in kept and "def helper" in kept
    assert "net = Model()" not in kept and "Train" not in kept


def test_classes_are_not_added_when_every_needed_name_is_bound():
    source = CLASS_AND_TRAINING + "class Other:\n    pass\n"
    kept = _kept(source, ["helper"])
    assert "def helper" in kept and "class Model" not in kept and "class Other" not in kept


def test_an_augmented_assignment_kept_keeps_the_statement_that_starts_its_total():
    source = ("params = {'W': 1.0}\ntotal = 0\nunused = 5\nfor k in list(params):\n"
              "    params[k] += 1\n    total += abs(params[k])\n"
              "def f(z):\n    unused_local = 0\n    unused_local += z\n    return unused_local\n")
    kept = _kept(source, ["params"])
    assert "total = 0" in kept and "total += abs" in kept
    assert "unused = 5" not in kept and "def f" not in kept
