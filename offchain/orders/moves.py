"""Which steps each side may take next on an order or a job, by state: the contract's
state machine (docs/DESIGN.md, "The contract state machine") read from one side. The
portal shows these as buttons; the steps themselves still check everything.

Sides: the order's producer, a job's customer, the order's arbiter (the holders of
ARBITER_ROLE in permissioned mode, the named arbiter in public mode; never a party to the
job) and anyone. Given the time (``Clock``), moves that are not possible yet or any more
(ship or reject after the delivery deadline, dispute after the confirmation window, finalize
before it, settle before the arbitration window has ended) are left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from offchain.chain.codec import ZERO_ADDRESS, JobStatus, OrderStatus

PRODUCER_ORDER_MOVES: dict[int, tuple[str, ...]] = {
    OrderStatus.OPEN: ("close", "cancel", "name-arbiter"),
    OrderStatus.CLOSED: ("cancel",),
}
CUSTOMER_JOB_MOVES: dict[int, tuple[str, ...]] = {
    JobStatus.JOINED: ("leave", "submit-model", "reclaim"),
    JobStatus.MODEL_SUBMITTED: ("reclaim",),
    JobStatus.SHIPPED: ("confirm", "dispute"),
    JobStatus.DISPUTED: ("confirm",),
}
PRODUCER_JOB_MOVES: dict[int, tuple[str, ...]] = {
    JobStatus.MODEL_SUBMITTED: ("fetch-model", "ship", "reject"),
    JobStatus.SHIPPED: ("finalize",),
}
ARBITER_JOB_MOVES: dict[int, tuple[str, ...]] = {JobStatus.DISPUTED: ("resolve",)}
ANYONE_JOB_MOVES: dict[int, tuple[str, ...]] = {JobStatus.DISPUTED: ("settle",)}

#: Job states that make cancel revert: a model was submitted (reject it or ship it) or the part
#: shipped. A rejected job's deposit is already settled and does not stop a cancel.
CANCEL_BLOCKERS = frozenset({
    JobStatus.MODEL_SUBMITTED, JobStatus.SHIPPED, JobStatus.COMPLETED, JobStatus.DISPUTED, JobStatus.RESOLVED,
})


@dataclass(frozen=True)
class Clock:
    """The time the next block will have, and the deployment's windows (seconds)."""

    now: int
    confirmation_window: int
    arbitration_window: int

    def dispute_until(self, shipped_at: int) -> int:
        return int(shipped_at) + self.confirmation_window

    def arbitration_until(self, shipped_at: int) -> int:
        return self.dispute_until(shipped_at) + self.arbitration_window


def may_name_arbiter(
    public: bool, status: int, job_count: int, is_producer: bool, is_requester: bool, arbiter: str
) -> bool:
    """Public mode, once, by whoever set the order's terms before anyone joined: the producer
    of an Open order without jobs, or the requester of a Requested order."""
    if not public or int(str(arbiter), 16) != 0:
        return False
    if status == OrderStatus.OPEN:
        return is_producer and job_count == 0
    return status == OrderStatus.REQUESTED and is_requester


def order_moves(
    status: int,
    is_producer: bool,
    job_statuses: tuple[int, ...] = (),
    *,
    is_requester: bool = False,
    public: bool = False,
    arbiter: str = ZERO_ADDRESS,
) -> tuple[str, ...]:
    """The next steps on an order: take a requested one (anyone), name its arbiter (whoever
    set its terms, public mode), close or cancel it (its producer; no cancel once a job has a
    model or has shipped)."""
    moves: list[str] = []
    candidates = ("take", "name-arbiter") if status == OrderStatus.REQUESTED else ()
    if is_producer and status != OrderStatus.REQUESTED:
        candidates = PRODUCER_ORDER_MOVES.get(status, ())
    for move in candidates:
        if move == "cancel" and any(int(s) in CANCEL_BLOCKERS for s in job_statuses):
            continue
        if move == "name-arbiter" and not may_name_arbiter(
            public, status, len(job_statuses), is_producer, is_requester, arbiter
        ):
            continue
        moves.append(move)
    return tuple(moves)


def job_moves(
    order_status: int,
    job_status: int,
    is_producer: bool,
    is_customer: bool,
    *,
    is_arbiter: bool = False,
    job: Any = None,
    deadline: int | None = None,
    clock: Clock | None = None,
) -> tuple[str, ...]:
    """The next steps on a job for whoever is looking (producer and customer may be one;
    an arbiter never is either). With CLOCK (and the JOB's shippedAt, the order's DEADLINE),
    moves outside their time are left out."""
    now = clock.now if clock is not None else None
    shipped_at = int(getattr(job, "shippedAt", 0) or 0)
    moves: list[str] = []
    if is_producer:
        for move in PRODUCER_JOB_MOVES.get(job_status, ()):
            if move in ("ship", "reject") and now is not None and deadline is not None and now >= deadline:
                continue
            if move == "finalize" and clock is not None and now < clock.dispute_until(shipped_at):
                continue
            moves.append(move)
    if is_customer:
        for move in CUSTOMER_JOB_MOVES.get(job_status, ()):
            if move == "leave" and order_status != OrderStatus.OPEN:
                continue
            if move == "submit-model" and order_status != OrderStatus.CLOSED:
                continue
            if move == "dispute" and clock is not None and now >= clock.dispute_until(shipped_at):
                continue
            moves.append(move)
    if is_arbiter and not (is_producer or is_customer):
        moves += ARBITER_JOB_MOVES.get(job_status, ())
    for move in ANYONE_JOB_MOVES.get(job_status, ()):
        if move == "settle" and (clock is None or now < clock.arbitration_until(shipped_at)):
            continue
        moves.append(move)
    return tuple(moves)


def is_arbiter(c: Any, order: Any, account: str) -> bool:
    """Whether ACCOUNT may resolve ORDER's disputes: it holds ARBITER_ROLE (permissioned mode)
    or is the order's named arbiter (public mode). Whether it is a party to a job is the
    caller's to check (an arbiter never resolves its own)."""
    if c.membership is None:
        return str(getattr(order, "arbiter", ZERO_ADDRESS)).lower() == account.lower()
    from eth_utils import keccak

    return bool(c.call(c.membership.hasRole, keccak(text="ARBITER_ROLE"), account))


def may_resolve(c: Any, order: Any, job: Any, account: str, arbiter: bool | None = None) -> bool:
    """Whether ACCOUNT may resolve JOB's dispute: ORDER's arbiter (ARBITER, when the caller
    already knows), and no party to the job."""
    parties = {str(order.producer).lower(), str(job.customer).lower()}
    if account.lower() in parties:
        return False
    return is_arbiter(c, order, account) if arbiter is None else arbiter
