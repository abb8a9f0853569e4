"""The market index through the operator CLI: sync, watch, and the read-only commands that
read it (no account needed), on the public deployment of the end-to-end world."""

from __future__ import annotations

import re
import signal
import subprocess
import threading
import time
from pathlib import Path

from tests.e2e.helpers import NETWORK, ROOT, history_events, parse_table, venv_bin
from tests.e2e.world import World


def test_sync_reads_only_new_blocks(public_world: World) -> None:
    w, p = public_world, public_world.people
    first = w.cli.run(p.bob, "order", "sync").ok()
    head = int(w.rpc("eth_blockNumber"), 16)
    assert re.search(rf"index at block {head}: \d+ orders, \d+ jobs$", first.stdout.strip()), first.explain()
    again = w.cli.run(p.bob, "order", "sync").ok()
    assert again.stdout.strip().startswith("sync: no new blocks, 0 events"), again.explain()
    order_id = w.open_order()
    after = w.cli.run(p.bob, "order", "sync").ok()
    assert "sync: no new blocks" in after.stdout, (
        "the open step brought the index up to its own block already:\n" + after.explain()
    )
    status = w.cli.run(p.bob, "order", "status", str(order_id)).ok()
    assert parse_table(status.stdout, "order")[0]["status"] == "open"


def test_read_only_commands_need_no_account(public_world: World) -> None:
    w, p = public_world, public_world.people
    order_id = w.open_order()
    for args in (("status",), ("status", str(order_id)), ("history", str(order_id)), ("sync",)):
        result = w.cli.plain(p.dave, "order", *args, "--network", NETWORK).ok()
        assert "Select an account" not in result.stdout + result.stderr, result.explain()
    history = history_events(
        w.cli.plain(p.dave, "order", "history", str(order_id), "--network", NETWORK).ok().stdout
    )
    assert [e["event"] for e in history] == ["OrderOpened"]


def test_read_only_commands_accept_an_account_and_say_they_ignore_it(public_world: World) -> None:
    """A script written from the guide passes --account to every command: the reads take it,
    sign nothing, and say on stderr that they ignored it."""
    w, p = public_world, public_world.people
    order_id = w.open_order()
    for args in (("order", "status", str(order_id)), ("order", "history", str(order_id)), ("tokens", "list")):
        plain = w.cli.plain(p.bob, *args, "--network", NETWORK).ok()
        with_account = w.cli.plain(p.bob, *args, "--network", NETWORK, "--account", p.bob.account).ok()
        assert with_account.stdout == plain.stdout, with_account.explain()
        assert f"notice: --account {p.bob.account} is ignored" in with_account.stderr, with_account.explain()
        assert "only reads" in with_account.stderr and "notice" not in plain.stderr, plain.explain()


def test_history_of_an_order_that_does_not_exist_is_refused(public_world: World) -> None:
    w, p = public_world, public_world.people
    for command in ("history", "status"):
        refused = w.cli.run(p.bob, "order", command, "999999")
        assert refused.error.startswith("order 999999 does not exist"), refused.explain()


def test_match_shows_each_producers_track_record(public_world: World, parts: dict[str, Path]) -> None:
    w, p = public_world, public_world.people
    w.open_order()
    result = w.cli.run(p.bob, "order", "match", str(parts["gear"]), "--rank", "record").ok()
    rows = parse_table(result.stdout, "rank")
    assert rows and all(row["track record"] for row in rows), result.explain()


def test_watch_prints_new_events_live_until_ctrl_c(public_world: World) -> None:
    w, p = public_world, public_world.people
    cmd = [venv_bin("ape"), "run", "order", "watch", "--poll", "0.2", "--network", NETWORK]
    proc = subprocess.Popen(
        cmd,
        cwd=ROOT,
        env={**w.cli.env, "APE_DATA_FOLDER": str(p.bob.ape_dir)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    lines: list[str] = []
    notes: list[str] = []
    for stream, sink in ((proc.stdout, lines), (proc.stderr, notes)):
        threading.Thread(target=lambda s=stream, k=sink: k.extend(iter(s.readline, "")), daemon=True).start()
    try:
        deadline = time.monotonic() + 120
        while not any("watching" in line for line in notes):
            assert time.monotonic() < deadline and proc.poll() is None, f"watch did not start: {notes}"
            time.sleep(0.2)
        order_id = w.open_order()
        while not any(f"OrderOpened order {order_id} " in line for line in lines):
            assert time.monotonic() < deadline, f"watch printed no OrderOpened line for {order_id}: {lines}"
            time.sleep(0.2)
    finally:
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=60)
    time.sleep(0.5)
    assert code == 0, notes
    assert "Traceback" not in "".join(lines + notes)
    assert any("stopped" in line for line in notes)
