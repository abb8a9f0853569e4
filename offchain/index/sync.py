"""Bring the index up to the chain: new blocks only, reorgs rolled back to the fork point.

One sync, under the writer lock:

1. check the last synced block (and, walking back, the kept tail of block hashes)
   against the node; on a mismatch, roll back to the newest block both agree on: drop
   the later events, re-read every order, job and credit they touched *at the fork
   block*, and continue from there (a fork older than the kept tail rebuilds the index);
2. read the contracts' logs from the next block up to ``head - confirmations`` in
   ranges (``eth_getLogs``; a range the node refuses is halved);
3. per range, in ONE transaction: the events, then the structs they touched (orders,
   jobs, credits; read in JSON-RPC batches *at the range's last block*, so rows and
   events agree), machines, keys and the token allowlist from their events, the block
   hashes and the cursor.

What the structs do not hold comes from the kept events, so a rolled-back event takes it
along: an order's named arbiter (ArbiterNamed), a job's outcome (JobRejected: the fee and the
refund; JobResolved: the split and who made it, the zero address for the default rule;
JobEvicted: the refund of a job its producer removed, Refunded in the struct).

A node that fails mid-sync leaves the index at its last complete range.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from offchain.chain.abi import Abi
from offchain.chain.codec import ZERO_ADDRESS, JobStatus, untext16
from offchain.chain.rpc import NodeError, RawLog, Rpc
from offchain.index.db import big, get_meta, set_meta, transaction, writer_lock

TAIL = 256  # block hashes checked for a fork, newest first

#: Events whose orderId (and jobId) touch an order (and a job).
JOB_EVENTS = {
    "JobJoined", "JobLeft", "ModelSubmitted", "JobShipped", "JobCompleted", "JobRefunded",
    "JobEvicted", "JobRejected", "JobDisputed", "JobResolved",
}
ORDER_EVENTS = {
    "OrderOpened", "OrderRequested", "OrderTaken", "OrderClosed", "OrderCancelled", "ArbiterNamed",
}
#: Events that decide a job's outcome (kept in the job's row while the job is in that state).
OUTCOME_EVENTS = {
    "JobRejected": JobStatus.REJECTED, "JobResolved": JobStatus.RESOLVED, "JobEvicted": JobStatus.REFUNDED,
}
CHUNK = 500  # ids per IN (...) list
#: A sync that brought in this many events folds the write-ahead log into the file and truncates it
#: (otherwise the log keeps a copy of every page that sync wrote: as large as the file itself).
CHECKPOINT_EVENTS = 1_000


@dataclass(frozen=True)
class SyncProgress:
    """How far a sync is: blocks done of the total, events read, seconds so far."""

    first: int
    done: int
    total: int
    events: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0


@dataclass(frozen=True)
class SyncResult:
    start: int  # first block read
    stop: int  # last block now in the index
    events: int
    rolled_back_to: int | None  # the fork point, when a reorg was undone
    rebuilt: bool


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 2**53:
        return str(value)
    return value


class Syncer:
    """Syncs one index (its connection and file) from one node."""

    def __init__(
        self,
        db: sqlite3.Connection,
        path: Any,
        rpc: Rpc,
        abi: Abi,
        registry: str,
        orders: str,
        deploy_block: int,
        confirmations: int = 0,
        range_blocks: int = 10_000,
    ) -> None:
        self.db = db
        self.path = path
        self.rpc = rpc
        self.abi = abi
        self.registry = registry
        self.orders = orders
        self.deploy_block = deploy_block
        self.confirmations = confirmations
        self.range_blocks = range_blocks
        self.get_order = abi.functions["getOrder"]
        self.get_job = abi.functions["getJob"]
        self.credits = abi.functions["credits"]

    # -- the cursor -------------------------------------------------------------------
    def cursor(self) -> int:
        value = get_meta(self.db, "synced_block")
        return int(value) if value is not None else self.deploy_block - 1

    # -- one sync ---------------------------------------------------------------------
    def sync(
        self, progress: Callable[[SyncProgress], None] | None = None, until: int | None = None
    ) -> SyncResult:
        with writer_lock(self.path):
            started = time.monotonic()
            rolled_back, rebuilt = self._undo_reorg()
            cursor = self.cursor()
            head = self.rpc.head()
            target = max(self.deploy_block - 1, head - self.confirmations)
            if until is not None:
                target = min(target, until)
            start, events = cursor + 1, 0
            total = max(0, target - cursor)
            for _first, last, logs in self.rpc.logs(
                [self.registry, self.orders], start, target, self.range_blocks
            ):
                events += self._apply(logs, last)
                if progress is not None:
                    progress(SyncProgress(start, last - cursor, total, events, time.monotonic() - started))
            if events >= CHECKPOINT_EVENTS:  # the log holds a copy of every page written: fold it in
                self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            return SyncResult(start, max(cursor, target), events, rolled_back, rebuilt)

    # -- reorgs -----------------------------------------------------------------------
    def _undo_reorg(self) -> tuple[int | None, bool]:
        cursor = self.cursor()
        if cursor < self.deploy_block:
            return None, False
        kept = self.db.execute(
            "SELECT number, hash FROM blocks WHERE number <= ? ORDER BY number DESC LIMIT ?", (cursor, TAIL)
        ).fetchall()
        if not kept:
            return None, False
        if kept[0][0] == cursor:  # the usual case: one block asked, and it still matches
            head = self.rpc.blocks([cursor])[0]
            if head is not None and head.hash == kept[0][1]:
                return None, False
        node = self.rpc.blocks([number for number, _ in kept])
        for (number, stored), block in zip(kept, node, strict=True):
            if block is not None and block.hash == stored:
                if number == cursor:
                    return None, False
                self._roll_back(number)
                return number, False
        self._rebuild()
        return self.deploy_block - 1, True

    def _rebuild(self) -> None:
        with transaction(self.db):
            for table in (
                "events", "blocks", "orders", "jobs", "machines", "keys", "tokens", "credits", "receipts"
            ):
                self.db.execute(f"DELETE FROM {table}")
            self.db.execute("DELETE FROM meta WHERE key = 'synced_block'")

    def _roll_back(self, fork: int) -> None:
        later = self.db.execute(
            "SELECT name, order_id, job_id, account, args FROM events WHERE block > ?", (fork,)
        ).fetchall()
        orders = {oid for _, oid, _, _, _ in later if oid is not None}
        jobs = {(oid, jid) for name, oid, jid, _, _ in later if jid is not None}
        jobs |= {(oid, 1) for name, oid, _, _, _ in later if name in ("OrderRequested", "OrderTaken")}
        accounts = {acc for name, _, _, acc, _ in later if name == "KeyPublished"}
        tokens = {json.loads(args)["token"] for name, _, _, _, args in later if name == "TokenAllowed"}
        # every credit is read again at the fork (cheap: one batched call per holder), and those
        # withdrawn after it (no longer in the table, but back at the fork)
        holders = {(a, t) for a, t in self.db.execute("SELECT account, token FROM credits")}
        for name, _, _, _, args in later:
            if name == "Withdrawn":
                withdrawn = json.loads(args)
                holders.add((withdrawn["account"], withdrawn["token"]))
        with transaction(self.db):
            for table, column in (("events", "block"), ("blocks", "number"), ("machines", "block"),
                                  ("keys", "block"), ("tokens", "block")):
                self.db.execute(f"DELETE FROM {table} WHERE {column} > ?", (fork,))
            for account in accounts:
                self._key_from_events(account)
            for token in tokens:
                self._token_from_events(token)
            self._read_structs(orders, jobs, fork, extra_credits=holders)
            set_meta(self.db, "synced_block", str(fork))

    def _key_from_events(self, account: str) -> None:
        row = self.db.execute(
            "SELECT block, log_index, args FROM events WHERE name = 'KeyPublished' AND account = ? "
            "ORDER BY block DESC, log_index DESC LIMIT 1",
            (account,),
        ).fetchone()
        if row is not None:
            args = json.loads(row[2])
            self.db.execute(
                "INSERT OR REPLACE INTO keys VALUES (?, ?, ?, ?)",
                (account, args["fingerprint"], row[0], row[1]),
            )

    def _token_from_events(self, token: str) -> None:
        row = self.db.execute(
            "SELECT block, log_index, args FROM events WHERE name = 'TokenAllowed' "
            "AND json_extract(args, '$.token') = ? ORDER BY block DESC, log_index DESC LIMIT 1",
            (token,),
        ).fetchone()
        if row is not None:
            allowed = bool(json.loads(row[2])["allowed"])
            self.db.execute(
                "INSERT OR REPLACE INTO tokens VALUES (?, ?, ?, ?)", (token, allowed, row[0], row[1])
            )

    # -- applying a range -------------------------------------------------------------
    def _apply(self, logs: list[RawLog], last: int) -> int:
        decoded = []
        for log in logs:
            found = self.abi.decode_log(log)
            if found is not None:
                decoded.append((log, *found))
        blocks = sorted({log.block for log, _, _ in decoded} | {last})
        headers = self.rpc.blocks(blocks)
        if any(h is None for h in headers):
            raise NodeError(f"the node lost blocks {blocks[0]}..{blocks[-1]} while syncing: sync again")
        orders: set[int] = set()
        jobs: set[tuple[int, int]] = set()
        for _, name, args in decoded:
            if "orderId" in args:
                orders.add(int(args["orderId"]))
            if name in JOB_EVENTS:
                jobs.add((int(args["orderId"]), int(args["jobId"])))
            if name in ("OrderRequested", "OrderTaken"):
                jobs.add((int(args["orderId"]), 1))
        with transaction(self.db):
            self.db.executemany(
                "INSERT OR REPLACE INTO blocks VALUES (?, ?, ?)",
                [(h.number, h.hash, h.timestamp) for h in headers],
            )
            self.db.executemany(
                "INSERT OR IGNORE INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [self._event_row(log, name, args) for log, name, args in decoded],
            )
            for log, name, args in decoded:
                if name == "MachineRegistered":
                    x, y, z = args["envelope"]
                    self.db.execute(
                        "INSERT OR REPLACE INTO machines VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (
                            int(args["machineId"]),
                            args["owner"],
                            untext16(args["process"]),
                            untext16(args["material"]),
                            x,
                            y,
                            z,
                            args["metadataURI"],
                            log.block,
                        ),
                    )
                elif name == "KeyPublished":
                    self.db.execute(
                        "INSERT OR REPLACE INTO keys VALUES (?, ?, ?, ?)",
                        (args["account"], "0x" + bytes(args["fingerprint"]).hex(), log.block, log.log_index),
                    )
                elif name == "TokenAllowed":
                    self.db.execute(
                        "INSERT OR REPLACE INTO tokens VALUES (?, ?, ?, ?)",
                        (args["token"], bool(args["allowed"]), log.block, log.log_index),
                    )
            withdrawn = {(args["account"], args["token"]) for _, name, args in decoded if name == "Withdrawn"}
            self._read_structs(orders, jobs, last, extra_credits=withdrawn, decoded=decoded)
            set_meta(self.db, "synced_block", str(last))
        return len(decoded)

    @staticmethod
    def _event_row(log: RawLog, name: str, args: dict[str, Any]) -> tuple[Any, ...]:
        kept = {k: _jsonable(v) for k, v in args.items() if k != "armoredKey"}
        order_id = args.get("orderId")
        job_id = args.get("jobId")
        if name == "OrderRequested":
            job_id = 1
        account = (
            args.get("account") or args.get("customer") or args.get("producer") or args.get("owner")
            or args.get("arbiter")  # ArbiterNamed, JobResolved (the zero address: the default rule)
        )
        return (
            log.block,
            log.log_index,
            log.tx_hash,
            name,
            None if order_id is None else int(order_id),
            None if job_id is None else int(job_id),
            account,
            json.dumps(kept, separators=(",", ":")),
        )

    # -- structs ----------------------------------------------------------------------
    def _read_structs(
        self,
        orders: Iterable[int],
        jobs: Iterable[tuple[int, int]],
        block: int,
        extra_credits: Iterable[tuple[str, str]] = (),
        decoded: list[tuple[RawLog, str, dict[str, Any]]] | None = None,
    ) -> None:
        order_ids = sorted(orders)
        job_keys = sorted(jobs)
        calls = [(self.orders, self.get_order.encode(i)) for i in order_ids]
        calls += [(self.orders, self.get_job.encode(o, j)) for o, j in job_keys]
        answers = self._calls(calls, block)
        arbiters = {
            order_id: args["arbiter"]
            for (order_id, _), (_, args) in self._latest_events(("ArbiterNamed",), order_ids).items()
        }
        order_rows: dict[int, dict[str, Any]] = {}
        for order_id, answer in zip(order_ids, answers[: len(order_ids)], strict=True):
            if isinstance(answer, NodeError):  # OrderNotFound: it does not exist (any more)
                self.db.execute("DELETE FROM orders WHERE id = ?", (order_id,))
                self.db.execute("DELETE FROM jobs WHERE order_id = ?", (order_id,))
                continue
            o = self.get_order.decode(answer)
            order_rows[order_id] = o
            self.db.execute(
                f"INSERT OR REPLACE INTO orders VALUES ({', '.join('?' * 19)})",
                (
                    order_id,
                    o["producer"],
                    int(o["status"]),
                    int(o["machineId"]),
                    int(o["jobCount"]),
                    int(o["liveJobs"]),
                    o["token"],
                    big(o["pricePerCm3"]),
                    big(o["capacity"]),
                    big(o["used"]),
                    int(o["start"]),
                    int(o["end"]),
                    int(o["deadline"]),
                    int(o["envX"]),
                    int(o["envY"]),
                    int(o["envZ"]),
                    untext16(o["material"]),
                    arbiters.get(order_id, ZERO_ADDRESS),
                    block,
                ),
            )
        uris = {
            (int(a["orderId"]), int(a["jobId"])): a["uri"]
            for _, n, a in decoded or []
            if n == "ModelSubmitted"
        }
        outcomes = self._latest_events(tuple(OUTCOME_EVENTS), sorted({o for o, _ in job_keys}))
        holders: set[tuple[str, str]] = set(extra_credits)
        for key, answer in zip(job_keys, answers[len(order_ids) :], strict=True):
            if isinstance(answer, NodeError):  # JobNotFound
                self.db.execute("DELETE FROM jobs WHERE order_id = ? AND job_id = ?", key)
                continue
            j = self.get_job.decode(answer)
            uri = uris.get(key)
            if uri is None:
                row = self.db.execute(
                    "SELECT uri FROM jobs WHERE order_id = ? AND job_id = ?", key
                ).fetchone()
                uri = row[0] if row else ""
            if int(j["status"]) <= JobStatus.JOINED:  # no model (again, after a reorg)
                uri = ""
            to_producer = to_customer = resolved_by = None
            outcome = outcomes.get(key)
            if outcome is not None and OUTCOME_EVENTS[outcome[0]] == int(j["status"]):
                name, args = outcome
                if name == "JobEvicted":  # the whole deposit back to the customer
                    to_producer, to_customer = big(0), big(int(args["refund"]))
                else:
                    to_producer, to_customer = big(int(args["toProducer"])), big(int(args["toCustomer"]))
                resolved_by = args["arbiter"] if name == "JobResolved" else None
            self.db.execute(
                "INSERT OR REPLACE INTO jobs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    key[0],
                    key[1],
                    j["customer"],
                    int(j["status"]),
                    big(j["deposit"]),
                    int(j["dimX"]),
                    int(j["dimY"]),
                    int(j["dimZ"]),
                    big(j["partVolume"]),
                    int(j["quantity"]),
                    int(j["shippedAt"]),
                    bytes(j["digest"]),
                    uri,
                    to_producer,
                    to_customer,
                    resolved_by,
                    block,
                ),
            )
            order = order_rows.get(key[0])
            if order is not None:
                holders.add((j["customer"], order["token"]))
                if order["producer"] != ZERO_ADDRESS:
                    holders.add((order["producer"], order["token"]))
        self._read_credits(holders, block)

    def _latest_events(
        self, names: tuple[str, ...], order_ids: list[int]
    ) -> dict[tuple[int, int | None], tuple[str, dict[str, Any]]]:
        """(order id, job id) -> (name, args) of the newest kept event named one of NAMES of
        each of ORDER_IDS (job id None for an order's own events)."""
        found: dict[tuple[int, int | None], tuple[str, dict[str, Any]]] = {}
        marks = ",".join("?" * len(names))
        for start in range(0, len(order_ids), CHUNK):
            chunk = order_ids[start : start + CHUNK]
            rows = self.db.execute(
                f"SELECT order_id, job_id, name, args FROM events WHERE name IN ({marks}) "
                f"AND order_id IN ({','.join('?' * len(chunk))}) ORDER BY block, log_index",
                (*names, *chunk),
            )
            for order_id, job_id, name, args in rows:
                found[(int(order_id), None if job_id is None else int(job_id))] = (name, json.loads(args))
        return found

    def _read_credits(self, holders: Iterable[tuple[str, str]], block: int) -> None:
        keys = sorted(holders)
        answers = self._calls([(self.orders, self.credits.encode(a, t)) for a, t in keys], block)
        for (account, token), answer in zip(keys, answers, strict=True):
            if isinstance(answer, NodeError):
                raise answer
            amount = int(self.credits.decode(answer))
            if amount:
                self.db.execute(
                    "INSERT OR REPLACE INTO credits VALUES (?, ?, ?, ?)", (account, token, big(amount), block)
                )
            else:
                self.db.execute("DELETE FROM credits WHERE account = ? AND token = ?", (account, token))

    def _calls(self, calls: list[tuple[str, bytes]], block: int) -> list[bytes | NodeError]:
        answers = self.rpc.calls(calls, block)
        for answer in answers:
            if isinstance(answer, NodeError) and not _is_revert(answer):
                raise answer
        return answers


def _is_revert(error: NodeError) -> bool:
    text = str(error).lower()
    return "revert" in text or "execution reverted" in text
