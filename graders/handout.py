"""Master notebook -> student notebook: solution regions become stubs that raise.

A solution region is the lines between `### BEGIN SOLUTION` and `### END SOLUTION` in a code
cell; it is replaced by `raise NotImplementedError()` at the marker's indentation. In a Markdown
cell the region is marked `<!-- BEGIN SOLUTION -->` ... `<!-- END SOLUTION -->` (invisible when
rendered) and becomes a prompt for the student's own answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import nbformat

BEGIN = re.compile(r"^(\s*)### BEGIN SOLUTION\s*$")
END = re.compile(r"^\s*### END SOLUTION\s*$")
MD_BEGIN = re.compile(r"^(\s*)<!--\s*BEGIN SOLUTION\s*-->\s*$")
MD_END = re.compile(r"^\s*<!--\s*END SOLUTION\s*-->\s*$")
MD_PROMPT = "_Write your answer here._"


def _replace_regions(source: str, begin: re.Pattern[str], end: re.Pattern[str],
                     stub: Callable[[str], list[str]]) -> str:
    """Each region from a `begin` line to an `end` line becomes stub(indent of the begin line)."""
    out: list[str] = []
    inside = False
    for line in source.splitlines():
        opened = begin.match(line)
        if opened and not inside:
            inside = True
            out += stub(opened.group(1))
        elif inside and end.match(line):
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"a {begin.pattern!r} line has no matching {end.pattern!r} line")
    return "\n".join(out)


def strip_solutions(source: str) -> str:
    return _replace_regions(source, BEGIN, END, lambda indent: [
        f"{indent}# YOUR CODE HERE", f"{indent}raise NotImplementedError()"])


def strip_markdown_solutions(source: str) -> str:
    return _replace_regions(source, MD_BEGIN, MD_END, lambda indent: [MD_PROMPT])


def build_starter(master: Path) -> nbformat.NotebookNode:
    """The student notebook made from a master notebook (outputs cleared)."""
    nb = nbformat.read(master, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.source = strip_solutions(cell.source)
            cell.outputs = []
            cell.execution_count = None
        elif cell.cell_type == "markdown":
            cell.source = strip_markdown_solutions(cell.source)
    return nb
