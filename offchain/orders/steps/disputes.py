"""Rejects and disputes: a rejected model, a disputed shipment, the arbiter's split and the
default rule's settlement. Who may take each, and when, is the market's rules' (``orders.rules``)."""

from __future__ import annotations

from typing import Any

from offchain.chain.client import Chain, Step
from offchain.chain.codec import JobStatus
from offchain.formats import format_amount, format_time
from offchain.orders.steps.base import StepError, _arbitration_end, _job_step


def reject(c: Chain, order_id: int, job_id: int) -> Step:
    """Producer: decline a job's model (e.g. it does not match the part declared on chain)
    before the delivery deadline: 10% of the deposit (REJECT_FEE_BPS) is credited to the
    producer, the rest back to the customer, and the job's build space is freed."""
    step = _job_step(
        c, "reject", c.orders.reject, order_id, job_id, done=(JobStatus.REJECTED,),
        summary="job {job} of order {order} rejected",
    )
    if not step.already_done:
        fee = c.event_arg(step, "JobRejected", "toProducer")
        back = c.event_arg(step, "JobRejected", "toCustomer")
        step.data.update(to_producer=fee, to_customer=back)
        step.summary += (
            f": {format_amount(fee)} credited to the producer, {format_amount(back)} back to the customer"
        )
    return step


def dispute(c: Chain, order_id: int, job_id: int) -> Step:
    """Customer: dispute a shipped job within the confirmation window; the producer can no
    longer finalize it, the arbiter splits the deposit (or, after the arbitration window,
    anyone settles it as a full refund)."""
    step = _job_step(
        c, "dispute", c.orders.dispute, order_id, job_id, done=(JobStatus.DISPUTED, JobStatus.RESOLVED),
        summary="job {job} of order {order} disputed; its {deposit} stays in escrow",
    )
    if not step.already_done:
        until = format_time(_arbitration_end(c, c.job(order_id, job_id)))
        step.summary += f" until its arbiter resolves it (after {until}: settled as a full refund)"
    return step


def resolve(c: Chain, order_id: int, job_id: int, to_producer: int) -> Step:
    """Arbiter: end the dispute over a job by splitting its deposit: TO_PRODUCER (base units
    of the order's currency, at most the deposit) to the producer, the rest to the customer."""
    to_producer = int(to_producer)

    def split(job: Any) -> None:
        deposit = int(job.deposit)
        if to_producer < 0:
            raise StepError("the producer's share of the deposit cannot be negative")
        if to_producer > deposit:
            raise StepError(
                f"the split gives the producer {format_amount(to_producer)}, more than job {job_id}'s "
                f"deposit of {format_amount(deposit)}: give at most {format_amount(deposit)} (the rest "
                "goes back to the customer)"
            )

    rest = max(0, int(c.job(order_id, job_id).deposit) - to_producer)
    return _job_step(
        c, "resolve", c.orders.resolve, order_id, job_id, done=(JobStatus.RESOLVED,), check=split,
        args=(to_producer,),
        summary="job {job} of order {order} resolved: "
        f"{format_amount(to_producer)} to the producer, {format_amount(rest)} back to the customer",
    )


def settle(c: Chain, order_id: int, job_id: int) -> Step:
    """Anyone: end a dispute the arbiter left open past the arbitration window by the
    default rule, the whole deposit back to the customer."""
    return _job_step(
        c, "settle", c.orders.settle, order_id, job_id, done=(JobStatus.RESOLVED,),
        summary="job {job} of order {order} settled after the arbitration window: "
        "{deposit} back to the customer",
    )
