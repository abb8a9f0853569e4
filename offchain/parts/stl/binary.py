"""The binary STL reader: 80-byte header, triangle count, then 50-byte records.

Binary files are read in blocks of ``READ_RECORDS`` records into one reused buffer and
only the vertex coordinates (36 of every 50 bytes) are copied out: no memory map, so
nothing can be read after it is unmapped or after the file shrinks. The triangle count
is checked against the limit before the vertices are allocated.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

import numpy as np
from stl import mesh as stl_mesh

from offchain._fs import atomic_output
from offchain.parts.stl.errors import EmptyStlError, TooLargeError
from offchain.parts.stl.files import _changed, _os_error, _readinto_exactly

HEADER_SIZE = 80
COUNT_SIZE = 4
RECORD = stl_mesh.Mesh.dtype
RECORD_SIZE = RECORD.itemsize  # 50: normal, three vertices (float32), attribute (uint16)
READ_RECORDS = 1 << 18  # binary records read per block (13 MB)


def _read_binary(path: Path, fh: BinaryIO, count: int, max_triangles: int) -> np.ndarray:
    """The (count, 3, 3) float32 vertices of the binary STL open as FH, read block by block."""
    if count == 0:
        raise EmptyStlError(f"{path}: the binary STL holds 0 triangles; export the part again")
    if count > max_triangles:
        raise TooLargeError(
            f"{path}: the binary STL holds {count} triangles, more than the {max_triangles} a part "
            "model may have; simplify (decimate) the mesh and export it again"
        )
    fh.seek(HEADER_SIZE + COUNT_SIZE)
    vectors = np.empty((count, 3, 3), dtype=np.float32)
    block = np.empty(min(count, READ_RECORDS), dtype=RECORD)
    raw = block.view(np.uint8)
    for start in range(0, count, len(block)):
        k = min(len(block), count - start)
        try:
            got = _readinto_exactly(fh, raw[: k * RECORD_SIZE])
        except OSError as exc:
            raise _os_error(path, exc) from exc
        if got != k * RECORD_SIZE:
            raise _changed(path)
        vectors[start:start + k] = block["vectors"][:k]  # a copy: nothing refers to the buffer
    return vectors


def normals(triangles: np.ndarray) -> np.ndarray:
    """Unit face normals (zero for degenerate triangles), float32."""
    tri = triangles.astype(np.float64)
    n = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    length = np.linalg.norm(n, axis=1, keepdims=True)
    return np.divide(n, length, out=np.zeros_like(n), where=length > 0).astype(np.float32)


def records(triangles: np.ndarray) -> np.ndarray:
    """Binary STL records (normal, three corners, attribute) of TRIANGLES ((n, 3, 3))."""
    tri = np.asarray(triangles, dtype=np.float32).reshape(-1, 3, 3)
    out = np.zeros(len(tri), dtype=stl_mesh.Mesh.dtype)
    out["normals"] = normals(tri)
    out["vectors"] = tri
    return out


def write_binary(path: Path, triangles: np.ndarray, header: bytes = b"prodnet") -> Path:
    """Write TRIANGLES ((n, 3, 3)) as a binary STL at PATH atomically (a temp file renamed; never
    a half-written file); fine for millions of triangles."""
    rows = records(triangles)
    with atomic_output(Path(path), mode=0o644) as out:
        out.file.write(header[:HEADER_SIZE].ljust(HEADER_SIZE, b" "))
        out.file.write(np.uint32(len(rows)).tobytes())
        rows.tofile(out.file)
    return Path(path)

