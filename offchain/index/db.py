"""The index's SQLite file: schema, identity, and what happens when the file is bad.

One file per chain and deployment, named by chain id, genesis block hash and the orders
contract's address, so an index is never mixed with another chain that later answers at
the same URL (an Anvil restarted keeps its chain id but gets a new genesis hash).

Integers the chain stores in more than 63 bits (prices, deposits, capacities, volumes,
credits) go through :func:`big`: an SQLite INTEGER when the value fits 63 bits (every real
one), else zero-padded decimal text. SQLite orders every INTEGER before every TEXT, and
fixed-width texts among themselves as the numbers, so SQL compares them in order either way.
Their columns have no declared type (no affinity): SQLite keeps each value as it is given.

The schema has a version (``SCHEMA_VERSION``, kept in ``meta``). A file of an older version
is rebuilt from the chain with one notice (never read or extended as if it were current); a
file of a newer version, written by a later prodnet, is refused and left as it is.
Version 2 (issue 12, fair market rules): ``orders.live_jobs`` and ``orders.arbiter`` (the
named arbiter, the zero address if none), a job's outcome (``to_producer``/``to_customer`` of
a rejection or a resolution, ``resolved_by``: the arbiter, or the zero address for the default
rule), and the token allowlist (``tokens``).
Version 3 (the arbiter named at creation; evict): an evicted job's outcome (``to_producer`` 0,
``to_customer`` its refund, from JobEvicted). An earlier file may also hold an evicted job as
still joined (its JobEvicted did not re-read the job), so it is rebuilt.
Version 4 (issue 23, reads at 100,000 orders): the integers of :func:`big` are INTEGERs (80-digit
text before), a job's digest its 32 bytes (0x-hex text before), an event's arguments compact
JSON, and no index on orders.producer or jobs.customer (every read compares them without
case, which those indexes could not serve). Half the file, and a sync that brought in
many events leaves no large write-ahead log behind (``Syncer.sync``).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

from offchain.errors import ProdnetError

SCHEMA_VERSION = 4
BIG_WIDTH = 80  # digits: any uint256 (the text form of a value beyond 63 bits)
INT64_MAX = 2**63 - 1

SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE blocks (number INTEGER PRIMARY KEY, hash TEXT NOT NULL, timestamp INTEGER NOT NULL);
CREATE TABLE events (
    block INTEGER NOT NULL, log_index INTEGER NOT NULL, tx_hash TEXT NOT NULL, name TEXT NOT NULL,
    order_id INTEGER, job_id INTEGER, account TEXT, args TEXT NOT NULL,
    PRIMARY KEY (block, log_index)
);
CREATE INDEX events_by_order ON events (order_id, block, log_index);
CREATE INDEX events_by_name ON events (name, block);
CREATE TABLE orders (
    id INTEGER PRIMARY KEY, producer TEXT NOT NULL, status INTEGER NOT NULL, machine_id INTEGER NOT NULL,
    job_count INTEGER NOT NULL, live_jobs INTEGER NOT NULL, token TEXT NOT NULL, price NOT NULL,
    capacity NOT NULL, used NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
    deadline INTEGER NOT NULL, env_x INTEGER NOT NULL, env_y INTEGER NOT NULL, env_z INTEGER NOT NULL,
    material TEXT NOT NULL, arbiter TEXT NOT NULL, block INTEGER NOT NULL
);
CREATE INDEX orders_by_status ON orders (status, price, deadline);
CREATE TABLE jobs (
    order_id INTEGER NOT NULL, job_id INTEGER NOT NULL, customer TEXT NOT NULL, status INTEGER NOT NULL,
    deposit NOT NULL, dim_x INTEGER NOT NULL, dim_y INTEGER NOT NULL, dim_z INTEGER NOT NULL,
    part_volume NOT NULL, quantity INTEGER NOT NULL, shipped_at INTEGER NOT NULL, digest BLOB NOT NULL,
    uri TEXT NOT NULL DEFAULT '', to_producer, to_customer, resolved_by TEXT,
    block INTEGER NOT NULL,
    PRIMARY KEY (order_id, job_id)
);
CREATE TABLE machines (
    id INTEGER PRIMARY KEY, owner TEXT NOT NULL, process TEXT NOT NULL, material TEXT NOT NULL,
    x INTEGER NOT NULL, y INTEGER NOT NULL, z INTEGER NOT NULL, uri TEXT NOT NULL, block INTEGER NOT NULL
);
CREATE TABLE keys (
    account TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, block INTEGER NOT NULL, log_index INTEGER NOT NULL
);
CREATE TABLE credits (
    account TEXT NOT NULL, token TEXT NOT NULL, amount NOT NULL, block INTEGER NOT NULL,
    PRIMARY KEY (account, token)
);
CREATE TABLE tokens (
    token TEXT PRIMARY KEY, allowed INTEGER NOT NULL, block INTEGER NOT NULL, log_index INTEGER NOT NULL
);
CREATE TABLE receipts (tx_hash TEXT PRIMARY KEY, gas_used INTEGER NOT NULL);
"""


class MarketIndexError(ProdnetError):
    """The local index cannot be used (and could not be rebuilt)."""


def big(value: int) -> int | str:
    """An unsigned integer as the index keeps it: itself when it fits 63 bits, else fixed-width
    text (after every integer in SQLite's order, and in order among such texts)."""
    number = int(value)
    return number if number <= INT64_MAX else f"{number:0{BIG_WIDTH}d}"


def index_path(folder: Path, chain_id: int, genesis: str, orders: str) -> Path:
    return folder / f"{chain_id}-{genesis.removeprefix('0x')[:16]}-{orders.lower().removeprefix('0x')}.sqlite"


def _files(path: Path) -> list[Path]:
    return [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]


def _connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, timeout=60, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA foreign_keys=OFF")
    return db


def _problem(db: sqlite3.Connection, identity: dict[str, str]) -> str | None:
    """Why the open file cannot serve as this index, or None when it can."""
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if "meta" not in tables:
        return "it has no prodnet schema"
    meta = dict(db.execute("SELECT key, value FROM meta"))
    version = meta.get("schema_version")
    if version != str(SCHEMA_VERSION):
        if version is not None and version.isdigit() and int(version) > SCHEMA_VERSION:
            raise MarketIndexError(
                f"index {path_of(db)} has schema version {version}, written by a newer prodnet than this "
                f"one (schema version {SCHEMA_VERSION}): use that prodnet, or another PRODNET_HOME"
            )
        return (
            f"its schema version is {version!r}, this prodnet uses {SCHEMA_VERSION} (an index of "
            "another schema is never read or extended)"
        )
    for key, value in identity.items():
        if meta.get(key) != value:
            return f"it belongs to another chain or deployment ({key} {meta.get(key)!r}, expected {value!r})"
    if db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
        return "its SQLite integrity check failed"
    return None


def path_of(db: sqlite3.Connection) -> str:
    """The file name of the open database DB."""
    row = db.execute("PRAGMA database_list").fetchone()
    return Path(row[2]).name if row and row[2] else "(in memory)"


def open_index(path: Path, identity: dict[str, str], notice: Callable[[str], None]) -> sqlite3.Connection:
    """The index at PATH for IDENTITY; a corrupt, foreign or outdated file is rebuilt from
    scratch (the chain is the source of truth), with one NOTICE line saying why. A file of a
    newer schema is refused (MarketIndexError) and left untouched."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with writer_lock(path):
        if path.exists():
            try:
                db = _connect(path)
                reason = _problem(db, identity)
            except MarketIndexError:
                db.close()
                raise
            except sqlite3.DatabaseError as exc:
                reason = f"it is not a readable SQLite database ({exc})"
                db = None
            if reason is None and db is not None:
                return db
            if db is not None:
                db.close()
            notice(f"index {path.name}: {reason}; rebuilding it from the chain")
            for file in _files(path):
                file.unlink(missing_ok=True)
        db = _connect(path)
        with transaction(db):
            for statement in filter(str.strip, SCHEMA.split(";")):
                db.execute(statement)
            rows = [("schema_version", str(SCHEMA_VERSION)), *identity.items()]
            db.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", rows)
        return db


@contextlib.contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE ... COMMIT (ROLLBACK on any error): the one way the index is written."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


@contextlib.contextmanager
def writer_lock(path: Path) -> Iterator[None]:
    """One writer per index across processes (an advisory lock on PATH.lock)."""
    lock = path.with_name(path.name + ".lock")
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def get_meta(db: sqlite3.Connection, key: str) -> str | None:
    row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row[0])


def set_meta(db: sqlite3.Connection, key: str, value: str) -> None:
    db.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (key, value),
    )
