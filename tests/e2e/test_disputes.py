"""The market rules' ways out of a job, through the operator CLI on the public deployment:
a model that does not match its declaration is rejected, a disputed job is resolved by the
order's arbiter with a split, and a dispute the arbiter leaves open is settled as a full
refund after the arbitration window.

Order D: the producer opens it naming the admin its arbiter (`order open ... --arbiter`), then
alice (bracket), bob (gear) and carol (gear) join, each join showing that arbiter. Alice and
carol submit their models with the CLI; bob's own client skips the CLI's check and records
the bracket encrypted and signed as his "gear". Every refusal is one line on stderr and sends
nothing; the credits are read from the chain. (Every other refusal
of these steps is covered in process by tests/orders/test_steps_rules.py.)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.helpers import Actor, Result, job_of_join, parallel, state_snapshot
from tests.e2e.world import KEY_PASSPHRASE_ENV, World

DAY = 86_400
REJECT_FEE_BPS = 1000  # the contract's share of a rejected deposit for the producer


@dataclass
class OrderD:
    order_id: int
    jobs: dict[str, int]  # customer name -> job id, from the JobJoined logs
    opened: Result  # `order open ... --arbiter`
    joins: dict[str, Result]


def _tampered_model(w: World, parts: dict[str, Path], file_store: Path, folder: Path) -> tuple[bytes, str]:
    """What bob's own client stores: the bracket (not the gear he declared), encrypted to the
    producer's key and signed with his, as the CLI would. (sha256, URI)."""
    from offchain.transfer import keys, message, storage

    p = w.people
    ciphertext = folder / "bob-model.pgp"
    assert p.producer.public_key and p.bob.secret_key
    producer_key, bob_key = keys.read_key(p.producer.public_key), keys.read_key(p.bob.secret_key)
    message.encrypt_file(parts["bracket"], ciphertext, producer_key, signer=bob_key)
    stored = storage.open_store("file", root=file_store).put(ciphertext)
    return bytes.fromhex(stored.sha256), stored.uri


@pytest.fixture(scope="module")
def order_d(
    public_world: World, parts: dict[str, Path], file_store: Path, tmp_path_factory: pytest.TempPathFactory
) -> OrderD:
    w, p = public_world, public_world.people
    opened = w.as_producer(
        "open", "--machine", str(w.machine_id), "--capacity", "1000", "--end", "+7d", "--delivery", "+21d",
        "--price", "0.0002", "--arbiter", p.admin.address.lower(),
    ).ok()
    order_id = opened.number(r"^open: order (\d+): ")
    assert re.search(rf"^open: order {order_id}: .*; arbiter {p.admin.address} \(tx ", opened.stdout, re.M), (
        opened.explain()
    )
    assert w.orders.contract.call("arbiterOf", order_id).lower() == p.admin.address.lower()

    declared = {"alice": "bracket", "bob": "gear", "carol": "gear"}

    def join(name: str) -> Result:
        return w.cli.run(getattr(p, name), "order", "join", str(order_id), str(parts[declared[name]])).ok()

    joins = dict(zip(declared, parallel(*((lambda name=name: join(name)) for name in declared)), strict=True))
    jobs = {name: job_of_join(w.rpc, r.tx("join"))[1] for name, r in joins.items()}
    w.as_producer("close", str(order_id)).ok()

    def submit(name: str) -> Result:
        who = getattr(p, name)
        return w.cli.run(
            who, "order", "submit-model", str(order_id), str(jobs[name]), str(parts[declared[name]]),
            "--key", str(who.secret_key), "--storage", "file", "--root", str(file_store),
        ).ok()

    def bob_submits_his_own_way() -> dict[str, object]:
        digest, uri = _tampered_model(w, parts, file_store, tmp_path_factory.mktemp("bob"))
        return w.orders.contract.transact(p.bob.address, "submitModel", order_id, jobs["bob"], digest, uri)

    _, _, receipt = parallel(lambda: submit("alice"), lambda: submit("carol"), bob_submits_his_own_way)
    assert receipt["status"] == "0x1"
    for name in jobs:
        assert w.orders.job_status(order_id, jobs[name]) == "model submitted", name
    return OrderD(order_id, jobs, opened, joins)


def test_every_join_shows_the_arbiter_it_accepts(public_world: World, order_d: OrderD) -> None:
    """The arbiter is a term of the order, named at open: each customer's join prints it, in the
    quote before sending and in the step's line, and nothing can change it afterwards."""
    admin = public_world.people.admin.address
    terms = f"; arbiter {admin} resolves its disputes"
    for name, joined in order_d.joins.items():
        quote, step = (line for line in joined.stdout.splitlines() if line.strip())
        assert quote.startswith("part ") and quote.endswith(terms), joined.explain()
        head = f"join: job {order_d.jobs[name]} of order {order_d.order_id}: "
        assert step.startswith(head), joined.explain()
        assert f"{terms} (tx " in step, joined.explain()
    refused = public_world.as_producer("arbiter", str(order_d.order_id), public_world.people.dave.address)
    assert refused.code == 2 and "No such command 'arbiter'" in refused.stderr, refused.explain()


def test_a_model_that_does_not_match_is_rejected(
    public_world: World, order_d: OrderD, tmp_path: Path
) -> None:
    w, p = public_world, public_world.people
    order_id, job = str(order_d.order_id), str(order_d.jobs["bob"])
    before = state_snapshot(w.rpc, p.producer.address)
    fetched = w.as_producer(
        "fetch-model", order_id, job, "--key", str(p.producer.secret_key),
        "--passphrase-env", KEY_PASSPHRASE_ENV, "--out", str(tmp_path / "bob.stl"),
    )
    assert "does not match the part declared on chain" in fetched.error
    assert "bounding box 5 x 80 x 80 mm vs declared" in fetched.error, fetched.explain()
    assert state_snapshot(w.rpc, p.producer.address) == before

    deposit = int(w.orders.job(order_d.order_id, order_d.jobs["bob"])["deposit"])
    fee = deposit * REJECT_FEE_BPS // 10_000
    credits = w.orders.credits(p.producer.address), w.orders.credits(p.bob.address)
    rejected = w.as_producer("reject", order_id, job).ok()
    assert w.rpc.receipt(rejected.tx("reject"))["status"] == "0x1"
    assert f"reject: job {job} of order {order_id} rejected: " in rejected.stdout
    assert w.orders.job_status(order_d.order_id, order_d.jobs["bob"]) == "rejected"
    assert w.orders.credits(p.producer.address) == credits[0] + fee
    assert w.orders.credits(p.bob.address) == credits[1] + deposit - fee
    assert fee > 0 and deposit - fee > 0


def test_a_dispute_is_resolved_by_the_arbiter(public_world: World, order_d: OrderD) -> None:
    """Alice disputes her shipped job: the producer's finalize is refused, the arbiter splits.
    Carol disputes hers too (it is settled in the next test); the refusals run meanwhile, so
    each is checked by its operator's nonce (nothing sent) and the job's state."""
    w, p = public_world, public_world.people
    order_id = str(order_d.order_id)
    alice_job, carol_job = str(order_d.jobs["alice"]), str(order_d.jobs["carol"])

    def run(who: Actor, *args: str) -> Callable[[], Result]:
        return lambda: w.cli.run(who, "order", *args)

    w.as_producer("ship", order_id, alice_job).ok()
    shipped, disputed = parallel(
        run(p.producer, "ship", order_id, carol_job),
        run(p.alice, "dispute", order_id, alice_job, "--reason", "the holes are 2 mm off"),
    )
    shipped.ok()
    assert f"dispute: job {alice_job} of order {order_id} disputed" in disputed.ok().stdout
    assert w.orders.job_status(order_d.order_id, order_d.jobs["alice"]) == "disputed"

    deposit = int(w.orders.job(order_d.order_id, order_d.jobs["alice"])["deposit"])
    refused = (p.producer, p.admin)
    nonces = [w.rpc.nonce(who.address) for who in refused]
    carol_disputes, finalize, too_much = parallel(
        run(p.carol, "dispute", order_id, carol_job, "--reason", "warped"),
        run(p.producer, "finalize", order_id, alice_job),
        run(p.admin, "resolve", order_id, alice_job, "--to-producer", f"{deposit + 1} wei"),
    )
    assert f"dispute: job {carol_job} of order {order_id} disputed" in carol_disputes.ok().stdout
    assert finalize.error.startswith(
        f"job {alice_job} of order {order_id} is disputed; its customer disputes it, so it cannot be "
        f"finalized: its arbiter may resolve the dispute ('ape run order resolve {order_id} {alice_job} "
        "--to-producer AMOUNT') until "
    ), finalize.explain()
    assert f"'ape run order settle {order_id} {alice_job}': a full refund to the customer" in finalize.error
    assert too_much.error.startswith("the split gives the producer "), too_much.explain()
    assert f"more than job {alice_job}'s deposit of " in too_much.error and "give at most" in too_much.error
    assert [w.rpc.nonce(who.address) for who in refused] == nonces
    assert w.orders.job_status(order_d.order_id, order_d.jobs["alice"]) == "disputed"

    share = deposit * 7 // 10
    credits = w.orders.credits(p.producer.address), w.orders.credits(p.alice.address)
    dave_nonce = w.rpc.nonce(p.dave.address)
    resolved, early_settle = parallel(
        run(p.admin, "resolve", order_id, alice_job, "--to-producer", f"{share} wei"),
        run(p.dave, "settle", order_id, carol_job),
    )
    receipt = w.rpc.receipt(resolved.ok().tx("resolve"))
    assert receipt["status"] == "0x1" and receipt["from"].lower() == p.admin.address.lower()
    assert f"resolve: job {alice_job} of order {order_id} resolved: " in resolved.stdout
    assert w.orders.job_status(order_d.order_id, order_d.jobs["alice"]) == "resolved"
    assert w.orders.credits(p.producer.address) == credits[0] + share
    assert w.orders.credits(p.alice.address) == credits[1] + deposit - share
    # the arbiter still has the arbitration window to itself for carol's job
    assert early_settle.error.startswith(
        f"the arbiter may resolve the dispute over job {carol_job} of order {order_id} until "
    ), early_settle.explain()
    assert w.rpc.nonce(p.dave.address) == dave_nonce
    assert w.orders.job_status(order_d.order_id, order_d.jobs["carol"]) == "disputed"


def test_an_open_dispute_is_settled_after_the_arbitration_window(
    public_world: World, order_d: OrderD
) -> None:
    w, p = public_world, public_world.people
    order_id, job = str(order_d.order_id), str(order_d.jobs["carol"])
    assert w.orders.job_status(order_d.order_id, order_d.jobs["carol"]) == "disputed"
    shipped_at = int(w.orders.job(order_d.order_id, order_d.jobs["carol"])["shippedAt"])
    windows = sum(int(w.orders.contract.call(name)) for name in ("confirmationWindow", "arbitrationWindow"))
    assert windows == 21 * DAY  # the deployment's defaults: 14 days to confirm, 7 to arbitrate
    w.rpc.advance_time(shipped_at + windows - w.rpc.timestamp() + 60)

    deposit = int(w.orders.job(order_d.order_id, order_d.jobs["carol"])["deposit"])
    credits = w.orders.credits(p.producer.address), w.orders.credits(p.carol.address)
    settled = w.cli.run(p.dave, "order", "settle", order_id, job).ok()  # anyone may, even a stranger
    assert w.rpc.receipt(settled.tx("settle"))["status"] == "0x1"
    assert f"settle: job {job} of order {order_id} settled after the arbitration window: " in settled.stdout
    assert w.orders.job_status(order_d.order_id, order_d.jobs["carol"]) == "resolved"
    assert w.orders.credits(p.carol.address) == credits[1] + deposit
    assert w.orders.credits(p.producer.address) == credits[0]
