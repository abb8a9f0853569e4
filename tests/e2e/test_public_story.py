"""The whole public story through the operator CLI, as the operators would type it.

Deploy, keys, machine (the `public_world` fixture, checked here), then one order: open, two
customers join, close, one model through IPFS (customer's node -> producer's node), one
through the central file store, fetch + decrypt, ship, confirm, withdraw, status, history.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.helpers import job_of_join, parallel
from tests.e2e.story import Joined, finish_order
from tests.e2e.world import Ipfs, World, record_file


def test_deploy_and_registration(public_world: World) -> None:
    w = public_world
    deployed = w.setup["deploy"]
    assert "deploy CapacityRegistry" in deployed.stdout and "deploy ProductionOrders" in deployed.stdout
    assert "mode:       public" in deployed.stdout
    assert "membership:" not in deployed.stdout
    record = json.loads(record_file(w.home).read_text())
    assert f"registry:   {record['registry']}" in deployed.stdout
    assert f"orders:     {record['orders']}" in deployed.stdout
    assert record["membership"] is None
    assert record["deployer"].lower() == w.people.admin.address.lower()
    for address in (record["registry"], record["orders"]):
        assert w.rpc.code(address), f"no code at {address}"
    for step in ("deploy CapacityRegistry", "deploy ProductionOrders"):
        receipt = w.rpc.receipt(deployed.tx(step))
        assert receipt["status"] == "0x1" and receipt["from"].lower() == w.people.admin.address.lower()

    for who in (w.people.producer, *w.people.customers()):
        receipt = w.rpc.receipt(w.setup[f"{who.name} register-key"].tx("register-key"))
        assert receipt["status"] == "0x1" and receipt["from"].lower() == who.address.lower()
    # The producer acts through an imported, passphrase-protected keyfile account.
    producer = w.people.producer
    imported = w.people.setup["producer_import"]
    assert f"A new account '{producer.address}'" in imported.stdout + imported.stderr, imported.explain()
    keyfile = json.loads((producer.ape_dir / "accounts" / f"{producer.account}.json").read_text())
    assert keyfile["crypto"]["ciphertext"] and producer.address[2:].lower() == keyfile["address"].lower()

    machine = w.setup["register-machine"]
    assert "SLS machine, PA12, envelope 340 x 340 x 600 mm" in machine.stdout
    assert w.rpc.receipt(machine.tx("register-machine"))["from"].lower() == w.people.producer.address.lower()


def test_public_story(
    public_world: World, ipfs: Ipfs, parts: dict[str, Path], file_store: Path, tmp_path: Path
) -> None:
    w, p = public_world, public_world.people
    alice, bob = p.alice, p.bob
    cli = w.cli

    # Deploying again changes nothing and says so; meanwhile the producer opens capacity.
    record_before = record_file(w.home).read_bytes()
    admin_nonce = w.rpc.nonce(p.admin.address)
    again, order_id = parallel(lambda: cli.run(p.admin, "deploy").ok(), w.open_order)
    assert "already deployed on ethereum:prodnet (chain 31337); nothing to do" in again.stdout
    assert record_file(w.home).read_bytes() == record_before
    assert w.rpc.nonce(p.admin.address) == admin_nonce
    assert w.orders.order_status(order_id) == "open"
    balance_before_joins = w.rpc.balance(w.orders.address)

    # Two customers join the same order (one after the other: see test_order_guards for the
    # job ids printed by simultaneous joins).
    joined_a = cli.run(alice, "order", "join", str(order_id), str(parts["bracket"])).ok()
    joined_b = cli.run(bob, "order", "join", str(order_id), str(parts["gear"])).ok()
    job_a = joined_a.number(rf"^join: job (\d+) of order {order_id}: bracket\.stl")
    job_b = joined_b.number(rf"^join: job (\d+) of order {order_id}: gear\.stl")
    assert job_of_join(w.rpc, joined_a.tx("join")) == (order_id, job_a) == (order_id, 1)
    assert job_of_join(w.rpc, joined_b.tx("join")) == (order_id, job_b) == (order_id, 2)
    assert "part 80 x 80 x 5 mm" in joined_a.stdout  # the quote, from the STL's public data
    ja, jb = w.orders.job(order_id, job_a), w.orders.job(order_id, job_b)
    assert ja["customer"].lower() == alice.address.lower() and jb["customer"].lower() == bob.address.lower()
    assert w.orders.job_status(order_id, job_a) == w.orders.job_status(order_id, job_b) == "joined"
    assert (ja["dimX"], ja["dimY"], ja["dimZ"]) == (80_000, 80_000, 5_000)
    assert w.rpc.balance(w.orders.address) == balance_before_joins + ja["deposit"] + jb["deposit"]
    assert w.orders.order(order_id)["used"] > 0

    joined = Joined(order_id, job_a, job_b, joined_a, joined_b)
    finish_order(w, ipfs, parts, file_store, tmp_path / "inbox", joined)

