"""Broken specs fail on load with the file, the key path and the fix."""

from pathlib import Path

import pytest
import yaml

from graders.errors import SpecError
from graders.spec import load_assignment, load_spec

GOOD_PART = {"id": "1a", "title": "t", "marks": 2, "needs": ["RNN"],
             "checks": [{"id": "g", "kind": "rnn_bptt.gradient", "marks": 2,
                         "params": {"gradient": "dEdU", "param": "U"}}]}


def _write(tmp_path: Path, doc: dict) -> Path:
    folder = tmp_path / "demo"
    folder.mkdir(exist_ok=True)
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
    (_doc(part={"checks": [{"id": "g", "kind": "rnn_bptt.gradient", "marks": 2}]}),
     "questions[0].parts[0].checks[0].params", "needs param"),
    (_doc(part={"run": "sometimes"}), "questions[0].parts[0].run", "unknown run mode"),
    (_doc(part={"colour": "red"}), "questions[0].parts[0].colour", "unknown key"),
    (_doc(id="other"), "id", "but the folder is 'demo'"),
    (_doc(data=[{"name": "x.txt", "standin": "nothing"}]), "data[0].standin", "unknown stand-in"),
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
