"""Part models: ``ape run model inspect PATH [--units mm|inch] [--json]``."""

from __future__ import annotations

import json
from pathlib import Path

import click

from offchain.cli import commands
from offchain.cli.lazy import lazy_module
from offchain.cli.output import ape_logs_to_stderr, one_line_errors

stl = lazy_module("offchain.parts.stl")

ape_logs_to_stderr()


@click.group(cls=commands.Group)
def cli() -> None:
    """Part models (STL): the public data a customer declares on chain."""


def _table(path: Path, part: stl.PartData) -> str:
    x, y, z = part.bbox_mm
    rows = [
        ("file", str(path)),
        ("format", f"{part.format} ({part.solids} solid{'s' if part.solids != 1 else ''})"),
        ("units", f"{part.units} (shown in mm)"),
        ("bbox", f"{x:.3f} x {y:.3f} x {z:.3f} mm"),
        ("volume", f"{part.volume_mm3:.3f} mm3"),
        ("area", f"{part.area_mm2:.3f} mm2"),
        ("triangles", str(part.triangles)),
        ("closed", "yes" if part.closed else f"no ({part.open_edges} open edges)"),
        ("oriented", "yes" if part.oriented else "no"),
        *(("warning", note) for note in part.warnings),
    ]
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name.ljust(width)}  {value}" for name, value in rows)


@cli.command()
@click.argument("path", type=click.Path(path_type=Path, exists=False))
@click.option("--units", default="mm", show_default=True, help="Units of the file: mm or inch.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@one_line_errors
def inspect(path: Path, units: str, as_json: bool) -> None:
    """Print the public data of the STL at PATH (bounding box, volume, area, closed)."""
    part = stl.inspect(path, units=units)
    if not part.closed:
        click.echo(f"warning: {stl.describe_open(part)}", err=True)
    if as_json:
        click.echo(json.dumps(part.to_json(), indent=2))
    else:
        click.echo(_table(path, part))
