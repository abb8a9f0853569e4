"""STL file -> the part's public data: bounding box, volume, area, and whether it is closed.

Reading. Only regular files are read: a folder, FIFO, device or socket is refused from
``os.stat`` before anything is opened, and the file is opened with ``O_NONBLOCK`` and
checked again with ``fstat``, so a path swapped for a FIFO in between cannot hang the
reader. Limits no real part reaches, checked from the file's size and the binary header
before anything is allocated: ``MAX_FILE_BYTES`` (2 GiB) and ``MAX_TRIANGLES`` (50
million); ``inspect`` takes both as arguments. Binary files are read in blocks of
``READ_RECORDS`` records into one reused buffer and only the vertex coordinates (36 of
every 50 bytes) are copied out: no memory map, so nothing can be read after it is
unmapped or after the file shrinks. A binary file is one whose size is exactly
84 + 50 x (header count), even when its header starts with "solid"; up to
``TRAILING_BYTES_OK`` (3) extra bytes at its end are ignored with a warning. Text that
is UTF-16 is named as such. ASCII files are parsed with numpy (below).

ASCII. The file is lower-cased in place, split into ``solid ... endsolid`` blocks (text
after ``endsolid`` on its line is ignored, as are NUL and control bytes, which count as
whitespace; a UTF-8 BOM is skipped; CR, LF and CRLF line ends are all whitespace), and
each block's tokens must be, per facet, ``facet normal <anything> outer loop`` then
three ``vertex x y z`` then ``endloop endfacet``. The normal is never used, so its
values may be anything (``nan``, ``-1.#IND``, missing). Tokens and keywords are found
with vectorised byte operations, ``ASCII_BLOCK`` bytes at a time, and the coordinates
are parsed by ``np.fromstring``; an error names the solid and line. Another line after
``endsolid`` must start a new ``solid``: other text there is refused as corruption.

Closedness. Vertices are first welded by their exact float32 bits (-0.0 equals 0.0).
When that leaves edges not shared by exactly two triangles, the vertices of those edges
are welded again within a tolerance of ``WELD_RELATIVE`` (1e-9) x the bounding-box
diagonal, so CAD noise (1e-16 written for 0) does not open a watertight part: vertices
within the tolerance of each other in every axis are welded, found with four grids of
cells 4 x the tolerance wide, each shifted a quarter cell (vectorised, no pair search),
so vertices more than 4 x the tolerance apart in some axis are never welded directly.
Two different float32 values that close are both below 2^25 x the tolerance (about 3 %
of the diagonal) in magnitude, so only vertices with a coordinate near zero take part.
The mesh is closed when every edge is shared by exactly two triangles, and ``oriented``
when, in the file, no edge is walked twice in the same direction.

Shells and orientation. A shell is a set of triangles connected through edges shared
by exactly two triangles. Within a shell the winding is made consistent by propagating
orientation across those edges (connected components of the double cover of the
triangle adjacency graph, vectorised): a shell that cannot be oriented (a one-sided,
Mobius-like surface) is refused with ``NonOrientableError``; edges shared by three or
more triangles join nothing and leave the mesh not closed (``describe_open``). Each
shell is then given its role by containment, not by the file's winding: a shell whose
sample points (centroids of up to ``NEST_SAMPLES`` of its triangles) are inside another
closed shell (generalised winding number, none outside) is nested in it; a shell nested
in an even number of shells is solid and counts positive, in an odd number a cavity
and counts negative (the even-odd rule slicers fill by). Only pairs whose bounding
boxes nest are tested; shells that cross each other count as separate solids. The
volume is the sum of the shells' volumes with those signs. ``PartData.warnings`` says when triangles or whole
shells had to be turned.
"""

from __future__ import annotations

import math
import os
import re
import stat
import warnings as _warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, NoReturn

import numpy as np
from stl import mesh as stl_mesh

from offchain.errors import ProdnetError
from offchain.parts.units import mm3_to_int, mm_per, mm_to_um, parse_units

HEADER_SIZE = 80
COUNT_SIZE = 4
RECORD = stl_mesh.Mesh.dtype
RECORD_SIZE = RECORD.itemsize  # 50: normal, three vertices (float32), attribute (uint16)
SNIFF_SIZE = 1024
CHUNK = 1 << 18  # triangles per block for the float64 sums
READ_RECORDS = 1 << 18  # binary records read per block (13 MB)
ASCII_BLOCK = 1 << 23  # bytes of ASCII facets tokenised per block (8 MiB)

MAX_FILE_BYTES = 2 * 1024**3  # 2 GiB: a 40-million-triangle binary STL
MAX_TRIANGLES = 50_000_000
TRAILING_BYTES_OK = 3  # extra bytes after a binary STL's last record that are ignored
WELD_RELATIVE = 1e-9  # weld tolerance, times the bounding-box diagonal
NEST_SAMPLES = 5  # points per shell tested for being inside another shell

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
_BOM = b"\xef\xbb\xbf"


class StlError(ProdnetError):
    """The file cannot give the part's public data."""


class StlFileError(StlError):
    """The path is missing, a directory, or unreadable."""


class NotRegularFileError(StlFileError):
    """The path is a directory, FIFO, device or socket, not a regular file."""


class TooLargeError(StlError):
    """The file or its triangle count is beyond what a part model may be."""


class EmptyStlError(StlError):
    """The file (or every solid in it) holds no triangles."""


class NotStlError(StlError):
    """The file is something other than an STL."""


class TextEncodingError(NotStlError):
    """Text in an encoding STL does not use (UTF-16)."""


class BinarySizeError(StlError):
    """A binary STL whose triangle count disagrees with its size."""


class AsciiStlError(StlError):
    """An ASCII STL that is truncated or malformed."""


class NonFiniteError(StlError):
    """A coordinate is NaN or infinite."""


class DegenerateMeshError(StlError):
    """Every triangle has zero area: there is no surface to measure."""


class NonOrientableError(StlError):
    """A shell is one-sided (Mobius-like): it has no inside, so no volume."""


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
    shells: int = 1
    warnings: tuple[str, ...] = field(default=())

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
            "shells": self.shells,
            "warnings": list(self.warnings),
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
    shells: int
    shell: np.ndarray  # (n,) shell id of each triangle
    parity: np.ndarray  # (n,) bool: the triangle is wound against its shell's first triangle
    shell_open: np.ndarray  # (shells,) bool: the shell has an edge not shared by exactly two


def inspect(
    path: str | os.PathLike[str], units: str = "mm", *, max_bytes: int = MAX_FILE_BYTES,
    max_triangles: int = MAX_TRIANGLES,
) -> PartData:
    """Read the STL at PATH (binary or ASCII) and return its public data in mm.

    UNITS names the unit the file's coordinates are in ('mm' or 'inch'). Files larger
    than MAX_BYTES or with more than MAX_TRIANGLES triangles are refused before they
    are read. Raises a StlError subclass, with a message saying what to do, for bad input.
    """
    units = parse_units(units)
    path = Path(path)
    kind, vectors, solids, notes = _load(path, max_bytes, max_triangles)
    return measure(vectors, units=units, fmt=kind, solids=solids, name=str(path), warnings=notes)


def measure(
    vectors: np.ndarray, units: str = "mm", fmt: str = "binary", solids: int = 1,
    name: str = "mesh", warnings: Sequence[str] = (),
) -> PartData:
    """Public data of triangles VECTORS ((n, 3, 3) float32, coordinates in UNITS).

    WARNINGS (from reading the file) are kept in front of the ones measuring adds.
    """
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
    signed6, area, non_degenerate = _sums(vectors, (low + high) / 2)
    if non_degenerate == 0:
        raise DegenerateMeshError(
            f"{name}: all {n} triangles have zero area, so the part has no surface; "
            "re-export the model"
        )
    ids, count = weld(flat)
    edges = _edges(ids.reshape(-1, 3), count)
    tolerance = WELD_RELATIVE * float(np.linalg.norm(high - low))
    if edges.open_edges and tolerance > 0:
        # Close gaps left by near-coincident vertices: weld those on open edges within tolerance.
        welded, fewer = _weld_near(flat, ids, count, edges.open_vertices, tolerance)
        if fewer < count:
            edges = _edges(welded.reshape(-1, 3), fewer)
        del welded
    del ids
    topology = _topology(edges, n, name)
    del edges
    volume, notes = _orient(vectors, signed6, topology)
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
        shells=topology.shells,
        warnings=(*warnings, *notes),
    )


# -- reading ---------------------------------------------------------------------------


def _load(path: Path, max_bytes: int, max_triangles: int) -> tuple[str, np.ndarray, int, list[str]]:
    """(format, vectors (n, 3, 3) float32, number of solids, warnings) of the STL at PATH."""
    _check_regular(path, _stat(path), max_bytes)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise _os_error(path, exc) from exc
    with os.fdopen(fd, "rb", buffering=0) as fh:
        info = os.fstat(fd)
        _check_regular(path, info, max_bytes)  # the path may have changed since the stat
        size = info.st_size
        try:
            head = _read_exactly(fh, min(size, SNIFF_SIZE))
        except OSError as exc:
            raise _os_error(path, exc) from exc
        if len(head) < min(size, SNIFF_SIZE):
            raise _changed(path)
        return _dispatch(path, fh, size, head, max_triangles)


def _stat(path: Path) -> os.stat_result:
    try:
        return os.stat(path)
    except (FileNotFoundError, NotADirectoryError) as exc:
        raise StlFileError(f"{path}: no such file; check the path") from exc
    except OSError as exc:
        raise _os_error(path, exc) from exc


def _os_error(path: Path, exc: OSError) -> StlFileError:
    return StlFileError(f"{path}: cannot read the file ({exc.strerror}); check its permissions")


def _changed(path: Path) -> StlFileError:
    return StlFileError(f"{path}: the file changed while it was read; read it again once it is complete")


def _check_regular(path: Path, info: os.stat_result, max_bytes: int) -> None:
    mode = info.st_mode
    if not stat.S_ISREG(mode):
        if stat.S_ISDIR(mode):
            what = "is a directory"
        elif stat.S_ISFIFO(mode):
            what = "is a named pipe (FIFO), not a regular file"
        elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
            what = "is a device, not a regular file"
        elif stat.S_ISSOCK(mode):
            what = "is a socket, not a regular file"
        else:
            what = "is not a regular file"
        raise NotRegularFileError(f"{path}: {what}; give the path of an .stl file")
    if info.st_size > max_bytes:
        raise TooLargeError(
            f"{path}: the file has {info.st_size} bytes, more than the {_bytes(max_bytes)} a part "
            "model may have; simplify the mesh and export it again"
        )


def _bytes(n: int) -> str:
    return f"{n / 1024**3:g} GiB" if n >= 1024**3 else f"{n} bytes"


def _read_exactly(fh: BinaryIO, n: int) -> bytes:
    parts, left = [], n
    while left > 0:
        chunk = fh.read(left)
        if not chunk:
            break
        parts.append(chunk)
        left -= len(chunk)
    return b"".join(parts)


def _readinto_exactly(fh: BinaryIO, buffer: Any) -> int:
    """Fill BUFFER (a writable bytes-like object) from FH; the number of bytes read."""
    view = memoryview(buffer).cast("B")
    got = 0
    while got < len(view):
        n = fh.readinto(view[got:])
        if not n:
            break
        got += n
    return got


def _dispatch(
    path: Path, fh: BinaryIO, size: int, head: bytes, max_triangles: int,
) -> tuple[str, np.ndarray, int, list[str]]:
    if size == 0:
        raise EmptyStlError(f"{path}: the file is empty; export the part as STL again")
    for magic, what in _MAGIC:
        if head.startswith(magic):
            raise NotStlError(f"{path}: not an STL file, it is {what}; give the part's .stl file")
    count = -1
    expected = -1
    if size >= HEADER_SIZE + COUNT_SIZE:
        count = int(np.frombuffer(head, dtype="<u4", count=1, offset=HEADER_SIZE)[0])
        expected = HEADER_SIZE + COUNT_SIZE + RECORD_SIZE * count
        if size == expected:
            return "binary", _read_binary(path, fh, count, max_triangles), 1, []
    if _is_utf16(head):
        raise TextEncodingError(
            f"{path}: the file is UTF-16 text, which STL does not allow; save it as an ASCII or "
            "binary STL"
        )
    text = head[len(_BOM):] if head.startswith(_BOM) else head
    textual = _is_text(text)
    if textual and text.lstrip().lower().startswith(b"solid"):
        vectors, solids = _read_ascii(path, fh, size, max_triangles)
        return "ascii", vectors, solids, []
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
    extra = size - expected
    if 0 < extra <= TRAILING_BYTES_OK:
        note = (
            f"the binary STL has {extra} byte{'s' if extra > 1 else ''} after its last triangle; "
            "they were ignored"
        )
        return "binary", _read_binary(path, fh, count, max_triangles), 1, [note]
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


def _is_utf16(head: bytes) -> bool:
    """True when HEAD is UTF-16 text: a byte-order mark, or ASCII with every other byte NUL."""
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return True
    sample = head[: len(head) // 2 * 2]
    if len(sample) < 8:
        return False
    for zeros, chars in ((sample[1::2], sample[0::2]), (sample[0::2], sample[1::2])):
        if not zeros.strip(b"\x00") and _is_text(chars) and chars.strip():
            return True
    return False


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


# ASCII keywords, as the first 8 bytes of a token read as a little-endian integer.
_WORDS = (b"facet", b"normal", b"outer", b"loop", b"vertex", b"endloop", b"endfacet", b"solid",
          b"endsolid")
_CODES = np.array([int.from_bytes(w.ljust(8, b"\0"), "little") for w in _WORDS], dtype=np.uint64)
_CODE_ORDER = np.argsort(_CODES)
_SORTED_CODES = _CODES[_CODE_ORDER]
_SORTED_KINDS = (_CODE_ORDER + 1).astype(np.int8)  # kind = index in _WORDS + 1
_SORTED_LENGTHS = np.array([len(_WORDS[i]) for i in _CODE_ORDER])
_LENGTH_MASKS = np.array([(1 << (8 * k)) - 1 for k in range(8)] + [(1 << 64) - 1], dtype=np.uint64)
# One facet: the keywords in order, and how many other tokens follow each (-1: any number).
_PATTERN = np.array([1, 2, 3, 4, 5, 5, 5, 6, 7], dtype=np.int8)
_GAPS = np.array([0, -1, 0, 0, 3, 3, 3, 0, 0])
_FIXED = np.flatnonzero(_GAPS >= 0)
_NON_SPACE = re.compile(rb"[^\x00-\x20]")
_LINE_END = re.compile(rb"[\r\n]")
_INLINE_FACET = re.compile(rb"[\x00-\x20]facet[\x00-\x20]+normal[\x00-\x20]")


def _read_ascii(path: Path, fh: BinaryIO, size: int, max_triangles: int) -> tuple[np.ndarray, int]:
    """(vectors (n, 3, 3) float32, number of solids) of the ASCII STL open as FH."""
    buf = bytearray(size + 8)  # 8 spare bytes: every token has 8 readable bytes from its start
    fh.seek(0)
    try:
        got = _readinto_exactly(fh, memoryview(buf)[:size])
    except OSError as exc:
        raise _os_error(path, exc) from exc
    if got != size:
        raise _changed(path)
    data = np.frombuffer(buf, dtype=np.uint8)
    np.add(data, 32, out=data, where=(data >= 65) & (data <= 90))  # lower-case in place
    if buf.startswith(_BOM):
        data[: len(_BOM)] = 32
    reader = _AsciiReader(path, fh, buf, data, size, max_triangles)
    bodies = reader.solids()
    # Blank everything outside the solids' bodies (solid names, endsolid lines, padding).
    edges = [0, *(p for body in bodies for p in body), len(buf)]
    for start, stop in zip(edges[0::2], edges[1::2], strict=True):
        region = data[start:stop]
        region[(region != 10) & (region != 13)] = 32  # line ends stay, for line numbers
    blocks: list[np.ndarray] = []
    done = 0
    pos, stop = bodies[0][0], bodies[-1][1]
    while pos < stop:
        cut = stop
        if pos + ASCII_BLOCK < stop:
            end = buf.find(b"endfacet", pos + ASCII_BLOCK, stop)
            cut = stop if end < 0 else end + len(b"endfacet")
        block = reader.facets(pos, cut, max_triangles - done)
        blocks.append(block)
        done += len(block)
        pos = cut
    if done == 0:
        raise EmptyStlError(f"{path}: the ASCII STL holds no triangles; export the part again")
    return (blocks[0] if len(blocks) == 1 else np.concatenate(blocks)), len(bodies)


class _AsciiReader:
    """The lower-cased bytes of one ASCII STL, its solids, and its facets block by block."""

    def __init__(
        self, path: Path, fh: BinaryIO, buf: bytearray, data: np.ndarray, size: int, max_triangles: int,
    ) -> None:
        self.path, self.fh, self.buf, self.data, self.size = path, fh, buf, data, size
        self.max_triangles = max_triangles
        self.bodies: list[tuple[int, int]] = []
        self.windows = np.lib.stride_tricks.sliding_window_view(data, 8)

    def solids(self) -> list[tuple[int, int]]:
        """(start, stop) byte range of each solid's facets, between its two header lines."""
        buf, pos = self.buf, 0
        while True:
            found = _NON_SPACE.search(buf, pos, self.size)
            if found is None:
                break
            start = found.start()
            if buf[start:start + 5] != b"solid":
                raise AsciiStlError(
                    f"{self.path}: ASCII STL has text after solid {len(self.bodies)} that does not "
                    f"start with 'solid' (line {self.line(start)}); the file is corrupt, export it again"
                )
            eol = self._line_end(start)
            inline = _INLINE_FACET.search(buf, start, eol)  # a file without line breaks
            body = inline.start() if inline else eol
            end = buf.find(b"endsolid", body, self.size)
            while end > 0 and buf[end - 1] > 32:
                end = buf.find(b"endsolid", end + 1, self.size)
            if end < 0:
                raise self.malformed(len(self.bodies) + 1, "the file ends before 'endsolid'")
            self.bodies.append((body, end))
            pos = self._line_end(end)
        return self.bodies

    def _line_end(self, pos: int) -> int:
        found = _LINE_END.search(self.buf, pos, self.size)
        return found.start() if found else self.size

    def line(self, offset: int) -> int:
        newline = b"\n" if b"\n" in self.buf else b"\r"
        return self.buf.count(newline, 0, offset) + 1

    def malformed(self, solid: int, reason: str) -> AsciiStlError:
        return AsciiStlError(
            f"{self.path}: ASCII STL is truncated or malformed in solid {solid} ({reason}); "
            "export the part again"
        )

    def solid_at(self, offset: int) -> int:
        starts = [body[0] for body in self.bodies]
        return int(np.searchsorted(starts, offset, side="right"))

    def facets(self, pos: int, stop: int, room: int) -> np.ndarray:
        """The (k, 3, 3) float32 vertices of the facets in bytes POS..STOP; at most ROOM of them."""
        ink = self.data[pos:stop] > 32
        if not ink.any():
            return np.zeros((0, 3, 3), dtype=np.float32)
        bounds = np.flatnonzero(ink[1:] != ink[:-1]) + 1
        if ink[0]:
            bounds = np.concatenate([[0], bounds])
        if ink[-1]:
            bounds = np.concatenate([bounds, [len(ink)]])
        del ink
        starts, ends = bounds[0::2] + pos, bounds[1::2] + pos
        del bounds
        lengths = ends - starts
        codes = self.windows[starts].view(np.uint64).ravel() & _LENGTH_MASKS[np.minimum(lengths, 8)]
        slot = np.minimum(np.searchsorted(_SORTED_CODES, codes), len(_SORTED_CODES) - 1)
        is_word = (_SORTED_CODES[slot] == codes) & (_SORTED_LENGTHS[slot] == lengths)
        kind = np.where(is_word, _SORTED_KINDS[slot], np.int8(0))
        del codes, slot, is_word
        where = np.flatnonzero(kind)
        words = kind[where]
        tokens = len(kind)
        self._check_grammar(where, words, tokens, starts, lengths)
        facets = len(words) // 9
        if facets > room:
            raise TooLargeError(
                f"{self.path}: the ASCII STL holds more than the {self.max_triangles} triangles a part "
                "model may have; simplify (decimate) the mesh and export it again"
            )
        first = where.reshape(facets, 9)
        solid_of = np.searchsorted([b[0] for b in self.bodies], starts[first[:, [0, 8]]], side="right")
        across = np.flatnonzero(solid_of[:, 0] != solid_of[:, 1])
        if len(across):
            at = int(starts[first[across[0], 0]])
            raise self.malformed(self.solid_at(at), f"line {self.line(at)}: a facet runs past 'endsolid'")
        vertex = first[:, 4:7].ravel()
        values = self._numbers(starts[vertex + 1], ends[vertex + 3], 3 * len(vertex))
        if values is None:
            self._bad_number(starts, ends, vertex)
        return values.reshape(-1, 3, 3).astype(np.float32)

    def _check_grammar(
        self, where: np.ndarray, words: np.ndarray, tokens: int, starts: np.ndarray, lengths: np.ndarray,
    ) -> None:
        """Raise for the first token that breaks 'facet normal ... outer loop 3 x vertex endloop endfacet'."""
        n = len(words)
        gaps = np.diff(where, append=tokens) - 1
        if n and n % 9 == 0 and where[0] == 0:  # the common case: one check per facet column
            table, spaces = words.reshape(-1, 9), gaps.reshape(-1, 9)
            if (table == _PATTERN).all() and (spaces[:, _FIXED] == _GAPS[_FIXED]).all():
                return
        expected = np.resize(_PATTERN, n)
        expected_gaps = np.resize(_GAPS, n)
        bad_word = np.flatnonzero(words != expected)
        bad_gap = np.flatnonzero((gaps != expected_gaps) & (expected_gaps >= 0))
        lead = int(where[0]) if n else tokens
        problems = []  # (token index, reason)
        if lead:
            problems.append((0, f"unexpected '{self.token(starts[0], lengths[0])}'"))
        if len(bad_word):
            i = int(bad_word[0])
            want, got = _WORDS[expected[i] - 1].decode(), _WORDS[words[i] - 1].decode()
            reason = f"expected '{want}' but found '{got}'"
            if want == "endloop" and got == "vertex":
                reason += " (a facet with more than 3 vertices)"
            elif want == "vertex":
                reason += " (a facet with fewer than 3 vertices)"
            problems.append((int(where[i]), reason))
        if len(bad_gap):
            i = int(bad_gap[0])
            at = int(where[i]) + 1
            if expected_gaps[i] == 3:
                reason = f"'vertex' followed by {gaps[i]} values instead of 3"
                at -= 1
            elif at < tokens:
                reason = f"unexpected '{self.token(starts[at], lengths[at])}'"
            else:
                reason = "the solid ends inside a facet"
            problems.append((at, reason))
        if not problems and n % 9:
            problems.append((int(where[-1]), "the solid ends inside a facet"))
        if problems:
            at, reason = min(problems)
            offset = int(starts[min(at, tokens - 1)])
            raise self.malformed(self.solid_at(offset), f"line {self.line(offset)}: {reason}")

    def token(self, start: int, length: int) -> str:
        """The token at START as the file has it (the buffer is lower-cased), cut at 20 characters."""
        start, length = int(start), int(length)
        raw = bytes(self.buf[start:start + min(length, 20)])
        try:
            self.fh.seek(start)
            raw = self.fh.read(min(length, 20))
        except OSError:
            pass
        return raw.decode("ascii", "replace") + ("..." if length > 20 else "")

    def _numbers(self, first: np.ndarray, last: np.ndarray, count: int) -> np.ndarray | None:
        """The COUNT numbers in the byte ranges FIRST..LAST, or None if one is not a number.

        The ranges (each with the whitespace byte after it) are gathered with one index
        array built by a cumulative sum: +1 within a range, a jump between ranges.
        """
        lengths = last - first + 1
        offsets = np.cumsum(lengths) - lengths
        index_type = np.int32 if len(self.data) < 2**31 else np.int64
        step = np.ones(int(offsets[-1] + lengths[-1]), dtype=index_type)
        step[0] = first[0]
        step[offsets[1:]] = first[1:] - last[:-1]
        chars = self.data[np.cumsum(step, out=step)]
        chars[chars < 32] = 32  # tabs, CR, LF and control bytes between numbers are all spaces
        text = chars.tobytes()
        del step, chars
        with _warnings.catch_warnings(record=True) as caught:
            _warnings.simplefilter("always")
            values = np.fromstring(text, dtype=np.float64, sep=" ")
        if caught or len(values) != count:
            return None
        return values

    def _bad_number(self, starts: np.ndarray, ends: np.ndarray, vertex: np.ndarray) -> NoReturn:
        for token in (vertex[:, None] + np.arange(1, 4)).ravel().tolist():
            value = bytes(self.buf[int(starts[token]):int(ends[token])])
            with _warnings.catch_warnings(record=True) as caught:
                _warnings.simplefilter("always")
                parsed = np.fromstring(value, dtype=np.float64, sep=" ")
            if caught or len(parsed) != 1:
                offset = int(starts[token])
                raise self.malformed(
                    self.solid_at(offset),
                    f"line {self.line(offset)}: vertex coordinate "
                    f"'{self.token(offset, len(value))}' is not a number",
                )
        raise self.malformed(1, "a vertex coordinate is not a number")  # pragma: no cover


# -- measuring -------------------------------------------------------------------------


def _sums(vectors: np.ndarray, origin: np.ndarray) -> tuple[np.ndarray, float, int]:
    """(six times each triangle's signed volume, area, number of triangles with non-zero area).

    In float64, with coordinates taken relative to ORIGIN (the bounding-box centre) so the
    signed volume does not lose digits for parts far from the file's origin.
    """
    signed6 = np.empty(len(vectors), dtype=np.float64)
    area = 0.0
    non_degenerate = 0
    shift = origin.reshape(1, 3, 1)
    for start in range(0, len(vectors), CHUNK):
        tri = vectors[start:start + CHUNK].transpose(1, 2, 0).astype(np.float64, order="C")  # corner, axis, i
        tri -= shift
        (ax, ay, az), (bx, by, bz), (cx, cy, cz) = tri
        ux, uy, uz = bx - ax, by - ay, bz - az
        vx, vy, vz = cx - ax, cy - ay, cz - az
        nx = uy * vz - uz * vy
        ny = uz * vx - ux * vz
        nz = ux * vy - uy * vx
        # a . ((b - a) x (c - a)) == a . (b x c): six times the signed tetrahedron volume.
        signed6[start:start + CHUNK] = ax * nx + ay * ny + az * nz
        norm2 = nx * nx + ny * ny + nz * nz
        area += float(np.sqrt(norm2).sum())
        non_degenerate += int(np.count_nonzero(norm2))
    return signed6, area / 2.0, non_degenerate


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


def weld(points: np.ndarray, hash_bits: int = 64, tolerance: float = 0.0) -> tuple[np.ndarray, int]:
    """Vertex ids for POINTS ((m, 3) float32) and the number of distinct ids.

    With TOLERANCE 0, ids are equal exactly when the coordinates are equal (-0.0 == 0.0).
    With a TOLERANCE, points within it of each other in every axis get the same id, and
    so do chains of such points; points more than 4 x TOLERANCE apart in some axis are
    never joined directly (see the module docstring). HASH_BITS < 64 keeps fewer hash
    bits in the exact grouping, which makes collisions common (tests use it).
    """
    points = np.asarray(points, dtype=np.float32).reshape(-1, 3)
    ids, count = _group_rows((points + np.float32(0.0)).view(np.uint32), hash_bits)
    if tolerance <= 0 or count < 2:
        return ids, count
    return _weld_near(points, ids, count, np.arange(count), tolerance)


def _weld_near(
    points: np.ndarray, ids: np.ndarray, count: int, candidates: np.ndarray, tolerance: float,
) -> tuple[np.ndarray, int]:
    """Exact vertex IDS (COUNT distinct) of POINTS with the CANDIDATES ids welded within TOLERANCE."""
    first = np.empty(count, dtype=np.int64)
    first[ids] = np.arange(len(ids))
    unique = points[first[candidates]]
    # Two different float32 values within TOLERANCE are both below LIMIT in magnitude
    # (float32 spacing at magnitude 2^k is at least 2^(k - 24)), so only points with a
    # coordinate below it can be welded to a point that is not bit-identical.
    limit = np.float32(2.0 ** (math.floor(math.log2(tolerance)) + 25))
    near_zero = np.flatnonzero((np.abs(unique) < limit).any(axis=1))
    if len(near_zero) < 2:
        return ids, count
    chosen = candidates[near_zero]
    labels = _cluster(unique[near_zero].astype(np.float64), tolerance)
    if (labels == np.arange(len(labels))).all():
        return ids, count
    root = np.arange(count)
    root[chosen] = chosen[labels]
    keep = root == np.arange(count)
    renumber = np.cumsum(keep) - 1
    return renumber[root][ids], int(np.count_nonzero(keep))


def _cluster(points: np.ndarray, tolerance: float) -> np.ndarray:
    """For each of POINTS ((k, 3) float64), the smallest index of its cluster.

    Four grids of cells 4 x TOLERANCE wide, shifted by a quarter cell along every axis:
    two points within TOLERANCE in every axis share a cell in at least one of them (per
    axis, at most one grid has a cell border between them). Points sharing a cell in
    any grid are joined; the labels then spread to a fixed point.
    """
    cell = 4.0 * tolerance
    scaled = (points - points.min(axis=0)) / cell
    groups = []
    for shift in range(4):
        cells = np.floor(scaled + shift / 4.0).astype(np.uint32)
        ids, count = _group_rows(cells)
        if count < len(points):
            groups.append((ids, count))
    labels = np.arange(len(points))
    while groups:
        before = labels
        for ids, count in groups:
            least = np.full(count, len(points))
            np.minimum.at(least, ids, labels)
            labels = least[ids]
        if np.array_equal(labels, before):
            break
    return labels


def _group_rows(rows: np.ndarray, hash_bits: int = 64) -> tuple[np.ndarray, int]:
    """Ids for ROWS ((m, 3) uint32): equal ids exactly when the rows are equal.

    One sort of 64-bit keys: the high bits hold a hash of the row, the low bits the row's
    index. Runs of equal hash are checked against the rows; the rare run that mixes
    different rows (a hash collision) is sorted by the rows themselves.
    Returns (ids (m,) int64, number of distinct rows).
    """
    m = len(rows)
    xy = (rows[:, 0].astype(np.uint64) << np.uint64(32)) | rows[:, 1]
    z = rows[:, 2].copy()
    index_bits = max(1, (m - 1).bit_length())
    kept = max(1, min(hash_bits, 64 - index_bits))
    low_mask = np.uint64((1 << index_bits) - 1)
    # Multiplying by odd constants carries every bit of x, y and z into the high bits kept.
    key = z.astype(np.uint64)
    key *= np.uint64(0x9E3779B97F4A7C15)
    key ^= xy
    key *= np.uint64(0xBF58476D1CE4E5B9)
    key ^= key >> np.uint64(31)
    key >>= np.uint64(64 - kept)
    key <<= np.uint64(index_bits)
    key |= np.arange(m, dtype=np.uint64)
    key.sort()
    order = (key & low_mask).astype(np.int32 if m < 2**31 else np.int64)
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
    sorted_ids = np.empty(m, dtype=np.int32 if m < 2**31 else np.int64)
    sorted_ids[0] = 0
    np.cumsum(~same, out=sorted_ids[1:])
    ids = np.empty(m, dtype=sorted_ids.dtype)
    ids[order] = sorted_ids
    return ids, int(sorted_ids[-1]) + 1


@dataclass(frozen=True)
class _Edges:
    open_edges: int
    oriented: bool
    t1: np.ndarray  # triangles across each edge used by exactly two (int32)
    t2: np.ndarray
    flip: np.ndarray  # bool: the two walk the edge in the same direction
    touching_open: np.ndarray  # triangles with an edge not used by exactly two
    open_vertices: np.ndarray  # vertex ids on those edges


def _edges(corners: np.ndarray, count: int) -> _Edges:
    """Every edge of the triangles with vertex ids CORNERS ((n, 3), COUNT distinct ids), sorted."""
    n = len(corners)
    m = 3 * n
    repeated = bool(((corners[:, 0] == corners[:, 1]) | (corners[:, 1] == corners[:, 2])
                     | (corners[:, 2] == corners[:, 0])).any())
    start = np.ascontiguousarray(corners, dtype=np.int64).view(np.uint64).ravel()
    stop = np.empty((n, 3), dtype=np.uint64)
    stop[:, :2] = corners[:, 1:]
    stop[:, 2] = corners[:, 0]
    stop = stop.ravel()
    forward = start > stop
    edge = np.minimum(start, stop)
    edge *= np.uint64(count)
    edge += np.maximum(start, stop)
    edge <<= np.uint64(1)
    edge |= forward
    del start, stop, forward
    index_bits = max(1, (m - 1).bit_length())
    if (2 * count * count).bit_length() + index_bits <= 64:
        edge <<= np.uint64(index_bits)
        edge |= np.arange(m, dtype=np.uint64)
        edge.sort()
        order = (edge & np.uint64((1 << index_bits) - 1)).astype(np.int32)
        edge >>= np.uint64(index_bits)
    else:
        order = np.argsort(edge).astype(np.int32)
        edge = edge[order]
    undirected = edge >> np.uint64(1)
    new = np.empty(m, dtype=bool)
    new[0] = True
    np.not_equal(undirected[1:], undirected[:-1], out=new[1:])
    starts = np.flatnonzero(new)
    del new
    uses = np.diff(np.append(starts, m))
    bad = uses != 2
    open_edges = int(np.count_nonzero(bad))
    oriented = not bool((edge[1:] == edge[:-1]).any())
    touching_open = open_vertices = np.zeros(0, dtype=np.int64)
    if open_edges:
        keys = undirected[starts[bad]]
        open_vertices = np.unique(np.concatenate([keys // np.uint64(count), keys % np.uint64(count)]))
        touching_open = order[np.repeat(bad, uses)] // 3
    # Pairs of triangles across an edge used by exactly two (self-loop edges join nothing).
    pair = starts[~bad]
    del starts, uses, bad
    if repeated:  # a triangle with a repeated vertex: its self-loop edge joins nothing
        keys = undirected[pair]
        pair = pair[keys // np.uint64(count) != keys % np.uint64(count)]
    t1, t2 = order[pair] // 3, order[pair + 1] // 3
    flip = (edge[pair] & np.uint64(1)) == (edge[pair + 1] & np.uint64(1))
    if repeated:
        distinct = t1 != t2
        t1, t2, flip = t1[distinct], t2[distinct], flip[distinct]
    return _Edges(
        open_edges=open_edges, oriented=oriented, t1=t1, t2=t2, flip=flip,
        touching_open=touching_open, open_vertices=open_vertices.astype(np.int64),
    )


def _topology(edges: _Edges, n: int, name: str) -> _Topology:
    """Shells (components over the paired edges) and each triangle's winding within its shell."""
    t1, t2, flip = edges.t1, edges.t2, edges.flip
    if not flip.any():
        component = _components(n, t1, t2)
        parity = np.zeros(n, dtype=bool)
    else:
        # The double cover: node t is triangle t as wound, node t + n is it turned over.
        big = np.int32(n)
        cover = _components(
            2 * n, np.concatenate([t1, t1 + big]),
            np.concatenate([np.where(flip, t2 + big, t2), np.where(flip, t2, t2 + big)]),
        )
        same, other = cover[:n], cover[n:]
        one_sided = same == other
        if one_sided.any():
            bad = len(np.unique(same[one_sided]))
            raise NonOrientableError(
                f"{name}: {bad} shell{'s' if bad > 1 else ''} of the mesh cannot be oriented (a "
                "one-sided, Mobius-like surface), so the part has no defined volume; repair the "
                "model so that every shell has an inside and an outside"
            )
        component = np.minimum(same, other)
        parity = same != component
    roots = component == np.arange(n)
    shell = (np.cumsum(roots) - 1)[component]
    shells = int(np.count_nonzero(roots))
    shell_open = np.zeros(shells, dtype=bool)
    shell_open[shell[edges.touching_open]] = True
    return _Topology(
        closed=edges.open_edges == 0, oriented=edges.oriented, open_edges=edges.open_edges,
        shells=shells, shell=shell, parity=parity, shell_open=shell_open,
    )


def _components(n: int, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """For nodes 0..N-1 joined by edges U-V, the smallest node of each node's component.

    Vectorised hook-and-compress: every edge across two trees hooks the larger root
    under the smaller, then pointers jump until each node points at its root (only the
    nodes that still moved are followed); edges inside one tree are dropped, so each
    round works on fewer.
    """
    parent = np.arange(n, dtype=np.int32)
    while len(u):
        pu, pv = parent[u], parent[v]
        across = pu != pv
        if not across.all():
            u, v, pu, pv = u[across], v[across], pu[across], pv[across]
            if not len(u):
                break
        np.minimum.at(parent, np.maximum(pu, pv), np.minimum(pu, pv))
        active = np.flatnonzero(parent[parent] != parent)
        while len(active):
            up = parent[active]
            grand = parent[up]
            parent[active] = grand
            active = active[grand != up]
    return parent


def _orient(vectors: np.ndarray, signed6: np.ndarray, topology: _Topology) -> tuple[float, list[str]]:
    """(volume, warnings): each shell oriented, nested shells subtracted (module docstring)."""
    shell, parity, shells = topology.shell, topology.parity, topology.shells
    turn = np.where(parity, -1.0, 1.0)
    if shells == 1:
        shell_volume = np.array([float(np.dot(signed6, turn)) / 6.0])
    else:
        shell_volume = np.bincount(shell, weights=signed6 * turn, minlength=shells) / 6.0
    sign = np.ones(shells)
    if shells > 1:
        depth = _nesting(vectors, shell, parity, np.abs(shell_volume), ~topology.shell_open)
        sign[depth % 2 == 1] = -1.0
    volume = float(np.dot(sign, np.abs(shell_volume)))
    # A shell's triangles of parity 0 keep their winding when its signed volume has the
    # sign it should have (outward for a solid, inward for a cavity).
    reverse = np.sign(shell_volume) != sign
    turned = parity ^ reverse[shell]
    mixed = np.bincount(shell, weights=parity.astype(np.float64), minlength=shells) > 0
    notes = []
    if mixed.any():
        k = int(np.count_nonzero(turned[mixed[shell]]))
        notes.append(
            f"the winding was repaired: {k} of {len(shell)} triangles faced the other way from "
            "their neighbours and were turned before the volume was measured"
        )
    inside_out = int(np.count_nonzero(reverse & ~mixed & ~topology.shell_open & (shell_volume != 0)))
    if inside_out:
        if shells == 1:
            what, verb = "the mesh is", "was"
        else:
            what = f"{inside_out} of the {shells} shells " + ("is" if inside_out == 1 else "are")
            verb = "was" if inside_out == 1 else "were"
        notes.append(
            f"{what} inside out (solids must face outward, cavities inward) and {verb} turned "
            "before the volume was measured"
        )
    return volume, notes


def _nesting(
    vectors: np.ndarray, shell: np.ndarray, parity: np.ndarray, size: np.ndarray, closed: np.ndarray,
) -> np.ndarray:
    """How many closed shells contain each shell (generalised winding number of sample points)."""
    shells = len(size)
    order = np.argsort(shell, kind="stable")
    offsets = np.concatenate([[0], np.cumsum(np.bincount(shell, minlength=shells))])
    corner_min = vectors.min(axis=1)
    corner_max = vectors.max(axis=1)
    low = np.full((shells, 3), np.inf, dtype=np.float32)
    high = np.full((shells, 3), -np.inf, dtype=np.float32)
    np.minimum.at(low, shell, corner_min)
    np.maximum.at(high, shell, corner_max)
    depth = np.zeros(shells, dtype=np.int64)
    # Candidate pairs first, by bounding boxes, a block of containers at a time.
    containers = np.flatnonzero(closed)
    found: list[tuple[np.ndarray, np.ndarray]] = []
    for start in range(0, len(containers), 256):
        outer = containers[start:start + 256]
        fits = size[None] < size[outer, None]
        for axis in range(3):
            fits &= low[None, :, axis] >= low[outer, None, axis]
            fits &= high[None, :, axis] <= high[outer, None, axis]
        rows, cols = np.nonzero(fits)
        found.append((outer[rows], cols))
    holders = np.concatenate([f[0] for f in found]) if found else np.zeros(0, dtype=np.int64)
    held = np.concatenate([f[1] for f in found]) if found else np.zeros(0, dtype=np.int64)
    for outer in np.unique(holders).tolist():
        inner = held[holders == outer]
        own = order[offsets[outer]:offsets[outer + 1]]
        tri = vectors[own].astype(np.float64)
        turn = np.where(parity[own], -1.0, 1.0)
        for s in inner.tolist():
            members = order[offsets[s]:offsets[s + 1]]
            picks = members[np.linspace(0, len(members) - 1, min(NEST_SAMPLES, len(members))).astype(int)]
            points = vectors[picks].astype(np.float64).mean(axis=1)
            winding = np.abs([_winding(p, tri, turn) for p in points])
            if (winding > 0.75).any() and not (winding < 0.25).any():
                depth[s] += 1
    return depth


def _winding(point: np.ndarray, tri: np.ndarray, turn: np.ndarray) -> float:
    """Generalised winding number of the oriented triangles TRI around POINT (1 inside, 0 outside)."""
    total = 0.0
    for start in range(0, len(tri), CHUNK):
        rel = tri[start:start + CHUNK] - point
        a, b, c = rel[:, 0], rel[:, 1], rel[:, 2]
        la, lb, lc = (np.sqrt(np.einsum("ij,ij->i", x, x)) for x in (a, b, c))
        det = np.einsum("ij,ij->i", a, np.cross(b, c))
        den = (la * lb * lc + np.einsum("ij,ij->i", a, b) * lc + np.einsum("ij,ij->i", a, c) * lb
               + np.einsum("ij,ij->i", b, c) * la)
        total += float(np.dot(np.arctan2(det, den), turn[start:start + CHUNK]))
    return total * 2.0 / (4.0 * math.pi)


def describe_open(part: PartData) -> str:
    """The warning a user gets for a mesh that is not closed."""
    return (
        f"the mesh is not closed ({part.open_edges} edges are not shared by exactly two "
        "triangles), so its volume is unreliable; repair the model before ordering"
    )


__all__ = [
    "MAX_FILE_BYTES", "MAX_TRIANGLES", "WELD_RELATIVE", "AsciiStlError", "BinarySizeError",
    "DegenerateMeshError", "EmptyStlError", "NonFiniteError", "NonOrientableError", "NotRegularFileError",
    "NotStlError", "PartData", "StlError", "StlFileError", "TextEncodingError", "TooLargeError",
    "describe_open", "inspect", "measure", "weld",
]
