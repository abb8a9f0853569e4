"""One clear line for what used to reach users as internals: usage errors, bad ids and
addresses, times and prices beyond the chain's types, non-key files as keys, overwrites."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from offchain.cli import commands, files, params
from offchain.cli import quantities as q
from offchain.transfer import keys, message
from offchain.transfer.errors import KeyFormatError
from tests.utils.keys import Party, ape_run, assert_one_line_error, random_file
from tests.utils.parts import FIXTURES


# -- usage errors: one line, every script -------------------------------------------
@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("keys", "decrypt"), "missing"),
        (("model", "inspect", "--bogus", "x"), "no such option"),
        (("store", "frob"), "no such command"),
        (("order", "status", "--network", "ethereum:bogus"), "--network"),
        (("order", "status", "0"), "must be a whole number from 1 to 4294967295"),
        (("order", "status", "9" * 80), "must be a whole number from 1 to 4294967295"),
    ],
)
def test_usage_errors_are_one_line(args: tuple[str, ...], needle: str) -> None:
    line = assert_one_line_error(ape_run(*args), needle)
    assert line.endswith("(see --help)")


def test_the_usage_classes_turn_click_errors_into_one_line() -> None:
    @click.group(cls=commands.Group)
    def cli() -> None:
        pass

    @cli.command()
    @click.option("--machine", type=params.ID, required=True)
    @click.option("--token", type=params.ADDRESS)
    def open_(machine: int, token: str | None) -> None:
        click.echo(f"{machine} {token}")

    runner = CliRunner()
    for args, needle in (
        (["open-", "--machine", "-1"], "--machine': -1: must be a whole number from 1 to 4294967295"),
        (["open-", "--machine", "x"], "must be a whole number"),
        (["open-", "--machine", "1", "--token", "notanaddress"], "is not an address: give 0x"),
        (["open-"], "Missing option '--machine'"),
    ):
        result = runner.invoke(cli, args)
        lines = result.output.strip().splitlines()
        assert result.exit_code == 2 and len(lines) == 1, result.output
        assert lines[0].startswith("error: ") and needle in lines[0] and lines[0].endswith("(see --help)")
    ok = runner.invoke(cli, ["open-", "--machine", "4294967295", "--token", "0x" + "ab" * 20])
    assert ok.exit_code == 0 and ok.output.strip() == f"4294967295 0x{'ab' * 20}"


# -- times and prices within the chain's types ---------------------------------------
def test_times_beyond_the_chain_are_refused() -> None:
    with pytest.raises(q.QuantityError, match="too long"):
        q.timestamp("+100000000000000d", 1_700_000_000)
    with pytest.raises(q.QuantityError, match="outside what the chain stores"):
        q.timestamp("+2930000d", 1_700_000_000)
    with pytest.raises(q.QuantityError, match="outside what the chain stores"):
        q.timestamp("1969-12-31", 0)
    assert q.timestamp("9999-12-31T23:59:59", 0) == q.TIME_MAX < 2**40


def test_prices_beyond_uint96_are_refused() -> None:
    with pytest.raises(q.QuantityError, match="too large"):
        q.token_amount("100000000000")
    assert q.token_amount("0") == 0


# -- non-key files as keys --------------------------------------------------------------
@pytest.mark.parametrize("name", ["cube_binary_solid_header.stl", "cube_ascii.stl", "nan_binary.stl"])
def test_a_part_is_not_a_key(name: str) -> None:
    with pytest.raises(KeyFormatError, match="is not an OpenPGP key: "):
        keys.read_key(FIXTURES / name)


def test_random_bytes_are_not_a_key(tmp_path: Path) -> None:
    for seed in range(60):
        path = random_file(tmp_path / f"junk{seed}", 1 + seed * 37, seed=seed)
        with pytest.raises(KeyFormatError, match="is not an OpenPGP key: ") as err:
            keys.read_key(path)
        assert "Error" not in str(err.value)


def test_a_part_as_key_file_is_one_line(tmp_path: Path) -> None:
    line = assert_one_line_error(ape_run("keys", "fingerprint", FIXTURES / "cube_ascii.stl"))
    assert "is not an OpenPGP key: " in line and "AttributeError" not in line


# -- overwrites ---------------------------------------------------------------------------
def test_check_output(tmp_path: Path) -> None:
    src = random_file(tmp_path / "src", 10)
    (tmp_path / "link").symlink_to(src)
    with pytest.raises(files.OutputFileError, match="also an input"):
        files.check_output(src, (src,), force=True)
    with pytest.raises(files.OutputFileError, match="also an input"):
        files.check_output(tmp_path / "link", (src,), force=True)
    with pytest.raises(files.OutputFileError, match=r"already exists.*--force"):
        files.check_output(src, ())
    assert files.check_output(src, (), force=True) == src
    assert files.check_output(tmp_path / "new", (src,)) == tmp_path / "new"


def test_decrypt_refuses_to_overwrite(tmp_path: Path, bob: Party) -> None:
    src = random_file(tmp_path / "m", 1000)
    message.encrypt_file(src, tmp_path / "ct", bob.public)
    env = {"BOB_PASS": bob.passphrase or ""}
    base = ("keys", "decrypt", "--key", bob.sec, "--passphrase-env", "BOB_PASS")
    existing = random_file(tmp_path / "out", 5, seed=3)
    assert_one_line_error(ape_run(*base, tmp_path / "ct", existing, env=env), "already exists", "--force")
    assert existing.read_bytes() == random_file(tmp_path / "again", 5, seed=3).read_bytes()
    same = ape_run(*base, "--force", tmp_path / "ct", tmp_path / "ct", env=env)
    assert_one_line_error(same, "also an input")
    assert (tmp_path / "ct").stat().st_size > 0
    forced = ape_run(*base, "--force", tmp_path / "ct", existing, env=env)
    assert forced.returncode == 0, forced.stderr
    assert existing.read_bytes() == src.read_bytes()


def test_encrypt_refuses_to_overwrite(tmp_path: Path, bob: Party) -> None:
    src = random_file(tmp_path / "model.stl", 1000)
    base = ("keys", "encrypt", "--to", bob.pub)
    existing = random_file(tmp_path / "model.pgp", 5, seed=4)
    assert_one_line_error(ape_run(*base, src, existing), "already exists", "--force")
    assert existing.read_bytes() == random_file(tmp_path / "again", 5, seed=4).read_bytes()
    assert_one_line_error(ape_run(*base, "--force", src, src), "also an input")
    assert_one_line_error(ape_run(*base, "--force", src, bob.pub), "also an input")
    assert src.read_bytes() == random_file(tmp_path / "again", 1000).read_bytes()
    forced = ape_run(*base, "--force", src, existing)
    assert forced.returncode == 0, forced.stderr
    decrypted = message.decrypt_file(existing, tmp_path / "out.stl", bob.key, passphrase=bob.passphrase)
    assert decrypted.path.read_bytes() == src.read_bytes()


def test_store_get_refuses_to_overwrite(tmp_path: Path) -> None:
    src = random_file(tmp_path / "ct", 100)
    put = ape_run("store", "put", src, "--to", "file", "--root", tmp_path / "store")
    assert put.returncode == 0, put.stderr
    uri = put.stdout.split()[1]
    sha = put.stdout.split()[3]
    existing = random_file(tmp_path / "out", 5, seed=2)
    assert_one_line_error(ape_run("store", "get", uri, "--sha256", sha, "--out", existing), "already exists")
    stored = Path(uri.removeprefix("file://"))
    assert_one_line_error(
        ape_run("store", "get", uri, "--sha256", sha, "--out", stored, "--force"), "also an input"
    )
    forced = ape_run("store", "get", uri, "--sha256", sha, "--out", existing, "--force")
    assert forced.returncode == 0, forced.stderr
    assert existing.read_bytes() == src.read_bytes()
