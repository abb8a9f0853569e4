"""How chain quantities read in sentences: times, durations, amounts, sizes.

Every layer writes messages (the chain's refusals, the steps' summaries, the CLI's
tables), so these formats sit at the bottom of the house, next to the errors.
Parsing what users type is the CLI's job (``offchain.cli.quantities``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal


def format_time(seconds: int) -> str:
    """Unix seconds -> '2026-12-01 10:00 UTC'."""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M UTC")


def format_duration(seconds: int) -> str:
    """Seconds -> '3d 4h' style."""
    delta = timedelta(seconds=max(0, int(seconds)))
    days, rest = delta.days, delta.seconds
    hours, minutes = rest // 3600, (rest % 3600) // 60
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m {rest % 60}s"


def format_amount(value: int, decimals: int = 18, symbol: str = "ETH") -> str:
    """Base units -> '0.0123 ETH' (trailing zeros trimmed)."""
    if type(value) is int and decimals > 0:  # exact, in integers (a status table has thousands)
        whole, fraction = divmod(abs(value), 10**decimals)
        text = f"{'-' if value < 0 else ''}{whole}.{fraction:0{decimals}d}".rstrip("0").rstrip(".")
        return f"{text} {symbol}"
    text = format(Decimal(value) / (Decimal(10) ** decimals), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text} {symbol}"


def um_to_mm(value: int) -> float:
    return value / 1000.0


def mm3_to_cm3(value: int) -> float:
    return value / 1000.0


def dims_mm(dims_um: Iterable[int], sep: str = " x ", unit: str = " mm") -> str:
    """Dimensions in um -> '80 x 80 x 5 mm' (or '80x80x5' with sep='x', unit='')."""
    return sep.join(f"{int(d) / 1000:g}" for d in dims_um) + unit


def table(rows: list[list[str]]) -> str:
    """Left-aligned columns separated by two spaces; the first row is the header."""
    widths = [max(map(len, column)) for column in zip(*rows, strict=True)]  # rows of one length
    lines = ["  ".join(map(str.ljust, row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
