"""Part models: ``ape run model inspect PATH [--units mm|inch] [--groups] [--report [--envelope X Y Z]
[--min-wall MM]] [--order N [--quantity Q] [--network CHOICE]] [--json]`` for STL, 3MF and OBJ files
(the format is read from the content; --order prices each part as joining order N would), and
``ape run model slice PATH --profile NAME [--json]`` (PrusaSlicer: print time, filament)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import click

from offchain.cli import commands, params
from offchain.cli.lazy import lazy_module
from offchain.cli.output import ape_logs_to_stderr, one_line_errors
from offchain.formats import format_duration

# The readers load inside the commands that use them (offchain/cli/lazy.py).
parts = lazy_module("offchain.parts")
printability = lazy_module("offchain.parts.printability")
stl = lazy_module("offchain.parts.stl")
slicer = lazy_module("offchain.shop.slicer")
workflow = lazy_module("offchain.orders.steps")
report_text = lazy_module("offchain.orders.report")

ape_logs_to_stderr()


@click.group(cls=commands.Group)
def cli() -> None:
    """Part models (STL, 3MF, OBJ): the public data a customer declares on chain."""


def _rows(path: Path, model: parts.Model, named: parts.NamedPart) -> list[tuple[str, str]]:
    part = named.data
    x, y, z = part.bbox_mm
    rows = [("part", named.name)] if len(model.parts) > 1 else []
    return [
        *rows,
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


def _report_rows(report: printability.Report) -> list[tuple[str, str]]:
    rows = []
    if report.envelope_mm is not None:
        ways = ", ".join(report.orientations) or "none"
        rows.append(("fits", f"{'yes' if report.fits else 'no'} (orientations: {ways})"))
    thinnest = "-" if report.thinnest_wall_mm is None else f"{report.thinnest_wall_mm:.3f} mm"
    rows += [
        ("shells", str(report.shells)),
        ("overhang", f"{report.overhang_area_mm2:.1f} mm2 ({100 * report.overhang_share:.1f} %) beyond "
                     f"{printability.OVERHANG_DEGREES:g} degrees"),
        ("thin walls", f"{report.thin_wall_area_mm2:.1f} mm2 under {report.min_wall_mm:g} mm "
                       f"(thinnest {thinnest}, {report.wall_samples} rays)"),
        ("small", f"{report.small_features} shells under {report.min_feature_mm:g} mm"),
        *(("printability", note) for note in report.warnings),
    ]
    return rows


def _table(rows: list[tuple[str, str]]) -> str:
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name.ljust(width)}  {value}" for name, value in rows)


@cli.command()
@click.argument("path", type=click.Path(path_type=Path, exists=False))
@click.option("--units", default="mm", show_default=True,
              help="Units of an STL or OBJ file: mm or inch (a 3MF names its own).")
@click.option("--groups", is_flag=True, help="OBJ: each o/g group is a separate part.")
@click.option("--report", is_flag=True, help="Add the printability report of each part.")
@click.option("--envelope", nargs=3, type=float, default=None, metavar="X Y Z",
              help="With --report: the machine's build envelope in mm (whether and how each part fits).")
@click.option("--min-wall", type=float, default=printability.MIN_WALL_MM, show_default=True,
              help="With --report: the thinnest wall the machine prints, in mm.")
@click.option("--order", "order_id", type=params.ID, default=None,
              help="Price every part as joining ORDER (one job per part) would, and the total.")
@click.option("--quantity", type=params.COUNT, default=1, show_default=True,
              help="With --order: of each part.")
@click.option("--network", default=None,
              help="With --order: Ape's network choice (e.g. ethereum:local:node); default Ape's default.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@one_line_errors
def inspect(
    path: Path, units: str, groups: bool, report: bool, envelope: tuple[float, float, float] | None,
    min_wall: float, order_id: int | None, quantity: int, network: str | None, as_json: bool,
) -> None:
    """Print the public data of every part of the model at PATH (bounding box, volume, area, closed).

    A file with one part prints that part's data; a 3MF with several build items, or an
    OBJ with --groups, prints every part (JSON: {"file", "format", "parts": [...]}). With
    --order, each part's price and build space on that order (each part its own join) and
    the total (JSON: "quote" per part, "order" for the whole).
    """
    model = parts.read(path, units=units, split_groups=groups, keep_mesh=report)
    quotes = _quotes(path, order_id, quantity, units, groups, network) if order_id is not None else None
    reports = [
        printability.check(p.mesh, p.data, envelope_mm=envelope, min_wall_mm=min_wall) if report else None
        for p in model.parts
    ]
    for named in model.parts:
        if not named.data.closed:
            prefix = f"{named.name}: " if len(model.parts) > 1 else ""
            click.echo(f"warning: {prefix}{stl.describe_open(named.data)}", err=True)
    if as_json:
        priced = quotes or [None] * len(model.parts)

        def one(named: parts.NamedPart, rep: printability.Report | None, quote: Any) -> dict[str, Any]:
            data = named.to_json() if len(model.parts) > 1 else named.data.to_json()
            data = data if rep is None else {**data, "printability": rep.to_json()}
            return data if quote is None else {**data, "quote": _quote_json(quote)}

        rows = [one(p, r, q) for p, r, q in zip(model.parts, reports, priced, strict=True)]
        out = rows[0] if len(model.parts) == 1 else {**model.to_json(), "parts": rows}
        if quotes:
            out = {**out, "order": _total_json(order_id, quotes)}
        click.echo(json.dumps(out, indent=2))
        return
    tables = [
        _table(_rows(path, model, named) + ([] if rep is None else _report_rows(rep))
               + ([] if quotes is None else _quote_rows(quotes[i])))
        for i, (named, rep) in enumerate(zip(model.parts, reports, strict=True))
    ]
    if len(model.parts) > 1:
        volume = sum(p.data.volume_mm3 for p in model.parts)
        tables.append(f"{len(model.parts)} parts, {volume:.3f} mm3 in all")
    if quotes:
        tables.append(_total_line(order_id, quotes))
    click.echo("\n\n".join(tables))


def _quotes(path: Path, order_id: int, quantity: int, units: str, groups: bool, network: str | None
            ) -> list[Any]:
    """Each part's quote on ORDER_ID (``orders.steps.quote_parts``), read from NETWORK."""
    from ape import networks

    from offchain.chain.session import open_chain

    with networks.parse_network_choice(network):
        c = open_chain(None)
        return list(workflow.quote_parts(c, order_id, path, quantity, units, split_groups=groups))


def _quote_rows(quote: Any) -> list[tuple[str, str]]:
    fits = "" if quote.fits_envelope else " (does not fit the order's envelope)"
    return [(f"order {quote.order_id}", quote.describe().removeprefix(f"{quote.name}: ") + fits)]


def _quote_json(quote: Any) -> dict[str, Any]:
    return {k: v for k, v in dataclasses.asdict(quote).items() if k not in ("name", "order_id")}


def _total_json(order_id: int, quotes: list[Any]) -> dict[str, Any]:
    return {"id": order_id, "price": sum(q.price for q in quotes), "token": quotes[0].token,
            "build_space": sum(q.build_space for q in quotes)}


def _total_line(order_id: int, quotes: list[Any]) -> str:
    total = report_text.amount_text(sum(q.price for q in quotes), quotes[0].token)
    what = f"{len(quotes)} parts, one job each" if len(quotes) > 1 else "the part"
    space = sum(q.build_space for q in quotes)
    return f"order {order_id}: {what}, {space} mm3 of build space, {total} in all"


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
