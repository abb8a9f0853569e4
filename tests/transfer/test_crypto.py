"""offchain.transfer on real keys and files: keys, fingerprints, encrypt+sign, decrypt+verify.

Interoperability with GnuPG is in test_crypto_gpg.py; here pgpy's own (in-memory)
message code serves as the independent second implementation.
"""

from __future__ import annotations

import hashlib
import random
import shutil
import stat
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from offchain.errors import ProdnetError
from offchain.transfer import _pgpy, errors, keys, packets
from offchain.transfer import message as pgp_message
from tests.utils.keys import Party, flip, leftovers, random_file

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import pgpy
    from pgpy.constants import (
        CompressionAlgorithm,
        EllipticCurveOID,
        HashAlgorithm,
        KeyFlags,
        PubKeyAlgorithm,
        SymmetricKeyAlgorithm,
    )
    from pgpy.packet.fields import String2Key

CHUNK = packets.CHUNK


@contextmanager
def quiet_pgpy() -> Iterator[None]:
    """pgpy's high-level API (our independent reference) warns about TODOs and ciphers."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _first_packet(data: bytes) -> tuple[int, bytes]:
    """(tag, body) of the first packet of binary OpenPGP DATA, parsed independently."""
    first = data[0]
    assert first & 0x80
    if first & 0x40:
        tag, o = first & 0x3F, data[1]
        if o < 192:
            return tag, data[2 : 2 + o]
        if o < 224:
            n = ((o - 192) << 8) + data[2] + 192
            return tag, data[3 : 3 + n]
        assert o == 255
        n = int.from_bytes(data[2:6], "big")
        return tag, data[6 : 6 + n]
    tag, ltype = (first >> 2) & 0x0F, first & 3
    size = (1, 2, 4)[ltype]
    n = int.from_bytes(data[1 : 1 + size], "big")
    return tag, data[1 + size : 1 + size + n]


# -- keys ---------------------------------------------------------------------------------
def test_generated_key_is_ed25519_with_a_curve25519_encryption_subkey(alice: Party) -> None:
    key = alice.key
    assert key.key_algorithm == PubKeyAlgorithm.EdDSA
    assert key._key.keymaterial.oid == EllipticCurveOID.Ed25519
    assert {KeyFlags.Sign, KeyFlags.Certify} <= set(key._get_key_flags())
    (sub,) = key.subkeys.values()
    assert sub.key_algorithm == PubKeyAlgorithm.ECDH
    assert sub._key.keymaterial.oid == EllipticCurveOID.Curve25519
    assert {KeyFlags.EncryptCommunications, KeyFlags.EncryptStorage} <= set(sub._get_key_flags())
    uid = key.userids[0]
    assert (uid.name, uid.email) == ("Alice", "alice@example.org")
    assert not key.is_public and not key.is_protected


def test_fingerprint_is_the_v4_sha1_of_the_public_key_packet(alice: Party) -> None:
    tag, body = _first_packet(bytes(alice.key.pubkey))
    assert tag == 6  # public-key packet
    expected = hashlib.sha1(b"\x99" + len(body).to_bytes(2, "big") + body).hexdigest().upper()
    assert keys.fingerprint(alice.key) == expected
    assert keys.fingerprint(alice.public) == expected
    word = keys.fingerprint_bytes32(alice.key)
    assert len(word) == 32
    assert word[:20] == bytes.fromhex(expected) and word[20:] == bytes(12)


def test_public_and_secret_exports_import_back(alice: Party, bob: Party) -> None:
    public = keys.import_key(keys.public_armor(alice.key))
    assert public.is_public and keys.fingerprint(public) == keys.fingerprint(alice.key)
    secret = keys.import_key(keys.secret_armor(alice.key))
    assert not secret.is_public and keys.fingerprint(secret) == keys.fingerprint(alice.key)
    protected = keys.read_key(bob.sec)
    assert protected.is_protected and not protected.is_unlocked
    binary = keys.import_key(bytes(alice.key.pubkey))
    assert keys.fingerprint(binary) == keys.fingerprint(alice.key)
    assert "PRIVATE" not in keys.public_armor(alice.key)
    with pytest.raises(errors.KeyUsageError, match="public key"):
        keys.secret_armor(public)


def test_key_files_are_written_once_and_the_secret_is_private(tmp_path: Path) -> None:
    key = keys.generate_key("Dora", "dora@example.org")
    pub, sec = keys.write_key_files(key, tmp_path / "keys", "dora")
    assert (pub.name, sec.name) == ("dora.pub.asc", "dora.sec.asc")
    assert stat.S_IMODE(sec.stat().st_mode) == 0o600
    assert keys.read_key(pub).is_public
    assert keys.fingerprint(keys.read_key(sec)) == keys.fingerprint(key)
    before = sec.read_bytes()
    other = keys.generate_key("Dora", "dora@example.org")
    with pytest.raises(errors.KeyFileExistsError, match="already exists"):
        keys.write_key_files(other, tmp_path / "keys", "dora")
    assert sec.read_bytes() == before
    assert leftovers(tmp_path / "keys") == []


@pytest.mark.parametrize("name", ["", "../evil", "a/b", ".hidden"])
def test_key_names_that_are_not_plain_file_names_are_refused(tmp_path: Path, name: str) -> None:
    key = keys.generate_key("Dora", "dora@example.org")
    with pytest.raises(errors.CryptoError, match="not a usable key name"):
        keys.write_key_files(key, tmp_path, name)
    assert list(tmp_path.iterdir()) == []


def test_generate_refuses_a_bad_email() -> None:
    with pytest.raises(errors.CryptoError, match="not an e-mail"):
        keys.generate_key("Dora", "no-at-sign")


@given(passphrase=st.text(min_size=1, max_size=40), salt=st.binary(min_size=8, max_size=8),
       coded=st.integers(0, 0x7F), specifier=st.sampled_from([0, 1, 3]),
       halg=st.sampled_from([HashAlgorithm.SHA1, HashAlgorithm.SHA256, HashAlgorithm.SHA512]),
       encalg=st.sampled_from([SymmetricKeyAlgorithm.AES128, SymmetricKeyAlgorithm.AES256]))
def test_streaming_string_to_key_matches_pgpy(
    passphrase: str, salt: bytes, coded: int, specifier: int, halg: HashAlgorithm,
    encalg: SymmetricKeyAlgorithm,
) -> None:
    s2k = String2Key()
    s2k.usage, s2k.encalg, s2k.specifier, s2k.halg = 254, encalg, specifier, halg
    s2k.salt, s2k.count = bytearray(salt), coded
    assert _pgpy.derive_key_streaming(s2k, passphrase) == s2k.derive_key(passphrase)


# -- round trips ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "size", [0, 1, 191, 192, 8383, 8384, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 5]
)
def test_signed_round_trip(tmp_path: Path, alice: Party, bob: Party, size: int) -> None:
    src = random_file(tmp_path / "part.stl", size, seed=size)
    enc = pgp_message.encrypt_file(src, tmp_path / "part.pgp", bob.public, signer=alice.key)
    assert enc.plaintext_size == size and enc.size == (tmp_path / "part.pgp").stat().st_size
    assert enc.recipient == keys.fingerprint(bob.key)
    assert enc.recipient_subkey == next(iter(bob.key.subkeys))
    assert enc.signer == keys.fingerprint(alice.key)
    assert enc.size > size  # headers, session key, signature, MDC
    if size >= 64:  # the plaintext does not show through
        assert src.read_bytes()[:64] not in (tmp_path / "part.pgp").read_bytes()
    dec = pgp_message.decrypt_file(tmp_path / "part.pgp", tmp_path / "out.stl", bob.key,
                                   passphrase=bob.passphrase, verify_with=alice.public)
    assert (tmp_path / "out.stl").read_bytes() == src.read_bytes()
    assert (dec.size, dec.signed, dec.verified) == (size, True, True)
    assert dec.signer == keys.fingerprint(alice.key)
    assert stat.S_IMODE((tmp_path / "out.stl").stat().st_mode) == 0o600
    assert leftovers(tmp_path) == []


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder for property tests (Hypothesis runs many examples per test call)."""
    return tmp_path_factory.mktemp("examples")


@given(data=st.binary(max_size=20_000), signed=st.booleans())
def test_any_content_round_trips(scratch: Path, alice: Party, mallory: Party, data: bytes,
                                 signed: bool) -> None:
    folder = Path(tempfile.mkdtemp(dir=scratch))
    (folder / "in").write_bytes(data)
    pgp_message.encrypt_file(folder / "in", folder / "ct", mallory.public,
                             signer=alice.key if signed else None)
    dec = pgp_message.decrypt_file(folder / "ct", folder / "out", mallory.key)
    assert (folder / "out").read_bytes() == data
    assert dec.signed is signed and dec.verified is False
    assert dec.signer_keyid == (alice.key.fingerprint.keyid if signed else None)
    shutil.rmtree(folder)


def test_encrypting_to_a_secret_key_uses_its_public_part(tmp_path: Path, mallory: Party) -> None:
    src = random_file(tmp_path / "m", 1000)
    pgp_message.encrypt_file(src, tmp_path / "ct", mallory.key)
    pgp_message.decrypt_file(tmp_path / "ct", tmp_path / "out", mallory.key)
    assert (tmp_path / "out").read_bytes() == src.read_bytes()


def test_a_protected_signing_key_needs_its_passphrase(tmp_path: Path, alice: Party,
                                                      bob: Party) -> None:
    src = random_file(tmp_path / "m", 5000)
    with pytest.raises(errors.PassphraseError, match="passphrase"):
        pgp_message.encrypt_file(src, tmp_path / "ct", alice.public, signer=bob.key)
    assert not (tmp_path / "ct").exists()
    pgp_message.encrypt_file(src, tmp_path / "ct", alice.public, signer=bob.key,
                             passphrase=bob.passphrase)
    dec = pgp_message.decrypt_file(tmp_path / "ct", tmp_path / "out", alice.key, verify_with=bob.public)
    assert dec.verified and dec.signer == keys.fingerprint(bob.key)
    assert not bob.key.is_unlocked  # unlocked only while signing


def test_our_messages_are_read_by_pgpy_itself(tmp_path: Path, alice: Party, bob: Party) -> None:
    src = random_file(tmp_path / "m", 70_000)
    pgp_message.encrypt_file(src, tmp_path / "ct", bob.public, signer=alice.key)
    with quiet_pgpy():
        message = pgpy.PGPMessage.from_file(str(tmp_path / "ct"))
        with bob.key.unlock(bob.passphrase):
            plain = bob.key.decrypt(message)
        assert bytes(plain.message) == src.read_bytes()
        assert alice.public.verify(plain)


@pytest.mark.parametrize(
    "compression", [CompressionAlgorithm.Uncompressed, CompressionAlgorithm.ZIP,
                    CompressionAlgorithm.ZLIB, CompressionAlgorithm.BZ2],
)
def test_we_read_pgpy_messages(tmp_path: Path, alice: Party, mallory: Party,
                               compression: CompressionAlgorithm) -> None:
    data = random.Random(7).randbytes(50_000) + b"\x00" * 50_000
    with quiet_pgpy():
        message = pgpy.PGPMessage.new(data, compression=compression)
        message |= alice.key.sign(message)
        (tmp_path / "ct").write_bytes(bytes(mallory.public.encrypt(message)))
    dec = pgp_message.decrypt_file(tmp_path / "ct", tmp_path / "out", mallory.key,
                                   verify_with=alice.public)
    assert (tmp_path / "out").read_bytes() == data and dec.verified


def test_unverified_signature_is_reported_not_trusted(tmp_path: Path, alice: Party,
                                                      mallory: Party) -> None:
    src = random_file(tmp_path / "m", 3000)
    pgp_message.encrypt_file(src, tmp_path / "ct", mallory.public, signer=alice.key)
    dec = pgp_message.decrypt_file(tmp_path / "ct", tmp_path / "out", mallory.key)
    assert dec.signed and not dec.verified and dec.signer is None
    assert dec.signer_keyid == alice.key.fingerprint.keyid


# -- bad input: a clear error and nothing written ------------------------------------------
def _encrypted(tmp_path: Path, recipient: Party, signer: Party | None, size: int = 4000) -> Path:
    src = random_file(tmp_path / "model.stl", size)
    pgp_message.encrypt_file(src, tmp_path / "model.pgp", recipient.public,
                             signer=signer.key if signer else None)
    return tmp_path / "model.pgp"


def _assert_nothing_written(folder: Path, *names: str) -> None:
    for name in names:
        assert not (folder / name).exists(), name
    assert leftovers(folder) == []


def test_corrupted_armor_is_refused(tmp_path: Path, alice: Party) -> None:
    text = alice.pub.read_text().splitlines()
    line = next(i for i, s in enumerate(text) if len(s) > 40 and ":" not in s)
    text[line] = text[line][:10] + ("A" if text[line][10] != "A" else "B") + text[line][11:]
    (tmp_path / "bad.asc").write_text("\n".join(text) + "\n")
    with pytest.raises(errors.KeyFormatError, match=r"bad\.asc"):
        keys.read_key(tmp_path / "bad.asc")


@pytest.mark.parametrize("content", [b"", b"hello, not a key\n", bytes(range(256)) * 4])
def test_junk_is_not_a_key(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "junk.asc").write_bytes(content)
    with pytest.raises(errors.KeyFormatError, match=r"junk\.asc"):
        keys.read_key(tmp_path / "junk.asc")


def test_a_key_with_a_broken_self_signature_is_refused(tmp_path: Path, alice: Party) -> None:
    raw = bytearray(bytes(alice.key.pubkey))
    raw[-5] ^= 0x40  # inside the subkey binding signature's MPIs
    (tmp_path / "broken.gpg").write_bytes(bytes(raw))
    with pytest.raises(errors.KeyFormatError, match="self-signatures do not verify"):
        keys.read_key(tmp_path / "broken.gpg")


def test_missing_key_file(tmp_path: Path) -> None:
    with pytest.raises(errors.KeyFormatError, match="cannot read key file"):
        keys.read_key(tmp_path / "nope.asc")


def test_a_public_key_cannot_decrypt_or_sign(tmp_path: Path, alice: Party, bob: Party) -> None:
    ct = _encrypted(tmp_path, bob, None)
    with pytest.raises(errors.KeyUsageError, match=r"public key.*secret key"):
        pgp_message.decrypt_file(ct, tmp_path / "out", bob.public)
    with pytest.raises(errors.KeyUsageError, match=r"public key.*secret key"):
        pgp_message.encrypt_file(tmp_path / "model.stl", tmp_path / "ct2", bob.public,
                                 signer=alice.public)
    _assert_nothing_written(tmp_path, "out", "ct2")


@pytest.mark.parametrize("passphrase", [None, "", "not the passphrase"])
def test_wrong_or_missing_passphrase(tmp_path: Path, bob: Party, passphrase: str | None) -> None:
    ct = _encrypted(tmp_path, bob, None)
    with pytest.raises(errors.PassphraseError, match="passphrase"):
        pgp_message.decrypt_file(ct, tmp_path / "out", bob.key, passphrase=passphrase)
    _assert_nothing_written(tmp_path, "out")


def test_a_ciphertext_for_someone_else(tmp_path: Path, alice: Party, bob: Party,
                                       mallory: Party) -> None:
    ct = _encrypted(tmp_path, bob, alice)
    with pytest.raises(errors.NotForThisKeyError) as err:
        pgp_message.decrypt_file(ct, tmp_path / "out", mallory.key)
    assert next(iter(bob.key.subkeys)) in str(err.value)
    assert keys.fingerprint(mallory.key) in str(err.value)
    _assert_nothing_written(tmp_path, "out")


def test_a_tampered_ciphertext(tmp_path: Path, alice: Party, mallory: Party) -> None:
    ct = _encrypted(tmp_path, mallory, alice, size=10_000)
    flip(ct, ct.stat().st_size // 2)
    with pytest.raises(errors.IntegrityError, match="modified or corrupted"):
        pgp_message.decrypt_file(ct, tmp_path / "out", mallory.key, verify_with=alice.public)
    _assert_nothing_written(tmp_path, "out")


def test_a_truncated_ciphertext(tmp_path: Path, mallory: Party) -> None:
    ct = _encrypted(tmp_path, mallory, None, size=10_000)
    ct.write_bytes(ct.read_bytes()[:-100])
    with pytest.raises(errors.IntegrityError, match="truncated"):
        pgp_message.decrypt_file(ct, tmp_path / "out", mallory.key)
    _assert_nothing_written(tmp_path, "out")


@pytest.fixture(scope="module")
def sample_ciphertext(scratch: Path, alice: Party, mallory: Party) -> bytes:
    """3000 bytes encrypted to mallory, signed by alice."""
    random_file(scratch / "sample", 3000)
    pgp_message.encrypt_file(scratch / "sample", scratch / "sample.pgp", mallory.public,
                             signer=alice.key)
    return (scratch / "sample.pgp").read_bytes()


@settings(max_examples=settings.default.max_examples * 3)
@given(data=st.data())
def test_any_flipped_byte_is_caught(scratch: Path, sample_ciphertext: bytes, alice: Party,
                                    mallory: Party, data: st.DataObject) -> None:
    ct = bytearray(sample_ciphertext)
    pkesk = 2 + ct[1]  # new-format header with a one-octet length
    assert ct[pkesk] == 0xC0 | 18 and 192 <= ct[pkesk + 1] < 224  # SEIPD, two-octet length
    body_start = pkesk + 1 + 2 + 1  # after the SEIPD header and its version byte
    offset = data.draw(st.integers(0, len(ct) - 1), label="offset")
    ct[offset] ^= data.draw(st.integers(1, 255), label="mask")
    folder = Path(tempfile.mkdtemp(dir=scratch))
    (folder / "ct").write_bytes(bytes(ct))
    expected = errors.IntegrityError if offset >= body_start else errors.CryptoError
    with pytest.raises(expected):
        pgp_message.decrypt_file(folder / "ct", folder / "out", mallory.key, verify_with=alice.public)
    _assert_nothing_written(folder, "out")
    shutil.rmtree(folder)


def test_signed_by_another_key(tmp_path: Path, alice: Party, bob: Party, mallory: Party) -> None:
    ct = _encrypted(tmp_path, bob, mallory)
    with pytest.raises(errors.SignatureError, match=r"BAD signature.*not by") as err:
        pgp_message.decrypt_file(ct, tmp_path / "out", bob.key, passphrase=bob.passphrase,
                                 verify_with=alice.public)
    assert mallory.key.fingerprint.keyid in str(err.value)
    _assert_nothing_written(tmp_path, "out")


def test_unsigned_when_a_signature_is_required(tmp_path: Path, alice: Party,
                                               mallory: Party) -> None:
    ct = _encrypted(tmp_path, mallory, None)
    with pytest.raises(errors.SignatureError, match="not signed"):
        pgp_message.decrypt_file(ct, tmp_path / "out", mallory.key, verify_with=alice.public)
    _assert_nothing_written(tmp_path, "out")


def test_a_signature_over_other_data_is_bad(tmp_path: Path, alice: Party,
                                            mallory: Party) -> None:
    """Right signer, wrong content: alice's signature of one model attached to another."""
    with quiet_pgpy():
        signed_elsewhere = alice.key.sign(pgpy.PGPMessage.new(b"the model alice signed"))
        message = pgpy.PGPMessage.new(b"a model alice never saw",
                                      compression=CompressionAlgorithm.Uncompressed)
        message |= signed_elsewhere
        (tmp_path / "ct").write_bytes(bytes(mallory.public.encrypt(message)))
    with pytest.raises(errors.SignatureError, match=f"BAD signature by {keys.fingerprint(alice.key)}"):
        pgp_message.decrypt_file(tmp_path / "ct", tmp_path / "out", mallory.key,
                                 verify_with=alice.public)
    _assert_nothing_written(tmp_path, "out")


@pytest.mark.parametrize("content", [b"", b"plain text, not OpenPGP", bytes([0xC1, 5]) + b"ab"])
def test_not_an_encrypted_message(tmp_path: Path, mallory: Party, content: bytes) -> None:
    (tmp_path / "ct").write_bytes(content)
    with pytest.raises(errors.CryptoError):
        pgp_message.decrypt_file(tmp_path / "ct", tmp_path / "out", mallory.key)
    _assert_nothing_written(tmp_path, "out")


def test_a_signed_but_unencrypted_message_is_refused(tmp_path: Path, alice: Party,
                                                     mallory: Party) -> None:
    with quiet_pgpy():
        message = pgpy.PGPMessage.new(b"not secret")
        message |= alice.key.sign(message)
    (tmp_path / "ct").write_bytes(bytes(message))
    with pytest.raises(errors.MessageFormatError, match="not an encrypted OpenPGP message"):
        pgp_message.decrypt_file(tmp_path / "ct", tmp_path / "out", mallory.key)
    _assert_nothing_written(tmp_path, "out")


def test_missing_input(tmp_path: Path, mallory: Party) -> None:
    with pytest.raises(errors.CryptoError, match="cannot read"):
        pgp_message.encrypt_file(tmp_path / "nope", tmp_path / "ct", mallory.public)
    with pytest.raises(errors.CryptoError, match="cannot read"):
        pgp_message.decrypt_file(tmp_path / "nope", tmp_path / "out", mallory.key)
    _assert_nothing_written(tmp_path, "ct", "out")


def test_disk_full_leaves_nothing(full_disk: Path, tmp_path: Path, mallory: Party) -> None:
    src = random_file(tmp_path / "big", 2 << 20)
    with pytest.raises(ProdnetError, match="no space left"):
        pgp_message.encrypt_file(src, full_disk / "ct", mallory.public)
    assert list(full_disk.iterdir()) == []


def test_progress_counts_every_byte(tmp_path: Path, alice: Party, mallory: Party) -> None:
    src = random_file(tmp_path / "m", 2 * CHUNK + 123)
    seen: list[int] = []
    pgp_message.encrypt_file(src, tmp_path / "ct", mallory.public, signer=alice.key,
                             progress=seen.append)
    assert sum(seen) == src.stat().st_size and len(seen) >= 3
    seen.clear()
    pgp_message.decrypt_file(tmp_path / "ct", tmp_path / "out", mallory.key, progress=seen.append)
    assert sum(seen) == src.stat().st_size
