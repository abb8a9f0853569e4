"""Operator input -> chain units."""

from __future__ import annotations

import pytest

from offchain import formats
from offchain.cli import quantities as q


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("250x250x300", (250_000, 250_000, 300_000)),
        ("25 x 25 x 30 cm", (250_000, 250_000, 300_000)),
        ("0.0015,2,3mm", (2, 2_000, 3_000)),
        ("800x900x1000um", (800, 900, 1000)),
    ],
)
def test_dims_are_micrometres_rounded_up(text: str, expected: tuple[int, int, int]) -> None:
    assert q.dims_um(text) == expected


@pytest.mark.parametrize("text", ["250x250", "axbxc", "1x2x3 furlong", "0x1x1", "-1x2x3"])
def test_bad_dims_are_refused_with_a_reason(text: str) -> None:
    with pytest.raises(q.QuantityError):
        q.dims_um(text)


def test_volume_units() -> None:
    assert q.volume_mm3("1.5") == 1500
    assert q.volume_mm3("1.5cm3") == 1500
    assert q.volume_mm3("2l") == 2_000_000
    assert q.volume_mm3("0.2mm3") == 1


def test_token_amounts_are_exact() -> None:
    assert q.token_amount("0.0002") == 200_000_000_000_000
    assert q.token_amount("5 gwei") == 5_000_000_000
    assert q.token_amount("7 wei") == 7
    assert q.token_amount("1.5", decimals=6, symbol="USDC") == 1_500_000
    with pytest.raises(q.QuantityError, match="more decimals"):
        q.token_amount("0.5 wei")
    with pytest.raises(q.QuantityError, match="unknown unit"):
        q.token_amount("3 dollars")


def test_durations_and_times() -> None:
    assert q.duration_s("1d12h") == 129_600
    assert q.duration_s("15m") == 900
    assert q.timestamp("+7d", 1_000) == 1_000 + 7 * 86_400
    assert q.timestamp("now", 42) == 42
    assert q.timestamp("2026-12-01", 0) == 1_796_083_200
    assert q.timestamp("2026-12-01T10:00+01:00", 0) == 1_796_083_200 + 9 * 3600
    for bad in ("soon", "+7 fortnights", "2026-13-01"):
        with pytest.raises(q.QuantityError):
            q.timestamp(bad, 0)


def test_formatting() -> None:
    assert formats.format_amount(12_300_000_000_000_000) == "0.0123 ETH"
    assert formats.format_amount(10**18) == "1 ETH"
    assert formats.format_time(1_796_083_200) == "2026-12-01 00:00 UTC"
    assert formats.format_duration(90_061) == "1d 1h"
