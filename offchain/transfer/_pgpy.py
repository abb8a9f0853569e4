"""Every use of pgpy's internals, each behind a small function: a pgpy upgrade breaks only here.

pgpy (pinned at 0.6.0) does what only it knows, the key material: generating,
protecting and unlocking keys, wrapping and unwrapping the session key
(``PKESessionKeyV3``), and the signature packet and its trailer (``PGPSignature``).
Reaching that material, and filling in a signature made over a digest streamed
elsewhere, needs pgpy's private parts (``_key.keymaterial``, ``_signature``,
``hash2``, ``update_hlen``, its packet classes); they are used here and nowhere
else. The gpg interoperability tests guard what this file assumes.

pgpy itself is imported here, with its import-time warnings silenced; the rest of
``offchain.transfer`` takes pgpy's public names (``PGPKey``, the constants, its
errors) from this module and never touches an underscore attribute of a pgpy object.
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from cryptography.hazmat.primitives.ciphers import BlockCipherAlgorithm
from cryptography.utils import CryptographyDeprecationWarning

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

PGPKey = pgpy.PGPKey
PGPSignature = pgpy.PGPSignature
PGPUID = pgpy.PGPUID

__all__ = [
    "PGPUID",
    "CompressionAlgorithm",
    "EllipticCurveOID",
    "HashAlgorithm",
    "KeyFlags",
    "PGPDecryptionError",
    "PGPError",
    "PGPKey",
    "PGPSignature",
    "PKESessionKeyV3",
    "PubKeyAlgorithm",
    "SignatureType",
    "SymmetricKeyAlgorithm",
    "add_issuer_fingerprint",
    "block_cipher",
    "decrypt_session_key",
    "derive_key_streaming",
    "has_key_material",
    "key_flags",
    "one_pass_packet",
    "private_key",
    "public_key",
    "quiet",
    "read_session_key_packet",
    "session_key_packet",
    "set_signature_value",
    "signature_value",
    "unlock",
]


@contextmanager
def quiet() -> Iterator[None]:
    """Silence what pgpy says while it works: its "TODO: ... not yet implemented" notes on
    every key verification and cryptography's deprecation of the CFB mode pgpy calls.
    Only pgpy calls run inside; problems reach the caller as exceptions, not warnings."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


# -- keys -------------------------------------------------------------------------------
def has_key_material(key: PGPKey) -> bool:
    """Whether KEY, as parsed, holds a key packet at all (pgpy parses some junk to an empty key)."""
    return getattr(key, "_key", None) is not None


def key_flags(key: PGPKey) -> set[KeyFlags]:
    """The usage flags of KEY (a primary key or a subkey); empty if its signatures name none."""
    try:
        return set(key._get_key_flags())
    except (StopIteration, AttributeError, PGPError):
        return set()


def derive_key_streaming(s2k: object, passphrase: str | bytes) -> bytes:
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
        for k in [key, *key.subkeys.values()]
        if (s2k := getattr(k._key.keymaterial, "s2k", None)) is not None
    ]
    for s2k in fields:
        s2k.derive_key = lambda passphrase, s2k=s2k: derive_key_streaming(s2k, passphrase)
    try:
        yield
    finally:
        for s2k in fields:
            del s2k.derive_key


def unlock(key: PGPKey, passphrase: str) -> Callable[[], None]:
    """Unlock the protected KEY and its subkeys in place; returns the function that locks them again.

    Raises pgpy's ``PGPDecryptionError`` for a wrong passphrase and whatever pgpy raises
    for a key it cannot unlock.
    """
    with quiet(), _lean_s2k(key):
        ctx = key.unlock(passphrase)
        ctx.__enter__()
    return lambda: ctx.__exit__(None, None, None)


def private_key(key: PGPKey) -> Any:
    """The ``cryptography`` private key of the unlocked (sub)key KEY."""
    material = key._key.keymaterial
    with quiet():
        return material.__privkey__()


def public_key(key: PGPKey) -> Any:
    """The ``cryptography`` public key of the (sub)key KEY."""
    return key._key.keymaterial.__pubkey__()


# -- session keys -------------------------------------------------------------------------
def block_cipher(alg: SymmetricKeyAlgorithm, key: bytes) -> BlockCipherAlgorithm:
    """The ``cryptography`` cipher for ALG, keyed with KEY."""
    with quiet():  # pgpy's cipher table names decrepit ciphers (TripleDES...) on every call
        return alg.cipher(bytes(key))


def session_key_packet(enc_key: PGPKey, alg: SymmetricKeyAlgorithm, session_key: bytes) -> bytes:
    """The PKESK v3 packet (with its header) wrapping SESSION_KEY for ALG to the public (sub)key ENC_KEY."""
    pkesk = PKESessionKeyV3()
    pkesk.encrypter = bytearray(bytes.fromhex(enc_key.fingerprint.keyid))
    pkesk.pkalg = enc_key.key_algorithm
    with quiet():
        pkesk.encrypt_sk(enc_key._key, alg, session_key)
    return bytes(pkesk)


def read_session_key_packet(data: bytes) -> PKESessionKeyV3 | None:
    """Parse DATA, one whole packet of type 1; None if it is not a version 3 PKESK.

    Its ``encrypter`` is the key id it is addressed to (16 zeros: anyone), ``pkalg``
    the public-key algorithm. Raises whatever pgpy raises on a malformed packet.
    """
    with quiet():
        pkt = Packet(bytearray(data))
    return pkt if isinstance(pkt, PKESessionKeyV3) else None


def decrypt_session_key(pkt: PKESessionKeyV3, key: PGPKey) -> tuple[SymmetricKeyAlgorithm, bytes]:
    """(cipher, session key) unwrapped from PKT with the unlocked secret (sub)key KEY.

    Raises whatever pgpy raises when KEY does not unwrap it.
    """
    with quiet():
        alg, session_key = pkt.decrypt_sk(key._key)
    return alg, bytes(session_key)


# -- signatures over a streamed digest ------------------------------------------------------
def add_issuer_fingerprint(sig: PGPSignature, key: PGPKey) -> None:
    """Add the hashed Issuer Fingerprint subpacket (v4) naming KEY to the new signature SIG."""
    sig._signature.subpackets.addnew(
        "IssuerFingerprint", hashed=True, _version=4, _issuer_fpr=key.fingerprint
    )


def one_pass_packet(sig: PGPSignature) -> bytes:
    """The one-pass signature packet announcing SIG, flagged as the last one-pass."""
    ops = sig.make_onepass()
    ops.nested = True  # pgpy writes this flag byte verbatim; 1 = "last one-pass"
    return bytes(ops)


def set_signature_value(sig: PGPSignature, digest: bytes, raw: bytes) -> None:
    """Complete SIG with RAW, the signature made over DIGEST (whose first two bytes it records)."""
    sig._signature.hash2 = bytearray(digest[:2])
    sig._signature.signature.from_signer(raw)
    sig._signature.update_hlen()


def signature_value(sig: PGPSignature) -> bytes:
    """The signature value of SIG as ``cryptography`` verifies it (RSA: without leading zeros)."""
    return bytes(sig.__sig__)
