"""What every step shares: the exceptions, the index lookups, sending a step, the
deployment's settings and the one-job step (checked against the chain, 'already done' on
re-run)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from offchain.chain.client import Chain, Step, pending_timestamp
from offchain.chain.codec import ZERO_ADDRESS, JobStatus, OrderStatus, job_status
from offchain.chain.errors import ChainError
from offchain.errors import ProdnetError
from offchain.formats import format_amount
from offchain.index import JobRow, MachineRow, OrderRow
from offchain.orders import rules
from offchain.orders.indexed import market_index, market_settings
from offchain.orders.moves import viewer
from offchain.parts import NamedPart, stl
from offchain.parts import read as read_model


class StepError(ProdnetError):
    """A step cannot be done now; the message says why and what would make it possible."""


class ModelMismatchError(ProdnetError):
    """The decrypted model is not the part the customer declared on chain."""


class KeyLookupError(ProdnetError):
    """A participant's OpenPGP key could not be found on chain or does not match its fingerprint."""


def _order(c: Chain, order_id: int) -> OrderRow:
    """Order ORDER_ID as the (synced) index has it; a clear refusal if there is none."""
    row = market_index(c).order(order_id)
    if row is None:
        raise StepError(f"order {order_id} does not exist")
    return row


def _job(c: Chain, order_id: int, job_id: int) -> JobRow:
    """Job JOB_ID of ORDER_ID as the (synced) index has it; a clear refusal if there is none."""
    row = market_index(c).job(order_id, job_id)
    if row is None:
        _order(c, order_id)
        raise StepError(f"order {order_id} has no job {job_id}")
    return row


def _machine(c: Chain, machine_id: int) -> MachineRow:
    row = market_index(c).machine(machine_id)
    if row is None:
        raise StepError(
            f"machine {machine_id} does not exist: register it with 'ape run order register-machine'"
        )
    return row


def _send(
    c: Chain,
    step: str,
    method: Any,
    *args: Any,
    summary: str,
    value: int = 0,
    still_needed: Callable[[], bool] | None = None,
) -> Step:
    """Send the transaction, then bring the index up to its block (the next read sees it).
    STILL_NEEDED (the step's "already done" check) guards the one re-send of a transaction
    the node dropped (``offchain.chain.sending``)."""
    done = c.send(step, method, *args, summary=summary, value=value, still_needed=still_needed)
    market_index(c)
    return done


def _chain_job(c: Chain, order_id: int, job_id: int) -> Any:
    """Job JOB_ID of ORDER_ID as the chain has it now (a step's precondition is the chain's
    state, which an index row may not show yet); unknown ids refused in one sentence."""
    return c.job(order_id, job_id)


def _parts(path: Path, units: str = "mm", split_groups: bool = False) -> tuple[NamedPart, ...]:
    """Every part of the model file at PATH (STL, 3MF build items; an OBJ is one part, or one per
    object and group with SPLIT_GROUPS), each a closed mesh; in file order, the order of an
    assembly's jobs."""
    model = read_model(path, units, split_groups=split_groups)
    for named in model.parts:
        part = named.data
        if not part.closed:
            what = f"{path}" if len(model.parts) == 1 else f"part '{named.name}' of {path}"
            raise StepError(
                f"{what} is not a closed mesh ({part.open_edges} open edges): its volume is unreliable; "
                "repair it before ordering"
            )
    return model.parts


def _part(path: Path, units: str = "mm") -> stl.PartData:
    """The one part of the model file at PATH (a request, or a single-part quote)."""
    parts = _parts(path, units)
    if len(parts) != 1:
        raise StepError(several_parts(path, [p.name for p in parts]))
    return parts[0].data


def several_parts(path: Path, names: list[str]) -> str:
    """The refusal of a step that takes one part, given a file of several (the CLI's and the portal's)."""
    return (
        f"{path} holds {len(names)} parts ({', '.join(names)}): this step takes one part; join an open "
        "order with the whole assembly, or give each part its own file"
    )


def chain_facts(c: Chain, order_id: int, job_id: int = 0, job: Any = None) -> rules.Facts:
    """What the market's rules read for a step by this account on ORDER_ID (and JOB_ID), as the
    chain has it now and at the time the next block will have (an index row may not show the
    latest step yet); an unknown order or job is the contract's own refusal."""
    order = c.order(order_id)
    if job_id and job is None:
        job = c.job(order_id, job_id)
    who = viewer(c, c.address)
    requester = ZERO_ADDRESS
    if int(order.status) == OrderStatus.REQUESTED:
        requester = str(c.job(order_id, 1).customer)
    arbiter = str(c.call(c.orders.arbiterOf, order_id)) if who.roles is None else ZERO_ADDRESS
    indexed = sorted(market_index(c).jobs([order_id]), key=lambda j: j.job_id)
    return rules.Facts(
        order_id=order_id,
        order_status=int(order.status),
        caller=c.address,
        now=pending_timestamp(),
        settings=market_settings(c),
        producer=str(order.producer),
        requester=requester,
        start=int(order.start),
        end=int(order.end),
        deadline=int(order.deadline),
        live_jobs=int(order.liveJobs),
        job_count=int(order.jobCount),
        arbiter=arbiter,
        job_id=job_id,
        job_status=int(job.status) if job is not None else JobStatus.NONE,
        customer=str(job.customer) if job is not None else ZERO_ADDRESS,
        shipped_at=int(job.shippedAt) if job is not None else 0,
        job_statuses=tuple(int(j.status) for j in indexed),
        roles=who.roles,
    )


class RuleRefusalError(StepError, ChainError):
    """The market's rules refuse the step as the contract would (its own error, found before
    anything is sent); the message is the contract's error in words, for this step."""


def check_rule(c: Chain, step: str, order_id: int, job_id: int = 0, job: Any = None) -> None:
    """Refuse STEP before anything is sent if the market's rules (``orders.rules``, held to the
    contract) say the contract would refuse it now. A step on jobs checked with no JOB_ID has
    its order's checks made (evict, before its jobs)."""
    refusal = rules.verdict(step, chain_facts(c, order_id, job_id, job))
    if refusal is None or (refusal.error == "JobNotFound" and not job_id):
        return  # (a step on jobs checked without one: its order's checks passed)
    raise RuleRefusalError(refusal.sentence(), refusal.error, refusal.args)


def _job_step(
    c: Chain,
    step: str,
    method: Any,
    order_id: int,
    job_id: int,
    *,
    done: tuple[int, ...],
    summary: str,
    check: Callable[[Any], None] | None = None,
    args: tuple[Any, ...] = (),
) -> Step:
    """A step on one job, checked against the job as the chain has it now: 'already done' if
    the job is in DONE; else the market's rules for STEP (``check_rule``), and CHECK(job) for
    what the rules do not hold (amounts); else the transaction METHOD(order_id, job_id,
    *ARGS), SUMMARY filled in with {order}, {job} and {deposit}."""
    job = _chain_job(c, order_id, job_id)
    status = int(job.status)
    if status in done:
        return Step(
            step, c.actor, f"job {job_id} of order {order_id} is already {job_status(job)}", already_done=True
        )
    check_rule(c, step, order_id, job_id, job)
    if check is not None:
        check(job)
    return _send(
        c,
        step,
        method,
        order_id,
        job_id,
        *args,
        summary=summary.format(order=order_id, job=job_id, deposit=format_amount(int(job.deposit))),
        still_needed=lambda: int(_chain_job(c, order_id, job_id).status) not in done,
    )


def _arbitration_end(c: Chain, job: Any) -> int:
    """Until when the arbiter has a disputed job to itself (after it, anyone may settle it)."""
    return market_settings(c).arbitration_end(int(job.shippedAt))
