"""The portal's FastAPI app: ``create_app`` builds it for the chain Ape is connected to
(the shared state, the security middleware, the routers of ``offchain.portal.routes``);
``serve`` runs it with uvicorn.

Ape and the index are used from one thread (``ChainThread``); the event loop only renders.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from offchain.portal.dependencies import Visit
from offchain.portal.routes import ROUTERS
from offchain.portal.security import Guard, Secrets
from offchain.portal.session import UnknownActorError
from offchain.portal.state import Portal, PortalSetupError, Settings

__all__ = ["Portal", "PortalSetupError", "Settings", "check_port", "create_app", "serve"]


@contextlib.asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    portal: Portal = app.state.portal
    watchers = [asyncio.create_task(portal.watch()), asyncio.create_task(portal.watch_prints())]
    try:
        yield
    finally:
        for watcher in watchers:
            watcher.cancel()
        portal.thread.close()


def create_app(settings: Settings, keys: Secrets | None = None) -> tuple[Any, Portal]:
    """The ASGI app (guarded) and its shared state. Call from the thread Ape connected in."""
    keys = keys or Secrets()
    portal = Portal(settings, keys)
    portal.start()
    app = FastAPI(lifespan=_lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.portal = portal  # what the routes get through dependencies.PortalDep
    for router in ROUTERS:
        app.include_router(router)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(UnknownActorError, _unknown_account)
    # outside the whole app, so every response (a 500 too) gets the security headers
    return Guard(app, keys, settings.max_upload + (64 << 10)), portal


async def _http_error(request: Request, exc: Exception) -> Response:
    """An unknown path gets the portal's own page (with its header), not a framework's JSON."""
    status = getattr(exc, "status_code", 500)
    if status != 404:
        return PlainTextResponse(str(getattr(exc, "detail", "")) or "error", status_code=status)
    page = await _default_visit(request)
    return page.render("error.html", status=404, message=f"there is no page at {request.url.path}: start "
                       "from the market, or check the address")


async def _unknown_account(request: Request, exc: Exception) -> Response:
    """A page whose address names an account this portal does not hold: said, never guessed."""
    page = await _default_visit(request)
    return page.render("error.html", status=400, message=str(exc))


async def _default_visit(request: Request) -> Visit:
    portal: Portal = request.app.state.portal
    assert portal.accounts is not None
    return Visit(request, portal, portal.accounts.actor(None))


LOOPBACK = ("127.0.0.1", "::1", "localhost")


def check_port(host: str, port: int) -> None:
    """Refuse, in one sentence, a port that is taken before anything starts."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise PortalSetupError(
                f"cannot listen on {host}:{port} ({exc.strerror or exc}): choose another --port or --host"
            ) from None


def serve(settings: Settings, announce: Callable[[str], None] = print, keys: Secrets | None = None) -> None:
    """Run the portal until Ctrl-C; ANNOUNCE gets the URL to open (with its access token)."""
    import uvicorn

    check_port(settings.host, settings.port)
    if settings.host not in LOOPBACK:
        announce(
            f"warning: listening on {settings.host}, not loopback: anyone who learns the URL can act "
            "with this machine's accounts"
        )
    keys = keys or Secrets()
    asgi, _ = create_app(settings, keys)
    server = uvicorn.Server(
        uvicorn.Config(
            asgi,
            host=settings.host,
            port=settings.port,
            access_log=False,
            log_level="warning",
            timeout_graceful_shutdown=2,
            lifespan="on",
        )
    )
    announce(f"portal on http://{settings.host}:{settings.port}/?token={keys.token}")
    server.run()
