"""Length units, the integer units the chain uses, and the one Python copy of the part math.

Off chain, part data is in millimetres (floats). On chain, lengths are micrometres
(uint32) and volumes cubic millimetres (uint64), both rounded up so that a declared
part is never smaller than the real one.

Box volume, build space, price and fit below are the contracts' ``PartMath`` in exact
integers; ``tests/contracts/test_part_math_oracle.py`` holds them to the contract's own
``quote`` at the edges (docs/DESIGN.md, "Units and encodings").
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from offchain.errors import ProdnetError

MM_PER_UNIT: dict[str, float] = {"mm": 1.0, "inch": 25.4}
UM_PER_MM = 1000
UM3_PER_MM3 = 10**9
MM3_PER_CM3 = 1000
UINT32_MAX = 2**32 - 1
UINT64_MAX = 2**64 - 1

# Rounding up must not turn float noise into a whole extra unit: 0.1 mm stored as a
# float32 is 0.100000001490116 mm, which is 100 um, not 101. A value within this
# relative distance above an integer is taken as that integer (float32 keeps about
# 7 significant digits, so 1e-6 is above its noise and far below anything physical).
SNAP_RELATIVE = 1e-6


class UnknownUnitsError(ProdnetError):
    """The user named a length unit we do not know."""


class ChainRangeError(ProdnetError):
    """A value does not fit the integer type the chain stores it in."""


def parse_units(name: str) -> str:
    """Return the canonical unit name for NAME ('mm', 'inch'); raise UnknownUnitsError."""
    key = name.strip().lower()
    aliases = {"mm": "mm", "millimetre": "mm", "millimeter": "mm", "inch": "inch", "in": "inch"}
    if key not in aliases:
        known = ", ".join(MM_PER_UNIT)
        raise UnknownUnitsError(f"unknown units {name!r}: use one of {known}")
    return aliases[key]


def mm_per(units: str) -> float:
    """Millimetres per one UNITS (after parse_units)."""
    return MM_PER_UNIT[parse_units(units)]


def ceil_snapped(value: float) -> int:
    """Round VALUE up to an integer, treating float noise just above an integer as that integer."""
    if not math.isfinite(value):
        raise ChainRangeError(f"cannot store {value} on chain: the value is not finite")
    floor = math.floor(value)
    if value - floor <= SNAP_RELATIVE * max(1.0, abs(value)):
        return int(floor)
    return int(floor) + 1


def mm_to_um(mm: float) -> int:
    """A length in mm as whole micrometres, rounded up; must fit a uint32."""
    um = ceil_snapped(mm * UM_PER_MM)
    if not 0 <= um <= UINT32_MAX:
        raise ChainRangeError(
            f"length {mm} mm is {um} um, outside what the chain stores (0..{UINT32_MAX} um)"
        )
    return um


def mm3_to_int(mm3: float) -> int:
    """A volume in mm3 as whole cubic millimetres, rounded up; must fit a uint64."""
    value = ceil_snapped(mm3)
    if not 0 <= value <= UINT64_MAX:
        raise ChainRangeError(f"volume {mm3} mm3 is outside what the chain stores (0..2^64-1)")
    return value


def box_mm3(dims_um: Sequence[int]) -> int:
    """Bounding-box volume of DIMS_UM (x, y, z in um) in whole mm3, rounded up (exact integers)."""
    x, y, z = (int(d) for d in dims_um)
    if min(x, y, z) < 0:
        raise ChainRangeError(f"dimensions must not be negative, got {x}, {y}, {z} um")
    return -(-(x * y * z) // UM3_PER_MM3)


def build_space_mm3(dims_um: Sequence[int], quantity: int) -> int:
    """Build space a job takes: bounding-box volume (mm3, rounded up) x quantity."""
    return box_mm3(dims_um) * int(quantity)


def price_wei(price_per_cm3: int, dims_um: Sequence[int], quantity: int) -> int:
    """Deposit of a job: ceil(price per cm3 x build space (mm3) / 1000), the build space being
    the bounding box (mm3, rounded up) x quantity, as PartMath.price on chain. The declared
    part volume plays no part, so no declaration buys space below its price."""
    return space_price_wei(price_per_cm3, build_space_mm3(dims_um, quantity))


def space_price_wei(price_per_cm3: int, space_mm3: int) -> int:
    """The price of SPACE_MM3 of build space: ceil(price per cm3 x space / 1000), as PartMath."""
    return -(-int(price_per_cm3) * int(space_mm3) // MM3_PER_CM3)


def fits(dims_um: Sequence[int], envelope_um: Sequence[int]) -> bool:
    """True if DIMS fit ENVELOPE in some axis-aligned orientation (sorted, axis by axis)."""
    return all(d <= e for d, e in zip(sorted(dims_um), sorted(envelope_um), strict=True))
