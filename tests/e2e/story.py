"""The second half of the story, shared by the public and the permissioned runs: from an
open order with two joined jobs (alice's bracket, bob's gear) to a withdrawn payment."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tests.e2e.helpers import Result, history_events, parallel, sha256_file, status_jobs
from tests.e2e.world import KEY_PASSPHRASE_ENV, Ipfs, World


@dataclass
class Joined:
    order_id: int
    job_a: int  # alice's bracket
    job_b: int  # bob's gear
    join_a: Result
    join_b: Result


def finish_order(
    w: World, ipfs: Ipfs, parts: dict[str, Path], file_store: Path, inbox: Path, joined: Joined
) -> dict[str, Result]:
    """close; alice's model through IPFS and bob's through the file store; the producer
    fetches both, ships both; both confirm; the producer withdraws; status and history."""
    p, cli = w.people, w.cli
    producer, alice, bob = p.producer, p.alice, p.bob
    order_id, job_a, job_b = joined.order_id, joined.job_a, joined.job_b
    deposits = w.orders.job(order_id, job_a)["deposit"] + w.orders.job(order_id, job_b)["deposit"]

    closed = w.as_producer("close", str(order_id)).ok()
    assert f"close: order {order_id} closed" in closed.stdout
    assert w.orders.order_status(order_id) == "closed"

    submitted_a, submitted_b = parallel(
        lambda: cli.run(
            alice, "order", "submit-model", str(order_id), str(job_a), str(parts["bracket"]),
            "--key", str(alice.secret_key), "--storage", "ipfs", "--ipfs-api", ipfs.customer_api(),
        ).ok(),
        lambda: cli.run(
            bob, "order", "submit-model", str(order_id), str(job_b), str(parts["gear"]),
            "--key", str(bob.secret_key), "--storage", "file", "--root", str(file_store),
        ).ok(),
    )
    assert f"submit-model: job {job_a} of order {order_id}: ipfs://" in submitted_a.stdout
    assert f"submit-model: job {job_b} of order {order_id}: file://{file_store}/" in submitted_b.stdout
    assert w.orders.job_status(order_id, job_a) == w.orders.job_status(order_id, job_b) == "model submitted"
    digest_b = bytes(w.orders.job(order_id, job_b)["digest"]).hex()
    stored = file_store / digest_b
    assert stored.is_file() and sha256_file(stored) == digest_b  # content-addressed by the digest on chain
    assert parts["gear"].read_bytes() not in stored.read_bytes()  # ciphertext, not the model

    # The producer fetches through its own Kubo node (connected to the customers') and from the
    # file store, decrypts with its passphrase-protected key, and gets the customers' files.
    ipfs.producer.connect(ipfs.customer)
    inbox.mkdir(parents=True, exist_ok=True)
    fetched = {}
    for job, name in ((job_a, "bracket"), (job_b, "gear")):
        out = inbox / f"order{order_id}-job{job}.stl"
        result = w.as_producer(
            "fetch-model", str(order_id), str(job), "--key", str(producer.secret_key),
            "--passphrase-env", KEY_PASSPHRASE_ENV, "--out", str(out), "--ipfs-api", ipfs.producer_api(),
        ).ok()
        assert "verified" in result.stdout and "matches the public data on chain" in result.stdout
        assert out.read_bytes() == parts[name].read_bytes()
        fetched[job] = result
    assert "fetched ipfs://" in fetched[job_a].stdout and "fetched file://" in fetched[job_b].stdout

    shipped_a = w.as_producer("ship", str(order_id), str(job_a)).ok()
    shipped_b = w.as_producer("ship", str(order_id), str(job_b)).ok()
    assert w.orders.job_status(order_id, job_a) == w.orders.job_status(order_id, job_b) == "shipped"

    confirmed_a, confirmed_b = parallel(
        lambda: cli.run(alice, "order", "confirm", str(order_id), str(job_a)).ok(),
        lambda: cli.run(bob, "order", "confirm", str(order_id), str(job_b)).ok(),
    )
    assert w.orders.job_status(order_id, job_a) == w.orders.job_status(order_id, job_b) == "completed"
    credit = w.orders.credits(producer.address)
    assert credit >= deposits > 0

    contract_balance = w.rpc.balance(w.orders.address)
    withdrawn, status, history = parallel(
        lambda: w.as_producer("withdraw").ok(),
        lambda: cli.run(alice, "order", "status", str(order_id)).ok(),
        lambda: cli.run(bob, "order", "history", str(order_id)).ok(),
    )
    assert f"sent to {producer.address}" in withdrawn.stdout
    assert w.rpc.receipt(withdrawn.tx("withdraw"))["status"] == "0x1"
    assert w.orders.credits(producer.address) == 0
    assert w.rpc.balance(w.orders.address) == contract_balance - credit

    jobs = status_jobs(status.stdout)
    assert set(jobs) == {(order_id, job_a), (order_id, job_b)}, status.stdout
    for job in (job_a, job_b):
        assert jobs[(order_id, job)]["job status"] == "completed", status.stdout
        assert jobs[(order_id, job)]["status"] == "closed", status.stdout

    # The history lists every step's event with the transaction that made it.
    expected = [
        ("JobJoined", joined.join_a.tx("join")),
        ("JobJoined", joined.join_b.tx("join")),
        ("OrderClosed", closed.tx("close")),
        ("ModelSubmitted", submitted_a.tx("submit-model")),
        ("ModelSubmitted", submitted_b.tx("submit-model")),
        ("JobShipped", shipped_a.tx("ship")),
        ("JobShipped", shipped_b.tx("ship")),
        ("JobCompleted", confirmed_a.tx("confirm")),
        ("JobCompleted", confirmed_b.tx("confirm")),
    ]
    events = history_events(history.stdout)
    assert [e["event"] for e in events] == ["OrderOpened"] + [name for name, _ in expected], history.stdout
    listed = {(e["event"], e["tx"].rstrip("…")) for e in events}
    for name, tx in expected:
        assert any(n == name and len(prefix) >= 18 and tx.startswith(prefix) for n, prefix in listed), (
            f"{name} {tx} is not in the history:\n{history.stdout}"
        )
    return {
        "close": closed,
        "submit a": submitted_a,
        "submit b": submitted_b,
        "ship a": shipped_a,
        "ship b": shipped_b,
        "confirm a": confirmed_a,
        "confirm b": confirmed_b,
        "withdraw": withdrawn,
        "status": status,
        "history": history,
    }
