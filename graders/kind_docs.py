"""The check-kind reference in docs/authoring.md, generated from the registered schemas.

Between two marker lines the document holds one section per generic kind (its summary, its
params table, the mistakes a spec's hints may name), written by `grade docs` and checked by
`grade docs --check` and a unit test, so the reference cannot drift from what the loader accepts.
"""

from __future__ import annotations

import json
from pathlib import Path

from graders.checks import registry
from graders.checks.schema import ListOf, Record, Schema
from graders.errors import GraderError

AUTHORING = Path(__file__).resolve().parents[1] / "docs" / "authoring.md"
BEGIN = "<!-- BEGIN GENERATED KIND REFERENCE (grade docs) -->"
END = "<!-- END GENERATED KIND REFERENCE -->"


class StaleDocsError(GraderError):
    """The document has no markers to write between."""


def params_table(schema: Schema) -> str:
    """A Markdown table of a schema's params: name, type, default (as YAML), meaning."""
    rows = ["| param | type | default | meaning |", "|---|---|---|---|"]
    for p in schema.params:
        default = "required" if p.required else f"`{json.dumps(p.default)}`"
        rows.append(f"| `{p.name}` | {p.type.describe()} | {default} | {p.doc} |")
    return "\n".join(rows)


def _param_rows(kind: registry.CheckKind) -> list[str]:
    rows = [params_table(kind.schema)]
    for param in kind.schema.params:
        if isinstance(param.type, Record):
            rows += ["", f"`{param.name}` is a mapping:", "", params_table(param.type.schema)]
        elif isinstance(param.type, ListOf) and isinstance(param.type.item, Record):
            rows += ["", f"Each `{param.name}` entry:", "",
                     params_table(param.type.item.schema)]
    return rows


def render_kind(kind: registry.CheckKind) -> str:
    """One kind's section: summary, params, mistakes."""
    summary = " ".join(kind.doc.split())
    lines = [f"### `{kind.name}`", "", summary, ""]
    lines += _param_rows(kind)
    if kind.mistakes:
        lines += ["", "Mistakes it reports (keys for `hints`): "
                  + ", ".join(f"`{m}`" for m in sorted(kind.mistakes)) + "."]
    return "\n".join(lines)


def render_reference() -> str:
    """Every registered generic kind, by name."""
    kinds = registry.generic_kinds()
    sections = [render_kind(kinds[name]) for name in sorted(kinds)]
    intro = ("Generated from the schemas the spec loader validates against "
             f"({len(kinds)} generic kinds); do not edit by hand, run `grade docs`.")
    return "\n\n".join([intro, *sections])


def with_reference(text: str, reference: str) -> str:
    """The document with the text between the markers replaced by `reference`."""
    if BEGIN not in text or END not in text or text.index(BEGIN) > text.index(END):
        raise StaleDocsError(f"the document needs the lines {BEGIN!r} and {END!r}, in order")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n\n{reference}\n\n{END}{tail}"


def update_authoring(path: Path = AUTHORING, *, write: bool = True) -> bool:
    """Whether the document's reference was stale; rewrite it when `write`."""
    text = path.read_text(encoding="utf-8")
    fresh = with_reference(text, render_reference())
    if fresh == text:
        return False
    if write:
        path.write_text(fresh, encoding="utf-8")
    return True
