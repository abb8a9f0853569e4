"""offchain.orders.pinning in process, on an Anvil and real Kubo nodes of the module's own.

The producer's follower pins each IPFS model of its orders on its node while the job is live
and releases it when the job is over; a model nobody reachable holds waits for a later pass;
pins of another deployment are left alone; a customer's follower releases its own pins of
finished jobs unless told to keep them. submit-model waits for the producer's copy. And
fetch-model tells its three failures apart, each naming the job and what to do.
(tests/e2e/test_replication.py runs `ape run store follow` and `store pins` as commands.)"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from offchain import config
from offchain.chain.client import Chain, pending_timestamp
from offchain.chain.deploy import deploy
from offchain.chain.session import contracts_of
from offchain.devtools import parts as testdata
from offchain.devtools.anvil import AnvilNode
from offchain.devtools.demo import follower
from offchain.devtools.kubo import KuboNode
from offchain.orders import pinning, steps
from offchain.orders.indexed import forget_indexes
from offchain.transfer import keys, replication, storage

pytestmark = pytest.mark.kubo

DAY = 86_400
NAMES = ("admin", "producer", "alice", "bob")


@dataclass
class Cast:
    people: dict[str, Chain]
    machine: int
    secret: dict[str, Path]
    part: Path
    customers: KuboNode  # alice's and bob's node, connected to the producer's
    producer: KuboNode

    def replicas(self, node: KuboNode, find_timeout: float | None = None) -> replication.Replicas:
        return replication.Replicas(storage.IpfsStore(node.api_multiaddr, find_timeout=find_timeout))

    def order_with_jobs(self, *customers: str) -> tuple[int, list[int]]:
        now = pending_timestamp()
        p = self.people["producer"]
        order_id = int(steps.open_order(p, self.machine, None, 1_000_000, now, now + 5 * DAY,
                                        now + 20 * DAY, 10**14).data["order_id"])
        jobs = [int(steps.join(self.people[c], order_id, self.part, 1).data["job_id"]) for c in customers]
        steps.close(p, order_id)
        return order_id, jobs


@pytest.fixture(scope="module")
def cast(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cast]:
    from ape import accounts, networks

    tmp = tmp_path_factory.mktemp("pinning")
    node = AnvilNode(args=("--chain-id", "1337"), log=tmp / "anvil.log").start()
    try:
        with (
            config.scoped_home(tmp / "state"),
            networks.parse_network_choice(f"ethereum:local:{node.url}"),
            KuboNode() as customers,
            KuboNode() as producer,
        ):
            producer.connect(customers)
            deployment, _ = deploy(accounts.test_accounts[0], False, actor="admin")
            registry, orders, membership = contracts_of(deployment)
            people = {
                name: Chain(deployment, registry, orders, membership, accounts.test_accounts[i], name)
                for i, name in enumerate(NAMES)
            }
            secret = {}
            for name in ("producer", "alice", "bob"):
                pub, secret[name] = keys.write_key_files(
                    keys.generate_key(name, f"{name}@pins.example"), tmp / "k", name
                )
                steps.register_key(people[name], pub)
            machine = steps.register_machine(people["producer"], "SLS", "PA12", (340_000,) * 3, "")
            part = testdata.write_binary(tmp / "gear.stl", testdata.gear().triangles())
            yield Cast(people, int(machine.data["machine_id"]), secret, part, customers, producer)
            forget_indexes()
    finally:
        node.stop()


def _submit(cast: Cast, who: str, order_id: int, job: int, node: KuboNode, **kw: float) -> str:
    store = storage.IpfsStore(node.api_multiaddr)
    step = steps.submit_model(cast.people[who], order_id, job, cast.part, store, cast.secret[who], **kw)
    return str(step.data["uri"])


def test_the_follower_pins_live_models_and_releases_finished_ones(cast: Cast) -> None:
    p, alice = cast.people["producer"], cast.people["alice"]
    order_id, (a, b) = cast.order_with_jobs("alice", "bob")
    theirs = cast.replicas(cast.producer)
    with follower(p, theirs, p.address, lambda _: None):
        step = steps.submit_model(alice, order_id, a, cast.part, storage.IpfsStore(
            cast.customers.api_multiaddr), cast.secret["alice"])
        assert step.data["copies"] == 2 and step.summary.endswith(
            f"; pinned by 2 nodes: yours and {cast.producer.peer_id[:16]}…"
        )
        uri_b = _submit(cast, "bob", order_id, b, cast.customers)
    uri_a = str(step.data["uri"])
    held = {(j.order_id, j.job_id): j for j in pinning.job_pins(p, theirs)}
    assert set(held) >= {(order_id, a), (order_id, b)}
    assert held[(order_id, a)].ours and held[(order_id, a)].pin.uri == uri_a
    assert held[(order_id, a)].pin.name == pinning.label(p, order_id, a)

    # a pin of another deployment, named the same way, is never touched
    foreign = f"prodnet order {order_id} job {b} chain 999 market 0x{'ab' * 20}"
    theirs.pin(uri_b, name=foreign)  # relabels bob's pin: it now names the other deployment
    assert [j.ours for j in pinning.job_pins(p, theirs) if j.pin.uri == uri_b] == [False]
    theirs.pin(uri_b, name=pinning.label(p, order_id, b))  # and back

    for job in (a, b):
        steps.ship(p, order_id, job)
    steps.confirm(alice, order_id, a)  # alice's job is over; bob's is shipped, still live
    done = pinning.follow_once(p, theirs, p.address)
    assert done.released == [f"released job {a} of order {order_id}'s model {uri_a} (the job is completed)"]
    assert not theirs.pinned(uri_a) and theirs.pinned(uri_b)
    assert pinning.follow_once(p, theirs, p.address).lines() == []  # nothing left to do

    # the customers' node: alice keeps her own pin when she asks to, and releases it otherwise
    mine = cast.replicas(cast.customers)
    assert pinning.follow_once(alice, mine, alice.address, keep_own=True).released == []
    assert mine.pinned(uri_a)
    assert pinning.follow_once(alice, mine, alice.address).released == [
        f"released job {a} of order {order_id}'s model {uri_a} (the job is completed)"
    ]
    assert not mine.pinned(uri_a) and mine.pinned(uri_b)  # bob's job is not over


def test_a_model_nobody_reachable_holds_waits_for_a_later_pass(cast: Cast) -> None:
    p = cast.people["producer"]
    order_id, (b,) = cast.order_with_jobs("bob")
    with KuboNode() as bobs_laptop:  # not connected to the producer's node
        with pytest.raises(replication.NotReplicatedError, match=(
            f"job {b} of order {order_id}: the model is recorded on chain, but ipfs://.* is pinned by "
            "1 node: yours after 1s, not 2: keep your Kubo node online")):
            _submit(cast, "bob", order_id, b, bobs_laptop, replication_bound=1.0)
        theirs = cast.replicas(cast.producer, find_timeout=1.0)
        waiting = pinning.follow_once(p, theirs, p.address)
        assert waiting.pinned == [] and len(waiting.waiting) == 1
        assert waiting.waiting[0].startswith(f"job {b} of order {order_id}: ipfs://")
        assert "not reachable yet" in waiting.waiting[0]

        cast.producer.connect(bobs_laptop)
        pinned = pinning.follow_once(p, theirs, p.address)
        uri, _ = steps.model_location(p, order_id, b)
        assert pinned.pinned == [f"pinned job {b} of order {order_id}'s model {uri}"]
        assert theirs.pinned(uri)
        again = steps.submit_model(cast.people["bob"], order_id, b, cast.part,
                                   storage.IpfsStore(bobs_laptop.api_multiaddr), cast.secret["bob"])
        assert again.already_done and again.data["copies"] == 2  # the re-run waits again, sends nothing


def test_fetch_model_says_which_of_three_things_went_wrong(
    cast: Cast, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    p, alice = cast.people["producer"], cast.people["alice"]
    order_id, (a, b) = cast.order_with_jobs("alice", "bob")
    secret, out = cast.secret["producer"], tmp_path / "model.stl"
    monkeypatch.setenv("PRODNET_IPFS_FIND_TIMEOUT", "2")

    # alice records a digest that is not her stored object's
    other = tmp_path / "other.pgp"
    other.write_bytes(b"not the model on chain")
    stored = storage.IpfsStore(cast.customers.api_multiaddr).put(other)
    alice.orders.submitModel(order_id, a, hashlib.sha256(b"the model").digest(), stored.uri,
                             sender=alice.account)
    with pytest.raises(storage.DigestMismatchError, match=(
            f"^job {a} of order {order_id}: {stored.uri} has sha256 .* not the expected .*; decline "
            rf"the job \('ape run order reject {order_id} {a}'\)$")):
        steps.fetch_model(p, order_id, a, secret, out, ipfs_api=cast.producer.api_multiaddr)

    # bob's model is on his laptop only, and the laptop is off
    with KuboNode() as bobs_laptop, pytest.raises(replication.NotReplicatedError):
        _submit(cast, "bob", order_id, b, bobs_laptop, replication_bound=0.5)
    with pytest.raises(storage.ObjectUnreachableError, match=(
            f"^no node that holds job {b}'s model is reachable \\(looked for 2s\\): the customer's "
            "node is offline and no other node pinned it; bring that node online")):
        steps.fetch_model(p, order_id, b, secret, out, ipfs_api=cast.producer.api_multiaddr)

    # the producer's own daemon is down
    with KuboNode() as stopped:
        api = stopped.api_multiaddr
    with pytest.raises(storage.StoreUnavailableError, match=f"cannot reach the Kubo .* at {api}: is it"):
        steps.fetch_model(p, order_id, b, secret, out, ipfs_api=api)
    assert not out.exists() and list(tmp_path.iterdir()) == [other]
