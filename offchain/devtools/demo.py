"""The end-to-end demo behind ``make demo``: real Anvil, two real Kubo nodes, real OpenPGP."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from offchain import config
from offchain.chain.client import Chain, Step
from offchain.chain.codec import ZERO_ADDRESS
from offchain.chain.deploy import add_member, deploy
from offchain.chain.rpc import Rpc
from offchain.chain.session import contracts_of, is_poa, node_url, using_node
from offchain.devtools import parts as testdata
from offchain.devtools.kubo import KuboNode
from offchain.devtools.network import Network, NetworkError, summary_line
from offchain.devtools.octoprint import OctoPrintServer
from offchain.errors import ProdnetError
from offchain.formats import format_amount, table
from offchain.orders import pinning
from offchain.orders import steps as workflow
from offchain.orders.report import status
from offchain.parts import stl
from offchain.shop import printers as shop_printers
from offchain.shop import produce as shop
from offchain.transfer import keys as pgp_keys
from offchain.transfer import replication, storage

DAY = 24 * 3600
PRICE_PER_CM3 = 2 * 10**14  # 0.0002 ETH per cm3 of build space (bounding box x quantity)
ARBITER_PERCENT = 80  # the demo arbiter's split of a disputed deposit: 80% to the producer
MACHINE_ENVELOPE = (340_000, 340_000, 600_000)  # an SLS machine's build envelope, micrometres


def _parts(folder: Path) -> dict[str, Path]:
    """Realistic test parts (not cubes), generated deterministically."""
    folder.mkdir(parents=True, exist_ok=True)
    return {
        "bracket": testdata.write_binary(folder / "bracket.stl", testdata.bracket().triangles()),
        "gear": testdata.write_binary(folder / "gear.stl", testdata.gear().triangles()),
        "ring": testdata.write_binary(
            folder / "ring.stl", testdata.torus(major=200.0, minor=40.0).triangles()
        ),
    }


class Nodes:
    """Which node each actor sends through. On the members' geth network (connected to one of
    the local network's nodes, ``ape run network up``) the producer and the admin use node 1,
    alice node 2 and bob node 3; elsewhere (Anvil) everyone uses the connected node."""

    def __init__(self, network: Network | None) -> None:
        self.network = network
        self.urls: dict[str, str] = {}
        if network is not None:
            urls = [n.url for n in network.nodes if network.running(n)]
            for name, index in (("admin", 0), ("producer", 0), ("alice", 1), ("bob", 2), ("carol", 2)):
                self.urls[name] = urls[min(index, len(urls) - 1)]

    @classmethod
    def of_connected_chain(cls) -> Nodes:
        if not is_poa():
            return cls(None)
        try:
            network = Network.load()
        except NetworkError:
            return cls(None)
        connected = node_url().rstrip("/")
        if connected not in {n.url for n in network.nodes}:
            return cls(None)
        return cls(network)

    def of(self, actor: str) -> AbstractContextManager[Any]:
        url = self.urls.get(actor)
        if url is None or url == node_url().rstrip("/"):
            return contextlib.nullcontext()
        return using_node(url)

    def label(self, actor: str) -> str:
        if self.network is None:
            return actor
        return f"{actor}@node{[n.url for n in self.network.nodes].index(self.urls[actor]) + 1}"


@contextlib.contextmanager
def follower(
    c: Chain, replicas: replication.Replicas, account: str, echo: Callable[[str], None],
    poll: float = 0.2,
) -> Iterator[None]:
    """The producer's `ape run store follow` (pinning on REPLICAS' node each model submitted to
    ACCOUNT's orders, releasing those of finished jobs), on a thread while the block runs."""
    stop = threading.Event()

    def run() -> None:
        for done in pinning.follow(c, replicas, account, poll=poll, stop=stop.is_set):
            for line in done.lines():
                echo(f"  [producer's follower] {line}")

    thread = threading.Thread(target=run, name="prodnet-demo-follower", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=30)


def fee_of(step: Step) -> int | None:
    """What STEP's transaction cost its sender (gas used x effective gas price), in wei."""
    if not step.tx_hash:
        return None
    receipt = Rpc(node_url(), timeout=10).request("eth_getTransactionReceipt", step.tx_hash)
    return int(receipt["gasUsed"], 16) * int(receipt["effectiveGasPrice"], 16)


#: The printer the demo adds, and the slicing profile it attaches to the demo's machine: the
#: Virtual Printer takes any FFF G-code, so a PLA draft stands in for the SLS machine's profile.
DEMO_PRINTER = "virtual"
DEMO_PROFILE = "generic-pla-draft"
#: The Virtual Printer moves at this percentage of the G-code's feed rates (M220).
DEMO_SPEED_PERCENT = 1000


def printers_missing() -> str:
    """Why the demo cannot print (``""`` when PrusaSlicer and OctoPrint are installed)."""
    from offchain.devtools.binaries import octoprint_binary
    from offchain.errors import ProdnetError
    from offchain.shop.slicer import slicer_command

    for check in (slicer_command, octoprint_binary):
        try:
            check()
        except ProdnetError as exc:
            return f"the demo with printers needs PrusaSlicer and OctoPrint: {exc}"
    return ""


def _produce(
    c: Chain, order_id: int, job_id: int, secret: Path, ipfs_api: str, echo: Callable[[str], None]
) -> Step:
    """``order produce --ship-when-done``: fetch, verify, decrypt, slice, print, watch, ship."""

    def say(line: str) -> None:
        echo(f"  [producer] {line}")

    started = shop.produce(c, order_id, job_id, DEMO_PRINTER, secret, ipfs_api=ipfs_api, notify=say)
    say(started.summary)
    say(shop.watch(c, order_id, job_id, poll_s=1.0, notify=say).summary)
    return shop.ship_printed(c, order_id, job_id)


def run_demo(
    permissioned: bool, echo: Callable[[str], None] = print, keep: bool = False, printers: bool = False
) -> list[Step]:
    """Run the story in a temporary folder (secret keys, plaintext parts): removed at the end,
    also on error, unless KEEP, in which case its path is printed. PRINTERS: an OctoPrint with
    its Virtual Printer is started and added as the producer's printer, and one job goes from its
    model to print and to shipment once printed (``order produce --ship-when-done``)."""
    if printers and printers_missing():
        raise DemoSetupError(printers_missing())
    nodes = Nodes.of_connected_chain()  # read before the state folder is scoped to the demo's
    if nodes.network is not None:
        echo(summary_line(nodes.network))
    work = Path(tempfile.mkdtemp(prefix="prodnet-demo-"))
    try:
        return _run_demo(permissioned, echo, work, nodes, printers)
    finally:
        if nodes.network is not None:  # started before the demo ('ape run network up'): left as found
            echo(
                f"the members' network keeps running ({len(nodes.network.nodes)} nodes, its chain in "
                f"{nodes.network.folder}): 'ape run network down' stops it"
            )
        if keep:
            echo(f"kept the demo's folder (secret keys, plaintext parts): {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


class DemoSetupError(ProdnetError):
    """The demo cannot run as asked (a tool it needs is not installed)."""


def _run_demo(
    permissioned: bool, echo: Callable[[str], None], work: Path, nodes: Nodes, printers: bool = False
) -> list[Step]:
    from ape import accounts, chain

    started = time.monotonic()
    with config.scoped_home(work / "state"):
        admin, producer, alice, bob, carol = (accounts.test_accounts[i] for i in range(5))
        timeline: list[Step] = []

        fees: dict[int, int | None] = {}

        def record(step: Step) -> Step:
            timeline.append(step)
            fees[id(step)] = fee = fee_of(step)
            paid = f", fee {format_amount(fee)}" if fee is not None else ""
            echo(f"  [{nodes.label(step.actor)}] {step.line()}{paid}")
            return step

        mode = "permissioned" if permissioned else "public"
        echo(f"== prodnet demo ({mode} mode) on chain {chain.chain_id}")
        with contextlib.ExitStack() as running:
            alice_node, producer_node = running.enter_context(KuboNode()), running.enter_context(KuboNode())
            producer_node.connect(alice_node)
            echo(
                f"== two Kubo nodes on loopback: alice's {alice_node.api_multiaddr}, "
                f"the producer's {producer_node.api_multiaddr}"
            )
            file_store = storage.open_store("file", root=work / "central-store")

            deployment, steps = deploy(admin, permissioned, actor="admin")
            for step in steps:
                record(step)
            registry, orders, membership = contracts_of(deployment)

            def as_(account, name: str) -> Chain:
                return Chain(deployment, registry, orders, membership, account, name)

            if permissioned:
                a = as_(admin, "admin")
                record(add_member(a, producer.address, "producer"))
                for who in (alice, bob, carol):
                    record(add_member(a, who.address, "customer"))
                record(add_member(a, admin.address, "arbiter"))  # resolves the disputes it is no party to

            keys = {}
            for name in ("producer", "alice", "bob"):
                key = pgp_keys.generate_key(name, f"{name}@prodnet.example")
                keys[name] = pgp_keys.write_key_files(key, work / "keys", name)
            parts = _parts(work / "parts")

            echo(
                "== the producer publishes its key and machine and opens capacity"
                + ("" if permissioned else ", naming the admin the arbiter of its disputes")
            )
            p = as_(producer, "producer")
            record(workflow.register_key(p, keys["producer"][0]))
            machine = record(
                workflow.register_machine(p, "SLS", "PA12", MACHINE_ENVELOPE, "ipfs://machine-datasheet")
            )
            now = int(chain.pending_timestamp)
            opened = record(
                workflow.open_order(
                    p,
                    machine.data["machine_id"],
                    None,
                    500_000,
                    now,
                    now + 7 * DAY,
                    now + 21 * DAY,
                    PRICE_PER_CM3,
                    # named with the order's terms (public mode); members' disputes go to a
                    # member with the arbiter role
                    arbiter=None if permissioned else admin.address,
                )
            )
            order_id = opened.data["order_id"]
            if printers:
                octoprint = running.enter_context(OctoPrintServer(work / "octoprint"))
                octoprint.send(f"M220 S{DEMO_SPEED_PERCENT}")  # a demo's minutes, not the print's
                machine_id = machine.data["machine_id"]
                shop_printers.add(DEMO_PRINTER, octoprint.url, octoprint.api_key_file, machine_id)
                shop_printers.set_machine_profile(machine_id, DEMO_PROFILE)
                echo(
                    f"== the producer's printer {DEMO_PRINTER}: OctoPrint {octoprint.url} with its Virtual "
                    f"Printer (moving at {DEMO_SPEED_PERCENT}% of the G-code's speeds), for machine "
                    f"{machine_id}, slicing profile {DEMO_PROFILE} "
                    "(its API key in a mode-600 file; 'ape run printer add')"
                )

            echo("== customers inspect their parts (public data only) and join the same order")
            jobs = {}
            for name, account, part, quantity in (("alice", alice, "bracket", 4), ("bob", bob, "gear", 6)):
                data = stl.inspect(parts[part])
                x, y, z = data.bbox_mm
                echo(
                    f"  [{name}] {part}.stl: {x:g} x {y:g} x {z:g} mm, {data.volume_mm3:,.0f} mm3, "
                    f"{data.triangles} triangles, closed={data.closed}"
                )
                c = as_(account, name)
                with nodes.of(name):
                    record(workflow.register_key(c, keys[name][0]))
                    joined = record(workflow.join(c, order_id, parts[part], quantity))
                jobs[name] = joined.data["job_id"]

            echo("== a third customer's part does not fit and is refused before any gas is spent")
            try:
                with nodes.of("carol"):
                    workflow.join(as_(carol, "carol"), order_id, parts["ring"], 1)
                raise RuntimeError("the oversized part was accepted")
            except workflow.StepError as refusal:
                echo(f"  [carol] refused: {refusal}")

            echo(
                "== the producer closes the order; customers submit encrypted models (the "
                "producer's follower pins each one on its own Kubo node as it is recorded)"
            )
            record(workflow.close(p, order_id))
            producer_pins = replication.Replicas(storage.IpfsStore(producer_node.api_multiaddr))
            with follower(p, producer_pins, producer.address, echo):
                alice_store = storage.open_store("ipfs", ipfs_api=alice_node.api_multiaddr)
                with nodes.of("alice"):
                    record(
                        workflow.submit_model(
                            as_(alice, "alice"), order_id, jobs["alice"], parts["bracket"],
                            alice_store, keys["alice"][1],
                        )
                    )
            alice_node.stop()
            echo("  [alice] closes her laptop: her Kubo node is stopped right after the submission")
            with nodes.of("bob"):
                record(
                    workflow.submit_model(
                        as_(bob, "bob"), order_id, jobs["bob"], parts["gear"], file_store, keys["bob"][1]
                    )
                )

            echo("== the producer fetches, verifies and decrypts both models, builds and ships")
            by_hand = ("alice", "bob")
            if printers:
                by_hand = ("bob",)
                echo(
                    f"  [producer] alice's job {jobs['alice']} goes to the printer: 'ape run order produce "
                    f"{order_id} {jobs['alice']} --printer {DEMO_PRINTER} --ship-when-done'"
                )
                secret, ipfs_api = keys["producer"][1], producer_node.api_multiaddr
                record(_produce(p, order_id, jobs["alice"], secret, ipfs_api, echo))
            for name in by_hand:
                out = work / "producer-inbox" / f"{name}-job{jobs[name]}.stl"
                out.parent.mkdir(parents=True, exist_ok=True)
                fetched = workflow.fetch_model(
                    p, order_id, jobs[name], keys["producer"][1], out, ipfs_api=producer_node.api_multiaddr
                )
                echo(
                    f"  [producer] job {jobs[name]}: {fetched.uri[:60]} -> {out.name}, signed by {name} "
                    f"({fetched.signer[:16]}…), matches the public data on chain"
                )
                record(workflow.ship(p, order_id, jobs[name]))

            echo(
                "== alice confirms receipt; bob disputes his gear and the arbiter (admin) splits its "
                f"deposit, {ARBITER_PERCENT}% to the producer"
            )
            with nodes.of("alice"):
                record(workflow.confirm(as_(alice, "alice"), order_id, jobs["alice"]))
            with nodes.of("bob"):
                reason = "the gear's teeth are chipped"
                record(workflow.dispute(as_(bob, "bob"), order_id, jobs["bob"], reason))
            with nodes.of("admin"):
                deposit = int(orders.getJob(order_id, jobs["bob"]).deposit)
                share = deposit * ARBITER_PERCENT // 100
                record(workflow.resolve(as_(admin, "admin"), order_id, jobs["bob"], share))

            released = pinning.follow_once(p, producer_pins, producer.address)
            for line in released.lines():
                echo(f"  [producer's follower] {line}")
            echo("== the producer and bob withdraw their credit")
            record(workflow.withdraw(p))
            with nodes.of("bob"):
                record(workflow.withdraw(as_(bob, "bob")))

        echo("\n== timeline")
        rows = [["#", "step", "actor", "tx", "gas", "fee"]]
        for i, step in enumerate(timeline, 1):
            fee = fees.get(id(step))
            rows.append(
                [
                    str(i), step.step, nodes.label(step.actor), (step.tx_hash or "-")[:18] + "…",
                    f"{step.gas_used or 0:,}", "-" if fee is None else format_amount(fee),
                ]
            )
        echo(table(rows))
        total = sum(s.gas_used or 0 for s in timeline)
        echo(f"total gas: {total:,}; total fees: {format_amount(sum(f or 0 for f in fees.values()))}")
        echo("\n== final status")
        echo(status(as_(producer, "producer"), order_id))
        credit = int(orders.credits(producer.address, ZERO_ADDRESS))
        echo(f"\nproducer credit left: {format_amount(credit)}; demo took {time.monotonic() - started:.1f}s")
    return timeline
