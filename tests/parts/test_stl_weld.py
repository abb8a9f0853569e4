"""Welding within a tolerance relative to the part's size (1e-9 x the bounding-box diagonal)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from offchain.devtools import parts as td
from offchain.parts import stl
from tests.utils.parts import PARTS, trimesh_figures, write


def jitter(triangles: np.ndarray, relative: float, seed: int = 0) -> np.ndarray:
    """Every corner moved on its own by up to RELATIVE x the part's size (in float64, then float32)."""
    size = float(np.ptp(triangles.reshape(-1, 3), axis=0).max())
    rng = np.random.default_rng(seed)
    noise = rng.uniform(-1.0, 1.0, triangles.shape) * relative * size
    return (triangles.astype(np.float64) + noise).astype(np.float32)


def test_noise_of_1e16_relative_keeps_a_box_closed(tmp_path: Path) -> None:
    triangles = jitter(td.box((10.0, 20.0, 30.0)).triangles(), 1e-16)
    _, count = stl.weld(triangles.reshape(-1, 3))
    assert count > 8  # the zero coordinates now differ in their bits: welding by bits fails
    path = write(tmp_path / "noisy.stl", triangles, "binary")
    part = stl.inspect(path)
    assert part.closed and part.oriented and part.open_edges == 0
    assert part.volume_mm3 == pytest.approx(6000.0, rel=1e-9)
    ref = trimesh_figures(path)
    assert (ref["closed"], ref["oriented"]) == (True, True)


@pytest.mark.parametrize("name", ["torus", "gear", "bracket"])
def test_noise_near_zero_in_real_parts(tmp_path: Path, name: str) -> None:
    mesh = PARTS[name]()
    centred = mesh.translated(-(mesh.vertices.min(axis=0) + mesh.vertices.max(axis=0)) / 2)
    exact = centred.triangles()
    noisy = jitter(exact, 1e-16, seed=3)  # changes only coordinates within ~1e-8 of zero
    zeros = exact == 0
    noise = np.random.default_rng(4).choice(np.array([0.0, 2e-15, -1e-15], dtype=np.float32), exact.shape)
    noisy[zeros] = noise[zeros]  # each copy of a vertex on its own
    assert stl.weld(noisy.reshape(-1, 3))[1] > stl.weld(exact.reshape(-1, 3))[1]
    part = stl.inspect(write(tmp_path / f"{name}.stl", noisy, "binary"))
    clean = stl.inspect(write(tmp_path / "clean.stl", exact, "binary"))
    assert part.closed and part.oriented
    assert part.volume_mm3 == pytest.approx(clean.volume_mm3, rel=1e-9)


def test_vertices_1e6_apart_are_not_welded(tmp_path: Path) -> None:
    triangles = td.box((10.0, 20.0, 30.0)).triangles()
    triangles[0][triangles[0] == 0] = np.float32(3.7e-5)  # 1e-6 x the diagonal: a real gap
    path = write(tmp_path / "gap.stl", triangles, "binary")
    part = stl.inspect(path)
    assert not part.closed
    assert trimesh_figures(path)["closed"] is False


def test_a_part_far_from_the_origin_is_welded_by_bits(tmp_path: Path) -> None:
    part = stl.inspect(write(tmp_path / "far.stl", PARTS["far_torus"](), "binary"))
    assert part.closed and part.oriented


TOL = 1e-6


@given(
    base=st.lists(st.tuples(*[st.integers(-3, 3)] * 3), min_size=1, max_size=12, unique=True),
    offsets=st.lists(st.tuples(*[st.floats(-0.49, 0.49)] * 3), min_size=1, max_size=60),
)
def test_weld_joins_points_within_the_tolerance_and_keeps_others_apart(
    base: list[tuple[int, int, int]], offsets: list[tuple[float, float, float]],
) -> None:
    # Base points 1e-5 apart (10 x the tolerance) near zero, copies within 0.49 x the tolerance.
    centres = np.asarray(base, dtype=np.float64) * (10 * TOL)
    which = np.arange(len(offsets)) % len(centres)
    points = (centres[which] + np.asarray(offsets) * TOL).astype(np.float32)
    ids, count = stl.weld(points, tolerance=TOL)
    assert count == len(np.unique(which))
    pairs = set(zip(ids.tolist(), which.tolist(), strict=True))
    assert len(pairs) == count


def test_weld_tolerance_bounds() -> None:
    points = np.array([[0, 0, 0], [0.9e-6, 0, 0], [5e-6, 0, 0], [5e-6, 0.99e-6, -0.99e-6]], dtype=np.float32)
    ids, count = stl.weld(points, tolerance=1e-6)
    assert count == 2 and ids[0] == ids[1] and ids[2] == ids[3] and ids[0] != ids[2]
    assert stl.weld(points)[1] == 4
