"""``ape run keys ...`` as a user runs it: success paths, and one clear line for bad input."""

from __future__ import annotations

import stat
import subprocess
from pathlib import Path

import pytest

from offchain.transfer import keys, message
from tests.utils.keys import (
    Party,
    ape_run,
    assert_one_line_error,
    flip,
    leftovers,
    limit_file_size,
    random_file,
)


def test_generate_writes_both_files_and_prints_the_fingerprint(tmp_path: Path) -> None:
    proc = ape_run("keys", "generate", "--name", "erin", "--email", "erin@example.org",
                   "--out", tmp_path / "keys")
    assert proc.returncode == 0, proc.stderr
    pub, sec = tmp_path / "keys" / "erin.pub.asc", tmp_path / "keys" / "erin.sec.asc"
    assert stat.S_IMODE(sec.stat().st_mode) == 0o600
    key = keys.read_key(sec)
    assert not key.is_protected and keys.read_key(pub).is_public
    assert f"fingerprint {keys.fingerprint(key)}" in proc.stdout
    again = ape_run("keys", "generate", "--name", "erin", "--email", "erin@example.org",
                    "--out", tmp_path / "keys")
    assert_one_line_error(again, "already exists", "erin.pub.asc")
    assert keys.fingerprint(keys.read_key(sec)) == keys.fingerprint(key)


def test_generate_with_a_passphrase_from_the_environment(tmp_path: Path) -> None:
    missing = ape_run("keys", "generate", "--name", "fay", "--email", "fay@example.org",
                      "--out", tmp_path, "--passphrase-env", "FAY_PASS",
                      env={"FAY_PASS": ""})
    assert_one_line_error(missing, "FAY_PASS")
    assert list(tmp_path.iterdir()) == []
    proc = ape_run("keys", "generate", "--name", "fay", "--email", "fay@example.org",
                   "--out", tmp_path, "--passphrase-env", "FAY_PASS",
                   env={"FAY_PASS": "fay's secret"})
    assert proc.returncode == 0, proc.stderr
    assert keys.read_key(tmp_path / "fay.sec.asc").is_protected


def test_encrypt_then_decrypt_with_signature(tmp_path: Path, alice: Party, bob: Party) -> None:
    src = random_file(tmp_path / "part.stl", 5 << 20)  # large enough for a progress bar
    enc = ape_run("keys", "encrypt", "--to", bob.pub, "--sign-with", alice.sec,
                  src, tmp_path / "part.pgp")
    assert enc.returncode == 0, enc.stderr
    assert f"signed by {keys.fingerprint(alice.key)}" in enc.stdout
    assert "encrypting" in enc.stderr and "error" not in enc.stderr  # the progress bar
    dec = ape_run("keys", "decrypt", "--key", bob.sec, "--passphrase-env", "BOB_PASS",
                  "--verify-with", alice.pub, tmp_path / "part.pgp", tmp_path / "out.stl",
                  env={"BOB_PASS": bob.passphrase or ""})
    assert dec.returncode == 0, dec.stderr
    assert f"good signature by {keys.fingerprint(alice.key)}" in dec.stdout
    assert (tmp_path / "out.stl").read_bytes() == src.read_bytes()


def test_decrypt_without_verification_says_so(tmp_path: Path, alice: Party,
                                              mallory: Party) -> None:
    src = random_file(tmp_path / "m", 1000)
    message.encrypt_file(src, tmp_path / "ct", mallory.public, signer=alice.key)
    proc = ape_run("keys", "decrypt", "--key", mallory.sec, tmp_path / "ct", tmp_path / "out")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""  # pgpy's and cryptography's warnings do not reach the user
    assert "not verified" in proc.stdout and alice.key.fingerprint.keyid in proc.stdout


def test_fingerprint(alice: Party) -> None:
    plain = ape_run("keys", "fingerprint", alice.pub)
    assert plain.returncode == 0 and plain.stdout.strip() == keys.fingerprint(alice.key)
    word = ape_run("keys", "fingerprint", "--bytes32", alice.sec)
    assert word.returncode == 0
    assert word.stdout.strip() == "0x" + keys.fingerprint_bytes32(alice.key).hex()


# -- bad input: one line, non-zero, nothing written -----------------------------------------
@pytest.fixture
def ciphertext(tmp_path: Path, alice: Party, bob: Party) -> Path:
    """A model encrypted to bob (the producer), signed by alice (the customer)."""
    src = random_file(tmp_path / "model.stl", 20_000)
    message.encrypt_file(src, tmp_path / "model.pgp", bob.public, signer=alice.key)
    return tmp_path / "model.pgp"


def _decrypt(bob: Party, ciphertext: Path, *extra: str | Path, key: Path | None = None,
             passphrase: str | None = None) -> subprocess.CompletedProcess[str]:
    return ape_run("keys", "decrypt", "--key", key or bob.sec, "--passphrase-env", "BOB_PASS",
                   *extra, ciphertext, ciphertext.with_name("out.stl"),
                   env={"BOB_PASS": passphrase if passphrase is not None else bob.passphrase or ""})


def _nothing_written(folder: Path) -> None:
    assert not (folder / "out.stl").exists() and leftovers(folder) == []


def test_corrupted_key_file(tmp_path: Path, bob: Party, ciphertext: Path) -> None:
    text = bob.sec.read_text()
    (tmp_path / "bad.sec.asc").write_text(text[: len(text) // 2])
    assert_one_line_error(_decrypt(bob, ciphertext, key=tmp_path / "bad.sec.asc"), "bad.sec.asc")
    _nothing_written(tmp_path)


def test_public_key_where_the_secret_is_needed(tmp_path: Path, bob: Party,
                                               ciphertext: Path) -> None:
    assert_one_line_error(_decrypt(bob, ciphertext, key=bob.pub), "public key", "secret key")
    _nothing_written(tmp_path)


def test_wrong_passphrase(tmp_path: Path, bob: Party, ciphertext: Path) -> None:
    assert_one_line_error(_decrypt(bob, ciphertext, passphrase="guess"), "wrong passphrase")
    _nothing_written(tmp_path)


def test_ciphertext_for_someone_else(tmp_path: Path, bob: Party, mallory: Party,
                                     ciphertext: Path) -> None:
    proc = _decrypt(bob, ciphertext, key=mallory.sec)
    assert_one_line_error(proc, "encrypted to key id", keys.fingerprint(mallory.key))
    _nothing_written(tmp_path)


def test_tampered_ciphertext(tmp_path: Path, alice: Party, bob: Party, ciphertext: Path) -> None:
    flip(ciphertext, ciphertext.stat().st_size // 2)
    assert_one_line_error(_decrypt(bob, ciphertext, "--verify-with", alice.pub),
                          "modified or corrupted")
    _nothing_written(tmp_path)


def test_signed_by_another_key_than_verify_with(tmp_path: Path, bob: Party, mallory: Party,
                                                ciphertext: Path) -> None:
    proc = _decrypt(bob, ciphertext, "--verify-with", mallory.pub)
    assert_one_line_error(proc, "BAD signature", keys.fingerprint(mallory.key))
    _nothing_written(tmp_path)


def test_missing_input_file(tmp_path: Path, bob: Party) -> None:
    assert_one_line_error(_decrypt(bob, tmp_path / "nope.pgp"), "cannot read", "nope.pgp")
    _nothing_written(tmp_path)


def test_encrypt_to_a_corrupted_public_key(tmp_path: Path) -> None:
    (tmp_path / "junk.pub.asc").write_text("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nxx\n")
    src = random_file(tmp_path / "m", 10)
    proc = ape_run("keys", "encrypt", "--to", tmp_path / "junk.pub.asc", src, tmp_path / "ct")
    assert_one_line_error(proc, "junk.pub.asc")
    assert not (tmp_path / "ct").exists()


def test_disk_full_while_decrypting_leaves_nothing(tmp_path: Path, bob: Party,
                                                   alice: Party) -> None:
    src = random_file(tmp_path / "model.stl", 3 << 20)
    message.encrypt_file(src, tmp_path / "model.pgp", bob.public, signer=alice.key)
    proc = ape_run("keys", "decrypt", "--key", bob.sec, "--passphrase-env", "BOB_PASS",
                   tmp_path / "model.pgp", tmp_path / "out.stl",
                   env={"BOB_PASS": bob.passphrase or ""},
                   preexec_fn=limit_file_size(1 << 20))
    assert_one_line_error(proc, "file size limit", "out.stl")
    _nothing_written(tmp_path)
