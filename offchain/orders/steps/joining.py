"""Joining an order: the quote, the join, leaving it, and the producer's eviction of joined
jobs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from offchain.chain.client import Chain, Step
from offchain.chain.codec import (
    ZERO_ADDRESS,
    JobStatus,
    currency,
    envelope_of,
    job_status,
)
from offchain.formats import dims_mm, format_amount
from offchain.orders.report import amount_text
from offchain.orders.steps.base import (
    StepError,
    _chain_job,
    _job_step,
    _order,
    _parts,
    _send,
    check_rule,
    several_parts,
)
from offchain.orders.steps.payments import _approve
from offchain.orders.steps.terms import arbiter_terms
from offchain.parts.units import build_space_mm3, fits, price_wei


@dataclass(frozen=True)
class Quote:
    order_id: int
    dims_um: tuple[int, int, int]
    volume_mm3: int
    quantity: int
    build_space: int
    #: What the order has left for this part: for an assembly's part, after the parts before it.
    space_left: int
    price: int
    fits_envelope: bool
    token: str
    #: Who would resolve the job's disputes (the order's arbiter, a term fixed at creation).
    arbiter: str = ""
    #: The part's name in its file (an assembly's part); "" for a single part.
    name: str = ""

    def describe(self) -> str:
        return (
            (f"{self.name}: " if self.name else "")
            + f"part {dims_mm(self.dims_um)}, {self.volume_mm3} mm3 x{self.quantity}: needs "
            f"{self.build_space} mm3 of {self.space_left} mm3 left, price "
            f"{format_amount(self.price)} ({currency(self.token)})"
        ) + (f"; {self.arbiter}" if self.arbiter else "")


def quote_parts(
    c: Chain, order_id: int, part_path: Path, quantity: int, units: str = "mm", split_groups: bool = False
) -> list[Quote]:
    """What joining ORDER_ID with every part of the file would use and cost, part by part in
    file order (each part the contract's own join: its space, its price; the space left
    counts the parts before it), and who would resolve the jobs' disputes (no transaction)."""
    order = _order(c, order_id)
    parts = _parts(part_path, units, split_groups)
    left = int(order.capacity) - int(order.used)
    arbiter = arbiter_terms(c, order_id)
    quotes = []
    for named in parts:
        dims, volume = named.data.chain_dims_um(), named.data.chain_volume_mm3()
        space = build_space_mm3(dims, quantity)
        quotes.append(Quote(
            order_id=order_id,
            dims_um=dims,
            volume_mm3=volume,
            quantity=quantity,
            build_space=space,
            space_left=left,
            price=price_wei(int(order.pricePerCm3), dims, quantity),
            fits_envelope=fits(dims, envelope_of(order)),
            token=str(order.token),
            arbiter=arbiter,
            name=named.name if len(parts) > 1 else "",
        ))
        left -= space
    return quotes


def quote(c: Chain, order_id: int, part_path: Path, quantity: int, units: str = "mm") -> Quote:
    """What joining ORDER_ID with this (one-part) file would use and cost, and who would resolve
    its disputes (no transaction)."""
    quotes = quote_parts(c, order_id, part_path, quantity, units)
    if len(quotes) != 1:
        raise StepError(several_parts(part_path, [q.name for q in quotes]))
    return quotes[0]


def join(
    c: Chain, order_id: int, part_path: Path, quantity: int, units: str = "mm", split_groups: bool = False
) -> Step:
    """Customer: join ORDER_ID with the part in PART_PATH (public data taken from the file), or
    with every part of an assembly (a 3MF's build items, an OBJ's objects with SPLIT_GROUPS) in
    one transaction: a job per part, in file order, each QUANTITY copies.

    The summary shows the terms the join accepts: the deposit (the build space's price; for
    an assembly each part's and the total) and who resolves the jobs' disputes (the order's
    arbiter, or none: the default rule, a full refund). The transaction carries no copy of
    them: an order's terms are fixed when it is opened (or requested) and never change after,
    the arbiter included (there is no step that names or replaces one later), so what the
    summary shows is what the joined jobs get."""
    if quantity <= 0:
        raise StepError("quantity must be at least 1")
    quotes = quote_parts(c, order_id, part_path, quantity, units, split_groups)
    order = _order(c, order_id)
    check_rule(c, "join", order_id)
    for q in quotes:
        part = f"part '{q.name}' ({dims_mm(q.dims_um)})" if q.name else f"the part ({dims_mm(q.dims_um)})"
        if not q.fits_envelope:
            raise StepError(
                f"{part} does not fit order {order_id}'s envelope ({dims_mm(envelope_of(order))}) in any "
                "orientation"
            )
        if q.build_space > q.space_left:
            before = " after the parts before it" if q.name else ""
            raise StepError(
                f"order {order_id} has {q.space_left} mm3 of build space left{before}; {part} x{quantity} "
                f"needs {q.build_space} mm3"
            )
    total, token = sum(q.price for q in quotes), quotes[0].token
    if token != ZERO_ADDRESS:
        _approve(c, token, total)
    value = total if token == ZERO_ADDRESS else 0
    if len(quotes) == 1:
        [q] = quotes
        step = _send(
            c, "join", c.orders.join, order_id, list(q.dims_um), q.volume_mm3, quantity, value=value,
            summary=f"order {order_id}: {part_path.name} - {q.describe()}",
        )
        job_ids = [c.event_arg(step, "JobJoined", "jobId")]
    else:
        parts = [(list(q.dims_um), q.volume_mm3, quantity) for q in quotes]
        step = _send(
            c, "join", c.orders.joinParts, order_id, parts, value=value,
            summary=f"order {order_id}: {part_path.name}, {len(quotes)} parts, "
            f"{amount_text(total, token)} in all",
        )
        job_ids = [int(log.jobId) for log in c.orders.JobJoined.from_receipt(step.data["receipt"])]
    step.data.update(job_id=job_ids[0], job_ids=job_ids, quote=quotes[0], quotes=quotes)
    if len(quotes) == 1:
        step.summary = f"job {job_ids[0]} of " + step.summary
    else:
        each = "; ".join(f"job {j}: {q.describe()}" for j, q in zip(job_ids, quotes, strict=True))
        step.summary = f"jobs {_ids(job_ids)} of {step.summary} ({each})"
    return step


def leave(c: Chain, order_id: int, job_id: int) -> Step:
    """Customer: leave an open order; the deposit is credited back."""
    return _job_step(
        c, "leave", c.orders.leave, order_id, job_id, done=(JobStatus.LEFT,),
        summary="job {job} left order {order}, {deposit} credited back",
    )


def evict(c: Chain, order_id: int, job_ids: Sequence[int]) -> Step:
    """Producer: remove joined jobs (no model yet) from its open order, all in one
    transaction: each job's whole deposit is credited back to its customer, its build space
    and live slot freed (the way out when one account holds an order's live slots with tiny
    parts). Checked against the chain first: the account produces the order, the order is
    open, every job exists and is joined. A job that is already gone (left by its customer,
    or refunded: evicted before) is skipped; if every one is, the step is already done."""
    wanted = list(dict.fromkeys(int(j) for j in job_ids))  # once each, in the order given
    if not wanted:
        raise StepError(f"name the jobs of order {order_id} to evict (e.g. --job 2 --job 5)")
    order = c.order(order_id)
    check_rule(c, "evict", order_id)  # who, and the order's state (before its jobs)
    count = int(order.jobCount)
    unknown = [j for j in wanted if not 1 <= j <= count]
    if unknown:
        jobs = f"its jobs are 1 to {count}" if count else "no job has joined it"
        raise StepError(f"order {order_id} has no {_jobs_text(unknown)} ({jobs})")
    jobs = {j: _chain_job(c, order_id, j) for j in wanted}
    gone = {j: job for j, job in jobs.items() if int(job.status) in (JobStatus.LEFT, JobStatus.REFUNDED)}
    for j, job in jobs.items():
        if j not in gone:
            check_rule(c, "evict", order_id, j, job)
    skipped = "; ".join(f"job {j} is already {job_status(job)}" for j, job in gone.items())
    if len(gone) == len(wanted):
        return Step("evict", c.actor, f"order {order_id}: {skipped}", already_done=True)
    to_evict = [j for j in wanted if j not in gone]
    token = str(order.token)
    total = sum(int(jobs[j].deposit) for j in to_evict)
    step = _send(
        c,
        "evict",
        c.orders.evict,
        order_id,
        to_evict,
        summary=f"order {order_id}: {_jobs_text(to_evict)} evicted, {amount_text(total, token)} refunded",
        still_needed=lambda: all(int(c.job(order_id, j).status) == JobStatus.JOINED for j in to_evict),
    )
    refunds = {
        int(log.jobId): int(log.refund) for log in c.orders.JobEvicted.from_receipt(step.data["receipt"])
    }
    step.data.update(refunds=refunds, skipped=sorted(gone))
    each = "; ".join(
        f"job {j}: {amount_text(refunds[j], token)} credited back to {jobs[j].customer}" for j in to_evict
    )
    step.summary = (
        f"order {order_id}: {_jobs_text(to_evict)} evicted, {amount_text(sum(refunds.values()), token)} "
        f"refunded in all ({each})" + (f"; {skipped}" if skipped else "")
    )
    return step


def _ids(ids: Sequence[int]) -> str:
    """'3', '3 and 5', '2, 3 and 5'."""
    text = [str(i) for i in ids]
    return text[0] if len(text) == 1 else ", ".join(text[:-1]) + " and " + text[-1]


def _jobs_text(ids: Sequence[int]) -> str:
    return ("job " if len(ids) == 1 else "jobs ") + _ids(ids)
