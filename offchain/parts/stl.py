"""STL file -> the part's public data: bounding box, volume, area, and whether it is closed.

Binary files are mapped, not read: numpy-stl's record dtype over ``np.memmap``, and
only the vertex coordinates are copied out (36 of every 50 bytes). ASCII files,
with one or several ``solid`` blocks, are parsed by numpy-stl.

Closedness is decided on exact coordinates: vertices are welded when their float32
bits are equal, and the mesh is closed when every edge is shared by exactly two
triangles, and consistently oriented when no edge is walked twice in the same
direction. All of it is vectorised; the two sorts of about 3 x triangles 64-bit keys
are the main cost.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from stl import Mode
from stl import mesh as stl_mesh

from offchain.errors import ProdnetError
from offchain.parts.units import mm3_to_int, mm_per, mm_to_um, parse_units

HEADER_SIZE = 80
COUNT_SIZE = 4
RECORD = stl_mesh.Mesh.dtype
RECORD_SIZE = RECORD.itemsize  # 50: normal, three vertices (float32), attribute (uint16)
SNIFF_SIZE = 1024
CHUNK = 1 << 18  # triangles per block for the float64 sums

# Signatures of files people send by mistake, to name what the file is instead.
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"PK\x03\x04", "a ZIP archive (3MF files are ZIP archives: export STL instead)"),
    (b"%PDF", "a PDF document"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"\x1f\x8b", "a gzip archive (decompress it first)"),
    (b"GIF8", "a GIF image"),
    (b"ply", "a PLY model (export STL instead)"),
)


class StlError(ProdnetError):
    """The file cannot give the part's public data."""


class StlFileError(StlError):
    """The path is missing, a directory, or unreadable."""


class EmptyStlError(StlError):
    """The file (or every solid in it) holds no triangles."""


class NotStlError(StlError):
    """The file is something other than an STL."""


class BinarySizeError(StlError):
    """A binary STL whose triangle count disagrees with its size."""


class AsciiStlError(StlError):
    """An ASCII STL that is truncated or malformed."""


class NonFiniteError(StlError):
    """A coordinate is NaN or infinite."""


class DegenerateMeshError(StlError):
    """Every triangle has zero area: there is no surface to measure."""


@dataclass(frozen=True)
class PartData:
    """What the world may know about a part: sizes in mm, never the model itself."""

    bbox_mm: tuple[float, float, float]
    volume_mm3: float
    area_mm2: float
    triangles: int
    closed: bool
    oriented: bool
    units: str
    format: str
    solids: int
    open_edges: int

    def to_json(self) -> dict[str, Any]:
        return {
            "bbox_mm": list(self.bbox_mm),
            "volume_mm3": self.volume_mm3,
            "area_mm2": self.area_mm2,
            "triangles": self.triangles,
            "closed": self.closed,
            "oriented": self.oriented,
            "units": self.units,
            "format": self.format,
            "solids": self.solids,
            "open_edges": self.open_edges,
        }

    def chain_dims_um(self) -> tuple[int, int, int]:
        """Bounding box in whole micrometres, rounded up (what a job declares on chain)."""
        x, y, z = (mm_to_um(v) for v in self.bbox_mm)
        return x, y, z

    def chain_volume_mm3(self) -> int:
        """Part volume in whole cubic millimetres, rounded up."""
        return mm3_to_int(self.volume_mm3)


@dataclass(frozen=True)
class _Topology:
    closed: bool
    oriented: bool
    open_edges: int


def inspect(path: str | os.PathLike[str], units: str = "mm") -> PartData:
    """Read the STL at PATH (binary or ASCII) and return its public data in mm.

    UNITS names the unit the file's coordinates are in ('mm' or 'inch').
    Raises a StlError subclass, with a message saying what to do, for bad input.
    """
    units = parse_units(units)
    path = Path(path)
    kind, vectors, solids = _load(path)
    return measure(vectors, units=units, fmt=kind, solids=solids, name=str(path))


def measure(
    vectors: np.ndarray, units: str = "mm", fmt: str = "binary", solids: int = 1,
    name: str = "mesh",
) -> PartData:
    """Public data of triangles VECTORS ((n, 3, 3) float32, coordinates in UNITS)."""
    scale = mm_per(units)
    vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, 3, 3)
    n = len(vectors)
    if n == 0:
        raise EmptyStlError(f"{name}: the file contains no triangles; export the part again")
    flat = vectors.reshape(-1, 3)
    if not np.isfinite(flat).all():
        first = int(np.flatnonzero(~np.isfinite(flat).all(axis=1))[0]) // 3
        raise NonFiniteError(
            f"{name}: triangle {first} has a NaN or infinite coordinate; "
            "repair or re-export the model"
        )
    low, high = _extent(flat)
    volume, area, non_degenerate = _sums(vectors, (low + high) / 2)
    if non_degenerate == 0:
        raise DegenerateMeshError(
            f"{name}: all {n} triangles have zero area, so the part has no surface; "
            "re-export the model"
        )
    topology = _topology(vectors)
    bbox = tuple(float(v) * scale for v in high - low)
    return PartData(
        bbox_mm=(bbox[0], bbox[1], bbox[2]),
        volume_mm3=abs(volume) * scale**3,
        area_mm2=area * scale**2,
        triangles=n,
        closed=topology.closed,
        oriented=topology.oriented,
        units=units,
        format=fmt,
        solids=solids,
        open_edges=topology.open_edges,
    )


def _load(path: Path) -> tuple[str, np.ndarray, int]:
    """(format, vectors (n, 3, 3) float32, number of solids) of the STL at PATH."""
    if not path.exists():
        raise StlFileError(f"{path}: no such file; check the path")
    if path.is_dir():
        raise StlFileError(f"{path}: is a directory; give the path of an .stl file")
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(SNIFF_SIZE)
    except OSError as exc:
        raise StlFileError(
            f"{path}: cannot read the file ({exc.strerror}); check its permissions"
        ) from exc
    if size == 0:
        raise EmptyStlError(f"{path}: the file is empty; export the part as STL again")
    for magic, what in _MAGIC:
        if head.startswith(magic):
            raise NotStlError(f"{path}: not an STL file, it is {what}; give the part's .stl file")
    if size >= HEADER_SIZE + COUNT_SIZE:
        count = int(np.frombuffer(head, dtype="<u4", count=1, offset=HEADER_SIZE)[0])
        if size == HEADER_SIZE + COUNT_SIZE + RECORD_SIZE * count:
            return "binary", _read_binary(path, count), 1
    else:
        count = -1
    textual = _is_text(head)
    if textual and head.lstrip().lower().startswith(b"solid"):
        vectors, solids = _read_ascii(path)
        return "ascii", vectors, solids
    if textual:
        raise NotStlError(
            f"{path}: not an STL file: it is text that does not start with 'solid'; "
            "export the part as STL"
        )
    if count < 0:
        raise BinarySizeError(
            f"{path}: too short for a binary STL ({size} bytes, at least "
            f"{HEADER_SIZE + COUNT_SIZE} needed); the file is truncated or not an STL"
        )
    expected = HEADER_SIZE + COUNT_SIZE + RECORD_SIZE * count
    raise BinarySizeError(
        f"{path}: binary STL header says {count} triangles ({expected} bytes) but the file "
        f"has {size} bytes; it is truncated or corrupt (or not an STL), export it again"
    )


def _is_text(head: bytes) -> bool:
    """True when HEAD looks like text: no NUL and no control bytes other than whitespace."""
    if b"\x00" in head:
        return False
    control = sum(1 for c in head if c < 32 and c not in (9, 10, 12, 13))
    return control == 0


def _read_binary(path: Path, count: int) -> np.ndarray:
    if count == 0:
        raise EmptyStlError(f"{path}: the binary STL holds 0 triangles; export the part again")
    records = np.memmap(
        path, dtype=RECORD, mode="r", offset=HEADER_SIZE + COUNT_SIZE, shape=(count,)
    )
    try:
        return np.ascontiguousarray(records["vectors"])
    finally:
        mm = getattr(records, "_mmap", None)
        del records
        if mm is not None:
            mm.close()


def _read_ascii(path: Path) -> tuple[np.ndarray, int]:
    parts: list[np.ndarray] = []
    with path.open("rb") as fh:
        while _skip_space(fh):
            start = fh.tell()
            if not fh.read(5).lower() == b"solid":
                raise AsciiStlError(
                    f"{path}: ASCII STL has text after solid {len(parts)} that does not start "
                    f"with 'solid' (byte {start}); the file is corrupt, export it again"
                )
            fh.seek(start)
            try:
                result = stl_mesh.Mesh.load(fh, mode=Mode.ASCII, speedups=False)
            except (RuntimeError, ValueError, AssertionError) as exc:
                raise AsciiStlError(
                    f"{path}: ASCII STL is truncated or malformed in solid {len(parts) + 1} "
                    f"({_reason(exc)}); export the part again"
                ) from exc
            if result is None:
                break
            parts.append(result[1]["vectors"])
    if not parts or not sum(len(p) for p in parts):
        raise EmptyStlError(f"{path}: the ASCII STL holds no triangles; export the part again")
    return np.concatenate(parts).astype(np.float32, copy=False), len(parts)


def _skip_space(fh: Any) -> bool:
    """Move FH past whitespace; False at end of file."""
    while True:
        pos = fh.tell()
        chunk = fh.read(4096)
        if not chunk:
            return False
        stripped = chunk.lstrip()
        if stripped:
            fh.seek(pos + len(chunk) - len(stripped))
            return True


def _reason(exc: BaseException) -> str:
    args = [a for a in exc.args if isinstance(a, str | bytes) and a]
    text = args[-1] if args else ""
    if isinstance(text, bytes):
        text = text.decode("ascii", "replace")
    text = re.sub(r"""\bb(['"])(.*?)\1""", r"'\2'", " ".join(str(text).split()))
    if "Unable to find more lines" in text:
        return "the file ends before 'endsolid'"
    return text[:120] or "a facet is not 'facet normal, outer loop, 3 x vertex, endloop, endfacet'"


def _sums(vectors: np.ndarray, origin: np.ndarray) -> tuple[float, float, int]:
    """(signed volume, area, number of triangles with non-zero area), in float64.

    Coordinates are taken relative to ORIGIN (the bounding-box centre) so the signed
    volume does not lose digits for parts far from the file's origin.
    """
    volume = 0.0
    area = 0.0
    non_degenerate = 0
    for start in range(0, len(vectors), CHUNK):
        tri = vectors[start:start + CHUNK].astype(np.float64) - origin
        a, b, c = tri[:, 0], tri[:, 1], tri[:, 2]
        u, v = b - a, c - a
        cx = u[:, 1] * v[:, 2] - u[:, 2] * v[:, 1]
        cy = u[:, 2] * v[:, 0] - u[:, 0] * v[:, 2]
        cz = u[:, 0] * v[:, 1] - u[:, 1] * v[:, 0]
        # a . ((b - a) x (c - a)) == a . (b x c): six times the signed tetrahedron volume.
        volume += float((a[:, 0] * cx + a[:, 1] * cy + a[:, 2] * cz).sum())
        norm2 = cx * cx + cy * cy + cz * cz
        area += float(np.sqrt(norm2).sum())
        non_degenerate += int(np.count_nonzero(norm2))
    return volume / 6.0, area / 2.0, non_degenerate


def _extent(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-axis (min, max) of POINTS ((m, 3)) as float64.

    Reducing a (m, 3) array along axis 0 walks it three values at a time; viewing
    whole blocks of points as rows lets numpy compare full rows instead.
    """
    block = 1024
    k = len(points) // block * block
    parts = [points[k:]] if k < len(points) else []
    if k:
        rows = points[:k].reshape(-1, 3 * block)
        parts += [rows.min(axis=0).reshape(block, 3), rows.max(axis=0).reshape(block, 3)]
    stacked = np.concatenate(parts)
    return stacked.min(axis=0).astype(np.float64), stacked.max(axis=0).astype(np.float64)


def _mix(z: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser over uint64 (wrapping arithmetic)."""
    z = z + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def weld(points: np.ndarray, hash_bits: int = 64) -> tuple[np.ndarray, int]:
    """Vertex ids for POINTS ((m, 3) float32): equal ids exactly when coordinates are equal.

    One sort of 64-bit keys: the high bits hold a hash of the coordinates, the low bits
    the point's index. Runs of equal hash are checked against the coordinates; the rare
    run that mixes different points (a hash collision) is sorted by coordinates.
    Returns (ids (m,) int64, number of distinct points). HASH_BITS < 64 keeps fewer
    hash bits, which makes collisions common (tests use it to exercise that path).
    """
    m = len(points)
    bits = (np.asarray(points, dtype=np.float32) + np.float32(0.0)).view(np.uint32)  # -0.0 -> 0.0
    xy = (bits[:, 0].astype(np.uint64) << np.uint64(32)) | bits[:, 1]
    z = bits[:, 2].copy()
    del bits
    index_bits = max(1, (m - 1).bit_length())
    kept = max(1, min(hash_bits, 64 - index_bits))
    low_mask = np.uint64((1 << index_bits) - 1)
    key = (xy ^ _mix(z.astype(np.uint64))) >> np.uint64(64 - kept) << np.uint64(index_bits)
    key |= np.arange(m, dtype=np.uint64)
    key.sort()
    order = (key & low_mask).astype(np.int64)
    run_hash = key >> np.uint64(index_bits)
    del key
    xy, z = np.take(xy, order), np.take(z, order)
    same_hash = run_hash[1:] == run_hash[:-1]
    del run_hash
    same = (xy[1:] == xy[:-1]) & (z[1:] == z[:-1])
    mixed = same_hash & ~same
    if mixed.any():
        run = np.concatenate([[0], np.cumsum(~same_hash)])
        where = np.flatnonzero(np.isin(run, np.unique(run[1:][mixed])))
        sub = np.lexsort((z[where], xy[where], run[where]))
        order[where] = order[where][sub]
        xy[where] = xy[where][sub]
        z[where] = z[where][sub]
        same = (xy[1:] == xy[:-1]) & (z[1:] == z[:-1])
    sorted_ids = np.concatenate([[0], np.cumsum(~same)])
    ids = np.empty(m, dtype=np.int64)
    ids[order] = sorted_ids
    return ids, int(sorted_ids[-1]) + 1


def _topology(vectors: np.ndarray) -> _Topology:
    ids, count = weld(vectors.reshape(-1, 3))
    corners = ids.reshape(-1, 3).astype(np.uint64)
    nxt = np.empty_like(corners)
    nxt[:, :2] = corners[:, 1:]
    nxt[:, 2] = corners[:, 0]
    low = np.minimum(corners, nxt)
    high = np.maximum(corners, nxt)
    forward = (corners > nxt).astype(np.uint64)
    del ids, nxt
    edge = (((low * np.uint64(count)) + high) << np.uint64(1) | forward).ravel()
    del low, high, forward
    edge.sort()
    undirected = edge >> np.uint64(1)
    starts = np.flatnonzero(np.concatenate([[True], undirected[1:] != undirected[:-1]]))
    counts = np.diff(np.append(starts, len(undirected)))
    open_edges = int(np.count_nonzero(counts != 2))
    oriented = not bool((edge[1:] == edge[:-1]).any())
    return _Topology(closed=open_edges == 0, oriented=oriented, open_edges=open_edges)


def describe_open(part: PartData) -> str:
    """The warning a user gets for a mesh that is not closed."""
    return (
        f"the mesh is not closed ({part.open_edges} edges are not shared by exactly two "
        "triangles), so its volume is unreliable; repair the model before ordering"
    )


__all__ = [
    "AsciiStlError", "BinarySizeError", "DegenerateMeshError", "EmptyStlError", "NonFiniteError",
    "NotStlError", "PartData", "StlError", "StlFileError", "describe_open", "inspect", "measure",
    "weld",
]
