"""Bad input to offchain.stl: the right exception class, a message that says what to do."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from offchain.devtools import parts as td
from offchain.errors import ProdnetError
from offchain.parts import stl
from offchain.parts.units import UnknownUnitsError
from tests.utils.parts import FIXTURE_FILES, FIXTURES, png_bytes, zip_bytes


def expect(path: Path, error: type[stl.StlError], *words: str) -> str:
    """inspect(PATH) raises ERROR naming the file and containing WORDS; nothing is written."""
    before = sorted(p.name for p in path.parent.iterdir()) if path.parent.is_dir() else []
    with pytest.raises(error) as caught:
        stl.inspect(path)
    message = str(caught.value)
    assert isinstance(caught.value, ProdnetError)
    assert "\n" not in message
    assert str(path) in message
    for word in words:
        assert word in message, message
    after = sorted(p.name for p in path.parent.iterdir()) if path.parent.is_dir() else []
    assert before == after
    return message


def test_committed_fixtures_are_what_the_helpers_make() -> None:
    for name, make in FIXTURE_FILES.items():
        assert (FIXTURES / name).read_bytes() == make(), name


def test_missing_file(tmp_path: Path) -> None:
    expect(tmp_path / "nope.stl", stl.StlFileError, "no such file")


def test_directory(tmp_path: Path) -> None:
    (tmp_path / "dir.stl").mkdir()
    expect(tmp_path / "dir.stl", stl.StlFileError, "is a directory")


def test_empty_file(tmp_path: Path) -> None:
    (tmp_path / "empty.stl").write_bytes(b"")
    expect(tmp_path / "empty.stl", stl.EmptyStlError, "empty", "export")


def test_binary_with_zero_triangles(tmp_path: Path) -> None:
    (tmp_path / "zero.stl").write_bytes(b"\0" * 80 + struct.pack("<I", 0))
    expect(tmp_path / "zero.stl", stl.EmptyStlError, "0 triangles")


def test_ascii_with_no_facets(tmp_path: Path) -> None:
    (tmp_path / "hollow.stl").write_bytes(b"solid nothing\nendsolid nothing\n")
    expect(tmp_path / "hollow.stl", stl.EmptyStlError, "no triangles")


def test_binary_count_disagrees_with_size() -> None:
    expect(FIXTURES / "count_mismatch.stl", stl.BinarySizeError,
           "13 triangles", "734 bytes", "684 bytes", "export it again")


def test_binary_cut_short(tmp_path: Path) -> None:
    data = td.binary_stl_bytes(td.box().triangles())
    (tmp_path / "cut.stl").write_bytes(data[:-7])
    expect(tmp_path / "cut.stl", stl.BinarySizeError, "12 triangles", "truncated")


def test_binary_with_solid_header_and_wrong_count_is_a_size_error(tmp_path: Path) -> None:
    data = bytearray(td.binary_stl_bytes(td.box().triangles(), header=b"solid from CAD"))
    data[80:84] = struct.pack("<I", 99)
    (tmp_path / "liar.stl").write_bytes(bytes(data))
    expect(tmp_path / "liar.stl", stl.BinarySizeError, "99 triangles")


def test_too_short_for_binary(tmp_path: Path) -> None:
    (tmp_path / "short.stl").write_bytes(bytes(range(40)))
    expect(tmp_path / "short.stl", stl.BinarySizeError, "too short")


def test_truncated_ascii_committed_fixture() -> None:
    expect(FIXTURES / "truncated_ascii.stl", stl.AsciiStlError, "truncated or malformed")


@pytest.mark.parametrize("cut", [0.1, 0.5, 0.97, 0.999])
def test_ascii_truncated_anywhere(tmp_path: Path, cut: float) -> None:
    text = td.ascii_stl_text([("gear", td.gear(teeth=4, arc_samples=1).triangles())]).encode()
    (tmp_path / "cut.stl").write_bytes(text[: int(len(text) * cut)])
    expect(tmp_path / "cut.stl", stl.AsciiStlError, "solid 1")


def test_ascii_without_endsolid_names_the_cause(tmp_path: Path) -> None:
    text = td.ascii_stl_text([("cube", td.box().triangles())])
    (tmp_path / "noend.stl").write_text(text.replace("endsolid cube\n", ""))
    expect(tmp_path / "noend.stl", stl.AsciiStlError, "ends before 'endsolid'")


def test_ascii_with_a_four_vertex_facet(tmp_path: Path) -> None:
    text = td.ascii_stl_text([("cube", td.box().triangles())])
    text = text.replace("      vertex 0 0 0\n", "      vertex 0 0 0\n      vertex 1 1 1\n", 1)
    (tmp_path / "quad.stl").write_text(text)
    expect(tmp_path / "quad.stl", stl.AsciiStlError, "malformed")


def test_ascii_with_garbage_after_a_solid(tmp_path: Path) -> None:
    text = td.ascii_stl_text([("cube", td.box().triangles())]) + "this is not a solid\n"
    (tmp_path / "tail.stl").write_text(text)
    expect(tmp_path / "tail.stl", stl.AsciiStlError, "does not start with 'solid'")


def test_png_committed_fixture() -> None:
    assert png_bytes().startswith(b"\x89PNG")
    expect(FIXTURES / "not_stl.png", stl.NotStlError, "not an STL file", "PNG image")


def test_zip(tmp_path: Path) -> None:
    (tmp_path / "part.zip").write_bytes(zip_bytes())
    expect(tmp_path / "part.zip", stl.NotStlError, "ZIP archive")


def test_plain_text(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("These are my notes about the bracket.\n" * 10)
    expect(tmp_path / "notes.txt", stl.NotStlError, "text that does not start with 'solid'")


def test_nan_coordinate_committed_fixture() -> None:
    expect(FIXTURES / "nan_binary.stl", stl.NonFiniteError, "triangle 4", "NaN or infinite")


def test_infinite_coordinate_in_ascii(tmp_path: Path) -> None:
    text = td.ascii_stl_text([("cube", td.box().triangles())])
    (tmp_path / "inf.stl").write_text(text.replace("vertex 10 20 30", "vertex 10 inf 30", 1))
    expect(tmp_path / "inf.stl", stl.NonFiniteError, "NaN or infinite")


def test_only_zero_area_triangles_committed_fixture() -> None:
    expect(FIXTURES / "degenerate_binary.stl", stl.DegenerateMeshError, "all 3 triangles", "zero area")


def test_some_zero_area_triangles_are_allowed(tmp_path: Path) -> None:
    triangles = td.box().triangles()
    sliver = np.array([[[0, 0, 0], [5, 0, 0], [10, 0, 0]]], dtype=np.float32)
    path = tmp_path / "sliver.stl"
    td.write_binary(path, np.concatenate([triangles, sliver]))
    part = stl.inspect(path)
    assert part.triangles == 13 and part.volume_mm3 == pytest.approx(6000.0)


def test_unknown_units(tmp_path: Path) -> None:
    with pytest.raises(UnknownUnitsError, match="unknown units 'cm': use one of mm, inch"):
        stl.inspect(FIXTURES / "cube_ascii.stl", units="cm")

