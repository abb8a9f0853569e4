"""A job's delivery: shipped, confirmed or finalized; reclaimed when never shipped."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from offchain.chain.client import Chain, Step
from offchain.chain.codec import JobStatus
from offchain.formats import format_time
from offchain.orders.steps.base import _arbitration_end, _job_step


def _while_disputed(c: Chain, order_id: int, job_id: int) -> Callable[[Any], str]:
    """What ends a dispute, for refusals of steps a disputed job does not take."""
    return lambda job: (
        f"its arbiter may resolve the dispute ('ape run order resolve {order_id} {job_id} --to-producer "
        f"AMOUNT') until {format_time(_arbitration_end(c, job))}; after that anyone may settle it "
        f"('ape run order settle {order_id} {job_id}': a full refund to the customer)"
    )


#: Job states of a part that has been shipped.
SHIPPED_STATES = (JobStatus.SHIPPED, JobStatus.COMPLETED, JobStatus.DISPUTED, JobStatus.RESOLVED)


def ship(c: Chain, order_id: int, job_id: int) -> Step:
    """Producer: the job's part is shipped."""
    return _job_step(
        c,
        "ship",
        c.orders.ship,
        order_id,
        job_id,
        done=SHIPPED_STATES,
        needs=(JobStatus.MODEL_SUBMITTED,),
        needs_text="parts ship after their model was submitted",
        refusals={JobStatus.REJECTED: "its model was rejected, so it is not produced"},
        summary="job {job} of order {order} shipped",
    )


def confirm(c: Chain, order_id: int, job_id: int) -> Step:
    """Customer: receipt confirmed; the deposit is credited to the producer. A disputed job
    can still be confirmed (the customer gives up its dispute)."""
    return _job_step(
        c,
        "confirm",
        c.orders.confirmReceipt,
        order_id,
        job_id,
        done=(JobStatus.COMPLETED,),
        needs=(JobStatus.SHIPPED, JobStatus.DISPUTED),
        needs_text="receipt can be confirmed only after shipment",
        refusals={JobStatus.RESOLVED: "its dispute has been resolved: there is nothing left to confirm"},
        summary="job {job} of order {order} received; {deposit} credited to the producer",
    )


def finalize(c: Chain, order_id: int, job_id: int) -> Step:
    """Producer: complete a shipped job after the confirmation window (not a disputed one)."""
    return _job_step(
        c,
        "finalize",
        c.orders.finalize,
        order_id,
        job_id,
        done=(JobStatus.COMPLETED,),
        needs=(JobStatus.SHIPPED,),
        needs_text="only shipped jobs can be finalized",
        refusals={
            JobStatus.DISPUTED: lambda job: "its customer disputes it, so it cannot be finalized: "
            + _while_disputed(c, order_id, job_id)(job),
            JobStatus.RESOLVED: "its dispute has been resolved: there is nothing left to finalize",
        },
        summary="job {job} of order {order} finalized; {deposit} credited to the producer",
    )


def reclaim(c: Chain, order_id: int, job_id: int) -> Step:
    """Customer: take back the deposit of a job not shipped by the delivery deadline (a
    requested order nobody took is cancelled with it)."""
    step = _job_step(
        c,
        "reclaim",
        c.orders.reclaim,
        order_id,
        job_id,
        done=(JobStatus.REFUNDED,),
        needs=(JobStatus.JOINED, JobStatus.MODEL_SUBMITTED),
        needs_text="only unshipped jobs can be reclaimed",
        summary="job {job} of order {order}: {deposit} credited back",
    )
    if not step.already_done and c.orders.OrderCancelled.from_receipt(step.data["receipt"]):
        step.summary += f"; order {order_id}, requested and never taken, is cancelled"
    return step
