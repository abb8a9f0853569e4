"""The market index of the connected chain's deployment, opened once per process and
synced before each read (only new blocks: milliseconds on a local node)."""

from __future__ import annotations

from collections.abc import Callable

from offchain.chain.client import Chain
from offchain.chain.light import IndexReader
from offchain.index import MarketIndex, SyncProgress
from offchain.orders.rules import Settings

_OPEN: dict[tuple[str, int, str], MarketIndex] = {}


def market_index(
    c: Chain | IndexReader, sync: bool = True, progress: Callable[[SyncProgress], None] | None = None
) -> MarketIndex:
    """The index of C's deployment, synced up to the head (less the confirmation depth). C is an
    operator's Chain, or a reader without Ape's provider (``offchain.chain.light``)."""
    url = c.url
    d = c.deployment
    key = (url, d.chain_id, d.orders.lower())
    index = _OPEN.get(key)
    if index is None:
        index = _OPEN[key] = open_market_index(c)
    if sync:
        index.sync(progress)
    return index


def open_market_index(c: Chain | IndexReader) -> MarketIndex:
    """An index of C's deployment of its own, not the one this process shares: for a thread
    that syncs and reads beside the others (one SQLite connection serves one thread at a time;
    the file's writer lock orders the writers). The caller closes it."""
    d = c.deployment
    return MarketIndex.open(c.url, d.chain_id, d.registry, d.orders, d.block, c.abis)


def forget_indexes() -> None:
    """Close every index this process opened (tests; a node that was replaced)."""
    for index in _OPEN.values():
        index.close()
    _OPEN.clear()


def market_settings(c: Chain) -> Settings:
    """The deployment's settings and the contract's limits, read from the chain once per index
    (they never change) and kept: the one object every rule reads them from."""
    return settings_of(market_index(c, sync=False))


def settings_of(index: MarketIndex) -> Settings:
    """The settings of INDEX's deployment (see market_settings)."""
    return Settings(**{field: index.constant(name) for field, name in SETTINGS_VIEWS.items()})


#: Each setting and the view of the market that gives it.
SETTINGS_VIEWS = {
    "confirmation_window": "confirmationWindow",
    "arbitration_window": "arbitrationWindow",
    "max_lead_time": "maxLeadTime",
    "max_live_jobs": "MAX_LIVE_JOBS",
    "max_job_ids": "MAX_JOB_IDS",
    "reject_fee_bps": "REJECT_FEE_BPS",
    "max_reason_bytes": "MAX_REASON_BYTES",
}
