"""offchain.devtools.parts: the generated parts are deterministic, closed, outward, and what they claim."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from offchain.devtools import parts as td
from offchain.orders import matching as mt
from offchain.parts import stl
from tests.utils.parts import PARTS


@pytest.mark.parametrize("name", sorted(PARTS))
def test_parts_are_deterministic_closed_and_outward(name: str) -> None:
    first, second = PARTS[name](), PARTS[name]()
    assert td.binary_stl_bytes(first.triangles()) == td.binary_stl_bytes(second.triangles())
    part = stl.measure(first.triangles())
    assert part.closed and part.oriented
    # outward normals: the signed volume (before abs) is positive
    tri = first.triangles().astype(np.float64)
    signed = np.einsum("ij,ij->i", tri[:, 0], np.cross(tri[:, 1], tri[:, 2])).sum() / 6
    assert signed > 0
    assert signed == pytest.approx(part.volume_mm3, rel=1e-9)


def test_euler_characteristic_counts_the_holes() -> None:
    def euler(mesh: td.IndexedMesh) -> int:
        faces = mesh.faces
        edges = {tuple(sorted(e)) for f in faces.tolist() for e in ((f[0], f[1]), (f[1], f[2]), (f[2], f[0]))}
        return len(mesh.vertices) - len(edges) + len(faces)

    assert euler(td.box()) == 2
    assert euler(td.torus()) == 0
    assert euler(td.gear()) == 0  # one bore
    assert euler(td.bracket(arm=4)) == 2 - 2 * 4  # holes in 4 of 7 cells


def test_gear_and_bracket_sizes() -> None:
    gear = stl.measure(td.gear(teeth=12, tip_radius=24.0, bore_radius=6.0, thickness=8.0).triangles())
    assert gear.bbox_mm[2] == pytest.approx(8.0)
    assert 2 * 20.0 < gear.bbox_mm[0] <= 2 * 24.0
    bracket = stl.measure(td.bracket(arm=3, cell=20.0, thickness=5.0, hole_radius=4.0).triangles())
    assert bracket.bbox_mm == pytest.approx((60.0, 60.0, 5.0))
    # 5 cells of 20 x 20 x 5 minus 2 polygonal holes (a bit under a circle of radius 4)
    assert 5 * 2000 - 2 * math.pi * 16 * 5 < bracket.volume_mm3 < 5 * 2000 - 2 * 0.9 * math.pi * 16 * 5


def test_torus_with_exact_triangle_count() -> None:
    for count in (18, 1000, 200_000):
        assert len(td.torus_with_triangles(count).faces) == count
    with pytest.raises(ValueError, match="even number"):
        td.torus_with_triangles(1001)


def test_bad_generator_arguments() -> None:
    with pytest.raises(ValueError):
        td.gear(bore_radius=30.0)
    with pytest.raises(ValueError):
        td.perforated_plate([(0, 0)], [(1, 1)])
    with pytest.raises(ValueError):
        td.torus(major=1.0, minor=2.0)


def test_writers_leave_no_temporary_files(tmp_path: Path) -> None:
    td.write_binary(tmp_path / "a.stl", td.box().triangles())
    td.write_ascii(tmp_path / "b.stl", [("x", td.box().triangles()), ("y", td.gear().triangles())])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.stl", "b.stl"]
    assert (tmp_path / "a.stl").stat().st_size == 84 + 50 * 12


def test_market_is_seeded_and_valid() -> None:
    orders, demands = td.market(seed=11, orders=300, demands=400, now=1_000_000)
    again = td.market(seed=11, orders=300, demands=400, now=1_000_000)
    assert (orders, demands) == again
    assert td.market(seed=12, orders=300, demands=400, now=1_000_000) != (orders, demands)
    book, wanted = mt.OrderBook.build(orders), mt.DemandBook.build(demands)  # all well formed
    assert len(book.slices) >= 5 and len(wanted.slices) >= 5
    result = mt.match(book, wanted, 1_000_000)
    assert result.pairs > 0 and len(result.pack_demands) > 0
