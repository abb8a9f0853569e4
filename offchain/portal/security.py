"""What keeps the portal to its user: an access token per start, CSRF tokens, an upload
limit, and security headers. Pure ASGI middleware (no business rule)."""

from __future__ import annotations

import hashlib
import hmac
import http.cookies
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

COOKIE = "prodnet_portal"
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD"})

# No inline script or style anywhere: every script and stylesheet is a file the app serves.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    # same-origin: the browser then sends a real Origin on form posts (no-referrer makes it "null")
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    (b"cache-control", b"no-store"),
]


@dataclass(frozen=True)
class Secrets:
    """The access token (part of the printed URL) and the CSRF token derived from it."""

    token: str = field(default_factory=lambda: secrets.token_urlsafe(24))

    @property
    def csrf(self) -> str:
        return hmac.new(self.token.encode(), b"prodnet-portal-csrf", hashlib.sha256).hexdigest()

    def token_ok(self, candidate: str | None) -> bool:
        return candidate is not None and hmac.compare_digest(candidate.encode(), self.token.encode())

    def csrf_ok(self, candidate: str | None) -> bool:
        return candidate is not None and hmac.compare_digest(candidate.encode(), self.csrf.encode())


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _cookie(scope: Scope, name: str) -> str | None:
    raw = _header(scope, b"cookie")
    if not raw:
        return None
    jar = http.cookies.SimpleCookie()
    try:
        jar.load(raw)
    except http.cookies.CookieError:
        return None
    morsel = jar.get(name)
    return morsel.value if morsel else None


async def _plain(send: Send, status: int, text: str, extra: list[tuple[bytes, bytes]] = ()) -> None:  # type: ignore[assignment]
    body = (text + "\n").encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                *HEADERS,
                *extra,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


FORBIDDEN = "forbidden: open the portal through the URL it printed at start (it carries the access token)"


class Guard:
    """Every request needs the token, as ``?token=`` (first visit: it becomes a cookie and the
    browser is sent to the same page without it) or as the cookie. State changes (POST) also
    need the CSRF token, in the form or the X-CSRF-Token header, and, when the browser sends
    one, an Origin of this portal. Every response gets the security headers."""

    def __init__(self, app: ASGIApp, keys: Secrets, max_body: int) -> None:
        self.app = app
        self.keys = keys
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        given = (query.get("token") or [None])[0]
        if given is not None:
            if not self.keys.token_ok(given) or scope["method"] not in SAFE_METHODS:
                await _plain(send, 403, FORBIDDEN)
                return
            rest = "&".join(f"{k}={v}" for k, values in query.items() if k != "token" for v in values)
            location = scope.get("root_path", "") + scope["path"] + (f"?{rest}" if rest else "")
            cookie = f"{COOKIE}={self.keys.token}; Path=/; HttpOnly; SameSite=Strict"
            await _plain(
                send,
                303,
                "see the page",
                [(b"location", location.encode()), (b"set-cookie", cookie.encode())],
            )
            return
        if not self.keys.token_ok(_cookie(scope, COOKIE)):
            await _plain(send, 403, FORBIDDEN)
            return
        if scope["method"] not in SAFE_METHODS:
            origin = _header(scope, b"origin")
            host = _header(scope, b"host")
            if origin is not None and origin.split("://", 1)[-1] != host:
                await _plain(send, 403, "forbidden: a state change from another site")
                return
            length = _header(scope, b"content-length")
            if length is not None and length.isdigit() and int(length) > self.max_body:
                # read and drop the body (a browser that is cut off mid-upload shows a network
                # error, not the page), then let the route say what the limit is
                scope = {**scope, TOO_LARGE: True}
                receive = _drained(receive)
            else:
                receive = _limited(receive, self.max_body)
        await self.app(scope, receive, _with_headers(send))


def too_large(limit: int, what: str = "the upload") -> str:
    """The one refusal of a file over the upload limit (the server's, the drop zone's, the page
    script's: it reads this sentence from the page)."""
    return (
        f"{what} is larger than the portal's limit of {limit >> 20} MiB: "
        "send a smaller file, or start the portal with a larger --max-upload"
    )


TOO_LARGE = "prodnet.too_large"  # scope key: the body was over the limit and was dropped


def _drained(receive: Receive) -> Receive:
    done = False

    async def wrapped() -> Message:
        nonlocal done
        if done:
            return await receive()
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return message
            if not message.get("more_body", False):
                done = True
                return {"type": "http.request", "body": b"", "more_body": False}

    return wrapped


class BodyTooLargeError(Exception):
    """A request body went over the upload limit while it was being read."""


def _limited(receive: Receive, limit: int) -> Receive:
    seen = 0

    async def wrapped() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLargeError(too_large(limit))
        return message

    return wrapped


def _with_headers(send: Send) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            names = {k.lower() for k, _ in message.get("headers", [])}
            message["headers"] = list(message.get("headers", [])) + [h for h in HEADERS if h[0] not in names]
        await send(message)

    return wrapped
