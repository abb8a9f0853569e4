"""A lean JSON-RPC client for the reads that must be fast: logs over block ranges, blocks,
and batches of ``eth_call`` (one HTTP request for hundreds of calls).

Ape's contract objects cost milliseconds per call; the market index reads tens of
thousands of structs, so it speaks JSON-RPC to the same node directly; the sending path
(``offchain.chain.sending``) broadcasts and follows transactions through it too. Errors
become :class:`NodeError` sentences; a node that refuses a large log range is asked again
with a smaller one (:meth:`Rpc.logs`). A provider's passing faults (HTTP 429 and 5xx,
time-outs, a dropped connection) are retried with a doubling backoff
(``config.rpc_retries``); a node that refuses the connection is not running, and is
reported at once.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import requests

from offchain import config
from offchain.errors import ProdnetError

#: Words in node errors that mean "ask for fewer blocks / results".
_TOO_LARGE = ("too many", "limit", "range", "exceed", "larger than", "max", "timeout", "timed out", "10000")
BATCH = 500  # calls per HTTP request
FIRST_BACKOFF = 0.25  # seconds before the first retry; each next one waits twice as long


class NodeError(ProdnetError):
    """The node could not be reached or refused a request."""


@dataclass(frozen=True)
class Block:
    number: int
    hash: str
    parent: str
    timestamp: int


@dataclass(frozen=True)
class RawLog:
    address: str
    topics: tuple[bytes, ...]
    data: bytes
    block: int
    block_hash: str
    tx_hash: str
    log_index: int


@dataclass(frozen=True)
class _Fault:
    """A request that failed: the sentence, and whether trying again may help."""

    message: str
    passing: bool = False


def _hex(n: int) -> str:
    return hex(int(n))


def _bytes(text: str) -> bytes:
    return bytes.fromhex(text[2:] if text.startswith("0x") else text)


class Rpc:
    """JSON-RPC over HTTP to URL, with keep-alive and batching."""

    def __init__(self, url: str, timeout: float = 60.0, retries: int | None = None) -> None:
        if not url.startswith(("http://", "https://")):
            raise NodeError(f"the node's URL {url!r} is not http(s): the market index needs an HTTP RPC")
        self.url = url
        self.timeout = timeout
        self.retries = config.rpc_retries() if retries is None else retries
        self._session = requests.Session()
        self._ids = itertools.count(1)

    # -- transport --------------------------------------------------------------------
    def _post(self, payload: Any, retries: int | None = None) -> Any:
        """POST PAYLOAD; a passing fault is retried (RETRIES times, default self.retries, the
        backoff doubling from FIRST_BACKOFF), then reported in one line naming the node and
        the fault."""
        tries = (self.retries if retries is None else retries) + 1
        for attempt in range(tries):
            fault = self._post_once(payload)
            if not isinstance(fault, _Fault):
                return fault
            if not fault.passing or attempt == tries - 1:
                after = f" (after {tries} tries)" if attempt else ""
                raise NodeError(f"{fault.message}{after}")
            time.sleep(FIRST_BACKOFF * 2**attempt)
        raise AssertionError("unreachable")

    def _post_once(self, payload: Any) -> Any:
        try:
            response = self._session.post(
                self.url,
                data=json.dumps(payload),
                headers={"Content-Type": "application/json"},
                timeout=self.timeout,
            )
        except requests.Timeout:
            return _Fault(f"the node at {self.url} timed out after {self.timeout:g} s", passing=True)
        except requests.ConnectionError as exc:
            refused = "refused" in str(exc).lower()
            return _Fault(
                f"the node at {self.url} cannot be reached ({type(exc).__name__}): is it running?",
                passing=not refused,
            )
        except requests.RequestException as exc:
            return _Fault(f"the node at {self.url} cannot be reached ({type(exc).__name__}): is it running?")
        if response.status_code != 200:
            passing = response.status_code == 429 or response.status_code >= 500
            return _Fault(
                f"the node at {self.url} answered HTTP {response.status_code}: {response.text[:200]}",
                passing=passing,
            )
        try:
            return response.json()
        except ValueError:
            return _Fault(f"the node at {self.url} answered something that is not JSON", passing=True)

    def request(self, method: str, *params: Any, retries: int | None = None) -> Any:
        answer = self._post(
            {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": list(params)}, retries
        )
        if "error" in answer:
            raise NodeError(
                f"{method} refused by the node: {answer['error'].get('message', answer['error'])}"
            )
        return answer["result"]

    def batch(self, calls: Sequence[tuple[str, list[Any]]]) -> list[Any]:
        """The results of CALLS (method, params) in order; errors come back as NodeError objects."""
        results: list[Any] = []
        for start in range(0, len(calls), BATCH):
            chunk = calls[start : start + BATCH]
            first = next(self._ids)
            payload = [
                {"jsonrpc": "2.0", "id": first + i, "method": m, "params": p}
                for i, (m, p) in enumerate(chunk)
            ]
            self._ids = itertools.count(first + len(chunk))
            answer = self._post(payload)
            if not isinstance(answer, list):
                raise NodeError(f"the node at {self.url} does not answer JSON-RPC batches")
            by_id = {item.get("id"): item for item in answer}
            for i in range(len(chunk)):
                item = by_id.get(first + i, {"error": {"message": "no answer"}})
                if "error" in item:
                    results.append(NodeError(str(item["error"].get("message", item["error"]))))
                else:
                    results.append(item["result"])
        return results

    # -- reads ------------------------------------------------------------------------
    def chain_id(self) -> int:
        return int(self.request("eth_chainId"), 16)

    def head(self) -> int:
        return int(self.request("eth_blockNumber"), 16)

    def block(self, number: int) -> Block | None:
        raw = self.request("eth_getBlockByNumber", _hex(number), False)
        return None if raw is None else _block(raw)

    def blocks(self, numbers: Sequence[int]) -> list[Block | None]:
        raws = self.batch([("eth_getBlockByNumber", [_hex(n), False]) for n in numbers])
        out: list[Block | None] = []
        for raw in raws:
            if isinstance(raw, NodeError):
                raise raw
            out.append(None if raw is None else _block(raw))
        return out

    def calls(self, requests_: Sequence[tuple[str, bytes]], block: int) -> list[bytes | NodeError]:
        """eth_call of each (to, calldata) at BLOCK; a revert comes back as a NodeError."""
        raws = self.batch(
            [("eth_call", [{"to": to, "data": "0x" + data.hex()}, _hex(block)]) for to, data in requests_]
        )
        return [raw if isinstance(raw, NodeError) else _bytes(raw) for raw in raws]

    def logs(
        self, addresses: Sequence[str], start: int, stop: int, step: int = 10_000
    ) -> Iterator[tuple[int, int, list[RawLog]]]:
        """Logs of ADDRESSES in blocks [START, STOP], as (first, last, logs) per range, oldest
        first. A range the node refuses (or times out on) is halved and asked again at once;
        another fault of a range is retried with backoff like any request."""
        first = start
        while first <= stop:
            last = min(stop, first + step - 1)
            query = {"address": list(addresses), "fromBlock": _hex(first), "toBlock": _hex(last)}
            try:
                raw = self.request("eth_getLogs", query, retries=0 if last > first else None)
            except NodeError as exc:
                if last == first:
                    raise
                if any(word in str(exc).lower() for word in _TOO_LARGE):
                    step = max(1, (last - first + 1) // 2)
                    continue
                raw = self.request("eth_getLogs", query)
            yield first, last, [_log(item) for item in raw]
            first = last + 1


def _block(raw: dict[str, Any]) -> Block:
    return Block(int(raw["number"], 16), raw["hash"], raw["parentHash"], int(raw["timestamp"], 16))


def _log(raw: dict[str, Any]) -> RawLog:
    return RawLog(
        address=raw["address"].lower(),
        topics=tuple(_bytes(t) for t in raw["topics"]),
        data=_bytes(raw["data"]),
        block=int(raw["blockNumber"], 16),
        block_hash=raw["blockHash"],
        tx_hash=raw["transactionHash"],
        log_index=int(raw["logIndex"], 16),
    )
