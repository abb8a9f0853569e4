"""The market as the chain shows it, fed to ``matching``: which open orders a part can
join (``ape run order match``) and which requested parts an order could take
(``ape run order demands``)."""

from __future__ import annotations

from pathlib import Path

from offchain.chain.client import Chain, pending_timestamp
from offchain.chain.codec import OrderStatus, dims_of, envelope_of, untext16
from offchain.formats import dims_mm, format_amount, format_time, table
from offchain.orders import matching
from offchain.parts import stl

ANY = "*"
NO_LIMIT = 2**62


def _order(c: Chain, order_id: int, material: str | None) -> matching.Order:
    o = c.order(order_id)
    return matching.Order(
        id=order_id,
        producer=str(o.producer),
        material=material or untext16(o.material) or ANY,
        envelope_um=envelope_of(o),
        space_left_mm3=int(o.capacity) - int(o.used),
        window=(int(o.start), int(o.end)),
        delivery=int(o.deadline),
        price_per_cm3=int(o.pricePerCm3),
        jobs_left=int(c.orders.MAX_JOBS_PER_ORDER()) - int(o.jobCount),
    )


def _orders_in(c: Chain, status: int) -> list[int]:
    count = int(c.call(c.orders.orderCount))
    return [i for i in range(1, count + 1) if int(c.order(i).status) == status]


def offers(
    c: Chain,
    part_path: Path,
    quantity: int,
    units: str = "mm",
    material: str | None = None,
    max_price_per_cm3: int | None = None,
    deadline: int | None = None,
) -> list[matching.Offer]:
    """Open orders the part can join now, best first (price, delivery, fit)."""
    part = stl.inspect(part_path, units=units)
    wanted = material or ANY
    orders = [_order(c, i, None if material else ANY) for i in _orders_in(c, OrderStatus.OPEN)]
    demand = matching.Demand(
        id=0,
        material=wanted,
        dims_um=part.chain_dims_um(),
        part_volume_mm3=part.chain_volume_mm3(),
        quantity=quantity,
        deadline=deadline or NO_LIMIT,
        max_price_per_cm3=max_price_per_cm3 if max_price_per_cm3 is not None else NO_LIMIT,
    )
    return matching.offers_for(demand, orders, pending_timestamp())


def match_text(c: Chain, part_path: Path, quantity: int, units: str = "mm", **filters: object) -> str:
    ranked = offers(c, part_path, quantity, units, **filters)  # type: ignore[arg-type]
    if not ranked:
        return f"no open order can take {part_path.name} x{quantity} now"
    rows = [["rank", "order", "producer", "price/cm3", "delivery by", "cost", "unused envelope mm3"]]
    for rank, offer in enumerate(ranked, 1):
        rows.append(
            [
                str(rank),
                str(offer.order_id),
                offer.producer,
                format_amount(offer.price_per_cm3),
                format_time(offer.delivery),
                format_amount(offer.cost),
                str(offer.waste_mm3),
            ]
        )
    return table(rows)


def demands(c: Chain, order_id: int) -> matching.Packing:
    """Requested parts ORDER_ID could take, packed first-fit decreasing by build space."""
    order = _order(c, order_id, None)
    wanted: list[matching.Demand] = []
    for rid in _orders_in(c, OrderStatus.REQUESTED):
        request, job = c.order(rid), c.job(rid, 1)
        wanted.append(
            matching.Demand(
                id=rid,
                material=untext16(request.material) or order.material,
                dims_um=dims_of(job),
                part_volume_mm3=int(job.partVolume),
                quantity=int(job.quantity),
                deadline=int(request.deadline),
                max_price_per_cm3=int(request.pricePerCm3),
            )
        )
    return matching.packing_for(order, wanted, pending_timestamp())


def demands_text(c: Chain, order_id: int) -> str:
    packing = demands(c, order_id)
    if not packing.demand_ids:
        return f"no requested part fits order {order_id} now ({packing.candidates} candidates checked)"
    rows = [["requested order", "part mm", "qty"]]
    for rid in packing.demand_ids:
        job = c.job(rid, 1)
        rows.append([str(rid), dims_mm(dims_of(job), sep="x", unit=""), str(int(job.quantity))])
    return (
        table(rows) + f"\n{packing.space_used_mm3} mm3 used, {packing.space_left_mm3} mm3 left "
        f"({packing.bound})"
    )
