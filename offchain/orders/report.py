"""Readable views of the market index: the status table of orders and jobs (with the
producers' track records, each order's arbiter, a shipped or disputed job's deadlines and an
ended job's outcome), an order's history."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from offchain._bulk import many_objects
from offchain.chain.client import Chain
from offchain.chain.codec import (
    ZERO_ADDRESS,
    JobStatus,
    currency,
    dims_of,
    is_zero_address,
    job_status,
    order_status,
)
from offchain.chain.deployments import Deployment
from offchain.chain.light import IndexReader
from offchain.errors import ProdnetError
from offchain.formats import dims_mm, format_amount, format_duration, format_time, table
from offchain.index import EventRow, JobRow, MarketIndex, OrderRow
from offchain.orders.indexed import market_index, settings_of
from offchain.orders.record import track_records
from offchain.orders.rules import Settings

ORDER_EVENTS = (
    "OrderOpened",
    "OrderRequested",
    "OrderTaken",
    "OrderClosed",
    "OrderCancelled",
    "JobJoined",
    "JobLeft",
    "ModelSubmitted",
    "JobShipped",
    "JobCompleted",
    "JobRefunded",
    "JobEvicted",
    "JobRejected",
    "JobDisputed",
    "JobResolved",
    "ArbiterNamed",
)

#: Who resolves a job's disputes, when it is not one named account: in a permissioned
#: deployment, and in a public order that named none.
MEMBER_ARBITERS = "disputes resolved by a member with the arbiter role (never a party to the job)"
NO_ARBITER = "no arbiter: disputes end by the default rule, a full refund"
ROLE_ARBITER = "ARBITER_ROLE"


def _box(dims: tuple[int, int, int]) -> str:
    return dims_mm(dims, sep="x", unit="")


def _short(address: Any) -> str:
    text = str(address)
    return text[:6] + "…" + text[-4:]


class UnknownOrderError(ProdnetError):
    """The order asked for does not exist on this chain."""


def _known(index: MarketIndex, order_id: int) -> None:
    if index.order(order_id) is None:
        raise UnknownOrderError(f"order {order_id} does not exist")


# -- the fair market rules, in words ------------------------------------------------------


def amount_text(value: int, token: str) -> str:
    """An amount of the order's currency: ether, or a token's base units."""
    return format_amount(value) if is_zero_address(token) else f"{value} units of {currency(token)}"


def arbiter_text(deployment: Deployment, order: OrderRow, short: bool = False) -> str:
    """Who resolves the order's disputes: the holders of ARBITER_ROLE (permissioned), the
    arbiter its terms named (public), or nobody (public, none named: the default rule)."""
    if deployment.permissioned:
        return ROLE_ARBITER if short else MEMBER_ARBITERS
    if order.has_arbiter:
        return _short(order.arbiter) if short else str(order.arbiter)
    return "none named" if short else NO_ARBITER


def job_terms(settings: Settings, order: OrderRow, job: JobRow) -> str:
    """A shipped or disputed job's deadline, an ended job's outcome (rejected, resolved,
    evicted; '' for other states)."""
    status = int(job.status)
    if status == JobStatus.SHIPPED:
        return (
            "the customer may confirm or dispute until "
            f"{format_time(settings.confirmation_end(job.shippedAt))}, then the producer may finalize"
        )
    if status == JobStatus.DISPUTED:
        return (
            "disputed: the arbiter may resolve it; from "
            f"{format_time(settings.arbitration_end(job.shippedAt))} anyone may settle it (a full refund)"
        )
    if job.to_producer is None or job.to_customer is None:
        return ""
    paid, back = amount_text(job.to_producer, order.token), amount_text(job.to_customer, order.token)
    if status == JobStatus.REJECTED:
        return f"model rejected: {paid} to the producer (the reject fee), {back} back to the customer"
    if status == JobStatus.RESOLVED and job.by_default_rule:
        return f"settled by the default rule after the arbitration window: {back} back to the customer"
    if status == JobStatus.RESOLVED:
        return f"resolved by the arbiter {job.resolved_by}: {paid} to the producer, {back} to the customer"
    if job.evicted:
        return f"evicted: removed by the producer before it had a model; {back} back to the customer"
    return ""


def windows_text(settings: Settings) -> str:
    """The deployment's dispute windows, in words."""
    return (
        f"a shipped job can be disputed for {format_duration(settings.confirmation_window)} after "
        f"shipment; a dispute's arbiter has {format_duration(settings.arbitration_window)} more, "
        "then anyone may settle it (a full refund)"
    )


@many_objects()  # a table of every order: tens of thousands of cells
def status(c: Chain | IndexReader, order_id: int | None = None) -> str:
    """A table of orders (all, or ORDER_ID) and their jobs, and their producers' track records."""
    index = market_index(c)
    if order_id is not None:
        _known(index, order_id)
    orders = index.orders(ids=[order_id]) if order_id is not None else index.orders()
    if not orders:
        return "no orders yet"
    jobs_of: dict[int, list[Any]] = {}
    for job in index.jobs([o.id for o in orders] if order_id is not None else None):
        jobs_of.setdefault(job.order_id, []).append(job)
    rows = [
        [
            "order",
            "status",
            "producer",
            "used/capacity mm3",
            "price/cm3",
            "window end",
            "arbiter",
            "job",
            "customer",
            "job status",
            "part mm",
            "qty",
            "deposit",
            "deadline / outcome",
        ]
    ]
    d, settings = c.deployment, settings_of(index)
    for order in orders:
        price = (
            f"{format_amount(order.pricePerCm3)}"
            if is_zero_address(order.token)
            else (f"{order.pricePerCm3} units")
        )
        head = [
            str(order.id),
            order_status(order),
            _short(order.producer) if not is_zero_address(order.producer) else "-",
            f"{order.used}/{order.capacity}",
            price,
            format_time(order.end),
            arbiter_text(d, order, short=True),
        ]
        jobs = jobs_of.get(order.id, [])
        if not jobs:
            rows.append([*head, "-", "", "", "", "", "", ""])
        for n, job in enumerate(jobs):
            prefix = head if n == 0 else [""] * len(head)
            rows.append(
                [
                    *prefix,
                    str(job.job_id),
                    _short(job.customer),
                    job_status(job),
                    _box(dims_of(job)),
                    str(job.quantity),
                    format_amount(job.deposit, symbol=_symbol(order)),
                    job_terms(settings, order, job),
                ]
            )
    producers = sorted({o.producer for o in orders if not is_zero_address(o.producer)})
    records = track_records(index, producers)
    lines = [
        f"track record of {_short(p)}: {records[p].text() if p in records else 'new'}" for p in producers
    ]
    if order_id is not None:
        lines.append(f"arbiter of order {order_id}: {arbiter_text(d, orders[0])}")
    elif not d.permissioned and any(not o.has_arbiter for o in orders):
        lines.append(f"arbiter none named: {NO_ARBITER}")
    lines.append(f"disputes: {windows_text(settings)}")
    return "\n".join([table(rows), "", *lines])


def _symbol(order: Any) -> str:
    return "ETH" if currency(str(order.token)) == "ETH" else "units"


@dataclass(frozen=True)
class Event:
    block: int
    timestamp: int
    name: str
    tx_hash: str
    gas_used: int
    detail: str


def history(c: Chain | IndexReader, order_id: int) -> list[Event]:
    """Every event of ORDER_ID, oldest first, with transaction hash and gas used."""
    index = market_index(c)
    _known(index, order_id)
    order = index.order(order_id)
    token = str(order.token) if order is not None else ZERO_ADDRESS
    events = index.timeline(order_id)
    gas = index.gas_used(e.tx_hash for e in events)
    return [
        Event(e.block, e.timestamp, e.name, e.tx_hash, gas.get(e.tx_hash, 0), detail)
        for e in events
        for detail in (_describe(e.name, e.args, token) or _detail(e.args),)
    ]


def reason_text(reason: Any) -> str:
    """A dispute's reason as the customer gave it, quoted (it is the customer's words)."""
    return f"\u201c{reason}\u201d" if reason else "no reason given"


def disputes_reasons(index: MarketIndex, order_id: int) -> dict[int, str]:
    """The reason of each disputed job of ORDER_ID, from its JobDisputed event, quoted."""
    return {
        int(e.args["jobId"]): reason_text(e.args.get("reason"))
        for e in index.timeline(order_id) if e.name == "JobDisputed"
    }


def _describe(name: str, args: dict[str, Any], token: str) -> str | None:
    """The fair market rules' events of an order in words; None for the others."""
    job = args.get("jobId")
    if name == "JobRejected":
        fee, back = amount_text(int(args["toProducer"]), token), amount_text(int(args["toCustomer"]), token)
        return (
            f"job {job}: model rejected by the producer; {fee} to the producer (the reject fee), "
            f"{back} back to the customer"
        )
    if name == "JobDisputed":
        return (
            f"job {job}: disputed by the customer ({reason_text(args.get('reason'))}); the producer cannot "
            "finalize it until it is resolved"
        )
    if name == "JobResolved":
        back = amount_text(int(args["toCustomer"]), token)
        if is_zero_address(args["arbiter"]):
            return (
                f"job {job}: settled by the default rule after the arbitration window; "
                f"{back} back to the customer"
            )
        return (
            f"job {job}: resolved by the arbiter {args['arbiter']}; "
            f"{amount_text(int(args['toProducer']), token)} to the producer, {back} to the customer"
        )
    if name == "JobEvicted":
        refund = amount_text(int(args["refund"]), token)
        return f"job {job}: evicted, removed by the producer; {refund} refunded to the customer"
    if name == "ArbiterNamed":
        return (
            f"arbiter {args['arbiter']} named with the order's terms, for good: it resolves this order's "
            "disputes"
        )
    return None


def _detail(event_args: dict[str, Any]) -> str:
    args = dict(event_args)
    args.pop("orderId", None)
    parts = []
    for key, value in args.items():
        if isinstance(value, bytes | bytearray):
            value = "0x" + bytes(value).hex()
        if isinstance(value, str) and value.startswith("0x") and len(value) == 66:
            value = value[:18] + "…"
        parts.append(f"{key}={value}")
    return " ".join(parts)


def event_line(event: EventRow, token: str = ZERO_ADDRESS) -> str:
    """One event as a line: time, block, name, order/job, details (the fair market rules'
    events in words, their amounts in TOKEN, the order's payment token)."""
    where = f"order {event.order_id}" if event.order_id is not None else ""
    if event.job_id is not None and event.name not in ("OrderRequested",):
        where += f" job {event.job_id}"
    args = {k: v for k, v in event.args.items() if k not in ("orderId", "jobId")}
    worded = _describe(event.name, event.args, token)  # "job N: ..." without the job, in `where`
    detail = worded.removeprefix(f"job {event.job_id}: ") if worded else _detail(args)
    return " ".join(
        part
        for part in (format_time(event.timestamp), f"block {event.block}", event.name, where, detail)
        if part
    )


def watch_line(index: MarketIndex, event: EventRow) -> str:
    """`event_line`, the amounts in the payment token of the event's order."""
    order = index.order(event.order_id) if event.order_id is not None else None
    return event_line(event, str(order.token) if order is not None else ZERO_ADDRESS)


def history_table(events: list[Event]) -> str:
    if not events:
        return "no events"
    rows = [["time", "block", "event", "gas", "tx", "details"]]
    for e in events:
        rows.append(
            [
                format_time(e.timestamp),
                str(e.block),
                e.name,
                f"{e.gas_used:,}",
                e.tx_hash[:18] + "…",
                e.detail,
            ]
        )
    return table(rows)


__all__ = [
    "amount_text",
    "arbiter_text",
    "event_line",
    "history",
    "history_table",
    "job_terms",
    "status",
    "watch_line",
]
