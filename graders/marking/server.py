"""Starting the marking page: the token, the address, uvicorn."""

from __future__ import annotations

import ipaddress
import socket
import sys
from pathlib import Path

from graders.errors import UsageError
from graders.gradebook import FILE_NAME, Gradebook
from graders.spec import AssignmentSpec


def batch_assignment(out: Path) -> AssignmentSpec | None:
    """The assignment the batch in OUT graded, when it is one this grader knows."""
    from graders.spec import load_assignment

    book = Gradebook(out)
    try:
        ids = {a for (a,) in book.db.execute("SELECT DISTINCT assignment FROM submissions") if a}
    finally:
        book.close()
    if len(ids) != 1:
        return None
    try:
        return load_assignment(ids.pop())
    except Exception:  # noqa: BLE001 - without it only canvas.csv is not refreshed
        return None


def serve(out: Path, *, host: str = "127.0.0.1", port: int = 8765, token: str = "") -> None:
    """Serve the marking page for OUT until interrupted; prints the URL with its token."""
    import uvicorn

    from graders.marking.app import create_app
    from graders.marking.security import new_token

    if not (out / FILE_NAME).is_file():
        raise UsageError(f"{out} holds no {FILE_NAME}; give the folder `grade batch` wrote (--out)")
    _check_free(host, port)
    token = token or new_token()
    app = create_app(out, token=token, spec=batch_assignment(out))
    shown = "127.0.0.1" if host in ("127.0.0.1", "0.0.0.0", "::") else host
    if not _loopback(host):
        print(f"note: listening on {host}: anyone who can reach it and has the link can mark",
              file=sys.stderr)
    print(f"Marking page for {out} (Ctrl+C stops it):\n"
          f"    http://{_bracketed(shown)}:{port}/?token={token}", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")


def _check_free(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise UsageError(f"cannot listen on {host} port {port} ({exc.strerror}); give "
                             "another --port, or --host") from exc


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _bracketed(host: str) -> str:
    return f"[{host}]" if ":" in host else host
