"""Shared by the STL and `ape run model` tests: parts, bad files, and trimesh's figures."""

from __future__ import annotations

import io
import itertools
import json
import math
import os
import struct
import subprocess
import sys
import zipfile
import zlib
from collections.abc import Callable, Sequence
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


def revolved(profile: Sequence[tuple[float, float]], segments: int = 32) -> td.IndexedMesh:
    """A closed solid of revolution about z: PROFILE is (radius, z) from bottom to top, outward.

    Each profile point becomes a ring of SEGMENTS vertices (a point of radius 0 becomes
    one vertex, an apex); the first and last rings are closed by caps.
    """
    angles = np.arange(segments) * (2 * math.pi / segments)
    vertices: list[list[float]] = []
    rings: list[list[int]] = []
    for radius, z in profile:
        if radius == 0:
            rings.append([len(vertices)] * segments)
            vertices.append([0.0, 0.0, z])
        else:
            rings.append(list(range(len(vertices), len(vertices) + segments)))
            vertices += [[radius * math.cos(a), radius * math.sin(a), z] for a in angles]
    faces: list[tuple[int, int, int]] = []
    for low, high in itertools.pairwise(rings):
        for i in range(segments):
            j = (i + 1) % segments
            a, b, c, d = low[i], low[j], high[j], high[i]
            if a != b:
                faces.append((a, b, c))
            if c != d:
                faces.append((a, c, d))
    for ring, z, up in ((rings[0], profile[0][1], False), (rings[-1], profile[-1][1], True)):
        if ring[0] == ring[1]:
            continue
        centre = len(vertices)
        vertices.append([0.0, 0.0, z])
        for i in range(segments):
            j = (i + 1) % segments
            faces.append((centre, ring[i], ring[j]) if up else (centre, ring[j], ring[i]))
    return td.IndexedMesh(np.asarray(vertices, dtype=np.float64), np.asarray(faces, dtype=np.int64))


def polygon_area(radius: float, segments: int) -> float:
    return segments / 2 * radius**2 * math.sin(2 * math.pi / segments)


def frustum_volume(r1: float, r2: float, height: float, segments: int) -> float:
    """Volume between two regular SEGMENTS-gons of radii R1, R2, HEIGHT apart."""
    a1, a2 = polygon_area(r1, segments), polygon_area(r2, segments)
    return height / 3 * (a1 + a2 + math.sqrt(a1 * a2))


def hourglass(segments: int = 32) -> tuple[td.IndexedMesh, float]:
    """(an hourglass: two frustums meeting at a narrow waist, one shell; its exact volume)."""
    profile = [(10.0, -12.0), (1.5, 0.0), (6.0, 8.0)]
    volume = (frustum_volume(10.0, 1.5, 12.0, segments) + frustum_volume(1.5, 6.0, 8.0, segments))
    return revolved(profile, segments), volume


def bow_tie(segments: int = 24) -> tuple[td.IndexedMesh, float]:
    """(two cones touching at their apex: one vertex shared, no edge, so two shells; volume)."""
    mesh = revolved([(8.0, -10.0), (0.0, 0.0), (5.0, 6.0)], segments)
    volume = polygon_area(8.0, segments) * 10 / 3 + polygon_area(5.0, segments) * 6 / 3
    return mesh, volume


def mobius(segments: int = 40, width: float = 3.0, radius: float = 20.0) -> np.ndarray:
    """Triangles of a Mobius strip (one-sided, open): it has no orientation."""
    def point(u: float, v: float) -> list[float]:
        r = radius + v * math.cos(u / 2)
        return [r * math.cos(u), r * math.sin(u), v * math.sin(u / 2)]

    vertices = []
    for i in range(segments):
        u = 2 * math.pi * i / segments
        vertices += [point(u, -width), point(u, width)]
    faces = []
    for i in range(segments):
        a, b = 2 * i, 2 * i + 1
        if i + 1 < segments:
            c, d = 2 * i + 2, 2 * i + 3
        else:  # half a turn: the strip comes back upside down
            c, d = 1, 0
        faces += [(a, c, d), (a, d, b)]
    return td.IndexedMesh(np.asarray(vertices), np.asarray(faces)).triangles()


def inspect_in_child(path: Path, timeout: float = 60.0, **kwargs: object) -> dict[str, object]:
    """stl.inspect(PATH) in a fresh interpreter, so a crash or a hang cannot take the tests down.

    Returns {"ok": part.to_json()} or {"error": class name, "message": ...}, plus the
    child's "returncode"; subprocess.TimeoutExpired if it takes longer than TIMEOUT.
    """
    code = (
        "import json, sys\n"
        "from offchain.parts import stl\n"
        "try:\n"
        "    part = stl.inspect(sys.argv[1], **json.loads(sys.argv[2]))\n"
        "    print(json.dumps({'ok': part.to_json()}))\n"
        "except stl.StlError as exc:\n"
        "    print(json.dumps({'error': type(exc).__name__, 'message': str(exc)}))\n"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    result = subprocess.run(
        [sys.executable, "-c", code, str(path), json.dumps(kwargs)], cwd=ROOT, env=env,
        capture_output=True, text=True, timeout=timeout,
    )
    lines = result.stdout.strip().splitlines()
    data: dict[str, object] = json.loads(lines[-1]) if lines else {}
    data["returncode"] = result.returncode
    data["stderr"] = result.stderr
    return data


def sparse_file(path: Path, size: int, count: int, header: bytes = b"sparse") -> Path:
    """A file of SIZE bytes (a hole after the header) whose binary STL header claims COUNT triangles."""
    with path.open("wb") as fh:
        fh.write(header.ljust(80, b" ") + struct.pack("<I", count))
        fh.truncate(size)
    return path


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
