"""The ASCII STL reader: vectorised byte operations over the whole file, numbers by numpy.

The file is lower-cased in place, split into ``solid ... endsolid`` blocks (text
after ``endsolid`` on its line is ignored, as are NUL and control bytes, which count as
whitespace; a UTF-8 BOM is skipped; CR, LF and CRLF line ends are all whitespace), and
each block's tokens must be, per facet, ``facet normal <anything> outer loop`` then
three ``vertex x y z`` then ``endloop endfacet``. The normal is never used, so its
values may be anything (``nan``, ``-1.#IND``, missing). Tokens and keywords are found
with vectorised byte operations, ``ASCII_BLOCK`` bytes at a time, and the coordinates
are parsed by ``np.fromstring``; an error names the solid and line. Another line after
``endsolid`` must start a new ``solid``: other text there is refused as corruption.
"""

from __future__ import annotations

import re
import warnings as _warnings
from pathlib import Path
from typing import BinaryIO, NoReturn

import numpy as np

from offchain.parts.stl.errors import AsciiStlError, EmptyStlError, TooLargeError
from offchain.parts.stl.files import _changed, _os_error, _readinto_exactly

ASCII_BLOCK = 1 << 23  # bytes of ASCII facets tokenised per block (8 MiB)
_BOM = b"\xef\xbb\xbf"


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
