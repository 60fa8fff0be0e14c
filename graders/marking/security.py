"""Who may use the marking page: the holder of the secret token, and only from its own pages.

The token printed in the URL (as Jupyter does) opens a session: the first request with ?token=
gets an HttpOnly, SameSite=Strict cookie and is sent on to the same page without the token, so
it stays out of the history and of Referer headers. Every request, pages, JSON and figures
alike, without a valid session is refused with 403. Every POST must also carry the session's
CSRF token (header X-CSRF-Token: the page's script sends every change with fetch), and a
foreign Origin is refused.
Every response carries a Content-Security-Policy that lets no inline script or foreign resource
run, so even a rendering mistake of ours cannot run a student's script."""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlencode, urlsplit

from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp

COOKIE = "nngrader_session_"  # + the port: cookies do not tell ports apart, servers must
CSRF_HEADER = "x-csrf-token"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
           "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY",
           "Cache-Control": "no-store"}


def new_token() -> str:
    return secrets.token_urlsafe(32)


class TokenGate(BaseHTTPMiddleware):
    """Lets through only requests of a session opened with the token; checks CSRF on POST."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        super().__init__(app)
        self.token = token
        self.sessions: dict[str, str] = {}  # session id -> its CSRF token

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await self._gate(request, call_next)
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    async def _gate(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        offered = request.query_params.get("token")
        if offered is not None and request.method == "GET":
            if not hmac.compare_digest(offered.encode(), self.token.encode()):
                return _refuse("wrong token")
            return self._open_session(request)
        session = request.cookies.get(_cookie(request), "")
        csrf = self.sessions.get(session)
        if csrf is None:
            return _refuse("open the link with the token that `grade serve` printed")
        if request.method not in ("GET", "HEAD"):
            if not self._same_origin(request):
                return _refuse("request from another site")
            sent = request.headers.get(CSRF_HEADER, "")
            if not hmac.compare_digest(sent.encode(), csrf.encode()):
                return _refuse("missing or wrong CSRF token: reload the page")
        request.state.csrf = csrf
        return await call_next(request)

    def _open_session(self, request: Request) -> Response:
        session = secrets.token_urlsafe(32)
        self.sessions[session] = secrets.token_urlsafe(32)
        rest = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
        target = request.url.path + (f"?{urlencode(rest)}" if rest else "")
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(_cookie(request), session, httponly=True, samesite="strict",
                            path="/")
        return response

    @staticmethod
    def _same_origin(request: Request) -> bool:
        origin = request.headers.get("origin")
        if origin is None:
            return True
        return urlsplit(origin).netloc == request.headers.get("host", "")


def _cookie(request: Request) -> str:
    return f"{COOKIE}{request.url.port or 80}"


def _refuse(reason: str) -> Response:
    return PlainTextResponse(f"403 forbidden: {reason}\n", status_code=403)
