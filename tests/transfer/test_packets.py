"""offchain.transfer.packets on plain bytes: RFC 4880 lengths, headers, partial bodies, streams.

No keys and no pgpy here: what goes in is bytes, what comes out is compared with an
independent decoding of RFC 4880 4.2 written in this file.
"""

from __future__ import annotations

import bz2
import hashlib
import io
import os
import random
import subprocess
import sys
import zlib
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.ciphers import algorithms
from hypothesis import given
from hypothesis import strategies as st

from offchain.transfer import errors, packets

CHUNK = packets.CHUNK


def _decode_length(data: bytes) -> tuple[int, int]:
    """(body length, octets used) of a new-format length that is not partial (RFC 4880 4.2.2)."""
    if data[0] < 192:
        return data[0], 1
    if data[0] < 224:
        return ((data[0] - 192) << 8) + data[1] + 192, 2
    assert data[0] == 255
    return int.from_bytes(data[1:5], "big"), 5


def _read_packets(data: bytes) -> list[tuple[int, bytes]]:
    """Every (tag, body) in DATA, read with the module's reader."""
    src, out = io.BytesIO(data), []
    while (body := packets.read_header(src)) is not None:
        out.append((body.tag, body.read_all(len(data))))
    return out


def _written(sizes: list[int], tag: int = 11, seed: int = 0) -> tuple[bytes, bytes]:
    """(payload, framed): the payload written to a PartialWriter in pieces of SIZES."""
    payload = random.Random(seed).randbytes(sum(sizes))
    framed = bytearray()
    writer = packets.PartialWriter(framed.extend, tag)
    at = 0
    for size in sizes:
        writer.write(payload[at : at + size])
        at += size
    writer.close()
    return payload, bytes(framed)


def _drain(stream: packets.Readable) -> bytes:
    parts = []
    while data := stream.read(CHUNK):
        parts.append(data)
    return b"".join(parts)


# -- new-format lengths --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("n", "encoded"),
    [
        (0, b"\x00"),
        (1, b"\x01"),
        (191, b"\xbf"),  # the largest one-octet length
        (192, b"\xc0\x00"),  # the smallest two-octet length
        (193, b"\xc0\x01"),
        (8383, b"\xdf\xff"),  # the largest two-octet length
        (8384, b"\xff\x00\x00\x20\xc0"),  # the smallest five-octet length
        (CHUNK, b"\xff\x00\x10\x00\x00"),
        (2**32 - 1, b"\xff\xff\xff\xff\xff"),  # the largest length at all
    ],
)
def test_new_length_at_the_boundaries(n: int, encoded: bytes) -> None:
    assert packets.new_length(n) == encoded
    assert _decode_length(encoded) == (n, len(encoded))


@given(n=st.integers(0, 2**32 - 1))
def test_any_length_decodes_back_in_the_fewest_octets(n: int) -> None:
    encoded = packets.new_length(n)
    assert _decode_length(encoded) == (n, len(encoded))
    assert len(encoded) == (1 if n < 192 else 2 if n < 8384 else 5)


@pytest.mark.parametrize("size", [0, 1, 191, 192, 8383, 8384, 70_000])
def test_a_framed_packet_reads_back(size: int) -> None:
    body = os.urandom(size)
    framed = packets.packet(2, body)
    assert framed[0] == 0xC0 | 2 and framed[1:] == packets.new_length(size) + body
    assert _read_packets(framed) == [(2, body)]


@given(bodies=st.lists(st.tuples(st.integers(1, 63), st.binary(max_size=10_000)), max_size=4))
def test_framed_packets_round_trip_one_after_another(bodies: list[tuple[int, bytes]]) -> None:
    data = b"".join(packets.packet(tag, body) for tag, body in bodies)
    assert _read_packets(data) == bodies


# -- partial body lengths ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "sizes",
    [[], [0], [1], [CHUNK - 1], [CHUNK], [CHUNK + 1], [CHUNK - 1, 1], [1, CHUNK], [2 * CHUNK + 5],
     [CHUNK // 2, CHUNK // 2, CHUNK // 2]],
)
def test_partial_writer_frames_full_chunks_then_a_final_length(sizes: list[int]) -> None:
    payload, framed = _written(sizes, tag=18)
    full, rest = divmod(len(payload), CHUNK)
    expected = bytes([0xC0 | 18])
    for i in range(full):
        expected += bytes([0xE0 | 20]) + payload[i * CHUNK : (i + 1) * CHUNK]  # 2**20 each
    expected += packets.new_length(rest) + payload[full * CHUNK :]
    assert framed == expected
    assert _read_packets(framed) == [(18, payload)]


@given(sizes=st.lists(st.integers(0, CHUNK + 9000), max_size=4), seed=st.integers(0, 2**16))
def test_partial_body_chunks_round_trip_through_the_reader(sizes: list[int], seed: int) -> None:
    payload, framed = _written(sizes, seed=seed)
    body = packets.read_header(io.BytesIO(framed))
    assert body is not None and body.tag == 11
    assert _drain(body) == payload


@given(exponents=st.lists(st.integers(0, 16), max_size=6), last=st.binary(max_size=9000),
       seed=st.integers(0, 2**16))
def test_the_reader_follows_partial_lengths_of_any_power_of_two(
    exponents: list[int], last: bytes, seed: int
) -> None:
    """Other writers (gpg) choose other part sizes than ours; every 2**k part joins up."""
    rng = random.Random(seed)
    parts = [rng.randbytes(1 << e) for e in exponents]
    framed = bytes([0xC0 | 11])
    for e, part in zip(exponents, parts, strict=True):
        framed += bytes([0xE0 | e]) + part
    framed += packets.new_length(len(last)) + last
    assert _read_packets(framed) == [(11, b"".join(parts) + last)]


# -- old-format headers ------------------------------------------------------------------------
@pytest.mark.parametrize(("ltype", "size"), [(0, 200), (1, 8000), (2, 70_000)])
def test_old_format_lengths_read(ltype: int, size: int) -> None:
    body = os.urandom(size)
    header = bytes([0x80 | (8 << 2) | ltype]) + size.to_bytes((1, 2, 4)[ltype], "big")
    assert _read_packets(header + body) == [(8, body)]


def test_an_old_format_indeterminate_length_runs_to_the_end() -> None:
    body = os.urandom(5000)
    parsed = packets.read_header(io.BytesIO(bytes([0x80 | (11 << 2) | 3]) + body))
    assert parsed is not None and parsed.tag == 11 and _drain(parsed) == body


# -- bad and truncated input: the module's own errors, saying where -------------------------------
def test_a_clean_end_of_input_is_no_packet() -> None:
    assert packets.read_header(io.BytesIO(b"")) is None


@pytest.mark.parametrize("first", [b"\x00", b"\x7f", b"hello"])
def test_not_a_packet_header(first: bytes) -> None:
    with pytest.raises(errors.MessageFormatError, match="not a binary OpenPGP message"):
        packets.read_header(io.BytesIO(first))


@pytest.mark.parametrize(
    "header",
    [b"\xcb", b"\xcb\xc5", b"\xcb\xff\x00\x00", b"\x89", b"\x8d\x01", b"\x8e\x00\x00\x01"],
    ids=["new-no-length", "new-half-of-2", "new-part-of-5", "old-no-length", "old-half-of-2",
         "old-part-of-4"],
)
def test_a_header_cut_inside_its_length(header: bytes) -> None:
    with pytest.raises(errors.IntegrityError, match="ends early inside a packet length: it is truncated"):
        packets.read_header(io.BytesIO(header))


def test_a_four_octet_length_longer_than_the_input() -> None:
    body = packets.read_header(io.BytesIO(b"\xcb" + packets.new_length(2**32 - 1) + b"0123456789"))
    assert body is not None and body.read(CHUNK) == b"0123456789"
    with pytest.raises(errors.IntegrityError, match="ends early inside a packet: it is truncated"):
        body.read(CHUNK)


def test_a_partial_body_cut_before_its_next_length() -> None:
    _, framed = _written([CHUNK + 10])
    body = packets.read_header(io.BytesIO(framed[: 2 + CHUNK]))  # header, one full part
    assert body is not None
    with pytest.raises(errors.IntegrityError, match="ends early inside a packet length"):
        _drain(body)


@given(sizes=st.lists(st.integers(0, CHUNK + 300), min_size=1, max_size=3), data=st.data())
def test_any_truncated_packet_is_an_integrity_error(sizes: list[int], data: st.DataObject) -> None:
    """Cut anywhere after its first octet, a packet never reads as shorter data."""
    _, framed = _written(sizes)
    cut = data.draw(st.integers(1, len(framed) - 1), label="cut")
    with pytest.raises(errors.IntegrityError, match="truncated"):
        _read_packets(framed[:cut])


def test_read_exact_names_what_was_cut() -> None:
    assert packets.read_exact(io.BytesIO(b"abcdef"), 4, "a thing") == b"abcd"
    with pytest.raises(errors.IntegrityError, match="ends early inside the literal data header"):
        packets.read_exact(io.BytesIO(b"abc"), 4, "the literal data header")


def test_read_all_refuses_an_implausibly_large_packet() -> None:
    body = packets.read_header(io.BytesIO(packets.packet(2, bytes(101))))
    assert body is not None
    with pytest.raises(errors.MessageFormatError, match="packet of type 2 is implausibly large"):
        body.read_all(100)


# -- the streamed layers: SEIPD v1 plaintext, compressed data ---------------------------------------
def _seipd_body(plaintext: bytes, key: bytes) -> bytes:
    """A SEIPD v1 body after its version octet: CFB(prefix, check bytes, PLAINTEXT, MDC)."""
    encryptor = packets.cfb(algorithms.AES(key))[0].encryptor()
    prefix = random.Random(len(plaintext)).randbytes(16)
    inner = prefix + prefix[-2:] + plaintext + packets.MDC_HEADER
    return encryptor.update(inner + hashlib.sha1(inner).digest()) + encryptor.finalize()


def _decrypted(body: bytes, key: bytes) -> packets.Decrypted:
    framed = packets.packet(18, body)
    header = packets.read_header(io.BytesIO(framed))
    assert header is not None
    return packets.Decrypted(header, algorithms.AES(key))


@given(plaintext=st.binary(max_size=5000))
def test_decrypted_returns_the_plaintext_and_checks_the_mdc(plaintext: bytes) -> None:
    key = os.urandom(32)
    stream = _decrypted(_seipd_body(plaintext, key), key)
    assert _drain(stream) == plaintext and stream.done


def test_decrypted_refuses_a_changed_byte_or_a_wrong_key() -> None:
    key = bytes(range(32))
    body = bytearray(_seipd_body(b"a model" * 100, key))
    body[40] ^= 1
    with pytest.raises(errors.IntegrityError, match="modified or corrupted"):
        _decrypted(bytes(body), key).drain()
    with pytest.raises(errors.IntegrityError, match="check bytes do not match"):
        _decrypted(_seipd_body(b"a model", key), bytes(32))


@pytest.mark.parametrize(
    ("algorithm", "compress"),
    [(0, bytes), (1, lambda d: zlib.compress(d)[2:-4]), (2, zlib.compress), (3, bz2.compress)],
    ids=["uncompressed", "zip", "zlib", "bzip2"],
)
def test_inflated_returns_the_contents(algorithm: int, compress: Callable[[bytes], bytes]) -> None:
    data = random.Random(3).randbytes(50_000) + bytes(3 * CHUNK)
    stream = packets.Inflated(io.BytesIO(compress(data)), algorithm)
    assert _drain(stream) == data


def test_inflated_refuses_unknown_or_damaged_data() -> None:
    with pytest.raises(errors.MessageFormatError, match="unknown compression algorithm 7"):
        packets.Inflated(io.BytesIO(b""), 7)
    with pytest.raises(errors.MessageFormatError, match="compressed data ends early"):
        _drain(packets.Inflated(io.BytesIO(zlib.compress(bytes(1000))[:-6]), 2))
    with pytest.raises(errors.MessageFormatError, match="compressed data is damaged"):
        _drain(packets.Inflated(io.BytesIO(b"not zlib at all"), 2))


def test_the_packet_layer_does_not_import_pgpy() -> None:
    code = "import sys, offchain.transfer.packets; assert 'pgpy' not in sys.modules, sorted(sys.modules)"
    subprocess.run([sys.executable, "-c", code], check=True)
