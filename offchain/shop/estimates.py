"""Print estimates for the market: a part's print time and material on a machine whose
producer attached a slicing profile to it (``printer profile MACHINE NAME``, off chain).

A part whose mesh is at hand (a customer's own file in ``order match``) is sliced as it is.
A requested part is known on chain only by its box and volume (``order demands``): it is
estimated by slicing a stand-in, a solid block on the part's footprint holding the part's
volume (marked ``~``): the same material to lay down, the same bed area, fewer layers than the
real part may need. Slices are cached like any other (``slicer.slice_part``). A machine
without a profile, or a slicer fault, gives no estimate: the market's tables still show.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

from offchain import config
from offchain.formats import format_duration
from offchain.shop import printers
from offchain.shop.errors import ShopError
from offchain.shop.slicer import Slice, profile_path, slice_part

#: Filament types as profiles name them (``filament_type = PLA``).
_TYPE_KEY = "filament_type"


@dataclass(frozen=True)
class Estimate:
    """One part's slice on one machine's profile (QUANTITY copies)."""

    profile: str
    material: str
    print_time_s: int
    filament_g: float
    quantity: int = 1
    stand_in: bool = False

    def time_text(self) -> str:
        mark = "~" if self.stand_in else ""
        return f"{mark}{format_duration(self.print_time_s * self.quantity)}"

    def material_text(self) -> str:
        mark = "~" if self.stand_in else ""
        return f"{mark}{self.filament_g * self.quantity:.1f} g {self.material}"

    def columns(self) -> tuple[str, str]:
        """(print time, material) as the market's tables show them."""
        return self.time_text(), self.material_text()


def any_profile() -> bool:
    """Whether a machine here has a slicing profile (else the market shows no estimate column)."""
    return bool(printers.machine_profiles())


def _material(profile: str) -> str:
    for line in profile_path(profile).read_text().splitlines():
        key, _, value = line.partition("=")
        if key.strip() == _TYPE_KEY and value.strip():
            return value.strip()
    return "filament"


def _of(sliced: Slice, quantity: int, stand_in: bool) -> Estimate:
    return Estimate(
        sliced.profile, _material(sliced.profile), sliced.print_time_s, sliced.filament_g, quantity, stand_in
    )


def for_part(part: Path, machine: int, quantity: int = 1, units: str = "mm") -> Estimate | None:
    """PART sliced with MACHINE's profile, or None (no profile attached, or the slicer refused)."""
    profile = printers.machine_profiles().get(machine)
    if profile is None:
        return None
    try:
        return _of(slice_part(part, profile, units=units), quantity, stand_in=False)
    except ShopError:
        return None


def _block_stl(path: Path, x: float, y: float, z: float) -> Path:
    """A closed, outward-facing block X x Y x Z mm as a binary STL."""
    corners = [(i * x, j * y, k * z) for i in (0, 1) for j in (0, 1) for k in (0, 1)]
    # each face with its outward normal: PrusaSlicer takes a file whose first 128 bytes
    # after the header are all below 128 for ASCII, which zero normals can make it
    faces = [((0, 1, 3), (-1, 0, 0)), ((0, 3, 2), (-1, 0, 0)), ((4, 6, 7), (1, 0, 0)), ((4, 7, 5), (1, 0, 0)),
             ((0, 4, 5), (0, -1, 0)), ((0, 5, 1), (0, -1, 0)), ((2, 3, 7), (0, 1, 0)), ((2, 7, 6), (0, 1, 0)),
             ((0, 2, 6), (0, 0, -1)), ((0, 6, 4), (0, 0, -1)), ((1, 5, 7), (0, 0, 1)), ((1, 7, 3), (0, 0, 1))]
    body = b"".join(
        struct.pack("<12fH", *normal, *corners[a], *corners[b], *corners[c], 0) for (a, b, c), normal in faces
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.write_bytes(b"prodnet stand-in".ljust(80, b"\0") + struct.pack("<I", len(faces)) + body)
    partial.replace(path)
    return path


def for_volume(
    dims_um: tuple[int, int, int], volume_mm3: int, machine: int, quantity: int = 1
) -> Estimate | None:
    """A part known by its box and volume, estimated with a stand-in block on MACHINE's profile."""
    profile = printers.machine_profiles().get(machine)
    if profile is None or volume_mm3 <= 0 or min(dims_um) <= 0:
        return None
    x, y, z = (d / 1000 for d in dims_um)
    height = min(z, max(volume_mm3 / (x * y), 0.4))
    stand_in = config.shop_home() / "stand-ins" / f"{x:g}x{y:g}x{height:.3f}.stl"
    if not stand_in.is_file():
        _block_stl(stand_in, x, y, height)
    try:
        return _of(slice_part(stand_in, profile), quantity, stand_in=True)
    except ShopError:
        return None

