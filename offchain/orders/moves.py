"""Which steps someone may take next on an order or a job: the market's rules
(``offchain.orders.rules``) asked for each step, from the index's rows, at the time the next
block will have. The portal shows these as buttons and offers nothing the contract would
refuse for the order's life (the steps and the contract still check the rest: a part's
geometry, a payment, a model)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from offchain.chain.codec import ZERO_ADDRESS, JobStatus
from offchain.index import JobRow, OrderRow
from offchain.orders import rules

#: Steps taken somewhere else than an order's page: join from a part's page.
ELSEWHERE = frozenset({"join"})


@dataclass(frozen=True)
class Viewer:
    """Who looks: an address, with its roles in a permissioned deployment (None: public)."""

    address: str
    roles: frozenset[rules.Role] | None = None


def viewer(c: Any, address: str) -> Viewer:
    """ADDRESS as the rules see it: in a permissioned deployment, with the roles it holds."""
    if c.membership is None or not address:
        return Viewer(address)
    from eth_utils import keccak

    held = frozenset(
        role for role in (rules.Role.PRODUCER, rules.Role.CUSTOMER, rules.Role.ARBITER)
        if c.call(c.membership.hasRole, keccak(text=role.value), address)
    )
    return Viewer(address, held)


def facts(
    order: OrderRow, jobs: Sequence[JobRow], job: JobRow | None, who: Viewer, now: int,
    settings: rules.Settings,
) -> rules.Facts:
    """The facts the rules read, from the index's rows of ORDER, all its JOBS and one JOB."""
    ordered = sorted(jobs, key=lambda j: j.job_id)
    return rules.Facts(
        order_id=order.id,
        order_status=int(order.status),
        caller=who.address or ZERO_ADDRESS,
        now=now,
        settings=settings,
        producer=str(order.producer),
        requester=str(ordered[0].customer) if ordered else ZERO_ADDRESS,
        start=int(order.start),
        end=int(order.end),
        deadline=int(order.deadline),
        live_jobs=int(order.liveJobs),
        job_count=int(order.jobCount),
        arbiter=str(order.arbiter),
        job_id=job.job_id if job else 0,
        job_status=int(job.status) if job else JobStatus.NONE,
        customer=str(job.customer) if job else ZERO_ADDRESS,
        shipped_at=int(job.shippedAt) if job else 0,
        job_statuses=tuple(int(j.status) for j in ordered),
        roles=who.roles,
    )


def _passing(f: rules.Facts, on_job: bool) -> tuple[str, ...]:
    return tuple(
        rule.move for rule in rules.RULES
        if rule.on_job == on_job and rule.move not in ELSEWHERE and rules.verdict(rule.function, f) is None
    )


def order_moves(order: OrderRow, jobs: Sequence[JobRow], who: Viewer, now: int,
                settings: rules.Settings) -> tuple[str, ...]:
    """The steps WHO may take on ORDER now (take, close, cancel)."""
    if not who.address:
        return ()
    return _passing(facts(order, jobs, None, who, now, settings), on_job=False)


def job_moves(order: OrderRow, jobs: Sequence[JobRow], job: JobRow, who: Viewer, now: int,
              settings: rules.Settings) -> tuple[str, ...]:
    """The steps WHO may take on JOB now; a producer who may ship or reject a model may fetch it
    first (fetch-model sends no transaction)."""
    if not who.address:
        return ()
    found = _passing(facts(order, jobs, job, who, now, settings), on_job=True)
    if "ship" in found or "reject" in found:
        found = ("fetch-model", *found)
    return found


def is_arbiter(order: OrderRow | None, who: Viewer) -> bool:
    """Whether WHO may resolve disputes of ORDER (any order, in a permissioned deployment):
    it holds ARBITER_ROLE, or it is the order's named arbiter. Whether it is a party to a job
    is the rules' (an arbiter never resolves its own)."""
    if who.roles is not None:
        return rules.Role.ARBITER in who.roles
    return order is not None and rules.same_address(order.arbiter, who.address)


def may_resolve(order: OrderRow, jobs: Sequence[JobRow], job: JobRow, who: Viewer, now: int,
                settings: rules.Settings) -> bool:
    """Whether WHO may resolve JOB's dispute now."""
    f = facts(order, jobs, job, who, now, settings)
    return rules.verdict("resolve", f) is None


