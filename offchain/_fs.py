"""The one atomic writer: a file appears whole under its name, or not at all.

Every output prodnet writes (keys, ciphertexts, fetched models, generated parts,
deployment records, the outbox) goes through :func:`atomic_output`: a temporary
file in the same folder, fsync, rename (or hard link, to never overwrite), fsync
of the folder. An error at any point removes the temporary file.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

from offchain.errors import ProdnetError


class FileWriteError(ProdnetError):
    """An output file could not be written; the message says why and what to do."""


class OutputExistsError(FileWriteError):
    """Refusing to overwrite an existing file."""


# -- one file, all or nothing ---------------------------------------------------------------------
def write_error(exc: OSError, target: Path) -> FileWriteError:
    """An OSError met while writing TARGET, as one actionable line."""
    reason = exc.strerror or str(exc)
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return FileWriteError(f"no space left writing {target} ({reason}): free space and retry")
    if exc.errno == errno.EFBIG:
        return FileWriteError(f"file size limit reached writing {target} ({reason}): raise the limit")
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return FileWriteError(
            f"cannot write in {target.parent} ({reason}): choose a writable folder"
        )
    return FileWriteError(f"I/O error writing {target}: {reason}")


class AtomicFile:
    """A temporary file in DIRECTORY that becomes a real file only on ``commit``.

    Until then nothing is visible under the final name; ``abort`` (or any error)
    removes the temporary file.
    """

    def __init__(self, directory: Path, mode: int = 0o666, hint: str = "tmp") -> None:
        self.directory = directory
        self.path = directory / f".{hint}.{secrets.token_hex(6)}.part"
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode)
        except OSError as exc:
            raise write_error(exc, self.path) from None
        self.file: BinaryIO = os.fdopen(fd, "wb", buffering=0)

    def write(self, data: bytes | bytearray | memoryview) -> int:
        view = memoryview(data)
        done = 0
        while done < len(view):  # a raw file may write less than asked
            done += self.file.write(view[done:]) or 0
        return done

    def tell(self) -> int:
        return self.file.tell()

    def commit(self, final: Path, *, exclusive: bool = False) -> Path:
        """fsync, then rename onto FINAL (or hard-link if EXCLUSIVE: never overwrite)."""
        try:
            os.fsync(self.file.fileno())
            self.file.close()
            if exclusive:
                try:
                    os.link(self.path, final)
                except FileExistsError:
                    raise OutputExistsError(
                        f"{final} already exists; refusing to overwrite it"
                    ) from None
                self.path.unlink()
            else:
                os.replace(self.path, final)
            _fsync_dir(final.parent)
        except OSError as exc:
            self.abort()
            raise write_error(exc, final) from None
        except BaseException:
            self.abort()
            raise
        return final

    def abort(self) -> None:
        if not self.file.closed:
            self.file.close()
        self.path.unlink(missing_ok=True)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def atomic_output(
    path: str | Path, *, mode: int = 0o666, exclusive: bool = False
) -> Iterator[AtomicFile]:
    """Write PATH all-or-nothing: the body writes a temp file next to it, renamed on success."""
    path = Path(path)
    if path.is_dir():
        raise FileWriteError(f"{path} is a folder: give a file name for the output")
    if not path.parent.is_dir():
        raise FileWriteError(f"folder {path.parent} does not exist: create it first")
    temp = AtomicFile(path.parent, mode, hint=path.name)
    try:
        yield temp
    except OSError as exc:
        temp.abort()
        raise write_error(exc, path) from None
    except BaseException:
        temp.abort()
        raise
    temp.commit(path, exclusive=exclusive)


def write_json_atomic(path: Path, data: Any) -> None:
    """Write DATA as indented JSON to PATH, all or nothing (the folder is created)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_output(path, mode=0o644) as out:
        out.write((json.dumps(data, indent=2, sort_keys=True) + "\n").encode())


def read_json(path: Path) -> Any | None:
    """The JSON in PATH, or None when there is no such file."""
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return None


def sha256_file(path: Path) -> str:
    """The sha256 (hex) of the file at PATH, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
