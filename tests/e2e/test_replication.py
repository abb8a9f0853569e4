"""A model submitted on IPFS outlives the customer's machine, through the CLI.

Order K: alice, bob and carol join it, each with a Kubo node of their own. The producer's
follower (`ape run store follow`, started with the public world) pins each model on the
producer's node as the chain shows it; submit-model returns once it sees that copy. Then the
customer's node is stopped at once, and the producer still fetches; once the job is over the
follower releases its pin. Fetch errors say which of the three situations it is.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from offchain.devtools.kubo import KuboNode
from tests.e2e.helpers import Actor, Result, parallel, state_snapshot
from tests.e2e.world import KEY_PASSPHRASE_ENV, Ipfs, World


@dataclass
class OrderK:
    order_id: int
    jobs: dict[str, int]


@pytest.fixture(scope="module")
def order_k(public_world: World, parts: dict[str, Path]) -> OrderK:
    w, p = public_world, public_world.people
    order_id = w.open_order()
    joined = parallel(
        *(
            (lambda who=who, part=part: w.cli.run(who, "order", "join", str(order_id), str(parts[part])).ok())
            for who, part in ((p.alice, "bracket"), (p.bob, "gear"), (p.carol, "gear"))
        )
    )
    jobs = {
        name: result.number(rf"^join: job (\d+) of order {order_id}: ")
        for name, result in zip(("alice", "bob", "carol"), joined, strict=True)
    }
    w.as_producer("close", str(order_id)).ok()
    return OrderK(order_id, jobs)


@pytest.fixture
def own_node(ipfs: Ipfs) -> Iterator[KuboNode]:
    """The customer's own Kubo node, connected to the producer's (its laptop)."""
    node = KuboNode().start()
    try:
        node.connect(ipfs.producer)
        yield node
    finally:
        node.stop()


def _submit(w: World, who: Actor, k: OrderK, part: Path, api: str, **env: str) -> Result:
    return w.cli.with_env(**env).run(
        who, "order", "submit-model", str(k.order_id), str(k.jobs[who.name]), str(part),
        "--key", str(who.secret_key), "--storage", "ipfs", "--ipfs-api", api,
    )


def _fetch(w: World, k: OrderK, name: str, out: Path, api: str, **env: str) -> Result:
    return w.cli.with_env(**env).run(
        w.people.producer, "order", "fetch-model", str(k.order_id), str(k.jobs[name]),
        "--key", str(w.people.producer.secret_key), "--passphrase-env", KEY_PASSPHRASE_ENV,
        "--out", str(out), "--ipfs-api", api,
    )


def _pins(w: World, api: str) -> str:
    return w.cli.plain(w.people.producer, "store", "pins", "--ipfs-api", api).ok().stdout


def test_the_model_outlives_the_customers_node_and_its_pin_is_released_when_done(
    public_world: World, order_k: OrderK, ipfs: Ipfs, own_node: KuboNode, parts: dict[str, Path],
    tmp_path: Path,
) -> None:
    w, p, k = public_world, public_world.people, order_k
    assert own_node.api_multiaddr and ipfs.producer.peer_id
    submitted = _submit(w, p.alice, k, parts["bracket"], own_node.api_multiaddr).ok()
    assert f"; pinned by 2 nodes: yours and {ipfs.producer.peer_id[:16]}…" in submitted.stdout, (
        submitted.explain()
    )
    own_node.stop()  # the laptop closes as soon as submit-model returned

    job = f"order {k.order_id} job {k.jobs['alice']} chain 31337 market {w.orders.address.lower()}"
    assert job in _pins(w, ipfs.producer_api())  # the producer's node says what it pins for which job
    out = tmp_path / "bracket.stl"
    fetched = _fetch(w, k, "alice", out, ipfs.producer_api()).ok()
    assert "matches the public data on chain" in fetched.stdout and out.exists()

    w.as_producer("ship", str(k.order_id), str(k.jobs["alice"])).ok()
    w.cli.run(p.alice, "order", "confirm", str(k.order_id), str(k.jobs["alice"])).ok()
    assert w.orders.job_status(k.order_id, k.jobs["alice"]) == "completed"
    deadline = time.monotonic() + 60  # the follower passes every 0.5 s; this only bounds a hang
    while job in _pins(w, ipfs.producer_api()) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert job not in _pins(w, ipfs.producer_api()), "the follower kept the pin of a completed job"


def test_fetch_when_no_reachable_node_holds_the_model(
    public_world: World, order_k: OrderK, ipfs: Ipfs, own_node: KuboNode, parts: dict[str, Path],
    tmp_path: Path,
) -> None:
    """Bob's model is pinned by his node and the producer's; the producer fetches through a
    node of its own that reaches neither: one line naming the job, what is offline and what to
    do; nothing written, nothing sent."""
    w, p, k = public_world, public_world.people, order_k
    assert own_node.api_multiaddr
    _submit(w, p.bob, k, parts["gear"], own_node.api_multiaddr).ok()
    own_node.stop()
    out = tmp_path / "gear.stl"
    with KuboNode() as isolated:
        assert isolated.api_multiaddr
        before = state_snapshot(w.rpc, p.producer.address)
        refused = _fetch(w, k, "bob", out, isolated.api_multiaddr, PRODNET_IPFS_FIND_TIMEOUT="3")
    assert refused.error.startswith(
        f"no node that holds job {k.jobs['bob']}'s model is reachable (looked for 3s): the customer's "
        "node is offline and no other node pinned it; "
    ), refused.explain()
    assert isolated.api_multiaddr not in refused.error  # not blamed on the producer's own daemon
    assert not out.exists() and state_snapshot(w.rpc, p.producer.address) == before


def test_submit_waits_for_a_second_copy_and_says_when_none_came(
    public_world: World, order_k: OrderK, ipfs: Ipfs, parts: dict[str, Path]
) -> None:
    """Carol's node is not connected to the producer's, so no second copy can be made: the
    model is recorded, and submit-model says so in one line and what to do. Once her node is
    connected, the follower pins it and the re-run returns with two copies, sending nothing."""
    w, p, k = public_world, public_world.people, order_k
    with KuboNode() as carol_node:
        assert carol_node.api_multiaddr and ipfs.producer.peer_id
        refused = _submit(w, p.carol, k, parts["gear"], carol_node.api_multiaddr,
                          PRODNET_IPFS_REPLICATION_WAIT="3")
        assert refused.error.startswith(
            f"job {k.jobs['carol']} of order {k.order_id}: the model is recorded on chain, but ipfs://"
        ) and "is pinned by 1 node: yours after 3s, not 2: keep your Kubo node online" in refused.error, (
            refused.explain()
        )
        assert "re-run submit-model to wait again" in refused.error
        assert w.orders.job_status(k.order_id, k.jobs["carol"]) == "model submitted"

        ipfs.producer.connect(carol_node)
        before = state_snapshot(w.rpc, p.carol.address)
        again = _submit(w, p.carol, k, parts["gear"], carol_node.api_multiaddr).ok()
        assert "submit-model: already done: " in again.stdout
        assert f"; pinned by 2 nodes: yours and {ipfs.producer.peer_id[:16]}…" in again.stdout
        assert state_snapshot(w.rpc, p.carol.address) == before
