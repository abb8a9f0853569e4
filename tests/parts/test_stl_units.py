"""offchain.parts.units: unit names, rounding up to chain integers, and the contracts' box arithmetic."""

from __future__ import annotations

import pytest

from offchain.parts import units


@pytest.mark.parametrize(
    ("name", "canonical"), [("mm", "mm"), (" MM ", "mm"), ("inch", "inch"), ("in", "inch")]
)
def test_unit_names(name: str, canonical: str) -> None:
    assert units.parse_units(name) == canonical


def test_unknown_unit_names_say_what_is_allowed() -> None:
    with pytest.raises(units.UnknownUnitsError, match="unknown units 'furlong': use one of mm, inch"):
        units.parse_units("furlong")


@pytest.mark.parametrize(
    ("mm", "um"),
    [(10.0, 10_000), (10.0001, 10_001), (10.00002, 10_001), (10.0000004, 10_000), (0.1, 100),
     (float.fromhex("0x1.99999a0000000p-4"), 100),  # 0.1 as a float32
     (25.4, 25_400), (0.0, 0)],
)
def test_lengths_round_up_to_micrometres(mm: float, um: int) -> None:
    # up, except float noise within 1e-6 relative of a whole micrometre (10.0000004 mm)
    assert units.mm_to_um(mm) == um


def test_volumes_round_up_and_must_fit() -> None:
    assert units.mm3_to_int(6000.0) == 6000
    assert units.mm3_to_int(6000.2) == 6001
    with pytest.raises(units.ChainRangeError, match="not finite"):
        units.mm3_to_int(float("nan"))


def test_lengths_beyond_uint32_are_refused() -> None:
    with pytest.raises(units.ChainRangeError, match="outside what the chain stores"):
        units.mm_to_um(5_000_000.0)
    with pytest.raises(units.ChainRangeError):
        units.mm_to_um(-1.0)


def test_box_and_build_space_match_the_contract_rounding() -> None:
    # PartMath.boxVolume = ceilDiv(x * y * z, 1e9); buildSpace = boxVolume * quantity
    assert units.box_mm3((10_000, 20_000, 30_000)) == 6000
    assert units.box_mm3((1, 1, 1)) == 1
    assert units.box_mm3((1000, 1000, 1001)) == 2
    assert units.build_space_mm3((1000, 1000, 1001), 3) == 6
    big = (4_294_967_295,) * 3  # uint32 max: exact with Python integers
    assert units.box_mm3(big) == -(-(4_294_967_295**3) // 10**9)
