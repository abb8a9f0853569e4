"""Real files from outside the project: the 3MF Consortium's sample files and trimesh's test
models, fetched by pinned URL and sha256 (``offchain/devtools/outside.py``, ``url_files``;
never committed), read with the figures trimesh (an independent reader) gives. Without
internet (and no cached copy) the fetch says so in one line and these tests skip with it."""

from __future__ import annotations

from pathlib import Path

import pytest

from offchain import parts
from offchain.devtools import outside
from offchain.parts import errors
from tests.utils.models import assert_parts_agree, expect_refusal, trimesh_parts


@pytest.fixture(scope="module")
def files() -> dict[str, Path]:
    try:
        return outside.url_files()
    except outside.OutsideFilesError as exc:
        pytest.skip(str(exc))


@pytest.mark.parametrize("name", [
    "3mf-samples-box.3mf", "cube_gears.3mf", "multiple_cylinders.3mf", "torus.3mf", "sphere.3mf",
    "box_prod.3mf", "cube_and_sphere_same_name.3mf",
])
def test_public_3mf_files_agree_with_trimesh_part_by_part(files: dict[str, Path], name: str) -> None:
    model = parts.read(files[name])
    assert model.format == "3mf"
    assert_parts_agree(model, trimesh_parts(files[name], file_type="3mf"))


def test_the_consortiums_gear_assembly_is_seventeen_parts(files: dict[str, Path]) -> None:
    model = parts.read(files["cube_gears.3mf"])
    assert len(model.parts) == 17
    assert len({p.name for p in model.parts}) == 17  # each part named apart


def test_a_sliced_3mf_is_refused_naming_the_slice_extension(files: dict[str, Path]) -> None:
    expect_refusal(files["box_sliced.3mf"], errors.UnsupportedExtensionError, "slice extension")


@pytest.mark.parametrize("name", ["negative_indices.obj", "quadknot.obj", "two_objects.obj"])
def test_public_obj_files_agree_with_trimesh(files: dict[str, Path], name: str) -> None:
    """trimesh splits an OBJ's vertices where texture coordinates differ, so it may call a closed
    mesh open; every other figure must agree."""
    ours = parts.read(files[name]).parts[0].data
    (ref,) = trimesh_parts(files[name], process=False)
    assert sorted(ours.bbox_mm) == pytest.approx(ref["bbox_mm"], rel=1e-6)
    assert ours.volume_mm3 == pytest.approx(ref["volume_mm3"], rel=1e-6)
    assert ours.area_mm2 == pytest.approx(ref["area_mm2"], rel=1e-6)
    assert ours.triangles == ref["triangles"]


def test_an_obj_of_two_objects_is_two_parts_when_asked(files: dict[str, Path]) -> None:
    whole = parts.read(files["two_objects.obj"])
    split = parts.read(files["two_objects.obj"], split_groups=True)
    assert [p.name for p in split.parts] == ["cube", "tetra"]  # its o lines
    assert [p.data.volume_mm3 for p in split.parts] == pytest.approx([1.0, 1 / 6])
    assert whole.parts[0].data.volume_mm3 == pytest.approx(7 / 6)  # one part: the two volumes add up
    assert all(p.data.closed for p in split.parts)
