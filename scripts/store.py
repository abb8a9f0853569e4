"""``ape run store ...``: put a ciphertext in IPFS or the central file store, get it back verified.

ape run store put part.stl.pgp --to ipfs [--ipfs-api /ip4/127.0.0.1/tcp/5001]
ape run store put part.stl.pgp --to file [--root /srv/prodnet-store]
ape run store get ipfs://bafy... --sha256 HEX --out part.stl.pgp [--ipfs-api ADDR]
"""

from __future__ import annotations

from pathlib import Path

import click

from offchain.cli import commands, files
from offchain.cli.output import ape_logs_to_stderr, one_line_errors, progress_bar
from offchain.transfer import storage

ape_logs_to_stderr()

API_HELP = "Kubo RPC API multiaddr (default $PRODNET_IPFS_API or /ip4/127.0.0.1/tcp/5001)."


@click.group(cls=commands.Group)
def cli() -> None:
    """Store ciphertexts in IPFS (ipfs://) or the central file store (file://)."""


@cli.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--to", "kind", required=True, metavar="ipfs|file", help="Which store.")
@click.option("--ipfs-api", metavar="ADDR", help=API_HELP)
@click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    help="File store folder (default $PRODNET_FILE_STORE).",
)
@one_line_errors
def put(path: Path, kind: str, ipfs_api: str | None, root: Path | None) -> None:
    """Store PATH; print its URI and sha256."""
    store = storage.open_store(kind, ipfs_api=ipfs_api, root=root)
    size = path.stat().st_size if path.is_file() else 0
    with progress_bar(f"storing in {kind}", size) as progress:
        obj = store.put(path, progress=progress)
    click.echo(f"uri    {obj.uri}")
    click.echo(f"sha256 {obj.sha256}")
    click.echo(f"size   {obj.size}")


@cli.command()
@click.argument("uri")
@click.option(
    "--sha256",
    "sha256",
    required=True,
    metavar="HEX",
    help="Expected sha256 (as recorded on chain); a mismatch writes nothing.",
)
@click.option("--out", "out", required=True, type=click.Path(path_type=Path))
@click.option("--ipfs-api", metavar="ADDR", help=API_HELP)
@click.option("--force", is_flag=True, help="Replace --out if it exists (never the stored file itself).")
@one_line_errors
def get(uri: str, sha256: str, out: Path, ipfs_api: str | None, force: bool) -> None:
    """Fetch URI into --out, verified against --sha256. An existing --out is refused unless --force."""
    source = storage.FileStore.path_of(uri) if uri.startswith("file:") else None
    files.check_output(out, (source,), force)
    expected = storage.normalize_sha256(sha256)
    store = storage.store_for_uri(uri, ipfs_api=ipfs_api)
    with progress_bar("fetching", store.size(uri)) as progress:
        path = store.get(uri, expected, out, progress=progress)
    click.echo(f"wrote {path} (sha256 {expected} verified)")
