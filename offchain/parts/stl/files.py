"""Which files are read at all, opened without blocking, and read exactly.

Only regular files are read: a folder, FIFO, device or socket is refused from
``os.stat`` before anything is opened, and the file is opened with ``O_NONBLOCK`` and
checked again with ``fstat``, so a path swapped for a FIFO in between cannot hang the
reader. Limits no real part reaches, checked from the file's size and the binary header
before anything is allocated: ``MAX_FILE_BYTES`` (2 GiB) and ``MAX_TRIANGLES`` (50
million); ``inspect`` takes both as arguments.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

from offchain.parts.stl.errors import NotRegularFileError, StlFileError, TooLargeError

SNIFF_SIZE = 1024  # bytes read first, to tell what the file is
MAX_FILE_BYTES = 2 * 1024**3  # 2 GiB: a 40-million-triangle binary STL
MAX_TRIANGLES = 50_000_000


@contextmanager
def _opened(path: Path, max_bytes: int) -> Iterator[tuple[BinaryIO, int, bytes]]:
    """(file, size, first SNIFF_SIZE bytes) of the regular file at PATH, open while in the block."""
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
        yield fh, size, head


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
