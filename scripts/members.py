"""ape run members add|remove ADDRESS --role producer|customer [--node URL]

Membership has two levels on the members' network: the contract role (Membership: who may
act in the market) and, for a company that runs a node (--node URL), the signer set (whose
node seals blocks): more than half of the signers vote its signer in (``add``) or out
(``remove``) through their nodes, by default the running nodes of the local network
(``ape run network up``), else the ones named with --voter.
"""

import click
from ape.cli import ConnectedProviderCommand, account_option

from offchain.chain import signers
from offchain.chain.deploy import ROLES, add_member, remove_member
from offchain.chain.session import open_chain
from offchain.cli import commands
from offchain.cli.output import ape_logs_to_stderr, one_line_errors

ape_logs_to_stderr()


@click.group(cls=commands.Group, short_help="Members of a permissioned deployment")
def cli():
    pass


def _node_options(func):
    func = click.option(
        "--voter", "voters", multiple=True,
        help="A signer's node that votes (repeatable; default: the local network's running nodes)",
    )(func)
    return click.option(
        "--node", "node_url", default=None, help="The company's own node: its signer is voted in or out"
    )(func)


def _vote(node_url, voters, authorize):
    if node_url is None:
        return
    if not voters:
        from offchain.devtools.network import local_voters

        voters = local_voters()
    sealer = signers.node_signer(node_url)
    now = signers.vote(sealer, authorize, voters)
    verb = "is a signer" if authorize else "is no longer a signer"
    click.echo(f"{node_url} (seals as {sealer}) {verb}; {len(now)} signers: {', '.join(now)}")


@cli.command(cls=ConnectedProviderCommand)
@account_option()
@click.argument("address")
@click.option("--role", type=click.Choice(ROLES), required=True)
@_node_options
@one_line_errors
def add(account, address, role, node_url, voters):
    """Grant ADDRESS the producer or customer role (admin only); with --node, have the
    signers vote that node's signer in."""
    click.echo(add_member(open_chain(account), address, role).line())
    _vote(node_url, voters, True)


@cli.command(cls=ConnectedProviderCommand)
@account_option()
@click.argument("address")
@click.option("--role", type=click.Choice(ROLES), required=True)
@_node_options
@one_line_errors
def remove(account, address, role, node_url, voters):
    """Revoke ADDRESS's producer or customer role (admin only); with --node, have the
    signers vote that node's signer out."""
    click.echo(remove_member(open_chain(account), address, role).line())
    _vote(node_url, voters, False)
