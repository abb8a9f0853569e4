"""The demo world behind ``make portal``: on the connected development chain, a deployment,
a producer with a key and an SLS machine, two customers with keys, and orders in different
states (one completed, one waiting for the producer, one open with a job, one requested).
Two real Kubo nodes carry the models; the producer's follower pins each model submitted on
IPFS on the producer's node, as `ape run store follow` does."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from offchain.chain.client import Chain
from offchain.chain.deploy import deploy
from offchain.chain.session import contracts_of
from offchain.devtools.demo import DAY, MACHINE_ENVELOPE, PRICE_PER_CM3, _parts, follower
from offchain.devtools.kubo import KuboNode
from offchain.orders import steps
from offchain.transfer import keys as pgp_keys
from offchain.transfer import replication, storage

NAMES = ("admin", "producer", "alice", "bob", "carol")


@dataclass(frozen=True)
class World:
    key_folder: Path
    parts: dict[str, Path]
    labels: dict[str, str]  # address -> name
    ipfs_api: str  # the customers' Kubo node
    producer_ipfs_api: str
    file_store: Path


@contextlib.contextmanager
def demo_world(work: Path, echo: Callable[[str], None] = print) -> Iterator[World]:
    """Build the world in WORK (keys, parts, central store); the Kubo nodes run until exit."""
    from ape import accounts, chain

    people = {name: accounts.test_accounts[i] for i, name in enumerate(NAMES)}
    with contextlib.ExitStack() as stack:
        customers_node = stack.enter_context(KuboNode())
        producer_node = stack.enter_context(KuboNode())
        producer_node.connect(customers_node)
        deployment, _ = deploy(people["admin"], False, actor="admin")
        registry, orders, membership = contracts_of(deployment)

        def as_(name: str) -> Chain:
            return Chain(deployment, registry, orders, membership, people[name], name)

        key_folder = work / "keys"
        secret: dict[str, Path] = {}
        for name in ("producer", "alice", "bob"):
            key = pgp_keys.generate_key(name, f"{name}@prodnet.example")
            pub, secret[name] = pgp_keys.write_key_files(key, key_folder, name)
            steps.register_key(as_(name), pub)
        parts = _parts(work / "parts")
        store = storage.open_store("file", root=work / "central-store")
        ipfs = storage.open_store("ipfs", ipfs_api=customers_node.api_multiaddr)

        p = as_("producer")
        pins = replication.Replicas(storage.IpfsStore(producer_node.api_multiaddr))
        stack.enter_context(follower(p, pins, people["producer"].address, echo))
        machine = steps.register_machine(p, "SLS", "PA12", MACHINE_ENVELOPE, "ipfs://machine-datasheet")
        machine_id = machine.data["machine_id"]
        now = int(chain.pending_timestamp)

        def open_(capacity: int, price: int, days: int) -> int:
            step = steps.open_order(
                p, machine_id, None, capacity, now, now + days * DAY, now + (days + 14) * DAY, price
            )
            return int(step.data["order_id"])

        # 1: the whole story, completed (gives the producer a track record)
        done = open_(500_000, PRICE_PER_CM3, 7)
        a = steps.join(as_("alice"), done, parts["bracket"], 2).data["job_id"]
        b = steps.join(as_("bob"), done, parts["gear"], 3).data["job_id"]
        steps.close(p, done)
        steps.submit_model(as_("alice"), done, a, parts["bracket"], ipfs, secret["alice"])
        steps.submit_model(as_("bob"), done, b, parts["gear"], store, secret["bob"])
        for job in (a, b):
            steps.ship(p, done, job)
        steps.confirm(as_("alice"), done, a)
        steps.confirm(as_("bob"), done, b)
        # 2: closed, bob's model submitted: the producer's turn to fetch and ship
        waiting = open_(300_000, PRICE_PER_CM3, 5)
        w = steps.join(as_("bob"), waiting, parts["gear"], 2).data["job_id"]
        steps.close(p, waiting)
        steps.submit_model(as_("bob"), waiting, w, parts["gear"], ipfs, secret["bob"])
        # 3: open with alice's job in it; 4: open and empty, dearer; 5: a requested part
        open_id = open_(2_000_000, PRICE_PER_CM3, 10)
        steps.join(as_("alice"), open_id, parts["bracket"], 4)
        open_(1_000_000, 3 * PRICE_PER_CM3, 14)
        steps.request_order(as_("carol"), parts["ring"], 1, 5 * PRICE_PER_CM3, now + 3 * DAY, now + 30 * DAY)
        echo(
            f"demo world: orders {done} (completed), {waiting} (model submitted), {open_id} (open, one job), "
            f"{open_id + 1} (open), {open_id + 2} (requested) on chain {chain.chain_id}"
        )
        yield World(
            key_folder=key_folder,
            parts=parts,
            labels={people[n].address: n for n in NAMES},
            ipfs_api=customers_node.api_multiaddr,
            producer_ipfs_api=producer_node.api_multiaddr,
            file_store=work / "central-store",
        )
