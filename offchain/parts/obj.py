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
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from offchain.parts.errors import ObjError
from offchain.parts.stl import EmptyStlError, TooLargeError

_COMMENT = re.compile(rb"#[^\n]*")
_CORNER_TAIL = re.compile(rb"/[^ \t\r\n]*")
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
    lines = _Lines(data)
    v_lines, f_lines = lines.kind(b"v"), lines.kind(b"f")
    if not len(f_lines):
        raise EmptyStlError(
            f"{where}: the OBJ file has no faces (f lines), so no surface; export the part again"
        )
    if not len(v_lines):
        raise ObjError(f"{where}: the OBJ file has faces but no vertices (v lines); export the part again")
    vertices = _vertices(where, lines.payload(v_lines), len(v_lines))
    corners, counts = _faces(where, lines.payload(f_lines), len(f_lines))
    triangles_total = int((counts - 2).sum())
    if triangles_total > max_triangles:
        raise TooLargeError(
            f"{where}: the OBJ file holds {triangles_total} triangles, more than the {max_triangles} a part "
            "model may have; simplify (decimate) the mesh and export it again"
        )
    # Negative indices count back from the vertices defined before their face.
    before = np.searchsorted(v_lines, f_lines)
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
    group_lines = np.union1d(lines.kind(b"o"), lines.kind(b"g"))
    owner = np.searchsorted(group_lines, f_lines) - 1
    names = [lines.text(i).split(None, 1)[1:] for i in group_lines.tolist()]
    out: list[Group] = []
    seen: dict[str, int] = {}
    tri_owner = owner[face_of]
    for g in np.unique(owner).tolist():
        name = (names[g][0].strip().decode("utf-8", "replace") if names[g] else "") if g >= 0 else path.stem
        name = name or path.stem
        seen[name] = seen.get(name, 0) + 1
        label = name if seen[name] == 1 else f"{name} #{seen[name]}"
        out.append(Group(label, vectors[tri_owner == g], int(np.count_nonzero(polygons_of & (owner == g)))))
    return out


class _Lines:
    """The lines of DATA found with numpy (no Python loop over lines): starts, ends and keywords."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        raw = np.frombuffer(data, dtype=np.uint8)
        newline = np.flatnonzero(raw == 10)
        self.starts = np.concatenate([[0], newline + 1])
        self.ends = np.concatenate([newline, [len(raw)]])
        # the keyword of each line: its bytes up to the first blank (leading blanks skipped)
        padded = np.concatenate([raw, np.zeros(8, dtype=np.uint8)])
        self.head = np.stack([padded[self.starts + k] for k in range(3)], axis=1)
        self.indented = np.flatnonzero((self.head[:, 0] == 32) | (self.head[:, 0] == 9))

    def kind(self, keyword: bytes) -> np.ndarray:
        """Indices of the lines whose statement is KEYWORD (a one-letter keyword)."""
        code = keyword[0]
        blank = (self.head[:, 1] == 32) | (self.head[:, 1] == 9)
        found = np.flatnonzero((self.head[:, 0] == code) & blank)
        if len(self.indented):  # rare: statements after leading blanks
            extra = [i for i in self.indented.tolist() if self.text(i).split(None, 1)[:1] == [keyword]]
            found = np.union1d(found, np.array(extra, dtype=np.int64))
        return found

    def text(self, i: int) -> bytes:
        return self.data[int(self.starts[i]):int(self.ends[i])]

    def payload(self, rows: np.ndarray) -> bytes:
        """The text after the keyword of the lines ROWS (sorted), one line each, comments dropped."""
        breaks = np.flatnonzero(np.diff(rows) != 1) + 1
        chunks = []
        for run in np.split(rows, breaks):
            block = self.data[int(self.starts[run[0]]):int(self.ends[run[-1]])]
            chunks.append(block)
        text = b"\n".join(chunks)
        text = re.sub(rb"^[ \t]*[A-Za-z]+", b"", text, flags=re.M)
        return _COMMENT.sub(b"", text) if b"#" in text else text


def _vertices(where: str, text: bytes, rows: int) -> np.ndarray:
    values = _numbers(text, np.float64)
    if len(values) != 3 * rows:
        # some lines carry more than three numbers (a weight, vertex colours): the first three of each
        lines = [line.split()[:3] for line in text.split(b"\n")]
        if any(len(r) < 3 for r in lines):
            raise ObjError(f"{where}: a v line has fewer than three coordinates; export the part again")
        values = _numbers(b" ".join(b" ".join(r) for r in lines), np.float64)
        if len(values) != 3 * rows:
            raise ObjError(
                f"{where}: a vertex coordinate is not a number ({_first_non_number(lines)!r} on a v line); "
                "export the part again"
            )
    vertices = values.reshape(-1, 3).astype(np.float32)
    if not np.isfinite(vertices).all():
        raise ObjError(f"{where}: a vertex coordinate is NaN or infinite; repair or re-export the model")
    return vertices


def _first_non_number(lines: list[list[bytes]]) -> str:
    for words in lines:
        for word in words:
            try:
                float(word)
            except ValueError:
                return word.decode("utf-8", "replace")
    return "?"


def _faces(where: str, text: bytes, rows: int) -> tuple[np.ndarray, np.ndarray]:
    """(vertex index of every corner as written, number of corners of every face)."""
    text = _CORNER_TAIL.sub(b"", text)
    raw = np.frombuffer(text, dtype=np.uint8)
    blank = (raw == 32) | (raw == 9) | (raw == 13) | (raw == 10)
    starts = ~blank
    starts[1:] &= blank[:-1]
    line_of = np.cumsum(raw == 10)
    counts = np.bincount(line_of[starts], minlength=rows).astype(np.int64)
    if len(counts) != rows or (counts < 3).any():
        raise ObjError(f"{where}: a face has fewer than three corners; export the part again")
    corners = _numbers(text, np.int64)
    if len(corners) != int(counts.sum()):
        raise ObjError(f"{where}: a face corner is not a whole vertex index; export the part again")
    return corners, counts


def _numbers(text: bytes, dtype: type) -> np.ndarray:
    """The whitespace-separated numbers of TEXT, parsed by numpy without a list of words; parsing
    stops at the first word that is not one, so callers compare the count with what they expect."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # numpy's notice when it stops early
        try:
            return np.fromstring(text, dtype=dtype, sep=" ")
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
