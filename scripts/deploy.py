"""ape run deploy [--permissioned] [--network ...] [--account ...]"""

import click
from ape.cli import ConnectedProviderCommand, account_option

from offchain.chain.deploy import DEFAULT_CONFIRMATION_WINDOW, deploy
from offchain.chain.deployments import record_path
from offchain.cli import commands
from offchain.cli.output import ape_logs_to_stderr, one_line_errors
from offchain.cli.quantities import duration_s

ape_logs_to_stderr()


@click.command(cls=commands.one_line(ConnectedProviderCommand), short_help="Deploy prodnet's contracts")
@account_option()
@click.option("--permissioned", is_flag=True, help="Members only: deploy a Membership contract too.")
@click.option(
    "--confirmation-window", default=None, help="How long customers have to confirm receipt (e.g. 14d)."
)
@click.option("--redeploy", is_flag=True, help="Deploy a new set even if one is recorded for this chain.")
@one_line_errors
def cli(account, permissioned, confirmation_window, redeploy):
    window = duration_s(confirmation_window) if confirmation_window else DEFAULT_CONFIRMATION_WINDOW
    record, steps = deploy(account, permissioned, window, redeploy)
    if not steps:
        click.echo(f"already deployed on {record.network} (chain {record.chain_id}); nothing to do")
    for step in steps:
        click.echo(step.line())
    click.echo(f"mode:       {'permissioned' if record.permissioned else 'public'}")
    if record.membership:
        click.echo(f"membership: {record.membership}")
    click.echo(f"registry:   {record.registry}")
    click.echo(f"orders:     {record.orders}")
    click.echo(f"recorded in {record_path(record.chain_id, record.network)}")
