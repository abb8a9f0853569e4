"""Encode calls and decode logs and return data from a contract's ABI, with eth_abi alone.

The fast read path (``offchain.chain.rpc`` and the market index) uses this instead of
Ape's contract objects: decoding a log here takes microseconds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from eth_abi import decode, encode
from eth_utils import keccak, to_checksum_address

from offchain.chain.rpc import RawLog
from offchain.errors import ProdnetError


class AbiError(ProdnetError):
    """A log or return value does not match the contract's ABI."""


def _type(param: Mapping[str, Any]) -> str:
    kind = str(param["type"])
    if kind.startswith("tuple"):
        inner = ",".join(_type(c) for c in param.get("components", []))
        return f"({inner}){kind[len('tuple') :]}"
    return kind


def _value(param: Mapping[str, Any], value: Any) -> Any:
    """A decoded value as plain Python: checksummed addresses, dicts for structs."""
    kind = str(param["type"])
    if kind == "address":
        return to_checksum_address(value)
    if kind == "tuple":
        return {c["name"]: _value(c, v) for c, v in zip(param["components"], value, strict=True)}
    if kind.endswith("]") and isinstance(value, list | tuple):
        element = {**param, "type": kind[: kind.rindex("[")]}
        return [_value(element, v) for v in value]
    return value


@dataclass(frozen=True)
class Event:
    name: str
    inputs: tuple[Mapping[str, Any], ...]

    @property
    def signature(self) -> str:
        return f"{self.name}({','.join(_type(p) for p in self.inputs)})"

    @property
    def topic(self) -> bytes:
        return keccak(text=self.signature)

    def decode(self, log: RawLog) -> dict[str, Any]:
        indexed = [p for p in self.inputs if p.get("indexed")]
        plain = [p for p in self.inputs if not p.get("indexed")]
        if len(log.topics) != len(indexed) + 1:
            raise AbiError(f"log {log.tx_hash}:{log.log_index} does not match event {self.signature}")
        args: dict[str, Any] = {}
        for param, topic in zip(indexed, log.topics[1:], strict=True):
            args[param["name"]] = _value(param, decode([_type(param)], topic)[0])
        values = decode([_type(p) for p in plain], log.data)
        for param, value in zip(plain, values, strict=True):
            args[param["name"]] = _value(param, value)
        return args


@dataclass(frozen=True)
class Function:
    name: str
    inputs: tuple[Mapping[str, Any], ...]
    outputs: tuple[Mapping[str, Any], ...]

    @property
    def selector(self) -> bytes:
        return keccak(text=f"{self.name}({','.join(_type(p) for p in self.inputs)})")[:4]

    def encode(self, *args: Any) -> bytes:
        return self.selector + encode([_type(p) for p in self.inputs], list(args))

    def decode(self, data: bytes) -> Any:
        values = decode([_type(p) for p in self.outputs], data)
        out = [_value(p, v) for p, v in zip(self.outputs, values, strict=True)]
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
