"""What may be read at all: regular files only, within size and triangle limits, never a crash.

Reads that could crash the interpreter (the one-triangle file) or hang it (a FIFO, a
device) run in a child process with a timeout, so a regression fails a test instead of
taking the suite down. What the reader did with a file (opened it? read which bytes?)
is observed with ``reads_of``, never timed.
"""

from __future__ import annotations

import errno
import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from offchain.devtools import parts as td
from offchain.parts import stl
from offchain.parts.stl import binary as stl_binary
from offchain.parts.stl.files import SNIFF_SIZE
from tests.utils.parts import inspect_in_child, sparse_file, write

ONE = np.array([[[0.0, 0.0, 0.0], [4.0, 0.0, 0.0], [0.0, 3.0, 0.0]]], dtype=np.float32)


class LoggedFile(io.FileIO):
    """An unbuffered file (what the reader opens) that logs (offset, bytes) of every read."""

    def __init__(self, fd: int, log: list[tuple[int, int]]) -> None:
        super().__init__(fd, "rb", closefd=True)
        self.log = log

    def read(self, size: int | None = -1, /) -> bytes | None:
        at = self.tell()
        data = super().read(size)
        self.log.append((at, len(data or b"")))
        return data

    def readinto(self, buffer: Any, /) -> int | None:
        at = self.tell()
        got = super().readinto(buffer)
        self.log.append((at, got or 0))
        return got


@dataclass
class Reads:
    opened: int = 0  # times the file was opened
    log: list[tuple[int, int]] = field(default_factory=list)  # (offset, bytes) of each read

    @property
    def total(self) -> int:
        return sum(n for _, n in self.log)


@contextmanager
def reads_of(path: Path, *, may_open: bool = True) -> Iterator[Reads]:
    """What the code in the block does with PATH: how often it opens it, and every read from it.

    Spies on ``os.open`` and ``os.fdopen`` (how the reader opens files). With MAY_OPEN
    false an attempt to open PATH is counted and then fails, so a FIFO or a device
    cannot hang the test even if the reader stopped refusing it first.
    """
    reads, target = Reads(), os.path.realpath(path)
    ours: set[int] = set()  # descriptors of PATH opened in the block
    real_open, real_fdopen = os.open, os.fdopen

    def spy_open(file: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if os.path.realpath(file) != target:
            return real_open(file, flags, *args, **kwargs)
        reads.opened += 1
        if not may_open:
            raise PermissionError(errno.EACCES, "the test does not let it be opened", str(file))
        fd = real_open(file, flags, *args, **kwargs)
        ours.add(fd)
        return fd

    def spy_fdopen(fd: int, *args: Any, **kwargs: Any) -> Any:
        return LoggedFile(fd, reads.log) if fd in ours else real_fdopen(fd, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(os, "open", spy_open)
        patch.setattr(os, "fdopen", spy_fdopen)
        yield reads


def test_binary_with_exactly_one_triangle(tmp_path: Path) -> None:
    path = write(tmp_path / "one.stl", ONE, "binary")
    result = inspect_in_child(path)
    assert result["returncode"] == 0, result  # was -11 (SIGSEGV): read after the map was closed
    part = result["ok"]
    assert isinstance(part, dict)
    assert part["triangles"] == 1 and part["bbox_mm"] == [4.0, 3.0, 0.0]
    assert part["area_mm2"] == 6.0 and part["volume_mm3"] == 0.0
    assert part["closed"] is False and part["open_edges"] == 3


@pytest.mark.parametrize("count", [1, 2, 3, 7])
def test_small_binary_files_read_in_process(tmp_path: Path, count: int) -> None:
    triangles = np.concatenate([ONE + np.float32(10 * i) for i in range(count)])
    part = stl.inspect(write(tmp_path / "few.stl", triangles, "binary"))
    assert part.triangles == count and part.area_mm2 == 6.0 * count


def test_binary_reads_in_blocks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path / "torus.stl", td.torus(30.0, 10.0, 48, 24), "binary")
    whole = stl.inspect(path)
    monkeypatch.setattr(stl_binary, "READ_RECORDS", 7)  # the module that reads it
    assert stl.inspect(path) == whole


def refused_in_child(path: Path, **kwargs: object) -> tuple[str, str]:
    result = inspect_in_child(path, timeout=60, **kwargs)  # a hang fails: subprocess.TimeoutExpired
    assert result["returncode"] == 0 and "error" in result, result
    message = str(result["message"])
    assert str(path) in message and "\n" not in message
    with reads_of(path, may_open=False) as reads, pytest.raises(stl.StlError):
        stl.inspect(path, **kwargs)  # type: ignore[arg-type]
    assert reads.opened == 0 and reads.log == []  # refused from os.stat: never opened, nothing read
    return str(result["error"]), message


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_fifo_is_refused_at_once(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.stl"
    os.mkfifo(fifo)
    error, message = refused_in_child(fifo)  # opening a FIFO for reading waits for a writer
    assert error == "NotRegularFileError"
    assert "named pipe (FIFO), not a regular file" in message and "give the path of an .stl file" in message


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_symlink_to_a_fifo_is_refused(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "link.stl").symlink_to(tmp_path / "pipe")
    error, message = refused_in_child(tmp_path / "link.stl")
    assert error == "NotRegularFileError" and "named pipe" in message


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/null"])
def test_devices_are_refused(device: str) -> None:
    if not os.path.exists(device):
        pytest.skip(f"no {device}")
    error, message = refused_in_child(Path(device))  # /dev/zero never ends
    assert error == "NotRegularFileError" and "is a device, not a regular file" in message


def test_symlink_to_a_regular_file_is_read(tmp_path: Path) -> None:
    target = write(tmp_path / "box.stl", td.box(), "binary")
    (tmp_path / "link.stl").symlink_to(target)
    assert stl.inspect(tmp_path / "link.stl").volume_mm3 == 6000.0


def test_reads_of_sees_every_read(tmp_path: Path) -> None:
    path = write(tmp_path / "box.stl", td.box(), "binary")  # 684 bytes: 84 of header, 12 records of 50
    with reads_of(path) as reads:
        stl.inspect(path)
    assert reads.opened == 1 and reads.log == [(0, 684), (84, 600)]  # the head, then the records


def test_directory_is_a_not_regular_file_error(tmp_path: Path) -> None:
    with pytest.raises(stl.NotRegularFileError, match=r"is a directory; give the path of an \.stl file"):
        stl.inspect(tmp_path)


# -- limits, checked before anything is allocated ---------------------------------------


def fast_refusal(
    path: Path, error: type[stl.StlError], *words: str, also_read: int = 0, **kwargs: int,
) -> str:
    """Refused with ERROR naming WORDS, having read no more than the file's head (+ ALSO_READ bytes)."""
    with reads_of(path) as reads, pytest.raises(error) as caught:
        stl.inspect(path, **kwargs)  # type: ignore[arg-type]
    head = min(path.stat().st_size, SNIFF_SIZE)  # the header, read once to tell what the file is
    assert reads.total <= head + also_read, reads.log  # nothing read beyond the header
    message = str(caught.value)
    assert str(path) in message and "\n" not in message
    for word in words:
        assert word in message, message
    return message


def test_sparse_gigabyte_claiming_20m_triangles(tmp_path: Path) -> None:
    path = sparse_file(tmp_path / "sparse.stl", 2**30, 20_000_000)
    fast_refusal(path, stl.BinarySizeError, "header says 20000000 triangles (1000000084 bytes)",
                 f"has {2**30} bytes", "export it again")


def test_file_over_the_size_limit(tmp_path: Path) -> None:
    path = sparse_file(tmp_path / "huge.stl", 3 * 2**30, 60_000_000)
    assert stl.MAX_FILE_BYTES == 2 * 2**30
    fast_refusal(path, stl.TooLargeError, f"{3 * 2**30} bytes", "more than the 2 GiB", "simplify")


def test_size_limit_is_an_argument(tmp_path: Path) -> None:
    path = write(tmp_path / "box.stl", td.box(), "binary")
    fast_refusal(path, stl.TooLargeError, "684 bytes", "more than the 500 bytes", max_bytes=500)
    assert stl.inspect(path, max_bytes=684).triangles == 12


def test_triangle_limit_before_allocating(tmp_path: Path) -> None:
    count = 51_000_000
    path = sparse_file(tmp_path / "many.stl", 84 + 50 * count, count)
    assert stl.MAX_TRIANGLES == 50_000_000
    fast_refusal(path, stl.TooLargeError, f"holds {count} triangles", "more than the 50000000",
                 "decimate", max_bytes=4 * 2**30)


def test_triangle_limit_is_an_argument(tmp_path: Path) -> None:
    binary = write(tmp_path / "box.stl", td.box(), "binary")
    fast_refusal(binary, stl.TooLargeError, "12 triangles", "more than the 11", max_triangles=11)
    ascii_ = write(tmp_path / "box_ascii.stl", td.box(), "ascii")
    # An ASCII file's triangles are counted by tokenising it: it is read once more, whole.
    fast_refusal(ascii_, stl.TooLargeError, "ASCII STL holds more than the 11 triangles",
                 also_read=ascii_.stat().st_size, max_triangles=11)
    assert stl.inspect(ascii_, max_triangles=12).triangles == 12


def test_limits_are_prodnet_errors() -> None:
    from offchain.errors import ProdnetError

    for error in (stl.TooLargeError, stl.NotRegularFileError, stl.TextEncodingError, stl.NonOrientableError):
        assert issubclass(error, stl.StlError) and issubclass(error, ProdnetError)
