"""``ape run keys ...``: participant OpenPGP keys and model encryption (over offchain.transfer).

ape run keys generate --name alice --email alice@example.org --out keys/ [--passphrase-env VAR]
ape run keys encrypt --to bob.pub.asc [--sign-with alice.sec.asc] part.stl part.stl.pgp
ape run keys decrypt --key bob.sec.asc [--verify-with alice.pub.asc] part.stl.pgp part.stl
ape run keys fingerprint alice.pub.asc [--bytes32]
"""

from __future__ import annotations

from pathlib import Path

import click

from offchain.cli import commands, files
from offchain.cli.lazy import lazy_module
from offchain.cli.output import ape_logs_to_stderr, one_line_errors, progress_bar
from offchain.config import passphrase_from_env

keys = lazy_module("offchain.transfer.keys")
message = lazy_module("offchain.transfer.message")

ape_logs_to_stderr()

FILE = click.Path(dir_okay=True, path_type=Path)


def _file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


@click.group(cls=commands.Group)
def cli() -> None:
    """OpenPGP keys for prodnet participants; encrypt and decrypt models."""


@cli.command()
@click.option("--name", required=True, help="Key name: files are NAME.pub.asc / NAME.sec.asc.")
@click.option("--email", required=True, help="E-mail address in the key's user id.")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--passphrase-env", metavar="VAR", help="Protect the secret key with $VAR.")
@one_line_errors
def generate(name: str, email: str, out_dir: Path, passphrase_env: str | None) -> None:
    """Make an Ed25519 + Curve25519 key; write DIR/NAME.pub.asc and DIR/NAME.sec.asc (0600)."""
    key = keys.generate_key(name, email, passphrase_from_env(passphrase_env))
    pub, sec = keys.write_key_files(key, out_dir, name)
    click.echo(f"fingerprint {keys.fingerprint(key)}")
    click.echo(f"public      {pub}")
    click.echo(f"secret      {sec}")


@cli.command()
@click.option("--to", "to", required=True, type=FILE, help="Recipient's public key (.asc).")
@click.option("--sign-with", type=FILE, help="Your secret key (.sec.asc) to sign with.")
@click.option("--passphrase-env", metavar="VAR", help="Passphrase of --sign-with is in $VAR.")
@click.argument("src", type=FILE)
@click.argument("dst", type=FILE)
@click.option("--force", is_flag=True, help="Replace DST if it exists (never SRC or a key file).")
@one_line_errors
def encrypt(
    to: Path, sign_with: Path | None, passphrase_env: str | None, src: Path, dst: Path, force: bool
) -> None:
    """Encrypt SRC to the --to key (signed with --sign-with) into DST.

    An existing DST is refused unless --force; DST is never SRC or one of the key files."""
    files.check_output(dst, (src, to, sign_with), force)
    recipient = keys.read_key(to)
    signer = keys.read_key(sign_with) if sign_with else None
    with progress_bar("encrypting", _file_size(src)) as progress:
        result = message.encrypt_file(
            src,
            dst,
            recipient,
            signer=signer,
            passphrase=passphrase_from_env(passphrase_env),
            progress=progress,
        )
    click.echo(f"wrote {result.path} ({result.size} bytes) for {result.recipient}")
    click.echo(f"signed by {result.signer}" if result.signer else "not signed")


@cli.command()
@click.option("--key", "key", required=True, type=FILE, help="Your secret key (.sec.asc).")
@click.option("--verify-with", type=FILE, help="Sender's public key: require its signature.")
@click.option("--passphrase-env", metavar="VAR", help="Passphrase of --key is in $VAR.")
@click.argument("src", type=FILE)
@click.argument("dst", type=FILE)
@click.option("--force", is_flag=True, help="Replace DST if it exists (never SRC or a key file).")
@one_line_errors
def decrypt(
    key: Path, verify_with: Path | None, passphrase_env: str | None, src: Path, dst: Path, force: bool
) -> None:
    """Decrypt SRC into DST; with --verify-with, only if that key's signature verifies.

    An existing DST is refused unless --force; DST is never SRC or one of the key files."""
    files.check_output(dst, (src, key, verify_with), force)
    secret = keys.read_key(key)
    sender = keys.read_key(verify_with) if verify_with else None
    with progress_bar("decrypting", _file_size(src)) as progress:
        result = message.decrypt_file(
            src,
            dst,
            secret,
            passphrase=passphrase_from_env(passphrase_env),
            verify_with=sender,
            progress=progress,
        )
    click.echo(f"wrote {result.path} ({result.size} bytes)")
    if result.verified:
        click.echo(f"good signature by {result.signer}")
    elif result.signed:
        click.echo(f"signed by key id {result.signer_keyid} (not verified: pass --verify-with)")
    else:
        click.echo("not signed")


@cli.command()
@click.argument("key_file", type=FILE)
@click.option("--bytes32", is_flag=True, help="Print it as the contract stores it (0x + 64 hex).")
@one_line_errors
def fingerprint(key_file: Path, bytes32: bool) -> None:
    """Print the key's v4 fingerprint (40 hex digits)."""
    key = keys.read_key(key_file)
    if bytes32:
        click.echo("0x" + keys.fingerprint_bytes32(key).hex())
    else:
        click.echo(keys.fingerprint(key))
