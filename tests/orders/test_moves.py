"""The steps each side is offered (offchain.orders.moves), read from the market's rules by state
and time, without a chain or a browser: nothing is offered that the contract would refuse for
the order's life (tests/orders/test_rules_oracle.py holds the rules to the contract)."""

from __future__ import annotations

from dataclasses import replace

from offchain.chain.codec import ZERO_ADDRESS, JobStatus, OrderStatus
from offchain.index import JobRow, OrderRow
from offchain.orders import moves
from offchain.orders.moves import Viewer, job_moves, order_moves
from offchain.orders.rules import Role, Settings

DAY = 86_400
START, END = 900 * DAY, 990 * DAY
SHIPPED_AT = 1_000 * DAY
DEADLINE = SHIPPED_AT + 5 * DAY
SETTINGS = Settings(14 * DAY, 7 * DAY, 90 * DAY, 100, 1000, 1000, 280)
PRODUCER, CUSTOMER, ARBITER, SOMEONE = ("0x" + c * 40 for c in "abcd")
PEOPLE = {"producer": PRODUCER, "customer": CUSTOMER, "arbiter": ARBITER, "someone": SOMEONE}
ORDER = OrderRow(
    id=4, producer=PRODUCER, status=OrderStatus.CLOSED, machineId=1, jobCount=1, liveJobs=1,
    token=ZERO_ADDRESS, pricePerCm3=10**14, capacity=10**6, used=24_000, start=START, end=END,
    deadline=DEADLINE, envX=1, envY=1, envZ=1, material_text="PA12", arbiter=ARBITER,
)
JOB = JobRow(order_id=4, job_id=1, customer=CUSTOMER, status=JobStatus.SHIPPED, deposit=10**15, dimX=1,
             dimY=1, dimZ=1, partVolume=1, quantity=1, shippedAt=SHIPPED_AT, digest=b"\1" * 32,
             uri="ipfs://x")


def moves_of(status: int, who: str, after_shipment: int, *, order: OrderRow = ORDER,
             roles: frozenset[Role] | None = None) -> tuple[str, ...]:
    job = replace(JOB, status=status, shippedAt=SHIPPED_AT if status >= JobStatus.SHIPPED else 0)
    return job_moves(order, [job], job, Viewer(PEOPLE[who], roles), SHIPPED_AT + after_shipment, SETTINGS)


def test_the_producer_ships_or_rejects_a_model_until_the_deadline_and_finalizes_after_the_window() -> None:
    assert moves_of(JobStatus.MODEL_SUBMITTED, "producer", 0) == ("fetch-model", "ship", "reject")
    assert moves_of(JobStatus.MODEL_SUBMITTED, "producer", 5 * DAY) == ()  # the deadline passed
    assert moves_of(JobStatus.SHIPPED, "producer", 14 * DAY - 1) == ()
    assert moves_of(JobStatus.SHIPPED, "producer", 14 * DAY) == ("finalize",)
    assert moves_of(JobStatus.DISPUTED, "producer", 14 * DAY) == ()  # no finalize while disputed


def test_the_customer_disputes_within_the_window_and_may_confirm_a_disputed_job() -> None:
    assert moves_of(JobStatus.SHIPPED, "customer", 14 * DAY - 1) == ("confirm", "dispute")
    assert moves_of(JobStatus.SHIPPED, "customer", 14 * DAY) == ("confirm",)
    assert moves_of(JobStatus.DISPUTED, "customer", DAY) == ("confirm",)


def test_the_customer_reclaims_only_from_the_deadline_on() -> None:
    assert moves_of(JobStatus.MODEL_SUBMITTED, "customer", 5 * DAY - 1) == ()
    assert moves_of(JobStatus.MODEL_SUBMITTED, "customer", 5 * DAY) == ("reclaim",)


def test_the_arbiter_resolves_and_anyone_settles_after_the_arbitration_window() -> None:
    assert moves_of(JobStatus.DISPUTED, "arbiter", DAY) == ("resolve",)
    assert moves_of(JobStatus.DISPUTED, "someone", 21 * DAY - 1) == ()
    assert moves_of(JobStatus.DISPUTED, "someone", 21 * DAY) == ("settle",)
    assert moves_of(JobStatus.DISPUTED, "arbiter", 21 * DAY) == ("resolve", "settle")
    assert moves_of(JobStatus.SHIPPED, "arbiter", DAY) == ()
    # an arbiter that is also a party to the job never resolves it
    party = replace(ORDER, arbiter=PRODUCER)
    assert "resolve" not in moves_of(JobStatus.DISPUTED, "producer", DAY, order=party)


def test_permissioned_arbiters_hold_the_role_and_every_step_needs_one() -> None:
    arbiter = frozenset({Role.ARBITER})
    permissioned = replace(ORDER, arbiter=ZERO_ADDRESS)
    assert moves_of(JobStatus.DISPUTED, "someone", DAY, order=permissioned, roles=arbiter) == ("resolve",)
    assert moves_of(JobStatus.DISPUTED, "someone", DAY, order=permissioned, roles=frozenset()) == ()
    # the customer without its role (removed since) is offered nothing it needs the role for
    assert moves_of(JobStatus.SHIPPED, "customer", DAY, roles=frozenset()) == ()


def _order_moves(status: int, who: str, statuses: tuple[int, ...], now: int = END - 1) -> tuple[str, ...]:
    order = replace(ORDER, status=status, jobCount=len(statuses))
    rows = [replace(JOB, job_id=i, status=s) for i, s in enumerate(statuses, start=1)]
    return order_moves(order, rows, Viewer(PEOPLE[who]), now, SETTINGS)


def test_no_cancel_once_a_job_has_a_model_and_close_for_anyone_after_the_window() -> None:
    closed, opened = OrderStatus.CLOSED, OrderStatus.OPEN
    assert _order_moves(closed, "producer", (JobStatus.JOINED, JobStatus.LEFT)) == ("cancel",)
    assert _order_moves(closed, "producer", (JobStatus.JOINED, JobStatus.REJECTED)) == ("cancel",)
    for blocker in (JobStatus.MODEL_SUBMITTED, JobStatus.SHIPPED, JobStatus.DISPUTED, JobStatus.RESOLVED):
        assert _order_moves(closed, "producer", (JobStatus.JOINED, blocker)) == ()
    assert _order_moves(opened, "producer", ()) == ("close", "cancel")
    assert _order_moves(opened, "someone", ()) == ()
    assert _order_moves(opened, "someone", (), now=END) == ("close",)  # anyone, once the window ended


def test_a_request_is_taken_before_its_end_and_cancelled_by_its_requester() -> None:
    requested = replace(ORDER, status=OrderStatus.REQUESTED, producer=ZERO_ADDRESS)
    rows = [replace(JOB, status=JobStatus.JOINED, shippedAt=0)]
    assert order_moves(requested, rows, Viewer(SOMEONE), END - 1, SETTINGS) == ("take",)
    assert order_moves(requested, rows, Viewer(SOMEONE), END, SETTINGS) == ()
    assert order_moves(requested, rows, Viewer(CUSTOMER), END - 1, SETTINGS) == ("take", "cancel")


def test_the_producer_evicts_joined_jobs_of_its_open_order() -> None:
    opened = replace(ORDER, status=OrderStatus.OPEN)
    assert moves_of(JobStatus.JOINED, "producer", 0, order=opened) == ("evict",)
    assert moves_of(JobStatus.JOINED, "producer", 0) == ()  # closed: customers submit models now
    assert moves_of(JobStatus.LEFT, "producer", 0, order=opened) == ()
    assert "evict" not in moves_of(JobStatus.JOINED, "customer", 0, order=opened)
    assert "evict" not in moves_of(JobStatus.JOINED, "arbiter", 0, order=opened)


def test_no_move_names_an_arbiter_and_nobody_looking_is_offered_nothing() -> None:
    every = {r.move for r in moves.rules.RULES}
    assert "name-arbiter" not in every
    assert order_moves(ORDER, [JOB], Viewer(""), SHIPPED_AT, SETTINGS) == ()
