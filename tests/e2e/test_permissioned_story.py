"""The same story on a permissioned deployment (members only), on the same chain with a fresh
state folder: the admin deploys with --permissioned and adds members; a non-member cannot join."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.helpers import Actor, Cli, Contract, Result, job_of_join, load_abi, parallel
from tests.e2e.story import Joined, finish_order
from tests.e2e.world import Anvil, Ipfs, People, following, make_world, record_file


def test_permissioned_story(
    operator_cli: Cli,
    anvil: Anvil,
    people: People,
    ipfs: Ipfs,
    parts: dict[str, Path],
    file_store: Path,
    e2e_dir: Path,
    tmp_path: Path,
) -> None:
    home = e2e_dir / "state-permissioned"
    cli = operator_cli.with_env(PRODNET_HOME=str(home))
    p, rpc = people, anvil.rpc
    admin, producer, alice, bob, carol, dave = p.admin, p.producer, p.alice, p.bob, p.carol, p.dave

    deployed = cli.run(admin, "deploy", "--permissioned").ok()
    assert "deploy Membership" in deployed.stdout and "mode:       permissioned" in deployed.stdout
    record = json.loads(record_file(home).read_text())
    assert record["membership"] and f"membership: {record['membership']}" in deployed.stdout
    assert rpc.code(record["membership"])
    membership = Contract(rpc, record["membership"], load_abi("Membership"))
    producer_role, customer_role = membership.call("PRODUCER_ROLE"), membership.call("CUSTOMER_ROLE")

    def member(who_address: str, role: str) -> Result:
        return cli.run(admin, "members", "add", who_address, "--role", role).ok()

    def order(who: Actor, *args: str) -> Result:
        return cli.run(who, "order", *args)

    # The admin adds members one by one (its own nonce); each starts as soon as it is in.
    member(producer.address, "producer")
    _, producer_key = parallel(
        lambda: member(alice.address, "customer"),
        lambda: order(producer, "register-key", str(producer.public_key)).ok(),
    )
    _, alice_key, machine = parallel(
        lambda: member(bob.address, "customer"),
        lambda: order(alice, "register-key", str(alice.public_key)).ok(),
        lambda: order(
            producer, "register-machine", "--process", "SLS", "--material", "PA12",
            "--envelope", "340x340x600mm",
        ).ok(),
    )
    for who, role in ((producer, producer_role), (alice, customer_role), (bob, customer_role)):
        assert membership.call("hasRole", role, who.address), f"{who.name} is not a member"
    assert not membership.call("hasRole", customer_role, dave.address)

    w = make_world(cli, rpc, people, home, deployed, {"register-machine": machine})
    assert w.record["membership"] == record["membership"] and w.orders.address == record["orders"]
    bob_key, order_id, arbiter = parallel(
        lambda: order(bob, "register-key", str(bob.public_key)).ok(),
        w.open_order,
        lambda: cli.run(admin, "members", "add", carol.address, "arbiter").ok(),  # the role as typed
    )
    assert f"members add: {carol.address} is now an arbiter" in arbiter.stdout
    assert membership.call("hasRole", membership.call("ARBITER_ROLE"), carol.address)
    for result in (producer_key, alice_key, bob_key):
        assert rpc.receipt(result.tx("register-key"))["status"] == "0x1"

    # Alice joins while dave, who is not a member, tries to: refused, nothing sent.
    dave_nonce = rpc.nonce(dave.address)
    joined_a, refused = parallel(
        lambda: order(alice, "join", str(order_id), str(parts["bracket"])).ok(),
        lambda: order(dave, "join", str(order_id), str(parts["bracket"])),
    )
    assert "not a member" in refused.error and dave.address in refused.error
    assert rpc.nonce(dave.address) == dave_nonce
    joined_b = order(bob, "join", str(order_id), str(parts["gear"])).ok()
    job_a = joined_a.number(rf"^join: job (\d+) of order {order_id}: ")
    job_b = joined_b.number(rf"^join: job (\d+) of order {order_id}: ")
    assert job_of_join(rpc, joined_a.tx("join")) == (order_id, job_a)
    assert job_of_join(rpc, joined_b.tx("join")) == (order_id, job_b)
    assert int(w.orders.order(order_id)["jobCount"]) == 2

    joined = Joined(order_id, job_a, job_b, joined_a, joined_b)
    with following(w, ipfs, tmp_path / "follower.log"):
        finish_order(w, ipfs, parts, file_store, tmp_path / "inbox", joined)
