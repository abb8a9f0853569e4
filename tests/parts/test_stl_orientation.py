"""Winding repaired per shell, shells oriented by containment: the volume that prices a job.

Each file here is one whose signed volume, summed as stored, is wrong (the test says by
how much); the expected figure is the analytic one, or trimesh's on the correctly wound
file (trimesh sums signed volumes as stored, so it is right only there).
"""

from __future__ import annotations

import sys
from pathlib import Path
from types import FrameType
from typing import Any

import numpy as np
import pytest

from offchain.devtools import parts as td
from offchain.parts import stl
from tests.utils.parts import PARTS, bow_tie, hourglass, mobius, trimesh_figures, write

REL = 1e-6


def naive_volume(triangles: np.ndarray) -> float:
    """The signed volume summed as the file stores it, about the bounding-box centre (as before)."""
    tri = triangles.astype(np.float64)
    flat = tri.reshape(-1, 3)
    tri = tri - (flat.min(axis=0) + flat.max(axis=0)) / 2
    return abs(float(np.einsum("ij,ij->i", tri[:, 0], np.cross(tri[:, 1], tri[:, 2])).sum()) / 6)


def turned(triangles: np.ndarray, which: np.ndarray) -> np.ndarray:
    out = triangles.copy()
    out[which] = out[which][:, ::-1]
    return out


def repaired(part: stl.PartData) -> bool:
    return any("winding was repaired" in w for w in part.warnings)


def inspect_counting_lines(path: Path) -> tuple[stl.PartData, int]:
    """stl.inspect(PATH) and how many lines of Python it ran (numpy's work in C is not counted)."""
    lines = 0

    def trace(frame: FrameType, event: str, arg: Any) -> Any:
        nonlocal lines
        if event == "line":
            lines += 1
        return trace

    before = sys.gettrace()
    sys.settrace(trace)
    try:
        part = stl.inspect(path)
    finally:
        sys.settrace(before)
    return part, lines


@pytest.mark.parametrize(("flips", "naive"), [([3], 61.0 * 10 / 12), ([0, 3, 7, 8, 11], 61.0 * 2 / 12)])
def test_block_with_flipped_faces_gives_the_exact_volume(
    tmp_path: Path, flips: list[int], naive: float,
) -> None:
    triangles = td.box((6.1, 5.0, 2.0)).triangles()
    mixed = turned(triangles, np.array(flips))
    assert naive_volume(mixed) == pytest.approx(naive, rel=1e-6)  # 50.8 (or 10.2) instead of 61
    part = stl.inspect(write(tmp_path / "block.stl", mixed, "binary"))
    assert part.volume_mm3 == pytest.approx(6.1 * 5.0 * 2.0, rel=REL)
    assert part.closed and not part.oriented and part.shells == 1
    assert repaired(part)
    assert f"{len(flips)} of 12 triangles" in part.warnings[0]
    assert part.chain_volume_mm3() == 61


def test_a_consistently_wound_part_has_no_warnings(tmp_path: Path) -> None:
    part = stl.inspect(write(tmp_path / "gear.stl", PARTS["gear"](), "binary"))
    assert part.warnings == () and part.shells == 1


def test_hourglass_with_its_lower_half_flipped(tmp_path: Path) -> None:
    mesh, volume = hourglass()
    triangles = mesh.triangles()
    lower = triangles.mean(axis=1)[:, 2] < 0
    flipped = turned(triangles, lower)
    assert naive_volume(flipped) < 0.7 * volume
    good = write(tmp_path / "good.stl", triangles, "binary")
    part = stl.inspect(write(tmp_path / "hourglass.stl", flipped, "binary"))
    assert part.volume_mm3 == pytest.approx(volume, rel=REL)
    assert part.volume_mm3 == pytest.approx(trimesh_figures(good)["volume_mm3"], rel=REL)
    assert part.closed and not part.oriented and repaired(part)


def test_two_cones_touching_at_a_vertex_are_two_solids(tmp_path: Path) -> None:
    mesh, volume = bow_tie()
    triangles = mesh.triangles()
    flipped = turned(triangles, triangles.mean(axis=1)[:, 2] < 0)  # one cone inside out
    part = stl.inspect(write(tmp_path / "bow_tie.stl", flipped, "binary"))
    assert part.shells == 2 and part.closed
    assert part.volume_mm3 == pytest.approx(volume, rel=REL)
    assert naive_volume(flipped) < 0.7 * volume
    assert any("1 of the 2 shells is inside out" in w for w in part.warnings)


def test_two_separate_solids_one_inside_out_add_up(tmp_path: Path) -> None:
    big = td.box((0.4, 0.5, 0.06)).triangles()  # 0.012 mm3
    small = td.box((0.1, 0.1, 0.2), origin=(3.0, 0.0, 0.0)).triangles()[:, ::-1]  # 0.002 mm3
    triangles = np.concatenate([big, small])
    assert naive_volume(triangles) == pytest.approx(0.010, rel=1e-5)
    part = stl.inspect(write(tmp_path / "two.stl", triangles, "binary"))
    assert part.shells == 2 and part.oriented and part.closed
    assert part.volume_mm3 == pytest.approx(0.014, rel=1e-5)
    good = write(tmp_path / "good.stl", np.concatenate([big, small[:, ::-1]]), "binary")
    assert part.volume_mm3 == pytest.approx(trimesh_figures(good)["volume_mm3"], rel=1e-5)


@pytest.mark.parametrize(
    ("outer_turned", "inner_turned", "warned"),
    [(False, True, False), (False, False, True), (True, False, True), (True, True, True)],
    ids=["cavity-faces-inward", "cavity-faces-outward", "all-inside-out", "solid-inside-out"],
)
def test_cube_with_a_cavity_is_outer_minus_inner(
    tmp_path: Path, outer_turned: bool, inner_turned: bool, warned: bool,
) -> None:
    outer = td.box((10.0, 10.0, 10.0)).triangles()
    inner = td.box((4.0, 4.0, 4.0), origin=(3.0, 2.0, 5.0)).triangles()
    if outer_turned:
        outer = outer[:, ::-1]
    if inner_turned:
        inner = inner[:, ::-1]
    path = write(tmp_path / "cavity.stl", np.concatenate([outer, inner]), "binary")
    part = stl.inspect(path)
    assert part.volume_mm3 == pytest.approx(1000.0 - 64.0, rel=1e-12)
    assert part.shells == 2 and part.closed and part.oriented
    assert any("inside out" in w for w in part.warnings) is warned
    if outer_turned != inner_turned:  # correctly wound (up to a global flip): trimesh agrees
        assert part.volume_mm3 == pytest.approx(trimesh_figures(path)["volume_mm3"], rel=REL)


def test_solid_in_a_cavity_in_a_solid_counts_again(tmp_path: Path) -> None:
    outer = td.box((10.0, 10.0, 10.0)).triangles()
    cavity = td.box((6.0, 6.0, 6.0), origin=(2.0, 2.0, 2.0)).triangles()  # wound outward too
    core = td.torus(1.5, 0.5, 24, 12, centre=(5.0, 5.0, 5.0)).triangles()
    ref = stl.measure(core).volume_mm3
    part = stl.inspect(write(tmp_path / "nested.stl", np.concatenate([outer, cavity, core]), "binary"))
    assert part.shells == 3
    assert part.volume_mm3 == pytest.approx(1000.0 - 216.0 + ref, rel=1e-9)


def test_a_shell_beside_another_is_not_a_cavity(tmp_path: Path) -> None:
    # The small box's bounding box is inside the torus's, but the box is in the hole.
    ring = td.torus(30.0, 10.0, 48, 24).triangles()
    middle = td.box((4.0, 4.0, 4.0), origin=(-2.0, -2.0, -2.0)).triangles()
    part = stl.inspect(write(tmp_path / "ring.stl", np.concatenate([ring, middle]), "binary"))
    assert part.volume_mm3 == pytest.approx(stl.measure(ring).volume_mm3 + 64.0, rel=1e-9)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_flips_of_a_large_torus_are_repaired(tmp_path: Path, seed: int) -> None:
    mesh = td.torus_with_triangles(200_000)
    triangles = mesh.triangles()
    reference = stl.measure(triangles)
    rng = np.random.default_rng(seed)
    flipped = turned(triangles, rng.random(len(triangles)) < 0.3)
    part, lines = inspect_counting_lines(write(tmp_path / "torus.stl", flipped, "binary"))
    assert part.triangles == len(flipped)  # every triangle read...
    assert lines < len(flipped) // 50  # ...and turned by numpy, not a Python loop per triangle (~700 lines)
    assert part.volume_mm3 == pytest.approx(reference.volume_mm3, rel=1e-9)
    assert part.closed and not part.oriented and repaired(part)


def test_mobius_strip_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "mobius.stl", mobius(), "binary")
    with pytest.raises(stl.NonOrientableError) as caught:
        stl.inspect(path)
    message = str(caught.value)
    assert str(path) in message and "cannot be oriented" in message and "Mobius" in message
    assert "\n" not in message


def test_mobius_beside_a_good_part_is_still_refused(tmp_path: Path) -> None:
    triangles = np.concatenate([td.box().triangles(), mobius() + np.float32(100.0)])
    with pytest.raises(stl.NonOrientableError, match="1 shell of the mesh cannot be oriented"):
        stl.inspect(write(tmp_path / "both.stl", triangles, "binary"))


def test_open_mesh_with_a_flipped_triangle_is_repaired_but_still_open(tmp_path: Path) -> None:
    triangles = turned(PARTS["torus"]().triangles()[:-3], np.array([5]))
    part = stl.inspect(write(tmp_path / "open.stl", triangles, "binary"))
    assert not part.closed and part.open_edges > 0 and repaired(part)
