"""Wavefront OBJ -> one part (or one per ``o``/``g`` group when asked), as STL's triangle array.

Only geometry is read: ``v x y z`` (a fourth weight or vertex colours after the three
coordinates are ignored) and ``f`` faces of three or more corners, each corner the
vertex index before any ``/`` (texture and normal indices are ignored); indices count
from 1, negative ones from the last vertex defined before the face. Polygons are split
into triangles as fans from their first corner (the signed sums that give area and
volume are exact for any planar polygon split so). Everything else (``vn``, ``vt``,
materials, lines, points, smoothing) is ignored. OBJ has no unit: the user names it.

Lines are found with byte regular expressions over the whole file and the numbers
parsed by numpy, block by block: no Python loop over the vertices.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from offchain.parts.errors import ObjError
from offchain.parts.stl import EmptyStlError, TooLargeError

_VERTEX = re.compile(rb"^[ \t]*v[ \t]+([^\r\n#]*)", re.M)
_FACE = re.compile(rb"^[ \t]*f[ \t]+([^\r\n#]*)", re.M)
_GROUP = re.compile(rb"^[ \t]*([og])(?:[ \t]+([^\r\n#]*))?", re.M)
_CORNER_TAIL = re.compile(rb"/[^ \t]*")
KEYWORDS = (b"v", b"vn", b"vt", b"vp", b"f", b"o", b"g", b"s", b"l", b"p", b"mtllib", b"usemtl", b"#")


def looks_like_obj(head: bytes) -> bool:
    """True when the text HEAD starts (after comments and blank lines) with an OBJ statement."""
    for line in head.splitlines():
        words = line.split()
        if not words or words[0].startswith(b"#"):
            continue
        return words[0] in KEYWORDS
    return False


@dataclass(frozen=True)
class Group:
    """One part of the file: its name and triangles ((n, 3, 3) float32, in the file's unit)."""

    name: str
    vectors: np.ndarray
    polygons: int  # faces with more than three corners, split into triangles


def read_groups(path: Path, data: bytes, max_triangles: int, split: bool) -> list[Group]:
    """The triangles of the OBJ text DATA (read from PATH), one group, or one per o/g when SPLIT."""
    where = str(path)
    v_match = list(_VERTEX.finditer(data))
    f_match = list(_FACE.finditer(data))
    if not f_match:
        raise EmptyStlError(
            f"{where}: the OBJ file has no faces (f lines), so no surface; export the part again"
        )
    vertices = _vertices(where, [m.group(1) for m in v_match])
    corners, counts = _faces(where, [m.group(1) for m in f_match])
    triangles_total = int((counts - 2).sum())
    if triangles_total > max_triangles:
        raise TooLargeError(
            f"{where}: the OBJ file holds {triangles_total} triangles, more than the {max_triangles} a part "
            "model may have; simplify (decimate) the mesh and export it again"
        )
    # Negative indices count back from the vertices defined before their face.
    before = np.searchsorted(np.array([m.start() for m in v_match], dtype=np.int64),
                             np.array([m.start() for m in f_match], dtype=np.int64))
    per_corner = np.repeat(before, counts)
    index = np.where(corners < 0, per_corner + corners, corners - 1)
    wrong = (corners == 0) | (index < 0) | (index >= len(vertices))
    if wrong.any():
        bad = int(np.flatnonzero(wrong)[0])
        raise ObjError(
            f"{where}: a face refers to vertex {int(corners[bad])}, which does not exist "
            f"({len(vertices)} vertices); export the part again"
        )
    triangles, face_of = _fans(index, counts)
    vectors = vertices[triangles]
    polygons_of = counts > 3
    if not split:
        return [Group(path.stem, vectors, int(np.count_nonzero(polygons_of)))]
    groups = list(_GROUP.finditer(data))
    starts = np.array([m.start() for m in groups], dtype=np.int64)
    owner = np.searchsorted(starts, np.array([m.start() for m in f_match], dtype=np.int64)) - 1
    names = [(m.group(2) or m.group(1)).strip().decode("utf-8", "replace") for m in groups]
    out: list[Group] = []
    seen: dict[str, int] = {}
    tri_owner = owner[face_of]
    for g in np.unique(owner).tolist():
        name = names[g] if g >= 0 else path.stem
        seen[name] = seen.get(name, 0) + 1
        label = name if seen[name] == 1 else f"{name} #{seen[name]}"
        out.append(Group(label, vectors[tri_owner == g], int(np.count_nonzero(polygons_of & (owner == g)))))
    return out


def _vertices(where: str, lines: list[bytes]) -> np.ndarray:
    if not lines:
        raise ObjError(f"{where}: the OBJ file has faces but no vertices (v lines); export the part again")
    first = lines[0].split()
    width = len(first)
    values = _numbers(b" ".join(lines), np.float64)
    if width < 3 or len(values) != width * len(lines):
        # Lines of different lengths (some with colours): take the first three of each.
        rows = [line.split()[:3] for line in lines]
        if any(len(r) < 3 for r in rows):
            raise ObjError(f"{where}: a v line has fewer than three coordinates; export the part again")
        values, width = _numbers(b" ".join(b" ".join(r) for r in rows), np.float64), 3
        if len(values) != 3 * len(lines):
            raise ObjError(f"{where}: a vertex coordinate is not a number; export the part again")
    vertices = values.reshape(-1, width)[:, :3].astype(np.float32)
    if not np.isfinite(vertices).all():
        raise ObjError(f"{where}: a vertex coordinate is NaN or infinite; repair or re-export the model")
    return vertices


def _faces(where: str, lines: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """(vertex index of every corner as written, number of corners of every face)."""
    counts = np.fromiter((len(line.split()) for line in lines), dtype=np.int64, count=len(lines))
    if (counts < 3).any():
        raise ObjError(f"{where}: a face has fewer than three corners; export the part again")
    corners = _numbers(_CORNER_TAIL.sub(b"", b" ".join(lines)), np.int64)
    if len(corners) != int(counts.sum()):
        raise ObjError(f"{where}: a face corner is not a whole vertex index; export the part again")
    return corners, counts


def _numbers(text: bytes, dtype: type) -> np.ndarray:
    try:
        return np.array(text.split(), dtype=dtype)
    except (ValueError, OverflowError):
        return np.zeros(0, dtype=dtype)


def _fans(index: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(triangles as vertex indices (t, 3), face of each triangle): each face a fan from its first corner."""
    per_face = counts - 2
    face_of = np.repeat(np.arange(len(counts)), per_face)
    first = np.concatenate([[0], np.cumsum(counts)[:-1]])[face_of]
    j = np.arange(len(face_of)) - np.repeat(np.cumsum(per_face) - per_face, per_face) + 1
    triangles = np.stack([index[first], index[first + j], index[first + j + 1]], axis=1)
    return triangles, face_of
