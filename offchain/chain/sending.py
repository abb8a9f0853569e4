"""The one path every transaction prodnet sends takes (steps, deploy, members, tokens), made
for a public chain's faults as well as Anvil's automine:

- **fee caps**: ``--max-fee`` / ``--priority-fee`` (:func:`use_fees`) or the network's
  default (``PRODNET_MAX_FEE`` / ``PRODNET_PRIORITY_FEE``); a cap below the next block's
  base fee is refused before anything is signed;
- **one nonce at a time per account and chain**: a file lock under the prodnet home
  (``locks/<chain>-<address>.lock``) held from choosing the nonce to the node's answer, so
  the CLI and the portal acting for one account never pick the same nonce;
- **a record of each transaction in flight** (``pending/<chain>-<address>/<nonce>.json``,
  written before it is broadcast): a re-run of the same step finds its transaction still
  pending and waits for it instead of sending a second; ``speed_up`` and ``cancel``
  replace it (same nonce, higher fee);
- **a bounded wait**: a transaction still pending after ``PRODNET_PENDING_TIMEOUT``
  seconds is a :class:`PendingError` naming its hash, nonce and fees;
- **a dropped transaction is sent again, once**, only if its nonce is still unused and
  the step's own "already done" check (``still_needed``) says it is not done;
- the node's passing faults are retried with backoff by :class:`~offchain.chain.rpc.Rpc`.
"""

from __future__ import annotations

import fcntl
import json
import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from offchain import config
from offchain._fs import write_json_atomic
from offchain.chain.rpc import NodeError, Rpc
from offchain.errors import ProdnetError

POLL = 0.25  # seconds between looks at a transaction in flight
#: A replacement must pay at least this much more than the transaction it replaces (geth's
#: pool asks for 10 %; a little more clears every client's rule).
BUMP = 1.125
CANCEL_GAS = 21_000


class SendError(ProdnetError):
    """A transaction could not be sent, or was lost; the message says what to do."""


class FeeCapError(SendError):
    """The fee cap is below what the chain charges now: nothing was sent."""


class PendingError(SendError):
    """The transaction is still pending after the bound: the command stops waiting."""


# -- fees ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Fees:
    """Wei per gas: the cap (max fee) and the tip (max priority fee) of a transaction."""

    max_fee: int
    tip: int

    def text(self) -> str:
        return f"fee cap {gwei(self.max_fee)}, tip {gwei(self.tip)}"


def gwei(wei: int) -> str:
    """WEI in gwei, exactly: '30 gwei', '2.248552232 gwei'."""
    value = f"{Decimal(wei) / 10**9:.9f}".rstrip("0").rstrip(".")
    return f"{value} gwei"


_chosen: dict[str, int | None] = {"max_fee": None, "priority_fee": None}


def use_fees(max_fee: int | None = None, priority_fee: int | None = None) -> None:
    """The fee cap and tip this process's commands chose (--max-fee, --priority-fee); None
    leaves the network's default (config) or the node's suggestion."""
    if max_fee is not None:
        _chosen["max_fee"] = max_fee
    if priority_fee is not None:
        _chosen["priority_fee"] = priority_fee


def reset_fees() -> None:
    """Back to the network's default fees (a long-running process between actions; tests)."""
    _chosen.update(max_fee=None, priority_fee=None)


def _chosen_cap() -> int | None:
    return _chosen["max_fee"] if _chosen["max_fee"] is not None else config.max_fee()


def _chosen_tip() -> int | None:
    return _chosen["priority_fee"] if _chosen["priority_fee"] is not None else config.priority_fee()


def next_base_fee(rpc: Rpc) -> int:
    """The base fee of the next block (eth_feeHistory's last entry)."""
    history = rpc.request("eth_feeHistory", "0x1", "latest", [])
    return int(history["baseFeePerGas"][-1], 16)


def _suggested_tip() -> int:
    """The node's suggested tip, through Ape's web3 (whose middleware answers 0 on the
    members' network: see session.adapt_provider)."""
    from ape import networks

    from offchain.chain.session import adapt_provider

    adapt_provider()
    return int(networks.provider.web3.eth.max_priority_fee)


def fees_now(rpc: Rpc, at_least: Fees | None = None) -> Fees:
    """The fees to send with now: the chosen cap (refused if below the next base fee) or
    twice the base fee plus the tip; the chosen tip or the node's. AT_LEAST (a replaced
    transaction's fees) raises both by BUMP unless a cap was chosen."""
    base = next_base_fee(rpc)
    tip = _chosen_tip()
    tip = _suggested_tip() if tip is None else tip
    cap = _chosen_cap()
    if at_least is not None:
        tip = max(tip, math.ceil(at_least.tip * BUMP))
    if cap is None:
        cap = 2 * base + tip
        if at_least is not None:
            cap = max(cap, math.ceil(at_least.max_fee * BUMP))
    elif cap < base:
        raise FeeCapError(
            f"the fee cap {gwei(cap)} is below the next block's base fee of {gwei(base)}: nothing was "
            "sent; raise --max-fee (or PRODNET_MAX_FEE), or wait for the base fee to fall"
        )
    if at_least is not None and (cap < math.ceil(at_least.max_fee * BUMP)):
        raise FeeCapError(
            f"a replacement must pay at least {gwei(math.ceil(at_least.max_fee * BUMP))} (the fee cap "
            f"{gwei(at_least.max_fee)} it replaces, plus 12.5 %): give a higher --max-fee"
        )
    return Fees(cap, min(tip, cap))


# -- the record of transactions in flight ------------------------------------------------------
@dataclass
class InFlight:
    """A transaction sent and not yet seen mined (its replacements' hashes after it)."""

    step: str
    nonce: int
    to: str | None
    data: str
    value: int
    gas: int
    max_fee: int
    tip: int
    hashes: list[str] = field(default_factory=list)

    @property
    def hash(self) -> str:
        return self.hashes[-1]

    @property
    def fees(self) -> Fees:
        return Fees(self.max_fee, self.tip)

    def same_call(self, call: Call) -> bool:
        return (self.to or "").lower() == (call.to or "").lower() and self.data == _hex(call.data) and (
            self.value == call.value
        )


class Book:
    """The transactions in flight of ADDRESS on chain CHAIN_ID, and its nonce lock."""

    def __init__(self, chain_id: int, address: str) -> None:
        self.address = address
        name = f"{chain_id}-{address.lower()}"
        self.folder = config.home() / "pending" / name
        self.lock_path = config.home() / "locks" / f"{name}.lock"

    @contextmanager
    def lock(self) -> Iterator[None]:
        """The account's nonce lock on this chain, shared by every prodnet process on this home."""
        self.lock_path.parent.mkdir(parents=True, exist_ok=True)
        with self.lock_path.open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _path(self, nonce: int) -> Path:
        return self.folder / f"{nonce}.json"

    def save(self, entry: InFlight) -> None:
        write_json_atomic(self._path(entry.nonce), asdict(entry))

    def load(self, nonce: int) -> InFlight | None:
        try:
            return InFlight(**json.loads(self._path(nonce).read_text()))
        except (OSError, ValueError, TypeError):
            return None

    def remove(self, nonce: int) -> None:
        self._path(nonce).unlink(missing_ok=True)

    def entries(self) -> list[InFlight]:
        if not self.folder.is_dir():
            return []
        found = [self.load(int(p.stem)) for p in self.folder.glob("*.json") if p.stem.isdigit()]
        return sorted((e for e in found if e is not None), key=lambda e: e.nonce)

    def with_hash(self, tx_hash: str) -> InFlight | None:
        return next((e for e in self.entries() if tx_hash.lower() in (h.lower() for h in e.hashes)), None)


# -- talking to the node ----------------------------------------------------------------------
def node() -> Rpc:
    """The connected node, for the sending path (short time-outs, retries: config)."""
    from ape import networks

    return Rpc(str(networks.provider.uri), timeout=config.rpc_timeout())


def _chain_id() -> int:
    from ape import networks

    return int(networks.provider.chain_id)


def _hex(data: bytes) -> str:
    return "0x" + bytes(data).hex()


def _tx_hash(txn: Any) -> str:
    text = bytes(txn.txn_hash).hex()
    return text if text.startswith("0x") else "0x" + text


def _receipt(rpc: Rpc, tx_hash: str) -> dict[str, Any] | None:
    return rpc.request("eth_getTransactionReceipt", tx_hash)  # type: ignore[no-any-return]


def _known(rpc: Rpc, tx_hash: str) -> bool:
    return rpc.request("eth_getTransactionByHash", tx_hash) is not None


def _nonce(rpc: Rpc, address: str, block: str = "latest") -> int:
    return int(rpc.request("eth_getTransactionCount", address, block), 16)


# -- sending ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Call:
    """What to send: TO (None: a contract creation), DATA and VALUE, and BUILD, which makes
    Ape's prepared, unsigned transaction of it with the given nonce and fees (gas estimated
    now: a step the chain would refuse fails there, before anything is sent)."""

    to: str | None
    data: bytes
    value: int
    build: Callable[[dict[str, int]], Any]


def transact(
    account: Any, call: Call, step: str, still_needed: Callable[[], bool] | None = None
) -> str | None:
    """Send CALL as ACCOUNT and wait for it to be mined; its transaction hash, or None if it
    was dropped and STILL_NEEDED() then said the step is done (by another transaction)."""
    rpc = node()
    book = Book(_chain_id(), str(account.address))
    with book.lock():
        waiting = _in_flight(rpc, book, call)
        if waiting is None:
            fees = fees_now(rpc)
            nonce = _next_nonce(rpc, book)
            waiting = _sign_and_send(rpc, book, account, call, step, nonce, fees)
    return _await(rpc, book, account, call, waiting, still_needed)


def _in_flight(rpc: Rpc, book: Book, call: Call) -> InFlight | None:
    """Forget the records of transactions mined or replaced since; the one still in flight
    that sends CALL, if any (a re-run of its step waits for it)."""
    used = _nonce(rpc, book.address)
    same = None
    for entry in book.entries():
        if any(_receipt(rpc, h) for h in entry.hashes) or entry.nonce < used:
            book.remove(entry.nonce)
        elif entry.same_call(call) and same is None:
            same = entry
    return same


def _next_nonce(rpc: Rpc, book: Book) -> int:
    """The node's pending count, or past every recorded transaction the node still holds."""
    nonce = _nonce(rpc, book.address, "pending")
    for entry in book.entries():
        if entry.nonce >= nonce and any(_known(rpc, h) for h in entry.hashes):
            nonce = entry.nonce + 1
    return nonce


def _sign_and_send(
    rpc: Rpc, book: Book, account: Any, call: Call, step: str, nonce: int, fees: Fees
) -> InFlight:
    """Build, sign, record (before the node sees it) and broadcast CALL at NONCE."""
    txn = call.build({"nonce": nonce, "max_fee": fees.max_fee, "max_priority_fee": fees.tip})
    gas = int(txn.gas_limit)
    entry = InFlight(step, nonce, call.to, _hex(call.data), call.value, gas, fees.max_fee, fees.tip)
    return _broadcast(rpc, book, account, txn, entry)


def _broadcast(rpc: Rpc, book: Book, account: Any, txn: Any, entry: InFlight) -> InFlight:
    signed = account.sign_transaction(txn)
    if signed is None:
        raise SendError(f"{entry.step}: the account did not sign the transaction; nothing was sent")
    tx_hash = _tx_hash(signed)
    entry.hashes.append(tx_hash)
    book.save(entry)
    try:
        rpc.request("eth_sendRawTransaction", _hex(signed.serialize_transaction()))
    except NodeError as exc:
        # a time-out may come after the node took it: then it knows the hash
        if _known(rpc, tx_hash):
            return entry
        entry.hashes.pop()
        if entry.hashes:
            book.save(entry)
        else:
            book.remove(entry.nonce)
        raise SendError(f"{entry.step}: the transaction was not sent: {exc}") from None
    return entry


def _await(
    rpc: Rpc,
    book: Book,
    account: Any,
    call: Call,
    entry: InFlight,
    still_needed: Callable[[], bool] | None,
) -> str | None:
    """Wait (bounded) for ENTRY or a replacement of it to be mined; send it again once if
    the node dropped it and the step is still needed."""
    deadline = time.monotonic() + config.pending_timeout()
    resent = False
    while True:
        entry = book.load(entry.nonce) or entry  # a speed-up adds its hash
        for tx_hash in reversed(entry.hashes):
            receipt = _receipt(rpc, tx_hash)
            if receipt:
                book.remove(entry.nonce)
                if (receipt.get("to") or "").lower() != (call.to or "").lower():
                    raise SendError(
                        f"{entry.step}: transaction {entry.hashes[0]} (nonce {entry.nonce}) was cancelled by "
                        f"{tx_hash}; the step was not done: run it again if it is still wanted"
                    )
                return tx_hash
        if not any(_known(rpc, h) for h in entry.hashes):
            if _nonce(rpc, book.address) > entry.nonce:
                if any(_receipt(rpc, h) for h in entry.hashes):
                    continue  # mined between the two looks
                book.remove(entry.nonce)
                if still_needed is not None and not still_needed():
                    return None  # the transaction that took the nonce did the step
                raise SendError(
                    f"{entry.step}: transaction {entry.hash} (nonce {entry.nonce}) was replaced by another "
                    f"transaction of {book.address} with the same nonce; run the step again: it checks "
                    "whether it is done"
                )
            if resent:
                book.remove(entry.nonce)
                raise SendError(
                    f"{entry.step}: transaction {entry.hash} (nonce {entry.nonce}) was dropped by the node "
                    "again after being sent a second time; nothing is pending: check the fee cap "
                    "(--max-fee) and run the step again"
                )
            if still_needed is not None and not still_needed():
                book.remove(entry.nonce)
                return None
            try:
                fees = fees_now(rpc)
            except FeeCapError as exc:
                book.remove(entry.nonce)
                raise FeeCapError(
                    f"{entry.step}: transaction {entry.hash} (nonce {entry.nonce}) was dropped by the "
                    f"node and is not sent again: {exc}"
                ) from None
            with book.lock():
                entry = _sign_and_send(rpc, book, account, call, entry.step, entry.nonce, fees)
            resent = True
            deadline = time.monotonic() + config.pending_timeout()
            continue
        if time.monotonic() > deadline:
            raise PendingError(
                f"{entry.step}: transaction {entry.hash} (nonce {entry.nonce}, {entry.fees.text()}) is still "
                f"pending after {config.pending_timeout()} s; run the step again to wait for it, or replace "
                f"it: 'ape run order speed-up {entry.hash}' (a higher fee) or 'ape run order cancel-tx "
                f"{entry.hash}'"
            )
        time.sleep(POLL)


# -- replacing a transaction in flight ----------------------------------------------------------
@dataclass(frozen=True)
class Replaced:
    """A pending transaction replaced: the old and new hashes, the nonce, the new fees, and
    whether the replacement was mined before the command stopped waiting."""

    old: str
    new: str
    nonce: int
    fees: Fees
    mined: bool

    def line(self, verb: str) -> str:
        state = "mined" if self.mined else "pending"
        return (
            f"{verb} transaction {self.old} (nonce {self.nonce}) with {self.new} ({self.fees.text()}), "
            f"{state}"
        )


def replace(account: Any, tx_hash: str, cancel: bool = False) -> Replaced:
    """Send ACCOUNT's pending transaction TX_HASH again with the same nonce and a higher fee
    (CANCEL: a zero-value transfer to itself instead, which spends the nonce and does
    nothing), then wait (bounded) for the replacement to be mined."""
    from ape import networks

    rpc = node()
    book = Book(_chain_id(), str(account.address))
    with book.lock():
        entry, old = _replaceable(rpc, book, tx_hash)
        fees = fees_now(rpc, at_least=old)
        if cancel:
            entry.to, entry.data, entry.value, entry.gas = book.address, "0x", 0, CANCEL_GAS
        entry.max_fee, entry.tip = fees.max_fee, fees.tip
        txn = networks.provider.network.ecosystem.create_transaction(
            chain_id=_chain_id(),
            sender=book.address,
            receiver=entry.to,
            data=bytes.fromhex(entry.data.removeprefix("0x")),
            value=entry.value,
            nonce=entry.nonce,
            gas_limit=entry.gas,
            max_fee=fees.max_fee,
            max_priority_fee=fees.tip,
            type=2,
        )
        entry = _broadcast(rpc, book, account, txn, entry)
    deadline = time.monotonic() + config.pending_timeout()
    while time.monotonic() <= deadline:
        if _receipt(rpc, entry.hash):  # the record stays for a command still waiting on it
            return Replaced(tx_hash, entry.hash, entry.nonce, fees, True)
        time.sleep(POLL)
    return Replaced(tx_hash, entry.hash, entry.nonce, fees, False)


def _replaceable(rpc: Rpc, book: Book, tx_hash: str) -> tuple[InFlight, Fees]:
    """The record of pending transaction TX_HASH of the book's account (made from the node's
    copy if prodnet did not send it), and the fees it pays."""
    raw = rpc.request("eth_getTransactionByHash", tx_hash)
    if raw is None:
        raise SendError(f"the node does not know transaction {tx_hash}: check the hash (or it was dropped)")
    if str(raw["from"]).lower() != book.address.lower():
        raise SendError(
            f"transaction {tx_hash} was sent by {raw['from']}, not by {book.address}: name its --account"
        )
    if raw.get("blockNumber") is not None:
        raise SendError(f"transaction {tx_hash} is already mined, in block {int(raw['blockNumber'], 16)}")
    nonce = int(raw["nonce"], 16)
    cap = int(raw.get("maxFeePerGas") or raw["gasPrice"], 16)
    old = Fees(cap, int(raw.get("maxPriorityFeePerGas") or "0x0", 16))
    entry = book.load(nonce) or InFlight(
        "transaction", nonce, raw.get("to"), str(raw.get("input") or "0x"), int(raw["value"], 16),
        int(raw["gas"], 16), old.max_fee, old.tip, [tx_hash],
    )
    return entry, old
