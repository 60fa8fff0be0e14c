"""Pairs of submissions whose own code is near-identical once names and formatting are
normalised: for an instructor to look at, never an automatic penalty.

A submission's own code is its code cells less every line the handout gave (the starter's
lines). It is parsed, every name the student chose is renamed in order of first use
(`v0, v1, ...`), comments, docstrings and layout disappear with `ast.unparse`, and the token
stream is cut into overlapping 8-token shingles. Two submissions are as similar as the Jaccard
index of their shingle sets.
"""

from __future__ import annotations

import ast
import builtins
import io
import itertools
import tokenize
import zlib
from dataclasses import dataclass
from pathlib import Path

from graders.notebook import read_submission

SHINGLE = 8
MIN_SHINGLES = 20  # less own code than this (e.g. the starter handed back) is not compared
_KEEP = set(dir(builtins)) | {"self", "np", "torch", "nn", "F", "plt"}


@dataclass(frozen=True)
class Pair:
    first: str
    second: str
    similarity: float


def _own_code(path: Path, given: set[str]) -> str:
    try:
        cells = read_submission(path).code_cells
    except Exception:  # noqa: BLE001 - an unreadable file has no code to compare
        return ""
    lines = [line for c in cells for line in c.source.splitlines()
             if line.strip() and line.strip() not in given and not line.lstrip().startswith(
                 ("%", "!"))]
    return "\n".join(lines)


class _Renamer(ast.NodeTransformer):
    def __init__(self) -> None:
        self.names: dict[str, str] = {}

    def _name(self, name: str) -> str:
        if name in _KEEP:
            return name
        return self.names.setdefault(name, f"v{len(self.names)}")

    def visit_Name(self, node: ast.Name) -> ast.AST:
        node.id = self._name(node.id)
        return node

    def visit_arg(self, node: ast.arg) -> ast.AST:
        node.arg = self._name(node.arg)
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        node.name = self._name(node.name)
        self.generic_visit(node)
        return node

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
        node.name = self._name(node.name)
        self.generic_visit(node)
        return node


def _without_docstrings(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) \
                and isinstance(getattr(body[0], "value", None), ast.Constant) \
                and isinstance(body[0].value.value, str):
            body.pop(0)
            if not body:
                body.append(ast.Pass())
    return tree


def normalise(code: str) -> list[str]:
    """The code's tokens with the student's names replaced and layout, comments gone."""
    try:
        tree = _without_docstrings(_Renamer().visit(ast.parse(code)))
        code = ast.unparse(tree)
    except (SyntaxError, ValueError, RecursionError):
        pass  # compare the raw tokens of what does not parse
    tokens = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(code).readline):
            if token.type in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE,
                              tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER):
                continue
            tokens.append(token.string)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        tokens = code.split()
    return tokens


def shingles(tokens: list[str]) -> set[int]:
    return {zlib.crc32("\x1f".join(tokens[i:i + SHINGLE]).encode())
            for i in range(max(0, len(tokens) - SHINGLE + 1))}


def similar_pairs(submissions: dict[str, Path], starter: Path | None,
                  threshold: float = 0.8) -> list[Pair]:
    """Pairs at or above the threshold, most similar first."""
    given: set[str] = set()
    if starter is not None and starter.is_file():
        given = {line.strip() for c in read_submission(starter).code_cells
                 for line in c.source.splitlines() if line.strip()}
    sets = {student: shingles(normalise(_own_code(path, given)))
            for student, path in sorted(submissions.items())}
    sets = {s: v for s, v in sets.items() if len(v) >= MIN_SHINGLES}
    pairs = []
    for (a, sa), (b, sb) in itertools.combinations(sets.items(), 2):
        score = len(sa & sb) / len(sa | sb)
        if score >= threshold:
            pairs.append(Pair(a, b, round(score, 3)))
    return sorted(pairs, key=lambda p: (-p.similarity, p.first, p.second))
