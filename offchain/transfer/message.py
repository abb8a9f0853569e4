"""OpenPGP messages for prodnet: encrypt+sign a model, decrypt+verify it, streaming.

Messages are standard binary OpenPGP (RFC 4880), readable by GnuPG and read from it:

    PKESK (session key, wrapped to the recipient's encryption subkey)
    SEIPD v1 (AES-256, CFB, MDC) containing
        [one-pass signature] literal data [signature]      (optionally compressed, on read)

Why not ``PGPMessage``: pgpy builds every message in memory and copies the payload
several times (about 8x the file size at peak). Here pgpy does what only it knows,
the key material: wrapping and unwrapping the session key and making the signature
packet and its trailer, through :mod:`offchain.transfer._pgpy`. The bulk of the work,
AES-CFB over the payload, the MDC (SHA-1) and the signature digest, is streamed in
fixed-size chunks with the same ``cryptography`` primitives pgpy uses, over the packet
framing of :mod:`offchain.transfer.packets`, so memory does not grow with the file, the
input is read once and the output goes to a temporary file renamed into place only
after every check passed. The signature is made and checked over the streamed
digest ("prehashed"), which is exactly what pgpy computes over its in-memory copy.
Keys come from :mod:`offchain.transfer.keys`.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

from offchain._fs import atomic_output
from offchain.transfer import _pgpy
from offchain.transfer._pgpy import (
    HashAlgorithm,
    KeyFlags,
    PGPKey,
    PGPSignature,
    PubKeyAlgorithm,
    SignatureType,
    SymmetricKeyAlgorithm,
)
from offchain.transfer.errors import (
    CryptoError,
    IntegrityError,
    MessageFormatError,
    NotForThisKeyError,
    SignatureError,
    UnsupportedKeyError,
)
from offchain.transfer.keys import (
    _ENCRYPT_FLAGS,
    _RSA,
    _all_keys,
    _check_algorithm,
    _pick,
    _unlocked,
    fingerprint,
)
from offchain.transfer.packets import (
    CHUNK,
    MDC_HEADER,
    Decrypted,
    Inflated,
    PartialWriter,
    Readable,
    cfb,
    packet,
    read_exact,
    read_header,
)

_MAX_SMALL_PACKET = 1 << 16  # session keys and signatures are far smaller
_CIPHER = SymmetricKeyAlgorithm.AES256
_HASH = HashAlgorithm.SHA256
_WEAK_HASHES = {HashAlgorithm.MD5, HashAlgorithm.SHA1, HashAlgorithm.RIPEMD160}

Progress = Callable[[int], None]


# -- signatures over a streamed digest --------------------------------------------------
def _hash_for(alg: HashAlgorithm) -> hashes.HashAlgorithm:
    if alg in _WEAK_HASHES:
        raise SignatureError(f"the signature uses the weak hash {alg.name}; ask for a new one")
    try:
        return getattr(hashes, alg.name)()
    except AttributeError:
        raise SignatureError(f"the signature uses an unknown hash algorithm {alg!r}") from None


def _sign_digest(signkey: PGPKey, sig: PGPSignature, digest: bytes) -> None:
    private = _pgpy.private_key(signkey)
    if signkey.key_algorithm == PubKeyAlgorithm.EdDSA:
        raw = private.sign(digest)  # OpenPGP EdDSA signs the hash of the data (RFC 4880bis)
    elif signkey.key_algorithm in _RSA:
        raw = private.sign(digest, padding.PKCS1v15(), Prehashed(_hash_for(sig.hash_algorithm)))
    else:  # pragma: no cover - _pick() refuses other algorithms
        raise UnsupportedKeyError(f"cannot sign with {signkey.key_algorithm.name}")
    _pgpy.set_signature_value(sig, digest, raw)


def _verify_digest(key: PGPKey, sig: PGPSignature, digest: bytes) -> bool:
    public = _pgpy.public_key(key)
    try:
        if key.key_algorithm == PubKeyAlgorithm.EdDSA:
            public.verify(_pgpy.signature_value(sig), digest)
        elif key.key_algorithm in _RSA:
            raw = _pgpy.signature_value(sig).rjust((public.key_size + 7) // 8, b"\x00")
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
        with _pgpy.quiet():
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
    infile: Readable,
    dst: Path,
    recipient: PGPKey,
    enc_key: PGPKey,
    signer: PGPKey | None,
    signkey: PGPKey | None,
    progress: Progress | None,
) -> EncryptResult:
    with _pgpy.quiet():
        session_key = bytes(_CIPHER.gen_key())
    cipher, block = cfb(_pgpy.block_cipher(_CIPHER, session_key))
    sig = None
    if signkey is not None:
        sig = PGPSignature.new(
            SignatureType.BinaryDocument,
            signkey.key_algorithm,
            _HASH,
            signkey.fingerprint.keyid,
            created=datetime.now(UTC),
        )
        _pgpy.add_issuer_fingerprint(sig, signkey)
    total = 0
    with atomic_output(dst) as out:
        out.write(_pgpy.session_key_packet(enc_key, _CIPHER, session_key))
        seipd = PartialWriter(out.write, 18)
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
            plain(_pgpy.one_pass_packet(sig))
            digest = hashes.Hash(_hash_for(_HASH))
        literal = PartialWriter(plain, 11)
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
        mdc.update(MDC_HEADER)
        tail = encryptor.update(MDC_HEADER + mdc.digest()) + encryptor.finalize()
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
        try:
            pkt = _pgpy.read_session_key_packet(packet(1, raw))
        except Exception:
            raise MessageFormatError("a session-key packet is malformed") from None
        if pkt is None:
            continue
        named.append(pkt.encrypter)
        wildcard = pkt.encrypter == "0" * 16
        for candidate in _all_keys(key) if wildcard else [mine.get(pkt.encrypter)]:
            if candidate is None or candidate.key_algorithm != pkt.pkalg:
                continue
            try:
                alg, session_key = _pgpy.decrypt_session_key(pkt, candidate)
            except Exception:
                if wildcard:
                    continue
                raise IntegrityError(
                    f"the session key addressed to {pkt.encrypter} does not decrypt with key "
                    f"{fingerprint(key)}: the ciphertext or the key is corrupted"
                ) from None
            with _pgpy.quiet():
                usable = alg.is_supported and not alg.is_insecure
            if not usable:
                raise MessageFormatError(f"the message uses the unsupported cipher {alg.name}")
            return alg, session_key
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
    signatures: list[PGPSignature]
    digests: dict[HashAlgorithm, hashes.Hash]
    literal: bool = False
    size: int = 0


def _parse_inner(
    src: Readable,
    inner: _Inner,
    write: Callable[[bytes], object],
    want_digests: bool,
    progress: Progress | None,
    depth: int = 0,
) -> None:
    while (body := read_header(src)) is not None:
        tag = body.tag
        if tag == 8:  # compressed data
            if depth:
                raise MessageFormatError("the message nests compressed packets")
            algorithm = read_exact(body, 1, "a compressed packet")[0]
            _parse_inner(Inflated(body, algorithm), inner, write, want_digests, progress, 1)
        elif tag == 4:  # one-pass signature
            ops = body.read_all(_MAX_SMALL_PACKET)
            if len(ops) != 13 or ops[0] != 3 or inner.literal:
                raise MessageFormatError("the message has a malformed one-pass signature")
            inner.one_pass.append((ops[1], ops[2]))
        elif tag == 2:  # signature
            raw = body.read_all(_MAX_SMALL_PACKET)
            try:
                with _pgpy.quiet():
                    sig = PGPSignature.from_blob(packet(2, raw))
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
                    with _pgpy.quiet():
                        halg = HashAlgorithm(alg)
                    if halg not in _WEAK_HASHES and halg not in inner.digests:
                        inner.digests[halg] = hashes.Hash(_hash_for(halg))
            head = read_exact(body, 2, "the literal data header")
            read_exact(body, head[1] + 4, "the literal data header")  # file name, date
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
            body = read_header(infile)
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
        if read_exact(body, 1, "the encrypted data")[0] != 1:
            raise MessageFormatError("unsupported version of the encrypted data packet")
        plain = Decrypted(body, _pgpy.block_cipher(alg, session_key))
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
