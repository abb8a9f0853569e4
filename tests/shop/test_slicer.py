"""Slicing with the real PrusaSlicer: what a producer reads from a slice, the cache, and each
refusal as one line (a part that does not fit, is not closed, a missing slicer, an unknown
profile). Small generated parts: each slice takes a second or two."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from offchain import config
from offchain.devtools import parts as td
from offchain.errors import ProdnetError
from offchain.shop import slicer
from offchain.shop.errors import ProfileError, SliceError, SlicerMissingError
from tests.utils.parts import FIXTURES

pytestmark = pytest.mark.skipif(
    shutil.which("prusa-slicer") is None, reason="make setup installs prusa-slicer"
)


@pytest.fixture(autouse=True)
def home(tmp_path: Path) -> Path:
    with config.scoped_home(tmp_path / "home") as folder:
        yield folder


@pytest.fixture
def block(tmp_path: Path) -> Path:
    return td.write_binary(tmp_path / "block.stl", td.box((20, 20, 6)).triangles())


def test_a_slice_gives_print_time_filament_layers_and_the_gcode_digest(block: Path) -> None:
    result = slicer.slice_part(block, "generic-pla")
    text = result.gcode.read_text()
    assert result.layers == 30 == text.count("\n;LAYER_CHANGE")  # 6 mm in 0.2 mm layers
    assert result.gcode_sha256 == slicer._sha256(result.gcode)
    assert result.model_sha256 == slicer._sha256(block)
    assert result.profile_sha256 == slicer._sha256(slicer.SHIPPED_PROFILES / "generic-pla.ini")
    shown = re.search(r"estimated printing time \(normal mode\) = (.+)", text)
    assert shown and result.print_time_s == slicer.parse_duration(shown.group(1)) > 0
    # mass = volume x the profile's density (1.24 g/cm3), as PrusaSlicer rounds them
    assert result.filament_g == pytest.approx(result.filament_cm3 * 1.24, abs=0.02)
    # a 1.75 mm filament: cm3 = length x its cross-section
    assert result.filament_cm3 == pytest.approx(result.filament_mm * 3.14159 * 0.875**2 / 1000, rel=0.01)
    assert not result.cached


def test_the_same_model_and_profile_come_from_the_cache_and_another_profile_does_not(block: Path) -> None:
    first = slicer.slice_part(block, "generic-pla")
    again = slicer.slice_part(block, "generic-pla")
    assert again.cached and again.gcode_sha256 == first.gcode_sha256 and again.gcode == first.gcode
    draft = slicer.slice_part(block, "generic-pla-draft")
    assert not draft.cached and draft.layers == 20 and draft.print_time_s < first.print_time_s
    # a G-code changed behind the cache's back is not trusted: sliced afresh
    first.gcode.write_text("; tampered\n")
    redone = slicer.slice_part(block, "generic-pla")
    assert not redone.cached and redone.gcode_sha256 == first.gcode_sha256


def test_the_producers_own_profile_is_accepted_by_name_and_by_path(block: Path, tmp_path: Path) -> None:
    own = slicer.own_profiles()
    own.mkdir(parents=True)
    text = (slicer.SHIPPED_PROFILES / "generic-petg.ini").read_text()
    text = text.replace("perimeters = 3", "perimeters = 5")
    (own / "my-petg.ini").write_text(text)
    assert "my-petg" in slicer.profile_names()
    mine = slicer.slice_part(block, "my-petg")
    shipped = slicer.slice_part(block, "generic-petg")
    assert mine.filament_g > shipped.filament_g  # more perimeters, more material
    by_path = slicer.slice_part(block, str(own / "my-petg.ini"))
    assert by_path.gcode_sha256 == mine.gcode_sha256 and by_path.cached


def test_a_part_larger_than_the_bed_is_refused_in_one_line(tmp_path: Path) -> None:
    big = td.write_binary(tmp_path / "big.stl", td.box((300, 300, 10)).triangles())
    fit = r"^big\.stl does not fit on the machine's bed in profile generic-pla: "
    with pytest.raises(SliceError, match=fit):
        slicer.slice_part(big, "generic-pla")
    assert not list((config.shop_home() / "slices").glob("*/part.gcode"))


def test_an_open_mesh_and_a_file_that_is_not_stl_are_refused() -> None:
    with pytest.raises(SliceError, match=r"^open_box.stl cannot be printed: the mesh is not closed"):
        slicer.slice_part(FIXTURES / "open_box.stl", "generic-pla")
    with pytest.raises(ProdnetError, match=r"not_stl\.png"):
        slicer.slice_part(FIXTURES / "not_stl.png", "generic-pla")


def test_an_unknown_profile_names_the_known_ones(block: Path) -> None:
    with pytest.raises(ProfileError, match=r"unknown slicing profile 'abs': use one of generic-petg, "):
        slicer.slice_part(block, "abs")
    with pytest.raises(ProfileError, match="no slicing profile at"):
        slicer.slice_part(block, "/nowhere/x.ini")


def test_a_missing_slicer_says_what_to_install(block: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRODNET_SLICER", "prusa-slicer-not-installed")
    with pytest.raises(SlicerMissingError, match=r"install it with 'make setup' \(Debian's prusa-slicer\)"):
        slicer.slice_part(block, "generic-pla")


@pytest.mark.parametrize(
    ("text", "seconds"), [("2h 31m 43s", 9103), ("40m 3s", 2403), ("1d 2h 0m 5s", 93605), ("59s", 59)]
)
def test_print_times_read_as_prusaslicer_writes_them(text: str, seconds: int) -> None:
    assert slicer.parse_duration(text) == seconds
