"""ape run tokens allow|disallow TOKEN | list [TOKEN]: the deployment's token allowlist.

Orders are paid in ETH or in an ERC-20 token on the allowlist, which the token admin (the
account that deployed prodnet) keeps. Disallowing a token stops new orders in it; orders
already open in it go on.
"""

import click
from ape.cli import ConnectedProviderCommand, account_option

from offchain.chain.deploy import allow_token, allowed_tokens
from offchain.chain.session import open_chain
from offchain.cli import commands, params
from offchain.cli.fees import fee_options
from offchain.cli.output import ape_logs_to_stderr, one_line_errors
from offchain.formats import table

ape_logs_to_stderr()


@click.group(cls=commands.Group, short_help="The token allowlist of a deployment")
def cli():
    pass


@cli.command(cls=ConnectedProviderCommand)
@account_option()
@fee_options
@click.argument("token", type=params.ADDRESS)
@one_line_errors
def allow(account, token):
    """Allow the ERC-20 TOKEN for new orders (the token admin only)."""
    click.echo(allow_token(open_chain(account), token, True).line())


@cli.command(cls=ConnectedProviderCommand)
@account_option()
@fee_options
@click.argument("token", type=params.ADDRESS)
@one_line_errors
def disallow(account, token):
    """Stop allowing TOKEN for new orders (the token admin only); open orders in it go on."""
    click.echo(allow_token(open_chain(account), token, False).line())


@cli.command("list", cls=ConnectedProviderCommand)
@click.argument("token", type=params.ADDRESS, required=False)
@one_line_errors
def list_(token):
    """The tokens the allowlist has named, and whether each is allowed now (ETH always is);
    with TOKEN, only whether that one is."""
    c = open_chain(None)
    if token:
        allowed = bool(c.call(c.orders.tokenAllowed, token))
        click.echo(f"{token} is {'allowed' if allowed else 'not allowed'} for new orders")
        return
    tokens = allowed_tokens(c)
    click.echo(f"token admin: {c.call(c.orders.tokenAdmin)}")
    if not tokens:
        click.echo("no ERC-20 token is allowed: orders are paid in ETH")
        return
    click.echo(table([["token", "allowed"], *([t, "yes" if ok else "no"] for t, ok in tokens)]))
