"""Master notebook -> student notebook: solution regions become stubs that raise.

A solution region is the lines between `### BEGIN SOLUTION` and `### END SOLUTION` in a code
cell; it is replaced by `raise NotImplementedError()` at the marker's indentation. In a Markdown
cell the region is marked `<!-- BEGIN SOLUTION -->` ... `<!-- END SOLUTION -->` (invisible when
rendered) and becomes a prompt for the student's own answer.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

BEGIN = re.compile(r"^(\s*)### BEGIN SOLUTION\s*$")
END = re.compile(r"^\s*### END SOLUTION\s*$")
MD_BEGIN = re.compile(r"^\s*<!--\s*BEGIN SOLUTION\s*-->\s*$")
MD_END = re.compile(r"^\s*<!--\s*END SOLUTION\s*-->\s*$")
MD_PROMPT = "_Write your answer here._"


def strip_solutions(source: str) -> str:
    out: list[str] = []
    inside = False
    for line in source.splitlines():
        begin = BEGIN.match(line)
        if begin and not inside:
            inside = True
            out.append(f"{begin.group(1)}# YOUR CODE HERE")
            out.append(f"{begin.group(1)}raise NotImplementedError()")
        elif inside and END.match(line):
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError("a '### BEGIN SOLUTION' has no matching '### END SOLUTION'")
    return "\n".join(out)


def strip_markdown_solutions(source: str) -> str:
    out: list[str] = []
    inside = False
    for line in source.splitlines():
        if MD_BEGIN.match(line) and not inside:
            inside = True
            out.append(MD_PROMPT)
        elif inside and MD_END.match(line):
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError("a '<!-- BEGIN SOLUTION -->' has no matching '<!-- END SOLUTION -->'")
    return "\n".join(out)


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


def write_starter(master: Path, target: Path) -> None:
    nbformat.write(build_starter(master), target)
