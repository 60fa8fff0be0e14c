"""Broken specs fail on load with the file, the key path and the fix."""

from pathlib import Path

import pytest
import yaml

from graders.errors import SpecError
from graders.spec import load_assignment, load_spec

GOOD_PART = {"id": "1a", "title": "t", "marks": 2, "needs": ["RNN"],
             "checks": [{"id": "g", "kind": "demo.gradient", "marks": 2,
                         "params": {"gradient": "dEdU", "param": "U"}}]}

# The demo assignment's own kind, as an instructor writes it in assignments/demo/checks.py.
DEMO_CHECKS = """
from graders.checks.base import Outcome
from graders.checks.registry import register
from graders.checks.schema import Choice, Text


@register("demo.gradient", required=("gradient", "param"),
          types={"gradient": Text(), "param": Text()},
          optional={"property": "partition", "entries": 6, "rtol": 1e-6},
          mistakes=("not_set", "transposed"))
def check_gradient(ctx):
    return Outcome.passed("ok")


@register("demo.sampler", required=("property",),
          types={"property": Choice("partition", "sizes", "differs")})
def check_sampler(ctx):
    return Outcome.passed("ok")
"""


def _write(tmp_path: Path, doc: dict, checks: str = DEMO_CHECKS) -> Path:
    folder = tmp_path / "demo"
    folder.mkdir(exist_ok=True)
    (folder / "checks.py").write_text(checks)
    path = folder / "spec.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def _doc(**changes):
    part = {**GOOD_PART, **changes.pop("part", {})}
    doc = {"id": "demo", "title": "Demo", "questions": [{"id": "1", "title": "Q", "parts": [part]}]}
    doc.update(changes)
    return doc


def test_a_good_spec_loads(tmp_path):
    spec = load_spec(_write(tmp_path, _doc()))
    assert spec.part("1a").checks[0].params["gradient"] == "dEdU"


def test_checks_are_hidden_unless_the_spec_says_public_and_the_public_seed_is_fixed(tmp_path):
    public = {**GOOD_PART["checks"][0], "id": "p", "visibility": "public", "marks": 1}
    hidden = {**GOOD_PART["checks"][0], "marks": 1}
    spec = load_spec(_write(tmp_path, _doc(part={"checks": [public, hidden]})))
    assert [c.visibility for c in spec.part("1a").checks] == ["public", "hidden"]
    assert [c.id for c in spec.part("1a").public_checks] == ["p"]
    again = load_spec(_write(tmp_path, _doc()))
    assert spec.public_seed == again.public_seed > 0
    assert load_spec(_write(tmp_path, _doc(public_seed=7))).public_seed == 7


def test_a_handouts_public_spec_keeps_the_marks_of_its_hidden_checks(tmp_path):
    spec = load_spec(_write(tmp_path, _doc(part={"checks": [], "hidden_marks": 2})))
    assert spec.part("1a").checks == () and spec.part("1a").hidden_marks == 2


@pytest.mark.parametrize("doc, key_path, phrase", [
    (_doc(part={"marks": 3}), "questions[0].parts[0].checks",
     "add up to 2, but the part is worth 3"),
    (_doc(part={"checks": [{"id": "g", "kind": "nope", "marks": 2}]}),
     "questions[0].parts[0].checks[0].kind", "unknown check kind 'nope'"),
    (_doc(part={"checks": [{"id": "g", "kind": "demo.gradient", "marks": 2}]}),
     "questions[0].parts[0].checks[0].params.gradient", "is required but missing"),
    (_doc(part={"checks": [{"id": "g", "kind": "demo.sampler", "marks": 2,
                            "params": {"property": "partiton"}}]}),
     "questions[0].parts[0].checks[0].params.property", "did you mean 'partition'?"),
    (_doc(part={"checks": [{**GOOD_PART["checks"][0],
                            "params": {"gradient": "dEdU", "param": "U", "entires": 3}}]}),
     "questions[0].parts[0].checks[0].params.entires", "did you mean 'entries'?"),
    (_doc(part={"checks": [{**GOOD_PART["checks"][0],
                            "params": {"gradient": "dEdU", "param": "U", "entries": "six"}}]}),
     "questions[0].parts[0].checks[0].params.entries", "must be a whole number"),
    (_doc(part={"checks": [{**GOOD_PART["checks"][0],
                            "params": {"gradient": "dEdU", "param": "U", "rtol": "tight"}}]}),
     "questions[0].parts[0].checks[0].params.rtol", "must be a finite number"),
    (_doc(part={"checks": [{**GOOD_PART["checks"][0], "kind": "demo.gradiant"}]}),
     "questions[0].parts[0].checks[0].kind", "did you mean 'demo.gradient'?"),
    (_doc(part={"run": "sometimes"}), "questions[0].parts[0].run", "unknown run mode"),
    (_doc(part={"colour": "red"}), "questions[0].parts[0].colour", "unknown key"),
    (_doc(id="other"), "id", "but the folder is 'demo'"),
    (_doc(data=[{"name": "x.txt", "standin": "nothing"}]), "data[0].standin", "unknown stand-in"),
    (_doc(part={"checks": [{**GOOD_PART["checks"][0], "hints": {"transposd": "x"}}]}),
     "questions[0].parts[0].checks[0].hints.transposd", "did you mean 'transposed'?"),
    (_doc(part={"checks": [{**GOOD_PART["checks"][0], "hints": {"bogus": "x"}}]}),
     "questions[0].parts[0].checks[0].hints.bogus", "never reports mistake"),
    (_doc(part={"checks": [{**GOOD_PART["checks"][0], "visibility": "secret"}]}),
     "questions[0].parts[0].checks[0].visibility", "unknown visibility"),
    (_doc(locked_cells="ignore"), "locked_cells", "unknown policy"),
    (_doc(part={"marks": float("nan")}), "questions[0].parts[0].marks", "finite number"),
    (_doc(limits={"cell_seconds": float("inf")}), "limits.cell_seconds", "finite number"),
    (_doc(part={"checks": [], "hidden_marks": 1}), "questions[0].parts[0].checks",
     "add up to 1, but the part is worth 2"),
])
def test_broken_spec_names_file_key_path_and_fix(tmp_path, doc, key_path, phrase):
    path = _write(tmp_path, doc)
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    assert caught.value.key_path == key_path
    assert phrase in str(caught.value)
    assert str(path) in str(caught.value)


def test_invalid_yaml_is_reported_with_the_file(tmp_path):
    path = tmp_path / "demo" / "spec.yaml"
    path.parent.mkdir()
    path.write_text("id: [unclosed\n")
    with pytest.raises(SpecError, match="not valid YAML"):
        load_spec(path)


def test_bundled_rnn_spec_has_the_course_marks():
    spec = load_assignment("rnn_bptt")
    marks = {p.id: p.marks for p in spec.parts}
    assert marks == {"2a": 3, "2b": 2, "2c": 4, "2d": 1, "3a": 8, "3b": 2, "3c": 2, "3d": 2}
    assert {p.id for p in spec.parts if p.by_hand} == {"2a", "2b", "2c", "2d"}


def test_an_assignment_cannot_register_a_kind_outside_its_own_name(tmp_path):
    path = _write(tmp_path, _doc(), checks=DEMO_CHECKS.replace('"demo.sampler"', '"other.x"'))
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    assert "registers kind 'other.x'" in str(caught.value)
    assert "'demo.<name>'" in str(caught.value)


def test_a_checks_py_that_fails_to_import_names_the_file_and_the_error(tmp_path):
    path = _write(tmp_path, _doc(), checks="import no_such_module_here\n")
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    assert "checks.py failed to load" in str(caught.value)
    assert "no_such_module_here" in str(caught.value)


def test_assignment_kinds_are_not_visible_to_another_assignment(tmp_path):
    load_spec(_write(tmp_path, _doc()))
    other = tmp_path / "other"
    other.mkdir()
    doc = _doc(id="other")
    (other / "spec.yaml").write_text(yaml.safe_dump(doc))
    with pytest.raises(SpecError) as caught:
        load_spec(other / "spec.yaml")
    assert "unknown check kind 'demo.gradient'" in str(caught.value)
