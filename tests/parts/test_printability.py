"""The printability report on parts whose answers are known by construction."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from offchain import parts
from offchain.devtools import models as tm
from offchain.devtools import parts as td
from offchain.parts import printability
from tests.utils.parts import revolved


def report(path: Path, units: str = "mm", **kwargs: object) -> printability.Report:
    (named,) = parts.read(path, units=units, keep_mesh=True).parts
    assert named.mesh is not None
    return printability.check(named.mesh, named.data, **kwargs)  # type: ignore[arg-type]


def test_a_box_fits_in_the_orientations_that_fit_and_has_no_overhang(tmp_path: Path) -> None:
    path = td.write_binary(tmp_path / "box.stl", td.box((10.0, 20.0, 100.0)).triangles())
    r = report(path, envelope_mm=(120.0, 30.0, 50.0))
    assert r.fits is True
    assert r.orientations == ("zxy", "zyx")  # the part's 100 mm only along the machine's 120 mm x
    assert r.overhang_area_mm2 == 0.0  # its bottom rests on the plate
    assert r.thinnest_wall_mm == pytest.approx(10.0)
    assert r.watertight and r.shells == 1 and r.small_features == 0 and r.warnings == ()
    too_small = report(path, envelope_mm=(90.0, 90.0, 90.0))
    assert too_small.fits is False and too_small.orientations == ()
    assert "does not fit the machine" in too_small.warnings[0]


def test_the_overhang_is_the_downward_face_beyond_45_degrees_off_the_plate(tmp_path: Path) -> None:
    # a 20 x 20 slab on a 2 x 2 post: the slab's underside overhangs, less the post's footprint
    # (there the two shells touch; the slab's underside is still one face pointing down)
    post = td.box((2.0, 2.0, 1.0)).translated((9.0, 9.0, 0.0))
    top = td.box((20.0, 20.0, 5.0)).translated((0.0, 0.0, 1.0))
    path = td.write_binary(tmp_path / "mushroom.stl", np.concatenate([post.triangles(), top.triangles()]))
    r = report(path)
    assert r.overhang_area_mm2 == pytest.approx(400.0)  # the slab's whole underside; the post's foot rests
    assert "overhangs more than 45 degrees" in r.warnings[0]
    sideways = report(path, build_direction=(1.0, 0.0, 0.0))
    # built along +x: the faces facing -x overhang, but those at the lowest x rest on the plate
    assert sideways.overhang_area_mm2 == pytest.approx(2.0 * 1.0)


def test_a_cone_overhangs_only_when_flatter_than_45_degrees(tmp_path: Path) -> None:
    # upside-down cones, apex on the plate: a flat one's flanks face down more than 45 degrees
    for height, overhangs in ((10.0, True), (30.0, False)):
        cone = revolved([(0.0, 0.0), (20.0, height), (0.0, height)], segments=64)
        r = report(td.write_binary(tmp_path / f"cone{height:g}.stl", cone.triangles()))
        flank = math.pi * 20.0 * math.hypot(20.0, height)
        assert (r.overhang_area_mm2 > 0.9 * flank) is overhangs
        assert (r.overhang_area_mm2 == 0.0) is (not overhangs)


def test_thin_walls_are_found_by_their_thickness(tmp_path: Path) -> None:
    plate = td.write_binary(tmp_path / "plate.stl", td.box((40.0, 40.0, 0.5)).triangles())
    r = report(plate, min_wall_mm=0.8)
    assert r.thinnest_wall_mm == pytest.approx(0.5)
    assert r.thin_wall_area_mm2 > 0.9 * 2 * 40 * 40
    assert any("walls thinner than 0.8 mm" in w for w in r.warnings)
    assert report(plate, min_wall_mm=0.4).thin_wall_area_mm2 == 0.0


def test_a_hollow_box_wall_is_measured_across_the_wall_not_the_cavity(tmp_path: Path) -> None:
    outer = td.box((20.0, 20.0, 20.0))
    inner = td.box((18.8, 18.8, 18.8)).translated((0.6, 0.6, 0.6))
    cavity = td.IndexedMesh(inner.vertices, inner.faces[:, ::-1])  # faces into the cavity
    path = td.write_binary(tmp_path / "hollow.stl", np.concatenate([outer.triangles(), cavity.triangles()]))
    r = report(path)
    assert r.thinnest_wall_mm == pytest.approx(0.6, rel=1e-5)
    assert r.thin_wall_area_mm2 == pytest.approx(6 * 20.0**2 + 6 * 18.8**2, rel=0.01)


def test_small_features_are_shells_under_the_threshold(tmp_path: Path) -> None:
    speck = td.box((0.5, 0.5, 0.5)).translated((30.0, 0.0, 0.0))
    path = tm.write_obj(tmp_path / "specks.obj", [("part", td.box((10.0, 10.0, 10.0))), ("speck", speck)])
    r = report(path)
    assert r.shells == 2 and r.small_features == 1
    assert any("1 shell smaller than 1 mm" in w for w in r.warnings)


def test_the_file_units_apply_to_the_report(tmp_path: Path) -> None:
    path = td.write_binary(tmp_path / "inch.stl", td.box((1.0, 1.0, 0.02)).triangles())
    r = report(path, units="inch", envelope_mm=(30.0, 30.0, 30.0))
    assert r.fits is True and r.thinnest_wall_mm == pytest.approx(0.508, rel=1e-5)
