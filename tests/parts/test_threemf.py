"""3MF packages read into parts: one per build item, figures as trimesh gives them, units, transforms."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from offchain import parts
from offchain.devtools import models as tm
from offchain.devtools import parts as td
from tests.utils.models import assert_parts_agree, trimesh_parts
from tests.utils.parts import PARTS


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_an_assembly_is_one_part_per_build_item_agreeing_with_trimesh(tmp_path: Path) -> None:
    named = [(name, PARTS[name]()) for name in ("box", "torus", "gear", "bracket", "plate")]
    path = tm.write_3mf(tmp_path / "assembly.3mf", named)
    model = parts.read(path)
    assert model.format == "3mf"
    assert [p.name for p in model.parts] == ["box", "torus", "gear", "bracket", "plate"]
    assert all(p.data.closed and p.data.format == "3mf" for p in model.parts)
    assert_parts_agree(model, trimesh_parts(path))


def test_the_same_part_read_from_stl_3mf_and_obj_has_the_same_public_data(tmp_path: Path) -> None:
    mesh = PARTS["far_torus"]()
    stl_part = parts.read(td.write_binary(tmp_path / "t.stl", mesh.triangles())).parts[0].data
    threemf_part = parts.read(tm.write_3mf(tmp_path / "t.3mf", [("t", mesh)])).parts[0].data
    obj_part = parts.read(tm.write_obj(tmp_path / "t.obj", [("t", mesh)])).parts[0].data
    for other in (threemf_part, obj_part):
        assert other.bbox_mm == stl_part.bbox_mm
        assert other.volume_mm3 == pytest.approx(stl_part.volume_mm3, rel=1e-12)
        assert other.chain_dims_um() == stl_part.chain_dims_um()
        assert other.chain_volume_mm3() == stl_part.chain_volume_mm3()


@pytest.mark.parametrize(("unit", "mm"), [("micron", 0.001), ("millimeter", 1.0), ("centimeter", 10.0),
                                          ("inch", 25.4), ("foot", 304.8), ("meter", 1000.0)])
def test_the_model_unit_scales_every_length(tmp_path: Path, unit: str, mm: float) -> None:
    path = write(tmp_path / "box.3mf", tm.threemf_bytes([("box", td.box((1.0, 2.0, 3.0)))], unit=unit))
    part = parts.read(path, units="inch").parts[0].data  # the user's units do not apply to a 3MF
    assert part.bbox_mm == pytest.approx((1.0 * mm, 2.0 * mm, 3.0 * mm), rel=1e-7)
    assert part.volume_mm3 == pytest.approx(6.0 * mm**3, rel=1e-6)


def test_components_compose_their_transforms_with_the_item(tmp_path: Path) -> None:
    box = td.box((10.0, 20.0, 30.0))
    turn = np.array([[0.0, 1.0, 0.0], [-1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])  # 90 degrees about z
    scale = np.diag([2.0, 1.0, 1.0])
    resources = tm.objects_xml([("box", box)]) + (
        '<object id="2" type="model" name="pair"><components>'
        f'<component objectid="1" transform="{tm.transform(scale)}"/>'
        f'<component objectid="1" transform="{tm.transform(None, (100.0, 0.0, 0.0))}"/>'
        "</components></object>"
    )
    build = tm.build_xml([(2, tm.transform(turn, (5.0, 5.0, 5.0)))])
    path = write(tmp_path / "pair.3mf", tm.package({tm.MODEL_PART: tm.model_xml(resources, build)}))
    (part,) = parts.read(path).parts
    assert part.name == "pair"
    # scaled box 20 x 20 x 30 and a plain box at x 100..110, both turned: x <- -y, y <- x
    assert part.data.bbox_mm == pytest.approx((20.0, 110.0, 30.0))
    assert part.data.volume_mm3 == pytest.approx(2 * 6000.0 + 6000.0)
    assert part.data.shells == 2
    # trimesh makes each component an instance: concatenated, they are our one part
    assert_parts_agree(parts.read(path), trimesh_parts(path, force="mesh"))


def test_a_mirroring_transform_keeps_the_volume_positive_and_the_part_outward(tmp_path: Path) -> None:
    mirror = np.diag([-1.0, 1.0, 1.0])
    named = [("gear", PARTS["gear"]())]
    build = tm.build_xml([(1, tm.transform(mirror))])
    model = tm.model_xml(tm.objects_xml(named), build)
    path = write(tmp_path / "mirror.3mf", tm.package({tm.MODEL_PART: model}))
    plain = parts.read(tm.write_3mf(tmp_path / "plain.3mf", named)).parts[0].data
    (mirrored,) = parts.read(path).parts
    assert mirrored.data.volume_mm3 == pytest.approx(plain.volume_mm3, rel=1e-12)
    assert mirrored.data.oriented and mirrored.data.warnings == ()  # re-wound, not "inside out"


def test_the_same_object_built_twice_is_two_parts(tmp_path: Path) -> None:
    resources = tm.objects_xml([("bolt", PARTS["box"]())])
    build = tm.build_xml([1, (1, tm.transform(None, (50.0, 0.0, 0.0)))])
    path = write(tmp_path / "two.3mf", tm.package({tm.MODEL_PART: tm.model_xml(resources, build)}))
    assert [p.name for p in parts.read(path).parts] == ["bolt", "bolt #2"]


def test_production_extension_reads_objects_from_other_model_parts(tmp_path: Path) -> None:
    gear_objects = tm.objects_xml([("gear", PARTS["gear"]())], first_id=7)
    other = tm.model_xml(gear_objects, "<build/>", unit="centimeter")
    resources = (
        '<object id="1" type="model" name="holder"><components>'
        f'<component objectid="7" p:path="/3D/gear.model" transform="{tm.transform(None, (1.0, 0, 0))}"/>'
        "</components></object>"
    )
    root = tm.model_xml(resources, tm.build_xml([1]), extra='requiredextensions="p"')
    path = write(tmp_path / "prod.3mf", tm.package({tm.MODEL_PART: root, "3D/gear.model": other}))
    (part,) = parts.read(path).parts
    gear = parts.read(tm.write_3mf(tmp_path / "gear.3mf", [("gear", PARTS["gear"]())])).parts[0].data
    assert part.data.volume_mm3 == pytest.approx(gear.volume_mm3 * 1000.0, rel=1e-6)  # cm in the gear's part


def test_content_not_the_name_decides_the_format(tmp_path: Path) -> None:
    named = [("box", PARTS["box"]())]
    assert parts.read(write(tmp_path / "box.stl", tm.threemf_bytes(named))).format == "3mf"
    assert parts.read(write(tmp_path / "box.3mf", tm.obj_text(named).encode())).format == "obj"
    assert parts.read(td.write_binary(tmp_path / "box.obj", PARTS["box"]().triangles())).format == "stl"


def test_attributes_in_any_order_and_with_properties_read_the_same(tmp_path: Path) -> None:
    named = [("gear", PARTS["gear"]())]
    usual = parts.read(tm.write_3mf(tmp_path / "usual.3mf", named)).parts[0].data
    xml = tm.objects_xml(named)
    xml = xml.replace("<vertex x=", "<vertex q=\"1\" x=").replace('v1="', 'p1="0" v1="')
    xml = xml.replace("<triangle ", '<triangle pid="1" ')
    path = write(tmp_path / "props.3mf", tm.package({tm.MODEL_PART: tm.model_xml(xml, tm.build_xml([1]))}))
    assert parts.read(path).parts[0].data == usual
