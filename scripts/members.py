"""ape run members add|remove ADDRESS --role producer|customer"""

import click
from ape.cli import ConnectedProviderCommand, account_option

from offchain.chain.deploy import ROLES, add_member, remove_member
from offchain.chain.session import open_chain
from offchain.cli import commands
from offchain.cli.output import ape_logs_to_stderr, one_line_errors

ape_logs_to_stderr()


@click.group(cls=commands.Group, short_help="Members of a permissioned deployment")
def cli():
    pass


@cli.command(cls=ConnectedProviderCommand)
@account_option()
@click.argument("address")
@click.option("--role", type=click.Choice(ROLES), required=True)
@one_line_errors
def add(account, address, role):
    """Grant ADDRESS the producer or customer role (admin only)."""
    click.echo(add_member(open_chain(account), address, role).line())


@cli.command(cls=ConnectedProviderCommand)
@account_option()
@click.argument("address")
@click.option("--role", type=click.Choice(ROLES), required=True)
@one_line_errors
def remove(account, address, role):
    """Revoke ADDRESS's producer or customer role (admin only)."""
    click.echo(remove_member(open_chain(account), address, role).line())
