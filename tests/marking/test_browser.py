"""The marking page in a real browser (Debian's headless Chromium through Playwright): marking by
keyboard alone, rubric items, a conflict between two markers, the token, hostile answers."""

from __future__ import annotations

import csv
import re

import pytest
from playwright.sync_api import expect

from graders.gradebook import Gradebook
from tests.marking.browser import chromium, running_server
from tests.marking.classbook import write_class

TOKEN = "browser-test-token"
expect.set_options(timeout=15_000)  # two shared cores in CI; a pass takes well under a second


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


@pytest.fixture
def served(tmp_path):
    out = write_class(tmp_path / "out")
    book = Gradebook(out)
    book.add_rubric_item("1b", "no chain rule", -1, "the chain rule gives the factor")
    book.close()
    with running_server(out, TOKEN) as url:
        yield out, url


def _open(browser, url, path, marker):
    page = browser.new_context().new_page()
    page.goto(f"{url}{path}{'&' if '?' in path else '?'}token={TOKEN}")
    page.fill("#marker", marker)
    page.press("#marker", "Tab")
    page.keyboard.press("Escape")
    return page


def _csv(out) -> dict[str, dict[str, str]]:
    with open(out / "gradebook.csv", newline="") as handle:
        return {r["student"]: r for r in csv.DictReader(handle) if r["student"] != "(out of)"}


def test_a_marker_marks_three_students_by_keyboard_applies_a_rubric_item_and_sees_totals(
        browser, served):
    out, url = served
    page = _open(browser, url, "/part/1b", "ann")
    expect(page.locator("#student-name")).to_have_text("alice")
    for keys, after in (("2", "bob"), ("1.5", "carol"), ("3", "dave")):
        for key in keys:
            page.keyboard.press(key)
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(f"student={after}$"))
        expect(page.locator("#student-name")).to_have_text(after)
    page.keyboard.press("r")
    page.keyboard.press("1")
    expect(page.locator("#status")).to_have_text("saved 2 by ann")
    expect(page.locator("#total")).to_have_text("3.5")  # automatic 1.5 + by hand 3 - 1
    rows = _csv(out)
    assert {s: rows[s]["1b"] for s in rows} == {"alice": "2", "bob": "1.5", "carol": "3",
                                                "dave": "2"}
    assert (rows["alice"]["total"], rows["bob"]["total"]) == ("4", "3")
    page.keyboard.press("s")
    page.wait_for_url(re.compile("/student/dave$"))
    page.keyboard.press("k")
    page.wait_for_url(re.compile("/student/carol$"))
    page.keyboard.press("p")
    page.wait_for_url(re.compile("/progress$"))
    expect(page.locator("td.total[data-student=bob]")).to_have_text("3")
    expect(page.locator("td.left-1b")).to_have_text("0")


def test_a_second_marker_gets_the_conflict_and_chooses_to_overwrite(browser, served):
    out, url = served
    ann = _open(browser, url, "/part/1b?student=bob", "ann")
    ben = _open(browser, url, "/part/1b?student=bob", "ben")
    ann.keyboard.press("2")
    ann.keyboard.press("Enter")
    ann.wait_for_url(re.compile("student=carol$"))
    ben.keyboard.press("3")
    ben.keyboard.press("Enter")
    expect(ben.locator("#conflict")).to_be_visible()
    expect(ben.locator("#conflict-text")).to_contain_text("ann set 2 for bob part 1b")
    assert _csv(out)["bob"]["1b"] == "2"
    ben.keyboard.press("o")
    ben.wait_for_url(re.compile("student=carol$"))
    assert _csv(out)["bob"]["1b"] == "3"


def test_a_request_without_the_token_is_refused(browser, served):
    _, url = served
    page = browser.new_context().new_page()
    for path in ("/progress", "/part/1b", "/figure/alice/1b/1.png", "/static/marking.js"):
        assert page.goto(url + path).status == 403
    assert page.goto(f"{url}/progress?token=wrong").status == 403


def test_a_students_script_and_onerror_image_run_nothing(browser, served):
    _, url = served
    page = _open(browser, url, "/part/1b?student=dave", "ann")
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.reload()
    expect(page.locator("#answer")).to_contain_text("<script>window.pwned = 1")
    expect(page.locator("#answer")).to_contain_text("My real answer.")
    page.wait_for_timeout(300)
    assert page.evaluate("window.pwned") is None
    assert page.locator("#answer script, #answer img").count() == 0
    assert dialogs == []
    whole = page.goto(f"{url}/student/dave")
    assert whole.status == 200 and page.evaluate("window.pwned") is None and dialogs == []


def test_the_same_answer_from_two_students_is_marked_once_with_g(browser, served):
    out, url = served
    page = _open(browser, url, "/part/1b?student=bob", "ann")
    expect(page.locator("#group")).to_contain_text("bob, carol")
    page.keyboard.press("c")
    page.keyboard.type("names the factor")
    page.keyboard.press("Control+Enter")
    expect(page.locator("#status")).to_have_text("type the marks first")
    expect(page.locator("#marks")).to_be_focused()
    page.keyboard.press("2")
    page.keyboard.press("Escape")
    page.keyboard.press("g")
    page.wait_for_load_state("load")
    expect(page.locator(".roster li.done")).to_have_count(2)
    rows = _csv(out)
    assert (rows["bob"]["1b"], rows["carol"]["1b"], rows["alice"]["1b"]) == ("2", "2", "")
    assert "- 1b: 2 (names the factor)" in (out / "feedback/carol.md").read_text()
