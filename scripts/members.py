"""ape run members add|remove ADDRESS ROLE [--node URL]  (ROLE: producer, customer or arbiter;
also as --role ROLE)

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
from offchain.chain.network import local_voters
from offchain.chain.session import open_chain
from offchain.cli import commands, params
from offchain.cli.fees import fee_options
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


def _role_options(func):
    func = click.option(
        "--role", "role_option", type=click.Choice(ROLES), default=None,
        help="The role (or give it after ADDRESS)",
    )(func)
    func = click.argument("role", type=click.Choice(ROLES), required=False, metavar="ROLE")(func)
    return click.argument("address", type=params.ADDRESS)(func)


def _role(role, role_option):
    if role and role_option and role != role_option:
        raise click.UsageError(f"two roles given, {role} and --role {role_option}: give one")
    if not (role or role_option):
        raise click.UsageError(f"missing the role: give {', '.join(ROLES[:-1])} or {ROLES[-1]} after ADDRESS")
    return role or role_option


def _vote(node_url, voters, authorize):
    if node_url is None:
        return
    if not voters:
        voters = local_voters()
    sealer = signers.node_signer(node_url)
    now = signers.vote(sealer, authorize, voters)
    verb = "is a signer" if authorize else "is no longer a signer"
    click.echo(f"{node_url} (seals as {sealer}) {verb}; {len(now)} signers: {', '.join(now)}")


@cli.command(cls=ConnectedProviderCommand)
@account_option()
@fee_options
@_role_options
@_node_options
@one_line_errors
def add(account, address, role, role_option, node_url, voters):
    """Grant ADDRESS the producer, customer or arbiter role (admin only); with --node, have
    the signers vote that node's signer in. An arbiter resolves the disputes of orders it is
    not a party to."""
    role = _role(role, role_option)
    click.echo(add_member(open_chain(account), address, role).line())
    _vote(node_url, voters, True)


@cli.command(cls=ConnectedProviderCommand)
@account_option()
@fee_options
@_role_options
@_node_options
@one_line_errors
def remove(account, address, role, role_option, node_url, voters):
    """Revoke ADDRESS's producer, customer or arbiter role (admin only); with --node, have
    the signers vote that node's signer out."""
    role = _role(role, role_option)
    click.echo(remove_member(open_chain(account), address, role).line())
    _vote(node_url, voters, False)
