"""Fixtures of the portal tests: a real Anvil with the demo world on it (deployment, a
producer with a machine, customers, orders in every state), two real Kubo nodes, the real
app served by uvicorn, and Debian's Chromium driven by Playwright.

Package-scoped: one world, one server, one browser; each test opens its own orders.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from offchain import config
from offchain.chain.client import Chain
from offchain.devtools.anvil import AnvilNode, free_port
from offchain.devtools.world import World, demo_world
from offchain.orders.indexed import forget_indexes
from offchain.portal.app import Settings, create_app
from offchain.portal.security import Secrets
from offchain.portal.workspace import Workspace

CHROMIUM = "/usr/bin/chromium"
#: The test account the portal shows as "arbiter": named by producers as their orders' arbiter
#: (public mode). The demo world has none (offchain/devtools/world.py), so the tests add it.
ARBITER_ACCOUNT = 6
UPLOAD_LIMIT_MIB = 1
SCREENSHOTS = Path(__file__).resolve().parents[2] / "reports" / "portal"


@dataclass
class Portal:
    url: str
    keys: Secrets
    world: World
    work: Path
    workspace: Workspace
    reader: Any
    locked: str = ""

    @property
    def entry(self) -> str:
        return f"{self.url}/?token={self.keys.token}"


# package scope: the portal's chain is Ape's provider only while tests/portal runs (a
# session-scoped one would stay connected under every later test)
@pytest.fixture(scope="package")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    import uvicorn
    from ape import networks

    work = tmp_path_factory.mktemp("portal")
    # 1337: the chain id Ape signs with on its "local" network
    node = AnvilNode(args=("--chain-id", "1337"), log=work / "anvil.log").start()
    try:
        with (
            config.scoped_home(work / "state"),
            networks.parse_network_choice(f"ethereum:local:{node.url}"),
            demo_world(work, echo=lambda line: None) as world,
        ):
            locked = _locked_account()
            from ape import accounts

            arbiter = accounts.test_accounts[ARBITER_ACCOUNT].address
            keys = Secrets()
            settings = Settings(
                port=free_port(),
                max_upload=UPLOAD_LIMIT_MIB << 20,
                ipfs_api=world.ipfs_api,
                file_store=str(world.file_store),
                key_folder=world.key_folder,
                test_accounts=ARBITER_ACCOUNT + 1,
                labels={**world.labels, locked.address: "locked", arbiter: "arbiter"},
            )
            asgi, state = create_app(settings, keys)
            server = uvicorn.Server(
                uvicorn.Config(
                    asgi,
                    host="127.0.0.1",
                    port=settings.port,
                    access_log=False,
                    log_level="warning",
                    timeout_graceful_shutdown=1,
                )
            )
            thread = threading.Thread(target=server.run, daemon=True)
            thread.start()
            deadline = time.monotonic() + 30
            while not server.started:
                if time.monotonic() > deadline or not thread.is_alive():
                    raise RuntimeError("the portal did not start within 30 s")
                time.sleep(0.05)
            try:
                yield Portal(
                    f"http://127.0.0.1:{settings.port}",
                    keys,
                    world,
                    work,
                    state.workspace,
                    state.reader,
                    locked.address,
                )
            finally:
                server.should_exit = True
                thread.join(timeout=10)
                forget_indexes()
                locked.keyfile_path.unlink(missing_ok=True)
    finally:
        node.stop()


LOCKED_PASSPHRASE = "right one"


def _locked_account() -> Any:
    """A funded Ape keyfile account (passphrase LOCKED_PASSPHRASE), removed after the session."""
    from ape import accounts
    from ape_accounts import generate_account

    alias = f"portaltest{secrets.token_hex(4)}"
    account, _ = generate_account(alias, LOCKED_PASSPHRASE)
    accounts.test_accounts[9].transfer(account, 10**18)
    return account


def _chain_of(portal: Portal, account: Any) -> Chain:
    r = portal.reader
    label = portal.world.labels.get(account.address, "arbiter")
    return Chain(r.deployment, r.registry, r.orders, r.membership, account, label)


@pytest.fixture
def people(portal: Portal) -> dict[str, Chain]:
    """The library's view of the world's people (producer, alice, bob) and the arbiter, to
    set up what a test then does on the pages and to check the chain afterwards."""
    from ape import accounts

    by_label = {name: address for address, name in portal.world.labels.items()}
    people = {
        name: _chain_of(portal, next(a for a in accounts.test_accounts if a.address == by_label[name]))
        for name in ("producer", "alice", "bob")
    }
    people["arbiter"] = _chain_of(portal, accounts.test_accounts[ARBITER_ACCOUNT])
    return people


@pytest.fixture(scope="package")
def locked_account(portal: Portal) -> Any:
    from ape import accounts

    return next(a for a in accounts if a.address == portal.locked)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run 'make setup' (it installs Debian's chromium)")
    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=CHROMIUM, args=["--use-angle=swiftshader", "--enable-unsafe-swiftshader"]
        )
        yield chromium
        chromium.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    report = yield
    if report.when == "call":
        item.stash[FAILED] = report.failed
    return report


FAILED = pytest.StashKey[bool]()


@pytest.fixture
def page(browser, portal: Portal, request: pytest.FixtureRequest) -> Iterator[object]:
    """A fresh browser context that entered through the printed URL (token -> cookie)."""
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.goto(portal.entry)
    yield tab
    if request.node.stash.get(FAILED, False):  # what the browser showed when the test failed
        name = f"failed-{request.node.name}"
        screenshot(tab, name)
        (SCREENSHOTS / f"{name}.html").write_text(tab.content())
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def screenshot(tab, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def fresh_order(portal: Portal) -> tuple[Chain, int]:
    """An open order of the demo producer, opened through the library (not the page)."""
    from ape import accounts, chain

    from offchain.orders import steps
    from tests.portal.helpers import address_of

    producer = next(a for a in accounts.test_accounts if a.address == address_of(portal, "producer"))
    reader = portal.reader
    c = Chain(reader.deployment, reader.registry, reader.orders, None, producer, "producer")
    now = int(chain.pending_timestamp)
    day = 86_400
    step = steps.open_order(c, 1, None, 900_000, now, now + 5 * day, now + 20 * day, 2 * 10**14)
    return c, int(step.data["order_id"])
