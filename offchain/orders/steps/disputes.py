"""Rejects and disputes: a rejected model, a disputed shipment, the arbiter's split and the
default rule's settlement."""

from __future__ import annotations

from typing import Any

from offchain.chain.client import Chain, Step, pending_timestamp
from offchain.chain.codec import JobStatus, is_zero_address
from offchain.formats import format_amount, format_time
from offchain.orders.rules import same_address
from offchain.orders.steps.base import (
    StepError,
    _arbitration_end,
    _chain_job,
    _confirmation_end,
    _job_step,
    _order,
)


def reject(c: Chain, order_id: int, job_id: int) -> Step:
    """Producer: decline a job's model (e.g. it does not match the part declared on chain)
    before the delivery deadline: 10% of the deposit (REJECT_FEE_BPS) is credited to the
    producer, the rest back to the customer, and the job's build space is freed."""

    def in_time(job: Any) -> None:
        order = _order(c, order_id)
        if not same_address(order.producer, c.address):
            raise StepError(
                f"order {order_id} is produced by {order.producer}, not by {c.address}: only its producer "
                "can reject a model"
            )
        if pending_timestamp() >= int(order.deadline):
            raise StepError(
                f"order {order_id}'s delivery deadline passed at {format_time(int(order.deadline))}: job "
                f"{job_id} can no longer be rejected (its customer may reclaim the deposit)"
            )

    step = _job_step(
        c,
        "reject",
        c.orders.reject,
        order_id,
        job_id,
        done=(JobStatus.REJECTED,),
        needs=(JobStatus.MODEL_SUBMITTED,),
        needs_text="only a job whose model was submitted, and that is not shipped yet, can be rejected",
        refusals={JobStatus.JOINED: "its customer has not submitted a model yet: there is nothing to reject"},
        check=in_time,
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

    shipped: dict[str, Any] = {}

    def in_time(job: Any) -> None:
        shipped["job"] = job
        until = _confirmation_end(c, job)
        if pending_timestamp() >= until:
            raise StepError(
                f"job {job_id} of order {order_id} can no longer be disputed: its confirmation window "
                f"ended at {format_time(until)} (the producer may finalize it now)"
            )

    step = _job_step(
        c,
        "dispute",
        c.orders.dispute,
        order_id,
        job_id,
        done=(JobStatus.DISPUTED, JobStatus.RESOLVED),
        needs=(JobStatus.SHIPPED,),
        needs_text="only a shipped job can be disputed",
        refusals={
            JobStatus.COMPLETED: "it is complete, its deposit paid to the producer: too late to dispute"
        },
        check=in_time,
        summary="job {job} of order {order} disputed; its {deposit} stays in escrow",
    )
    if not step.already_done:
        until = format_time(_arbitration_end(c, shipped["job"]))
        step.summary += f" until its arbiter resolves it (after {until}: settled as a full refund)"
    return step


def _arbiter_check(c: Chain, order_id: int, job_id: int, job: Any) -> None:
    """Refuse before sending if this account may not resolve the order's disputes."""
    me = c.address
    order = _order(c, order_id)
    if same_address(me, order.producer) or same_address(me, job.customer):
        party = "producer" if same_address(me, order.producer) else "customer"
        raise StepError(f"{me} is this job's {party}: a party never resolves its own dispute")
    if c.membership is not None:
        role = c.call(c.membership.ARBITER_ROLE)
        if not bool(c.call(c.membership.hasRole, role, me)):
            raise StepError(
                f"{me} is not a member with the arbiter role: the admin grants it with 'ape run members add "
                f"{me} arbiter'"
            )
        return
    arbiter = str(c.call(c.orders.arbiterOf, order_id))
    if is_zero_address(arbiter):
        raise StepError(
            f"order {order_id} has no arbiter: its disputes end by the default rule, a full refund to the "
            f"customer, which anyone applies after {format_time(_arbitration_end(c, job))} with 'ape run "
            f"order settle {order_id} {job_id}'"
        )
    if not same_address(arbiter, me):
        raise StepError(f"order {order_id}'s disputes are resolved by its arbiter {arbiter}, not by {me}")


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
        _arbiter_check(c, order_id, job_id, job)

    job_before = _chain_job(c, order_id, job_id)
    rest = max(0, int(job_before.deposit) - to_producer)
    return _job_step(
        c,
        "resolve",
        c.orders.resolve,
        order_id,
        job_id,
        done=(JobStatus.RESOLVED,),
        needs=(JobStatus.DISPUTED,),
        needs_text="only a disputed job can be resolved",
        check=split,
        args=(to_producer,),
        summary="job {job} of order {order} resolved: "
        f"{format_amount(to_producer)} to the producer, {format_amount(rest)} back to the customer",
    )


def settle(c: Chain, order_id: int, job_id: int) -> Step:
    """Anyone: end a dispute the arbiter left open past the arbitration window by the
    default rule, the whole deposit back to the customer."""

    def after_window(job: Any) -> None:
        until = _arbitration_end(c, job)
        if pending_timestamp() < until:
            raise StepError(
                f"the arbiter may resolve the dispute over job {job_id} of order {order_id} until "
                f"{format_time(until)}; it can be settled (a full refund to the customer) only after that"
            )

    return _job_step(
        c,
        "settle",
        c.orders.settle,
        order_id,
        job_id,
        done=(JobStatus.RESOLVED,),
        needs=(JobStatus.DISPUTED,),
        needs_text="only a disputed job can be settled",
        check=after_window,
        summary="job {job} of order {order} settled after the arbitration window: "
        "{deposit} back to the customer",
    )
