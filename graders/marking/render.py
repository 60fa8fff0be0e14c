"""Student answers as safe HTML: Markdown with the student's HTML escaped, $LaTeX$ turned into
MathML on the server (nothing fetched from elsewhere), code highlighted by Pygments."""

from __future__ import annotations

import base64
import binascii
import html
import re

from latex2mathml.converter import convert as latex_to_mathml
from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

_FORMATTER = HtmlFormatter(nowrap=True)


def _math(latex: str, options: dict) -> str:
    display = "block" if options.get("display_mode") else "inline"
    try:
        return latex_to_mathml(latex, display=display)
    except Exception:  # noqa: BLE001 - a student's broken LaTeX is shown as they wrote it
        return f"<code class='math-error'>{html.escape(latex)}</code>"


def _highlight(code: str, language: str, _attrs: str) -> str:
    try:
        lexer = get_lexer_by_name(language or "python")
    except ClassNotFound:
        return ""  # markdown-it escapes it as plain code
    return highlight(code, lexer, _FORMATTER)


def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "highlight": _highlight})
    return md.use(dollarmath_plugin, allow_space=True, double_inline=True, renderer=_math)


_MD = _markdown()


def render_answer(text: str) -> str:
    """HTML for an answer: Markdown rendered, raw HTML shown as text, math as MathML."""
    return _MD.render(text) if text.strip() else ""


def highlight_css() -> str:
    return HtmlFormatter().get_style_defs(".answer pre code")


def png_bytes(encoded: str) -> bytes | None:
    """A figure's bytes when it really is a PNG, else None."""
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return None
    return data if data.startswith(b"\x89PNG\r\n\x1a\n") else None


def answer_key(text: str) -> str:
    """Answers equal under this key are marked as one group: case, spacing, punctuation and
    Markdown emphasis do not count."""
    return re.sub(r"[\W_]+", " ", text.lower()).strip()
