"""A small class's gradebook written directly (no kernel): what `grade batch` leaves in OUT."""

from __future__ import annotations

import base64
import struct
import zlib
from pathlib import Path

from graders.gradebook import Gradebook
from graders.results import CheckResult, GradeReport, PartResult


def _png(width: int = 360, height: int = 200) -> str:
    """A small plot-like PNG (a falling curve), base64 as a notebook stores it."""
    rows = b""
    for y in range(height):
        row = bytearray(b"\x00")
        for x in range(width):
            on_curve = abs(y - int(height * (1 - 0.9 * 0.985 ** x)) + 5) < 2
            row += bytes((30, 80, 200) if on_curve else (255, 255, 255))
        rows += bytes(row)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
           + chunk(b"IEND", b""))
    return base64.b64encode(png).decode()


PNG = _png()

ANSWERS = {
    "alice": "The gradient is $\\frac{\\partial L}{\\partial W} = \\delta x^T$.\n\n"
             "```python\ndef grad(x):\n    return x * 2\n```",
    "bob": "It vanishes because   the derivative of tanh is below one.",
    "carol": "it vanishes because the derivative of TANH is below one!",
    "dave": "<script>window.pwned = 1; alert('x')</script>\n\n"
            "<img src=x onerror=\"window.pwned = 2; alert('y')\">\n\n"
            "$\\text{<img src=x onerror=\"window.pwned = 3\">}$ My real answer.",
}


def report(student: str, answer: str, auto_fraction: float = 1.0) -> GradeReport:
    auto = PartResult("1a", "forward pass", 2.0, checks=(
        CheckResult("shape", "output shape", 1.0, 1.0, message="shape (3, 4) as expected"),
        CheckResult("values", "output values", 1.0, auto_fraction,
                    message="" if auto_fraction == 1 else "largest relative error 0.3"),))
    hand = PartResult("1b", "why the gradient vanishes", 3.0, by_hand=True, answer=answer,
                      figures=(PNG,) if student == "alice" else ())
    essay = PartResult("2a", "discussion", 5.0, by_hand=True, answer=f"Essay by {student}.")
    return GradeReport("demo", "Demo assignment", f"{student}.ipynb", (auto, hand, essay), seed=7)


def write_class(out: Path, answers: dict[str, str] | None = None) -> Path:
    """OUT with gradebook.sqlite holding one graded report per student."""
    book = Gradebook(out)
    try:
        for i, (student, answer) in enumerate(sorted((answers or ANSWERS).items())):
            book.record(student, out / f"{student}.ipynb", f"sha{i}", "spec",
                        report(student, answer, 1.0 if i % 2 == 0 else 0.5), 1.0)
    finally:
        book.close()
    return out


