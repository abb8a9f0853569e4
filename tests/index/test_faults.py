"""Faults: a bad index file is rebuilt (one notice), a node lost mid-sync leaves the index at its
last complete range, and a node that refuses large log ranges is asked for smaller ones."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from offchain.chain.rpc import NodeError
from offchain.errors import ProdnetError
from offchain.index import SyncProgress
from offchain.index.db import SCHEMA_VERSION, MarketIndexError
from tests.index.helpers import World, assert_index_matches, assert_index_matches_chain, chain_state


def _truncate(path: Path) -> None:
    with path.open("r+b") as f:
        f.truncate(100)


def _garbage(path: Path) -> None:
    path.write_bytes(b"this is not a database, just bytes \x00\xff" * 200)


def _emptied(path: Path) -> None:
    path.write_bytes(b"")


def _schema_version(path: Path) -> None:
    db = sqlite3.connect(path)
    with db:
        db.execute("UPDATE meta SET value = '0' WHERE key = 'schema_version'")
    db.close()


def _schema_2(path: Path) -> None:
    """The file as prodnet's schema 2 wrote it: the same tables, an evicted job's refund not
    kept (and the job possibly still joined): rebuilt, never read as if it were current."""
    db = sqlite3.connect(path)
    with db:
        db.execute("UPDATE jobs SET to_producer = NULL, to_customer = NULL WHERE status = 6")
        db.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    db.close()


def _schema_3(path: Path) -> None:
    """The file as prodnet's schema 3 wrote it: every wide integer as 80-digit text (a third of
    the file): rebuilt, never read as if it were current."""
    db = sqlite3.connect(path)
    with db:
        wide = (("orders", ("price", "capacity", "used")), ("jobs", ("deposit", "part_volume")))
        for table, columns in wide:
            db.execute(f"UPDATE {table} SET " + ", ".join(f"{c} = printf('%080d', {c})" for c in columns))
        db.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
    db.close()


def _schema_1(path: Path) -> None:
    """The file as prodnet's schema 1 wrote it: no live jobs, arbiters, outcomes or allowlist."""
    db = sqlite3.connect(path)
    with db:
        for table, column in (("orders", "live_jobs"), ("orders", "arbiter"), ("jobs", "to_producer"),
                              ("jobs", "to_customer"), ("jobs", "resolved_by")):
            db.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
        db.execute("DROP TABLE tokens")
        db.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    db.close()


@pytest.mark.parametrize(
    ("spoil", "problem"),
    [
        (_truncate, "it is not a readable SQLite database (database disk image is malformed)"),
        (_garbage, "it is not a readable SQLite database (file is not a database)"),
        (_emptied, "it has no prodnet schema"),
        (_schema_version, f"its schema version is '0', this prodnet uses {SCHEMA_VERSION}"),
        (_schema_1, f"its schema version is '1', this prodnet uses {SCHEMA_VERSION} (an index of another "
                    "schema is never read or extended)"),
        (_schema_2, f"its schema version is '2', this prodnet uses {SCHEMA_VERSION} (an index of another "
                    "schema is never read or extended)"),
        (_schema_3, f"its schema version is '3', this prodnet uses {SCHEMA_VERSION} (an index of another "
                    "schema is never read or extended)"),
    ],
    ids=["truncated", "garbage", "empty", "schema-version", "schema-1", "schema-2", "schema-3"],
)
def test_a_bad_index_file_is_rebuilt_with_one_notice(
    market: World, tmp_path: Path, spoil: Callable[[Path], None], problem: str
) -> None:
    w, notices = market, []
    index = w.index(tmp_path, notices)
    index.sync()
    path = index.path
    index.close()
    assert not path.with_name(path.name + "-wal").exists()  # all of it is in the file
    spoil(path)

    index = w.index(tmp_path, notices)
    assert len(notices) == 1, notices
    assert path.name in notices[0] and problem in notices[0] and "rebuilding" in notices[0], notices[0]
    assert index.path == path and index.synced_block == w.c.block - 1 and index.count_orders() == 0
    result = index.sync()
    assert result.start == w.c.block and result.stop == w.rpc.head()
    assert_index_matches_chain(index, w.rpc, w.c)
    index.close()
    w.index(tmp_path, notices).close()  # the rebuilt file is good: no second notice
    assert len(notices) == 1


def test_an_index_of_a_newer_schema_is_refused_and_left_as_it_is(market: World, tmp_path: Path) -> None:
    w, notices = market, []
    index = w.index(tmp_path, notices)
    index.sync()
    path = index.path
    index.close()
    db = sqlite3.connect(path)
    with db:
        db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),))
    db.close()
    before = path.read_bytes()
    with pytest.raises(MarketIndexError) as refused:
        w.index(tmp_path, notices)
    assert str(refused.value) == (
        f"index {path.name} has schema version {SCHEMA_VERSION + 1}, written by a newer prodnet than this "
        f"one (schema version {SCHEMA_VERSION}): use that prodnet, or another PRODNET_HOME"
    )
    assert notices == [] and path.read_bytes() == before


def test_a_node_lost_mid_sync_leaves_the_index_at_its_last_complete_range(
    new_world: Callable[[], World], tmp_path: Path
) -> None:
    w = new_world()
    orders = [w.open(p) for p in (w.p1, w.p2, w.p1, w.p2, w.p1)]
    for i in range(42):  # a block each
        w.join(w.customers[i % 5], orders[i % 5])
    head = w.rpc.head()
    assert head - w.c.block >= 45
    first_range_end = w.c.block + 4
    expected = chain_state(w.rpc, w.c, first_range_end, w.accounts)
    assert expected.events, "the first range has events"
    assert len(expected.events) < len(chain_state(w.rpc, w.c, head, w.accounts).events)

    index = w.index(tmp_path, range_blocks=5)
    seen: list[SyncProgress] = []

    def lose_the_node(progress: SyncProgress) -> None:
        seen.append(progress)
        w.node.stop()

    with pytest.raises(NodeError) as raised:
        index.sync(progress=lose_the_node)
    assert isinstance(raised.value, ProdnetError)
    message = str(raised.value)
    assert w.node.url in message and "cannot be reached" in message, message
    assert len(seen) == 1 and seen[0].done == 5 and seen[0].events == len(expected.events)
    assert index.synced_block == first_range_end
    (above,) = index.db.execute("SELECT count(*) FROM events WHERE block > ?", (first_range_end,)).fetchone()
    assert above == 0
    assert_index_matches(index, expected)  # orders, jobs, credits and events as of that block
    # another try fails the same way and changes nothing
    with pytest.raises(NodeError):
        index.sync()
    assert index.synced_block == first_range_end
    assert_index_matches(index, expected)
    index.close()


MAX_RANGE = 10


class _RangeLimitedProxy:
    """An HTTP JSON-RPC proxy to UPSTREAM that refuses eth_getLogs over more than MAX_RANGE blocks."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.refused: list[int] = []
        self.served: list[int] = []
        self.session = requests.Session()
        self.lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                answer = json.dumps(proxy.answer(json.loads(body))).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _refuse(self, call: dict[str, Any]) -> bool:
        if call.get("method") != "eth_getLogs":
            return False
        query = call["params"][0]
        span = int(query["toBlock"], 16) - int(query["fromBlock"], 16) + 1
        with self.lock:
            (self.refused if span > MAX_RANGE else self.served).append(span)
        return span > MAX_RANGE

    def answer(self, payload: Any) -> Any:
        calls = payload if isinstance(payload, list) else [payload]
        refused = [call for call in calls if self._refuse(call)]
        passed = [call for call in calls if call not in refused]
        error = {"code": -32005, "message": f"query exceeds max block range {MAX_RANGE}"}
        answers = {call["id"]: {"jsonrpc": "2.0", "id": call["id"], "error": error} for call in refused}
        if passed:
            upstream = self.session.post(self.upstream, json=passed, timeout=60).json()
            answers.update({item["id"]: item for item in upstream})
        out = [answers[call["id"]] for call in calls]
        return out if isinstance(payload, list) else out[0]

    def __enter__(self) -> _RangeLimitedProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.session.close()


@pytest.fixture
def limited_proxy(market: World) -> Iterator[_RangeLimitedProxy]:
    with _RangeLimitedProxy(market.node.url) as proxy:
        yield proxy


def test_a_node_refusing_large_log_ranges_is_asked_for_smaller_ones(
    market: World, limited_proxy: _RangeLimitedProxy, tmp_path: Path
) -> None:
    w = market
    assert w.rpc.head() - w.c.block + 1 > 3 * MAX_RANGE
    index = w.index(tmp_path, url=limited_proxy.url)  # 10,000 blocks per request at first
    result = index.sync()
    assert result.stop == w.rpc.head() and result.events == len(chain_state(w.rpc, w.c, result.stop).events)
    assert limited_proxy.refused, "the proxy never refused a range"
    assert limited_proxy.served and max(limited_proxy.served) <= MAX_RANGE
    assert sum(limited_proxy.served) == result.stop - w.c.block + 1  # each block asked for once
    assert_index_matches_chain(index, w.rpc, w.c)  # checked against the node itself
    index.close()
