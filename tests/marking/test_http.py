"""The marking page over HTTP (Starlette's TestClient): the token, CSRF, conflicts, the log,
exports refreshed on save, and student content that stays text."""

from __future__ import annotations

import csv
import html
import json
import re

import pytest
from starlette.testclient import TestClient

from graders.marking.app import create_app
from tests.marking.classbook import write_class

TOKEN = "test-token-123"


@pytest.fixture
def out(tmp_path):
    return write_class(tmp_path / "out")


def _client(out, *, logged_in=True) -> TestClient:
    client = TestClient(create_app(out, token=TOKEN), base_url="http://127.0.0.1:8765")
    if logged_in:
        assert client.get(f"/?token={TOKEN}").status_code == 200
    return client


def _csrf(client: TestClient, path: str = "/part/1b") -> str:
    page = client.get(path).text
    return re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)


def _save(client, csrf, student, marks, version, note="", marker="ann"):
    return client.post("/api/mark", headers={"X-CSRF-Token": csrf}, json={
        "student": student, "part": "1b", "marks": marks, "note": note, "version": version,
        "marker": marker})


@pytest.mark.parametrize("path", ["/", "/progress", "/part/1b", "/student/alice", "/log",
                                  "/figure/alice/1b/1.png", "/static/marking.js",
                                  "/pygments.css"])
def test_every_request_without_the_token_is_refused(out, path):
    client = _client(out, logged_in=False)
    assert client.get(path).status_code == 403
    assert client.get(path + ("&" if "?" in path else "?") + "token=wrong").status_code == 403


def test_the_token_opens_a_session_cookie_and_leaves_the_url(out):
    client = _client(out, logged_in=False)
    response = client.get(f"/part/1b?student=bob&token={TOKEN}", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/part/1b?student=bob"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    page = client.get("/part/1b?student=bob")
    assert page.status_code == 200 and "bob" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    figure = client.get("/figure/alice/1b/1.png")
    assert figure.status_code == 200 and figure.content.startswith(b"\x89PNG")


def test_a_post_without_the_csrf_token_or_from_another_site_is_refused(out):
    client = _client(out)
    csrf = _csrf(client)
    body = {"student": "bob", "part": "1b", "marks": 2, "version": 0}
    assert client.post("/api/mark", json=body).status_code == 403
    assert client.post("/api/mark", json=body, headers={"X-CSRF-Token": "x"}).status_code == 403
    assert client.post("/api/mark", json=body, headers={
        "X-CSRF-Token": csrf, "Origin": "http://evil.example"}).status_code == 403
    assert client.post("/api/mark", json=body, headers={"X-CSRF-Token": csrf}).status_code == 200


def test_a_stale_save_gets_409_with_the_other_markers_mark_and_nothing_is_lost(out):
    ann, ben = _client(out), _client(out)
    ann_csrf, ben_csrf = _csrf(ann), _csrf(ben)
    assert _save(ann, ann_csrf, "bob", 2, 0, "ok", "ann").status_code == 200
    stale = _save(ben, ben_csrf, "bob", 3, 0, "", "ben")
    assert stale.status_code == 409
    assert stale.json()["current"]["marks"] == 2 and stale.json()["current"]["marker"] == "ann"
    assert "ann set 2" in stale.json()["error"]
    again = _save(ben, ben_csrf, "bob", 3, stale.json()["current"]["version"], "", "ben")
    assert again.status_code == 200 and again.json()["mark"]["marks"] == 3
    log = ann.get("/log").text
    assert log.count("<td>bob</td>") == 2 and "ben" in log


def test_a_save_refreshes_the_totals_csvs_and_the_students_feedback(out):
    client = _client(out)
    response = _save(client, _csrf(client), "carol", 2.5, 0, "clear =1+1")
    assert response.json()["totals"] == {"auto": 2.0, "by_hand": 2.5, "total": 4.5}
    with open(out / "gradebook.csv", newline="") as handle:
        rows = {r["student"]: r for r in csv.DictReader(handle)}
    assert (rows["carol"]["1b"], rows["carol"]["total"]) == ("2.5", "4.5")
    results = json.loads((out / "results/carol/results.json").read_text())
    assert results["score"] == 4.5
    assert [t["score"] for t in results["tests"] if t["number"] == "1b"] == [2.5]
    assert "clear =1+1" in (out / "feedback/carol.md").read_text()


def test_a_rubric_item_applied_and_changed_moves_everyone_who_has_it(out):
    client = _client(out)
    csrf = _csrf(client)
    headers = {"X-CSRF-Token": csrf}
    item = client.post("/api/rubric/new", headers=headers, json={
        "part": "1b", "name": "no chain rule", "delta": -1, "comment": "use it"}).json()["item"]
    for student in ("alice", "bob"):
        applied = client.post("/api/rubric/apply", headers=headers, json={
            "student": student, "item": item["id"], "applied": True, "version": 0})
        assert applied.json()["mark"]["marks"] == 2
    changed = client.post(f"/api/rubric/{item['id']}", headers=headers, json={"delta": -2})
    assert changed.json()["students_changed"] == 2
    with open(out / "gradebook.csv", newline="") as handle:
        rows = {r["student"]: r["1b"] for r in csv.DictReader(handle)}
    assert (rows["alice"], rows["bob"], rows["carol"]) == ("1", "1", "")
    assert "no chain rule (-2): use it" in (out / "feedback/bob.md").read_text()


def test_near_identical_answers_are_one_group_marked_at_once(out):
    client = _client(out)
    page = client.get("/part/1b?student=bob").text
    versions = json.loads(html.unescape(re.search(r"data-versions='([^']+)'", page).group(1)))
    assert versions == {"bob": 0, "carol": 0}
    marked = client.post("/api/group", headers={"X-CSRF-Token": _csrf(client)}, json={
        "part": "1b", "marks": 1, "note": "tanh' < 1, yes", "versions": versions})
    assert marked.status_code == 200 and marked.json()["marked"] == ["bob", "carol"]


def test_student_html_is_shown_as_text_and_math_as_mathml(out):
    client = _client(out)
    hostile = client.get("/part/1b?student=dave").text
    assert "<script>window.pwned" not in hostile and "<img src=x" not in hostile
    assert "&lt;script&gt;window.pwned" in hostile
    maths = client.get("/part/1b?student=alice").text
    assert "<math" in maths and "<mfrac>" in maths
    assert 'class="k">return</span>' in maths or "<span class=\"k\">return" in maths


def test_marks_outside_the_part_are_refused_with_a_reason(out):
    client = _client(out)
    response = _save(client, _csrf(client), "bob", 7, 0)
    assert response.status_code == 400
    assert response.json()["error"] == "part 1b is worth 3 marks; got 7"


@pytest.mark.parametrize("path", ["/figure/alice/1b/2.png", "/figure/alice/1b/0.png",
                                  "/figure/nobody/1b/1.png", "/figure/bob/1b/1.png",
                                  "/figure/..%2F..%2Fetc/1b/1.png", "/figure/alice/9z/1.png"])
def test_only_a_figure_the_students_report_holds_is_served(out, path):
    assert _client(out).get(path).status_code == 404


def test_progress_shows_what_is_left_per_part_and_per_marker(out):
    client = _client(out)
    csrf = _csrf(client)
    _save(client, csrf, "alice", 2, 0, marker="ann")
    _save(client, csrf, "bob", 1, 0, marker="ben")
    page = client.get("/progress").text
    assert re.search(r'class="num left-1b">2<', page)
    assert re.search(r"<td>ann</td><td class=\"num\">1</td><td class=\"num\">0</td>", page)
