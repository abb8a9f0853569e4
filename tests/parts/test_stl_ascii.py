"""The tolerant ASCII reader, the binary/ASCII/UTF-16 detection, and binary files with extra bytes.

Every odd file is made here from a generated part and must give exactly the figures of
the same part written as a clean binary STL.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
from stl import Mode
from stl import mesh as stl_mesh

from offchain.devtools import parts as td
from offchain.parts import stl
from offchain.parts.stl import ascii as stl_ascii
from tests.utils.parts import PARTS, write

GEAR = PARTS["gear"]().triangles()
BOX = td.box((10.0, 20.0, 30.0)).triangles()


def text(*solids: tuple[str, np.ndarray]) -> str:
    return td.ascii_stl_text(list(solids))


def same_as_binary(tmp_path: Path, data: bytes, triangles: np.ndarray, solids: int = 1) -> stl.PartData:
    """The ASCII DATA reads as TRIANGLES: figures identical to the binary file's."""
    path = tmp_path / "odd.stl"
    path.write_bytes(data)
    part = stl.inspect(path)
    binary = stl.inspect(write(tmp_path / "clean.stl", triangles, "binary"))
    assert part.format == "ascii" and part.solids == solids
    assert part.to_json() | {"format": "binary", "solids": 1} == binary.to_json()
    return part


def test_vertices_are_those_numpy_stl_reads(tmp_path: Path) -> None:
    path = write(tmp_path / "gear.stl", PARTS["gear"](), "ascii")
    with path.open("rb") as fh:
        _, reference = stl_mesh.Mesh.load(fh, mode=Mode.ASCII, speedups=False)
    part = stl.inspect(path)
    assert part.triangles == len(reference)
    kind, vectors, solids, notes = stl._load(path, stl.MAX_FILE_BYTES, stl.MAX_TRIANGLES)
    assert (kind, solids, notes) == ("ascii", 1, [])
    assert np.array_equal(vectors, reference["vectors"])


@pytest.mark.parametrize(
    "normal",
    ["nan nan nan", "-1.#IND00 -1.#IND00 -1.#IND00", "", "0 0", "1 0 0 0", "NaN(ind) x y"],
    ids=["nan", "msvc-ind", "missing", "two", "four", "words"],
)
def test_facet_normals_are_never_parsed(tmp_path: Path, normal: str) -> None:
    lines = text(("gear", GEAR)).splitlines()
    lines = [f"  facet normal {normal}".rstrip() if line.startswith("  facet normal") else line
             for line in lines]
    same_as_binary(tmp_path, ("\n".join(lines) + "\n").encode(), GEAR)


@pytest.mark.parametrize("newline", ["\r", "\r\n", "\n\r", "\t"], ids=["cr", "crlf", "lfcr", "tab"])
def test_any_line_ending(tmp_path: Path, newline: str) -> None:
    data = text(("gear", GEAR)).replace("\n", newline).encode()
    same_as_binary(tmp_path, data, GEAR)


def test_utf8_byte_order_mark(tmp_path: Path) -> None:
    same_as_binary(tmp_path, b"\xef\xbb\xbf" + text(("gear", GEAR)).encode(), GEAR)


@pytest.mark.parametrize(
    "tail", [" exported by FooCAD 2.1 (c) 2024", "\x00" * 40, "\x1a", "   \n\n\t  "],
    ids=["same-line-text", "nul-padding", "ctrl-z", "whitespace"],
)
def test_trailing_text_after_endsolid(tmp_path: Path, tail: str) -> None:
    data = text(("gear", GEAR)).rstrip("\n") + tail
    same_as_binary(tmp_path, data.encode("latin-1"), GEAR)


def test_several_solids_with_odd_spacing_and_case(tmp_path: Path) -> None:
    a, b = BOX, td.torus(5.0, 2.0, 12, 8, centre=(50.0, 0.0, 0.0)).triangles()
    body = text(("first part", a)) + "solid empty one\nendsolid empty one\n\n" + text(("Second", b))
    body = body.replace("facet normal", "FACET   Normal").replace("vertex", "\tVERTEX\t")
    body = body.replace("endsolid first part", "ENDSOLID first part ; with a comment")
    part = same_as_binary(tmp_path, ("  \n" + body).encode(), np.concatenate([a, b]), solids=3)
    assert part.triangles == len(a) + len(b)


def test_a_file_on_one_line(tmp_path: Path) -> None:
    data = " ".join(text(("box", BOX)).split()).encode()
    same_as_binary(tmp_path, data, BOX)


def test_solid_names_may_hold_keywords(tmp_path: Path) -> None:
    data = text(("vertex facet endloop", BOX)).encode()
    same_as_binary(tmp_path, data, BOX)


def test_block_boundaries_do_not_change_the_result(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = text(("gear", GEAR), ("box", BOX)).encode()
    whole = same_as_binary(tmp_path, data, np.concatenate([GEAR, BOX]), solids=2)
    for block in (1, 100, 997, 5000):
        monkeypatch.setattr(stl_ascii, "ASCII_BLOCK", block)  # the module that reads it
        assert stl.inspect(tmp_path / "odd.stl") == whole


def expect_ascii_error(tmp_path: Path, data: str, *words: str) -> str:
    path = tmp_path / "bad.stl"
    path.write_text(data)
    with pytest.raises(stl.AsciiStlError) as caught:
        stl.inspect(path)
    message = str(caught.value)
    assert str(path) in message and "\n" not in message and "export the part again" in message
    for word in words:
        assert word in message, message
    return message


def test_a_coordinate_that_is_not_a_number(tmp_path: Path) -> None:
    data = text(("box", BOX)).replace("vertex 10 20 30", "vertex 10 2O 30", 1)
    line = data.splitlines().index("      vertex 10 2O 30") + 1
    expect_ascii_error(tmp_path, data, "solid 1", f"line {line}", "'2O' is not a number")


def test_a_vertex_with_two_values(tmp_path: Path) -> None:
    data = text(("box", BOX)).replace("vertex 10 20 30", "vertex 10 20", 1)
    expect_ascii_error(tmp_path, data, "'vertex' followed by 2 values instead of 3")


def test_a_vertex_with_two_numbers_glued(tmp_path: Path) -> None:
    data = text(("box", BOX)).replace("vertex 10 20 30", "vertex 10 20.5.5 30", 1)
    expect_ascii_error(tmp_path, data, "'20.5.5' is not a number")


def test_a_facet_without_outer_loop(tmp_path: Path) -> None:
    data = text(("box", BOX)).replace("    outer loop\n", "", 1)
    expect_ascii_error(tmp_path, data, "line 3", "expected 'outer' but found 'vertex'")


def test_stray_text_between_facets(tmp_path: Path) -> None:
    data = text(("box", BOX)).replace("  endfacet\n", "  endfacet\n  garbage here\n", 1)
    expect_ascii_error(tmp_path, data, "line 9", "unexpected 'garbage'")


def test_errors_name_the_solid(tmp_path: Path) -> None:
    data = text(("a", BOX), ("b", BOX))
    cut = data.rindex("endloop")
    data = data[:cut] + data[cut + len("endloop"):]
    expect_ascii_error(tmp_path, data, "solid 2", "expected 'endloop' but found 'endfacet'")


def test_a_solid_cut_short_before_the_next(tmp_path: Path) -> None:
    first = text(("a", BOX))
    data = first[: first.index("endloop", 200)] + "\n" + text(("b", BOX))
    expect_ascii_error(tmp_path, data, "solid 1")


# -- binary files with extra bytes, and what is not an STL -------------------------------


@pytest.mark.parametrize("extra", [1, 2, 3])
def test_binary_with_a_few_trailing_bytes(tmp_path: Path, extra: int) -> None:
    data = td.binary_stl_bytes(GEAR)
    path = tmp_path / "tail.stl"
    path.write_bytes(data + b"\x00\n\x1a"[:extra])
    part = stl.inspect(path)
    clean = stl.inspect(write(tmp_path / "clean.stl", GEAR, "binary"))
    assert part.to_json() | {"warnings": []} == clean.to_json()
    plural = "s" if extra > 1 else ""
    assert part.warnings == (f"the binary STL has {extra} byte{plural} after its last triangle; "
                             "they were ignored",)


def test_binary_with_solid_header_and_a_trailing_byte_is_binary(tmp_path: Path) -> None:
    path = tmp_path / "tail.stl"
    path.write_bytes(td.binary_stl_bytes(BOX, header=b"solid from CAD") + b"\n")
    part = stl.inspect(path)
    assert part.format == "binary" and part.volume_mm3 == 6000.0 and len(part.warnings) == 1


def test_binary_with_four_trailing_bytes_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "tail.stl"
    path.write_bytes(td.binary_stl_bytes(BOX) + b"\0" * 4)
    with pytest.raises(stl.BinarySizeError, match="12 triangles"):
        stl.inspect(path)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_text_is_named(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "wide.stl"
    path.write_bytes(text(("box", BOX)).encode(encoding))
    with pytest.raises(stl.TextEncodingError) as caught:
        stl.inspect(path)
    message = str(caught.value)
    assert isinstance(caught.value, stl.NotStlError)
    assert "UTF-16 text" in message and "save it as an ASCII or binary STL" in message
    assert "triangles" not in message


def test_binary_whose_header_is_utf16_text_is_still_binary(tmp_path: Path) -> None:
    path = tmp_path / "wide-header.stl"
    path.write_bytes(td.binary_stl_bytes(BOX, header="solid CAD export".encode("utf-16-le")))
    assert stl.inspect(path).format == "binary"


def test_a_tiny_file_is_not_utf16(tmp_path: Path) -> None:
    path = tmp_path / "tiny.stl"
    path.write_bytes(struct.pack("<4I", 0, 1, 0, 1))
    with pytest.raises(stl.BinarySizeError, match="too short"):
        stl.inspect(path)
