"""What every step shares: the exceptions, the index lookups, sending a step, the
deployment's settings and the one-job step (checked against the chain, 'already done' on
re-run)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from offchain.chain.client import Chain, Step
from offchain.chain.codec import job_status
from offchain.errors import ProdnetError
from offchain.formats import format_amount
from offchain.index import JobRow, MachineRow, OrderRow
from offchain.orders.indexed import market_index, market_settings
from offchain.parts import stl


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


def _part(path: Path, units: str = "mm") -> stl.PartData:
    part = stl.inspect(path, units=units)
    if not part.closed:
        raise StepError(
            f"{path} is not a closed mesh ({part.open_edges} open edges): its volume is unreliable; "
            "repair it before ordering"
        )
    return part


Refusal = str | Callable[[Any], str]


def _job_step(
    c: Chain,
    step: str,
    method: Any,
    order_id: int,
    job_id: int,
    *,
    done: tuple[int, ...],
    needs: tuple[int, ...] | None,
    needs_text: str,
    summary: str,
    refusals: Mapping[int, Refusal] | None = None,
    check: Callable[[Any], None] | None = None,
    args: tuple[Any, ...] = (),
) -> Step:
    """A step on one job, checked against the job as the chain has it now (an index row
    may not show the latest step yet): 'already done' if the job is in DONE; a clear refusal
    if it is not in NEEDS (None: let the contract decide), the sentence after the job's state
    being REFUSALS[state] (a text with {order} and {job}, or a function of the job) or else
    NEEDS_TEXT; CHECK(job) may refuse further (times, amounts); else the transaction
    METHOD(order_id, job_id, *ARGS), SUMMARY filled in with {order}, {job} and {deposit}."""
    job = _chain_job(c, order_id, job_id)
    status = int(job.status)
    if status in done:
        return Step(
            step, c.actor, f"job {job_id} of order {order_id} is already {job_status(job)}", already_done=True
        )
    if needs is not None and status not in needs:
        reason = (refusals or {}).get(status, needs_text)
        text = reason(job) if callable(reason) else reason.format(order=order_id, job=job_id)
        raise StepError(f"job {job_id} of order {order_id} is {job_status(job)}; {text}")
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


def _confirmation_end(c: Chain, job: Any) -> int:
    """Until when the customer may confirm or dispute a shipped job."""
    return int(job.shippedAt) + market_settings(c).confirmation_window


def _arbitration_end(c: Chain, job: Any) -> int:
    """Until when the arbiter has a disputed job to itself (after it, anyone may settle it)."""
    return _confirmation_end(c, job) + market_settings(c).arbitration_window
