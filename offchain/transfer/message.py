"""OpenPGP for prodnet: participant keys, encrypt+sign a model, decrypt+verify it.

Keys are pgpy objects: an Ed25519 signing primary with a Curve25519 (ECDH) encryption
subkey when we generate them; RSA (>= 2048 bits) keys made by GnuPG are accepted too.

Messages are standard binary OpenPGP (RFC 4880), readable by GnuPG and read from it:

    PKESK (session key, wrapped to the recipient's encryption subkey)
    SEIPD v1 (AES-256, CFB, MDC) containing
        [one-pass signature] literal data [signature]      (optionally compressed, on read)

Why not ``PGPMessage``: pgpy builds every message in memory and copies the payload
several times (about 8x the file size at peak). Here pgpy does what only it knows,
the key material: generating, protecting and unlocking keys, wrapping and unwrapping
the session key (``PKESessionKeyV3``), and the signature packet and its trailer
(``PGPSignature``). The bulk of the work, AES-CFB over the payload, the MDC (SHA-1)
and the signature digest, is streamed here in fixed-size chunks with the same
``cryptography`` primitives pgpy uses, so memory does not grow with the file, the
input is read once and the output goes to a temporary file renamed into place only
after every check passed. The signature is made and checked over the streamed
digest ("prehashed"), which is exactly what pgpy computes over its in-memory copy.
This leans on pgpy 0.6.0 internals (``_key.keymaterial``, ``_signature``); the
version is pinned and the gpg interoperability tests guard it.
"""

from __future__ import annotations

import bz2
import hashlib
import os
import re
import warnings
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from cryptography.hazmat.primitives.ciphers import Cipher
from cryptography.utils import CryptographyDeprecationWarning

from offchain.errors import ProdnetError
from offchain.transfer.storage import atomic_output

with warnings.catch_warnings():
    # pgpy 0.6.0 names ciphers that cryptography moved to "decrepit"; importing it
    # warns about algorithms we never use. Only that warning is silenced.
    warnings.simplefilter("ignore", CryptographyDeprecationWarning)
    warnings.simplefilter("ignore", DeprecationWarning)
    import pgpy
    from pgpy.constants import (
        CompressionAlgorithm,
        EllipticCurveOID,
        HashAlgorithm,
        KeyFlags,
        PubKeyAlgorithm,
        SignatureType,
        SymmetricKeyAlgorithm,
    )
    from pgpy.errors import PGPDecryptionError, PGPError
    from pgpy.packet import Packet
    from pgpy.packet.packets import PKESessionKeyV3

try:  # OpenPGP's CFB is "decrepit" in cryptography >= 43; it is still what RFC 4880 uses.
    from cryptography.hazmat.decrepit.ciphers.modes import CFB
except ImportError:  # pragma: no cover - older cryptography
    from cryptography.hazmat.primitives.ciphers.modes import CFB

PGPKey = pgpy.PGPKey
CHUNK = 1 << 20  # bytes per streamed read/write; also the partial-body size (2**20)
_MAX_SMALL_PACKET = 1 << 16  # session keys and signatures are far smaller
_CIPHER = SymmetricKeyAlgorithm.AES256
_HASH = HashAlgorithm.SHA256
_WEAK_HASHES = {HashAlgorithm.MD5, HashAlgorithm.SHA1, HashAlgorithm.RIPEMD160}
_RSA = {PubKeyAlgorithm.RSAEncryptOrSign, PubKeyAlgorithm.RSAEncrypt, PubKeyAlgorithm.RSASign}
_ENCRYPT_FLAGS = {KeyFlags.EncryptCommunications, KeyFlags.EncryptStorage}
_MDC_HEADER = b"\xd3\x14"  # new-format tag 19, length 20

Progress = Callable[[int], None]


# -- errors ---------------------------------------------------------------------------
class CryptoError(ProdnetError):
    """An OpenPGP operation failed; the message says why and what to do."""


class KeyFormatError(CryptoError):
    """The key file is not a readable, intact OpenPGP key."""


class UnsupportedKeyError(CryptoError):
    """The key uses an algorithm or size prodnet does not accept."""


class KeyUsageError(CryptoError):
    """The key cannot do what is asked (no encryption subkey, public instead of secret...)."""


class PassphraseError(CryptoError):
    """The secret key is protected and the passphrase is missing or wrong."""


class KeyFileExistsError(CryptoError):
    """Refusing to overwrite an existing key file."""


class MessageFormatError(CryptoError):
    """The input is not an OpenPGP message prodnet can read."""


class NotForThisKeyError(CryptoError):
    """The ciphertext was encrypted to another key."""


class IntegrityError(CryptoError):
    """The ciphertext was modified, corrupted or truncated."""


class SignatureError(CryptoError):
    """The signature is missing, made by another key, or does not verify."""


@contextmanager
def _quiet() -> Iterator[None]:
    """Silence what pgpy says while it works: its "TODO: ... not yet implemented" notes on
    every key verification and cryptography's deprecation of the CFB mode pgpy calls.
    Only pgpy calls run inside; problems reach the caller as exceptions, not warnings."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


# -- keys ---------------------------------------------------------------------------
def generate_key(name: str, email: str, passphrase: str | None = None) -> PGPKey:
    """A new participant key: Ed25519 primary (sign, certify) + Curve25519 encryption subkey."""
    if not name.strip():
        raise CryptoError("the key needs a name: give --name")
    if not re.fullmatch(r"[^@\s<>]+@[^@\s<>]+", email):
        raise CryptoError(f"{email!r} is not an e-mail address: give --email like name@example.org")
    prefs = {
        "hashes": [HashAlgorithm.SHA512, HashAlgorithm.SHA256],
        "ciphers": [SymmetricKeyAlgorithm.AES256, SymmetricKeyAlgorithm.AES128],
        "compression": [
            CompressionAlgorithm.ZLIB,
            CompressionAlgorithm.ZIP,
            CompressionAlgorithm.Uncompressed,
        ],
    }
    with _quiet():
        key = PGPKey.new(PubKeyAlgorithm.EdDSA, EllipticCurveOID.Ed25519)
        key.add_uid(
            pgpy.PGPUID.new(name.strip(), email=email),
            usage={KeyFlags.Sign, KeyFlags.Certify},
            **prefs,
        )
        subkey = PGPKey.new(PubKeyAlgorithm.ECDH, EllipticCurveOID.Curve25519)
        key.add_subkey(subkey, usage=set(_ENCRYPT_FLAGS))
        if passphrase:
            key.protect(passphrase, SymmetricKeyAlgorithm.AES256, HashAlgorithm.SHA256)
    return key


def import_key(data: str | bytes, source: str = "the key") -> PGPKey:
    """Parse one armored or binary OpenPGP key (public or secret) and check its self-signatures."""
    try:
        with _quiet():
            parsed = PGPKey.from_blob(data)
    except Exception as exc:  # pgpy raises ValueError/PGPError/IndexError/... on junk
        raise KeyFormatError(
            f"{source} is not a valid OpenPGP key ({type(exc).__name__}: {exc}); "
            "export it again (gpg --armor --export / --export-secret-keys)"
        ) from None
    key = parsed[0] if isinstance(parsed, tuple) else parsed
    if key is None or getattr(key, "_key", None) is None or not key.userids:
        raise KeyFormatError(f"{source} holds no complete OpenPGP key (no key packet or user id)")
    if len(fingerprint(key)) != 40:
        raise UnsupportedKeyError(f"{source} is not a version 4 OpenPGP key")
    try:
        with _quiet():
            intact = bool(key.verify(key))
    except Exception:
        intact = False
    if not intact:
        raise KeyFormatError(
            f"{source} is corrupted: its self-signatures do not verify; export the key again"
        )
    return key


def read_key(path: str | Path) -> PGPKey:
    """Read a key file (armored or binary)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise KeyFormatError(f"cannot read key file {path}: {exc.strerror or exc}") from None
    if not data.strip():
        raise KeyFormatError(f"key file {path} is empty")
    return import_key(data, source=f"key file {path}")


def public_armor(key: PGPKey) -> str:
    """The armored public key (the part a participant publishes)."""
    return str(key if key.is_public else key.pubkey)


def secret_armor(key: PGPKey) -> str:
    """The armored secret key, as protected as the key object is."""
    if key.is_public:
        raise KeyUsageError(f"key {fingerprint(key)} is a public key: it has no secret part")
    return str(key)


def fingerprint(key: PGPKey) -> str:
    """The primary key's fingerprint: 40 upper-case hex digits for a v4 key."""
    return str(key.fingerprint).replace(" ", "").upper()


def fingerprint_bytes32(key: PGPKey) -> bytes:
    """The 20-byte v4 fingerprint left-aligned in 32 bytes, as the registry contract stores it."""
    raw = bytes.fromhex(fingerprint(key))
    if len(raw) != 20:
        raise UnsupportedKeyError(f"key {fingerprint(key)} is not a version 4 OpenPGP key")
    return raw.ljust(32, b"\x00")


def write_key_files(key: PGPKey, out_dir: str | Path, name: str) -> tuple[Path, Path]:
    """Write OUT_DIR/NAME.pub.asc and OUT_DIR/NAME.sec.asc (mode 0600); never overwrite."""
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", name):
        raise CryptoError(
            f"{name!r} is not a usable key name: use letters, digits, '.', '_' or '-' (no '/')"
        )
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CryptoError(f"cannot create key folder {out}: {exc.strerror or exc}") from None
    pub, sec = out / f"{name}.pub.asc", out / f"{name}.sec.asc"
    for path in (pub, sec):
        if path.exists():
            raise KeyFileExistsError(
                f"{path} already exists; refusing to overwrite it: choose another --name or --out"
            )
    with atomic_output(sec, mode=0o600, exclusive=True) as fh:
        fh.write(secret_armor(key).encode())
    try:
        with atomic_output(pub, mode=0o644, exclusive=True) as fh:
            fh.write(public_armor(key).encode())
    except BaseException:
        sec.unlink(missing_ok=True)
        raise
    return pub, sec


# -- key selection and unlocking --------------------------------------------------------
def _flags(key: PGPKey) -> set[KeyFlags]:
    try:
        return set(key._get_key_flags())
    except (StopIteration, AttributeError, PGPError):
        return set()


def _all_keys(key: PGPKey) -> list[PGPKey]:
    return [key, *key.subkeys.values()]


def _check_algorithm(key: PGPKey, role: str) -> None:
    alg = key.key_algorithm
    if alg in _RSA:
        if key.key_size < 2048:
            raise UnsupportedKeyError(
                f"{role} key {key.fingerprint.keyid} is RSA-{key.key_size}: use RSA >= 2048 bits "
                "(RSA-3072 recommended) or ed25519/cv25519"
            )
        return
    if alg in (PubKeyAlgorithm.EdDSA, PubKeyAlgorithm.ECDH):
        return
    raise UnsupportedKeyError(
        f"{role} key {key.fingerprint.keyid} uses {alg.name}: use ed25519/cv25519 or RSA-3072"
    )


def _pick(key: PGPKey, wanted: set[KeyFlags], role: str) -> PGPKey:
    usable = [k for k in _all_keys(key) if _flags(k) & wanted]
    fresh = [k for k in usable if not k.is_expired]
    if not usable:
        raise KeyUsageError(f"key {fingerprint(key)} has no {role} (sub)key; use a key made for it")
    if not fresh:
        raise KeyUsageError(f"the {role} (sub)key of key {fingerprint(key)} has expired")
    chosen = fresh[-1] if role == "encryption" else fresh[0]  # newest encryption subkey
    _check_algorithm(chosen, role)
    return chosen


def _derive_key_streaming(s2k: object, passphrase: str | bytes) -> bytes:
    """RFC 4880 3.7.1 string-to-key, hashing the repeated salt+passphrase in 64 KiB pieces.

    pgpy 0.6.0 builds the whole iterated input in memory (up to 65 MB, twice) before
    hashing it; this computes the same key without that. Used only while unlocking.
    """
    halg, keylen = s2k.halg, s2k.encalg.key_size // 8  # type: ignore[attr-defined]
    secret = passphrase if isinstance(passphrase, bytes) else passphrase.encode("utf-8")
    salted = s2k.specifier >= 1  # type: ignore[attr-defined]  # Salted, Iterated
    unit = (bytes(s2k.salt) if salted else b"") + secret  # type: ignore[attr-defined]
    count = len(unit)
    if s2k.specifier == 3 and s2k.count > count:  # type: ignore[attr-defined]  # Iterated
        count = s2k.count  # type: ignore[attr-defined]
    block = unit * max(1, (64 << 10) // max(1, len(unit)))  # whole repetitions, ~64 KiB
    full, rest = divmod(count, len(block)) if block else (0, 0)
    out = b""
    for preload in range(-(-keylen // hashlib.new(halg.name).digest_size)):
        h = hashlib.new(halg.name, b"\x00" * preload)
        for _ in range(full):
            h.update(block)
        h.update(block[:rest])
        out += h.digest()
    return out[:keylen]


@contextmanager
def _lean_s2k(key: PGPKey) -> Iterator[None]:
    """Let pgpy unlock KEY (and its subkeys) with the streaming string-to-key above."""
    fields = [
        s2k
        for k in _all_keys(key)
        if (s2k := getattr(k._key.keymaterial, "s2k", None)) is not None
    ]
    for s2k in fields:
        s2k.derive_key = lambda passphrase, s2k=s2k: _derive_key_streaming(s2k, passphrase)
    try:
        yield
    finally:
        for s2k in fields:
            del s2k.derive_key


@contextmanager
def _unlocked(key: PGPKey, passphrase: str | None, purpose: str) -> Iterator[PGPKey]:
    if key.is_public:
        raise KeyUsageError(
            f"key {fingerprint(key)} is a public key; {purpose} needs the secret key "
            "(the .sec.asc file)"
        )
    if not key.is_protected:
        yield key
        return
    if not passphrase:
        raise PassphraseError(
            f"secret key {fingerprint(key)} is protected by a passphrase: "
            "give it with --passphrase-env VAR"
        )
    try:
        with _quiet(), _lean_s2k(key):
            ctx = key.unlock(passphrase)
            ctx.__enter__()
    except PGPDecryptionError:
        raise PassphraseError(
            f"wrong passphrase for secret key {fingerprint(key)}; check --passphrase-env"
        ) from None
    except Exception as exc:
        raise KeyFormatError(
            f"cannot unlock secret key {fingerprint(key)} ({type(exc).__name__}: {exc}); "
            "export it again with a standard passphrase protection"
        ) from None
    try:
        yield key
    finally:
        ctx.__exit__(None, None, None)


# -- streaming primitives --------------------------------------------------------------
def _cfb(alg: SymmetricKeyAlgorithm, key: bytes) -> tuple[Cipher, int]:
    """OpenPGP CFB (zero IV, full-block feedback) for ALG and its block size in bytes."""
    with _quiet():  # pgpy's cipher table names decrepit ciphers (TripleDES...) on every call
        algorithm = alg.cipher(bytes(key))
    block = algorithm.block_size // 8
    return Cipher(algorithm, CFB(b"\x00" * block)), block


class _Readable(Protocol):
    def read(self, n: int, /) -> bytes: ...


def _read_exact(src: _Readable, n: int, what: str) -> bytes:
    parts, got = [], 0
    while got < n:
        data = src.read(n - got)
        if not data:
            raise IntegrityError(f"the ciphertext ends early inside {what}: it is truncated")
        parts.append(data)
        got += len(data)
    return b"".join(parts)


def _new_length(n: int) -> bytes:
    if n < 192:
        return bytes([n])
    if n < 8384:
        n -= 192
        return bytes([(n >> 8) + 192, n & 0xFF])
    return b"\xff" + n.to_bytes(4, "big")


def _packet(tag: int, body: bytes) -> bytes:
    return bytes([0xC0 | tag]) + _new_length(len(body)) + body


class _PartialWriter:
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
        self._sink(_new_length(len(self._buf)))
        self._sink(self._buf)
        self._buf = bytearray()


class _Body:
    """Reads one packet body, following partial lengths; indeterminate runs to the end."""

    def __init__(self, src: _Readable, length: int | None, partial: bool, tag: int) -> None:
        self._src = src
        self._remaining = length  # None: indeterminate (old format, to end of stream)
        self._partial = partial
        self.tag = tag

    def _next_part(self) -> None:
        first = _read_exact(self._src, 1, "a packet length")[0]
        if first < 192:
            self._remaining, self._partial = first, False
        elif first < 224:
            second = _read_exact(self._src, 1, "a packet length")[0]
            self._remaining, self._partial = ((first - 192) << 8) + second + 192, False
        elif first == 255:
            n = _read_exact(self._src, 4, "a packet length")
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


def _read_header(src: _Readable) -> _Body | None:
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
        body = _Body(src, 0, True, first & 0x3F)
        body._next_part()
        return body
    tag, ltype = (first >> 2) & 0x0F, first & 0x03
    if ltype == 3:
        return _Body(src, None, False, tag)
    size = int.from_bytes(_read_exact(src, (1, 2, 4)[ltype], "a packet length"), "big")
    return _Body(src, size, False, tag)


class _Decrypted:
    """SEIPD v1 plaintext as a stream; the trailing MDC is held back and checked at the end."""

    _TAIL = 22  # MDC packet: 2 header bytes + SHA-1

    def __init__(self, body: _Body, alg: SymmetricKeyAlgorithm, key: bytes) -> None:
        self._body = body
        cipher, block = _cfb(alg, key)
        self._dec = cipher.decryptor()
        prefix = self._dec.update(_read_exact(body, block + 2, "the encrypted data"))
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
        self._mdc.update(_MDC_HEADER)
        if len(tail) != self._TAIL or tail[:2] != _MDC_HEADER or tail[2:] != self._mdc.digest():
            raise IntegrityError(
                "the ciphertext has been modified or corrupted (integrity check failed); "
                "fetch it again from the storage and compare its sha256 with the one on chain"
            )
        self.done = True

    def drain(self) -> None:
        """Read to the end, which checks the MDC (raises IntegrityError if it fails)."""
        while self.read(CHUNK):
            pass


class _Inflated:
    """A compressed data packet's contents as a stream (ZIP, ZLIB, BZip2)."""

    def __init__(self, body: _Body, algorithm: int) -> None:
        self._body = body
        self._zip: zlib._Decompress | None = None
        self._bz: bz2.BZ2Decompressor | None = None
        self._raw = algorithm == CompressionAlgorithm.Uncompressed
        if algorithm == CompressionAlgorithm.ZIP:
            self._zip = zlib.decompressobj(-15)
        elif algorithm == CompressionAlgorithm.ZLIB:
            self._zip = zlib.decompressobj()
        elif algorithm == CompressionAlgorithm.BZ2:
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


# -- signatures over a streamed digest --------------------------------------------------
def _hash_for(alg: HashAlgorithm) -> hashes.HashAlgorithm:
    if alg in _WEAK_HASHES:
        raise SignatureError(f"the signature uses the weak hash {alg.name}; ask for a new one")
    try:
        return getattr(hashes, alg.name)()
    except AttributeError:
        raise SignatureError(f"the signature uses an unknown hash algorithm {alg!r}") from None


def _sign_digest(signkey: PGPKey, sig: pgpy.PGPSignature, digest: bytes) -> None:
    material = signkey._key.keymaterial
    with _quiet():
        private = material.__privkey__()
    if signkey.key_algorithm == PubKeyAlgorithm.EdDSA:
        raw = private.sign(digest)  # OpenPGP EdDSA signs the hash of the data (RFC 4880bis)
    elif signkey.key_algorithm in _RSA:
        raw = private.sign(digest, padding.PKCS1v15(), Prehashed(_hash_for(sig.hash_algorithm)))
    else:  # pragma: no cover - _pick() refuses other algorithms
        raise UnsupportedKeyError(f"cannot sign with {signkey.key_algorithm.name}")
    sig._signature.hash2 = bytearray(digest[:2])
    sig._signature.signature.from_signer(raw)
    sig._signature.update_hlen()


def _verify_digest(key: PGPKey, sig: pgpy.PGPSignature, digest: bytes) -> bool:
    material = key._key.keymaterial
    public = material.__pubkey__()
    try:
        if key.key_algorithm == PubKeyAlgorithm.EdDSA:
            public.verify(bytes(sig.__sig__), digest)
        elif key.key_algorithm in _RSA:
            raw = bytes(sig.__sig__).rjust(material.n.byte_length(), b"\x00")
            public.verify(raw, digest, padding.PKCS1v15(), Prehashed(_hash_for(sig.hash_algorithm)))
        else:
            raise UnsupportedKeyError(
                f"cannot verify {key.key_algorithm.name} signatures: use ed25519 or RSA keys"
            )
    except InvalidSignature:
        return False
    return True


# -- encrypt ---------------------------------------------------------------------------
@dataclass(frozen=True)
class EncryptResult:
    """What ``encrypt_file`` wrote."""

    path: Path
    size: int  # ciphertext bytes
    plaintext_size: int
    recipient: str  # primary fingerprint of the recipient
    recipient_subkey: str  # key id the session key is wrapped to
    signer: str | None  # primary fingerprint of the signer, if signed


def _session_key_packet(enc_key: PGPKey, session_key: bytes) -> bytes:
    pkesk = PKESessionKeyV3()
    pkesk.encrypter = bytearray(bytes.fromhex(enc_key.fingerprint.keyid))
    pkesk.pkalg = enc_key.key_algorithm
    with _quiet():
        pkesk.encrypt_sk(enc_key._key, _CIPHER, session_key)
    return bytes(pkesk)


def encrypt_file(
    src: str | Path,
    dst: str | Path,
    recipient: PGPKey,
    *,
    signer: PGPKey | None = None,
    passphrase: str | None = None,
    progress: Progress | None = None,
) -> EncryptResult:
    """Encrypt SRC to RECIPIENT (and sign with SIGNER) into DST, written atomically.

    The literal packet carries no file name and a zero date: nothing about the model
    leaks besides its approximate size.
    """
    src, dst = Path(src), Path(dst)
    if not recipient.is_public:  # pgpy wraps session keys with public key material only
        with _quiet():
            recipient = recipient.pubkey
    enc_key = _pick(recipient, _ENCRYPT_FLAGS, "encryption")
    try:
        infile = open(src, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise CryptoError(f"cannot read {src}: {exc.strerror or exc}") from None
    with infile:
        if signer is None:
            return _encrypt_stream(infile, dst, recipient, enc_key, None, None, progress)
        with _unlocked(signer, passphrase, "signing") as unlocked:
            signkey = _pick(unlocked, {KeyFlags.Sign}, "signing")
            return _encrypt_stream(infile, dst, recipient, enc_key, unlocked, signkey, progress)


def _encrypt_stream(
    infile: _Readable,
    dst: Path,
    recipient: PGPKey,
    enc_key: PGPKey,
    signer: PGPKey | None,
    signkey: PGPKey | None,
    progress: Progress | None,
) -> EncryptResult:
    with _quiet():
        session_key = bytes(_CIPHER.gen_key())
    cipher, block = _cfb(_CIPHER, session_key)
    sig = None
    if signkey is not None:
        sig = pgpy.PGPSignature.new(
            SignatureType.BinaryDocument,
            signkey.key_algorithm,
            _HASH,
            signkey.fingerprint.keyid,
            created=datetime.now(UTC),
        )
        sig._signature.subpackets.addnew(
            "IssuerFingerprint", hashed=True, _version=4, _issuer_fpr=signkey.fingerprint
        )
    total = 0
    with atomic_output(dst) as out:
        out.write(_session_key_packet(enc_key, session_key))
        seipd = _PartialWriter(out.write, 18)
        seipd.write(b"\x01")
        encryptor = cipher.encryptor()
        mdc = hashlib.sha1()

        def plain(data: bytes | memoryview) -> None:
            mdc.update(data)
            seipd.write(encryptor.update(data))

        prefix = os.urandom(block)
        plain(prefix + prefix[-2:])
        digest = None
        if sig is not None:
            ops = sig.make_onepass()
            ops.nested = True  # pgpy writes this flag byte verbatim; 1 = "last one-pass"
            plain(bytes(ops))
            digest = hashes.Hash(_hash_for(_HASH))
        literal = _PartialWriter(plain, 11)
        literal.write(b"b\x00\x00\x00\x00\x00")  # binary, no file name, no date
        while chunk := infile.read(CHUNK):
            literal.write(chunk)
            if digest is not None:
                digest.update(chunk)
            total += len(chunk)
            if progress:
                progress(len(chunk))
        literal.close()
        if sig is not None and digest is not None and signkey is not None:
            digest.update(sig.hashdata(b""))
            _sign_digest(signkey, sig, digest.finalize())
            plain(bytes(sig))
        mdc.update(_MDC_HEADER)
        tail = encryptor.update(_MDC_HEADER + mdc.digest()) + encryptor.finalize()
        seipd.write(tail)
        seipd.close()
        size = out.tell()
    return EncryptResult(
        path=dst,
        size=size,
        plaintext_size=total,
        recipient=fingerprint(recipient),
        recipient_subkey=enc_key.fingerprint.keyid,
        signer=fingerprint(signer) if signer is not None else None,
    )


# -- decrypt ---------------------------------------------------------------------------
@dataclass(frozen=True)
class DecryptResult:
    """What ``decrypt_file`` found and wrote."""

    path: Path
    size: int  # plaintext bytes
    signed: bool
    signer_keyid: str | None  # key id named by the (first) signature
    signer: str | None  # primary fingerprint of the verified signer
    verified: bool


def _session_key(packets: list[bytes], key: PGPKey) -> tuple[SymmetricKeyAlgorithm, bytes]:
    mine = {k.fingerprint.keyid: k for k in _all_keys(key)}
    named: list[str] = []
    for raw in packets:
        with _quiet():
            try:
                pkt = Packet(bytearray(_packet(1, raw)))
            except Exception:
                raise MessageFormatError("a session-key packet is malformed") from None
        if not isinstance(pkt, PKESessionKeyV3):
            continue
        named.append(pkt.encrypter)
        wildcard = pkt.encrypter == "0" * 16
        for candidate in _all_keys(key) if wildcard else [mine.get(pkt.encrypter)]:
            if candidate is None or candidate.key_algorithm != pkt.pkalg:
                continue
            try:
                with _quiet():
                    alg, session_key = pkt.decrypt_sk(candidate._key)
            except Exception:
                if wildcard:
                    continue
                raise IntegrityError(
                    f"the session key addressed to {pkt.encrypter} does not decrypt with key "
                    f"{fingerprint(key)}: the ciphertext or the key is corrupted"
                ) from None
            with _quiet():
                usable = alg.is_supported and not alg.is_insecure
            if not usable:
                raise MessageFormatError(f"the message uses the unsupported cipher {alg.name}")
            return alg, bytes(session_key)
    if not named:
        raise MessageFormatError(
            "the message has no public-key session key: it was not encrypted to an OpenPGP key"
        )
    raise NotForThisKeyError(
        f"this ciphertext is encrypted to key id(s) {', '.join(named)}, not to key "
        f"{fingerprint(key)}; decrypt it with the recipient's secret key"
    )


@dataclass
class _Inner:
    """What the decrypted packet sequence contained."""

    one_pass: list[tuple[int, int]]  # (signature type, hash algorithm) announced
    signatures: list[pgpy.PGPSignature]
    digests: dict[HashAlgorithm, hashes.Hash]
    literal: bool = False
    size: int = 0


def _parse_inner(
    src: _Readable,
    inner: _Inner,
    write: Callable[[bytes], object],
    want_digests: bool,
    progress: Progress | None,
    depth: int = 0,
) -> None:
    while (body := _read_header(src)) is not None:
        tag = body.tag
        if tag == 8:  # compressed data
            if depth:
                raise MessageFormatError("the message nests compressed packets")
            algorithm = _read_exact(body, 1, "a compressed packet")[0]
            _parse_inner(_Inflated(body, algorithm), inner, write, want_digests, progress, 1)
        elif tag == 4:  # one-pass signature
            ops = body.read_all(_MAX_SMALL_PACKET)
            if len(ops) != 13 or ops[0] != 3 or inner.literal:
                raise MessageFormatError("the message has a malformed one-pass signature")
            inner.one_pass.append((ops[1], ops[2]))
        elif tag == 2:  # signature
            raw = body.read_all(_MAX_SMALL_PACKET)
            try:
                with _quiet():
                    sig = pgpy.PGPSignature.from_blob(_packet(2, raw))
            except Exception:
                raise MessageFormatError("the message holds a malformed signature packet") from None
            inner.signatures.append(sig)
        elif tag == 11:  # literal data
            if inner.literal:
                raise MessageFormatError("the message holds more than one literal data packet")
            inner.literal = True
            if want_digests:
                algs = [h for _, h in inner.one_pass] + [s.hash_algorithm for s in inner.signatures]
                for alg in algs:
                    with _quiet():
                        halg = HashAlgorithm(alg)
                    if halg not in _WEAK_HASHES and halg not in inner.digests:
                        inner.digests[halg] = hashes.Hash(_hash_for(halg))
            head = _read_exact(body, 2, "the literal data header")
            _read_exact(body, head[1] + 4, "the literal data header")  # file name, date
            while chunk := body.read(CHUNK):
                write(chunk)
                for digest in inner.digests.values():
                    digest.update(chunk)
                inner.size += len(chunk)
                if progress:
                    progress(len(chunk))
        elif tag == 10:  # marker
            body.skip()
        else:
            raise MessageFormatError(f"unexpected OpenPGP packet type {tag} inside the message")


def _check_signature(inner: _Inner, verify_with: PGPKey) -> str:
    ids = {k.fingerprint.keyid: k for k in _all_keys(verify_with)}
    who = fingerprint(verify_with)
    if not inner.signatures:
        raise SignatureError(
            f"the model is not signed, but a signature by {who} was required (--verify-with)"
        )
    ours = [s for s in inner.signatures if s.signer in ids]
    if not ours:
        signers = ", ".join(sorted({str(s.signer) for s in inner.signatures}))
        raise SignatureError(
            f"BAD signature: the model was signed by key id {signers}, not by {who} "
            "(--verify-with); do not trust it"
        )
    for sig in ours:
        if sig.type != SignatureType.BinaryDocument:
            raise SignatureError(
                f"the signature is of type {sig.type.name}; only binary signatures are supported"
            )
        digest = inner.digests.get(sig.hash_algorithm)
        if digest is None:
            _hash_for(sig.hash_algorithm)  # raises for weak hashes
            raise SignatureError("the signature's hash was not announced before the data")
        final = digest.copy()
        final.update(sig.hashdata(b""))
        key = ids[sig.signer]
        _check_algorithm(key, "signing")
        if not _verify_digest(key, sig, final.finalize()):
            raise SignatureError(
                f"BAD signature by {who}: the model or its signature was altered; do not trust it"
            )
    return who


def decrypt_file(
    src: str | Path,
    dst: str | Path,
    key: PGPKey,
    *,
    passphrase: str | None = None,
    verify_with: PGPKey | None = None,
    progress: Progress | None = None,
) -> DecryptResult:
    """Decrypt SRC with the secret KEY into DST (mode 0600), verifying the signer if asked.

    DST appears only if the integrity check passed and, with VERIFY_WITH, the signature
    by that key verified; otherwise an error is raised and nothing is written.
    """
    src, dst = Path(src), Path(dst)
    try:
        infile = open(src, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise CryptoError(f"cannot read {src}: {exc.strerror or exc}") from None
    with infile, _unlocked(key, passphrase, "decryption") as unlocked:
        packets: list[bytes] = []
        while True:
            body = _read_header(infile)
            if body is None:
                raise MessageFormatError(f"{src} holds no encrypted data")
            if body.tag == 1:
                packets.append(body.read_all(_MAX_SMALL_PACKET))
            elif body.tag in (3, 10):  # passphrase session keys (not ours), marker
                body.skip()
            elif body.tag == 18:
                break
            elif body.tag == 9:
                raise MessageFormatError(
                    "the message is encrypted without integrity protection (no MDC); refusing it"
                )
            elif body.tag == 20:
                raise MessageFormatError(
                    "the message uses AEAD (OCB) encryption, which is not supported; "
                    "encrypt with gpg's default --rfc4880 format"
                )
            else:
                raise MessageFormatError(
                    f"{src} is not an encrypted OpenPGP message (found packet type {body.tag})"
                )
        alg, session_key = _session_key(packets, unlocked)
        if _read_exact(body, 1, "the encrypted data")[0] != 1:
            raise MessageFormatError("unsupported version of the encrypted data packet")
        plain = _Decrypted(body, alg, session_key)
        inner = _Inner(one_pass=[], signatures=[], digests={})
        with atomic_output(dst, mode=0o600) as out:
            try:
                _parse_inner(plain, inner, out.write, verify_with is not None, progress)
            except MessageFormatError:
                plain.drain()  # a tampered ciphertext garbles the packets: say so if it is that
                raise
            plain.drain()
            if infile.read(1):
                raise MessageFormatError(f"{src} has unexpected data after the encrypted message")
            if not inner.literal:
                raise MessageFormatError("the message holds no data (no literal packet)")
            signer = _check_signature(inner, verify_with) if verify_with is not None else None
    first = inner.signatures[0] if inner.signatures else None
    return DecryptResult(
        path=dst,
        size=inner.size,
        signed=first is not None,
        signer_keyid=str(first.signer) if first is not None else None,
        signer=signer,
        verified=signer is not None,
    )
