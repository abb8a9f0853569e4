"""A thin, fast JSON-RPC driver for the state machines.

Ape deploys the contracts and owns the chain (snapshots, accounts); the thousands of
transactions a property run sends go straight through the provider's JSON-RPC:

- every transaction is mined at a timestamp the model chose (``evm_setNextBlockTimestamp``),
  so the model knows ``block.timestamp`` to the second;
- a transaction is sent with a fixed gas limit (no estimation), so one the model expects to
  revert is mined and fails, like a wrong party's transaction on a real chain; its revert
  data comes from ``debug_traceTransaction`` and is decoded to the custom error;
- the fee of every transaction, failed or not, is read from its receipt, so account balances
  can be checked to the wei.

Ape's own revert path replays and prints a call trace for every failure (about 0.4 s each),
and each request through web3 + requests costs about 7 ms on this machine; a persistent
http.client connection to the same Anvil answers in about 0.3 ms.
"""

from __future__ import annotations

import functools
import http.client
import itertools
import json
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

from eth_abi import decode, encode
from eth_utils import keccak, to_checksum_address

GAS_LIMIT = 3_000_000
MAX_FEE = 50 * 10**9
PANIC = keccak(text="Panic(uint256)")[:4]
ERROR_STRING = keccak(text="Error(string)")[:4]


@dataclass(frozen=True)
class Revert:
    """A decoded revert: a custom error's name and arguments, a panic or a reason string."""

    name: str
    args: tuple[Any, ...] = ()

    def __str__(self) -> str:
        return f"{self.name}{self.args!r}"


@dataclass(frozen=True)
class Log:
    address: str
    event: str
    args: dict[str, Any]


@dataclass(frozen=True)
class TxResult:
    ok: bool
    revert: Revert | None
    fee: int
    timestamp: int
    logs: list[Log] = field(default_factory=list)

    @property
    def error(self) -> str | None:
        return self.revert.name if self.revert else None


@dataclass(frozen=True)
class Read:
    method: str
    params: list[Any]
    decode: Callable[[str], Any]


def _types(params: Sequence[Any]) -> list[str]:
    return [p.canonical_type for p in params]


def _checksummed(value: Any) -> Any:
    """eth_abi decodes addresses in lower case; use the checksummed form everywhere."""
    if isinstance(value, tuple):
        return tuple(_checksummed(v) for v in value)
    if isinstance(value, str) and len(value) == 42 and value.startswith("0x"):
        return _checksum(value)
    return value


@functools.lru_cache(maxsize=1024)
def _checksum(address: str) -> str:
    return to_checksum_address(address)


def _decode(types: list[str], data: bytes) -> tuple[Any, ...]:
    return _checksummed(tuple(decode(types, data)))


class Interface:
    """Encoders and decoders built from one ape ContractInstance's ABI."""

    def __init__(self, contract: Any) -> None:
        self.address: str = contract.address
        ctype = contract.contract_type
        self.methods: dict[str, list[Any]] = {}
        for abi in [*ctype.mutable_methods, *ctype.view_methods]:
            self.methods.setdefault(abi.name, []).append(abi)
        self.errors: dict[bytes, Any] = {keccak(text=e.selector)[:4]: e for e in ctype.errors}
        self.events: dict[bytes, Any] = {keccak(text=e.selector): e for e in ctype.events}
        self._calldata: dict[tuple[str, tuple[Any, ...]], str] = {}

    def method(self, name: str, nargs: int) -> Any:
        found = [m for m in self.methods.get(name, []) if len(m.inputs) == nargs]
        if len(found) != 1:
            raise LookupError(f"{name}/{nargs}: {len(found)} ABI entries")
        return found[0]

    def calldata(self, name: str, args: Sequence[Any]) -> str:
        key = (name, tuple(args))
        if key not in self._calldata:
            abi = self.method(name, len(args))
            selector = keccak(text=abi.selector)[:4]
            self._calldata[key] = "0x" + (selector + encode(_types(abi.inputs), list(args))).hex()
        return self._calldata[key]


def raw_calldata(signature: str, types: Sequence[str], args: Sequence[Any]) -> str:
    """Calldata of SIGNATURE (e.g. "nameArbiter(uint256,address)") without an ABI entry."""
    return "0x" + (keccak(text=signature)[:4] + encode(list(types), list(args))).hex()


class RpcError(RuntimeError):
    pass


class JsonRpc:
    """Minimal JSON-RPC over one persistent HTTP connection."""

    def __init__(self, uri: str) -> None:
        url = urlparse(uri)
        self.host, self.port = url.hostname or "127.0.0.1", url.port or 80
        self.path = url.path or "/"
        self.ids = itertools.count(1)
        self.conn = self._connect()

    def _connect(self) -> http.client.HTTPConnection:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
        conn.connect()
        assert conn.sock is not None
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return conn

    def _post(self, payload: Any) -> Any:
        body = json.dumps(payload).encode()
        headers = {"Content-Type": "application/json"}
        for attempt in (1, 2):
            try:
                self.conn.request("POST", self.path, body, headers)
                return json.loads(self.conn.getresponse().read())
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()
                self.conn = self._connect()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def request(self, method: str, params: list[Any]) -> Any:
        reply = self._post({"jsonrpc": "2.0", "id": next(self.ids), "method": method,
                            "params": params})
        if "error" in reply:
            raise RpcError(f"{method}: {reply['error']}")
        return reply["result"]

    def batch(self, calls: Sequence[tuple[str, list[Any]]]) -> list[dict[str, Any]]:
        first = next(self.ids)
        payload = [{"jsonrpc": "2.0", "id": first + i, "method": m, "params": p}
                   for i, (m, p) in enumerate(calls)]
        self.ids = itertools.count(first + len(calls))
        replies = self._post(payload)
        if not isinstance(replies, list):
            raise RpcError(f"batch failed: {replies}")
        return sorted(replies, key=lambda r: r["id"])


class Driver:
    """Sends transactions and calls to a set of contracts through raw JSON-RPC."""

    def __init__(self, provider: Any, contracts: dict[str, Any]) -> None:
        self.client = JsonRpc(provider.http_uri)
        self.ifaces = {name: Interface(c) for name, c in contracts.items()}
        self.errors: dict[bytes, Any] = {}
        self.events: dict[tuple[str, bytes], tuple[str, Any]] = {}
        for name, iface in self.ifaces.items():
            self.errors.update(iface.errors)
            for topic, abi in iface.events.items():
                self.events[(iface.address.lower(), topic)] = (name, abi)

    def rpc(self, method: str, params: list[Any]) -> Any:
        return self.client.request(method, params)

    # -- chain ---------------------------------------------------------------------------
    def head_timestamp(self) -> int:
        return int(self.rpc("eth_getBlockByNumber", ["latest", False])["timestamp"], 16)

    def balance(self, address: str) -> int:
        return int(self.rpc("eth_getBalance", [address, "latest"]), 16)

    # -- calls ---------------------------------------------------------------------------
    def call(self, contract: str, name: str, *args: Any) -> Any:
        iface = self.ifaces[contract]
        abi = iface.method(name, len(args))
        out = self.rpc(
            "eth_call", [{"to": iface.address, "data": iface.calldata(name, args)}, "latest"]
        )
        values = _decode(_types(abi.outputs), bytes.fromhex(out[2:]))
        return values[0] if len(values) == 1 else values

    def read_call(self, contract: str, name: str, *args: Any) -> Read:
        """An eth_call for `batch`; its value is the decoded output, or None if it reverted."""
        iface = self.ifaces[contract]
        abi = iface.method(name, len(args))
        types = _types(abi.outputs)

        def decoder(out: str) -> Any:
            values = _decode(types, bytes.fromhex(out[2:]))
            return values[0] if len(values) == 1 else values

        params = [{"to": iface.address, "data": iface.calldata(name, args)}, "latest"]
        return Read("eth_call", params, decoder)

    @staticmethod
    def read_balance(address: str) -> Read:
        return Read("eth_getBalance", [address, "latest"], lambda out: int(out, 16))

    def batch(self, reads: Sequence[Read]) -> list[Any]:
        """Run many reads in one JSON-RPC batch (one HTTP round trip)."""
        if not reads:
            return []
        responses = self.client.batch([(r.method, r.params) for r in reads])
        values: list[Any] = []
        for read, response in zip(reads, responses, strict=True):
            if "error" in response:
                if read.method != "eth_call":
                    raise RuntimeError(f"{read.method} failed: {response['error']}")
                values.append(None)
            else:
                values.append(read.decode(response["result"]))
        return values

    # -- transactions --------------------------------------------------------------------
    def send(
        self,
        sender: str,
        contract: str,
        name: str,
        *args: Any,
        value: int = 0,
        timestamp: int,
        data: str | None = None,
    ) -> TxResult:
        """Send NAME(*ARGS) to CONTRACT, mined at TIMESTAMP; DATA, if given, is sent as the
        calldata instead (e.g. a selector the contract's ABI no longer has: raw_calldata)."""
        iface = self.ifaces[contract]
        tx = {
            "from": sender,
            "to": iface.address,
            "data": iface.calldata(name, args) if data is None else data,
            "value": hex(value),
            "gas": hex(GAS_LIMIT),
            "maxFeePerGas": hex(MAX_FEE),
            "maxPriorityFeePerGas": "0x0",
        }
        self.rpc("evm_setNextBlockTimestamp", [timestamp])
        txhash = self.rpc("eth_sendTransaction", [tx])
        receipt = self.rpc("eth_getTransactionReceipt", [txhash])
        while receipt is None:  # automine may answer before the block is sealed
            time.sleep(0.001)
            receipt = self.rpc("eth_getTransactionReceipt", [txhash])
        fee = int(receipt["gasUsed"], 16) * int(receipt["effectiveGasPrice"], 16)
        block = self.rpc("eth_getBlockByNumber", [receipt["blockNumber"], False])
        mined_at = int(block["timestamp"], 16)
        if int(receipt["status"], 16) == 1:
            return TxResult(True, None, fee, mined_at, self._logs(receipt["logs"]))
        trace = self.rpc("debug_traceTransaction", [txhash, {"tracer": "callTracer"}])
        return TxResult(False, self.decode_revert(trace.get("output") or "0x"), fee, mined_at)

    def decode_revert(self, output: str) -> Revert:
        data = bytes.fromhex(output[2:])
        if len(data) < 4:
            return Revert("<no revert data>")
        selector, body = data[:4], data[4:]
        if selector == PANIC:
            return Revert("Panic", tuple(decode(["uint256"], body)))
        if selector == ERROR_STRING:
            return Revert("Error", tuple(decode(["string"], body)))
        abi = self.errors.get(selector)
        if abi is None:
            return Revert(f"<unknown error 0x{selector.hex()}>")
        return Revert(abi.name, _decode(_types(abi.inputs), body))

    def _logs(self, raw: list[dict[str, Any]]) -> list[Log]:
        logs: list[Log] = []
        for entry in raw:
            topics = [bytes.fromhex(t[2:]) for t in entry["topics"]]
            key = (entry["address"].lower(), topics[0] if topics else b"")
            if key not in self.events:
                logs.append(Log(entry["address"], "<unknown>", {}))
                continue
            _, abi = self.events[key]
            indexed = [p for p in abi.inputs if p.indexed]
            plain = [p for p in abi.inputs if not p.indexed]
            args: dict[str, Any] = {}
            for param, topic in zip(indexed, topics[1:], strict=True):
                if param.canonical_type in ("string", "bytes") or "[" in param.canonical_type:
                    args[param.name] = topic  # hashed
                else:
                    args[param.name] = _decode([param.canonical_type], topic)[0]
            values = _decode(_types(plain), bytes.fromhex(entry["data"][2:]))
            args.update({p.name: v for p, v in zip(plain, values, strict=True)})
            logs.append(Log(to_checksum_address(entry["address"]), abi.name, args))
        return logs
