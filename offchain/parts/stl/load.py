"""Which reader a file gets: binary, ASCII, or a refusal that says what the file is instead.

A binary file is one whose size is exactly 84 + 50 x (header count), even when its
header starts with "solid"; up to ``TRAILING_BYTES_OK`` (3) extra bytes at its end are
ignored with a warning. Text that is UTF-16 is named as such; other text must start with
``solid`` (an ASCII STL). Files people send by mistake (images, archives, PDFs) are
named by their signature.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

import numpy as np

from offchain.parts.stl.ascii import _BOM, _read_ascii
from offchain.parts.stl.binary import COUNT_SIZE, HEADER_SIZE, RECORD_SIZE, _read_binary
from offchain.parts.stl.errors import BinarySizeError, EmptyStlError, NotStlError, TextEncodingError
from offchain.parts.stl.files import _opened

TRAILING_BYTES_OK = 3  # extra bytes after a binary STL's last record that are ignored

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


def _load(path: Path, max_bytes: int, max_triangles: int) -> tuple[str, np.ndarray, int, list[str]]:
    """(format, vectors (n, 3, 3) float32, number of solids, warnings) of the STL at PATH."""
    with _opened(path, max_bytes) as (fh, size, head):
        return _dispatch(path, fh, size, head, max_triangles)


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
