"""The deployments the end-to-end tests act on, and the operators acting on them."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from offchain.devtools.kubo import KuboNode
from tests.e2e.helpers import Actor, Cli, Contract, Orders, Result, Rpc, load_abi, parallel

PRODUCER_ALIAS = "producer"
KEY_PASSPHRASE_ENV = "PRODNET_E2E_KEY_PASSPHRASE"
MACHINE_ENVELOPE = "340x340x600mm"


@dataclass
class Anvil:
    url: str
    rpc: Rpc
    process: subprocess.Popen[bytes]


@dataclass
class Ipfs:
    customer: KuboNode
    producer: KuboNode

    def customer_api(self) -> str:
        assert self.customer.api_multiaddr
        return self.customer.api_multiaddr

    def producer_api(self) -> str:
        assert self.producer.api_multiaddr
        return self.producer.api_multiaddr


@dataclass
class People:
    admin: Actor
    producer: Actor
    alice: Actor
    bob: Actor
    carol: Actor
    dave: Actor  # never registers, never a member
    producer_keyfile_passphrase: str
    key_passphrase: str
    setup: dict[str, Result] = field(default_factory=dict)

    def customers(self) -> list[Actor]:
        return [self.alice, self.bob, self.carol]


@dataclass
class World:
    """One deployment and the operators acting on it through the CLI."""

    cli: Cli
    rpc: Rpc
    people: People
    home: Path
    record: dict[str, object]
    orders: Orders
    machine_id: int
    setup: dict[str, Result]

    def as_producer(self, *args: str) -> Result:
        return self.cli.run(self.people.producer, "order", *args)

    def open_order(self, *extra: str, end: str = "+7d", capacity: str = "500") -> int:
        opened = self.as_producer(
            "open", "--machine", str(self.machine_id), "--capacity", capacity, "--end", end,
            "--delivery", "+21d", "--price", "0.0002", *extra,
        ).ok()
        return opened.number(r"^open: order (\d+): ")


def record_file(home: Path) -> Path:
    return home / "deployments" / "ethereum-prodnet-31337.json"


def register_all(cli: Cli, people: People, customers: list[Actor]) -> dict[str, Result]:
    """Producer: register-key then register-machine; customers: register-key; in parallel."""

    def producer() -> tuple[Result, Result]:
        key = cli.run(people.producer, "order", "register-key", str(people.producer.public_key)).ok()
        machine = cli.run(
            people.producer, "order", "register-machine", "--process", "SLS", "--material", "PA12",
            "--envelope", MACHINE_ENVELOPE, "--metadata-uri", "ipfs://machine-datasheet",
        ).ok()
        return key, machine

    def customer(who: Actor) -> Callable[[], Result]:
        return lambda: cli.run(who, "order", "register-key", str(who.public_key)).ok()

    (key, machine), *keys = parallel(producer, *(customer(c) for c in customers))
    results = {f"{people.producer.name} register-key": key, "register-machine": machine}
    results.update({f"{who.name} register-key": r for who, r in zip(customers, keys, strict=True)})
    return results


def make_world(
    cli: Cli, rpc: Rpc, people: People, home: Path, deployed: Result, setup: dict[str, Result]
) -> World:
    record = json.loads(record_file(home).read_text())
    orders = Orders(Contract(rpc, str(record["orders"]), load_abi("IProductionOrders")))
    machine_id = setup["register-machine"].number(r"^register-machine: machine (\d+): ")
    return World(cli, rpc, people, home, record, orders, machine_id, {"deploy": deployed, **setup})


@contextmanager
def following(world: World, ipfs: Ipfs, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """The producer's `ape run store follow` on its Kubo node while the block runs (looking 5 s
    for a model no reachable node holds, so a test that makes one does not hold up the rest)."""
    process = world.cli.with_env(PRODNET_IPFS_FIND_TIMEOUT="5").start(
        world.people.producer, "store", "follow", "--ipfs-api", ipfs.producer_api(), "--poll", "0.5",
        log=log,
    )
    try:
        yield process
    finally:
        world.cli.stop(process)
