"""Readable views of the market index: the status table of orders and jobs (with the
producers' track records), an order's history."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from offchain.chain.client import Chain
from offchain.chain.codec import currency, dims_of, is_zero_address, job_status, order_status
from offchain.errors import ProdnetError
from offchain.formats import dims_mm, format_amount, format_time, table
from offchain.index import EventRow, MarketIndex
from offchain.orders.indexed import market_index

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
)


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


def status(c: Chain, order_id: int | None = None) -> str:
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
            "job",
            "customer",
            "job status",
            "part mm",
            "qty",
            "deposit",
        ]
    ]
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
        ]
        jobs = jobs_of.get(order.id, [])
        if not jobs:
            rows.append([*head, "-", "", "", "", "", ""])
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
                ]
            )
    producers = sorted({o.producer for o in orders if not is_zero_address(o.producer)})
    records = index.track_records(producers)
    lines = [
        f"track record of {_short(p)}: {records[p].text() if p in records else 'new'}" for p in producers
    ]
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


def history(c: Chain, order_id: int) -> list[Event]:
    """Every event of ORDER_ID, oldest first, with transaction hash and gas used."""
    index = market_index(c)
    _known(index, order_id)
    events = index.timeline(order_id)
    gas = index.gas_used(e.tx_hash for e in events)
    return [
        Event(e.block, e.timestamp, e.name, e.tx_hash, gas.get(e.tx_hash, 0), _detail(e.args)) for e in events
    ]


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


def event_line(event: EventRow) -> str:
    """One event as a line: time, block, name, order/job, details."""
    where = f"order {event.order_id}" if event.order_id is not None else ""
    if event.job_id is not None and event.name not in ("OrderRequested",):
        where += f" job {event.job_id}"
    args = {k: v for k, v in event.args.items() if k not in ("orderId", "jobId")}
    return " ".join(
        part
        for part in (format_time(event.timestamp), f"block {event.block}", event.name, where, _detail(args))
        if part
    )


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


__all__ = ["event_line", "history", "history_table", "status"]
