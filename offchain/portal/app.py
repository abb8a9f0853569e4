"""The portal's FastAPI app: routes to pages, fragments for htmx, actions, live events.

``create_app`` builds it for the chain Ape is connected to; ``serve`` runs it with uvicorn.
Ape and the index are used from one thread (``ChainThread``); the event loop only renders.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import (
    FileResponse,
    HTMLResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from jinja2 import Environment, FileSystemLoader, select_autoescape

from offchain import config
from offchain.chain.client import Chain
from offchain.chain.session import open_chain
from offchain.errors import ProdnetError
from offchain.formats import format_time
from offchain.orders.indexed import market_index
from offchain.portal import actions, pages
from offchain.portal.security import (
    CSRF_FIELD,
    CSRF_HEADER,
    TOO_LARGE,
    BodyTooLargeError,
    Guard,
    Secrets,
    too_large,
)
from offchain.portal.session import Accounts, Actor, ChainThread
from offchain.portal.workspace import Workspace

HERE = Path(__file__).resolve().parent
NODE_MODULES = HERE.parents[1] / "node_modules"
ACTOR_COOKIE = "prodnet_actor"
log = logging.getLogger("prodnet.portal")

# what the app serves from npm packages (pinned in package-lock.json), by URL path
VENDOR = {
    "htmx.min.js": "htmx.org/dist/htmx.min.js",
    "three/three.module.js": "three/build/three.module.js",
    "three/three.core.js": "three/build/three.core.js",
    "three/addons/loaders/STLLoader.js": "three/examples/jsm/loaders/STLLoader.js",
    "three/addons/controls/OrbitControls.js": "three/examples/jsm/controls/OrbitControls.js",
}
# three's add-ons import the bare name 'three' (an import map would be an inline script,
# which the CSP forbids): they are served with it pointing at the module file instead.
_BARE_THREE = re.compile(rb"""from\s+(['"])three\1""")


STALE_FORM = "forbidden: this form is stale or from elsewhere (no valid CSRF token); reload the page"


class PortalSetupError(ProdnetError):
    """The portal cannot start (missing JavaScript packages, no deployment)."""


@dataclass
class Settings:
    host: str = "127.0.0.1"
    port: int = 8700
    max_upload: int = 64 << 20
    ipfs_api: str | None = None
    file_store: str | None = None
    key_folder: Path | None = None
    test_accounts: int = 0
    labels: dict[str, str] = field(default_factory=dict)


def _vendor_files() -> dict[str, Path]:
    found = {url: NODE_MODULES / rel for url, rel in VENDOR.items()}
    missing = [str(p) for p in found.values() if not p.is_file()]
    if missing:
        raise PortalSetupError(
            f"the portal's JavaScript is missing ({missing[0]}): "
            "run 'make setup' (npm ci installs htmx and three)"
        )
    return found


class Live:
    """Tells every open page when the index saw new events (server-sent events)."""

    def __init__(self) -> None:
        self.version = 0
        self.block = 0
        self._changed = asyncio.Condition()

    async def bump(self, block: int) -> None:
        async with self._changed:
            self.version += 1
            self.block = block
            self._changed.notify_all()

    async def wait(self, seen: int, timeout: float) -> int:
        async with self._changed:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait_for(lambda: self.version != seen), timeout)
            return self.version


class Portal:
    """Everything the routes share."""

    def __init__(self, settings: Settings, keys: Secrets) -> None:
        self.settings = settings
        self.keys = keys
        self.thread = ChainThread()
        self.live = Live()
        self.vendor = _vendor_files()
        home = config.home()
        self.workspace = Workspace(home / "portal", settings.key_folder or home / "keys")
        self.templates = Environment(
            loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"])
        )
        self.templates.filters["short"] = lambda a: (
            f"{str(a)[:6]}…{str(a)[-4:]}" if a and len(str(a)) > 12 else a
        )
        self.templates.filters["time"] = format_time
        self.accounts: Accounts | None = None
        self.reader: Chain | None = None
        self.chain_key = ""

    def start(self) -> None:
        """On the chain thread: the accounts, the deployment, the index (first sync)."""

        def load() -> None:
            self.accounts = Accounts(self.settings.test_accounts, self.settings.labels)
            self.reader = open_chain(None, actor="portal")
            d = self.reader.deployment
            self.chain_key = f"{d.chain_id}-{d.orders.lower()}"
            market_index(self.reader)

        self.thread.submit(load).result()

    def label(self, address: str) -> str:
        assert self.accounts is not None
        for actor in self.accounts.actors:
            if actor.address.lower() == str(address).lower():
                return actor.label
        return ""

    def actor(self, request: Request) -> Actor:
        assert self.accounts is not None
        return self.accounts.actor(request.cookies.get(ACTOR_COOKIE))

    def render(self, request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        assert self.accounts is not None
        actor = self.actor(request)
        page = self.templates.get_template(name).render(
            csrf=self.keys.csrf,
            actor=actor,
            actors=self.accounts.actors,
            label=self.label,
            path=request.url.path,
            **context,
        )
        return HTMLResponse(page, status_code=status)

    async def read(self, func: Callable[..., Any], *args: Any) -> Any:
        return await self.thread.run(func, *args)

    async def watch(self) -> None:
        """Poll the index once a second; wake the pages when new events were indexed."""
        assert self.reader is not None
        index = await self.read(market_index, self.reader)
        after = await self.read(index.last_event)
        while True:
            try:
                events = await self.read(index.poll, after)
            except ProdnetError as exc:
                log.warning("index: %s", exc)
                events = []
            if events:
                after = (events[-1].block, events[-1].log_index)
                await self.live.bump(events[-1].block)
            await asyncio.sleep(1.0)


def _error_text(exc: BaseException) -> str:
    if isinstance(exc, ProdnetError):
        return " ".join(str(exc).split())
    if config.debug():
        log.exception("unexpected error")
    return (
        f"unexpected {type(exc).__name__}: {' '.join(str(exc).split())} (PRODNET_DEBUG=1 logs the traceback)"
    )


def create_app(settings: Settings, keys: Secrets | None = None) -> tuple[Any, Portal]:
    """The ASGI app (guarded) and its shared state. Call from the thread Ape connected in."""
    keys = keys or Secrets()
    portal = Portal(settings, keys)
    portal.start()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        watcher = asyncio.create_task(portal.watch())
        try:
            yield
        finally:
            watcher.cancel()
            portal.thread.close()

    app = FastAPI(lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.portal = portal

    async def form_of(request: Request) -> dict[str, str]:
        if request.scope.get(TOO_LARGE):
            raise BodyTooLargeError(too_large(settings.max_upload))
        form = await request.form()
        values = {k: v for k, v in form.items() if isinstance(v, str)}
        if not keys.csrf_ok(values.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER)):
            raise PermissionError(STALE_FORM)
        return values

    def guarded(handler: Callable[..., Awaitable[Response]]) -> Callable[..., Awaitable[Response]]:
        @functools.wraps(handler)  # FastAPI reads the handler's own signature
        async def wrapper(request: Request, *args: Any, **kwargs: Any) -> Response:
            try:
                return await handler(request, *args, **kwargs)
            except PermissionError as exc:
                return PlainTextResponse(str(exc), status_code=403)
            except BodyTooLargeError as exc:
                return PlainTextResponse(str(exc), status_code=413)

        return wrapper

    # -- pages ---------------------------------------------------------------------------
    def _filters(request: Request) -> tuple[dict[str, Any], list[str]]:
        from offchain.cli import quantities as q

        params = request.query_params
        filters: dict[str, Any] = {"material": params.get("material") or None}
        problems = []
        for name, parse, key in (
            ("max_price", q.token_amount, "max_price"),
            ("min_space", q.volume_mm3, "min_space"),
        ):
            text = (params.get(name) or "").strip()
            if text:
                try:
                    filters[key] = parse(text)
                except ProdnetError as exc:
                    problems.append(str(exc))
        return filters, problems

    def _page_number(request: Request) -> int:
        text = request.query_params.get("page", "1")
        return int(text) if text.isdigit() and 0 < len(text) < 7 else 1

    async def _market(request: Request, name: str) -> HTMLResponse:
        filters, problems = _filters(request)
        assert portal.reader is not None
        data = await portal.read(pages.market_page, portal.reader, filters, _page_number(request))
        query = {k: request.query_params.get(k, "") for k in ("material", "max_price", "min_space")}
        return portal.render(request, name, problems=problems, query=query, **data)

    @app.get("/", response_class=HTMLResponse)
    async def market_page(request: Request) -> HTMLResponse:
        return await _market(request, "market.html")

    @app.get("/fragments/market", response_class=HTMLResponse)
    async def market_fragment(request: Request) -> HTMLResponse:
        return await _market(request, "_market.html")

    async def _order(request: Request, order_id: int, name: str) -> HTMLResponse:
        actor = portal.actor(request)
        fetched = portal.workspace.fetched(portal.chain_key, order_id)
        try:
            data = await portal.read(pages.order_page, portal.reader, order_id, actor.address, fetched)
        except ProdnetError as exc:
            return portal.render(request, "error.html", status=404, message=_error_text(exc))
        return portal.render(
            request,
            name,
            parts=portal.workspace.parts(),
            secret_keys=portal.workspace.key_files("sec"),
            ipfs_api=settings.ipfs_api or config.ipfs_api(),
            has_file_store=bool(settings.file_store or config.file_store()),
            **data,
        )

    @app.get("/orders/{order_id}", response_class=HTMLResponse)
    async def order_page(request: Request, order_id: int) -> HTMLResponse:
        return await _order(request, order_id, "order.html")

    @app.get("/orders/{order_id}/fragment", response_class=HTMLResponse)
    async def order_fragment(request: Request, order_id: int) -> HTMLResponse:
        return await _order(request, order_id, "_order.html")

    @app.get("/account", response_class=HTMLResponse)
    async def account_page(request: Request) -> HTMLResponse:
        actor = portal.actor(request)
        data = await portal.read(pages.account_page, portal.reader, actor.address)
        return portal.render(
            request,
            "account.html",
            public_keys=portal.workspace.key_files("pub"),
            key_folder=portal.workspace.key_folder,
            **data,
        )

    def upload_page(request: Request, status: int = 200, message: str | None = None) -> HTMLResponse:
        return portal.render(
            request,
            "upload.html",
            status=status,
            parts=portal.workspace.parts(),
            limit=settings.max_upload >> 20,
            message=message,
        )

    @app.get("/parts", response_class=HTMLResponse)
    async def parts_page(request: Request) -> HTMLResponse:
        return upload_page(request)

    @app.post("/parts", response_class=HTMLResponse)
    @guarded
    async def upload_part(request: Request) -> Response:
        try:
            if request.scope.get(TOO_LARGE):
                raise BodyTooLargeError(too_large(settings.max_upload))
            form = await request.form(max_part_size=settings.max_upload + (1 << 20))
        except BodyTooLargeError:
            return upload_page(request, 413, too_large(settings.max_upload))
        if not keys.csrf_ok(form.get(CSRF_FIELD) if isinstance(form.get(CSRF_FIELD), str) else None):
            raise PermissionError(STALE_FORM)
        upload = form.get("stl")
        units = str(form.get("units") or "mm")
        if upload is None or isinstance(upload, str) or not upload.filename:
            message = "choose an STL file to drop on the portal"
        else:

            def chunks() -> Any:
                upload.file.seek(0)
                while block := upload.file.read(1 << 20):
                    yield block

            try:
                part = await asyncio.to_thread(
                    portal.workspace.add_part, upload.filename, chunks(), units, settings.max_upload
                )
                return RedirectResponse(f"/parts/{part.id}", status_code=303)
            except ProdnetError as exc:
                message = _error_text(exc)
        return upload_page(request, 400, message)

    @app.get("/parts/{part_id}", response_class=HTMLResponse)
    async def part_page(request: Request, part_id: str) -> HTMLResponse:
        try:
            part = portal.workspace.part(part_id)
        except ProdnetError as exc:
            return portal.render(request, "error.html", status=404, message=_error_text(exc))
        text = request.query_params.get("quantity", "1")
        quantity = int(text) if text.isdigit() and 0 < int(text) < 2**32 else 1
        rank = request.query_params.get("rank", "price")
        try:
            data = await portal.read(pages.part_page, portal.reader, part, quantity, rank)
        except ProdnetError as exc:
            data = {"part": part, "offers": [], "problem": _error_text(exc)}
        return portal.render(request, "part.html", quantity=quantity, rank=rank, **data)

    @app.get("/parts/{part_id}/model.stl")
    async def part_model(request: Request, part_id: str) -> Response:
        try:
            part = portal.workspace.part(part_id)
        except ProdnetError as exc:
            return PlainTextResponse(_error_text(exc), status_code=404)
        return FileResponse(part.path, media_type="model/stl")

    # -- actions ---------------------------------------------------------------------------
    @app.post("/use")
    @guarded
    async def use_account(request: Request) -> Response:
        form = await form_of(request)
        assert portal.accounts is not None
        try:
            actor = portal.accounts.actor(form.get("actor"))
        except ProdnetError as exc:
            return PlainTextResponse(_error_text(exc), status_code=400)
        back = form.get("back") or "/"
        if not back.startswith("/") or back.startswith("//"):
            back = "/"
        response = RedirectResponse(back, status_code=303)
        response.set_cookie(ACTOR_COOKIE, actor.address, httponly=True, samesite="strict")
        return response

    @app.post("/act/{name}", response_class=HTMLResponse)
    @guarded
    async def act(request: Request, name: str) -> Response:
        form = await form_of(request)
        if name not in actions.ACTIONS:
            return PlainTextResponse(f"unknown action {name!r}", status_code=404)
        func, signs = actions.ACTIONS[name]
        actor = portal.actor(request)
        assert portal.accounts is not None
        accounts = portal.accounts

        def run() -> actions.Outcome:
            with accounts.chain_for(actor, form.get("account_passphrase"), signs=signs) as c:
                ctx = actions.Context(
                    chain=c,
                    workspace=portal.workspace,
                    ipfs_api=settings.ipfs_api,
                    file_store=settings.file_store,
                    chain_key=portal.chain_key,
                )
                return func(ctx, form)

        try:
            outcome = await portal.read(run)
            ok, lines, go_to = True, outcome.lines, outcome.go_to
            log.info("%s by %s: %s", name, actor.label, lines[0] if lines else "done")
        except Exception as exc:  # every refusal is shown next to its form, as the CLI says it
            ok, lines, go_to = False, [_error_text(exc)], None
            log.info("%s by %s refused: %s", name, actor.label, lines[0])
        template = "_result.html" if request.headers.get("hx-request") else "result.html"
        response = portal.render(
            request,
            template,
            status=200 if ok or template == "_result.html" else 400,
            ok=ok,
            lines=lines,
            go_to=go_to,
            action=name,
        )
        if ok:
            response.headers["HX-Trigger"] = "acted"  # the order page refreshes its next steps
        return response

    # -- live updates and files --------------------------------------------------------
    @app.get("/events")
    async def events(request: Request) -> StreamingResponse:
        async def stream() -> AsyncIterator[bytes]:
            seen = portal.live.version
            yield b": connected\n\n"
            while not await request.is_disconnected():
                version = await portal.live.wait(seen, timeout=15.0)
                if version != seen:
                    seen = version
                    yield f"event: changed\ndata: {portal.live.block}\n\n".encode()
                else:
                    yield b": ping\n\n"

        return StreamingResponse(stream(), media_type="text/event-stream")

    @app.get("/static/{name}")
    async def static(name: str) -> Response:
        path = HERE / "static" / name
        if not re.fullmatch(r"[a-z0-9_-]+\.(js|css|svg)", name) or not path.is_file():
            return PlainTextResponse("not found", status_code=404)
        media = {"js": "text/javascript", "css": "text/css", "svg": "image/svg+xml"}[name.rsplit(".", 1)[1]]
        return FileResponse(path, media_type=media)

    @app.get("/vendor/{name:path}")
    async def vendor(name: str) -> Response:
        path = portal.vendor.get(name)
        if path is None:
            return PlainTextResponse("not found", status_code=404)
        body = path.read_bytes()
        if name.startswith("three/addons/"):
            body = _BARE_THREE.sub(b"from '../../three.module.js'", body)
        return Response(body, media_type="text/javascript")

    return Guard(app, keys, settings.max_upload + (64 << 10)), portal


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
