"""Part models: ``ape run model inspect PATH [--units mm|inch] [--json]``, and
``ape run model slice PATH --profile NAME [--json]`` (PrusaSlicer: print time, filament)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from offchain.cli import commands
from offchain.cli.output import ape_logs_to_stderr, one_line_errors
from offchain.formats import format_duration
from offchain.parts import stl
from offchain.shop import slicer

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


@cli.command("slice")
@click.argument("path", type=click.Path(path_type=Path, exists=False))
@click.option(
    "--profile", required=True,
    help=f"Slicing profile: {', '.join(slicer.profile_names())}, your own NAME.ini, or a path",
)
@click.option("--units", default="mm", show_default=True, help="Units of the file: mm or inch.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@one_line_errors
def slice_(path: Path, profile: str, units: str, as_json: bool) -> None:
    """Slice the STL at PATH with PrusaSlicer: print time, filament, layers, the G-code's
    digest (cached by the model's and the profile's digests)."""
    result = slicer.slice_part(path, profile, units=units)
    if as_json:
        click.echo(json.dumps(result.to_json() | {"cached": result.cached}, indent=2))
        return
    rows = [
        ("profile", f"{result.profile} (sha256 {result.profile_sha256[:16]}…)"),
        ("print time", f"{format_duration(result.print_time_s)} ({result.print_time_s} s)"),
        ("filament", f"{result.filament_mm / 1000:.2f} m, {result.filament_cm3:g} cm3, "
                     f"{result.filament_g:g} g"),
        ("layers", str(result.layers)),
        ("gcode", f"{result.gcode} (sha256 {result.gcode_sha256[:16]}…)"),
        ("cached", "yes" if result.cached else "no"),
    ]
    width = max(len(name) for name, _ in rows)
    click.echo("\n".join(f"{name.ljust(width)}  {value}" for name, value in rows))
