"""docs/authoring.md's check-kind reference is generated from the registered schemas: a kind, a
param or a mistake added without `grade docs` fails here."""

from __future__ import annotations

import pytest

from graders.checks import registry
from graders.kind_docs import (
    AUTHORING,
    BEGIN,
    END,
    StaleDocsError,
    render_reference,
    update_authoring,
    with_reference,
)


def test_the_kind_reference_in_authoring_md_is_up_to_date():
    assert not update_authoring(AUTHORING, write=False), "run `grade docs` and commit the result"


def test_the_reference_has_every_generic_kind_its_params_and_mistakes():
    text = render_reference()
    for name, kind in registry.generic_kinds().items():
        assert f"### `{name}`" in text
        section = text.split(f"### `{name}`", 1)[1].split("\n### ", 1)[0]
        assert all(f"| `{p}` |" in section for p in kind.schema.names)
        assert all(f"`{m}`" in section for m in kind.mistakes)


def test_only_the_text_between_the_markers_is_rewritten():
    text = f"intro\n{BEGIN}\nold\n{END}\nafter\n"
    assert with_reference(text, "new") == f"intro\n{BEGIN}\n\nnew\n\n{END}\nafter\n"


def test_a_stale_document_is_detected_and_rewritten(tmp_path):
    path = tmp_path / "authoring.md"
    path.write_text(f"# doc\n{BEGIN}\nan old table\n{END}\n")
    assert update_authoring(path, write=False)
    assert "an old table" in path.read_text()
    assert update_authoring(path)
    assert not update_authoring(path, write=False)
    assert "### `distribution`" in path.read_text()


def test_a_document_without_markers_says_which_lines_it_needs(tmp_path):
    path = tmp_path / "authoring.md"
    path.write_text("# doc\n")
    with pytest.raises(StaleDocsError, match="BEGIN GENERATED KIND REFERENCE"):
        update_authoring(path)
