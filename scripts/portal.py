"""ape run portal: the web portal for both roles, on the chain Ape connects to.

ape run portal --network ethereum:prodnet:node [--host 127.0.0.1] [--port 8700]
ape run portal --demo        (make portal: a fresh local chain with a demo world on it)

It signs with your own Ape accounts (keyfile accounts ask for their passphrase at each
step; on a local development chain, --test-accounts N adds its first N test accounts).
It prints the URL to open; the URL carries the access token of this start.
"""

import contextlib
import shutil
import signal
import tempfile
from pathlib import Path

import click
from ape.cli import ConnectedProviderCommand

from offchain import config
from offchain.cli import commands
from offchain.cli.output import ape_logs_to_stderr, one_line_errors

ape_logs_to_stderr()

MIB = 1 << 20


@click.command(cls=commands.one_line(ConnectedProviderCommand), short_help="The web portal")
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address to listen on (loopback by default)."
)
@click.option("--port", type=click.IntRange(1, 65535), default=8700, show_default=True)
@click.option(
    "--max-upload", type=click.IntRange(1, 2048), default=64, show_default=True, help="MiB per upload."
)
@click.option(
    "--ipfs-api", default=None, help="Kubo RPC API for models (default $PRODNET_IPFS_API or Kubo's)."
)
@click.option("--file-store", default=None, help="Central file store folder (default $PRODNET_FILE_STORE).")
@click.option(
    "--keys",
    "key_folder",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder of your OpenPGP key files (default: the prodnet home's keys/).",
)
@click.option("--test-accounts", type=click.IntRange(0, 10), default=0, help="Also act with N test accounts.")
@click.option("--demo", is_flag=True, help="Build the demo world on this (local) chain first.")
@click.option("--keep", is_flag=True, help="With --demo: keep its folder (keys, parts) at exit.")
@one_line_errors
def cli(host, port, max_upload, ipfs_api, file_store, key_folder, test_accounts, demo, keep):
    """Serve the portal until Ctrl-C."""
    from offchain.portal.app import Settings, serve  # FastAPI: loaded by this command only
    from offchain.portal.workspace import Workspace

    signal.signal(signal.SIGINT, signal.default_int_handler)  # Ctrl-C stops uvicorn, not Ape's exit 130
    settings = Settings(
        host=host,
        port=port,
        max_upload=max_upload * MIB,
        ipfs_api=ipfs_api,
        file_store=file_store,
        key_folder=key_folder,
        test_accounts=test_accounts,
    )
    if not demo:
        serve(settings, announce=click.echo)
        return
    from offchain.devtools.world import demo_world

    work = Path(tempfile.mkdtemp(prefix="prodnet-portal-"))
    try:
        with config.scoped_home(work / "state"), demo_world(work, echo=click.echo) as world:
            settings.key_folder = world.key_folder
            settings.ipfs_api = world.ipfs_api
            settings.file_store = str(world.file_store)
            settings.test_accounts = max(test_accounts, 5)
            settings.labels = world.labels
            workspace = Workspace(config.home() / "portal", world.key_folder)
            for path in world.parts.values():
                with open(path, "rb") as handle:
                    workspace.add_part(
                        path.name, iter(lambda: handle.read(MIB), b""), "mm", settings.max_upload
                    )
            click.echo(
                f"keys in {world.key_folder} (no passphrase); the producer's IPFS node: "
                f"{world.producer_ipfs_api}"
            )
            with contextlib.suppress(KeyboardInterrupt):
                serve(settings, announce=click.echo)
    finally:
        if keep:
            click.echo(f"kept the demo's folder (secret keys, plaintext parts): {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
