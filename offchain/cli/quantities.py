"""Parse what operators type (mm, cm3, ether, ISO dates, durations) into chain units.

Chain units (docs/DESIGN.md, "Units and encodings"): lengths in micrometres (uint32), volumes in
mm3 (uint64), times in unix seconds (uint40), prices in wei (or token base units) per cm3 (uint96).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from offchain.errors import ProdnetError


class QuantityError(ProdnetError):
    """A number, size, price or time the user typed could not be read."""


_LENGTH_UNITS = {"um": Decimal(1), "mm": Decimal(1000), "cm": Decimal(10_000), "m": Decimal(1_000_000)}
_VOLUME_UNITS = {"mm3": Decimal(1), "cm3": Decimal(1000), "l": Decimal(1_000_000)}
_DURATION_UNITS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}
# the chain stores times as uint40 unix seconds; dates are shown up to the end of year 9999 (< 2**40)
TIME_MAX = 253_402_300_799
AMOUNT_MAX = 2**96 - 1  # prices per cm3 are uint96 base units
_NUMBER = r"([0-9]+(?:\.[0-9]*)?|\.[0-9]+)"


def _decimal(text: str, what: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise QuantityError(f"{what}: {text!r} is not a number") from None
    if not value.is_finite() or value < 0:
        raise QuantityError(f"{what}: {text!r} must be a finite number >= 0")
    return value


def _ceil(value: Decimal) -> int:
    return int(value.to_integral_value(rounding="ROUND_CEILING"))


def length_um(text: str, default_unit: str = "mm") -> int:
    """'12.5' (mm), '12.5mm', '3cm', '800um' -> micrometres (rounded up)."""
    match = re.fullmatch(rf"\s*{_NUMBER}\s*([a-z]*)\s*", text.lower())
    if not match:
        raise QuantityError(f"length {text!r}: expected a number with an optional unit (um, mm, cm, m)")
    unit = match.group(2) or default_unit
    if unit not in _LENGTH_UNITS:
        raise QuantityError(f"length {text!r}: unknown unit {unit!r} (use um, mm, cm or m)")
    value = _ceil(_decimal(match.group(1), "length") * _LENGTH_UNITS[unit])
    if value <= 0 or value >= 2**32:
        raise QuantityError(f"length {text!r}: must be more than 0 and less than 4294 m")
    return value


def dims_um(text: str, default_unit: str = "mm") -> tuple[int, int, int]:
    """'250x250x300' or '250,250,300mm' -> three lengths in micrometres."""
    unit_match = re.search(r"([a-z]+)\s*$", text.lower())
    unit = unit_match.group(1) if unit_match else default_unit
    body = text.lower()[: unit_match.start()] if unit_match else text
    parts = [p for p in re.split(r"[x,*\s]+", body.strip()) if p]
    if len(parts) != 3:
        raise QuantityError(f"dimensions {text!r}: expected X x Y x Z, e.g. 250x250x300mm")
    x, y, z = (length_um(p, unit) for p in parts)
    return x, y, z


def volume_mm3(text: str, default_unit: str = "cm3") -> int:
    """'1200' (cm3), '1200cm3', '50000mm3', '2l' -> cubic millimetres (rounded up)."""
    match = re.fullmatch(rf"\s*{_NUMBER}\s*([a-z0-9]*)\s*", text.lower())
    if not match:
        raise QuantityError(f"volume {text!r}: expected a number with an optional unit (mm3, cm3, l)")
    unit = match.group(2) or default_unit
    if unit not in _VOLUME_UNITS:
        raise QuantityError(f"volume {text!r}: unknown unit {unit!r} (use mm3, cm3 or l)")
    value = _ceil(_decimal(match.group(1), "volume") * _VOLUME_UNITS[unit])
    if value <= 0 or value >= 2**64:
        raise QuantityError(f"volume {text!r}: must be more than 0")
    return value


def token_amount(text: str, decimals: int = 18, symbol: str = "ether") -> int:
    """'0.01' or '0.01 ether' or '5 gwei' or '123 wei' -> base units (exact)."""
    match = re.fullmatch(rf"\s*{_NUMBER}\s*([a-z]*)\s*", text.lower())
    if not match:
        raise QuantityError(f"amount {text!r}: expected a number, e.g. 0.01 or 0.01 {symbol}")
    unit = match.group(2)
    scale = {"": decimals, "wei": 0, "gwei": 9, "ether": 18, "eth": 18, symbol.lower(): decimals}
    if unit not in scale:
        raise QuantityError(f"amount {text!r}: unknown unit {unit!r} (use {symbol}, gwei or wei)")
    value = _decimal(match.group(1), "amount") * (Decimal(10) ** scale[unit])
    if value != value.to_integral_value():
        raise QuantityError(f"amount {text!r}: more decimals than the token has ({scale[unit]})")
    if value > AMOUNT_MAX:
        raise QuantityError(
            f"amount {text!r}: too large, the chain stores at most {AMOUNT_MAX} base units "
            f"(about {AMOUNT_MAX / 10**decimals:.4g} {symbol})"
        )
    return int(value)


def duration_s(text: str) -> int:
    """'90s', '15m', '36h', '7d', '2w', '1d12h' -> seconds."""
    parts = re.findall(r"([0-9]+)\s*(min|[smhdw])", text.lower())
    if not parts or re.sub(r"[0-9]+\s*(min|[smhdw])|\s", "", text.lower()):
        raise QuantityError(f"duration {text!r}: expected e.g. 90s, 15m, 36h, 7d, 2w or 1d12h")
    seconds = sum(int(n) * _DURATION_UNITS[u] for n, u in parts)
    if seconds > TIME_MAX:
        raise QuantityError(
            f"duration {text!r}: too long, times must stay before the year 10000 ({TIME_MAX} s)"
        )
    return seconds


def timestamp(text: str, now: int) -> int:
    """An ISO date/time ('2026-12-01', '2026-12-01T10:00', UTC unless an offset is given),
    '+DURATION' relative to NOW, or 'now' -> unix seconds."""
    text = text.strip()
    if text == "now":
        return now
    if text.startswith("+"):
        return _on_chain(now + duration_s(text[1:]), text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise QuantityError(
            f"time {text!r}: expected an ISO date such as 2026-12-01 or 2026-12-01T10:00, "
            "'now', or a duration after now such as +7d"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return _on_chain(int(moment.timestamp()), text)


def _on_chain(seconds: int, text: str) -> int:
    if not 0 <= seconds <= TIME_MAX:
        raise QuantityError(
            f"time {text!r}: outside what the chain stores (1970 to the end of year 9999); "
            "give a nearer date or a shorter +DURATION"
        )
    return seconds
