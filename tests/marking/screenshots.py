"""`make screenshots`: the marking page's main views as docs/marking-*.png.

Run as `python -m tests.marking.screenshots FOLDER`; it builds a small class in a temporary
folder, serves it and photographs the views with Debian's Chromium."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from graders.gradebook import Gradebook
from tests.marking.browser import chromium, running_server
from tests.marking.classbook import write_class

TOKEN = "screenshots"


def _prepare(out: Path) -> None:
    write_class(out)
    book = Gradebook(out)
    try:
        chain = book.add_rubric_item("1b", "no chain rule", -1, "the chain rule gives the factor")
        book.add_rubric_item("1b", "names tanh' < 1", 1, "")
        book.add_rubric_item("1b", "sign error", -0.5, "check the sign of the update")
        book.set_manual_mark("bob", "1b", 2, "right idea; say why it compounds", marker="ann")
        book.apply_rubric_item("carol", chain, applied=True, marker="ben")
        book.set_manual_mark("alice", "2a", 4, "clear", marker="ben")
    finally:
        book.close()


def take(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    shots = []
    with tempfile.TemporaryDirectory() as temporary:
        out = Path(temporary) / "out"
        _prepare(out)
        with running_server(out, TOKEN) as url, chromium() as browser:
            def page_at(path: str, marker: str):  # noqa: ANN202
                page = browser.new_context(viewport={"width": 1360, "height": 860}).new_page()
                page.goto(f"{url}{path}{'&' if '?' in path else '?'}token={TOKEN}")
                page.fill("#marker", marker)
                page.press("#marker", "Tab")
                return page

            def shoot(page, name: str, full: bool = False) -> None:  # noqa: ANN001
                path = folder / f"marking-{name}.png"
                page.screenshot(path=str(path), full_page=full)
                shots.append(path)

            part = page_at("/part/1b?student=alice", "ann")
            shoot(part, "part")
            other = page_at("/part/1b?student=alice", "ben")
            part.keyboard.press("Escape")
            part.keyboard.press("2")
            part.keyboard.press("Enter")
            part.wait_for_url("**student=bob")
            other.keyboard.press("Escape")
            other.keyboard.press("3")
            other.keyboard.press("Enter")
            other.locator("#conflict").wait_for(state="visible")
            shoot(other, "conflict")
            shoot(page_at("/student/alice", "ann"), "student", full=True)
            shoot(page_at("/progress", "ann"), "progress", full=True)
            help_page = page_at("/part/1b?student=bob", "ann")
            help_page.keyboard.press("Escape")
            help_page.keyboard.press("?")
            shoot(help_page, "keys")
    return shots


if __name__ == "__main__":
    for shot in take(Path(sys.argv[1] if len(sys.argv) > 1 else "docs")):
        print(shot)
