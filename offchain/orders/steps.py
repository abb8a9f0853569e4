"""Every order step as one function over the deployed contracts and the offchain modules.

Scripts (``ape run order ...``) call these; tests call them directly too. Each step checks
what it can before spending gas (the contract's own checks also run first, in gas
estimation), raises a ProdnetError subclass with a sentence on failure, and returns a
``Step`` (tx hash, gas used) on success, or a Step marked ``already_done`` when re-run
after it had already happened.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from offchain import config
from offchain._fs import read_json, write_json_atomic
from offchain.chain.client import Chain, Step, pending_timestamp
from offchain.chain.codec import (
    ZERO_ADDRESS,
    JobStatus,
    OrderStatus,
    address_of,
    currency,
    dims_of,
    envelope_of,
    is_zero_address,
    job_status,
    order_status,
    text16,
)
from offchain.chain.errors import describe as describe_refusal
from offchain.chain.errors import duration_text
from offchain.errors import ProdnetError
from offchain.formats import dims_mm, format_amount, format_time
from offchain.index import JobRow, MachineRow, OrderRow
from offchain.orders.indexed import market_index
from offchain.orders.report import amount_text
from offchain.parts import stl
from offchain.parts.units import build_space_mm3, fits, price_wei
from offchain.transfer import keys, message, storage


class StepError(ProdnetError):
    """A step cannot be done now; the message says why and what would make it possible."""


class ModelMismatchError(ProdnetError):
    """The decrypted model is not the part the customer declared on chain."""


class KeyLookupError(ProdnetError):
    """A participant's OpenPGP key could not be found on chain or does not match its fingerprint."""


def published_key(c: Chain, account: str) -> Any:
    """ACCOUNT's current OpenPGP public key: the armored key of its latest KeyPublished event
    (the index points at it), checked against the fingerprint that event registered."""
    found = market_index(c).published_key(account)
    if found is None:
        raise KeyLookupError(
            f"{account} has not published an OpenPGP key: it must run "
            "'ape run order register-key PUB.asc' first"
        )
    stored, armored = found
    key = keys.import_key(armored, source=f"the key {account} published")
    if keys.fingerprint_bytes32(key) != stored:
        raise KeyLookupError(
            f"the key {account} published does not match its registered fingerprint "
            f"0x{stored.hex()[:40]}: refusing to use it"
        )
    return key


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _order(c: Chain, order_id: int) -> OrderRow:
    """Order ORDER_ID as the (synced) index has it; a clear refusal if there is none."""
    row = market_index(c).order(order_id)
    if row is None:
        raise StepError(f"order {order_id} does not exist")
    return row


def _job(c: Chain, order_id: int, job_id: int) -> JobRow:
    row = market_index(c, sync=False).job(order_id, job_id)
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


def _send(c: Chain, step: str, method: Any, *args: Any, summary: str, value: int = 0) -> Step:
    """Send the transaction, then bring the index up to its block (the next read sees it)."""
    done = c.send(step, method, *args, summary=summary, value=value)
    market_index(c)
    return done


def _chain_job(c: Chain, order_id: int, job_id: int) -> Any:
    """Job JOB_ID of ORDER_ID as the chain has it now (a step's precondition is the chain's
    state, which an index row may not show yet); unknown ids refused in one sentence."""
    return c.job(order_id, job_id)


def _setting(c: Chain, name: str) -> int:
    """A deployment setting of the orders contract (confirmationWindow, arbitrationWindow,
    maxLeadTime), as the contract has it (one eth_call)."""
    return int(c.call(getattr(c.orders, name)))


def _check_window(c: Chain, start: int, end: int, deadline: int) -> None:
    """The contract's window rule, refused before sending: start < end, end in the future,
    end < delivery <= end + the deployment's longest lead time."""
    times = f"start {format_time(start)}, end {format_time(end)}, delivery {format_time(deadline)}"
    if not start < end < deadline or end <= pending_timestamp():
        raise StepError(
            f"the window must start before it ends, end in the future, and end before delivery: {times}"
        )
    lead = _setting(c, "maxLeadTime")
    if deadline - end > lead:
        raise StepError(
            f"delivery {format_time(deadline)} is {duration_text(deadline - end)} after the window ends "
            f"({format_time(end)}); this deployment allows at most {duration_text(lead)}: deliver by "
            f"{format_time(end + lead)}"
        )


def _check_token(c: Chain, token: str) -> str:
    """TOKEN checksummed, if it is ETH (the zero address) or an ERC-20 on the deployment's
    allowlist; a clear refusal otherwise, before anything is sent."""
    token = address_of(token, "token")
    if is_zero_address(token):
        return ZERO_ADDRESS
    from ape import networks

    if not networks.provider.get_code(token):
        raise StepError(
            f"{token} has no contract code on this chain: give an ERC-20 token address "
            "(or leave out --token to be paid in ETH)"
        )
    if not bool(c.call(c.orders.tokenAllowed, token)):
        raise StepError(
            f"{token} is not on this deployment's token allowlist: pay in ETH (leave out --token), or ask "
            f"the token admin to run 'ape run tokens allow {token}'"
        )
    return token


def _check_arbiter(c: Chain, arbiter: str | None) -> str:
    """ARBITER checksummed (the zero address: none), if the contract will accept it from this
    account at open or request: none at all in a permissioned deployment (its arbiters are the
    members with the arbiter role), never the account itself. Refused before anything is sent,
    with the sentence of the contract's own refusal (CannotNameArbiter)."""
    if arbiter is None:
        return ZERO_ADDRESS
    arbiter = address_of(arbiter, "arbiter")
    if is_zero_address(arbiter):
        return ZERO_ADDRESS
    me = c.address
    rule = describe_refusal("CannotNameArbiter", {"caller": me, "arbiter": arbiter})
    if c.membership is not None:
        raise StepError(
            f"{rule}; this deployment is permissioned: its disputes go to the members with the arbiter "
            "role (the admin adds one with 'ape run members add ADDRESS arbiter'), so leave out --arbiter"
        )
    if arbiter.lower() == me.lower():
        raise StepError(f"{rule}; name another account, or none (leave out --arbiter)")
    return arbiter


#: What a public order without an arbiter means for its disputes.
NO_ARBITER_TERMS = "no arbiter: disputes end by the default rule, a full refund"


def arbiter_terms(c: Chain, order_id: int) -> str:
    """Who resolves ORDER_ID's disputes, as the chain has it: a term of the order fixed when it
    was opened or requested, which a join (or a take) accepts as it is."""
    if c.membership is not None:
        return "disputes resolved by a member with the arbiter role (never a party to the job)"
    arbiter = str(c.call(c.orders.arbiterOf, order_id))
    if is_zero_address(arbiter):
        return NO_ARBITER_TERMS
    return f"arbiter {arbiter} resolves its disputes"


def _named_arbiter_text(c: Chain, arbiter: str) -> str:
    """The arbiter part of an open or request summary ('' in a permissioned deployment)."""
    if c.membership is not None:
        return ""
    return NO_ARBITER_TERMS if is_zero_address(arbiter) else f"arbiter {arbiter}"


# -- registry ------------------------------------------------------------------------


def register_key(c: Chain, public_key_path: Path) -> Step:
    """Publish the account's OpenPGP public key (fingerprint stored, armored key in the log)."""
    key = keys.read_key(public_key_path)
    public = keys.public_armor(key)
    fp32 = keys.fingerprint_bytes32(key)
    current = market_index(c).key_of(c.address)
    if current is not None and bytes.fromhex(current[0][2:]) == fp32:
        return Step(
            "register-key", c.actor, f"key {keys.fingerprint(key)} is already published", already_done=True
        )
    return _send(
        c,
        "register-key",
        c.registry.publishKey,
        fp32,
        public.encode(),
        summary=f"published key {keys.fingerprint(key)}",
    )


def register_machine(
    c: Chain, process: str, material: str, envelope_um: tuple[int, int, int], metadata_uri: str
) -> Step:
    """Register a machine (process, material, build envelope, metadata URI)."""
    step = _send(
        c,
        "register-machine",
        c.registry.registerMachine,
        text16(process),
        text16(material),
        list(envelope_um),
        metadata_uri,
        summary=f"{process} machine, {material}, envelope {dims_mm(envelope_um)}",
    )
    machine_id = c.event_arg(step, "MachineRegistered", "machineId")
    step.data["machine_id"] = machine_id
    step.summary = f"machine {machine_id}: " + step.summary
    return step


# -- creating orders ------------------------------------------------------------------


def open_order(
    c: Chain,
    machine_id: int,
    envelope_um: tuple[int, int, int] | None,
    capacity_mm3: int | None,
    start: int,
    end: int,
    deadline: int,
    price_per_cm3: int,
    token: str = ZERO_ADDRESS,
    *,
    arbiter: str | None = None,
) -> Step:
    """Producer: open an order on MACHINE_ID (envelope defaults to the machine's). ARBITER
    (public deployments) resolves the order's disputes: named with the order's other terms and
    never changed. Without one (the default) a dispute ends by the default rule, a full refund
    to the customer after the arbitration window, unless the customer confirms after all."""
    arbiter = _check_arbiter(c, arbiter)
    machine = _machine(c, machine_id)
    if str(machine.owner).lower() != c.address.lower():
        raise StepError(f"machine {machine_id} belongs to {machine.owner}, not to {c.address}")
    machine_env = (int(machine.x), int(machine.y), int(machine.z))
    envelope = envelope_um or machine_env
    if not fits(envelope, machine_env):
        raise StepError(
            f"the envelope {dims_mm(envelope)} does not fit machine {machine_id} ({dims_mm(machine_env)})"
        )
    capacity = capacity_mm3 or build_space_mm3(envelope, 1)
    token = _check_token(c, token)
    _check_window(c, start, end, deadline)
    step = _send(
        c,
        "open",
        c.orders.open,
        machine_id,
        list(envelope),
        capacity,
        start,
        end,
        deadline,
        price_per_cm3,
        token,
        arbiter,
        summary=f"machine {machine_id}, {capacity} mm3, "
        + (f"{format_amount(price_per_cm3)}/cm3 ({currency(token)})" if price_per_cm3 else "free of charge")
        + f", until {format_time(end)}"
        + (f"; {terms}" if (terms := _named_arbiter_text(c, arbiter)) else ""),
    )
    order_id = c.event_arg(step, "OrderOpened", "orderId")
    step.data.update(order_id=order_id, arbiter=arbiter)
    step.summary = f"order {order_id}: " + step.summary
    return step


def _part(path: Path, units: str = "mm") -> stl.PartData:
    part = stl.inspect(path, units=units)
    if not part.closed:
        raise StepError(
            f"{path} is not a closed mesh ({part.open_edges} open edges): its volume is unreliable; "
            "repair it before ordering"
        )
    return part


def request_order(
    c: Chain,
    part_path: Path,
    quantity: int,
    max_price_per_cm3: int,
    end: int,
    deadline: int,
    material: str = "",
    token: str = ZERO_ADDRESS,
    units: str = "mm",
    *,
    arbiter: str | None = None,
) -> Step:
    """Customer: request production of a part (a Requested order). The deposit is the price of
    the part's build space (bounding box x quantity) at the max price; a producer taking the
    order at a lower price credits the difference back. ARBITER (public deployments; none by
    default) resolves the order's disputes, named with the request's other terms, for good:
    the producer who takes it accepts it."""
    if quantity <= 0:
        raise StepError("quantity must be at least 1")
    arbiter = _check_arbiter(c, arbiter)
    part = _part(part_path, units)
    dims, volume = part.chain_dims_um(), part.chain_volume_mm3()
    deposit = price_wei(max_price_per_cm3, dims, quantity)
    material_code = text16(material) if material else b"\0" * 16
    token = _check_token(c, token)
    _check_window(c, pending_timestamp(), end, deadline)
    if token != ZERO_ADDRESS:
        _approve(c, token, deposit)
    step = _send(
        c,
        "request",
        c.orders.request,
        material_code,
        list(dims),
        volume,
        quantity,
        max_price_per_cm3,
        token,
        end,
        deadline,
        arbiter,
        value=deposit if token == ZERO_ADDRESS else 0,
        summary=f"{part_path.name} x{quantity}, {build_space_mm3(dims, quantity)} mm3 of build space, "
        f"deposit {format_amount(deposit)} ({currency(token)})"
        + (f"; {terms}" if (terms := _named_arbiter_text(c, arbiter)) else ""),
    )
    order_id = c.event_arg(step, "OrderRequested", "orderId")
    step.data.update(order_id=order_id, arbiter=arbiter)
    step.summary = f"order {order_id}: " + step.summary
    return step


def take(
    c: Chain,
    order_id: int,
    machine_id: int,
    envelope_um: tuple[int, int, int] | None,
    capacity_mm3: int | None,
    price_per_cm3: int,
) -> Step:
    """Producer: take a Requested order with its machine, accepting its terms as the requester
    set them, its arbiter included (the summary says who it is)."""
    order = _order(c, order_id)
    if int(order.status) != OrderStatus.REQUESTED:
        raise StepError(f"order {order_id} is {order_status(order)}; only requested orders can be taken")
    if price_per_cm3 > int(order.pricePerCm3):
        raise StepError(
            f"price {format_amount(price_per_cm3)}/cm3 is above the customer's maximum "
            f"{format_amount(int(order.pricePerCm3))}/cm3"
        )
    machine = _machine(c, machine_id)
    envelope = envelope_um or (int(machine.x), int(machine.y), int(machine.z))
    capacity = capacity_mm3 or build_space_mm3(envelope, 1)
    step = _send(
        c,
        "take",
        c.orders.take,
        order_id,
        machine_id,
        list(envelope),
        capacity,
        price_per_cm3,
        summary=f"order {order_id} on machine {machine_id}, {capacity} mm3, "
        f"{format_amount(price_per_cm3)}/cm3; {arbiter_terms(c, order_id)}",
    )
    refund = c.event_arg(step, "OrderTaken", "refund")
    step.data["refund"] = refund
    if refund:
        step.summary += (
            f"; {format_amount(refund)} ({currency(str(order.token))}) credited back to the requester"
        )
    return step


# -- joining ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Quote:
    order_id: int
    dims_um: tuple[int, int, int]
    volume_mm3: int
    quantity: int
    build_space: int
    space_left: int
    price: int
    fits_envelope: bool
    token: str
    #: Who would resolve the job's disputes (the order's arbiter, a term fixed at creation).
    arbiter: str = ""

    def describe(self) -> str:
        return (
            f"part {dims_mm(self.dims_um)}, {self.volume_mm3} mm3 x{self.quantity}: needs "
            f"{self.build_space} mm3 of {self.space_left} mm3 left, price "
            f"{format_amount(self.price)} ({currency(self.token)})"
        ) + (f"; {self.arbiter}" if self.arbiter else "")


def quote(c: Chain, order_id: int, part_path: Path, quantity: int, units: str = "mm") -> Quote:
    """What joining ORDER_ID with this part would use and cost, and who would resolve its
    disputes (no transaction)."""
    part = _part(part_path, units)
    order = _order(c, order_id)
    dims, volume = part.chain_dims_um(), part.chain_volume_mm3()
    return Quote(
        order_id=order_id,
        dims_um=dims,
        volume_mm3=volume,
        quantity=quantity,
        build_space=build_space_mm3(dims, quantity),
        space_left=int(order.capacity) - int(order.used),
        price=price_wei(int(order.pricePerCm3), dims, quantity),
        fits_envelope=fits(dims, envelope_of(order)),
        token=str(order.token),
        arbiter=arbiter_terms(c, order_id),
    )


def join(c: Chain, order_id: int, part_path: Path, quantity: int, units: str = "mm") -> Step:
    """Customer: join ORDER_ID with the part in PART_PATH (public data taken from the file).

    The summary shows the terms the join accepts: the deposit (the build space's price) and
    who resolves the job's disputes (the order's arbiter, or none: the default rule, a full
    refund). The transaction carries no copy of them: an order's terms are fixed when it is
    opened (or requested) and never change after, the arbiter included (there is no step that
    names or replaces one later), so what the summary shows is what the joined job gets."""
    if quantity <= 0:
        raise StepError("quantity must be at least 1")
    q = quote(c, order_id, part_path, quantity, units)
    order = _order(c, order_id)
    if int(order.status) != OrderStatus.OPEN:
        raise StepError(f"order {order_id} is {order_status(order)}; parts join only open orders")
    now = pending_timestamp()
    if now >= int(order.end):
        raise StepError(
            f"order {order_id} is closed; it stopped taking parts at {format_time(int(order.end))}"
        )
    if now < int(order.start):
        raise StepError(f"order {order_id} takes parts from {format_time(int(order.start))}")
    if not q.fits_envelope:
        raise StepError(
            f"the part ({dims_mm(q.dims_um)}) does not fit order {order_id}'s envelope "
            f"({dims_mm(envelope_of(order))}) in any orientation"
        )
    if q.build_space > q.space_left:
        raise StepError(
            f"order {order_id} has {q.space_left} mm3 of build space left; this part x{quantity} "
            f"needs {q.build_space} mm3"
        )
    if q.token != ZERO_ADDRESS:
        _approve(c, q.token, q.price)
    step = _send(
        c,
        "join",
        c.orders.join,
        order_id,
        list(q.dims_um),
        q.volume_mm3,
        quantity,
        value=q.price if q.token == ZERO_ADDRESS else 0,
        summary=f"order {order_id}: {part_path.name} - {q.describe()}",
    )
    job_id = c.event_arg(step, "JobJoined", "jobId")
    step.data.update(job_id=job_id, quote=q)
    step.summary = f"job {job_id} of " + step.summary
    return step


def _approve(c: Chain, token: str, amount: int) -> None:
    from ape import Contract

    erc20 = Contract(token)
    if int(erc20.allowance(c.address, c.orders.address)) < amount:
        c.send("approve", erc20.approve, c.orders.address, amount, summary=f"approve {amount}")


def leave(c: Chain, order_id: int, job_id: int) -> Step:
    """Customer: leave an open order; the deposit is credited back."""
    return _job_step(
        c,
        "leave",
        c.orders.leave,
        order_id,
        job_id,
        done=(JobStatus.LEFT,),
        needs=(JobStatus.JOINED,),
        needs_text="only a joined job can leave its order",
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
    me = c.address
    if str(order.producer).lower() != me.lower():
        whose = (
            "it is a request no producer has taken yet"
            if is_zero_address(order.producer)
            else f"it is produced by {order.producer}"
        )
        raise StepError(
            f"{me} is not the producer of order {order_id} ({whose}): only an order's producer evicts "
            "its jobs"
        )
    if int(order.status) != OrderStatus.OPEN:
        raise StepError(
            f"order {order_id} is {order_status(order)}; jobs are evicted only from an open order "
            "(before it is closed and its customers submit their models)"
        )
    count = int(order.jobCount)
    unknown = [j for j in wanted if not 1 <= j <= count]
    if unknown:
        jobs = f"its jobs are 1 to {count}" if count else "no job has joined it"
        raise StepError(f"order {order_id} has no {_jobs_text(unknown)} ({jobs})")
    jobs = {j: _chain_job(c, order_id, j) for j in wanted}
    gone = {j: job for j, job in jobs.items() if int(job.status) in (JobStatus.LEFT, JobStatus.REFUNDED)}
    for j, job in jobs.items():
        if j not in gone and int(job.status) != JobStatus.JOINED:
            raise StepError(
                f"job {j} of order {order_id} is {job_status(job)}; only a joined job (no model yet) "
                "can be evicted"
            )
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


def close(c: Chain, order_id: int) -> Step:
    order = _order(c, order_id)
    if int(order.status) == OrderStatus.CLOSED:
        return Step("close", c.actor, f"order {order_id} is already closed", already_done=True)
    return _send(
        c,
        "close",
        c.orders.close,
        order_id,
        summary=f"order {order_id} closed with {int(order.used)} of {int(order.capacity)} mm3 used",
    )


def cancel(c: Chain, order_id: int) -> Step:
    order = _order(c, order_id)
    if int(order.status) == OrderStatus.CANCELLED:
        return Step("cancel", c.actor, f"order {order_id} is already cancelled", already_done=True)
    return _send(
        c,
        "cancel", c.orders.cancel, order_id, summary=f"order {order_id} cancelled; open jobs refunded"
    )


# -- the model -------------------------------------------------------------------------


def _outbox(c: Chain, order_id: int, job_id: int) -> Path:
    d = c.deployment
    return config.home() / "outbox" / f"{d.chain_id}-{d.orders.lower()}-{order_id}-{job_id}"


def _check_declared(part: stl.PartData, job: Any, what: str) -> None:
    """Refuse a model whose public data differs from what was declared on chain."""
    declared = sorted(dims_of(job))
    actual = sorted(part.chain_dims_um())
    problems = []
    if any(abs(a - d) > 1 for a, d in zip(actual, declared, strict=True)):
        problems.append(f"bounding box {dims_mm(tuple(actual))} vs declared {dims_mm(tuple(declared))}")
    volume, declared_volume = part.chain_volume_mm3(), int(job.partVolume)
    if abs(volume - declared_volume) > 1:
        problems.append(f"volume {volume} mm3 vs declared {declared_volume} mm3")
    if problems:
        raise ModelMismatchError(f"{what} does not match the part declared on chain: " + "; ".join(problems))


def submit_model(
    c: Chain,
    order_id: int,
    job_id: int,
    part_path: Path,
    store: storage.Store,
    secret_key_path: Path,
    passphrase: str | None = None,
    units: str = "mm",
) -> Step:
    """Customer: encrypt the model to the producer's key from the chain, sign it, store it,
    record URI + sha256. Safe to re-run: the ciphertext is kept in the outbox until the
    transaction is mined, so a second run re-uploads the same bytes (same URI) and sends
    the transaction only if it is missing."""
    order, job = _order(c, order_id), _job(c, order_id, job_id)
    if str(job.customer).lower() != c.address.lower():
        raise StepError(f"job {job_id} of order {order_id} belongs to {job.customer}, not to {c.address}")
    outbox = _outbox(c, order_id, job_id)
    meta_path = outbox / "meta.json"
    meta = read_json(meta_path) or {}
    if int(job.status) != JobStatus.JOINED:
        digest = bytes(job.digest).hex()
        if any(bytes(job.digest)) and (meta.get("ciphertext_sha256") == digest or not meta):
            return Step(
                "submit-model",
                c.actor,
                f"job {job_id} of order {order_id}: model {meta.get('uri') or job.uri} already recorded",
                already_done=True,
                data={"uri": meta.get("uri") or job.uri, "sha256": digest},
            )
        raise StepError(
            f"job {job_id} of order {order_id} is {job_status(job)}; a model can be submitted "
            "only once, for a joined job"
        )
    if int(order.status) != OrderStatus.CLOSED:
        raise StepError(
            f"order {order_id} is {order_status(order)}; models are submitted once it is closed "
            f"(by its producer, when full, or by anyone after {format_time(int(order.end))})"
        )
    part = _part(part_path, units)
    _check_declared(part, job, str(part_path))
    plain_sha = sha256_file(part_path)
    producer_key = published_key(c, str(order.producer))
    recipient = keys.fingerprint(producer_key)
    ciphertext = outbox / "model.pgp"
    if not (
        meta.get("plaintext_sha256") == plain_sha
        and meta.get("recipient") == recipient
        and ciphertext.exists()
        and sha256_file(ciphertext) == meta.get("ciphertext_sha256")
    ):
        signer = keys.read_key(secret_key_path)
        outbox.mkdir(parents=True, exist_ok=True)
        message.encrypt_file(part_path, ciphertext, producer_key, signer=signer, passphrase=passphrase)
        meta = {
            "plaintext_sha256": plain_sha,
            "recipient": recipient,
            "ciphertext_sha256": sha256_file(ciphertext),
        }
        write_json_atomic(meta_path, meta)
    stored = store.put(ciphertext)
    if stored.sha256 != meta["ciphertext_sha256"]:
        raise StepError("the store returned another sha256 than the ciphertext's: refusing to record it")
    meta["uri"] = stored.uri
    write_json_atomic(meta_path, meta)
    step = _send(
        c,
        "submit-model",
        c.orders.submitModel,
        order_id,
        job_id,
        bytes.fromhex(stored.sha256),
        stored.uri,
        summary=f"job {job_id} of order {order_id}: {stored.uri} sha256 {stored.sha256[:16]}…",
    )
    # mined: the outbox's ciphertext and notes are no longer needed (a re-run finds the job
    # already has this model on chain and says so)
    shutil.rmtree(outbox, ignore_errors=True)
    step.data.update(uri=stored.uri, sha256=stored.sha256)
    return step


@dataclass(frozen=True)
class FetchedModel:
    path: Path
    uri: str
    sha256: str
    signer: str
    part: stl.PartData


def model_location(c: Chain, order_id: int, job_id: int) -> tuple[str, str]:
    """(URI, sha256 hex) of the model recorded for the job."""
    job = _job(c, order_id, job_id)
    digest = bytes(job.digest)
    if not any(digest):
        raise StepError(
            f"job {job_id} of order {order_id} is {job_status(job)}: no model has been submitted yet"
        )
    if not job.uri:
        raise StepError(f"no ModelSubmitted event found for job {job_id} of order {order_id}")
    return job.uri, digest.hex()


def fetch_model(
    c: Chain,
    order_id: int,
    job_id: int,
    secret_key_path: Path,
    out_path: Path,
    passphrase: str | None = None,
    ipfs_api: str | None = None,
) -> FetchedModel:
    """Producer: fetch the ciphertext, verify its digest, decrypt, verify the customer's
    signature with the key on chain, and check the STL against the public data on chain."""
    order, job = _order(c, order_id), _job(c, order_id, job_id)
    if str(order.producer).lower() != c.address.lower():
        raise StepError(f"order {order_id} is produced by {order.producer}, not by {c.address}")
    uri, digest = model_location(c, order_id, job_id)
    customer_key = published_key(c, str(job.customer))
    secret = keys.read_key(secret_key_path)
    out_path = Path(out_path)
    ciphertext = out_path.with_name(f".{out_path.name}.pgp.partial")
    try:
        storage.fetch(uri, digest, ciphertext, ipfs_api=ipfs_api)
        result = message.decrypt_file(
            ciphertext, out_path, secret, passphrase=passphrase, verify_with=customer_key
        )
    finally:
        ciphertext.unlink(missing_ok=True)
    part = stl.inspect(out_path)
    _check_declared(part, job, f"the decrypted model of job {job_id} ({out_path})")
    return FetchedModel(out_path, uri, digest, result.signer or "", part)


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
    )


def _confirmation_end(c: Chain, job: Any) -> int:
    """Until when the customer may confirm or dispute a shipped job."""
    return int(job.shippedAt) + _setting(c, "confirmationWindow")


def _arbitration_end(c: Chain, job: Any) -> int:
    """Until when the arbiter has a disputed job to itself (after it, anyone may settle it)."""
    return _confirmation_end(c, job) + _setting(c, "arbitrationWindow")


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


# -- rejects and disputes --------------------------------------------------------------


def reject(c: Chain, order_id: int, job_id: int) -> Step:
    """Producer: decline a job's model (e.g. it does not match the part declared on chain)
    before the delivery deadline: 10% of the deposit (REJECT_FEE_BPS) is credited to the
    producer, the rest back to the customer, and the job's build space is freed."""

    def in_time(job: Any) -> None:
        order = _order(c, order_id)
        if str(order.producer).lower() != c.address.lower():
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
    producer, customer = str(order.producer).lower(), str(job.customer).lower()
    if me.lower() in (producer, customer):
        party = "producer" if me.lower() == producer else "customer"
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
    if arbiter.lower() != me.lower():
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


def withdraw(c: Chain, token: str = ZERO_ADDRESS) -> Step:
    """Send the account's credit in TOKEN (ETH by default) to it; the amount is read from the
    chain (every step that credits, rejects and disputes included, counts at once)."""
    token = address_of(token, "token")
    amount = int(c.call(c.orders.credits, c.address, token))
    if amount == 0:
        raise StepError(f"{c.address} has nothing to withdraw in {currency(token)}")
    return _send(
        c,
        "withdraw",
        c.orders.withdraw,
        token,
        summary=f"{format_amount(amount)} ({currency(token)}) sent to {c.address}",
    )
