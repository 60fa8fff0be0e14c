"""Student answers as safe HTML: Markdown with the student's HTML escaped, $LaTeX$ turned into
MathML on the server (nothing fetched from elsewhere), code highlighted by Pygments."""

from __future__ import annotations

import base64
import binascii
import html
import re
from xml.etree import ElementTree

from latex2mathml.converter import convert as latex_to_mathml
from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

_FORMATTER = HtmlFormatter(nowrap=True)


# MathML that LaTeX can make; anything else in latex2mathml's output means the student smuggled
# markup in (\text{<script>...} comes out raw), and the formula is shown as its source.
_MATHML_TAGS = frozenset(
    "math mrow mi mo mn ms mtext mspace msub msup msubsup mfrac msqrt mroot mstyle mtable mtr "
    "mtd mlabeledtr munder mover munderover mpadded mphantom menclose mmultiscripts mprescripts "
    "none merror semantics annotation maction".split())
_MATHML_ATTRIBUTES = frozenset(
    "display mathvariant stretchy fence separator lspace rspace accent accentunder columnalign "
    "rowalign columnspacing rowspacing columnlines rowlines frame linethickness displaystyle "
    "scriptlevel width height depth form largeop movablelimits symmetric minsize maxsize "
    "notation mathcolor mathbackground mathsize encoding".split())


def _clean_mathml(markup: str) -> str | None:
    """latex2mathml's output rebuilt from an allow-list of elements and attributes, every text
    and value escaped again; None when it holds anything else or is not well-formed."""
    try:  # latex2mathml leaves a bare & (from \& or an unknown command) unescaped
        root = ElementTree.fromstring(re.sub(r"&(?!#?\w+;)", "&amp;", markup))
    except ElementTree.ParseError:
        return None
    parts: list[str] = []

    def emit(element: ElementTree.Element) -> bool:
        tag = element.tag.rsplit("}", 1)[-1]
        if tag not in _MATHML_TAGS:
            return False
        attributes = "".join(f' {k}="{html.escape(v)}"' for k, v in element.attrib.items()
                             if k in _MATHML_ATTRIBUTES)
        xmlns = ' xmlns="http://www.w3.org/1998/Math/MathML"' if tag == "math" else ""
        parts.append(f"<{tag}{xmlns}{attributes}>{html.escape(element.text or '')}")
        for child in element:
            if not emit(child):
                return False
            parts.append(html.escape(child.tail or ""))
        parts.append(f"</{tag}>")
        return True

    return "".join(parts) if emit(root) else None


def _math(latex: str, options: dict) -> str:
    display = "block" if options.get("display_mode") else "inline"
    try:
        mathml = _clean_mathml(latex_to_mathml(latex, display=display))
    except Exception:  # noqa: BLE001 - a student's broken LaTeX is shown as they wrote it
        mathml = None
    return mathml or f"<code class='math-error'>{html.escape(latex)}</code>"


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
