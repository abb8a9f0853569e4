"""offchain.stl on real files: figures against trimesh, units, topology, chain units."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from offchain.devtools import parts as td
from offchain.parts import stl
from tests.utils.parts import FIXTURES, PARTS, trimesh_figures, write

REL = 1e-6
# A few float32 values, many repeats: welding must tell them apart exactly.
COORDS = [float(np.float32(v)) for v in (0.0, -0.0, 1.0, 2.5, -7.0, 1e30, 3.3, 3.3000002)]


def assert_agrees_with_trimesh(part: stl.PartData, path: Path) -> None:
    ref = trimesh_figures(path)
    for ours, theirs in zip(part.bbox_mm, ref["bbox_mm"], strict=True):  # type: ignore[call-overload]
        assert ours == pytest.approx(theirs, rel=REL)
    assert part.volume_mm3 == pytest.approx(ref["volume_mm3"], rel=REL)
    assert part.area_mm2 == pytest.approx(ref["area_mm2"], rel=REL)
    assert part.triangles == ref["triangles"]
    assert part.closed is ref["closed"]
    assert part.oriented is ref["oriented"]


@pytest.mark.parametrize("fmt", ["binary", "ascii"])
@pytest.mark.parametrize("name", sorted(PARTS))
def test_figures_agree_with_trimesh(tmp_path: Path, name: str, fmt: str) -> None:
    path = write(tmp_path / f"{name}.stl", PARTS[name](), fmt)
    part = stl.inspect(path)
    assert part.format == fmt
    assert part.closed and part.oriented and part.open_edges == 0
    assert_agrees_with_trimesh(part, path)


def test_box_figures_are_exact(tmp_path: Path) -> None:
    path = write(tmp_path / "box.stl", td.box((12.5, 40.0, 7.0), origin=(-3.0, 100.0, 2.5)), "binary")
    part = stl.inspect(path)
    assert part.bbox_mm == (12.5, 40.0, 7.0)
    assert part.volume_mm3 == pytest.approx(12.5 * 40 * 7, rel=1e-12)
    assert part.area_mm2 == pytest.approx(2 * (12.5 * 40 + 12.5 * 7 + 40 * 7), rel=1e-12)
    assert part.triangles == 12


def test_binary_header_starting_with_solid_is_read_as_binary() -> None:
    path = FIXTURES / "cube_binary_solid_header.stl"
    assert path.read_bytes().startswith(b"solid")
    part = stl.inspect(path)
    assert part.format == "binary"
    assert (part.bbox_mm, part.volume_mm3, part.triangles) == ((10.0, 20.0, 30.0), 6000.0, 12)


def test_ascii_with_several_solids_counts_them_all() -> None:
    path = FIXTURES / "two_solids_ascii.stl"
    part = stl.inspect(path)
    assert (part.format, part.solids, part.triangles) == ("ascii", 2, 24)
    assert part.bbox_mm == (45.0, 20.0, 30.0)
    assert part.volume_mm3 == pytest.approx(6000 + 125, rel=1e-12)
    assert part.closed
    assert_agrees_with_trimesh(part, path)


def test_ascii_tolerates_blank_lines_crlf_and_trailing_space(tmp_path: Path) -> None:
    text = td.ascii_stl_text([("a", td.box().triangles()), ("b", td.torus().triangles())])
    path = tmp_path / "crlf.stl"
    path.write_bytes(("\n\n  " + text.replace("\n", "\r\n") + "\r\n\r\n   \n").encode())
    part = stl.inspect(path)
    assert (part.solids, part.triangles) == (2, 12 + len(td.torus().faces))


def test_ascii_and_binary_of_the_same_part_give_the_same_figures(tmp_path: Path) -> None:
    mesh = PARTS["bracket"]()
    binary = stl.inspect(write(tmp_path / "b.stl", mesh, "binary"))
    ascii_ = stl.inspect(write(tmp_path / "a.stl", mesh, "ascii"))
    # The ASCII writer prints float32 values with 9 digits, which round-trip exactly.
    assert binary.to_json() | {"format": "ascii"} == ascii_.to_json()


def test_inch_units_scale_lengths_areas_and_volumes(tmp_path: Path) -> None:
    path = write(tmp_path / "inch.stl", td.box((1.0, 2.0, 0.5)), "binary")
    mm = stl.inspect(path)
    inch = stl.inspect(path, units="inch")
    assert inch.units == "inch" and mm.units == "mm"
    assert inch.bbox_mm == pytest.approx((25.4, 50.8, 12.7), rel=1e-12)
    assert inch.volume_mm3 == pytest.approx(mm.volume_mm3 * 25.4**3, rel=1e-12)
    assert inch.area_mm2 == pytest.approx(mm.area_mm2 * 25.4**2, rel=1e-12)
    assert inch.chain_dims_um() == (25400, 50800, 12700)


def test_inverted_normals_still_give_a_positive_volume(tmp_path: Path) -> None:
    mesh = PARTS["torus"]()
    path = write(tmp_path / "inside_out.stl", mesh.triangles()[:, ::-1], "binary")
    part = stl.inspect(path)
    assert part.volume_mm3 > 0 and part.closed and part.oriented
    assert_agrees_with_trimesh(part, path)


def test_one_flipped_triangle_is_closed_but_not_oriented(tmp_path: Path) -> None:
    triangles = PARTS["gear"]().triangles()
    triangles[7] = triangles[7][::-1]
    path = write(tmp_path / "flipped.stl", triangles, "binary")
    part = stl.inspect(path)
    assert part.closed and not part.oriented
    ref = trimesh_figures(path)
    assert (ref["closed"], ref["oriented"]) == (True, False)


def test_open_mesh_is_reported_not_rejected() -> None:
    part = stl.inspect(FIXTURES / "open_box.stl")
    assert not part.closed and part.open_edges == 3 and part.triangles == 11
    assert "not closed" in stl.describe_open(part) and "volume is unreliable" in stl.describe_open(part)
    assert trimesh_figures(FIXTURES / "open_box.stl")["closed"] is False


def test_edge_shared_by_three_triangles_is_not_closed(tmp_path: Path) -> None:
    box = td.box().triangles()
    fin = np.array([[box[0][0], box[0][1], [50.0, 50.0, 50.0]]], dtype=np.float32)
    part = stl.inspect(write(tmp_path / "fin.stl", np.concatenate([box, fin]), "binary"))
    assert not part.closed
    assert part.open_edges == 3  # the shared edge (3 uses) and the fin's two free edges


def test_negative_zero_welds_with_zero(tmp_path: Path) -> None:
    triangles = td.box().triangles()
    half = triangles[::2]
    half[half == 0] = np.float32(-0.0)
    assert np.signbit(triangles).any()
    part = stl.inspect(write(tmp_path / "negzero.stl", triangles, "binary"))
    assert part.closed and part.oriented


def test_disjoint_solids_in_one_binary_file_are_both_measured(tmp_path: Path) -> None:
    a = td.box((10.0, 10.0, 10.0)).triangles()
    b = PARTS["torus"]().translated((100.0, 0.0, 0.0)).triangles()
    path = write(tmp_path / "two.stl", np.concatenate([a, b]), "binary")
    part = stl.inspect(path)
    assert part.volume_mm3 > 1000
    assert_agrees_with_trimesh(part, path)


def test_to_json_has_the_public_keys_and_is_json(tmp_path: Path) -> None:
    part = stl.inspect(FIXTURES / "cube_ascii.stl")
    data = json.loads(json.dumps(part.to_json()))
    assert data["bbox_mm"] == [10.0, 20.0, 30.0]
    assert data["volume_mm3"] == 6000.0 and data["area_mm2"] == 2200.0
    assert data["triangles"] == 12 and data["closed"] is True and data["oriented"] is True
    assert data["units"] == "mm"


def test_part_data_is_frozen() -> None:
    part = stl.inspect(FIXTURES / "cube_ascii.stl")
    with pytest.raises(AttributeError):
        part.volume_mm3 = 1.0  # type: ignore[misc]


def test_chain_units_round_up_but_ignore_float32_noise(tmp_path: Path) -> None:
    # 0.1 mm is 0.100000001490116 mm as a float32: that is 100 um, not 101.
    path = write(tmp_path / "thin.stl", td.box((0.1, 12.3456, 7.0001)), "binary")
    part = stl.inspect(path)
    assert part.chain_dims_um() == (100, 12346, 7001)
    assert part.chain_volume_mm3() == math.ceil(0.1 * 12.3456 * 7.0001)
    exact = stl.inspect(write(tmp_path / "exact.stl", td.box((10.0, 20.0, 30.0)), "binary"))
    assert exact.chain_dims_um() == (10000, 20000, 30000)
    assert exact.chain_volume_mm3() == 6000


def test_large_mesh_reads_and_stays_closed(tmp_path: Path) -> None:
    mesh = td.torus_with_triangles(200_000)
    path = write(tmp_path / "large.stl", mesh, "binary")
    part = stl.inspect(path)
    assert part.triangles == 200_000 and part.closed and part.oriented
    assert_agrees_with_trimesh(part, path)


@pytest.mark.parametrize("hash_bits", [64, 3, 1])
@given(
    points=hnp.arrays(np.float32, st.tuples(st.integers(1, 300), st.just(3)),
                      elements=st.sampled_from(COORDS))
)
def test_weld_gives_equal_ids_exactly_for_equal_coordinates(hash_bits: int, points: np.ndarray) -> None:
    ids, count = stl.weld(points, hash_bits=hash_bits)
    canonical = points + np.float32(0.0)  # -0.0 == 0.0
    _, reference = np.unique(canonical, axis=0, return_inverse=True)
    reference = reference.ravel()
    assert count == reference.max() + 1
    # same partition: ids and reference map one-to-one
    pairs = set(zip(ids.tolist(), reference.tolist(), strict=True))
    assert len(pairs) == count == len(set(ids.tolist()))
