"""What the portal's routes share: the settings of this start, the accounts, the index
reader, the templates, the live-update signal and the one thread that talks to Ape.

``create_app`` builds one ``Portal``; the routes get it through the ``PortalDep``
dependency (``offchain.portal.dependencies``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from offchain import config
from offchain.chain.client import Chain
from offchain.chain.session import open_chain
from offchain.errors import ProdnetError
from offchain.formats import format_time
from offchain.orders.indexed import market_index
from offchain.portal.intents import Intents
from offchain.portal.security import Secrets
from offchain.portal.session import Accounts, ChainThread
from offchain.portal.workspace import Workspace

HERE = Path(__file__).resolve().parent
NODE_MODULES = HERE.parents[1] / "node_modules"
log = logging.getLogger("prodnet.portal")

# what the app serves from npm packages (pinned in package-lock.json), by URL path
VENDOR = {
    "htmx.min.js": "htmx.org/dist/htmx.min.js",
    "three/three.module.js": "three/build/three.module.js",
    "three/three.core.js": "three/build/three.core.js",
    "three/addons/loaders/STLLoader.js": "three/examples/jsm/loaders/STLLoader.js",
    "three/addons/loaders/3MFLoader.js": "three/examples/jsm/loaders/3MFLoader.js",
    "three/addons/loaders/OBJLoader.js": "three/examples/jsm/loaders/OBJLoader.js",
    "three/addons/libs/fflate.module.js": "three/examples/jsm/libs/fflate.module.js",
    "three/addons/utils/BufferGeometryUtils.js": "three/examples/jsm/utils/BufferGeometryUtils.js",
    "three/addons/controls/OrbitControls.js": "three/examples/jsm/controls/OrbitControls.js",
}


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
    """Tells every open page when the index saw new events, and when a print's progress changed
    (server-sent events ``changed`` and ``printing``)."""

    def __init__(self) -> None:
        self.version = 0
        self.block = 0
        self.prints = 0
        self._changed = asyncio.Condition()

    async def bump(self, block: int) -> None:
        async with self._changed:
            self.version += 1
            self.block = block
            self._changed.notify_all()

    async def bump_prints(self) -> None:
        async with self._changed:
            self.prints += 1
            self._changed.notify_all()

    async def wait(self, seen: tuple[int, int], timeout: float) -> tuple[int, int]:
        """(index version, prints version) once either differs from SEEN, or at TIMEOUT."""
        async with self._changed:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._changed.wait_for(lambda: (self.version, self.prints) != seen), timeout
                )
            return self.version, self.prints


class Portal:
    """Everything the routes share."""

    def __init__(self, settings: Settings, keys: Secrets) -> None:
        self.settings = settings
        self.keys = keys
        self.thread = ChainThread()
        self.live = Live()
        self.intents = Intents()
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
        # a long hash or URI in a page: its start and end (the whole is in its title and copy button)
        self.templates.filters["shorten"] = lambda t: f"{t[:14]}…{t[-8:]}" if t and len(str(t)) > 26 else t
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

    async def watch_prints(self, every_s: float = 2.0) -> None:
        """While a print of this deployment runs, ask its printer every EVERY_S seconds (in a
        worker thread: never the chain thread) and wake the pages when what they show of it
        changed; the shop records a print OctoPrint counts as ended (``shop.floor``)."""
        from offchain.shop import floor

        assert self.reader is not None
        shown: dict[tuple[int, int], tuple[str, int]] = {}
        while True:
            try:
                jobs = await asyncio.to_thread(floor.running, self.reader)
                for order_id, job_id in jobs + [j for j in shown if j not in jobs]:
                    seen = await asyncio.to_thread(floor.observe, self.reader, order_id, job_id)
                    now = (seen.state, int(seen.completion or 0))
                    if shown.get((order_id, job_id)) != now:
                        shown[(order_id, job_id)] = now
                        await self.live.bump_prints()
                    if seen.state not in ("started", "printing"):
                        shown.pop((order_id, job_id), None)
            except Exception as exc:  # a record or printer that cannot be read: said, the loop goes on
                log.warning("prints: %s", exc)
            await asyncio.sleep(every_s)
