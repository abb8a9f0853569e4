"""What each page shows, read from the index and shaped for the templates (text already
formatted). Runs on the chain thread."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from offchain.chain.client import Chain, pending_timestamp
from offchain.chain.codec import (
    JobStatus,
    OrderStatus,
    currency,
    dims_of,
    envelope_of,
    is_zero_address,
    job_status,
    order_status,
)
from offchain.errors import ProdnetError
from offchain.formats import dims_mm, format_amount, format_time
from offchain.index import JobRow, OrderRow
from offchain.orders import market, moves, report
from offchain.orders.indexed import market_index, market_settings
from offchain.orders.record import TrackRecord, track_records
from offchain.orders.report import UnknownOrderError
from offchain.orders.rules import same_address
from offchain.orders.steps import several_parts
from offchain.parts import printability
from offchain.portal.workspace import StoredPart

PAGE_SIZE = 25


def price_text(amount: int, token: str) -> str:
    if is_zero_address(token):
        return format_amount(amount)
    return f"{amount} units of {currency(token)}"


@dataclass(frozen=True)
class OrderView:
    id: int
    status: str
    producer: str
    record: str
    machine: str
    material: str
    envelope: str
    used: int
    capacity: int
    space_left: str
    window: str
    delivery: str
    price: str
    disputes: str  # the producer's rejections and disputes, and how the disputes ended


def _order_view(index: Any, o: OrderRow, records: dict[str, TrackRecord]) -> OrderView:
    machine = index.machine(o.machineId) if o.machineId else None
    record = records.get(o.producer)
    return OrderView(
        id=o.id,
        status=order_status(o),
        producer="-" if is_zero_address(o.producer) else str(o.producer),
        record=record.text(disputes=False) if record else "new",  # they have a column of their own
        machine=f"{machine.process} #{machine.id}" if machine else "-",
        material=o.material_text or (machine.material if machine else "any"),
        envelope=dims_mm(envelope_of(o)),
        used=o.used,
        capacity=o.capacity,
        space_left=f"{o.space_left:,} of {o.capacity:,} mm3",
        window=f"{format_time(o.start)} to {format_time(o.end)}",
        delivery=format_time(o.deadline),
        price=price_text(o.pricePerCm3, o.token) + "/cm3",
        disputes=record.disputes_text() if record else "none",
    )


@dataclass(frozen=True)
class RequestView:
    id: int
    customer: str
    material: str
    part: str
    quantity: int
    max_price: str
    until: str
    delivery: str


def market_page(c: Chain, filters: dict[str, Any], page: int) -> dict[str, Any]:
    """One page of open orders (with the producers' track records) and the requested parts."""
    index = market_index(c)
    selected = {k: v for k, v in filters.items() if v is not None and v != ""}
    total = index.count_orders(OrderStatus.OPEN, **selected)
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    rows = index.open_orders(order_by="price", limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE, **selected)
    records = track_records(index, {o.producer for o in rows})
    requested = index.orders(status=OrderStatus.REQUESTED, order_by="deadline", limit=PAGE_SIZE)
    first_jobs = {j.order_id: j for j in index.jobs([o.id for o in requested])} if requested else {}
    requests = []
    for o in requested:
        job = first_jobs.get(o.id)
        requests.append(
            RequestView(
                id=o.id,
                customer=str(job.customer) if job else "-",
                material=o.material_text or "any",
                part=dims_mm(dims_of(job)) if job else "-",
                quantity=job.quantity if job else 0,
                max_price=price_text(o.pricePerCm3, o.token) + "/cm3",
                until=format_time(o.end),
                delivery=format_time(o.deadline),
            )
        )
    return {
        "orders": [_order_view(index, o, records) for o in rows],
        "requests": requests,
        "total": total,
        "page": page,
        "pages": pages,
        "block": index.synced_block,
        "all_orders": index.count_orders(),
    }


@dataclass(frozen=True)
class JobView:
    id: int
    customer: str
    status: str
    part: str
    volume: str
    quantity: int
    space: str
    deposit: str
    uri: str
    digest: str
    moves: tuple[str, ...]
    fetched: dict[str, Any] | None
    terms: str  # a shipped/disputed job's deadline, an ended job's outcome
    dims_um: tuple[int, int, int] = (0, 0, 0)  # the public data it was joined with
    volume_mm3: int = 0
    reason: str = ""  # a disputed job's reason, as its customer gave it
    printability: tuple[str, ...] = ()  # the producer's: warnings, or what the public data says
    printability_source: str = ""  # where they come from (the fetched model, or the public data)
    status_code: int = 0


def order_page(c: Chain, order_id: int, viewer: str, fetched: dict[int, dict[str, Any]]) -> dict[str, Any]:
    index = market_index(c)
    order = index.order(order_id)
    if order is None:
        raise UnknownOrderError(f"order {order_id} does not exist")
    records = track_records(index, [order.producer]) if not is_zero_address(order.producer) else {}
    is_producer = same_address(order.producer, viewer)
    d = c.deployment
    now = pending_timestamp()
    settings = market_settings(c)
    rows = index.jobs([order_id])
    who = moves.viewer(c, viewer)
    reasons = report.disputes_reasons(index, order_id)
    jobs = [
        _job_view(c, order, j, moves.job_moves(order, rows, j, who, now, settings), fetched.get(j.job_id),
                  reasons.get(j.job_id, ""), printable=is_producer)
        for j in rows
    ]
    return {
        "order": _order_view(index, order, records),
        "status_code": int(order.status),
        "token": str(order.token),
        "is_producer": is_producer,
        "machine_id": int(order.machineId),
        "arbiter": report.arbiter_text(d, order),
        "arbiter_address": "" if d.permissioned or not order.has_arbiter else str(order.arbiter),
        "windows": report.windows_text(settings),
        "order_moves": moves.order_moves(order, rows, who, now, settings),
        "max_reason": settings.max_reason_bytes,
        "jobs": jobs,
        "events": report.history(c, order_id),
        "now": format_time(now),
    }


def _job_view(
    c: Chain,
    order: OrderRow,
    j: JobRow,
    job_moves: tuple[str, ...],
    fetched: dict[str, Any] | None,
    reason: str = "",
    printable: bool = False,
) -> JobView:
    from offchain.parts.units import build_space_mm3

    lines: tuple[str, ...] = ()
    source = ""
    if printable:
        lines, source = job_printability(fetched, dims_of(j), int(j.partVolume), envelope_of(order))
    digest = bytes(j.digest).hex() if any(bytes(j.digest)) else ""
    return JobView(
        id=j.job_id,
        customer=str(j.customer),
        status=job_status(j),
        part=dims_mm(dims_of(j)),
        volume=f"{j.partVolume:,} mm3",
        quantity=j.quantity,
        space=f"{build_space_mm3(dims_of(j), j.quantity):,} mm3",
        deposit=price_text(j.deposit, order.token),
        uri=j.uri,
        digest=digest,
        moves=job_moves,
        fetched=fetched,
        terms=report.job_terms(market_settings(c), order, j),
        dims_um=dims_of(j),
        volume_mm3=int(j.partVolume),
        reason=reason,
        printability=lines,
        printability_source=source,
        status_code=int(j.status),
    )


def job_printability(
    fetched: dict[str, Any] | None, dims_um: tuple[int, int, int], volume_mm3: int,
    envelope_um: tuple[int, int, int],
) -> tuple[tuple[str, ...], str]:
    """(the printability lines of a job's part on its order's machine, where they come from):
    from the model once fetched and verified here (the part of it the job declared), else from
    the public data the job declared (its box: the fit only)."""
    envelope_mm = tuple(v / 1000 for v in envelope_um)
    path = Path(str(fetched["path"])) if fetched and fetched.get("path") else None
    if path is not None and path.is_file():
        stat = path.stat()
        found = _model_report(str(path), stat.st_mtime_ns, stat.st_size, dims_um, volume_mm3, envelope_mm)
        if found is not None:
            name, warnings = found
            return warnings or ("no warnings",), f"from the fetched model ({name})"
    return printability.from_public_data(dims_um, envelope_mm), "from the public data (box only)"


@functools.lru_cache(maxsize=256)
def _model_report(
    path: str, mtime_ns: int, size: int, dims_um: tuple[int, int, int], volume_mm3: int,
    envelope_mm: tuple[float, ...],
) -> tuple[str, tuple[str, ...]] | None:
    """The printability warnings of the fetched model's part, made once per file version."""
    try:
        found = printability.of_model_part(Path(path), dims_um, volume_mm3, envelope_mm=envelope_mm)
    except ProdnetError:
        return None
    return None if found is None else (found[0], found[1].warnings)


def published_fingerprints(c: Chain, accounts: list[str]) -> dict[str, str]:
    """The OpenPGP fingerprint (40 hex digits) each of ACCOUNTS published on chain, by address
    (lower case): whose a key file is."""
    index = market_index(c, sync=False)
    found = {}
    for account in accounts:
        key = index.key_of(account)
        if key is not None:
            found[account.lower()] = key[0].removeprefix("0x")[:40].upper()
    return found


def account_page(c: Chain, address: str) -> dict[str, Any]:
    index = market_index(c)
    mine = index.orders(producer=address)
    jobs = index.jobs(customer=address)
    credits = index.credits(address)
    disputes = []
    who = moves.viewer(c, address)
    if c.deployment.permissioned:  # ARBITER_ROLE: every dispute it is no party to
        candidates = index.jobs(status=JobStatus.DISPUTED) if moves.is_arbiter(None, who) else []
    else:  # the disputes of the orders that named it
        candidates = index.jobs(status=JobStatus.DISPUTED, arbiter=address)
    now, settings = pending_timestamp(), market_settings(c)
    for j in candidates:
        order = index.order(j.order_id)
        if order is not None and moves.may_resolve(order, index.jobs([j.order_id]), j, who, now, settings):
            said = report.disputes_reasons(index, j.order_id).get(j.job_id, "")
            terms = report.job_terms(settings, order, j)
            disputes.append((j.order_id, j.job_id, f"the customer says {said}; {terms}"))
    key = index.key_of(address)
    from ape import networks

    return {
        "balance": format_amount(int(networks.provider.get_balance(address))),
        "credits": [(token, price_text(amount, token)) for token, amount in credits.items() if amount],
        "key": key[0] if key else None,
        "orders": [(o.id, order_status(o), f"{o.used:,}/{o.capacity:,} mm3") for o in mine],
        "jobs": [(j.order_id, j.job_id, job_status(j), dims_mm(dims_of(j))) for j in jobs],
        "machines": index.machines(address),
        "disputes": disputes,
    }


@dataclass(frozen=True)
class OfferView:
    order_id: int
    producer: str
    record: str
    price: str
    cost: str
    delivery: str
    waste: str
    arbiter: str  # the order's terms for disputes, fixed when it opened: what a join accepts
    per_part: str = ""
    lead: str = ""  # the delivery deadline in days from now
    material: str = ""
    process: str = ""


#: How many offers a part's page lists (best first): a market of 10,000 open orders is a page
#: to choose from, not to scroll.
OFFERS_SHOWN = 50


@dataclass(frozen=True)
class PartRow:
    """One part of a dropped file, as its page lists it."""

    name: str
    box: str
    volume: str
    closed: str
    warnings: tuple[str, ...]  # the reader's
    printability: tuple[str, ...] = ()  # the printability report's warnings


def part_rows(part: StoredPart, reports: tuple[Any, ...] | None = None) -> list[PartRow]:
    """Each part's row; with REPORTS (one per part), their printability warnings."""
    rows = []
    for i, named in enumerate(part.parts):
        data = named.data
        rows.append(PartRow(
            name=named.name,
            box=dims_mm(data.chain_dims_um()),
            volume=f"{data.volume_mm3:,.0f} mm3",
            closed="yes" if data.closed else f"no: {data.open_edges} open edges",
            warnings=tuple(data.warnings),
            printability=tuple(reports[i].warnings) if reports else (),
        ))
    return rows


def part_page(c: Chain, part: StoredPart, quantity: int, rank: str) -> dict[str, Any]:
    from offchain.parts.units import build_space_mm3

    x, y, z = part.data.bbox_mm
    every = tuple(p.data for p in part.parts)
    ranked = market.offers(c, part.path, quantity, part.units, rank=rank, part=every)
    pairs = ranked[:OFFERS_SHOWN]  # the best ones; the page says how many there are in all
    index = market_index(c, sync=False)
    rows = {o.order_id: row for o in (p[0] for p in pairs) if (row := index.order(o.order_id))}
    tokens = {order_id: str(row.token) for order_id, row in rows.items()}
    machines = {r.machineId: index.machine(r.machineId) for r in rows.values()}
    now = pending_timestamp()
    dims = part.data.chain_dims_um()
    box, space = build_space_mm3(dims, 1), build_space_mm3(dims, quantity)

    def offer(o: Any, record: Any) -> OfferView:
        row = rows.get(o.order_id)
        machine = machines.get(row.machineId) if row is not None else None
        token = tokens.get(o.order_id, "0x0")
        if part.is_assembly:
            per_part = " + ".join(price_text(cost, token) for cost in o.part_costs)
        else:
            per_part = price_text(o.cost // quantity, token) if quantity > 1 else ""
        return OfferView(
            order_id=o.order_id,
            producer=o.producer,
            record=record.text() if record else "new",
            price=price_text(o.price_per_cm3, token) + "/cm3",
            cost=price_text(o.cost, token),
            delivery=format_time(o.delivery),
            waste=f"{o.waste_mm3 / 1000:,.1f} cm3",
            arbiter=report.arbiter_text(c.deployment, row) if row is not None else "",
            per_part=per_part,
            lead=f"in {max(0, o.delivery - now) / 86_400:.0f} days",
            material=row.material_text if row is not None else "",
            process=machine.process if machine is not None else "",
        )

    if part.is_assembly:
        spaces = [build_space_mm3(p.chain_dims_um(), quantity) for p in every]
        price_rule = (
            f"An assembly of {len(every)} parts, joined in one transaction, each part its own job: each "
            f"pays for its own build space (its bounding box x {quantity}; "
            f"{' + '.join(f'{s / 1000:,.1f}' for s in spaces)} = {sum(spaces) / 1000:,.1f} cm3 in all), "
            "at the order's price per cm3; an order takes it if every part fits and their build "
            "spaces together fit its space left."
        )
    else:
        price_rule = (
            f"You pay for build space, not for the part's own volume: its bounding box ({x:g} x {y:g} x "
            f"{z:g} mm = {box / 1000:,.1f} cm3 per part; the part itself is "
            f"{part.data.volume_mm3 / 1000:,.1f} cm3) x {quantity} = {space / 1000:,.1f} cm3, at each "
            "order's price per cm3."
        )
    return {
        "part": part,
        "rows": part_rows(part),
        "bbox": f"{x:g} x {y:g} x {z:g} mm",
        "price_rule": price_rule,
        "offers": [offer(o, record) for o, record in pairs],
        "offers_total": len(ranked),
        "one_part_request": one_part_request(part),
    }


def one_part_request(part: StoredPart) -> str:
    """Why an assembly is not requested (a request is one part), in the step's own words."""
    return several_parts(Path(part.name), [p.name for p in part.parts]) if part.is_assembly else ""
