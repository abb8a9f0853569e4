"""Readable views of the chain: the status table of orders and jobs, an order's history."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from offchain.chain.client import Chain
from offchain.chain.codec import currency, dims_of, envelope_of, is_zero_address, job_status, order_status
from offchain.formats import dims_mm, format_amount, format_time, table

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


def status(c: Chain, order_id: int | None = None) -> str:
    """A table of orders (all, or ORDER_ID) and their jobs."""
    count = int(c.call(c.orders.orderCount))
    ids = [order_id] if order_id is not None else list(range(1, count + 1))
    if not ids:
        return "no orders yet"
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
    for oid in ids:
        order = c.order(oid)
        price = (
            f"{format_amount(int(order.pricePerCm3))}"
            if is_zero_address(order.token)
            else (f"{int(order.pricePerCm3)} units")
        )
        head = [
            str(oid),
            order_status(order),
            _short(order.producer) if int(order.producer, 16) else "-",
            f"{int(order.used)}/{int(order.capacity)}",
            price,
            format_time(int(order.end)),
        ]
        jobs = int(c.call(c.orders.jobCount, oid))
        if jobs == 0:
            rows.append([*head, "-", "", "", "", "", ""])
        for jid in range(1, jobs + 1):
            job = c.job(oid, jid)
            prefix = head if jid == 1 else [""] * len(head)
            rows.append(
                [
                    *prefix,
                    str(jid),
                    _short(job.customer),
                    job_status(job),
                    _box(dims_of(job)),
                    str(int(job.quantity)),
                    format_amount(int(job.deposit), symbol=_symbol(order)),
                ]
            )
    return table(rows)


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
    from ape import chain

    events: list[tuple[int, int, Any]] = []
    for name in ORDER_EVENTS:
        for log in c.events(name, orderId=order_id):
            events.append((int(log.block_number), int(log.log_index), log))
    events.sort(key=lambda e: (e[0], e[1]))
    result = []
    gas_cache: dict[str, int] = {}
    for block, _, log in events:
        tx = str(log.transaction_hash)
        if tx not in gas_cache:
            gas_cache[tx] = int(chain.get_receipt(tx).gas_used)
        stamp = int(chain.blocks[block].timestamp)
        result.append(Event(block, stamp, log.event_name, tx, gas_cache[tx], _detail(log)))
    return result


def _detail(log: Any) -> str:
    args = dict(log.event_arguments)
    args.pop("orderId", None)
    parts = []
    for key, value in args.items():
        if isinstance(value, bytes | bytearray):
            value = "0x" + bytes(value).hex()[:16] + "…"
        parts.append(f"{key}={value}")
    return " ".join(parts)


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


__all__ = ["envelope_of", "history", "history_table", "status", "table"]
