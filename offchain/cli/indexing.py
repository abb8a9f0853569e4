"""How the CLI shows the market index syncing: a progress bar on stderr for long syncs
(blocks, events, rate) and the one-line summary."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click

from offchain.index import MarketIndex, SyncProgress, SyncResult

BAR_FROM_SECONDS = 1.0  # a sync that has run this long shows a bar


@contextmanager
def sync_progress() -> Iterator[Callable[[SyncProgress], None]]:
    """A progress callback that draws a bar on stderr once the sync has taken a second."""
    bar = None
    started = time.monotonic()

    def update(p: SyncProgress) -> None:
        nonlocal bar
        if bar is None:
            if time.monotonic() - started < BAR_FROM_SECONDS or p.total == 0:
                return
            bar = click.progressbar(
                length=p.total,
                label="sync",
                file=click.get_text_stream("stderr"),
                show_pos=True,
                item_show_func=lambda line: line,
            )
            bar.__enter__()
        bar.update(p.done - bar.pos, f"{p.events:,} events, {p.rate:,.0f}/s")

    try:
        yield update
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)


def sync_line(index: MarketIndex, result: SyncResult) -> str:
    read = "no new blocks" if result.start > result.stop else f"blocks {result.start}..{result.stop}"
    extra = ""
    if result.rebuilt:
        extra = " (rebuilt after a fork older than the kept block hashes)"
    elif result.rolled_back_to is not None:
        extra = f" (a reorg was undone back to block {result.rolled_back_to})"
    return (
        f"sync: {read}, {result.events:,} events{extra}; index at block {index.synced_block}: "
        f"{index.count_orders():,} orders, {len(index.jobs()):,} jobs"
    )
