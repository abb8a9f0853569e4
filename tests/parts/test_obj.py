"""OBJ files read into parts: figures as trimesh gives them, polygons, negative indices, groups, units."""

from __future__ import annotations

from pathlib import Path

import pytest

from offchain import parts
from offchain.devtools import models as tm
from offchain.devtools import parts as td
from offchain.parts import errors, stl
from tests.utils.models import assert_parts_agree, expect_refusal, trimesh_parts
from tests.utils.parts import PARTS

CUBE_QUADS = """# a 10 mm cube of quads, texture and normal indices to ignore
v 0 0 0
v 10 0 0
v 10 10 0
v 0 10 0
v 0 0 10
v 10 0 10
v 10 10 10
v 0 10 10
vt 0 0
vn 0 0 1
f 4/1/1 3/1/1 2/1/1 1/1/1
f 5//1 6//1 7//1 8//1
f 1 2 6 5
f 2 3 7 6
f 3 4 8 7
f 4 1 5 8
"""


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


@pytest.mark.parametrize("name", sorted(PARTS))
def test_figures_agree_with_trimesh(tmp_path: Path, name: str) -> None:
    path = tm.write_obj(tmp_path / f"{name}.obj", [(name, PARTS[name]())])
    model = parts.read(path)
    assert model.format == "obj" and model.parts[0].data.format == "obj"
    assert_parts_agree(model, trimesh_parts(path, force="mesh"))


def test_quads_are_split_into_triangles_and_the_cube_is_exact(tmp_path: Path) -> None:
    (part,) = parts.read(write(tmp_path / "cube.obj", CUBE_QUADS)).parts
    assert part.data.triangles == 12
    assert part.data.volume_mm3 == pytest.approx(1000.0)
    assert part.data.closed and part.data.oriented
    assert "6 faces with more than three corners" in part.data.warnings[0]


def test_negative_indices_count_back_from_the_face(tmp_path: Path) -> None:
    named = [("box", PARTS["box"]()), ("gear", PARTS["gear"]().translated((100.0, 0.0, 0.0)))]
    text = tm.obj_text(named, negative=True, textured=True)
    relative = parts.read(write(tmp_path / "neg.obj", text), split_groups=True)
    absolute = parts.read(tm.write_obj(tmp_path / "pos.obj", named), split_groups=True)
    assert [p.data for p in relative.parts] == [p.data for p in absolute.parts]


def test_groups_are_separate_parts_only_when_asked(tmp_path: Path) -> None:
    named = [(n, PARTS[n]().translated((200.0 * i, 0.0, 0.0))) for i, n in enumerate(("box", "torus"))]
    path = tm.write_obj(tmp_path / "two.obj", named)
    whole = parts.read(path)
    assert [p.name for p in whole.parts] == ["two"] and whole.parts[0].data.shells == 2
    split = parts.read(path, split_groups=True)
    assert [p.name for p in split.parts] == ["box", "torus"]
    assert sum(p.data.volume_mm3 for p in split.parts) == pytest.approx(whole.parts[0].data.volume_mm3)


def test_the_user_names_the_unit(tmp_path: Path) -> None:
    (part,) = parts.read(write(tmp_path / "cube.obj", CUBE_QUADS), units="inch").parts
    assert part.data.bbox_mm == pytest.approx((254.0, 254.0, 254.0))
    assert part.data.units == "inch"


@pytest.mark.parametrize(("text", "error", "words"), [
    ("v 0 0 0\nv 1 0 0\nv 0 1 0\n", stl.EmptyStlError, ("no faces",)),
    ("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 4\n", errors.ObjError, ("vertex 4", "3 vertices")),
    ("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 0\n", errors.ObjError, ("vertex 0",)),
    ("v 0 0 0\nv 1 0 0\nv 0 1 0\nf -1 -2 -4\n", errors.ObjError, ("vertex -4",)),
    ("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2\n", errors.ObjError, ("fewer than three corners",)),
    ("v 0 0 zero\nv 1 0 0\nv 0 1 0\nf 1 2 3\n", errors.ObjError, ("not a number",)),
    ("v 0 0 nan\nv 1 0 0\nv 0 1 0\nf 1 2 3\n", errors.ObjError, ("NaN",)),
    ("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 x\n", errors.ObjError, ("whole vertex index",)),
])
def test_bad_obj_files_are_refused_in_one_line(
    tmp_path: Path, text: str, error: type[stl.StlError], words: tuple[str, ...],
) -> None:
    expect_refusal(write(tmp_path / "bad.obj", text), error, *words)


def test_an_obj_over_the_triangle_limit_is_refused_before_the_triangles_are_made(tmp_path: Path) -> None:
    path = tm.write_obj(tmp_path / "big.obj", [("torus", td.torus(30.0, 10.0, 48, 24))])
    expect_refusal(path, stl.TooLargeError, "2304 triangles", max_triangles=1000)


def test_comments_blanks_and_vertex_colours_are_ignored(tmp_path: Path) -> None:
    text = CUBE_QUADS.replace("v 0 0 0\n", "  v 0 0 0 1.0 0.5 0.5  # a coloured vertex, indented\n", 1)
    text = text.replace("f 1 2 6 5\n", "f 1 2 6 5 # the front\n\n").replace("\n", "\r\n")
    (part,) = parts.read(write(tmp_path / "cube.obj", text)).parts
    assert part.data.volume_mm3 == pytest.approx(1000.0) and part.data.closed


def test_a_binary_stl_whose_header_reads_like_obj_stays_an_stl(tmp_path: Path) -> None:
    triangles = PARTS["box"]().triangles()
    path = td.write_binary(tmp_path / "box.stl", triangles, header=b"v 1 2 3 exported by a tool\n")
    model = parts.read(path)
    assert model.format == "stl" and model.parts[0].data.volume_mm3 == pytest.approx(6000.0)
