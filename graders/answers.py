"""Numbers a student wrote as answers, found where they wrote them, each with its label.

A worked-by-hand question (the gates of a recurrent cell for three inputs, say) is answered in
many ways: a variable the handout names, a code cell that prints `ft 0.9820 it 0.0110 ...`, a
tuple printed by `print(lstm(x))`, a Markdown cell with `$$f_t = 0.9820$$`, a table with a column
per gate. This module reads all of them, as text, and keeps a number only when it is attached to
one of the labels the spec names (a synonym of it), and only for the input it belongs to. Every
number carries where it was read (cell, kind of place, line) for the report.

Pure functions: nothing here runs code or talks to a kernel.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# ----------------------------------------------------------------------------- data


@dataclass(frozen=True)
class InputMarker:
    """How the text names one input: its names ("i", "1") and the vector it is, if any."""

    names: tuple[str, ...] = ()
    vector: tuple[float, ...] = ()


@dataclass(frozen=True)
class Vocabulary:
    """The labels (canonical name -> synonyms, in answer order) and the inputs, by id."""

    labels: Mapping[str, tuple[str, ...]]
    inputs: Mapping[str, InputMarker] = field(default_factory=dict)

    def synonyms(self) -> list[tuple[str, str]]:
        """(synonym, canonical), longest first so 'forget gate' wins over 'f'."""
        pairs = [(s, c) for c, names in self.labels.items() for s in {c, *names}]
        return sorted(pairs, key=lambda p: -len(p[0]))


@dataclass(frozen=True)
class Where:
    """A place in the notebook: `cell` counts all cells from 1, `code_cell` code cells only."""

    place: str  # "variable", "output", "saved output", "markdown", "table", "printed table"
    cell: int = 0
    code_cell: int = 0
    line: int = 0
    name: str = ""  # for place "variable": the variable and the keys within it

    def describe(self) -> str:
        if self.place == "variable":
            return f"variable {self.name}"
        if self.code_cell:
            cell = f"code cell {self.code_cell} (cell {self.cell} of the notebook)"
        else:
            cell = f"Markdown cell {self.cell}"
        kind = {"output": "printed output", "saved output": "saved output (not rerun)",
                "markdown": "text", "table": "table", "printed table": "printed table",
                "code": "code"}
        return f"{cell}, {kind.get(self.place, self.place)}, line {self.line}"


@dataclass(frozen=True)
class Found:
    """One number attached to a label, for an input (None when nothing said which)."""

    label: str
    value: float
    input: str | None
    where: Where
    text: str = ""  # the line it was read from, shortened

    @property
    def order(self) -> tuple[int, int, int]:
        return (self.where.cell, 1 if "output" in self.where.place else 0, self.where.line)


@dataclass(frozen=True)
class CellText:
    """One cell as text: its source and (code cells) the output it printed, from the grader's run
    (place "output") or, when the code did not run here, as saved in the notebook."""

    cell: int  # 1-based among all cells
    kind: str  # "code" or "markdown"
    source: str
    code_cell: int = 0
    output: str = ""
    output_place: str = "output"


# ----------------------------------------------------------------------------- numbers

_NUM = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_WRAPPED = re.compile(
    r"(?P<call>(?:np\.|numpy\.|torch\.)?(?:array|tensor|float(?:32|64)?)\s*\(\s*)?"
    r"(?P<open>\[*)\s*(?P<num>" + _NUM + r")(?P<close>(?:\s*\])*)"
    r"(?P<extra>\s*,\s*(?:dtype|grad_fn|requires_grad|device)\s*=\s*[^)]*)?"
    r"(?:\s*(?P<shut>\)))?")
# What may follow a number that is a whole answer: nothing, punctuation, words, a bracket.
_CLEAN_TAIL = re.compile(r"^(?:\s*$|\s*[,;:.!?)\]|]|\s+[A-Za-z(\[]|\s+-?\d|\.\.\.)")
_OPERATOR_TAIL = re.compile(r"^\s*(?:[*/+^×·=]|-\s|−\s|\\cdot|\\times|\\odot|"
                            r"(?:tanh|sigma|sigmoid|exp|log|σ)\b)")


def leading_number(text: str) -> float | None:
    """The number `text` starts with when it is a whole answer (`0.98`, `array([0.98])`,
    `tensor(0.98, dtype=...)`), not the start of a sum, a product or a longer list."""
    match = _WRAPPED.match(text.lstrip())
    if not match:
        return None
    if match["close"].count("]") < len(match["open"]):
        return None
    if match["call"] and not match["shut"]:
        return None
    rest = text.lstrip()[match.end():]
    if not match["call"] and match["shut"]:
        rest = ")" + rest
    if _OPERATOR_TAIL.match(rest) or not _CLEAN_TAIL.match(rest):
        return None
    if rest.lstrip().startswith(",") and re.match(r"\s*,\s*" + _NUM, rest):
        return None  # the first of several numbers
    value = float(match["num"])
    return value if math.isfinite(value) else None


def numbers_only(text: str) -> list[float] | None:
    """The numbers of a line that holds nothing else (a printed tuple such as
    `(array([-0.0191]), tensor(-0.0001))`), or None."""
    stripped = re.sub(r"(?:np\.|numpy\.|torch\.)?(?:array|tensor|float(?:32|64)?)\s*\(", "(",
                      text)
    stripped = re.sub(r",\s*(?:dtype|grad_fn|requires_grad|device)\s*=\s*[^),]*", "", stripped)
    found = [float(m) for m in re.findall(_NUM, stripped)]
    rest = re.sub(_NUM, " ", stripped)
    if not found or re.search(r"[^\s()\[\],;]", rest):
        return None
    return found if all(math.isfinite(v) for v in found) else None


def as_number(value: Any) -> float | None:
    """A float from a value a kernel sent: 0.98, np.float64, a one-element array, '0.98'."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, list | tuple) and len(value) == 1:
        return as_number(value[0])
    if hasattr(value, "size") and hasattr(value, "ravel"):
        return as_number(value.ravel().tolist()[0]) if value.size == 1 else None
    if not isinstance(value, int | float | str) and not hasattr(value, "__float__"):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


# ----------------------------------------------------------------------------- text

_LATEX_WORDS = re.compile(r"\\(?:mathbf|mathrm|boldsymbol|textbf|textit|text|mathit|bf|bm|"
                          r"operatorname|left|right|displaystyle)\b\s*")
_TILDE = re.compile(r"\\(?:tilde|widetilde|hat)\s*\{?\s*([A-Za-z])\s*\}?|([A-Za-z])\u0303")
_TIMES_TEN = re.compile(r"(" + _NUM + r")\s*(?:\\times|\\cdot|×|\*|x)\s*10\s*\^\s*\{?\s*"
                        r"([-+−]?\d+)\s*\}?")


def normalise(line: str) -> str:
    """Markdown and LaTeX markup taken off a line, so labels and numbers read as plain text:
    `**$f_{t}$** $\\approx 1.2 \\times 10^{-4}$` -> `f_t ≈ 1.2e-4`. A candidate such as
    `\\tilde{C}_t` becomes `Ctilde_t`, which no label of C_t matches."""
    text = line.replace("−", "-").replace("\u2009", " ")
    text = _TILDE.sub(lambda m: (m[1] or m[2]) + "tilde", text)
    text = _TIMES_TEN.sub(lambda m: f"{m[1]}e{m[2].replace('−', '-')}", text)
    text = _LATEX_WORDS.sub("", text)
    text = re.sub(r"\\(?:approx|simeq|sim|equiv|to|rightarrow|Rightarrow)\b", "≈", text)
    text = re.sub(r"\\(?:quad|qquad|,|;|:|!| )", " ", text)
    text = re.sub(r"\\begin\{[a-z*]+\}|\\end\{[a-z*]+\}|\\\(|\\\)|\\\[|\\\]", " ", text)
    text = re.sub(r"\\(?:sigma|tanh)\b", lambda m: m[0][1:] + " ", text)
    text = re.sub(r"\\(?:odot|cdot|times|ast)\b|[×·⊙]", " * ", text)
    text = re.sub(r"_\{\s*([A-Za-z0-9]+)\s*\}", r"_\1", text)
    text = re.sub(r"\^\{\s*\(([^)]*)\)\s*\}", r" (\1)", text)  # f_t^{(ii)} -> f_t (ii)
    text = text.replace("**", "").replace("__", "").replace("`", "").replace("$", " ")
    text = text.replace("&", " ").replace("{", "").replace("}", "")
    return text


def _latex_lines(text: str) -> list[tuple[int, str]]:
    """(line number, line) with LaTeX line breaks (`\\\\`) splitting a source line."""
    lines = []
    for number, line in enumerate(text.splitlines(), start=1):
        for piece in re.split(r"\\\\(?![a-zA-Z])", line):
            lines.append((number, piece))
    return lines


@dataclass(frozen=True)
class _Hit:
    start: int
    end: int
    key: str  # a canonical label, or an input id for markers


def _label_pattern(synonym: str) -> str:
    words = r"\s+".join(re.escape(w) for w in synonym.split())
    return r"(?<![\w\\])" + words + r"(?![\w{(^'])(?!-1(?![\d.]))"


class _Reader:
    """Finds labels and input markers in normalised lines."""

    def __init__(self, vocab: Vocabulary, aliases: Mapping[str, str] | None = None) -> None:
        self.vocab = vocab
        self.labels = [(re.compile(_label_pattern(s), re.IGNORECASE), c)
                       for s, c in vocab.synonyms()]
        self.markers: list[tuple[re.Pattern[str], str]] = []
        for ident, marker in vocab.inputs.items():
            for name in {ident, *marker.names}:
                n = re.escape(name)
                self.markers.append((re.compile(
                    r"(?i)\b(?:input|case|part|example)\s*[#:]?\s*\(?" + n
                    + r"(?![\w])\)?"), ident))
                self.markers.append((re.compile(r"(?<![\w\\])\(" + n + r"\)"), ident))
                self.markers.append((re.compile(
                    r"^\s*(?:[-*>#]+\s*)*(?:\*\*|__)?\s*\(?" + n + r"[.):](?!\d)"), ident))
        for alias, ident in (aliases or {}).items():
            self.markers.append((re.compile(r"(?<![\w.])" + re.escape(alias) + r"(?!\w)"), ident))

    def labels_in(self, line: str) -> list[_Hit]:
        hits: list[_Hit] = []
        for pattern, canonical in self.labels:
            for m in pattern.finditer(line):
                if not any(h.start < m.end() and m.start() < h.end for h in hits):
                    hits.append(_Hit(m.start(), m.end(), canonical))
        return sorted(hits, key=lambda h: h.start)

    def markers_in(self, line: str) -> list[_Hit]:
        hits = [_Hit(m.start(), m.end(), ident) for pattern, ident in self.markers
                for m in pattern.finditer(line)]
        hits += self._vectors_in(line)
        return sorted(hits, key=lambda h: h.start)

    def _vectors_in(self, line: str) -> list[_Hit]:
        hits = []
        spans = [m for pattern in (r"\[([^\[\]]*)\]", r"\(([^()]*,[^()]*)\)",
                                   r"bmatrix([^\n]*?)bmatrix") for m in re.finditer(pattern, line)]
        for m in spans:
            inner = m[1]
            if re.search(r"[^\d\s,.+\-eE\\]", inner or ""):
                continue
            values = [float(v) for v in re.findall(_NUM, inner or "")]
            for ident, marker in self.vocab.inputs.items():
                n = len(marker.vector)
                if n and len(values) in (n, n + 1) and all(
                        abs(a - b) < 1e-9 for a, b in zip(values[-n:], marker.vector,
                                                           strict=True)):
                    hits.append(_Hit(m.start(), m.end(), ident))
        return hits

    def is_label(self, text: str) -> str | None:
        """The canonical label a whole table cell or header names, else None."""
        cell = normalise(text).strip().strip(":*").strip()
        cell = re.sub(r"\s*\(.*\)\s*$", "", cell) or cell  # "f_t (forget)" -> "f_t"
        for pattern, canonical in self.labels:
            m = pattern.match(cell)
            if m and m.end() == len(cell):
                return canonical
        return None

    def is_input(self, text: str) -> str | None:
        cell = normalise(text).strip()
        for ident, marker in self.vocab.inputs.items():
            if cell.lower().strip("().: ") in {ident.lower(), *(n.lower() for n in marker.names)}:
                return ident
        hits = self.markers_in(cell)
        return hits[0].key if hits and len({h.key for h in hits}) == 1 else None


_SEPARATOR = re.compile(r"\s*(?:=|≈|:(?!=)|->|→|\bis\b(?=\s*[-+.\d]))\s*")


def _value_after(segment: str, reader: _Reader) -> tuple[float | None, str | None]:
    """The number a label's segment assigns to it (the last whole number of an `=` chain, or a
    number right after the label), and an input marker written between them (`f_t (ii) = ..`)."""
    parts = _SEPARATOR.split(segment)
    head = parts[0].strip()
    marker = None
    markers = reader.markers_in(head)
    if markers:
        marker = markers[-1].key
        head = (head[:markers[0].start] + head[markers[-1].end:]).strip()
    head = re.sub(r"\([^()]*\)", "", head).strip(" \t*`'\"|,()") if len(parts) > 1 \
        else head
    if len(parts) == 1:
        return leading_number(head.lstrip("*`'\"|")), marker
    if head:
        return None, marker
    for part in reversed(parts[1:]):
        value = leading_number(part)
        if value is not None:
            return value, marker
    return None, marker


# ----------------------------------------------------------------------------- scanning


class _Scan:
    """Walks the notebook's text in order, keeping track of which input is being answered."""

    def __init__(self, vocab: Vocabulary, cells: Sequence[CellText]) -> None:
        self.vocab = vocab
        self.aliases = _vector_variables(cells, vocab)
        self.reader = _Reader(vocab)
        self.code_reader = _Reader(vocab, self.aliases)
        self.returns = _returned_labels(cells, self.reader)
        self.context: str | None = None
        self.found: list[Found] = []

    def run(self, cells: Sequence[CellText]) -> list[Found]:
        for cell in cells:
            if cell.kind == "markdown":
                self.text(cell.source, Where("markdown", cell.cell), table_place="table")
            elif cell.kind == "code" and cell.output.strip():
                self.output(cell)
        return self.found

    def add(self, label: str, value: float, input_id: str | None, where: Where,
            text: str) -> None:
        if input_id is None and len(self.vocab.inputs) == 1:
            input_id = next(iter(self.vocab.inputs))
        self.found.append(Found(label, value, input_id, where, text.strip()[:100]))

    def text(self, text: str, where: Where, *, table_place: str,
             records: list[str | None] | None = None,
             signatures: list[list[str]] | None = None) -> None:
        """Scan lines: tables as grids, other lines label by label. `records` (inputs in the
        order the code names them) split an output without markers into one record per input;
        `signatures` give labels to lines that print bare numbers."""
        lines = _latex_lines(text) if where.place in ("markdown",) else list(
            enumerate(text.splitlines(), start=1))
        record = -1
        seen: set[str] = set()
        index = 0
        continued = ""
        while index < len(lines):
            number, raw = lines[index]
            grid = _grid_at(lines, index, self.reader)
            if grid is not None:
                rows, used = grid
                self.grid(rows, Where(table_place, where.cell, where.code_cell, number))
                index += used
                continue
            index += 1
            line = normalise(raw)
            if continued and re.match(r"\s*[=≈]", line) and not self.reader.labels_in(line):
                line = continued + " " + line  # an aligned equation's next line
            at = Where(where.place, where.cell, where.code_cell, number)
            markers = self.reader.markers_in(line)
            labels = self.reader.labels_in(line)
            if records is not None and not markers:
                record, seen = self._next_record(line, labels, signatures, record, seen)
                self.context = records[record] if 0 <= record < len(records) else None
            start_context = self.context
            for group, segment_end in _groups(labels, line):
                segment = line[group[-1].end:segment_end]
                before = [m for m in markers if m.end <= group[0].start]
                context = before[-1].key if before else start_context
                self.assign(group, segment, context, at, raw)
            if labels and not line[:labels[0].start].strip():
                continued = labels[0].key  # the left-hand side an aligned `&= ...` continues
            elif line.strip() and not re.match(r"\s*[=≈]", line):
                continued = ""
            if markers:
                keys = [m.key for m in markers]
                self.context = keys[-1] if len(set(keys)) == 1 or labels else None
            if not labels and signatures:
                bare = numbers_only(line)
                matching = [s for s in signatures if bare is not None and len(s) == len(bare)]
                if bare is not None and len({tuple(s) for s in matching}) == 1:
                    for label, value in zip(matching[0], bare, strict=True):
                        self.add(label, value, self.context, at, raw)

    def _count_records(self, output: str, signatures: list[list[str]]) -> int:
        record, seen = -1, set[str]()
        for line in output.splitlines():
            text = normalise(line)
            record, seen = self._next_record(text, self.reader.labels_in(text), signatures,
                                             record, seen)
        return record + 1

    @staticmethod
    def _next_record(line: str, labels: list[_Hit], signatures: list[list[str]] | None,
                     record: int, seen: set[str]) -> tuple[int, set[str]]:
        """Which input a line of an output without markers answers: a new record starts when
        a label comes again, or at each line of bare numbers the code labels."""
        fresh = {h.key for h in labels}
        bare = numbers_only(line) if not labels else None
        signed = bare is not None and any(len(s) == len(bare) for s in signatures or [])
        if fresh or signed:
            if record < 0 or fresh & seen or signed:
                record, seen = record + 1, set()
            seen = seen | fresh
        return record, seen

    def assign(self, group: list[_Hit], segment: str, context: str | None, at: Where,
               raw: str) -> None:
        if len(group) == 1:
            value, marker = _value_after(segment, self.reader)
            if value is not None:
                self.add(group[0].key, value, marker or context, at, raw)
            return
        head = _SEPARATOR.split(segment, maxsplit=1)
        values = numbers_only(head[-1].strip().rstrip(".")) if head else None
        if values is not None and len(values) == len(group):
            for hit, value in zip(group, values, strict=True):
                self.add(hit.key, value, context, at, raw)

    def grid(self, rows: list[list[str]], where: Where) -> None:
        """A table: each number takes its label and input from its column header and row head
        (gates across and inputs down, or inputs across and gates down)."""
        tops = rows[0]
        inputs_across = all(self.reader.is_input(t) for t in tops[1:] if t.strip())
        extra = 1 if where.place == "table" else 0
        for offset, row in enumerate(rows[1:], start=1):
            head = row[0] if row else ""
            for col, cell in enumerate(row[1:], start=1):
                top = tops[col] if col < len(tops) else ""
                if inputs_across:
                    label, input_id = self.reader.is_label(head), self.reader.is_input(top)
                elif self.reader.is_label(top):
                    label, input_id = self.reader.is_label(top), self.reader.is_input(head)
                else:
                    label, input_id = self.reader.is_label(head), None
                value = leading_number(normalise(cell).strip())
                if label and value is not None:
                    self.add(label, value, input_id or self.context,
                             Where(where.place, where.cell, where.code_cell,
                                   where.line + offset + extra), " | ".join(row))

    def output(self, cell: CellText) -> None:
        source_markers = _ordered_inputs(self.code_reader.markers_in(cell.source))
        if len(source_markers) == 1:
            self.context = source_markers[0]
        records: list[str | None] | None = None
        signatures = _print_signatures(cell.source, self.reader, self.returns)
        if len(source_markers) > 1:
            self.context = None
            if not self.reader.markers_in(normalise(cell.output)) and self._count_records(
                    cell.output, signatures) == len(source_markers):
                records = list(source_markers)
        self.text(cell.output, Where(cell.output_place, cell.cell, cell.code_cell),
                  table_place="printed table", records=records, signatures=signatures)
        if len(source_markers) > 1:
            self.context = None


def _ordered_inputs(hits: list[_Hit]) -> list[str]:
    order: list[str] = []
    for hit in hits:
        if hit.key not in order:
            order.append(hit.key)
    return order


def _groups(labels: list[_Hit], line: str) -> Iterable[tuple[list[_Hit], int]]:
    """Labels grouped when written as a list (`C_t, h_t = ...`, `(C_t, h_t): ...`); the same
    label twice in a row (`forget gate f_t`) counts once. Yields (group, end of its segment)."""
    groups: list[list[_Hit]] = []
    for hit in labels:
        if groups:
            between = line[groups[-1][-1].end:hit.start]
            last = groups[-1][-1]
            if last.key == hit.key and re.fullmatch(r"[\s(]*", between):
                groups[-1][-1] = _Hit(last.start, hit.end, hit.key)
                continue
            if re.fullmatch(r"\s*(?:,|and)\s*", between):
                groups[-1].append(hit)
                continue
        groups.append([hit])
    for i, group in enumerate(groups):
        end = groups[i + 1][0].start if i + 1 < len(groups) else len(line)
        yield group, end


def _split_row(line: str) -> list[str]:
    inner = line.strip()
    inner = inner[1:] if inner.startswith("|") else inner
    inner = inner[:-1] if inner.endswith("|") else inner
    return [c.strip() for c in inner.split("|")]


def _grid_at(lines: list[tuple[int, str]], index: int,
             reader: _Reader) -> tuple[list[list[str]], int] | None:
    """A table starting at lines[index]: a Markdown table (header, `|---|`, rows) or a printed
    grid (a header of labels or inputs only, then rows of a head and numbers). Returns (rows,
    lines used) or None."""
    first = lines[index][1]
    if "|" in first and index + 1 < len(lines) and re.fullmatch(
            r"\s*\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?\s*", lines[index + 1][1]):
        rows = [_split_row(first)]
        used = 2
        while index + used < len(lines) and "|" in lines[index + used][1]:
            rows.append(_split_row(lines[index + used][1]))
            used += 1
        return rows, used
    words = normalise(first).split()
    if len(words) < 2 or "|" in first:
        return None
    if len(set(words)) < len(words) or not (all(reader.is_input(w) for w in words)
                                            or all(reader.is_label(w) for w in words)):
        return None
    rows = [["", *words]]
    used = 1
    while index + used < len(lines):
        cells = normalise(lines[index + used][1]).split()
        numbers = [leading_number(c) for c in cells]
        if len(cells) == len(words) + 1 and all(n is not None for n in numbers[1:]):
            rows.append(cells)
        elif len(cells) == len(words) and all(n is not None for n in numbers):
            rows.append(["", *cells])
        else:
            break
        used += 1
    return (rows, used) if len(rows) > 1 else None


# ----------------------------------------------------------------------------- code sources


def _parse(source: str) -> ast.Module | None:
    lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    try:
        return ast.parse("\n".join(lines))
    except SyntaxError:
        return None


def _name_of(node: ast.AST) -> str | None:
    """The name an expression stands for: `C_t`, `self.C_t`, `float(C_t)`, `C_t.item()`,
    `np.round(C_t, 4)`, `C_t[0]`."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Subscript):
        return _name_of(node.value)
    if isinstance(node, ast.Call):
        if isinstance(node.func, ast.Attribute) and node.func.attr in ("item", "squeeze",
                                                                         "numpy", "tolist"):
            return _name_of(node.func.value)
        if node.args:
            return _name_of(node.args[0])
    return None


def _labels_of(nodes: Sequence[ast.expr], reader: _Reader,
               returns: Mapping[str, list[str]]) -> list[str] | None:
    if len(nodes) == 1 and isinstance(nodes[0], ast.Tuple | ast.List):
        nodes = nodes[0].elts
    if len(nodes) == 1 and isinstance(nodes[0], ast.Call):
        func = nodes[0].func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        if name in returns:
            return returns[name]
    labels = []
    for node in nodes:
        name = _name_of(node)
        label = reader.is_label(name) if name else None
        if label is None:
            return None
        labels.append(label)
    return labels or None


def _returned_labels(cells: Sequence[CellText], reader: _Reader) -> dict[str, list[str]]:
    """Functions whose `return` is a tuple of labelled names: `return C_t, h_t`."""
    found: dict[str, list[str]] = {}
    for cell in cells:
        tree = _parse(cell.source) if cell.kind == "code" else None
        for node in ast.walk(tree) if tree else ():
            if isinstance(node, ast.FunctionDef):
                for inner in ast.walk(node):
                    if isinstance(inner, ast.Return) and isinstance(inner.value, ast.Tuple):
                        labels = _labels_of([inner.value], reader, {})
                        if labels:
                            found[node.name] = labels
    return found


def _print_signatures(source: str, reader: _Reader,
                      returns: Mapping[str, list[str]]) -> list[list[str]]:
    """The labels, in order, of what a cell prints without words: `print(C_t, h_t)`,
    `print((C_t, h_t))`, `print(lstm(x))` for a function returning `C_t, h_t`, and a last line
    that is such an expression."""
    tree = _parse(source)
    if tree is None:
        return []
    signatures = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id == "print" and node.args:
            labels = _labels_of(node.args, reader, returns)
            if labels:
                signatures.append(labels)
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        labels = _labels_of([tree.body[-1].value], reader, returns)
        if labels:
            signatures.append(labels)
    return signatures


def _vector_variables(cells: Sequence[CellText], vocab: Vocabulary) -> dict[str, str]:
    """Variables the code binds to an input's vector (`x1 = np.array([1, 0, 0])`): where a
    cell uses one, it is computing for that input."""
    reader = _Reader(vocab)
    bound: dict[str, set[str]] = {}
    for cell in cells:
        if cell.kind != "code":
            continue
        for m in re.finditer(r"^\s*([A-Za-z_]\w*)\s*=\s*(.+)$", cell.source, re.MULTILINE):
            hits = reader._vectors_in(m[2])
            if hits:
                bound.setdefault(m[1], set()).update(h.key for h in hits)
    # A name bound to different inputs in turn (`x = ...` in each cell) says nothing by itself.
    return {name: next(iter(keys)) for name, keys in bound.items() if len(keys) == 1}


# ----------------------------------------------------------------------------- public API


def find_in_text(cells: Sequence[CellText], vocab: Vocabulary) -> list[Found]:
    """Every labelled number in the notebook's Markdown and printed output, in notebook order."""
    return _Scan(vocab, cells).run(cells)


def find_in_variable(value: Any, name: str, vocab: Vocabulary) -> list[Found]:
    """Labelled numbers in a variable's value: `{input: {label: number}}`, `{input: (numbers in
    label order)}`, `{label: number}`, or numbers in label order."""
    reader = _Reader(vocab)
    found: list[Found] = []

    def key_of(key: Any) -> tuple[str | None, str | None]:
        text = str(key).strip()
        return reader.is_input(text.strip("().")), reader.is_label(text)

    def walk(item: Any, input_id: str | None, path: str) -> None:
        if isinstance(item, Mapping):
            for key, inner in item.items():
                as_input, as_label = key_of(key)
                where = f"{path}[{key!r}]"
                if as_label and (input_id is not None or not as_input):
                    number = as_number(inner)
                    if number is not None:
                        found.append(Found(as_label, number, input_id,
                                           Where("variable", name=where)))
                elif as_input:
                    walk(inner, as_input, where)
            return
        labels = list(vocab.labels)
        if isinstance(item, list | tuple) and len(item) == len(labels) and len(labels) > 1:
            for index, (label, inner) in enumerate(zip(labels, item, strict=True)):
                number = as_number(inner)
                if number is not None:
                    found.append(Found(label, number, input_id,
                                       Where("variable", name=f"{path}[{index}]")))

    walk(value, None if len(vocab.inputs) != 1 else next(iter(vocab.inputs)), name)
    return found


def choose(found: Sequence[Found], label: str, input_id: str | None) -> Found | None:
    """The answer for (label, input): from the handout's variable when it has one, else the
    last one written in the notebook (students correct themselves further down)."""
    matching = [f for f in found if f.label == label and f.input == input_id]
    if not matching:
        return None
    from_variable = [f for f in matching if f.where.place == "variable"]
    if from_variable:
        return from_variable[0]
    return max(matching, key=lambda f: f.order)


def unplaced(found: Sequence[Found], label: str) -> list[Found]:
    """Numbers for `label` written where nothing said which input they belong to."""
    return [f for f in found if f.label == label and f.input is None]


# ----------------------------------------------------------------------------- vectors


@dataclass(frozen=True)
class FoundVector:
    """A vector (a proposed input, say) written next to its label."""

    values: tuple[float, ...]
    where: Where
    text: str = ""

    @property
    def order(self) -> tuple[int, int, int]:
        return (self.where.cell, 1 if "output" in self.where.place else 0, self.where.line)


_BMATRIX = re.compile(r"\\begin\{[bpv]?matrix\}(.*?)\\end\{[bpv]?matrix\}", re.DOTALL)
_VECTOR = re.compile(r"\s*(?:=|:|≈|\bis\b)\s*(?:(?:np\.|numpy\.|torch\.)?(?:array|tensor|"
                     r"asarray)\s*\(\s*)?[\[(]([^\[\]()]*)[\])]")


def _vector_values(inner: str, size: int, leading: int) -> tuple[float, ...] | None:
    """The entries of `[1, 1, 0]` (or, with `leading`, of `[h0, 1, 1, 0]`, whose first entries
    may be names) as `size` numbers, or None."""
    parts = [p for p in re.split(r"[,\s]+", inner.strip()) if p]
    if len(parts) == size + leading and leading:
        parts = parts[leading:]
    if len(parts) != size:
        return None
    values = [leading_number(p) for p in parts]
    return tuple(v for v in values if v is not None) if None not in values else None


def find_vectors(cells: Sequence[CellText], synonyms: Sequence[str], size: int, *,
                 long_synonyms: Sequence[str] = (), leading: int = 0) -> list[FoundVector]:
    """Every `label = [a, b, c]` (also `np.array(...)`, a tuple, a LaTeX matrix) in the cells'
    code, printed output and Markdown; `long_synonyms` name the longer form whose first
    `leading` entries are dropped (`v = [h0, x1, x2, x3]`)."""
    patterns = [(re.compile(_label_pattern(s) + _VECTOR.pattern, re.IGNORECASE), 0)
                for s in synonyms]
    patterns += [(re.compile(_label_pattern(s) + _VECTOR.pattern, re.IGNORECASE), leading)
                 for s in long_synonyms]
    found: list[FoundVector] = []

    def scan(text: str, where: Where) -> None:
        text = _BMATRIX.sub(lambda m: "[" + re.sub(r"\\\\|&", ",", m[1]) + "]", text)
        for number, raw in enumerate(text.splitlines(), start=1):
            line = normalise(raw) if where.place != "code" else raw.split("#", 1)[0]
            for pattern, drop in patterns:
                for m in pattern.finditer(line):
                    values = _vector_values(m[1], size, drop)
                    if values is not None:
                        found.append(FoundVector(values, Where(
                            where.place, where.cell, where.code_cell, number), raw.strip()[:100]))

    for cell in cells:
        if cell.kind == "markdown":
            scan(cell.source, Where("markdown", cell.cell))
        elif cell.kind == "code":
            scan(cell.source, Where("code", cell.cell, cell.code_cell))
            if cell.output.strip():
                scan(cell.output, Where(cell.output_place, cell.cell, cell.code_cell))
    return sorted(found, key=lambda f: f.order)


def vector_in_variable(value: Any, size: int, leading: int = 0) -> tuple[float, ...] | None:
    """A variable's value as `size` numbers (a list, tuple or array; with `leading`, a longer
    one whose first entries are dropped)."""
    entries = value.ravel().tolist() if hasattr(value, "ravel") else value
    if not isinstance(entries, list | tuple):
        return None
    if leading and len(entries) == size + leading:
        entries = list(entries)[leading:]
    numbers = [as_number(v) for v in entries]
    if len(numbers) != size or any(v is None for v in numbers):
        return None
    return tuple(float(v) for v in numbers if v is not None)


def describe_search(cells: Sequence[CellText], variable: str = "",
                    variable_state: str = "") -> str:
    """What was searched, in a sentence for a report that found nothing."""
    ran = sum(1 for c in cells if c.kind == "code" and c.output_place == "output"
              and c.output.strip())
    saved = sum(1 for c in cells if c.kind == "code" and c.output_place == "saved output"
                and c.output.strip())
    markdown = sum(1 for c in cells if c.kind == "markdown")
    tables = sum(1 for c in cells if c.kind == "markdown" and re.search(r"\|\s*:?-{2,}",
                                                                          c.source))
    places = []
    if variable:
        places.append(f"the variable {variable}" + (f" ({variable_state})"
                                                      if variable_state else ""))
    places.append(f"the printed output of {ran} code cell(s) as run by the grader")
    places.append(f"the saved output of {saved} code cell(s) that printed nothing here")
    places.append(f"{markdown} Markdown cell(s), with {tables} table(s), and their LaTeX")
    return "Searched " + ", ".join(places[:-1]) + " and " + places[-1] + "."
