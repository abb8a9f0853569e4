"""Reads of the index: orders and jobs shaped like the contracts' structs, timelines, credits,
and what the events of each producer's orders count (``ProducerCounts``).

Rows carry the structs' own field names (``envX``, ``pricePerCm3``, ``liveJobs``, ...), so
code written against ``getOrder``/``getJob`` reads an index row the same way; what the
structs do not hold (an order's named arbiter, a job's outcome) follows in snake_case.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from offchain._bulk import many_objects
from offchain.chain.codec import ZERO_ADDRESS, JobStatus, text16
from offchain.index.db import INT64_MAX, big


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


@dataclass(frozen=True)
class ProducerCounts:
    """What the events of one producer's orders count, as facts: no wording, no judgement
    (what they mean to the market, e.g. on time or late: ``offchain.orders.record``)."""

    completed: int = 0  # JobCompleted
    confirmed: int = 0  # ... by the customer's confirmReceipt
    finalized: int = 0  # ... by the producer's finalize (no confirmation from the customer)
    confirmed_after_dispute: int = 0  # ... by a confirmReceipt of a job its customer had disputed
    shipped: int = 0  # JobShipped (the contract refuses a ship at or after the delivery deadline)
    reclaimed: int = 0  # JobRefunded by the customer's reclaim (the deadline passed, not shipped)
    reclaimed_with_model: int = 0  # ... of a job whose model the producer had (ModelSubmitted)
    cancelled: int = 0  # JobRefunded by the producer's cancel of the order
    evicted: int = 0  # JobEvicted
    rejected: int = 0  # JobRejected (the producer kept the reject fee)
    disputed: int = 0  # JobDisputed
    for_producer: int = 0  # JobResolved by the arbiter: all to the producer
    split: int = 0  # JobResolved by the arbiter: some to each
    refunded_by_arbiter: int = 0  # JobResolved by the arbiter: all to the customer
    refunded_by_default: int = 0  # JobResolved by the default rule (no arbiter in time): refunded


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
        bytes(digest),
        uri,
        None if to_p is None else int(to_p),
        None if to_c is None else int(to_c),
        by,
    )


def order(db: sqlite3.Connection, order_id: int) -> OrderRow | None:
    row = db.execute(f"SELECT {_ORDER_COLUMNS} FROM orders WHERE id = ?", (order_id,)).fetchone()
    return None if row is None else _order(row)


@many_objects()
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


@dataclass(frozen=True)
class OrderArrays:
    """Orders as columns, by id: numpy int64 arrays (the envelope as an (n, 3) array in um) and
    lists of texts. A price or a space left beyond 63 bits reads as INT64_MAX (never matched:
    the order book takes prices and spaces in 63 bits)."""

    ids: np.ndarray
    producers: list[str]
    materials: list[str]
    envelope: np.ndarray
    start: np.ndarray
    end: np.ndarray
    deadline: np.ndarray
    price: np.ndarray
    space_left: np.ndarray
    job_count: np.ndarray
    live_jobs: np.ndarray


def order_arrays(db: sqlite3.Connection, status: int) -> OrderArrays:
    """The orders in STATUS as columns, read in one query and no object per order (what the
    order book of ``match`` is built from)."""
    fits = "typeof(capacity) = 'integer' AND typeof(used) = 'integer'"
    rows = db.execute(
        f'SELECT id, start, "end", deadline, min(price, {INT64_MAX}), '
        f"CASE WHEN {fits} THEN capacity - used ELSE {INT64_MAX} END, job_count, live_jobs, "
        "env_x, env_y, env_z, producer, material FROM orders WHERE status = ? ORDER BY id",
        (int(status),),
    ).fetchall()
    columns = list(zip(*rows, strict=True)) if rows else [()] * 13
    ints = [np.array(column, dtype=np.int64) for column in columns[:11]]
    return OrderArrays(
        ids=ints[0],
        producers=list(columns[11]),
        materials=list(columns[12]),
        envelope=np.stack(ints[8:11], axis=1) if rows else np.zeros((0, 3), dtype=np.int64),
        start=ints[1],
        end=ints[2],
        deadline=ints[3],
        price=ints[4],
        space_left=ints[5],
        job_count=ints[6],
        live_jobs=ints[7],
    )


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
        where.append("lower(material) = lower(?)")  # a search: "pla" finds PLA
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


@many_objects()
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


@many_objects()
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
#: An event of a job whose model was submitted (whatever came of it).
_WITH_MODEL = """EXISTS (SELECT 1 FROM events x WHERE x.order_id = e.order_id AND x.job_id = e.job_id
      AND x.name = 'ModelSubmitted')"""

#: ProducerCounts' fields, in order, as SQL over the events E of the producer's orders O.
_COUNTS = {
    "completed": "e.name = 'JobCompleted'",
    "confirmed": "e.name = 'JobCompleted' AND json_extract(e.args, '$.confirmed') != 0",
    "finalized": "e.name = 'JobCompleted' AND json_extract(e.args, '$.confirmed') = 0",
    "confirmed_after_dispute": f"e.name = 'JobCompleted' AND {_AFTER_DISPUTE}",
    "shipped": "e.name = 'JobShipped'",
    "reclaimed": f"e.name = 'JobRefunded' AND NOT {_BY_CANCEL}",
    "reclaimed_with_model": f"e.name = 'JobRefunded' AND NOT {_BY_CANCEL} AND {_WITH_MODEL}",
    "cancelled": f"e.name = 'JobRefunded' AND {_BY_CANCEL}",
    "evicted": "e.name = 'JobEvicted'",
    "rejected": "e.name = 'JobRejected'",
    "disputed": "e.name = 'JobDisputed'",
    "for_producer": f"e.name = 'JobResolved' AND {_ARBITER} != :zero AND {_TO_CUSTOMER} = 0",
    "split": (
        f"e.name = 'JobResolved' AND {_ARBITER} != :zero AND {_TO_CUSTOMER} != 0 AND {_TO_PRODUCER} != 0"
    ),
    "refunded_by_arbiter": (
        f"e.name = 'JobResolved' AND {_ARBITER} != :zero AND {_TO_PRODUCER} = 0 AND {_TO_CUSTOMER} != 0"
    ),
    "refunded_by_default": f"e.name = 'JobResolved' AND {_ARBITER} = :zero",
}
if tuple(_COUNTS) != tuple(ProducerCounts.__dataclass_fields__):  # one sum per field, in order
    raise AssertionError("_COUNTS does not follow ProducerCounts' fields")


def producer_counts(
    db: sqlite3.Connection, producers: Iterable[str] | None = None
) -> dict[str, ProducerCounts]:
    """Each producer's counts (all producers with a job event, or PRODUCERS), from the events
    of its orders."""
    sums = ",\n      ".join(f"sum({condition})" for condition in _COUNTS.values())
    sql = f"""
    SELECT o.producer,
      {sums}
    FROM events e JOIN orders o ON o.id = e.order_id
    WHERE e.name IN ('JobCompleted', 'JobShipped', 'JobRefunded', 'JobEvicted', 'JobRejected', 'JobDisputed',
                     'JobResolved')
      AND o.producer != :zero
    """
    # a request its customer cancelled had no producer
    params: dict[str, Any] = {"zero": ZERO_ADDRESS}
    wanted = None if producers is None else sorted({p.lower() for p in producers})
    if wanted is not None:
        sql += f" AND lower(o.producer) IN ({','.join(f':p{i}' for i in range(len(wanted)))})"
        params.update({f"p{i}": p for i, p in enumerate(wanted)})
    sql += " GROUP BY o.producer"
    rows = db.execute(sql, params)
    return {producer: ProducerCounts(*(int(n or 0) for n in counts)) for producer, *counts in rows}


def gas_used(db: sqlite3.Connection, tx_hashes: Iterable[str]) -> dict[str, int]:
    wanted = sorted(set(tx_hashes))
    if not wanted:
        return {}
    rows = db.execute(
        f"SELECT tx_hash, gas_used FROM receipts WHERE tx_hash IN ({','.join('?' * len(wanted))})", wanted
    )
    return {tx: int(gas) for tx, gas in rows}
