"""A job's delivery: shipped, confirmed or finalized; reclaimed when never shipped. What each
step needs (states, windows, who) is the market's rules' (``orders.rules``)."""

from __future__ import annotations

from offchain.chain.client import Chain, Step
from offchain.chain.codec import JobStatus
from offchain.orders.steps.base import _job_step

#: Job states of a part that has been shipped.
SHIPPED_STATES = (JobStatus.SHIPPED, JobStatus.COMPLETED, JobStatus.DISPUTED, JobStatus.RESOLVED)


def ship(c: Chain, order_id: int, job_id: int) -> Step:
    """Producer: the job's part is shipped."""
    return _job_step(
        c, "ship", c.orders.ship, order_id, job_id, done=SHIPPED_STATES,
        summary="job {job} of order {order} shipped",
    )


def confirm(c: Chain, order_id: int, job_id: int) -> Step:
    """Customer: receipt confirmed; the deposit is credited to the producer. A disputed job
    can still be confirmed (the customer gives up its dispute)."""
    return _job_step(
        c, "confirm", c.orders.confirmReceipt, order_id, job_id, done=(JobStatus.COMPLETED,),
        summary="job {job} of order {order} received; {deposit} credited to the producer",
    )


def finalize(c: Chain, order_id: int, job_id: int) -> Step:
    """Producer: complete a shipped job after the confirmation window (not a disputed one)."""
    return _job_step(
        c, "finalize", c.orders.finalize, order_id, job_id, done=(JobStatus.COMPLETED,),
        summary="job {job} of order {order} finalized; {deposit} credited to the producer",
    )


def reclaim(c: Chain, order_id: int, job_id: int) -> Step:
    """Customer: take back the deposit of a job not shipped by the delivery deadline (a
    requested order nobody took is cancelled with it)."""
    step = _job_step(
        c, "reclaim", c.orders.reclaim, order_id, job_id, done=(JobStatus.REFUNDED,),
        summary="job {job} of order {order}: {deposit} credited back",
    )
    if not step.already_done and c.orders.OrderCancelled.from_receipt(step.data["receipt"]):
        step.summary += f"; order {order_id}, requested and never taken, is cancelled"
    return step
