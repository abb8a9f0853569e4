"""RFC 4880 packet framing over plain bytes: lengths, headers, bodies, streamed layers.

Writing: :func:`packet` frames a small body; :class:`PartialWriter` streams one packet
of any size in partial body lengths of ``CHUNK`` bytes (RFC 4880 4.2.2.4). Reading:
:func:`read_header` returns the next packet's :class:`PacketBody`, which follows
partial lengths (new format) and the old format's fixed and indeterminate lengths.
:class:`Decrypted` turns a SEIPD v1 body into its plaintext (OpenPGP CFB from
:func:`cfb`, the MDC checked at the end); :class:`Inflated` turns a compressed data
packet into its contents. Everything streams in ``CHUNK``-sized pieces.

This module knows bytes and ``cryptography`` primitives only, not pgpy: the caller
passes the cipher (a ``cryptography`` algorithm with its key) and the compression
algorithm as the number from the message. Truncated or malformed input raises
:class:`~offchain.transfer.errors.IntegrityError` or
:class:`~offchain.transfer.errors.MessageFormatError`, with a sentence saying where.
"""

from __future__ import annotations

import bz2
import hashlib
import zlib
from collections.abc import Callable
from typing import Protocol

from cryptography.hazmat.primitives.ciphers import BlockCipherAlgorithm, Cipher

from offchain.transfer.errors import IntegrityError, MessageFormatError

try:  # OpenPGP's CFB is "decrepit" in cryptography >= 43; it is still what RFC 4880 uses.
    from cryptography.hazmat.decrepit.ciphers.modes import CFB
except ImportError:  # pragma: no cover - older cryptography
    from cryptography.hazmat.primitives.ciphers.modes import CFB

CHUNK = 1 << 20  # bytes per streamed read/write; also the partial-body size (2**20)
MDC_HEADER = b"\xd3\x14"  # new-format tag 19, length 20
# RFC 4880 9.3 compression algorithms
_UNCOMPRESSED, _ZIP, _ZLIB, _BZIP2 = 0, 1, 2, 3


class Readable(Protocol):
    def read(self, n: int, /) -> bytes: ...


def cfb(algorithm: BlockCipherAlgorithm) -> tuple[Cipher, int]:
    """OpenPGP CFB (zero IV, full-block feedback) for ALGORITHM (keyed) and its block size in bytes."""
    block = algorithm.block_size // 8
    return Cipher(algorithm, CFB(b"\x00" * block)), block


def read_exact(src: Readable, n: int, what: str) -> bytes:
    """N bytes from SRC; IntegrityError naming WHAT if the input ends first."""
    parts, got = [], 0
    while got < n:
        data = src.read(n - got)
        if not data:
            raise IntegrityError(f"the ciphertext ends early inside {what}: it is truncated")
        parts.append(data)
        got += len(data)
    return b"".join(parts)


def new_length(n: int) -> bytes:
    """The new-format length of an N-byte body: 1, 2 or 5 octets (RFC 4880 4.2.2.1-3)."""
    if n < 192:
        return bytes([n])
    if n < 8384:
        n -= 192
        return bytes([(n >> 8) + 192, n & 0xFF])
    return b"\xff" + n.to_bytes(4, "big")


def packet(tag: int, body: bytes) -> bytes:
    """BODY framed as one new-format packet of type TAG."""
    return bytes([0xC0 | tag]) + new_length(len(body)) + body


class PartialWriter:
    """One packet streamed with partial body lengths of CHUNK bytes (RFC 4880 4.2.2.4).

    Full CHUNK-sized parts of large writes go to the sink as memoryviews (no copy);
    only the remainder that does not fill a part is buffered.
    """

    _PARTIAL = bytes([0xE0 | (CHUNK.bit_length() - 1)])

    def __init__(self, sink: Callable[[bytes | memoryview], object], tag: int) -> None:
        self._sink = sink
        self._buf = bytearray()
        sink(bytes([0xC0 | tag]))

    def _part(self, data: bytes | bytearray | memoryview) -> None:
        self._sink(self._PARTIAL)
        self._sink(data)

    def write(self, data: bytes | memoryview) -> None:
        view = memoryview(data)
        if self._buf:
            fill = CHUNK - len(self._buf)
            self._buf += view[:fill]
            view = view[fill:]
            if len(self._buf) < CHUNK:
                return
            self._part(self._buf)
            self._buf = bytearray()
        while len(view) >= CHUNK:
            self._part(view[:CHUNK])
            view = view[CHUNK:]
        self._buf += view

    def close(self) -> None:
        self._sink(new_length(len(self._buf)))
        self._sink(self._buf)
        self._buf = bytearray()


class PacketBody:
    """Reads one packet body, following partial lengths; indeterminate runs to the end."""

    def __init__(self, src: Readable, length: int | None, partial: bool, tag: int) -> None:
        self._src = src
        self._remaining = length  # None: indeterminate (old format, to end of stream)
        self._partial = partial
        self.tag = tag

    def _next_part(self) -> None:
        first = read_exact(self._src, 1, "a packet length")[0]
        if first < 192:
            self._remaining, self._partial = first, False
        elif first < 224:
            second = read_exact(self._src, 1, "a packet length")[0]
            self._remaining, self._partial = ((first - 192) << 8) + second + 192, False
        elif first == 255:
            n = read_exact(self._src, 4, "a packet length")
            self._remaining, self._partial = int.from_bytes(n, "big"), False
        else:
            self._remaining = 1 << (first & 0x1F)

    def read(self, n: int) -> bytes:
        if self._remaining is None:
            return self._src.read(n)
        while self._remaining == 0:
            if not self._partial:
                return b""
            self._next_part()
        data = self._src.read(min(n, self._remaining))
        if not data:
            raise IntegrityError("the ciphertext ends early inside a packet: it is truncated")
        self._remaining -= len(data)
        return data

    def read_all(self, limit: int) -> bytes:
        parts, size = [], 0
        while data := self.read(CHUNK):
            size += len(data)
            if size > limit:
                raise MessageFormatError(f"an OpenPGP packet of type {self.tag} is implausibly large")
            parts.append(data)
        return b"".join(parts)

    def skip(self) -> None:
        while self.read(CHUNK):
            pass


def read_header(src: Readable) -> PacketBody | None:
    """The next packet's header; None at a clean end of stream."""
    first_b = src.read(1)
    if not first_b:
        return None
    first = first_b[0]
    if not first & 0x80:
        raise MessageFormatError(
            "the input is not a binary OpenPGP message (bad packet header); "
            "give the file produced by 'keys encrypt' or 'gpg --encrypt'"
        )
    if first & 0x40:  # new format
        body = PacketBody(src, 0, True, first & 0x3F)
        body._next_part()
        return body
    tag, ltype = (first >> 2) & 0x0F, first & 0x03
    if ltype == 3:
        return PacketBody(src, None, False, tag)
    size = int.from_bytes(read_exact(src, (1, 2, 4)[ltype], "a packet length"), "big")
    return PacketBody(src, size, False, tag)


class Decrypted:
    """SEIPD v1 plaintext as a stream; the trailing MDC is held back and checked at the end.

    BODY is positioned after the packet's version octet; ALGORITHM is the session
    key's ``cryptography`` cipher (keyed), run in OpenPGP CFB.
    """

    _TAIL = 22  # MDC packet: 2 header bytes + SHA-1

    def __init__(self, body: PacketBody, algorithm: BlockCipherAlgorithm) -> None:
        self._body = body
        cipher, block = cfb(algorithm)
        self._dec = cipher.decryptor()
        prefix = self._dec.update(read_exact(body, block + 2, "the encrypted data"))
        if prefix[block - 2 : block] != prefix[block : block + 2]:
            raise IntegrityError(
                "the encrypted data is corrupted (its check bytes do not match the session key)"
            )
        self._mdc = hashlib.sha1(prefix)
        self._tail = b""
        self._pending = memoryview(b"")
        self.done = False

    def read(self, n: int) -> bytes:
        """Up to N bytes of verified-later plaintext; b"" at the end (after the MDC check)."""
        while not self._pending and not self.done:
            chunk = self._body.read(CHUNK)
            if not chunk:
                self._finish()
                break
            plain = self._tail + self._dec.update(chunk)
            out, self._tail = plain[: -self._TAIL], plain[-self._TAIL :]
            self._mdc.update(out)
            self._pending = memoryview(out)
        data, self._pending = self._pending[:n], self._pending[n:]
        return bytes(data)

    def _finish(self) -> None:
        tail = self._tail + self._dec.finalize()
        self._mdc.update(MDC_HEADER)
        if len(tail) != self._TAIL or tail[:2] != MDC_HEADER or tail[2:] != self._mdc.digest():
            raise IntegrityError(
                "the ciphertext has been modified or corrupted (integrity check failed); "
                "fetch it again from the storage and compare its sha256 with the one on chain"
            )
        self.done = True

    def drain(self) -> None:
        """Read to the end, which checks the MDC (raises IntegrityError if it fails)."""
        while self.read(CHUNK):
            pass


class Inflated:
    """A compressed data packet's contents as a stream (ZIP, ZLIB, BZip2).

    ALGORITHM is the packet's first octet (RFC 4880 9.3), BODY the rest of it.
    """

    def __init__(self, body: Readable, algorithm: int) -> None:
        self._body = body
        self._zip: zlib._Decompress | None = None
        self._bz: bz2.BZ2Decompressor | None = None
        self._raw = algorithm == _UNCOMPRESSED
        if algorithm == _ZIP:
            self._zip = zlib.decompressobj(-15)
        elif algorithm == _ZLIB:
            self._zip = zlib.decompressobj()
        elif algorithm == _BZIP2:
            self._bz = bz2.BZ2Decompressor()
        elif not self._raw:
            raise MessageFormatError(f"unknown compression algorithm {algorithm} in the message")

    def read(self, n: int) -> bytes:
        if self._raw:
            return self._body.read(n)
        try:
            return self._read_zip(n) if self._zip is not None else self._read_bz(n)
        except (zlib.error, OSError, EOFError) as exc:
            raise MessageFormatError(f"the compressed data is damaged ({exc})") from None

    def _read_zip(self, n: int) -> bytes:
        assert self._zip is not None
        while not self._zip.eof:
            data = self._zip.unconsumed_tail or self._body.read(CHUNK)
            if not data:
                raise MessageFormatError("the compressed data ends early")
            out = self._zip.decompress(data, n)
            if out:
                return out
        return b""

    def _read_bz(self, n: int) -> bytes:
        assert self._bz is not None
        while not self._bz.eof:
            data = b"" if not self._bz.needs_input else self._body.read(CHUNK)
            if self._bz.needs_input and not data:
                raise MessageFormatError("the compressed data ends early")
            out = self._bz.decompress(data, n)
            if out:
                return out
        return b""
