"""ape run demo [--permissioned]: the whole story on a fresh Anvil and two Kubo nodes.

A producer publishes its key and an SLS machine and opens capacity; two customers inspect
their parts and join the same order; the order closes; one model travels through IPFS
(customer's node -> producer's node), the other through the central file store; the
producer fetches, verifies and decrypts both, ships; one customer confirms, the other
disputes and the arbiter (named by the order, or a member with the arbiter role) splits
the deposit; the producer and that customer withdraw. A third customer's part that does
not fit is refused. With --printers (make demo PRINTERS=1) the producer's printer is an
OctoPrint with its Virtual Printer, started for the demo and stopped after it: alice's job is
sliced, printed and shipped once printed (order produce --ship-when-done).
"""

import click
from ape.cli import ConnectedProviderCommand

from offchain.cli import commands
from offchain.cli.output import ape_logs_to_stderr, one_line_errors

ape_logs_to_stderr()


@click.command(cls=commands.one_line(ConnectedProviderCommand), short_help="End-to-end demo")
@click.option("--permissioned", is_flag=True, help="Members-only deployment (Membership contract).")
@click.option("--keep", is_flag=True, help="Keep the temporary folder (secret keys, plaintexts).")
@click.option(
    "--printers", is_flag=True,
    help="Also start an OctoPrint with its Virtual Printer: one job is printed, then shipped.",
)
@one_line_errors
def cli(permissioned, keep, printers):
    """Run the whole story; its temporary folder is removed at the end unless --keep."""
    from offchain.devtools.demo import run_demo

    run_demo(permissioned, echo=click.echo, keep=keep, printers=printers)
