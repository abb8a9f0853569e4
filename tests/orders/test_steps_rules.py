"""offchain.orders.steps and offchain.chain.deploy on the market rules, in process on an Anvil
of the module's own: space pricing in every deposit and refund, the lead time and the token
allowlist refused before sending, the arbiter named when an order is opened or requested
(and shown to whoever joins), and every refusal, "already done" and success of evict, reject,
dispute, resolve and settle, in both modes. The CLI runs them the same way
(tests/e2e/test_disputes.py and tests/e2e/test_evict.py cover the commands)."""

from __future__ import annotations

from typing import Any

import pytest

from offchain.chain import errors as chainerrors
from offchain.chain.client import Chain, pending_timestamp
from offchain.chain.codec import ZERO_ADDRESS, EncodingError, JobStatus, OrderStatus
from offchain.chain.deploy import DeployError, add_member, allow_token, allowed_tokens, deploy, remove_member
from offchain.chain.errors import ChainError
from offchain.formats import format_amount
from offchain.orders import report, steps
from offchain.orders.indexed import market_index
from offchain.orders.steps import StepError
from offchain.parts import stl
from offchain.parts.units import build_space_mm3, price_wei
from tests.orders.conftest import DAY, ENVELOPE, PRICE, Rules
from tests.utils.actions import REASON


# -- creating orders: lead time, tokens, space pricing -------------------------------------
def test_windows_beyond_the_lead_time_are_refused_before_sending(w: Rules) -> None:
    now = pending_timestamp()
    before = w.nonce("producer"), w.nonce("alice")
    with pytest.raises(StepError, match=r"is 91d after the window ends .*allows at most 90d: deliver by "):
        steps.open_order(w.producer, w.machine, None, None, now, now + DAY, now + 92 * DAY, PRICE)
    with pytest.raises(StepError, match="end before delivery"):
        steps.open_order(w.producer, w.machine, None, None, now, now + DAY, now + DAY, PRICE)
    with pytest.raises(StepError, match=r"is 97d after the window ends"):
        steps.request_order(w.alice, w.parts["bracket"], 1, PRICE, now + 3 * DAY, now + 100 * DAY)
    assert (w.nonce("producer"), w.nonce("alice")) == before
    # exactly the longest lead time is allowed
    opened = steps.open_order(w.producer, w.machine, None, None, now, now + DAY, now + 91 * DAY, PRICE)
    assert int(w.orders.getOrder(opened.data["order_id"]).deadline) == now + 91 * DAY


def test_the_token_allowlist(w: Rules) -> None:
    token = str(w.token.address)
    now = pending_timestamp()

    def open_in_token() -> Any:
        end = now + 5 * DAY
        return steps.open_order(w.producer, w.machine, None, None, now, end, end + 4 * DAY, PRICE, token)

    before = w.nonce("producer")
    with pytest.raises(StepError, match=f"{token} is not on this deployment's token allowlist: pay in ETH"):
        open_in_token()
    with pytest.raises(StepError, match="token allowlist"):
        steps.request_order(w.alice, w.parts["bracket"], 1, PRICE, now + 3 * DAY, now + 9 * DAY, token=token)
    with pytest.raises(DeployError, match=f"only the token admin {w.admin.address}"):
        allow_token(w.producer, token)
    with pytest.raises(DeployError, match=r"ETH .* is always allowed"):
        allow_token(w.admin, ZERO_ADDRESS)
    with pytest.raises(DeployError, match="has no contract code"):
        allow_token(w.admin, w.stranger.address)
    assert w.nonce("producer") == before

    allowed = allow_token(w.admin, token)
    assert allowed.tx_hash and allowed.summary == f"{token} is allowed for new orders"
    assert allow_token(w.admin, token.lower()).already_done
    assert allowed_tokens(w.admin) == [(token, True)]

    # in the token: the join pays the price of the build space, approved first
    order_id = int(open_in_token().data["order_id"])
    dims = stl.inspect(w.parts["bracket"]).chain_dims_um()
    balance = int(w.token.balanceOf(w.alice.address))
    joined = steps.join(w.alice, order_id, w.parts["bracket"], 2)
    deposit = price_wei(PRICE, dims, 2)
    assert deposit == -(-PRICE * build_space_mm3(dims, 2) // 1000)  # the bounding box's cm3, x2
    assert int(w.job(order_id, joined.data["job_id"]).deposit) == deposit
    assert int(w.token.balanceOf(w.alice.address)) == balance - deposit

    # a request in the token pulls the deposit at the max price; a cheaper take credits the rest back
    requested = steps.request_order(
        w.alice, w.parts["bracket"], 3, 2 * PRICE, now + 3 * DAY, now + 9 * DAY, token=token
    )
    request_id = int(requested.data["order_id"])
    assert int(w.job(request_id, 1).deposit) == price_wei(2 * PRICE, dims, 3)
    assert f"{build_space_mm3(dims, 3)} mm3 of build space" in requested.summary
    credit = w.credit("alice", token)
    taken = steps.take(w.producer, request_id, w.machine, None, None, PRICE)
    refund = price_wei(2 * PRICE, dims, 3) - price_wei(PRICE, dims, 3)
    assert taken.data["refund"] == refund > 0 and "credited back to the requester" in taken.summary
    assert w.credit("alice", token) == credit + refund
    assert int(w.job(request_id, 1).deposit) == price_wei(PRICE, dims, 3)

    assert allow_token(w.admin, token, False).summary == f"{token} is no longer allowed for new orders"
    assert allowed_tokens(w.admin) == [(token, False)]
    with pytest.raises(StepError, match="not on this deployment's token allowlist"):
        open_in_token()


def test_a_requested_order_never_taken_is_cancelled_by_its_reclaim(w: Rules) -> None:
    now = pending_timestamp()
    requested = steps.request_order(w.alice, w.parts["gear"], 1, PRICE, now + DAY, now + 2 * DAY)
    order_id = int(requested.data["order_id"])
    w.advance(2 * DAY + 60)
    reclaimed = steps.reclaim(w.alice, order_id, 1)
    assert reclaimed.summary.endswith(f"; order {order_id}, requested and never taken, is cancelled")
    assert int(w.orders.getOrder(order_id).status) == OrderStatus.CANCELLED
    assert steps.reclaim(w.alice, order_id, 1).already_done


# -- reject ------------------------------------------------------------------------------
def test_reject(w: Rules) -> None:
    order_id = w.open()
    job = int(steps.join(w.bob, order_id, w.parts["gear"], 1).data["job_id"])
    steps.close(w.producer, order_id)
    with pytest.raises(StepError, match="is joined; its customer has not submitted a model yet"):
        steps.reject(w.producer, order_id, job)
    steps.submit_model(w.bob, order_id, job, w.parts["gear"], w.store, w.secret["bob"])
    with pytest.raises(StepError, match="only its producer can reject a model"):
        steps.reject(w.bob, order_id, job)
    with pytest.raises(ChainError, match="has no job 9"):
        steps.reject(w.producer, order_id, 9)

    deposit = int(w.job(order_id, job).deposit)
    credits = w.credit("producer"), w.credit("bob")
    rejected = steps.reject(w.producer, order_id, job)
    fee = deposit // 10
    assert rejected.data == {**rejected.data, "to_producer": fee, "to_customer": deposit - fee}
    assert int(w.job(order_id, job).status) == JobStatus.REJECTED
    assert (w.credit("producer"), w.credit("bob")) == (credits[0] + fee, credits[1] + deposit - fee)
    assert int(w.orders.getOrder(order_id).used) == 0  # the build space is freed
    assert steps.reject(w.producer, order_id, job).already_done
    with pytest.raises(StepError, match="is rejected; its model was rejected, so it is not produced"):
        steps.ship(w.producer, order_id, job)
    # the producer can cancel the order once no job has a model (and bob gets nothing twice)
    steps.cancel(w.producer, order_id)
    assert w.credit("bob") == credits[1] + deposit - fee


def test_reject_after_the_deadline_is_refused(w: Rules) -> None:
    order_id, (job,) = w.closed_with_models([("alice", "bracket")])
    w.advance(20 * DAY)
    with pytest.raises(StepError, match=r"delivery deadline passed at .*can no longer be rejected"):
        steps.reject(w.producer, order_id, job)
    with pytest.raises(ChainError, match="cannot be cancelled: job 1 has a submitted model; reject it"):
        steps.cancel(w.producer, order_id)


# -- the arbiter: a term named at open or request ------------------------------------------
def _names(step: Any) -> list[str]:
    """The events of STEP's transaction, in order."""
    return [log.event_name for log in step.data["receipt"].events]


def _refusal(c: Chain, method: Any, *args: Any) -> str:
    """The sentence of the contract's own refusal of METHOD(*ARGS) from C's account, asked with
    eth_call (nothing is sent): what the steps' checks forestall."""
    data = c.revert_data(method, args)
    assert data is not None, "the call does not revert"
    decoded = chainerrors.decode_revert(data, c.error_abis())
    assert decoded is not None, data.hex()
    return chainerrors.describe(*decoded)


def test_the_arbiter_is_named_when_the_order_is_opened_or_requested(w: Rules) -> None:
    arbiter = w.arbiter.address
    now = pending_timestamp()
    window = (now, now + 5 * DAY, now + 19 * DAY)
    rule = "an arbiter is named when the order is opened or requested, in public mode only, and must be "

    # refused before anything is sent: the account itself, a malformed address
    before = w.nonce("producer"), w.nonce("bob")
    own = w.producer.address
    with pytest.raises(StepError, match=rf"^{own} cannot be named the arbiter: {rule}another account "
                       rf"than yours \({own}\); name another account, or none"):
        steps.open_order(w.producer, w.machine, None, 1_000_000, *window, PRICE, arbiter=own.lower())
    with pytest.raises(EncodingError, match="arbiter '0x1' is not an address"):
        steps.open_order(w.producer, w.machine, None, 1_000_000, *window, PRICE, arbiter="0x1")
    with pytest.raises(StepError, match=rf"another account than yours \({w.bob.address}\)"):
        steps.request_order(w.bob, w.parts["gear"], 1, PRICE, now + DAY, now + 9 * DAY, arbiter=w.bob.address)
    # the contract's own refusal reads the same
    refused = _refusal(w.producer, w.orders.open, w.machine, list(ENVELOPE), 1_000_000, *window, PRICE,
                       ZERO_ADDRESS, own)
    assert refused == f"{own} cannot be named the arbiter: {rule}another account than yours ({own})"
    assert (w.nonce("producer"), w.nonce("bob")) == before

    # named at open: ArbiterNamed right after OrderOpened, in the same transaction
    opened = steps.open_order(w.producer, w.machine, None, 1_000_000, *window, PRICE, arbiter=arbiter.lower())
    order_id = int(opened.data["order_id"])
    assert opened.summary.endswith(f"; arbiter {arbiter}") and opened.data["arbiter"] == arbiter
    assert _names(opened) == ["OrderOpened", "ArbiterNamed"]
    assert w.orders.arbiterOf(order_id) == arbiter
    # whoever joins sees the arbiter it accepts, in the quote and in the step's summary
    quoted = steps.quote(w.alice, order_id, w.parts["bracket"], 1)
    assert quoted.arbiter == f"arbiter {arbiter} resolves its disputes"
    assert quoted.describe().endswith(f"; arbiter {arbiter} resolves its disputes")
    joined = steps.join(w.alice, order_id, w.parts["bracket"], 1)
    assert joined.summary.endswith(f"; arbiter {arbiter} resolves its disputes")
    deposit = int(w.job(order_id, joined.data["job_id"]).deposit)
    assert f"price {format_amount(deposit)} (ETH); " in joined.summary

    # without one, the open and the join say how a dispute ends
    plain = steps.open_order(w.producer, w.machine, None, 1_000_000, *window, PRICE)
    assert plain.summary.endswith("; no arbiter: disputes end by the default rule, a full refund")
    assert _names(plain) == ["OrderOpened"] and plain.data["arbiter"] == ZERO_ADDRESS
    joined = steps.join(w.bob, int(plain.data["order_id"]), w.parts["gear"], 1)
    assert joined.summary.endswith("; no arbiter: disputes end by the default rule, a full refund")
    # the zero address, given, is no arbiter either
    zero = steps.open_order(w.producer, w.machine, None, 1_000_000, *window, PRICE, arbiter=ZERO_ADDRESS)
    assert w.orders.arbiterOf(zero.data["order_id"]) == ZERO_ADDRESS

    # named at request: after OrderRequested and JobJoined; the producer accepts it by taking
    requested = steps.request_order(
        w.bob, w.parts["gear"], 1, PRICE, now + DAY, now + 9 * DAY, arbiter=arbiter
    )
    request_id = int(requested.data["order_id"])
    assert requested.summary.endswith(f"; arbiter {arbiter}")
    assert _names(requested) == ["OrderRequested", "JobJoined", "ArbiterNamed"]
    taken = steps.take(w.producer, request_id, w.machine, None, None, PRICE)
    assert f"/cm3; arbiter {arbiter} resolves its disputes" in taken.summary
    assert w.orders.arbiterOf(request_id) == arbiter
    # and nothing names or replaces an arbiter afterwards
    assert not hasattr(steps, "name_arbiter") and not hasattr(w.orders, "nameArbiter")


# -- evict ---------------------------------------------------------------------------------
def test_evict(w: Rules) -> None:
    order_id = w.open()
    a1, b1, a2, b2 = w.joined(
        order_id, ("alice", "bracket"), ("bob", "gear"), ("alice", "gear"), ("bob", "bracket")
    )
    steps.leave(w.bob, order_id, b2)
    deposits = {j: int(w.job(order_id, j).deposit) for j in (a1, b1, a2)}

    # refused before anything is sent
    before = w.nonce("producer"), w.nonce("alice"), w.nonce("stranger")
    with pytest.raises(StepError, match=rf"{w.alice.address} is not the producer of order {order_id} \(it is "
                       rf"produced by {w.producer.address}\): only an order's producer evicts its jobs"):
        steps.evict(w.alice, order_id, [a1])
    with pytest.raises(StepError, match=f"name the jobs of order {order_id} to evict"):
        steps.evict(w.producer, order_id, [])
    with pytest.raises(StepError, match=rf"^order {order_id} has no job 9 \(its jobs are 1 to 4\)$"):
        steps.evict(w.producer, order_id, [a1, 9])
    with pytest.raises(StepError, match=rf"^order {order_id} has no jobs 0 and 7 "):
        steps.evict(w.producer, order_id, [0, a1, 7])
    with pytest.raises(ChainError, match="order 999 does not exist"):
        steps.evict(w.producer, 999, [1])
    assert (w.nonce("producer"), w.nonce("alice"), w.nonce("stranger")) == before
    # the contract's own refusals, one job at a time, read as well
    assert _refusal(w.producer, w.orders.evict, order_id, [a1, b2]) == (
        f"job {b2} of order {order_id} is left (its customer left the order, the deposit credited back); "
        "this step needs the job in another state"
    )
    assert _refusal(w.producer, w.orders.evict, order_id, [a1, 9]) == (
        f"order {order_id} has no job 9 ('ape run order status {order_id}' lists its jobs)"
    )
    assert _refusal(w.alice, w.orders.evict, order_id, [a1]).startswith(
        f"{w.alice.address} is not the producer of order {order_id}"
    )

    # three jobs in one transaction, each refunded in full; the one bob left is skipped
    credits, used = (w.credit("alice"), w.credit("bob")), int(w.orders.getOrder(order_id).used)
    evicted = steps.evict(w.producer, order_id, [a1, b1, a2, a1, b2])
    assert evicted.tx_hash and _names(evicted) == ["JobEvicted"] * 3
    assert evicted.data["refunds"] == deposits and evicted.data["skipped"] == [b2]
    total = format_amount(sum(deposits.values()))
    assert evicted.summary == (
        f"order {order_id}: jobs {a1}, {b1} and {a2} evicted, {total} refunded in all ("
        f"job {a1}: {format_amount(deposits[a1])} credited back to {w.alice.address}; "
        f"job {b1}: {format_amount(deposits[b1])} credited back to {w.bob.address}; "
        f"job {a2}: {format_amount(deposits[a2])} credited back to {w.alice.address}); "
        f"job {b2} is already left"
    )
    assert {int(w.job(order_id, j).status) for j in deposits} == {JobStatus.REFUNDED}
    assert (w.credit("alice"), w.credit("bob")) == (
        credits[0] + deposits[a1] + deposits[a2], credits[1] + deposits[b1])
    order = w.orders.getOrder(order_id)
    assert (int(order.used), int(order.liveJobs), int(order.status)) == (0, 0, OrderStatus.OPEN) and used > 0
    again = steps.evict(w.producer, order_id, [a1])
    assert again.already_done and again.summary == f"order {order_id}: job {a1} is already refunded"

    # the index and the history tell an eviction from a cancel's refund
    index = market_index(w.producer)
    row = index.job(order_id, a1)
    assert row is not None and row.evicted and (row.to_producer, row.to_customer) == (0, deposits[a1])
    assert not index.job(order_id, b2).evicted  # type: ignore[union-attr]
    lines = [e.detail for e in report.history(w.producer, order_id) if e.name == "JobEvicted"]
    assert lines == [
        f"job {j}: evicted, removed by the producer; {format_amount(deposits[j])} refunded to the customer"
        for j in (a1, b1, a2)
    ]
    assert "evicted: removed by the producer before it had a model; " in report.status(w.producer, order_id)

    # the order goes on: a new job joins, the order closes, and then nothing is evicted
    (a3,) = w.joined(order_id, ("alice", "bracket"))
    steps.close(w.producer, order_id)
    with pytest.raises(StepError, match=f"order {order_id} is closed; jobs are evicted only from an open"):
        steps.evict(w.producer, order_id, [a3])
    steps.submit_model(w.alice, order_id, a3, w.parts["bracket"], w.store, w.secret["alice"])
    assert int(w.job(order_id, a3).status) == JobStatus.MODEL_SUBMITTED


def test_a_request_is_evicted_from_only_by_its_producer_once_taken(w: Rules) -> None:
    now = pending_timestamp()
    request_id = int(
        steps.request_order(w.alice, w.parts["bracket"], 1, PRICE, now + DAY, now + 9 * DAY).data["order_id"]
    )
    with pytest.raises(StepError, match=rf"not the producer of order {request_id} \(it is a request no "
                       r"producer has taken yet\)"):
        steps.evict(w.alice, request_id, [1])
    steps.take(w.producer, request_id, w.machine, None, None, PRICE)
    (bob,) = w.joined(request_id, ("bob", "gear"))
    evicted = steps.evict(w.producer, request_id, [1, bob])  # the requester's own part too
    assert sorted(evicted.data["refunds"]) == [1, bob]
    assert int(w.orders.getOrder(request_id).liveJobs) == 0


# -- disputes ----------------------------------------------------------------------------
def test_dispute_resolve_and_settle(w: Rules) -> None:
    order_id, (a, b, c) = w.closed_with_models(
        [("alice", "bracket"), ("bob", "gear"), ("alice", "gear")], arbiter=w.arbiter.address
    )
    with pytest.raises(StepError, match="is model submitted; only a shipped job can be disputed"):
        steps.dispute(w.alice, order_id, a, REASON)
    for job in (a, b, c):
        steps.ship(w.producer, order_id, job)
    assert steps.ship(w.producer, order_id, a).already_done
    with pytest.raises(ChainError, match=f"is not the customer of job {a} of order {order_id}"):
        steps.dispute(w.bob, order_id, a, REASON)

    before = w.nonce("alice")
    needs = "a dispute needs a reason for the arbiter of 1 to 280 bytes"
    with pytest.raises(ChainError, match=f"{needs}; this one has 0$"):
        steps.dispute(w.alice, order_id, a, " ")
    with pytest.raises(ChainError, match="of 1 to 280 bytes; this one has 281"):
        steps.dispute(w.alice, order_id, a, "x" * 281)
    assert w.nonce("alice") == before  # refused by the estimate: nothing sent
    disputed = steps.dispute(w.alice, order_id, a, REASON)
    said = [e.detail for e in report.history(w.alice, order_id) if e.name == "JobDisputed"]
    assert said == [
        f"job {a}: disputed by the customer (\u201c{REASON}\u201d); the producer cannot finalize it "
        "until it is resolved"
    ]
    assert f"job {a} of order {order_id} disputed; its " in disputed.summary
    assert "until its arbiter resolves it (after " in disputed.summary
    assert steps.dispute(w.alice, order_id, a, REASON).already_done
    steps.dispute(w.bob, order_id, b, REASON)
    with pytest.raises(StepError, match="its customer disputes it, so it cannot be finalized: its arbiter"):
        steps.finalize(w.producer, order_id, a)

    deposit = int(w.job(order_id, a).deposit)
    before = w.nonce("arbiter"), w.nonce("producer"), w.nonce("stranger")
    with pytest.raises(StepError, match=f"more than job {a}'s deposit of .*give at most"):
        steps.resolve(w.arbiter, order_id, a, deposit + 1)
    with pytest.raises(StepError, match="cannot be negative"):
        steps.resolve(w.arbiter, order_id, a, -1)
    with pytest.raises(StepError, match="is this job's producer: a party never resolves its own dispute"):
        steps.resolve(w.producer, order_id, a, 0)
    with pytest.raises(StepError, match=f"by its arbiter {w.arbiter.address}, not by {w.stranger.address}"):
        steps.resolve(w.stranger, order_id, a, 0)
    with pytest.raises(StepError, match="is shipped; only a disputed job can be resolved"):
        steps.resolve(w.arbiter, order_id, c, 0)
    with pytest.raises(StepError, match=r"the arbiter may resolve the dispute over job .* only after that"):
        steps.settle(w.stranger, order_id, b)
    assert (w.nonce("arbiter"), w.nonce("producer"), w.nonce("stranger")) == before

    share = deposit * 3 // 5
    credits = w.credit("producer"), w.credit("alice")
    resolved = steps.resolve(w.arbiter, order_id, a, share)
    assert int(w.job(order_id, a).status) == JobStatus.RESOLVED
    assert (w.credit("producer"), w.credit("alice")) == (credits[0] + share, credits[1] + deposit - share)
    assert resolved.summary.startswith(f"job {a} of order {order_id} resolved: ")
    assert steps.resolve(w.arbiter, order_id, a, share).already_done
    with pytest.raises(StepError, match="its dispute has been resolved: there is nothing left to confirm"):
        steps.confirm(w.alice, order_id, a)

    # the arbitration window passes: anyone settles bob's dispute as a full refund; alice's
    # third job, never disputed, can no longer be, and the producer finalizes it
    w.advance(21 * DAY + 60)
    refund, credits = int(w.job(order_id, b).deposit), (w.credit("producer"), w.credit("bob"))
    settled = steps.settle(w.stranger, order_id, b)
    assert settled.summary.startswith(f"job {b} of order {order_id} settled after the arbitration window: ")
    assert (w.credit("producer"), w.credit("bob")) == (credits[0], credits[1] + refund)
    assert steps.settle(w.stranger, order_id, b).already_done
    with pytest.raises(StepError, match=f"job {c} of order {order_id} can no longer be disputed: its conf"):
        steps.dispute(w.alice, order_id, c, REASON)
    assert steps.finalize(w.producer, order_id, c).tx_hash

    # withdraw reads the credit from the chain, rejects and disputes included
    credit = w.credit("bob")
    withdrawn = steps.withdraw(w.bob)
    assert withdrawn.summary == f"{format_amount(credit)} (ETH) sent to {w.bob.address}"
    assert w.credit("bob") == 0
    with pytest.raises(StepError, match="has nothing to withdraw in ETH"):
        steps.withdraw(w.bob)


def test_a_dispute_without_an_arbiter_ends_by_the_default_rule(w: Rules) -> None:
    order_id, (job,) = w.closed_with_models([("alice", "bracket")])
    steps.ship(w.producer, order_id, job)
    steps.dispute(w.alice, order_id, job, REASON)
    with pytest.raises(StepError, match=f"order {order_id} has no arbiter: its disputes end by the default"):
        steps.resolve(w.arbiter, order_id, job, 0)
    confirmed = steps.confirm(w.alice, order_id, job)  # the customer may still confirm a disputed job
    assert confirmed.tx_hash and int(w.job(order_id, job).status) == JobStatus.COMPLETED


# -- the permissioned mode: arbiters are members ------------------------------------------
def test_members_with_the_arbiter_role_resolve(members: Rules) -> None:
    m = members
    with pytest.raises(EncodingError, match="'0x1' is not an address"):
        add_member(m.admin, "0x1", "arbiter")
    with pytest.raises(DeployError, match="unknown role 'judge': use producer, customer or arbiter"):
        add_member(m.admin, m.arbiter.address, "judge")
    # an order names no arbiter of its own here: refused before sending, and by the contract
    now = pending_timestamp()
    before = m.nonce("producer"), m.nonce("alice")
    permissioned = "this deployment is permissioned: its disputes go to the members with the arbiter role"
    with pytest.raises(StepError, match=rf"cannot be named the arbiter: .*; {permissioned}"):
        m.open(arbiter=m.arbiter.address)
    with pytest.raises(StepError, match=permissioned):
        steps.request_order(
            m.alice, m.parts["gear"], 1, PRICE, now + DAY, now + 9 * DAY, arbiter=m.arbiter.address
        )
    assert (m.nonce("producer"), m.nonce("alice")) == before
    refused = _refusal(m.producer, m.orders.open, m.machine, list(ENVELOPE), 1_000_000, now, now + DAY,
                       now + 9 * DAY, PRICE, ZERO_ADDRESS, m.arbiter.address)
    assert refused.startswith(f"{m.arbiter.address} cannot be named the arbiter: ")
    assert "in public mode only" in refused
    order_id, (job,) = m.closed_with_models([("alice", "bracket")])
    assert m.orders.arbiterOf(order_id) == ZERO_ADDRESS
    steps.ship(m.producer, order_id, job)
    steps.dispute(m.alice, order_id, job, REASON)
    with pytest.raises(StepError, match=f"{m.arbiter.address} is not a member with the arbiter role"):
        steps.resolve(m.arbiter, order_id, job, 0)

    added = add_member(m.admin, m.arbiter.address.lower(), "arbiter")
    assert added.summary == f"{m.arbiter.address} is now an arbiter"
    assert add_member(m.admin, m.arbiter.address, "arbiter").already_done
    deposit = int(m.job(order_id, job).deposit)
    steps.resolve(m.arbiter, order_id, job, deposit)
    assert m.credit("producer") >= deposit and int(m.job(order_id, job).status) == JobStatus.RESOLVED
    assert remove_member(m.admin, m.arbiter.address, "arbiter").summary.endswith("is no longer an arbiter")


def test_members_evict_and_join_under_the_arbiter_role(members: Rules) -> None:
    m = members
    order_id = m.open()
    joined = steps.join(m.bob, order_id, m.parts["gear"], 1)
    job = int(joined.data["job_id"])
    role = "disputes resolved by a member with the arbiter role (never a party to the job)"
    assert joined.summary.endswith(f"; {role}") and joined.data["quote"].arbiter == role
    before = m.nonce("bob")
    with pytest.raises(StepError, match="only an order's producer evicts its jobs"):
        steps.evict(m.bob, order_id, [job])
    assert m.nonce("bob") == before
    deposit, credit = int(m.job(order_id, job).deposit), m.credit("bob")
    evicted = steps.evict(m.producer, order_id, [job])
    assert evicted.data["refunds"] == {job: deposit} and m.credit("bob") == credit + deposit


def test_deploying_again_with_other_settings_is_refused(w: Rules) -> None:
    from ape import accounts

    with pytest.raises(DeployError, match="already deployed here with the arbitration window 7d, not 3d"):
        deploy(accounts.test_accounts[0], True, arbitration_window=3 * DAY)
    record, again = deploy(accounts.test_accounts[0], True, arbitration_window=7 * DAY)
    assert again == [] and record.max_lead_time == 90 * DAY
