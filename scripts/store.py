"""``ape run store ...``: put a ciphertext in IPFS or the central file store, get it back verified.

ape run store put part.stl.pgp --to ipfs [--ipfs-api /ip4/127.0.0.1/tcp/5001]
ape run store put part.stl.pgp --to file [--root /srv/prodnet-store]
ape run store get ipfs://bafy... --sha256 HEX --out part.stl.pgp [--ipfs-api ADDR]
ape run store follow --account producer [--ipfs-api ADDR] [--keep-own] [--once]
ape run store pins [--ipfs-api ADDR]
"""

from __future__ import annotations

import signal
from pathlib import Path

import click
from ape.cli import ConnectedProviderCommand, account_option

from offchain.chain.session import open_chain
from offchain.cli import commands, files
from offchain.cli.output import ape_logs_to_stderr, one_line_errors, progress_bar
from offchain.orders import pinning
from offchain.transfer import replication, storage

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


@cli.command(cls=ConnectedProviderCommand)
@account_option()
@click.option("--ipfs-api", metavar="ADDR", help=API_HELP)
@click.option("--keep-own", is_flag=True, help="Keep your own pins of finished jobs (as a customer).")
@click.option("--poll", type=float, default=1.0, show_default=True, help="Seconds between passes.")
@click.option("--once", is_flag=True, help="One pass, then exit.")
@one_line_errors
def follow(account, ipfs_api: str | None, keep_own: bool, poll: float, once: bool) -> None:
    """Pin on your Kubo node each model submitted to your orders (producer), so it outlives the
    customer's node; release the pins of finished jobs. Runs until Ctrl-C (or --once)."""
    c = open_chain(account, unlock=False)  # reads only
    replicas = replication.Replicas(storage.IpfsStore(ipfs_api))
    click.echo(
        f"following the models of {account.address}'s orders on the Kubo node at "
        f"{replicas.store.api} (peer {replicas.peer_id()}){'' if once else ' (Ctrl-C stops)'}",
        err=True,
    )
    signal.signal(signal.SIGINT, signal.default_int_handler)  # Ape's own handler exits 130
    passes = (
        iter([pinning.follow_once(c, replicas, account.address, keep_own)])
        if once
        else pinning.follow(c, replicas, account.address, keep_own, poll)
    )
    try:
        for done in passes:
            for line in done.lines():
                click.echo(line, nl=True)
    except KeyboardInterrupt:
        click.echo("stopped", err=True)


@cli.command()
@click.option("--ipfs-api", metavar="ADDR", help=API_HELP)
@one_line_errors
def pins(ipfs_api: str | None) -> None:
    """List what your Kubo node pins for which prodnet job."""
    store = storage.IpfsStore(ipfs_api)
    found = replication.Replicas(store).pins(pinning.PREFIX)
    for pin in found:
        click.echo(f"{pin.uri}  {pin.name.removeprefix(pinning.PREFIX)}")
    if not found:
        click.echo(f"the Kubo node at {store.api} pins nothing for prodnet jobs")
