"""Crafted bad 3MF packages: each is refused in one line naming the problem, before it can hurt."""

from __future__ import annotations

import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from offchain import parts
from offchain.devtools import models as tm
from offchain.devtools import parts as td
from offchain.parts import errors, stl
from tests.conftest import ROOT
from tests.utils.models import expect_refusal

BOX = [("box", td.box((10.0, 20.0, 30.0)))]
GOOD_MODEL = tm.model_xml(tm.objects_xml(BOX), tm.build_xml([1]))


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def raw_zip(entries: list[tuple[str, int, bytes, int, int]]) -> bytes:
    """A ZIP made by hand from (name, method, payload, declared size, crc): sizes may lie."""
    blob, central = bytearray(), bytearray()
    for name, method, payload, size, crc in entries:
        raw, offset = name.encode(), len(blob)
        blob += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0, crc, len(payload), size,
                            len(raw), 0)
        blob += raw + payload
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0, 0, crc, len(payload),
                               size, len(raw), 0, 0, 0, 0, 0, offset) + raw
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(central), len(blob), 0)
    return bytes(blob + central + end)


def with_model(method: int, payload: bytes, size: int, crc: int) -> bytes:
    """A package whose model entry is PAYLOAD (method 8: raw deflate) declaring SIZE and CRC."""
    plain = [(name, 0, data, len(data), zlib.crc32(data))
             for name, data in (("[Content_Types].xml", tm.content_types()), ("_rels/.rels", tm.rels()))]
    return raw_zip([*plain, (tm.MODEL_PART, method, payload, size, crc)])


def deflated_zeros(size: int) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = b"\0" * (1 << 20)
    return b"".join(packer.compress(block) for _ in range(size >> 20)) + packer.flush()


def bomb_bytes(size: int) -> bytes:
    """SIZE zero bytes (a multiple of 1 MiB) deflated about a thousand times, declared honestly."""
    crc = 0
    for _ in range(size >> 20):
        crc = zlib.crc32(b"\0" * (1 << 20), crc)
    return with_model(8, deflated_zeros(size), size, crc)


def test_a_zip_bomb_is_refused_from_its_declared_sizes(tmp_path: Path) -> None:
    path = write(tmp_path / "bomb.3mf", bomb_bytes(64 << 20))
    expect_refusal(path, errors.PackageSafetyError, "zip bomb", "3D/3dmodel.model")


def test_an_entry_that_gives_more_than_it_declares_is_stopped_while_read(tmp_path: Path) -> None:
    # declares 1000 bytes (a harmless ratio) but inflates to 64 MiB: reading stops at the declared size
    path = write(tmp_path / "liar.3mf", with_model(8, deflated_zeros(64 << 20), 1000, 0))
    expect_refusal(path, errors.ThreeMfError, "3D/3dmodel.model")
    model = GOOD_MODEL.encode()
    path = write(tmp_path / "short.3mf", with_model(0, model, 100, zlib.crc32(model)))
    expect_refusal(path, errors.ThreeMfError, "3D/3dmodel.model")


@pytest.mark.parametrize(("prolog", "what"), [
    ('<!DOCTYPE model [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
     '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>\n',
     "billion laughs"),
    ('<!DOCTYPE model [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n', "external entity"),
    ('<!DOCTYPE model SYSTEM "http://example.invalid/model.dtd">\n', "external DTD"),
])
def test_dtds_and_entities_are_refused_before_any_expansion(tmp_path: Path, prolog: str, what: str) -> None:
    model = tm.model_xml(tm.objects_xml(BOX), tm.build_xml([1]), prolog=prolog)
    path = write(tmp_path / "entities.3mf", tm.package({tm.MODEL_PART: model}))
    expect_refusal(path, errors.PackageSafetyError, "DTD", "unsafe")


@pytest.mark.parametrize("name", ["../evil.model", "3D/../../evil.model", "/abs.model", "C:/win.model",
                                  "3D\\back.model"])
def test_entry_names_out_of_the_package_are_refused(tmp_path: Path, name: str) -> None:
    path = write(tmp_path / "traversal.3mf", tm.package({tm.MODEL_PART: GOOD_MODEL, name: b"x"}))
    expect_refusal(path, errors.PackageSafetyError, "out of the package")


def test_a_model_part_name_out_of_the_package_is_refused(tmp_path: Path) -> None:
    rels = tm.rels(["/3D/../../etc/passwd"])
    path = write(tmp_path / "rel.3mf", tm.package({tm.MODEL_PART: GOOD_MODEL}, relationships=rels))
    expect_refusal(path, errors.PackageSafetyError, "out of the package")


@pytest.mark.parametrize(("entries", "kwargs", "words"), [
    ({}, {}, ("3D/3dmodel.model", "missing")),
    ({tm.MODEL_PART: GOOD_MODEL}, {"types": b""}, ("[Content_Types].xml",)),
    ({tm.MODEL_PART: GOOD_MODEL}, {"relationships": b""}, ("_rels/.rels",)),
    ({tm.MODEL_PART: GOOD_MODEL}, {"relationships": tm.rels(["/3D/3dmodel.model", "/3D/b.model"])},
     ("2 3D model parts",)),
    ({tm.MODEL_PART: GOOD_MODEL}, {"types": tm.content_types("xml")}, ("content type",)),
    ({tm.MODEL_PART: "<model"}, {}, ("not well-formed XML",)),
    ({tm.MODEL_PART: "<other/>"}, {}, ("<model>",)),
])
def test_packages_the_specification_says_must_fail_are_refused(
    tmp_path: Path, entries: dict[str, str], kwargs: dict[str, bytes], words: tuple[str, ...],
) -> None:
    path = write(tmp_path / "bad.3mf", tm.package(entries, **kwargs))
    expect_refusal(path, errors.ThreeMfError, *words)


def test_a_component_cycle_is_refused_naming_the_objects(tmp_path: Path) -> None:
    resources = (
        '<object id="1" type="model"><components><component objectid="2"/></components></object>'
        '<object id="2" type="model"><components><component objectid="1"/></components></object>'
    )
    model = tm.model_xml(resources, tm.build_xml([1]))
    path = write(tmp_path / "cycle.3mf", tm.package({tm.MODEL_PART: model}))
    expect_refusal(path, errors.ComponentCycleError, "cycle", "1 -> 2 -> 1")


def test_a_tree_of_copies_is_counted_before_anything_is_allocated(tmp_path: Path) -> None:
    resources = tm.objects_xml(BOX)  # 12 triangles; each level copies the one below 100 times
    for level in range(2, 6):
        copies = "".join(f'<component objectid="{level - 1}"/>' for _ in range(100))
        resources += f'<object id="{level}" type="model"><components>{copies}</components></object>'
    model = tm.model_xml(resources, tm.build_xml([5]))
    path = write(tmp_path / "copies.3mf", tm.package({tm.MODEL_PART: model}))
    expect_refusal(path, stl.TooLargeError, "1200000000 triangles")


def test_a_singular_transform_is_refused(tmp_path: Path) -> None:
    flat = tm.transform([[1, 0, 0], [0, 1, 0], [0, 0, 0]])
    path = write(tmp_path / "flat.3mf", tm.package({tm.MODEL_PART: tm.model_xml(
        tm.objects_xml(BOX), tm.build_xml([(1, flat)]))}))
    expect_refusal(path, errors.ThreeMfError, "determinant 0")


@pytest.mark.parametrize(("extra", "inside", "name"), [
    ('xmlns:b="http://schemas.microsoft.com/3dmanufacturing/beamlattice/2017/02" requiredextensions="b"', "",
     "beam lattice"),
    ('xmlns:s="http://schemas.microsoft.com/3dmanufacturing/slice/2015/07"', "", "slice"),
    ('xmlns:v="http://schemas.3mf.io/3dmanufacturing/volumetric/2022/01"', "", "volumetric"),
    ('xmlns:x="http://example.com/unknown/2020" requiredextensions="x"', "", "http://example.com/unknown/2020"),
])
def test_extensions_that_change_geometry_are_refused_by_name(
    tmp_path: Path, extra: str, inside: str, name: str,
) -> None:
    path = write(tmp_path / "ext.3mf", tm.package({tm.MODEL_PART: tm.model_xml(
        tm.objects_xml(BOX) + inside, tm.build_xml([1]), extra=extra)}))
    expect_refusal(path, errors.UnsupportedExtensionError, name, "extension")


def test_a_beam_lattice_element_is_refused_even_when_not_required(tmp_path: Path) -> None:
    ns = "http://schemas.microsoft.com/3dmanufacturing/beamlattice/2017/02"
    obj = tm.objects_xml(BOX).replace("</mesh>", f'<beamlattice xmlns="{ns}" minlength="1"/></mesh>')
    path = write(tmp_path / "lattice.3mf", tm.package({tm.MODEL_PART: tm.model_xml(obj, tm.build_xml([1]))}))
    expect_refusal(path, errors.UnsupportedExtensionError, "beam lattice")


@pytest.mark.parametrize(("resources", "build", "error", "words"), [
    ('<object id="1" type="model"><mesh><vertices/><triangles/></mesh></object>', tm.build_xml([1]),
     stl.EmptyStlError, ("no triangles",)),
    (tm.objects_xml(BOX), "<build/>", stl.EmptyStlError, ("no build items",)),
    (tm.objects_xml(BOX), tm.build_xml([9]), errors.ThreeMfError, ("no object with id '9'",)),
    (tm.objects_xml(BOX).replace('v1="2"', 'v1="99"', 1), tm.build_xml([1]), errors.ThreeMfError,
     ("vertex it does not have",)),
    (tm.objects_xml(BOX).replace('x="10.0"', 'x="nan"', 1), tm.build_xml([1]), errors.ThreeMfError,
     ("not finite",)),
    (tm.objects_xml(BOX), tm.build_xml([(1, "1 0 0")]), errors.ThreeMfError, ("12 finite numbers",)),
    (tm.objects_xml(BOX).replace('type="model"', 'type="other"'), tm.build_xml([1]), errors.ThreeMfError,
     ("type 'other'",)),
])
def test_bad_models_are_refused_in_one_line(
    tmp_path: Path, resources: str, build: str, error: type[stl.StlError], words: tuple[str, ...],
) -> None:
    path = write(tmp_path / "bad.3mf", tm.package({tm.MODEL_PART: tm.model_xml(resources, build)}))
    expect_refusal(path, error, *words)


def test_an_inch_unit_gives_the_right_figure(tmp_path: Path) -> None:
    path = write(tmp_path / "inch.3mf", tm.threemf_bytes([("cube", td.box((1.0, 1.0, 1.0)))], unit="inch"))
    assert parts.read(path).parts[0].data.volume_mm3 == pytest.approx(25.4**3, rel=1e-6)
    furlong = tm.threemf_bytes([("cube", td.box((1.0, 1.0, 1.0)))], unit="furlong")
    bad = write(tmp_path / "furlong.3mf", furlong)
    expect_refusal(bad, errors.ThreeMfError, "unknown model unit 'furlong'")


def test_reading_a_bomb_stays_within_a_small_memory_bound(tmp_path: Path) -> None:
    """A child process limited to 768 MiB of address space refuses a 1 GiB bomb cleanly."""
    path = write(tmp_path / "bomb.3mf", bomb_bytes(1 << 30))
    code = (
        "import resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_AS, (768 << 20, 768 << 20))\n"
        "from offchain import parts\n"
        "try:\n    parts.read(sys.argv[1])\nexcept Exception as exc:\n    print(type(exc).__name__)\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(path)], cwd=ROOT, capture_output=True, text=True,
                         check=True, timeout=120)
    assert out.stdout.strip() == "PackageSafetyError"
