"""Encode calls and decode logs and return data from a contract's ABI.

The fast read path (``offchain.chain.rpc`` and the market index) uses this instead of
Ape's contract objects. Decoders are compiled once per event and function into plain
slicing of 32-byte words (static types, and top-level ``bytes``/``string``); anything
else falls back to eth_abi. Addresses come out checksummed (EIP-55), memoized: a market
has few distinct accounts and thousands of logs naming them.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_utils import keccak, to_checksum_address

from offchain.chain.rpc import RawLog
from offchain.errors import ProdnetError

Decoder = Callable[[bytes, int], Any]  # (data, offset of its head word) -> value


class AbiError(ProdnetError):
    """A log or return value does not match the contract's ABI."""


@functools.lru_cache(maxsize=65_536)
def checksum(raw20: bytes) -> str:
    return to_checksum_address(raw20)


def _type(param: Mapping[str, Any]) -> str:
    kind = str(param["type"])
    if kind.startswith("tuple"):
        inner = ",".join(_type(c) for c in param.get("components", []))
        return f"({inner}){kind[len('tuple') :]}"
    return kind


def _words(param: Mapping[str, Any]) -> int | None:
    """Head size of a static PARAM in words; None if it is dynamic."""
    kind = str(param["type"])
    array = re.fullmatch(r"(.*)\[(\d+)\]", kind)
    if array:
        inner = _words({**param, "type": array.group(1)})
        return None if inner is None else inner * int(array.group(2))
    if kind == "tuple":
        sizes = [_words(c) for c in param["components"]]
        return None if any(s is None for s in sizes) else sum(s for s in sizes if s is not None)
    if kind in ("bytes", "string") or kind.endswith("[]"):
        return None
    return 1


def _compile(param: Mapping[str, Any]) -> Decoder:
    """A decoder of PARAM at a head offset (static types; bytes/string read through the offset)."""
    kind = str(param["type"])
    array = re.fullmatch(r"(.*)\[(\d+)\]", kind)
    if array:
        element = {**param, "type": array.group(1)}
        inner, size = _compile(element), (_words(element) or 1) * 32
        count = int(array.group(2))
        return lambda data, at: [inner(data, at + i * size) for i in range(count)]
    if kind == "tuple":
        parts, at_word = [], 0
        for c in param["components"]:
            parts.append((c["name"], _compile(c), at_word * 32))
            at_word += _words(c) or 1
        return lambda data, at: {name: dec(data, at + off) for name, dec, off in parts}
    if kind.startswith("uint"):
        return lambda data, at: int.from_bytes(data[at : at + 32], "big")
    if kind.startswith("int"):
        return lambda data, at: int.from_bytes(data[at : at + 32], "big", signed=True)
    if kind == "address":
        return lambda data, at: checksum(bytes(data[at + 12 : at + 32]))
    if kind == "bool":
        return lambda data, at: data[at + 31] != 0
    if re.fullmatch(r"bytes\d+", kind):
        n = int(kind[5:])
        return lambda data, at: bytes(data[at : at + n])
    if kind in ("bytes", "string"):

        def dynamic(data: bytes, at: int) -> Any:
            start = int.from_bytes(data[at : at + 32], "big")
            length = int.from_bytes(data[start : start + 32], "big")
            raw = bytes(data[start + 32 : start + 32 + length])
            return raw.decode("utf-8", errors="replace") if kind == "string" else raw

        return dynamic
    slow = _type(param)
    return lambda data, at: abi_decode([slow], data[at:])[0]  # pragma: no cover - not in our ABIs


def _fast(params: Iterable[Mapping[str, Any]]) -> bool:
    """True if every param is static, or a top-level bytes/string."""
    return all(_words(p) is not None or str(p["type"]) in ("bytes", "string") for p in params)


def _sequence(params: tuple[Mapping[str, Any], ...]) -> Callable[[bytes], list[Any]]:
    """A decoder of PARAMS laid out as a tuple (return data, log data)."""
    if not _fast(params):
        types = [_type(p) for p in params]
        return lambda data: list(abi_decode(types, data))
    parts, at_word = [], 0
    for p in params:
        parts.append((_compile(p), at_word * 32))
        at_word += _words(p) or 1
    size = at_word * 32

    def decode(data: bytes) -> list[Any]:
        if len(data) < size:
            raise AbiError(f"{len(data)} bytes of data, the ABI needs at least {size}")
        return [dec(data, off) for dec, off in parts]

    return decode


class Event:
    """One event: its topic and a compiled decoder of its logs into {arg: value}."""

    def __init__(self, name: str, inputs: tuple[Mapping[str, Any], ...]) -> None:
        self.name = name
        self.inputs = inputs
        self.signature = f"{name}({','.join(_type(p) for p in inputs)})"
        self.topic = keccak(text=self.signature)
        self._indexed = [(p["name"], _compile(p)) for p in inputs if p.get("indexed")]
        plain = tuple(p for p in inputs if not p.get("indexed"))
        self._plain_names = [p["name"] for p in plain]
        self._plain = _sequence(plain)

    def decode(self, log: RawLog) -> dict[str, Any]:
        if len(log.topics) != len(self._indexed) + 1:
            raise AbiError(f"log {log.tx_hash}:{log.log_index} does not match event {self.signature}")
        args = {name: dec(topic, 0) for (name, dec), topic in zip(self._indexed, log.topics[1:], strict=True)}
        args.update(zip(self._plain_names, self._plain(log.data), strict=True))
        return args


class Function:
    """One function: its selector, an encoder of its arguments and a decoder of its result."""

    def __init__(
        self, name: str, inputs: tuple[Mapping[str, Any], ...], outputs: tuple[Mapping[str, Any], ...]
    ):
        self.name = name
        self.inputs = inputs
        self.outputs = outputs
        self._types = [_type(p) for p in inputs]
        self.selector = keccak(text=f"{name}({','.join(self._types)})")[:4]
        self._simple = all(re.fullmatch(r"uint\d*|address", t) for t in self._types)
        self._decode = _sequence(outputs)

    def encode(self, *args: Any) -> bytes:
        if self._simple:  # one word each: the common case (ids, accounts) without eth_abi
            words = [
                bytes.fromhex(a[2:]).rjust(32, b"\0") if t == "address" else int(a).to_bytes(32, "big")
                for t, a in zip(self._types, args, strict=True)
            ]
            return self.selector + b"".join(words)
        return self.selector + abi_encode(self._types, list(args))

    def decode(self, data: bytes) -> Any:
        out = self._decode(data)
        return out[0] if len(out) == 1 else out


class Abi:
    """The events (by topic) and functions (by name) of one or more contracts' ABIs."""

    def __init__(self, entries: Iterable[Mapping[str, Any]]) -> None:
        self.events: dict[bytes, Event] = {}
        self.functions: dict[str, Function] = {}
        for entry in entries:
            if entry.get("type") == "event":
                event = Event(entry["name"], tuple(entry.get("inputs", ())))
                self.events[event.topic] = event
            elif entry.get("type") == "function":
                self.functions[entry["name"]] = Function(
                    entry["name"], tuple(entry.get("inputs", ())), tuple(entry.get("outputs", ()))
                )

    def decode_log(self, log: RawLog) -> tuple[str, dict[str, Any]] | None:
        """(event name, args) of LOG, or None if no event of this ABI has its topic."""
        if not log.topics:
            return None
        event = self.events.get(log.topics[0])
        return None if event is None else (event.name, event.decode(log))

    def topic(self, name: str) -> bytes:
        for topic, event in self.events.items():
            if event.name == name:
                return topic
        raise KeyError(name)


def abi_of(contract: Any) -> list[dict[str, Any]]:
    """The ABI (JSON dicts) of an Ape contract instance or container."""
    contract_type = contract.contract_type
    return [entry.model_dump(by_alias=True, mode="json") for entry in contract_type.abi]
