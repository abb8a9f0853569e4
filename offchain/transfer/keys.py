"""OpenPGP keys for prodnet participants: generate, import, export, fingerprint, unlock.

Keys are pgpy objects: an Ed25519 signing primary with a Curve25519 (ECDH) encryption
subkey when we generate them; RSA (>= 2048 bits) keys made by GnuPG are accepted too.
Picking the (sub)key for a job and unlocking a protected secret key for the length
of one operation are here too, for :mod:`offchain.transfer.message`. What needs
pgpy's internals goes through :mod:`offchain.transfer._pgpy`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from offchain._fs import atomic_output
from offchain.transfer import _pgpy
from offchain.transfer._pgpy import (
    PGPUID,
    CompressionAlgorithm,
    EllipticCurveOID,
    HashAlgorithm,
    KeyFlags,
    PGPDecryptionError,
    PGPKey,
    PubKeyAlgorithm,
    SymmetricKeyAlgorithm,
)
from offchain.transfer.errors import (
    CryptoError,
    KeyFileExistsError,
    KeyFormatError,
    KeyUsageError,
    PassphraseError,
    UnsupportedKeyError,
)

_RSA = {PubKeyAlgorithm.RSAEncryptOrSign, PubKeyAlgorithm.RSAEncrypt, PubKeyAlgorithm.RSASign}
_ENCRYPT_FLAGS = {KeyFlags.EncryptCommunications, KeyFlags.EncryptStorage}


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
    with _pgpy.quiet():
        key = PGPKey.new(PubKeyAlgorithm.EdDSA, EllipticCurveOID.Ed25519)
        key.add_uid(
            PGPUID.new(name.strip(), email=email),
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
    hint = "give an OpenPGP key file (.asc from 'ape run keys generate', or gpg --armor --export)"
    try:
        with _pgpy.quiet():
            parsed = PGPKey.from_blob(data)
        key = parsed[0] if isinstance(parsed, tuple) else parsed
        complete = key is not None and _pgpy.has_key_material(key) and bool(key.userids)
        version4 = complete and len(fingerprint(key)) == 40
    except Exception:  # pgpy raises ValueError/PGPError/IndexError/AttributeError/... on junk
        raise KeyFormatError(f"{source} is not an OpenPGP key: it cannot be parsed as one; {hint}") from None
    if not complete:
        raise KeyFormatError(f"{source} is not an OpenPGP key: it holds no key packet or user id; {hint}")
    if not version4:
        raise UnsupportedKeyError(f"{source} is not a version 4 OpenPGP key")
    try:
        with _pgpy.quiet():
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
    usable = [k for k in _all_keys(key) if _pgpy.key_flags(k) & wanted]
    fresh = [k for k in usable if not k.is_expired]
    if not usable:
        raise KeyUsageError(f"key {fingerprint(key)} has no {role} (sub)key; use a key made for it")
    if not fresh:
        raise KeyUsageError(f"the {role} (sub)key of key {fingerprint(key)} has expired")
    chosen = fresh[-1] if role == "encryption" else fresh[0]  # newest encryption subkey
    _check_algorithm(chosen, role)
    return chosen


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
        relock = _pgpy.unlock(key, passphrase)
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
        relock()
