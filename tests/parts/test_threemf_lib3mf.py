"""Our 3MF reader against lib3mf, the 3MF Consortium's own implementation (PyPI ``lib3mf``).

Good packages: lib3mf reads them and, build item by build item (components flattened
with their transforms), gives the volume, area and bounding box we give. Bad ones: every
package lib3mf refuses, we refuse too, in one line (lib3mf is more lenient than the
specification in places: a second start part, an unknown unit, an undeclared content
type; those are refused here, by the tests in test_threemf_bad.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import lib3mf
import numpy as np
import pytest

from offchain import parts
from offchain.devtools import models as tm
from offchain.devtools import parts as td
from offchain.parts import stl
from tests.parts.test_threemf_bad import BOX, GOOD_MODEL
from tests.utils.parts import PARTS

UNIT_MM = (0.001, 1.0, 10.0, 25.4, 304.8, 1000.0)  # lib3mf's unit enum: micron, mm, cm, inch, foot, meter
IDENTITY = np.vstack([np.eye(3), [0.0, 0.0, 0.0]])


def _matrix(transform: Any) -> np.ndarray:
    return np.array([[transform.Fields[r][c] for c in range(3)] for r in range(4)])


def _triangles(obj: Any, m: np.ndarray) -> list[np.ndarray]:
    if obj.IsMeshObject():
        mesh = obj
        vertices = np.array([list(v.Coordinates) for v in mesh.GetVertices()])
        corners = np.array([list(t.Indices) for t in mesh.GetTriangleIndices()])
        moved = vertices @ m[:3] + m[3]
        tri = moved[corners]
        return [tri[:, ::-1] if np.linalg.det(m[:3]) < 0 else tri]
    out = []
    for i in range(obj.GetComponentCount()):
        component = obj.GetComponent(i)
        inner = _matrix(component.GetTransform()) if component.HasTransform() else IDENTITY
        composed = np.vstack([inner[:3] @ m[:3], inner[3] @ m[:3] + m[3]])
        out += _triangles(component.GetObjectResource(), composed)
    return out


def lib3mf_parts(path: Path) -> list[dict[str, float]]:
    """Volume, area and bounding box (mm) of every build item, as lib3mf reads the package."""
    wrapper = lib3mf.get_wrapper()
    model = wrapper.CreateModel()
    model.QueryReader("3mf").ReadFromFile(str(path))
    scale = UNIT_MM[int(model.GetUnit())]
    items = model.GetBuildItems()
    figures = []
    while items.MoveNext():
        item = items.GetCurrent()
        m = _matrix(item.GetObjectTransform()) if item.HasObjectTransform() else IDENTITY
        tri = np.concatenate(_triangles(item.GetObjectResource(), m)) * scale
        a, b, c = tri[:, 0], tri[:, 1], tri[:, 2]
        cross = np.cross(b - a, c - a)
        figures.append({
            "volume_mm3": abs(float(np.einsum("ij,ij->i", a, np.cross(b, c)).sum()) / 6.0),
            "area_mm2": float(np.linalg.norm(cross, axis=1).sum()) / 2.0,
            "bbox_mm": tuple(float(v) for v in np.ptp(tri.reshape(-1, 3), axis=0)),
        })
    return figures


def assert_agrees_with_lib3mf(path: Path) -> None:
    ours = parts.read(path).parts
    theirs = lib3mf_parts(path)
    assert len(ours) == len(theirs)
    for part, ref in zip(ours, theirs, strict=True):
        assert part.data.volume_mm3 == pytest.approx(ref["volume_mm3"], rel=1e-6)
        assert part.data.area_mm2 == pytest.approx(ref["area_mm2"], rel=1e-6)
        assert part.data.bbox_mm == pytest.approx(ref["bbox_mm"], rel=1e-6)


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_an_assembly_agrees_with_lib3mf(tmp_path: Path) -> None:
    named = [(name, PARTS[name]()) for name in ("box", "torus", "gear", "bracket", "plate")]
    assert_agrees_with_lib3mf(tm.write_3mf(tmp_path / "assembly.3mf", named))


@pytest.mark.parametrize("unit", ["micron", "inch", "meter"])
def test_units_agree_with_lib3mf(tmp_path: Path, unit: str) -> None:
    data = tm.threemf_bytes([("gear", PARTS["gear"]())], unit=unit)
    assert_agrees_with_lib3mf(write(tmp_path / "u.3mf", data))


def test_components_and_mirrors_agree_with_lib3mf(tmp_path: Path) -> None:
    turn = np.array([[0.0, 1.0, 0.0], [-1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    resources = tm.objects_xml([("gear", PARTS["gear"]())]) + (
        '<object id="2" type="model" name="pair"><components>'
        f'<component objectid="1" transform="{tm.transform(np.diag([2.0, 1.0, 0.5]))}"/>'
        f'<component objectid="1" transform="{tm.transform(np.diag([-1.0, 1.0, 1.0]), (100.0, 0, 0))}"/>'
        "</components></object>"
    )
    build = tm.build_xml([(2, tm.transform(turn, (5.0, 5.0, 5.0))), (1, tm.transform(np.diag([1.0, -1, 1])))])
    data = tm.package({tm.MODEL_PART: tm.model_xml(resources, build)})
    assert_agrees_with_lib3mf(write(tmp_path / "c.3mf", data))


CYCLE = ('<object id="1" type="model"><components><component objectid="2"/></components></object>'
         '<object id="2" type="model"><components><component objectid="1"/></components></object>')


@pytest.mark.parametrize(("name", "data"), [
    ("missing model part", tm.package({})),
    ("no content types", tm.package({tm.MODEL_PART: GOOD_MODEL}, types=b"")),
    ("no relationships", tm.package({tm.MODEL_PART: GOOD_MODEL}, relationships=b"")),
    ("component cycle", tm.package({tm.MODEL_PART: tm.model_xml(CYCLE, tm.build_xml([1]))})),
    ("vertex index", tm.package({tm.MODEL_PART: tm.model_xml(
        tm.objects_xml(BOX).replace('v1="2"', 'v1="99"', 1), tm.build_xml([1]))})),
    ("missing object", tm.package({tm.MODEL_PART: tm.model_xml(tm.objects_xml(BOX), tm.build_xml([9]))})),
    ("entity", tm.package({tm.MODEL_PART: tm.model_xml(
        tm.objects_xml(BOX), tm.build_xml([1]), prolog='<!DOCTYPE model [<!ENTITY a "aaa">]>\n')})),
])
def test_what_lib3mf_refuses_is_refused_here_in_one_line(tmp_path: Path, name: str, data: bytes) -> None:
    path = write(tmp_path / "bad.3mf", data)
    with pytest.raises(lib3mf.ELib3MFException):
        lib3mf_parts(path)
    with pytest.raises(stl.StlError) as caught:
        parts.read(path)
    assert "\n" not in str(caught.value) and str(path) in str(caught.value)


def test_a_good_box_reads_in_both(tmp_path: Path) -> None:
    path = write(tmp_path / "box.3mf", tm.threemf_bytes([("box", td.box((10.0, 20.0, 30.0)))]))
    assert lib3mf_parts(path)[0]["volume_mm3"] == pytest.approx(6000.0)
    assert_agrees_with_lib3mf(path)
