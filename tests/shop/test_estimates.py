"""Print estimates for the market: a machine with a slicing profile gives a part's print time
and material (the part's own mesh, or a stand-in block of its box and volume); a machine
without one, or a part its bed cannot take, gives none rather than an error."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from offchain.devtools import parts as td
from offchain.formats import format_duration
from offchain.shop import estimates, printers, slicer

pytestmark = pytest.mark.skipif(
    shutil.which("prusa-slicer") is None, reason="make setup installs prusa-slicer"
)


@pytest.fixture
def block(tmp_path: Path) -> Path:
    return td.write_binary(tmp_path / "block.stl", td.box((20, 10, 4)).triangles())


def test_a_machine_without_a_profile_gives_no_estimate(block: Path) -> None:
    assert not estimates.any_profile()
    assert estimates.for_part(block, machine=1) is None
    assert estimates.for_volume((20_000, 10_000, 4_000), 800, machine=1) is None


def test_a_part_is_estimated_with_its_machines_profile(block: Path) -> None:
    printers.set_machine_profile(1, "generic-petg")
    assert estimates.any_profile()
    sliced = slicer.slice_part(block, "generic-petg")
    one = estimates.for_part(block, machine=1)
    assert one is not None and (one.print_time_s, one.filament_g) == (sliced.print_time_s, sliced.filament_g)
    assert one.columns() == (format_duration(sliced.print_time_s), f"{sliced.filament_g:.1f} g PETG")
    three = estimates.for_part(block, machine=1, quantity=3)
    assert three is not None and three.columns() == (
        format_duration(3 * sliced.print_time_s), f"{3 * sliced.filament_g:.1f} g PETG"
    )


def test_a_part_known_by_box_and_volume_is_estimated_with_a_stand_in_block(block: Path) -> None:
    printers.set_machine_profile(2, "generic-pla")
    real = slicer.slice_part(block, "generic-pla")
    # a block: the stand-in on its footprint holding its volume is the block itself
    same = estimates.for_volume((20_000, 10_000, 4_000), 800, machine=2)
    assert same is not None and same.stand_in and same.print_time_s == real.print_time_s
    assert same.columns() == ("~" + format_duration(real.print_time_s), f"~{real.filament_g:.1f} g PLA")
    # a part a quarter solid (a shell, a frame): less material than its full box
    hollow = estimates.for_volume((20_000, 10_000, 4_000), 200, machine=2)
    assert hollow is not None and hollow.filament_g < real.filament_g
    # a chip 12 x 12 x 3 mm (small coordinates: the stand-in is still read as a binary STL)
    chip = estimates.for_volume((12_000, 12_000, 3_000), 432, machine=2)
    assert chip is not None and chip.print_time_s > 0


def test_a_part_the_bed_cannot_take_gives_no_estimate(tmp_path: Path) -> None:
    printers.set_machine_profile(1, "generic-pla")
    big = td.write_binary(tmp_path / "big.stl", td.box((300, 300, 10)).triangles())
    assert estimates.for_part(big, machine=1) is None
    assert estimates.for_volume((300_000, 300_000, 10_000), 900_000, machine=1) is None
