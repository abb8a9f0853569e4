"""ape run deploy [--permissioned] [--confirmation-window 14d] [--arbitration-window 7d]
[--max-lead-time 90d] [--redeploy] [--network ...] [--account ...]"""

import click
from ape.cli import ConnectedProviderCommand, account_option

from offchain.chain.deploy import deploy, settings_line
from offchain.chain.deployments import record_path
from offchain.cli import commands, params
from offchain.cli.fees import fee_options
from offchain.cli.output import ape_logs_to_stderr, one_line_errors

ape_logs_to_stderr()


@click.command(cls=commands.one_line(ConnectedProviderCommand), short_help="Deploy prodnet's contracts")
@account_option()
@fee_options
@click.option("--permissioned", is_flag=True, help="Members only: deploy a Membership contract too.")
@click.option(
    "--confirmation-window", type=params.DURATION, default=None,
    help="How long customers have to confirm receipt or dispute it (default 14d; 1h to 90d).",
)
@click.option(
    "--arbitration-window", type=params.DURATION, default=None,
    help="How long the arbiter then has to resolve a dispute before it is settled as a full refund "
    "(default 7d; 1h to 90d).",
)
@click.option(
    "--max-lead-time", type=params.DURATION, default=None,
    help="Longest time from an order's window end to its delivery deadline (default 90d; 1h to 365d).",
)
@click.option("--redeploy", is_flag=True, help="Deploy a new set even if one is recorded for this chain.")
@one_line_errors
def cli(account, permissioned, confirmation_window, arbitration_window, max_lead_time, redeploy):
    """Deploy prodnet's contracts on the connected chain, once: a second run reports the
    recorded deployment. The deploying account is the token admin ('ape run tokens')."""
    record, steps = deploy(
        account,
        permissioned,
        confirmation_window,
        redeploy,
        arbitration_window=arbitration_window,
        max_lead_time=max_lead_time,
    )
    if not steps:
        click.echo(f"already deployed on {record.network} (chain {record.chain_id}); nothing to do")
    for step in steps:
        click.echo(step.line())
    click.echo(f"mode:       {'permissioned' if record.permissioned else 'public'}")
    if record.membership:
        click.echo(f"membership: {record.membership}")
    click.echo(f"registry:   {record.registry}")
    click.echo(f"orders:     {record.orders}")
    click.echo(f"settings:   {settings_line(record)}")
    click.echo(f"recorded in {record_path(record.chain_id, record.network)}")
