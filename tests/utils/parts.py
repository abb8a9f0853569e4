"""Shared by the STL and `ape run model` tests: parts, bad files, and trimesh's figures."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np

from offchain.devtools import parts as td
from tests.conftest import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "stl"

# Parts every format test runs on: closed, consistently oriented, outward.
PARTS: dict[str, Callable[[], td.IndexedMesh]] = {
    "box": lambda: td.box((10.0, 20.0, 30.0)),
    "torus": lambda: td.torus(30.0, 10.0, 48, 24),
    "gear": lambda: td.gear(teeth=12),
    "bracket": lambda: td.bracket(arm=4),
    "plate": lambda: td.perforated_plate([(0, 0), (1, 0), (1, 1), (2, 1)], [(1, 1), (0, 0)]),
    # far from the origin: float32 rounding and cancellation in the signed volume
    "far_torus": lambda: td.torus(12.5, 4.0, 40, 20, centre=(5000.0, -3000.0, 1200.0)),
}


def write(path: Path, mesh: td.IndexedMesh | np.ndarray, fmt: str) -> Path:
    triangles = mesh.triangles() if isinstance(mesh, td.IndexedMesh) else mesh
    if fmt == "binary":
        return td.write_binary(path, triangles)
    return td.write_ascii(path, [(path.stem, triangles)])


def trimesh_figures(path: Path) -> dict[str, object]:
    """The same figures as stl.inspect, computed by trimesh (test/bench dependency only)."""
    import trimesh

    mesh = trimesh.load(str(path), force="mesh")
    return {
        "bbox_mm": [float(v) for v in mesh.extents],
        "volume_mm3": abs(float(mesh.volume)),
        "area_mm2": float(mesh.area),
        "triangles": len(mesh.faces),
        "closed": bool(mesh.is_watertight),
        "oriented": bool(mesh.is_winding_consistent),
    }


def png_bytes() -> bytes:
    """A real 1 x 1 PNG image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels)
            + chunk(b"IEND", b""))


def zip_bytes() -> bytes:
    """A real ZIP archive holding an ASCII STL (what a zipped model or a 3MF looks like)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("part.stl", td.ascii_stl_text([("part", td.box().triangles())]))
    return buffer.getvalue()


def cube_binary_solid_header() -> bytes:
    """A binary STL whose 80-byte header starts with 'solid' (many exporters do this)."""
    return td.binary_stl_bytes(td.box().triangles(), header=b"solid exported by a CAD tool")


def count_mismatch() -> bytes:
    """A binary STL whose header claims 13 triangles but holds 12."""
    data = bytearray(td.binary_stl_bytes(td.box().triangles()))
    data[80:84] = struct.pack("<I", 13)
    return bytes(data)


def truncated_ascii() -> bytes:
    """An ASCII STL cut off in the middle of a facet."""
    text = td.ascii_stl_text([("cube", td.box().triangles())]).encode()
    return text[: len(text) * 2 // 3]


def nan_binary() -> bytes:
    triangles = td.box().triangles()
    triangles[4, 1, 2] = np.nan
    return td.binary_stl_bytes(triangles)


def degenerate_binary() -> bytes:
    """Only zero-area triangles: collinear and repeated points."""
    triangles = np.array([
        [[0, 0, 0], [1, 1, 1], [2, 2, 2]],
        [[5, 5, 5], [5, 5, 5], [7, 1, 0]],
        [[3, 0, 0], [3, 0, 0], [3, 0, 0]],
    ], dtype=np.float32)
    return td.binary_stl_bytes(triangles)


def open_box() -> bytes:
    return td.binary_stl_bytes(td.box().triangles()[:-1])


def two_solids() -> bytes:
    first = td.box((10.0, 20.0, 30.0)).triangles()
    second = td.box((5.0, 5.0, 5.0), origin=(40.0, 0.0, 0.0)).triangles()
    return td.ascii_stl_text([("left", first), ("right", second)]).encode()


def cube_ascii() -> bytes:
    return td.ascii_stl_text([("cube", td.box().triangles())]).encode()


# The committed files in tests/fixtures/stl and how each is made (checked by a test).
FIXTURE_FILES: dict[str, Callable[[], bytes]] = {
    "cube_binary_solid_header.stl": cube_binary_solid_header,
    "cube_ascii.stl": cube_ascii,
    "two_solids_ascii.stl": two_solids,
    "open_box.stl": open_box,
    "count_mismatch.stl": count_mismatch,
    "truncated_ascii.stl": truncated_ascii,
    "nan_binary.stl": nan_binary,
    "degenerate_binary.stl": degenerate_binary,
    "not_stl.png": png_bytes,
}


def regenerate() -> None:
    """Rewrite the committed fixtures: python -c 'from tests.utils.parts import *; regenerate()'."""
    FIXTURES.mkdir(parents=True, exist_ok=True)
    for name, make in FIXTURE_FILES.items():
        (FIXTURES / name).write_bytes(make())
