"""Click parameter types for what the chain stores: ids and counts as bounded whole numbers,
addresses as 0x + 40 hex. A bad value is refused while the command line is read, as one line."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import click

from offchain.cli.quantities import QuantityError, duration_s, token_amount

UINT32_MAX = 2**32 - 1


class ChainInt(click.ParamType):
    """A whole number from LOW to HIGH (the chain's integer type), e.g. an id or a quantity."""

    name = "integer"

    def __init__(self, low: int = 1, high: int = UINT32_MAX) -> None:
        self.low, self.high = low, high

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        else:
            text = str(value).strip()
            if not re.fullmatch(r"[+-]?[0-9]+", text):
                self.fail(f"{value!r}: must be a whole number from {self.low} to {self.high}", param, ctx)
            number = int(text)
        if not self.low <= number <= self.high:
            self.fail(f"{value}: must be a whole number from {self.low} to {self.high}", param, ctx)
        return number


class Address(click.ParamType):
    """An Ethereum address: 0x followed by 40 hex digits (returned as typed)."""

    name = "address"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = str(value).strip()
        if not re.fullmatch(r"0x[0-9a-fA-F]{40}", text):
            self.fail(f"{value!r} is not an address: give 0x followed by 40 hex digits", param, ctx)
        return text


class TxHash(click.ParamType):
    """A transaction hash: 0x followed by 64 hex digits (returned lower-case)."""

    name = "tx"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = str(value).strip()
        if not re.fullmatch(r"0x[0-9a-fA-F]{64}", text):
            self.fail(f"{value!r} is not a transaction hash: give 0x followed by 64 hex digits", param, ctx)
        return text.lower()


class Quantity(click.ParamType):
    """A value parsed by one of ``offchain.cli.quantities``' readers (an amount, a duration):
    refused while the command line is read, before any node is asked."""

    def __init__(self, name: str, parse: Callable[[str], int]) -> None:
        self.name, self.parse = name, parse

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        try:
            return self.parse(str(value))
        except QuantityError as exc:
            self.fail(str(exc), param, ctx)


ID = ChainInt(1, UINT32_MAX)
COUNT = ChainInt(1, UINT32_MAX)
ADDRESS = Address()
TX_HASH = TxHash()
#: An amount in ether (or 'N gwei', 'N wei', token units), as prices are typed: base units.
AMOUNT = Quantity("amount", token_amount)
#: A duration such as 90s, 36h, 7d, 2w: seconds.
DURATION = Quantity("duration", duration_s)
