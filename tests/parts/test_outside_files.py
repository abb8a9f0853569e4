"""Model files other tools wrote, from outside the project (offchain/devtools/outside.py: Debian's
assimp-testmodels and lib3mf-doc packages, pinned by sha256; a five-part 3MF PrusaSlicer exports
from its own shapes), read by prodnet and by trimesh, an independent reader: the same volume
where the mesh is closed, and where it is not a part, a one-line refusal that names what is wrong
(trimesh, on the same files, reads a malformed number as 0 and fails on a missing vertex)."""

from __future__ import annotations

from pathlib import Path

import pytest
import trimesh

from offchain import parts
from offchain.devtools import outside
from offchain.parts.errors import UnsupportedExtensionError
from offchain.parts.stl.errors import StlError


@pytest.fixture(scope="module")
def files() -> dict[str, Path]:
    try:
        return outside.debian_files()
    except outside.OutsideFilesError as exc:
        pytest.skip(str(exc))


def _trimesh_volume(path: Path) -> float:
    return float(trimesh.load(path, force="mesh", process=True).volume)


@pytest.mark.parametrize("name", [
    "box.3mf", "Helix.stl", "box.obj", "box_UTF16BE.obj", "box_without_lineending.obj", "cube_usemtl.obj",
    "cube_with_vertexcolors.obj", "empty_mat.obj", "testmixed.obj",
])
def test_a_closed_part_has_the_volume_an_independent_reader_finds(files: dict[str, Path], name: str) -> None:
    [part] = parts.read(files[name]).parts
    assert part.data.closed and part.data.shells == 1
    assert part.data.volume_mm3 == pytest.approx(_trimesh_volume(files[name]), rel=1e-6)


def test_the_3mf_consortiums_helix_is_refused_for_its_beam_lattice_and_read_as_stl(files) -> None:
    lattice = r"beam lattice extension.*export the part as a plain mesh"
    with pytest.raises(UnsupportedExtensionError, match=lattice):
        parts.read(files["Helix.3mf"])
    [helix] = parts.read(files["Helix.stl"]).parts
    assert helix.data.closed


@pytest.mark.parametrize(("name", "words"), [
    ("number_formats.obj", r"a vertex coordinate is not a number \('3\.1\+e2' on a v line\)"),
    ("point_cloud.obj", r"has no faces \(f lines\), so no surface"),
    ("malformed.obj", r"a face refers to vertex 12, which does not exist \(8 vertices\)"),
])
def test_what_is_not_a_part_is_one_line_naming_the_problem(files: dict[str, Path], name: str, words: str):
    with pytest.raises(StlError, match=words) as refused:
        parts.read(files[name])
    assert "\n" not in str(refused.value) and str(refused.value).endswith("again")


@pytest.mark.parametrize("name", ["spider.obj", "WusonOBJ.obj"])
def test_an_open_model_is_read_and_said_to_be_open(files: dict[str, Path], name: str) -> None:
    [part] = parts.read(files[name]).parts
    assert not part.data.closed and part.data.open_edges > 0


def test_prusaslicers_five_part_3mf_is_five_closed_parts_as_trimesh_reads_them() -> None:
    try:
        path = outside.prusaslicer_assembly()
    except outside.OutsideFilesError as exc:
        pytest.skip(str(exc))
    model = parts.read(path)
    assert len(model.parts) == len(outside.PRUSASLICER_SHAPES) == 5
    theirs = trimesh.load(path).geometry
    assert len(theirs) == 5
    for ours, mesh in zip(model.parts, theirs.values(), strict=True):
        assert ours.data.closed
        assert ours.data.volume_mm3 == pytest.approx(float(mesh.volume), rel=1e-6)
