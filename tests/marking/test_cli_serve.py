"""`grade serve OUT`: the real command prints a link whose token opens the page; without it, 403."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from graders.cli import main
from tests.marking.classbook import write_class

GRADE = str(Path(sys.executable).with_name("grade"))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_listening(port: int) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_grade_serve_prints_a_link_with_a_token_that_alone_opens_the_page(tmp_path):
    out = write_class(tmp_path / "out")
    port = _free_port()
    server = subprocess.Popen([GRADE, "serve", str(out), "--port", str(port)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = [server.stdout.readline(), server.stdout.readline()]
        link = re.search(r"http://127\.0\.0\.1:(\d+)/\?token=(\S+)", "".join(lines))
        assert link and int(link.group(1)) == port, lines
        _wait_listening(port)
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/progress", timeout=10)
        refused.value.close()
        assert refused.value.code == 403
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        with browser.open(link.group(0), timeout=10) as page:
            assert page.status == 200 and "Progress" in page.read().decode()
    finally:
        server.terminate()
        server.wait(timeout=10)
        server.stdout.close()
        server.stderr.close()


def test_grade_serve_on_a_folder_without_a_gradebook_says_so(tmp_path, capsys):
    assert main(["serve", str(tmp_path)]) == 2
    assert "holds no gradebook.sqlite" in capsys.readouterr().err
