"""The market as the index shows it, fed to ``matching``: which open orders a part can
join (``ape run order match``, with each producer's track record) and which requested
parts an order could take (``ape run order demands``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from offchain._bulk import many_objects
from offchain.chain.client import Chain, pending_timestamp
from offchain.chain.codec import OrderStatus, dims_of, envelope_of
from offchain.formats import dims_mm, format_amount, format_duration, format_time, table
from offchain.index import MarketIndex, OrderRow
from offchain.orders import RANKINGS, matching
from offchain.orders.indexed import market_index, settings_of
from offchain.orders.record import TrackRecord, track_records
from offchain.orders.steps import StepError
from offchain.parts import printability, stl
from offchain.parts import read as read_model

ANY = "*"
#: What `order demands` can say of a requested part's printability before its model is seen.
PUBLIC_PRINTABILITY = (
    "printability from the public data (the requested box): 'fits as' lists the orientations in which it "
    "fits the machine (xyz as modelled, zyx its z along the machine's x...); watertightness, overhangs and "
    "walls come from the model, once the request is taken and the model fetched"
)
NO_LIMIT = 2**62

#: A print estimate for an offer's machine (print time, material), or None: from the layer
#: above (the producer's slicing profiles, ``offchain.shop.estimates``).
OfferEstimate = Callable[[int], "tuple[str, str] | None"]
#: The same for a requested part known by its box (um), volume (mm3) and quantity, on a machine.
DemandEstimate = Callable[[int, "tuple[int, int, int]", int, int], "tuple[str, str] | None"]


@dataclass(frozen=True)
class JobLimits:
    """The contract's caps on an order's jobs: live at once, and job ids ever given out."""

    live: int
    ids: int

    @classmethod
    def of(cls, index: MarketIndex) -> JobLimits:
        settings = settings_of(index)
        return cls(settings.max_live_jobs, settings.max_job_ids)

    def left(self, o: OrderRow) -> int:
        """Jobs ORDER can still take. An index row without ``liveJobs`` counts every job id
        as live (never more slots than the chain has: at worst an order is left out)."""
        live = getattr(o, "liveJobs", None)
        live = o.jobCount if live is None else int(live)
        return int(self.left_of(live, o.jobCount))

    def left_of(self, live_jobs: Any, job_count: Any) -> Any:
        """Jobs left of orders with LIVE_JOBS live and JOB_COUNT ids given out (numbers or
        numpy columns alike)."""
        return np.maximum(0, np.minimum(self.live - live_jobs, self.ids - job_count))


def _order(o: OrderRow, limits: JobLimits, material: str | None) -> matching.Order:
    return matching.Order(
        id=o.id,
        producer=str(o.producer),
        material=material or o.material_text or ANY,
        envelope_um=envelope_of(o),
        space_left_mm3=o.space_left,
        window=(o.start, o.end),
        delivery=o.deadline,
        price_per_cm3=o.pricePerCm3,
        jobs_left=limits.left(o),
    )


def _open_orders(index: MarketIndex, material: str | None) -> matching.OrderColumns:
    """The index's open orders as the order book's columns (no object per order): each
    order's material when the demand names one, else ANY for all (as ``_order``)."""
    a = index.open_order_arrays()
    return matching.OrderColumns(
        ids=a.ids,
        producers=a.producers,
        materials=[m or ANY for m in a.materials] if material else [ANY] * len(a.ids),
        envelope_um=a.envelope,
        space_left_mm3=a.space_left,
        start=a.start,
        end=a.end,
        delivery=a.deadline,
        price_per_cm3=a.price,
        jobs_left=JobLimits.of(index).left_of(a.live_jobs, a.job_count),
    )


def _record_key(record: TrackRecord | None) -> tuple[float, int]:
    """Best track record first: on-time share (unknown counts as 0.5), then jobs completed."""
    if record is None:
        return (-0.5, 0)
    share = record.on_time_share
    return (-(0.5 if share is None else share), -record.completed)


def model_parts(part_path: Path, units: str = "mm", split_groups: bool = False) -> tuple[stl.PartData, ...]:
    """The public data of each part of the model file at PART_PATH (STL, 3MF, OBJ): one part,
    or an assembly's parts in file order (what a join declares, one job per part)."""
    return tuple(p.data for p in read_model(part_path, units=units, split_groups=split_groups).parts)


@many_objects()
def offers(
    c: Chain,
    part_path: Path,
    quantity: int,
    units: str = "mm",
    material: str | None = None,
    max_price_per_cm3: int | None = None,
    deadline: int | None = None,
    rank: str = "price",
    part: stl.PartData | tuple[stl.PartData, ...] | None = None,
) -> list[tuple[matching.Offer, TrackRecord | None]]:
    """Open orders the part (or the whole assembly: ``matching.assembly_offers``, each part
    QUANTITY times) can join now, best first: by price, delivery and fit, or with
    RANK='record' by the producer's track record first (then price, delivery, fit). PART: the
    file's public data (one part's, or every part's) if already read (the portal keeps each
    file's)."""
    if rank not in RANKINGS:
        raise matching.MatchingInputError(f"unknown ranking {rank!r}: use one of {', '.join(RANKINGS)}")
    found = model_parts(part_path, units) if part is None else part if isinstance(part, tuple) else (part,)
    index = market_index(c)
    book = matching.OrderBook.from_columns(_open_orders(index, material))
    demands = [
        matching.Demand(
            id=i,
            material=material or ANY,
            dims_um=p.chain_dims_um(),
            part_volume_mm3=p.chain_volume_mm3(),
            quantity=quantity,
            deadline=deadline or NO_LIMIT,
            max_price_per_cm3=max_price_per_cm3 if max_price_per_cm3 is not None else NO_LIMIT,
        )
        for i, p in enumerate(found)
    ]
    now = pending_timestamp()
    if len(demands) == 1:
        ranked = matching.offers_in(book, demands[0], now)
    else:
        ranked = matching.assembly_offers(book, demands, now)
    records = track_records(index, {o.producer for o in ranked})
    result = [(o, records.get(o.producer)) for o in ranked]
    if rank == "record":
        result.sort(key=lambda pair: _record_key(pair[1]))  # stable: price order within a record
    return result


def match_text(
    c: Chain,
    part_path: Path,
    quantity: int,
    units: str = "mm",
    estimate: OfferEstimate | None = None,
    split_groups: bool = False,
    **filters: object,
) -> str:
    """The offers as a table; the lead time to each delivery deadline, and with ESTIMATE the
    print time and material on each offer's machine where it has a profile. For an assembly,
    a line per part first, and each offer's cost for the whole with each part's."""
    named = read_model(part_path, units=units, split_groups=split_groups).parts
    ranked = offers(c, part_path, quantity, units, part=tuple(p.data for p in named), **filters)  # type: ignore[arg-type]
    assembly = len(named) > 1
    head = ""
    if assembly:
        lines = [f"{part_path.name}: an assembly of {len(named)} parts, each its own job x{quantity}, "
                 "joined in one transaction; an order takes it if every part fits, their build spaces "
                 "together fit its space left and it has a job slot for each"]
        lines += [f"  part {i}: {p.name}, {dims_mm(p.data.chain_dims_um())}, {p.data.chain_volume_mm3()} mm3"
                  for i, p in enumerate(named, 1)]
        head = "\n".join(lines) + "\n"
    if not ranked:
        what = "the whole assembly" if assembly else f"{part_path.name} x{quantity}"
        return head + f"no open order can take {what} now"
    now = pending_timestamp()
    index = market_index(c, sync=False) if estimate else None
    rows = [["rank", "order", "producer", "track record", "price/cm3", "delivery by", "lead time", "cost",
             "unused envelope mm3"] + (["cost per part"] if assembly else [])
            + (["print time", "material"] if estimate else [])]
    for rank, (offer, record) in enumerate(ranked, 1):
        row = [
            str(rank),
            str(offer.order_id),
            offer.producer,
            record.text() if record else "new",
            format_amount(offer.price_per_cm3),
            format_time(offer.delivery),
            format_duration(offer.delivery - now),
            format_amount(offer.cost),
            str(offer.waste_mm3),
        ]
        if assembly:
            row.append(" + ".join(format_amount(cost) for cost in offer.part_costs))
        if estimate and index is not None:
            order = index.order(offer.order_id)
            row += list((estimate(int(order.machineId)) if order else None) or ("-", "-"))
        rows.append(row)
    return head + table(rows)


def demands(c: Chain, order_id: int) -> matching.Packing:
    """Requested parts ORDER_ID could take, packed first-fit decreasing by build space."""
    index = market_index(c)
    row = index.order(order_id)
    if row is None:
        raise StepError(f"order {order_id} does not exist")
    order = _order(row, JobLimits.of(index), None)
    requests = index.orders(status=OrderStatus.REQUESTED)
    first_jobs = {j.order_id: j for j in index.jobs([r.id for r in requests]) if j.job_id == 1}
    wanted = [
        matching.Demand(
            id=r.id,
            material=r.material_text or order.material,
            dims_um=dims_of(first_jobs[r.id]),
            part_volume_mm3=first_jobs[r.id].partVolume,
            quantity=first_jobs[r.id].quantity,
            deadline=r.deadline,
            max_price_per_cm3=r.pricePerCm3,
        )
        for r in requests
        if r.id in first_jobs
    ]
    return matching.packing_for(order, wanted, pending_timestamp())


def demands_text(c: Chain, order_id: int, estimate: DemandEstimate | None = None) -> str:
    """The parts ORDER_ID could take; with ESTIMATE each one's print time and material on the
    order's machine (where the producer attached a profile to it)."""
    packing = demands(c, order_id)
    if not packing.demand_ids:
        return f"no requested part fits order {order_id} now ({packing.candidates} candidates checked)"
    index = market_index(c, sync=False)
    order = index.order(order_id)
    assert order is not None
    envelope_mm = [v / 1000 for v in envelope_of(order)]
    columns = ["requested order", "part mm", "qty", "fits as"]
    rows = [columns + (["print time", "material"] if estimate else [])]
    for rid in packing.demand_ids:
        job = index.job(rid, 1)
        assert job is not None
        _, ways = printability.fit(dims_of(job), envelope_mm)
        row = [str(rid), dims_mm(dims_of(job), sep="x", unit=""), str(job.quantity), " ".join(ways)]
        if estimate:
            guess = estimate(int(order.machineId), dims_of(job), int(job.partVolume), int(job.quantity))
            row += list(guess or ("-", "-"))
        rows.append(row)
    return (
        table(rows) + f"\n{packing.space_used_mm3} mm3 used, {packing.space_left_mm3} mm3 left "
        f"({packing.bound})\n{PUBLIC_PRINTABILITY}"
    )
