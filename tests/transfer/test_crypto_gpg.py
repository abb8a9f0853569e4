"""Interoperability with GnuPG, both ways, with the real gpg binary in throw-away homes.

gpg-made keys (ed25519/cv25519 and RSA-3072, passphrase-protected) work here; what we
encrypt and sign, gpg decrypts and verifies; what gpg encrypts and signs (every
compression it offers), we decrypt and verify.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from offchain.transfer import errors, keys, message, packets
from tests.utils.keys import (
    Gpg,
    GpgKey,
    Party,
    leftovers,
    needs_gpg,
    random_file,
    status,
)

pytestmark = [needs_gpg, pytest.mark.gpg]
SIZE = 2 * packets.CHUNK + 333  # several partial-length chunks either way


def test_gpg_keys_import_with_gpgs_fingerprint(gpg_key: GpgKey) -> None:
    public, secret = keys.read_key(gpg_key.pub), keys.read_key(gpg_key.sec)
    assert keys.fingerprint(public) == keys.fingerprint(secret) == gpg_key.fingerprint
    assert keys.fingerprint_bytes32(public) == bytes.fromhex(gpg_key.fingerprint) + bytes(12)
    assert public.is_public and secret.is_protected


def test_our_key_has_the_same_fingerprint_in_gpg(gpg: Gpg, alice: Party) -> None:
    gpg.import_file(alice.pub)
    assert gpg.fingerprint("alice@example.org") == keys.fingerprint(alice.key)


def test_gpg_decrypts_ours_and_verifies_our_signature(
    gpg: Gpg, gpg_key: GpgKey, alice: Party, tmp_path: Path
) -> None:
    gpg.import_file(gpg_key.sec, passphrase=gpg_key.passphrase)
    gpg.import_file(alice.pub)
    src = random_file(tmp_path / "part.stl", SIZE)
    message.encrypt_file(src, tmp_path / "part.pgp", keys.read_key(gpg_key.pub),
                         signer=alice.key)
    proc = gpg.run("--output", str(tmp_path / "out"), "--decrypt", str(tmp_path / "part.pgp"),
                   passphrase=gpg_key.passphrase)
    assert (tmp_path / "out").read_bytes() == src.read_bytes()
    assert status(proc, "DECRYPTION_OKAY")
    assert status(proc, "GOODSIG") and not status(proc, "BADSIG")
    (valid,) = status(proc, "VALIDSIG")
    assert valid[0] == valid[-1] == keys.fingerprint(alice.key)


@pytest.mark.parametrize("compression", ["zip", "zlib", "bzip2", "none"])
def test_we_decrypt_and_verify_gpgs(
    gpg: Gpg, gpg_key: GpgKey, bob: Party, tmp_path: Path, compression: str
) -> None:
    gpg.import_file(gpg_key.sec, passphrase=gpg_key.passphrase)
    gpg.import_file(bob.pub)
    src = random_file(tmp_path / "part.stl", SIZE, seed=3)
    gpg.run("--compress-algo", compression, "--recipient", "bob@example.org",
            "--local-user", gpg_key.email, "--output", str(tmp_path / "part.pgp"),
            "--sign", "--encrypt", str(src), passphrase=gpg_key.passphrase)
    dec = message.decrypt_file(tmp_path / "part.pgp", tmp_path / "out", bob.key,
                               passphrase=bob.passphrase,
                               verify_with=keys.read_key(gpg_key.pub))
    assert (tmp_path / "out").read_bytes() == src.read_bytes()
    assert dec.verified and dec.signer == gpg_key.fingerprint and dec.size == SIZE


def test_a_gpg_secret_key_decrypts_and_signs_here(
    gpg: Gpg, gpg_key: GpgKey, alice: Party, tmp_path: Path
) -> None:
    """gpg's key protection (its S2K) unlocks here; its key signs what gpg then verifies."""
    carol = keys.read_key(gpg_key.sec)
    gpg.import_file(alice.sec)
    gpg.import_file(gpg_key.pub)
    src = random_file(tmp_path / "m", 5000, seed=4)
    gpg.run("--recipient", gpg_key.email, "--local-user", "alice@example.org",
            "--output", str(tmp_path / "to-carol.pgp"), "--sign", "--encrypt", str(src))
    dec = message.decrypt_file(tmp_path / "to-carol.pgp", tmp_path / "out", carol,
                               passphrase=gpg_key.passphrase, verify_with=alice.public)
    assert (tmp_path / "out").read_bytes() == src.read_bytes() and dec.verified

    message.encrypt_file(src, tmp_path / "from-carol.pgp", alice.public, signer=carol,
                         passphrase=gpg_key.passphrase)
    proc = gpg.run("--output", str(tmp_path / "out2"), "--decrypt",
                   str(tmp_path / "from-carol.pgp"))
    assert (tmp_path / "out2").read_bytes() == src.read_bytes()
    (valid,) = status(proc, "VALIDSIG")
    assert valid[-1] == gpg_key.fingerprint


def test_gpg_message_signed_by_another_key(
    gpg: Gpg, gpg_key: GpgKey, alice: Party, bob: Party, tmp_path: Path
) -> None:
    gpg.import_file(gpg_key.sec, passphrase=gpg_key.passphrase)
    gpg.import_file(bob.pub)
    src = random_file(tmp_path / "m", 4000)
    gpg.run("--recipient", "bob@example.org", "--local-user", gpg_key.email,
            "--output", str(tmp_path / "ct"), "--sign", "--encrypt", str(src),
            passphrase=gpg_key.passphrase)
    with pytest.raises(errors.SignatureError, match="BAD signature"):
        message.decrypt_file(tmp_path / "ct", tmp_path / "out", bob.key,
                             passphrase=bob.passphrase, verify_with=alice.public)
    assert not (tmp_path / "out").exists() and leftovers(tmp_path) == []


def test_wrong_passphrase_for_a_gpg_key(gpg_key: GpgKey, tmp_path: Path) -> None:
    carol = keys.read_key(gpg_key.sec)
    src = random_file(tmp_path / "m", 100)
    with pytest.raises(errors.PassphraseError, match="wrong passphrase"):
        message.encrypt_file(src, tmp_path / "ct", carol, signer=carol, passphrase="nope")
    assert not (tmp_path / "ct").exists()


def test_gpg_refuses_our_tampered_ciphertext_too(
    gpg: Gpg, gpg_key: GpgKey, tmp_path: Path
) -> None:
    """Both implementations agree a flipped byte is an integrity failure."""
    gpg.import_file(gpg_key.sec, passphrase=gpg_key.passphrase)
    src = random_file(tmp_path / "m", 20_000)
    carol = keys.read_key(gpg_key.pub)
    message.encrypt_file(src, tmp_path / "ct", carol)
    data = bytearray((tmp_path / "ct").read_bytes())
    data[-100] ^= 0x10
    (tmp_path / "ct").write_bytes(bytes(data))
    proc = gpg.run("--output", str(tmp_path / "g"), "--decrypt", str(tmp_path / "ct"),
                   passphrase=gpg_key.passphrase, check=False)
    assert proc.returncode != 0 and (status(proc, "BADMDC") or status(proc, "DECRYPTION_FAILED"))
    with pytest.raises(errors.IntegrityError):
        message.decrypt_file(tmp_path / "ct", tmp_path / "out", keys.read_key(gpg_key.sec),
                             passphrase=gpg_key.passphrase)
    assert not (tmp_path / "out").exists()
