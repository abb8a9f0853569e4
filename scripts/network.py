"""ape run network up|down|status|add-node: the members' geth network (Clique proof-of-authority).

Each company runs one node: its own data folder (under $PRODNET_HOME/network), RPC port and
node key, on loopback, no discovery, the others as static peers. The first nodes are the
genesis signers; a node added later syncs the chain and seals once the signers vote it in
(``ape run members add ADDRESS --role ... --node URL``). The chain data stays on disk:
``down`` then ``up`` continues the same chain. Connect with ``--network ethereum:permissioned:node``
(node 1, http://127.0.0.1:8601).
"""

import click

from offchain.cli import commands
from offchain.cli.output import ape_logs_to_stderr, one_line_errors
from offchain.devtools import network as members_network

ape_logs_to_stderr()


@click.group(cls=commands.Group, short_help="The members' geth network (Clique)")
def cli():
    pass


def _test_accounts(count):
    from ape import accounts

    return [str(accounts.test_accounts[i].address) for i in range(count)]


@cli.command()
@click.option("--nodes", type=click.IntRange(1, 20), default=members_network.DEFAULT_NODES, show_default=True,
              help="Signer nodes of a new network (ignored when it exists)")
@click.option("--fund", "funded", multiple=True, help="Also fund this address in a new genesis (repeatable)")
@click.option("--test-accounts", type=click.IntRange(0, 50), default=10, show_default=True,
              help="Fund the first N Ape test accounts in a new genesis (development)")
@one_line_errors
def up(nodes, funded, test_accounts):
    """Create the network once (keys, genesis), then start every node."""
    try:
        net = members_network.Network.load()
    except members_network.NetworkError:
        if members_network.Network.default_folder().joinpath("network.json").exists():
            raise
        net = members_network.Network.create(count=nodes, funded=[*_test_accounts(test_accounts), *funded])
        click.echo(f"created a {nodes}-node network in {net.folder}")
    net.up()
    click.echo("\n".join(members_network.status_lines(net)))


@cli.command()
@one_line_errors
def down():
    """Stop every node (the chain stays on disk for the next 'up')."""
    net = members_network.Network.load()
    net.down()
    click.echo(f"stopped {len(net.nodes)} nodes; the chain stays in {net.folder}")


@cli.command()
@one_line_errors
def status():
    """Each node's head block and peers, and the signer set."""
    click.echo("\n".join(members_network.status_lines(members_network.Network.load())))


@cli.command("add-node")
@one_line_errors
def add_node():
    """A new company's node: it syncs the chain; it seals once the signers vote it in."""
    net = members_network.Network.load()
    node = net.add_node()
    net.start(node)
    click.echo(f"{node.name} at {node.url}, seals as {node.signer} once voted in:")
    click.echo(f"  ape run members add ADDRESS --role producer|customer --node {node.url} "
               "--network ethereum:permissioned:node --account ADMIN")
