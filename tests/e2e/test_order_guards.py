"""Refusals, re-runs and a storage fault, on one order of the public deployment.

Order R: alice (bracket), bob (gear) and carol (gear) join it, their joins mined in one block.
Every refusal must exit non-zero with one line on stderr ("error: ..."), no traceback, and
leave the chain as it was: no block mined, the refused operator's nonce unchanged, the job's
state unchanged. Re-running a step that already happened says so, exits 0 and sends nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from offchain.devtools.kubo import KuboNode
from tests.e2e.helpers import (
    NETWORK,
    Result,
    fingerprint_of,
    free_port,
    history_events,
    in_one_block,
    job_of_join,
    parallel,
    state_snapshot,
    status_jobs,
)
from tests.e2e.world import KEY_PASSPHRASE_ENV, Ipfs, World


@dataclass
class OrderR:
    order_id: int
    jobs: dict[str, int]  # customer name -> job id, from the JobJoined logs
    joins: dict[str, Result]


@pytest.fixture(scope="module")
def order_r(public_world: World, parts: dict[str, Path]) -> OrderR:
    w, p = public_world, public_world.people
    order_id = w.open_order()
    entries = (("alice", p.alice, "bracket"), ("bob", p.bob, "gear"), ("carol", p.carol, "gear"))
    results = in_one_block(
        w.rpc,
        *(
            (lambda who=who, part=part: w.cli.run(who, "order", "join", str(order_id), str(parts[part])))
            for _, who, part in entries
        ),
    )
    joins = {name: result.ok() for (name, _, _), result in zip(entries, results, strict=True)}
    blocks = {w.rpc.receipt(r.tx("join"))["blockNumber"] for r in joins.values()}
    assert len(blocks) == 1, "the joins were meant to be mined in one block"
    jobs = {}
    for name, result in joins.items():
        chain_order, job = job_of_join(w.rpc, result.tx("join"))
        assert chain_order == order_id
        jobs[name] = job
    assert sorted(jobs.values()) == [1, 2, 3]
    return OrderR(order_id, jobs, joins)


@pytest.fixture(scope="module")
def closed_r(public_world: World, order_r: OrderR) -> OrderR:
    public_world.as_producer("close", str(order_r.order_id)).ok()
    assert public_world.orders.order_status(order_r.order_id) == "closed"
    return order_r


def _job(r: OrderR, name: str) -> tuple[str, str]:
    """ORDER_ID and JOB_ID arguments of NAME's job."""
    return str(r.order_id), str(r.jobs[name])


def test_joins_in_one_block_each_print_their_own_job(order_r: OrderR) -> None:
    for name, result in order_r.joins.items():
        printed = result.number(rf"^join: job (\d+) of order {order_r.order_id}: ")
        assert printed == order_r.jobs[name], f"{name}'s join printed job {printed}:\n{result.stdout}"
        # order R names no arbiter: each join says how its disputes would end
        assert "; no arbiter: disputes end by the default rule, a full refund (tx " in result.stdout, (
            result.explain()
        )


def test_refusals_while_open(
    public_world: World, order_r: OrderR, parts: dict[str, Path], file_store: Path
) -> None:
    w, p = public_world, public_world.people
    order_id, alice_job = _job(order_r, "alice")
    assert w.orders.order_status(order_r.order_id) == "open"
    stored_before = sorted(file_store.iterdir()) if file_store.exists() else []
    before = state_snapshot(w.rpc, p.alice.address, p.producer.address, p.dave.address)

    early_model, early_ship, too_large = parallel(
        lambda: w.cli.run(
            p.alice, "order", "submit-model", order_id, alice_job, str(parts["bracket"]),
            "--key", str(p.alice.secret_key), "--storage", "file",
        ),
        lambda: w.as_producer("ship", order_id, alice_job),
        lambda: w.cli.run(p.dave, "order", "join", order_id, str(parts["torus"])),
    )
    assert f"order {order_id} is open; models are submitted once it is closed" in early_model.error
    assert f"job {alice_job} of order {order_id} is joined; parts ship after" in early_ship.error
    assert "480 x 480 x 80 mm" in too_large.error and "does not fit" in too_large.error

    assert state_snapshot(w.rpc, p.alice.address, p.producer.address, p.dave.address) == before
    assert (sorted(file_store.iterdir()) if file_store.exists() else []) == stored_before
    assert w.orders.job_status(order_r.order_id, order_r.jobs["alice"]) == "joined"
    assert int(w.orders.order(order_r.order_id)["jobCount"]) == 3


def test_join_after_the_window_ended(public_world: World, parts: dict[str, Path]) -> None:
    w, dave = public_world, public_world.people.dave
    order_id = w.open_order(end="+1m")
    end = int(w.orders.order(order_id)["end"])
    w.rpc.advance_time(120)
    assert w.rpc.timestamp() > end
    before = state_snapshot(w.rpc, dave.address)

    late = w.cli.run(dave, "order", "join", str(order_id), str(parts["gear"]))

    assert f"order {order_id}" in late.error and "stopped taking parts" in late.error
    assert state_snapshot(w.rpc, dave.address) == before
    assert int(w.orders.order(order_id)["jobCount"]) == 0


def test_wrong_party_and_wrong_key(public_world: World, closed_r: OrderR, parts: dict[str, Path],
                                   file_store: Path, tmp_path: Path) -> None:
    w, p = public_world, public_world.people
    order_id, bob_job = _job(closed_r, "bob")
    w.cli.run(
        p.bob, "order", "submit-model", order_id, bob_job, str(parts["gear"]),
        "--key", str(p.bob.secret_key), "--storage", "file", "--root", str(file_store),
    ).ok()
    assert w.orders.job_status(closed_r.order_id, closed_r.jobs["bob"]) == "model submitted"

    # bob is not the producer; the producer holds alice's secret key instead of its own.
    out = tmp_path / "model.stl"
    before = state_snapshot(w.rpc, p.bob.address, p.producer.address)
    bob_ships, wrong_key = parallel(
        lambda: w.cli.run(p.bob, "order", "ship", order_id, bob_job),
        lambda: w.as_producer(
            "fetch-model", order_id, bob_job, "--key", str(p.alice.secret_key), "--out", str(out),
        ),
    )
    assert f"{p.bob.address} is not the producer of order {order_id}" in bob_ships.error
    alice_fingerprint = fingerprint_of(p.setup["alice_key"])
    assert alice_fingerprint in wrong_key.error.replace(" ", "").upper(), wrong_key.explain()
    assert not out.exists() and list(tmp_path.iterdir()) == []
    assert state_snapshot(w.rpc, p.bob.address, p.producer.address) == before
    assert w.orders.job_status(closed_r.order_id, closed_r.jobs["bob"]) == "model submitted"

    w.as_producer("ship", order_id, bob_job).ok()
    before = state_snapshot(w.rpc, p.bob.address, p.producer.address)
    producer_confirms = w.as_producer("confirm", order_id, bob_job)
    assert f"{p.producer.address} is not the customer of job {bob_job} of order {order_id}" in (
        producer_confirms.error
    )
    assert state_snapshot(w.rpc, p.bob.address, p.producer.address) == before
    assert w.orders.job_status(closed_r.order_id, closed_r.jobs["bob"]) == "shipped"


def test_submit_with_kubo_down_sends_nothing(public_world: World, closed_r: OrderR, ipfs: Ipfs,
                                              parts: dict[str, Path]) -> None:
    w, alice = public_world, public_world.people.alice
    order_id, alice_job = _job(closed_r, "alice")
    assert w.orders.job_status(closed_r.order_id, closed_r.jobs["alice"]) == "joined"
    down = f"/ip4/127.0.0.1/tcp/{free_port()}"

    def submit(api: str) -> Result:
        return w.cli.run(
            alice, "order", "submit-model", order_id, alice_job, str(parts["bracket"]),
            "--key", str(alice.secret_key), "--storage", "ipfs", "--ipfs-api", api,
        )

    before = state_snapshot(w.rpc, alice.address)
    refused = submit(down)
    assert down in refused.error and "Kubo" in refused.error
    assert state_snapshot(w.rpc, alice.address) == before
    assert w.orders.job_status(closed_r.order_id, closed_r.jobs["alice"]) == "joined"
    assert w.orders.model_submissions(closed_r.order_id, closed_r.jobs["alice"]) == 0

    # Once her node is reachable, the same command goes through.
    done = submit(ipfs.customer_api()).ok()
    assert f"submit-model: job {alice_job} of order {order_id}: ipfs://" in done.stdout
    assert w.orders.job_status(closed_r.order_id, closed_r.jobs["alice"]) == "model submitted"


def test_rerun_submit_model_and_close(public_world: World, closed_r: OrderR, ipfs: Ipfs,
                                      parts: dict[str, Path]) -> None:
    w, p = public_world, public_world.people
    order_id, carol_job = _job(closed_r, "carol")

    def submit() -> Result:
        return w.cli.run(
            p.carol, "order", "submit-model", order_id, carol_job, str(parts["gear"]),
            "--key", str(p.carol.secret_key), "--storage", "ipfs", "--ipfs-api", ipfs.customer_api(),
        ).ok()

    first = submit()
    assert first.tx("submit-model")
    outbox = w.home / "outbox"
    assert not any(outbox.glob(f"*-{order_id}-{carol_job}")), "the outbox is cleared once the tx is mined"
    digest = bytes(w.orders.job(closed_r.order_id, closed_r.jobs["carol"])["digest"])

    before = state_snapshot(w.rpc, p.carol.address, p.producer.address)
    second, close_again = parallel(submit, lambda: w.as_producer("close", order_id).ok())
    assert state_snapshot(w.rpc, p.carol.address, p.producer.address) == before
    assert "submit-model: already done:" in second.stdout and "(tx " not in second.stdout
    assert f"close: already done: order {order_id} is already closed" in close_again.stdout
    assert bytes(w.orders.job(closed_r.order_id, closed_r.jobs["carol"])["digest"]) == digest
    assert w.orders.model_submissions(closed_r.order_id, closed_r.jobs["carol"]) == 1

    history = history_events(w.cli.run(p.bob, "order", "history", order_id).ok().stdout)
    submissions = [e for e in history if e["event"] == "ModelSubmitted" and e["details"].startswith(
        f"jobId={carol_job} ")]
    assert len(submissions) == 1 and first.tx("submit-model").startswith(submissions[0]["tx"].rstrip("…"))
    assert [e["event"] for e in history].count("OrderClosed") == 1


def test_fetch_fails_while_the_producer_node_is_down_then_works(
    public_world: World, closed_r: OrderR, ipfs: Ipfs, parts: dict[str, Path], tmp_path: Path
) -> None:
    """The ciphertext of alice's job is on her node (and pinned by the world's producer node,
    which this test does not use: it fetches through a node of its own, connected to hers).
    With that node stopped fetch-model fails clearly; restarted on the same repo and
    reconnected, the same command succeeds. The chain is untouched throughout."""
    w, p = public_world, public_world.people
    order_id, alice_job = _job(closed_r, "alice")
    if w.orders.job_status(closed_r.order_id, closed_r.jobs["alice"]) == "joined":  # run on its own
        w.cli.run(
            p.alice, "order", "submit-model", order_id, alice_job, str(parts["bracket"]),
            "--key", str(p.alice.secret_key), "--storage", "ipfs", "--ipfs-api", ipfs.customer_api(),
        ).ok()
    assert w.orders.job_status(closed_r.order_id, closed_r.jobs["alice"]) == "model submitted"

    node = KuboNode(repo=tmp_path / "producer-kubo", keep_repo=True)
    out = tmp_path / "inbox" / "bracket.stl"
    out.parent.mkdir()

    def fetch(api: str) -> Result:
        return w.as_producer(
            "fetch-model", order_id, alice_job, "--key", str(p.producer.secret_key),
            "--passphrase-env", KEY_PASSPHRASE_ENV, "--out", str(out), "--ipfs-api", api,
        )

    try:
        node.start()
        peer_id, stopped_api = node.peer_id, node.api_multiaddr
        assert stopped_api
        node.stop()
        before = state_snapshot(w.rpc, p.producer.address)
        status_before, refused = parallel(
            lambda: w.cli.run(p.bob, "order", "status", order_id).ok(), lambda: fetch(stopped_api)
        )
        assert stopped_api in refused.error and "Kubo" in refused.error
        assert list(out.parent.iterdir()) == []

        node.start()
        assert node.peer_id == peer_id  # the same node, restarted on its repo
        node.connect(ipfs.customer)
        assert node.api_multiaddr
        fetched, status_after = parallel(
            lambda: fetch(node.api_multiaddr or "").ok(),
            lambda: w.cli.run(p.bob, "order", "status", order_id).ok(),
        )
        assert "fetched ipfs://" in fetched.stdout
        assert out.read_bytes() == parts["bracket"].read_bytes()
    finally:
        node.stop()

    assert state_snapshot(w.rpc, p.producer.address) == before
    jobs_before, jobs_after = status_jobs(status_before.stdout), status_jobs(status_after.stdout)
    assert jobs_before == jobs_after
    assert jobs_after[(closed_r.order_id, closed_r.jobs["alice"])]["job status"] == "model submitted"


def test_unknown_order_is_refused_in_one_line(public_world: World) -> None:
    w, producer = public_world, public_world.people.producer
    before = state_snapshot(w.rpc, producer.address)
    unknown = str(int(w.orders.contract.call("orderCount")) + 100)
    refused = w.as_producer("close", unknown)
    assert state_snapshot(w.rpc, producer.address) == before
    assert refused.error == f"order {unknown} does not exist", refused.explain()


def test_open_with_a_token_that_has_no_code_is_refused(public_world: World) -> None:
    w, p = public_world, public_world.people
    before = state_snapshot(w.rpc, p.producer.address)
    refused = w.as_producer(
        "open", "--machine", str(w.machine_id), "--capacity", "500", "--end", "+7d", "--delivery", "+21d",
        "--price", "0.0002", "--token", p.dave.address,
    )
    assert refused.error.startswith(f"{p.dave.address} has no contract code on this chain"), refused.explain()
    assert state_snapshot(w.rpc, p.producer.address) == before


def test_an_order_at_price_zero_says_it_is_free(public_world: World) -> None:
    w = public_world
    opened = w.as_producer(
        "open", "--machine", str(w.machine_id), "--capacity", "500", "--end", "+7d", "--delivery", "+21d",
        "--price", "0",
    ).ok()
    assert "free of charge" in opened.stdout, opened.explain()


def test_lead_time_and_token_allowlist_are_checked_before_sending(
    public_world: World, parts: dict[str, Path]
) -> None:
    """A delivery beyond the deployment's longest lead time, a token off the allowlist and a
    non-admin changing the allowlist are refused with nothing sent; the token admin (the
    deployer) allows a token with `ape run tokens allow` (tests/orders/test_steps_rules.py
    covers disallowing and the rest)."""
    w, p = public_world, public_world.people
    contract = w.record["registry"]  # any address with code stands in for an ERC-20 here
    assert isinstance(contract, str) and w.orders.contract.call("tokenAllowed", contract) is False
    before = state_snapshot(w.rpc, p.producer.address, p.alice.address, p.bob.address)
    off_list, too_late, not_admin, listed = parallel(
        lambda: w.as_producer(
            "open", "--machine", str(w.machine_id), "--capacity", "500", "--end", "+7d", "--delivery", "+21d",
            "--price", "0.0002", "--token", contract,
        ),
        lambda: w.cli.run(
            p.alice, "order", "request", str(parts["bracket"]), "--max-price", "0.001", "--end", "+3d",
            "--delivery", "+100d",
        ),
        lambda: w.cli.run(p.bob, "tokens", "allow", contract),
        lambda: w.cli.plain(p.dave, "tokens", "list", contract, "--network", NETWORK).ok(),
    )
    assert off_list.error.startswith(f"{contract} is not on this deployment's token allowlist: pay in ETH")
    assert f"'ape run tokens allow {contract}'" in off_list.error
    assert too_late.error.startswith("delivery ") and " is 97d after the window ends " in too_late.error
    assert "this deployment allows at most 90d: deliver by " in too_late.error, too_late.explain()
    assert not_admin.error.startswith(f"only the token admin {p.admin.address} (the account that deployed"), (
        not_admin.explain()
    )
    assert listed.stdout.strip() == f"{contract} is not allowed for new orders", listed.explain()
    assert state_snapshot(w.rpc, p.producer.address, p.alice.address, p.bob.address) == before

    allowed = w.cli.run(p.admin, "tokens", "allow", contract).ok()
    assert f"tokens: {contract} is allowed for new orders (tx " in allowed.stdout
    assert w.rpc.receipt(allowed.tx("tokens"))["from"].lower() == p.admin.address.lower()
    assert w.orders.contract.call("tokenAllowed", contract) is True
