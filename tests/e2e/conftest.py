"""Fixtures of the end-to-end tests: a separately started Anvil, two Kubo nodes, operators
with real keys (the producer a passphrase-protected Ape keyfile account), and a public
deployment made through the CLI.

Session-scoped where the state can be shared: every `ape run` costs seconds, so the suite
deploys once per mode and each test opens its own orders.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from eth_account import Account

from offchain.devtools import parts as testdata
from offchain.devtools.kubo import KuboNode
from tests.e2e.helpers import (
    TEST_MNEMONIC,
    Actor,
    Cli,
    Result,
    Rpc,
    RpcError,
    env_for_subprocesses,
    free_port,
    parallel,
    venv_bin,
)
from tests.e2e.world import (
    KEY_PASSPHRASE_ENV,
    PRODUCER_ALIAS,
    Anvil,
    Ipfs,
    People,
    World,
    following,
    make_world,
    register_all,
)

# -- processes -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def e2e_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("e2e")


@pytest.fixture(scope="session")
def anvil(e2e_dir: Path) -> Iterator[Anvil]:
    """`anvil --port P --silent`, its own process group, killed at the end whatever happens."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = open(e2e_dir / "anvil.log", "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [venv_bin("anvil"), "--port", str(port), "--silent"],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    rpc = Rpc(url)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"anvil exited with {process.returncode}: see {e2e_dir / 'anvil.log'}")
            try:
                if int(rpc("eth_chainId"), 16) == 31337:
                    break
            except (OSError, RpcError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("anvil did not answer within 60 s")
            time.sleep(0.1)
        yield Anvil(url, rpc, process)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=15)
        log.close()


@pytest.fixture(scope="session")
def ipfs() -> Iterator[Ipfs]:
    """The customers' Kubo node and the producer's, separate and connected (session-wide; the
    function-scoped `kubo_pair` of tests/conftest.py would restart them for every test)."""
    customer, producer = KuboNode(), KuboNode()
    try:
        parallel(customer.start, producer.start)
        producer.connect(customer)
        yield Ipfs(customer, producer)
    finally:
        customer.stop()
        producer.stop()


# -- operators ------------------------------------------------------------------------------


def _test_account(index: int) -> str:
    Account.enable_unaudited_hdwallet_features()
    return str(Account.from_mnemonic(TEST_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}").address)


@pytest.fixture(scope="session")
def base_cli(e2e_dir: Path, anvil: Anvil) -> Cli:
    """CLI environment of the public deployment: PRODNET_HOME=<tmp>/state."""
    return Cli(
        env_for_subprocesses(
            e2e_dir / "state", anvil.url, e2e_dir / "central-store", extra={}
        )
    )


@pytest.fixture(scope="session")
def people(e2e_dir: Path, anvil: Anvil, base_cli: Cli) -> People:
    """Operators with OpenPGP keys made by `ape run keys generate`; the producer's Ape account
    is a keyfile imported with `ape accounts import` (private key and passphrase on stdin) and
    funded with anvil_setBalance; customers use Anvil's funded test accounts."""
    keys = e2e_dir / "keys"
    keyfile_passphrase = secrets.token_urlsafe(12)
    key_passphrase = secrets.token_urlsafe(12)
    private_key = "0x" + secrets.token_hex(32)

    def actor(name: str, account: str, address: str) -> Actor:
        ape_dir = e2e_dir / "ape" / name  # each operator's own Ape data folder
        ape_dir.mkdir(parents=True, exist_ok=True)
        return Actor(name, account, address, ape_dir, keys / f"{name}.pub.asc", keys / f"{name}.sec.asc")

    anvil_accounts = [a.lower() for a in anvil.rpc("eth_accounts")]
    tests = {i: _test_account(i) for i in (0, 2, 3, 4, 5)}
    assert all(tests[i].lower() == anvil_accounts[i] for i in tests), "Anvil's accounts are not Ape's TEST::n"
    people = People(
        admin=actor("admin", "TEST::0", tests[0]),
        producer=actor("producer", PRODUCER_ALIAS, str(Account.from_key(private_key).address)),
        alice=actor("alice", "TEST::2", tests[2]),
        bob=actor("bob", "TEST::3", tests[3]),
        carol=actor("carol", "TEST::4", tests[4]),
        dave=actor("dave", "TEST::5", tests[5]),
        producer_keyfile_passphrase=keyfile_passphrase,
        key_passphrase=key_passphrase,
    )
    cli = base_cli.with_env(**{KEY_PASSPHRASE_ENV: key_passphrase})

    def producer_setup() -> list[Result]:
        imported = cli.ape(
            people.producer,
            "accounts",
            "import",
            PRODUCER_ALIAS,
            stdin=f"{private_key}\n{keyfile_passphrase}\n{keyfile_passphrase}\n",
        )
        key = cli.plain(
            people.producer, "keys", "generate", "--name", "producer", "--email", "producer@prodnet.example",
            "--out", str(keys), "--passphrase-env", KEY_PASSPHRASE_ENV,
        )
        return [imported, key]

    def customer_key(who: Actor) -> Callable[[], Result]:
        return lambda: cli.plain(
            who, "keys", "generate", "--name", who.name, "--email", f"{who.name}@prodnet.example",
            "--out", str(keys),
        )

    (imported, producer_key), *customer_keys = parallel(
        producer_setup, *(customer_key(c) for c in people.customers())
    )
    imported.ok()
    keyfile = people.producer.ape_dir / "accounts" / f"{PRODUCER_ALIAS}.json"
    assert json.loads(keyfile.read_text())["address"].lower() == people.producer.address[2:].lower()
    for result in (producer_key, *customer_keys):
        assert result.ok().stdout.startswith("fingerprint "), result.explain()
    for who in (people.producer, *people.customers()):
        assert who.public_key and who.public_key.exists() and who.secret_key and who.secret_key.exists()
    anvil.rpc("anvil_setBalance", people.producer.address, hex(1000 * 10**18))
    people.setup.update(producer_import=imported, producer_key=producer_key)
    people.setup.update({f"{c.name}_key": r for c, r in zip(people.customers(), customer_keys, strict=True)})
    return people


@pytest.fixture(scope="session")
def parts(e2e_dir: Path) -> dict[str, Path]:
    folder = e2e_dir / "parts"
    folder.mkdir()
    return {
        "bracket": testdata.write_binary(folder / "bracket.stl", testdata.bracket().triangles()),
        "gear": testdata.write_binary(folder / "gear.stl", testdata.gear().triangles()),
        # 480 x 480 x 80 mm: larger than the 340 x 340 x 600 mm machine in every orientation
        "torus": testdata.write_binary(folder / "torus.stl", testdata.torus(major=200, minor=40).triangles()),
    }


# -- deployments ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def operator_cli(base_cli: Cli, people: People) -> Cli:
    """The CLI as the operators run it: the producer's keyfile account unlocks from
    APE_ACCOUNTS_producer_PASSPHRASE, its OpenPGP key's passphrase is in KEY_PASSPHRASE_ENV."""
    return base_cli.with_env(
        **{
            f"APE_ACCOUNTS_{PRODUCER_ALIAS}_PASSPHRASE": people.producer_keyfile_passphrase,
            KEY_PASSPHRASE_ENV: people.key_passphrase,
        }
    )


@pytest.fixture(scope="session")
def public_world(
    e2e_dir: Path, anvil: Anvil, operator_cli: Cli, people: People, ipfs: Ipfs
) -> Iterator[World]:
    """`ape run deploy` (public mode) by the admin, then every operator registers its key and
    the producer its machine. The results are kept for test_public_story to check. The
    producer's follower (`ape run store follow`) runs on its Kubo node meanwhile, so each
    model submitted on IPFS is pinned there too (submit-model waits for that copy)."""
    home = e2e_dir / "state"
    deployed = operator_cli.run(people.admin, "deploy").ok()
    setup = register_all(operator_cli, people, people.customers())
    world = make_world(operator_cli, anvil.rpc, people, home, deployed, setup)
    with following(world, ipfs, e2e_dir / "follower-public.log"):
        yield world


@pytest.fixture(scope="session")
def file_store(e2e_dir: Path) -> Path:
    return e2e_dir / "central-store"

