"""Reads of the index: orders and jobs shaped like the contracts' structs, timelines, credits,
and each producer's track record from the events.

Rows carry the structs' own field names (``envX``, ``pricePerCm3``, ``liveJobs``, ...), so
code written against ``getOrder``/``getJob`` reads an index row the same way; what the
structs do not hold (an order's named arbiter, a job's outcome) follows in snake_case.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from offchain.chain.codec import ZERO_ADDRESS, JobStatus, text16
from offchain.index.db import big


@dataclass(frozen=True)
class OrderRow:
    id: int
    producer: str
    status: int
    machineId: int
    jobCount: int
    liveJobs: int
    token: str
    pricePerCm3: int
    capacity: int
    used: int
    start: int
    end: int
    deadline: int
    envX: int
    envY: int
    envZ: int
    material_text: str
    arbiter: str = ZERO_ADDRESS  # named for the order's disputes (public mode); zero: none named

    @property
    def has_arbiter(self) -> bool:
        return self.arbiter != ZERO_ADDRESS

    @property
    def material(self) -> bytes:
        return text16(self.material_text) if self.material_text else b"\0" * 16

    @property
    def space_left(self) -> int:
        return self.capacity - self.used


@dataclass(frozen=True)
class JobRow:
    order_id: int
    job_id: int
    customer: str
    status: int
    deposit: int
    dimX: int
    dimY: int
    dimZ: int
    partVolume: int
    quantity: int
    shippedAt: int
    digest: bytes
    uri: str
    #: Outcome of a Rejected job (the producer's fee, the refund), a Resolved one (the split) or
    #: a Refunded one the producer evicted (0, the refund); None in any other state.
    to_producer: int | None = None
    to_customer: int | None = None
    #: Who resolved it: the arbiter, or the zero address for the default rule (a full refund
    #: after the arbitration window); None unless Resolved.
    resolved_by: str | None = None

    @property
    def by_default_rule(self) -> bool:
        return self.resolved_by == ZERO_ADDRESS

    @property
    def evicted(self) -> bool:
        """Refunded because the order's producer evicted it (JobEvicted), not by a cancel or
        a reclaim."""
        return self.status == JobStatus.REFUNDED and self.to_customer is not None


@dataclass(frozen=True)
class EventRow:
    block: int
    log_index: int
    timestamp: int
    tx_hash: str
    name: str
    order_id: int | None
    job_id: int | None
    args: dict[str, Any]


@dataclass
class TrackRecord:
    """What a producer's jobs came to, from the events."""

    completed: int = 0
    on_time: int = 0  # shipped no later than the order's delivery deadline
    late: int = 0  # shipped after it
    reclaimed: int = 0  # refunded to a customer who reclaimed an unshipped job at the deadline
    cancelled: int = 0  # refunded because the producer cancelled the order
    unconfirmed: int = 0  # completed by the producer's finalize, without the customer's confirmation
    rejected: int = 0  # models the producer rejected (keeping the reject fee)
    disputed: int = 0  # shipped jobs the customer disputed
    for_producer: int = 0  # disputes the arbiter resolved wholly for the producer
    split: int = 0  # disputes the arbiter resolved with a split
    refunded_by_arbiter: int = 0  # disputes the arbiter resolved with a full refund
    refunded_by_default: int = 0  # disputes settled by the default rule (no arbiter in time): refunded
    confirmed_after_dispute: int = 0  # disputes the customer ended by confirming receipt after all
    extra: dict[str, int] = field(default_factory=dict)

    @property
    def shipped(self) -> int:
        return self.on_time + self.late

    @property
    def on_time_share(self) -> float | None:
        """On-time share of the shipped and reclaimed jobs (None without any)."""
        judged = self.shipped + self.reclaimed
        return None if judged == 0 else self.on_time / judged

    @property
    def disputes_open(self) -> int:
        """Disputes not resolved, settled or confirmed yet."""
        ended = (
            self.for_producer + self.split + self.refunded_by_arbiter + self.refunded_by_default
            + self.confirmed_after_dispute
        )
        return max(0, self.disputed - ended)

    def disputes_text(self) -> str:
        """Rejections and disputes, and how the disputes ended: 'none' without any."""
        if not (self.rejected or self.disputed):
            return "none"
        parts = []
        if self.rejected:
            parts.append(f"{self.rejected} rejected")
        if self.disputed:
            outcomes = [
                f"{n} {what}"
                for n, what in (
                    (self.for_producer, "for the producer"),
                    (self.split, "split"),
                    (self.refunded_by_arbiter, "refunded by the arbiter"),
                    (self.refunded_by_default, "refunded by default"),
                    (self.confirmed_after_dispute, "confirmed after all"),
                    (self.disputes_open, "open"),
                )
                if n
            ]
            parts.append(f"{self.disputed} disputed ({', '.join(outcomes)})")
        return ", ".join(parts)

    def text(self, disputes: bool = True) -> str:
        """The record in a line ('new' without any); DISPUTES: with the rejections and disputes
        (where they have no column of their own)."""
        if not (self.completed or self.shipped or self.reclaimed or self.cancelled or self.rejected):
            return "new"
        text = (
            f"{self.completed} done, {self.on_time} on time, {self.late} late, "
            f"{self.reclaimed} reclaimed, {self.cancelled} cancelled, {self.unconfirmed} unconfirmed"
        )
        if disputes and (self.rejected or self.disputed):
            text += "; " + self.disputes_text()
        return text


_ORDER_COLUMNS = (
    'id, producer, status, machine_id, job_count, live_jobs, token, price, capacity, used, start, "end", '
    "deadline, env_x, env_y, env_z, material, arbiter"
)
_JOB_COLUMNS = (
    "order_id, job_id, customer, status, deposit, dim_x, dim_y, dim_z, part_volume, quantity, "
    "shipped_at, digest, uri, to_producer, to_customer, resolved_by"
)


def _order(row: tuple[Any, ...]) -> OrderRow:
    (
        oid,
        producer,
        status,
        machine,
        jobs,
        live,
        token,
        price,
        capacity,
        used,
        start,
        end,
        deadline,
        x,
        y,
        z,
        material,
        arbiter,
    ) = row
    return OrderRow(
        oid,
        producer,
        status,
        machine,
        jobs,
        live,
        token,
        int(price),
        int(capacity),
        int(used),
        start,
        end,
        deadline,
        x,
        y,
        z,
        material,
        arbiter,
    )


def _job(row: tuple[Any, ...]) -> JobRow:
    (oid, jid, customer, status, deposit, x, y, z, volume, quantity, shipped, digest, uri) = row[:13]
    to_p, to_c, by = row[13:]
    return JobRow(
        oid,
        jid,
        customer,
        status,
        int(deposit),
        x,
        y,
        z,
        int(volume),
        quantity,
        shipped,
        bytes.fromhex(digest[2:]),
        uri,
        None if to_p is None else int(to_p),
        None if to_c is None else int(to_c),
        by,
    )


def order(db: sqlite3.Connection, order_id: int) -> OrderRow | None:
    row = db.execute(f"SELECT {_ORDER_COLUMNS} FROM orders WHERE id = ?", (order_id,)).fetchone()
    return None if row is None else _order(row)


def orders(
    db: sqlite3.Connection,
    status: int | None = None,
    ids: Iterable[int] | None = None,
    material: str | None = None,
    producer: str | None = None,
    limit: int | None = None,
    offset: int = 0,
    order_by: str = "id",
    max_price: int | None = None,
    min_space: int | None = None,
) -> list[OrderRow]:
    """Orders filtered by status, ids, material, producer, price per cm3 at most MAX_PRICE,
    space left at least MIN_SPACE mm3; ORDER_BY one of id, price, deadline."""
    where, params = _order_filters(status, ids, material, producer, max_price, min_space)
    sort = {"id": "id", "price": "price, deadline, id", "deadline": "deadline, price, id"}[order_by]
    sql = f"SELECT {_ORDER_COLUMNS} FROM orders"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += f" ORDER BY {sort}"
    if limit is not None:
        sql += " LIMIT ? OFFSET ?"
        params += [int(limit), int(offset)]
    return [_order(r) for r in db.execute(sql, params)]


def _order_filters(
    status: int | None,
    ids: Iterable[int] | None,
    material: str | None,
    producer: str | None,
    max_price: int | None,
    min_space: int | None,
) -> tuple[list[str], list[Any]]:
    where: list[str] = []
    params: list[Any] = []
    if status is not None:
        where.append("status = ?")
        params.append(int(status))
    if ids is not None:
        wanted = [int(i) for i in ids]
        where.append(f"id IN ({','.join('?' * len(wanted))})")
        params.extend(wanted)
    if material:
        where.append("material = ?")
        params.append(material)
    if producer:
        where.append("lower(producer) = lower(?)")
        params.append(producer)
    if max_price is not None:
        where.append("price <= ?")  # fixed-width decimal text compares as the number does
        params.append(big(max_price))
    if min_space is not None:
        # uint64 mm3 fit a REAL exactly up to 2**53 mm3 (9e6 m3): far beyond any machine
        where.append("CAST(capacity AS REAL) - CAST(used AS REAL) >= ?")
        params.append(float(min_space))
    return where, params


def count_orders(
    db: sqlite3.Connection,
    status: int | None = None,
    material: str | None = None,
    producer: str | None = None,
    max_price: int | None = None,
    min_space: int | None = None,
) -> int:
    """How many orders the same filters as ``orders`` select (for pagination)."""
    where, params = _order_filters(status, None, material, producer, max_price, min_space)
    sql = "SELECT count(*) FROM orders" + (" WHERE " + " AND ".join(where) if where else "")
    return int(db.execute(sql, params).fetchone()[0])


def jobs(
    db: sqlite3.Connection,
    order_ids: Iterable[int] | None = None,
    customer: str | None = None,
    status: int | None = None,
    arbiter: str | None = None,
) -> list[JobRow]:
    """Jobs (of ORDER_IDS, of CUSTOMER, in STATUS, of orders whose named arbiter is ARBITER)."""
    where, params = [], []  # type: ignore[var-annotated]
    if order_ids is not None:
        wanted = [int(i) for i in order_ids]
        where.append(f"order_id IN ({','.join('?' * len(wanted))})")
        params.extend(wanted)
    if customer:
        where.append("lower(customer) = lower(?)")
        params.append(customer)
    if status is not None:
        where.append("status = ?")
        params.append(int(status))
    if arbiter:
        where.append("order_id IN (SELECT id FROM orders WHERE lower(arbiter) = lower(?))")
        params.append(arbiter)
    sql = f"SELECT {_JOB_COLUMNS} FROM jobs"
    if where:
        sql += " WHERE " + " AND ".join(where)
    return [_job(r) for r in db.execute(sql + " ORDER BY order_id, job_id", params)]


def job(db: sqlite3.Connection, order_id: int, job_id: int) -> JobRow | None:
    row = db.execute(
        f"SELECT {_JOB_COLUMNS} FROM jobs WHERE order_id = ? AND job_id = ?", (order_id, job_id)
    ).fetchone()
    return None if row is None else _job(row)


def timeline(
    db: sqlite3.Connection,
    order_id: int | None = None,
    after: tuple[int, int] | None = None,
    limit: int | None = None,
) -> list[EventRow]:
    """Events oldest first: of ORDER_ID (or all), after (block, log index) AFTER."""
    sql = (
        "SELECT e.block, e.log_index, b.timestamp, e.tx_hash, e.name, e.order_id, e.job_id, e.args "
        "FROM events e JOIN blocks b ON b.number = e.block"
    )
    where, params = [], []  # type: ignore[var-annotated]
    if order_id is not None:
        where.append("e.order_id = ?")
        params.append(int(order_id))
    if after is not None:
        where.append("(e.block > ? OR (e.block = ? AND e.log_index > ?))")
        params += [after[0], after[0], after[1]]
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY e.block, e.log_index"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(int(limit))
    return [
        EventRow(b, li, ts, tx, name, oid, jid, json.loads(args))
        for b, li, ts, tx, name, oid, jid, args in db.execute(sql, params)
    ]


def credits(db: sqlite3.Connection, account: str) -> dict[str, int]:
    return {
        token.lower(): int(amount)
        for token, amount in db.execute(
            "SELECT token, amount FROM credits WHERE lower(account) = lower(?)", (account,)
        )
    }


def key_of(db: sqlite3.Connection, account: str) -> tuple[str, int, int] | None:
    """(fingerprint, block, log index) of ACCOUNT's current key event."""
    row = db.execute(
        "SELECT fingerprint, block, log_index FROM keys WHERE lower(account) = lower(?)", (account,)
    ).fetchone()
    return None if row is None else (row[0], int(row[1]), int(row[2]))


def tokens(db: sqlite3.Connection) -> dict[str, bool]:
    """Each token the allowlist ever named -> whether new orders may use it now (ETH always may)."""
    return {token: bool(allowed) for token, allowed in db.execute("SELECT token, allowed FROM tokens")}


@dataclass(frozen=True)
class MachineRow:
    id: int
    owner: str
    process: str
    material: str
    x: int
    y: int
    z: int
    uri: str


def machine(db: sqlite3.Connection, machine_id: int) -> MachineRow | None:
    row = db.execute(
        "SELECT id, owner, process, material, x, y, z, uri FROM machines WHERE id = ?", (machine_id,)
    ).fetchone()
    return None if row is None else MachineRow(*row)


def machines(db: sqlite3.Connection, owner: str | None = None) -> list[MachineRow]:
    """Every registered machine (of OWNER), by id."""
    sql = "SELECT id, owner, process, material, x, y, z, uri FROM machines"
    params: list[Any] = []
    if owner:
        sql += " WHERE lower(owner) = lower(?)"
        params.append(owner)
    return [MachineRow(*row) for row in db.execute(sql + " ORDER BY id", params)]


#: A JobRefunded event emitted by the order's cancel (not by a reclaim, even one made before the
#: order was later cancelled): the transaction emitted the order's OrderCancelled before it (a
#: reclaim that cancels a request no producer took emits its OrderCancelled after the refund).
_BY_CANCEL = """EXISTS (SELECT 1 FROM events x WHERE x.order_id = e.order_id AND x.block = e.block
      AND x.tx_hash = e.tx_hash AND x.name = 'OrderCancelled' AND x.log_index < e.log_index)"""
#: A JobCompleted event of a job its customer had disputed (confirmed after all).
_AFTER_DISPUTE = """EXISTS (SELECT 1 FROM events x WHERE x.order_id = e.order_id AND x.job_id = e.job_id
      AND x.name = 'JobDisputed')"""
_ARBITER = "json_extract(e.args, '$.arbiter')"
_TO_PRODUCER = "json_extract(e.args, '$.toProducer')"
_TO_CUSTOMER = "json_extract(e.args, '$.toCustomer')"


def track_records(db: sqlite3.Connection, producers: Iterable[str] | None = None) -> dict[str, TrackRecord]:
    """Each producer's record (all producers, or PRODUCERS), from the events of its orders."""
    sql = f"""
    SELECT o.producer,
      sum(e.name = 'JobCompleted'),
      sum(e.name = 'JobShipped' AND b.timestamp <= o.deadline),
      sum(e.name = 'JobShipped' AND b.timestamp > o.deadline),
      sum(e.name = 'JobRefunded' AND NOT {_BY_CANCEL}),
      sum(e.name = 'JobRefunded' AND {_BY_CANCEL}),
      sum(e.name = 'JobCompleted' AND json_extract(e.args, '$.confirmed') = 0),
      sum(e.name = 'JobRejected'),
      sum(e.name = 'JobDisputed'),
      sum(e.name = 'JobResolved' AND {_ARBITER} != :zero AND {_TO_CUSTOMER} = 0),
      sum(e.name = 'JobResolved' AND {_ARBITER} != :zero AND {_TO_CUSTOMER} != 0 AND {_TO_PRODUCER} != 0),
      sum(e.name = 'JobResolved' AND {_ARBITER} != :zero AND {_TO_PRODUCER} = 0 AND {_TO_CUSTOMER} != 0),
      sum(e.name = 'JobResolved' AND {_ARBITER} = :zero),
      sum(e.name = 'JobCompleted' AND {_AFTER_DISPUTE})
    FROM events e JOIN orders o ON o.id = e.order_id JOIN blocks b ON b.number = e.block
    WHERE e.name IN ('JobCompleted', 'JobShipped', 'JobRefunded', 'JobRejected', 'JobDisputed', 'JobResolved')
      AND o.producer != :zero
    """
    # a request its customer cancelled had no producer
    params: dict[str, Any] = {"zero": ZERO_ADDRESS}
    wanted = None if producers is None else sorted({p.lower() for p in producers})
    if wanted is not None:
        sql += f" AND lower(o.producer) IN ({','.join(f':p{i}' for i in range(len(wanted)))})"
        params.update({f"p{i}": p for i, p in enumerate(wanted)})
    sql += " GROUP BY o.producer"
    return {
        producer: TrackRecord(*(int(n or 0) for n in counts)) for producer, *counts in db.execute(sql, params)
    }


def gas_used(db: sqlite3.Connection, tx_hashes: Iterable[str]) -> dict[str, int]:
    wanted = sorted(set(tx_hashes))
    if not wanted:
        return {}
    rows = db.execute(
        f"SELECT tx_hash, gas_used FROM receipts WHERE tx_hash IN ({','.join('?' * len(wanted))})", wanted
    )
    return {tx: int(gas) for tx, gas in rows}
