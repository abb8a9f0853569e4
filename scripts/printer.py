"""ape run printer SUBCOMMAND: the producer's printers (OctoPrint) and machines' slicing profiles.

    printer add NAME --octoprint URL --api-key-file FILE --machine N
    printer list | status [NAME] | remove NAME
    printer profile MACHINE PROFILE      attach a slicing profile to a machine

Kept off chain in <PRODNET_HOME>/shop. The API key stays in its file (mode 600): it is never
stored elsewhere, printed or logged.
"""

import json
from pathlib import Path

import click

from offchain.cli import commands, params
from offchain.cli.output import ape_logs_to_stderr, one_line_errors
from offchain.formats import table
from offchain.shop import printers

ape_logs_to_stderr()


@click.group(cls=commands.Group, short_help="Printers (OctoPrint) and slicing profiles")
def cli():
    pass


@cli.command()
@click.argument("name")
@click.option("--octoprint", "url", required=True, help="OctoPrint's address, e.g. http://octopi.local")
@click.option(
    "--api-key-file", type=click.Path(path_type=Path), required=True,
    help="File holding OctoPrint's API key (mode 600)",
)
@click.option("--machine", type=params.ID, required=True, help="The registered machine it prints for")
@click.option("--profile", default=None, help="Also attach this slicing profile to the machine")
@click.option("--replace", is_flag=True, help="Replace a printer of that name")
@one_line_errors
def add(name, url, api_key_file, machine, profile, replace):
    """Add a printer driven by OctoPrint, linked to a registered machine."""
    printer = printers.add(name, url, api_key_file, machine, replace)
    click.echo(f"printer {printer.name}: OctoPrint {printer.url} for machine {printer.machine}")
    if profile:
        printers.set_machine_profile(machine, profile)
        click.echo(f"machine {machine}: slicing profile {profile}")


@cli.command("profile")
@click.argument("machine", type=params.ID)
@click.argument("profile")
@one_line_errors
def profile_(machine, profile):
    """Attach slicing PROFILE (a shipped name, your own NAME.ini, or a path) to MACHINE."""
    path = printers.set_machine_profile(machine, profile)
    click.echo(f"machine {machine}: slicing profile {profile} ({path})")


@cli.command("list")
@one_line_errors
def list_():
    """The printers and the machines' profiles (OctoPrint is not asked: see 'status')."""
    found = printers.printers()
    profiles = printers.machine_profiles()
    if not found:
        click.echo("no printers: add one with 'ape run printer add'")
        return
    rows = [["printer", "machine", "profile", "octoprint"]]
    rows += [[p.name, str(p.machine), profiles.get(p.machine, "-"), p.url] for p in found.values()]
    click.echo(table(rows))


@cli.command()
@click.argument("name", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@one_line_errors
def status(name, as_json):
    """Each printer's state as its OctoPrint reports it (or 'offline')."""
    chosen = [printers.get(name)] if name else list(printers.printers().values())
    states = [printers.status(p) for p in chosen]
    if as_json:
        click.echo(json.dumps([s.to_json() for s in states], indent=2))
        return
    if not states:
        click.echo("no printers: add one with 'ape run printer add'")
        return
    rows = [["printer", "machine", "state", "file", "done"]]
    for s in states:
        done = "-" if s.completion is None else f"{s.completion:.0f}%"
        rows.append([s.printer.name, str(s.printer.machine), s.state, s.file or "-", done])
    click.echo(table(rows))


@cli.command()
@click.argument("name")
@one_line_errors
def remove(name):
    """Forget a printer (its API key file is left alone)."""
    printer = printers.remove(name)
    click.echo(f"printer {printer.name} removed")
