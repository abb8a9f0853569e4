"""Orders: opened by a producer, requested by a customer (and taken), closed, cancelled."""

from __future__ import annotations

from pathlib import Path

from offchain.chain.client import Chain, Step, pending_timestamp
from offchain.chain.codec import ZERO_ADDRESS, OrderStatus, currency, text16
from offchain.formats import dims_mm, format_amount, format_time
from offchain.orders.rules import same_address
from offchain.orders.steps.base import StepError, _machine, _order, _part, _send, check_rule
from offchain.orders.steps.payments import _approve
from offchain.orders.steps.terms import (
    _check_arbiter,
    _check_token,
    _check_window,
    _named_arbiter_text,
    arbiter_terms,
)
from offchain.parts.units import build_space_mm3, fits, price_wei


def open_order(
    c: Chain,
    machine_id: int,
    envelope_um: tuple[int, int, int] | None,
    capacity_mm3: int | None,
    start: int,
    end: int,
    deadline: int,
    price_per_cm3: int,
    token: str = ZERO_ADDRESS,
    *,
    arbiter: str | None = None,
) -> Step:
    """Producer: open an order on MACHINE_ID (envelope defaults to the machine's). ARBITER
    (public deployments) resolves the order's disputes: named with the order's other terms and
    never changed. Without one (the default) a dispute ends by the default rule, a full refund
    to the customer after the arbitration window, unless the customer confirms after all."""
    arbiter = _check_arbiter(c, arbiter)
    machine = _machine(c, machine_id)
    if not same_address(machine.owner, c.address):
        raise StepError(f"machine {machine_id} belongs to {machine.owner}, not to {c.address}")
    machine_env = (int(machine.x), int(machine.y), int(machine.z))
    envelope = envelope_um or machine_env
    if not fits(envelope, machine_env):
        raise StepError(
            f"the envelope {dims_mm(envelope)} does not fit machine {machine_id} ({dims_mm(machine_env)})"
        )
    capacity = capacity_mm3 or build_space_mm3(envelope, 1)
    token = _check_token(c, token)
    _check_window(c, start, end, deadline)
    step = _send(
        c,
        "open",
        c.orders.open,
        machine_id,
        list(envelope),
        capacity,
        start,
        end,
        deadline,
        price_per_cm3,
        token,
        arbiter,
        summary=f"machine {machine_id}, {capacity} mm3, "
        + (f"{format_amount(price_per_cm3)}/cm3 ({currency(token)})" if price_per_cm3 else "free of charge")
        + f", until {format_time(end)}"
        + (f"; {terms}" if (terms := _named_arbiter_text(c, arbiter)) else ""),
    )
    order_id = c.event_arg(step, "OrderOpened", "orderId")
    step.data.update(order_id=order_id, arbiter=arbiter)
    step.summary = f"order {order_id}: " + step.summary
    return step


def request_order(
    c: Chain,
    part_path: Path,
    quantity: int,
    max_price_per_cm3: int,
    end: int,
    deadline: int,
    material: str = "",
    token: str = ZERO_ADDRESS,
    units: str = "mm",
    *,
    arbiter: str | None = None,
) -> Step:
    """Customer: request production of a part (a Requested order). The deposit is the price of
    the part's build space (bounding box x quantity) at the max price; a producer taking the
    order at a lower price credits the difference back. ARBITER (public deployments; none by
    default) resolves the order's disputes, named with the request's other terms, for good:
    the producer who takes it accepts it."""
    if quantity <= 0:
        raise StepError("quantity must be at least 1")
    arbiter = _check_arbiter(c, arbiter)
    part = _part(part_path, units)
    dims, volume = part.chain_dims_um(), part.chain_volume_mm3()
    deposit = price_wei(max_price_per_cm3, dims, quantity)
    material_code = text16(material) if material else b"\0" * 16
    token = _check_token(c, token)
    _check_window(c, pending_timestamp(), end, deadline)
    if token != ZERO_ADDRESS:
        _approve(c, token, deposit)
    step = _send(
        c,
        "request",
        c.orders.request,
        material_code,
        list(dims),
        volume,
        quantity,
        max_price_per_cm3,
        token,
        end,
        deadline,
        arbiter,
        value=deposit if token == ZERO_ADDRESS else 0,
        summary=f"{part_path.name} x{quantity}, {build_space_mm3(dims, quantity)} mm3 of build space, "
        f"deposit {format_amount(deposit)} ({currency(token)})"
        + (f"; {terms}" if (terms := _named_arbiter_text(c, arbiter)) else ""),
    )
    order_id = c.event_arg(step, "OrderRequested", "orderId")
    step.data.update(order_id=order_id, arbiter=arbiter)
    step.summary = f"order {order_id}: " + step.summary
    return step


def take(
    c: Chain,
    order_id: int,
    machine_id: int,
    envelope_um: tuple[int, int, int] | None,
    capacity_mm3: int | None,
    price_per_cm3: int,
) -> Step:
    """Producer: take a Requested order with its machine, accepting its terms as the requester
    set them, its arbiter included (the summary says who it is)."""
    order = _order(c, order_id)
    check_rule(c, "take", order_id)
    if price_per_cm3 > int(order.pricePerCm3):
        raise StepError(
            f"price {format_amount(price_per_cm3)}/cm3 is above the customer's maximum "
            f"{format_amount(int(order.pricePerCm3))}/cm3"
        )
    machine = _machine(c, machine_id)
    envelope = envelope_um or (int(machine.x), int(machine.y), int(machine.z))
    capacity = capacity_mm3 or build_space_mm3(envelope, 1)
    step = _send(
        c,
        "take",
        c.orders.take,
        order_id,
        machine_id,
        list(envelope),
        capacity,
        price_per_cm3,
        summary=f"order {order_id} on machine {machine_id}, {capacity} mm3, "
        f"{format_amount(price_per_cm3)}/cm3; {arbiter_terms(c, order_id)}",
    )
    refund = c.event_arg(step, "OrderTaken", "refund")
    step.data["refund"] = refund
    if refund:
        step.summary += (
            f"; {format_amount(refund)} ({currency(str(order.token))}) credited back to the requester"
        )
    return step


def close(c: Chain, order_id: int) -> Step:
    order = _order(c, order_id)
    if int(order.status) == OrderStatus.CLOSED:
        return Step("close", c.actor, f"order {order_id} is already closed", already_done=True)
    check_rule(c, "close", order_id)
    return _send(
        c,
        "close",
        c.orders.close,
        order_id,
        summary=f"order {order_id} closed with {int(order.used)} of {int(order.capacity)} mm3 used",
        still_needed=lambda: int(c.order(order_id).status) == OrderStatus.OPEN,
    )


def cancel(c: Chain, order_id: int) -> Step:
    order = _order(c, order_id)
    if int(order.status) == OrderStatus.CANCELLED:
        return Step("cancel", c.actor, f"order {order_id} is already cancelled", already_done=True)
    check_rule(c, "cancel", order_id)
    return _send(
        c, "cancel", c.orders.cancel, order_id, summary=f"order {order_id} cancelled; open jobs refunded",
        still_needed=lambda: int(c.order(order_id).status) != OrderStatus.CANCELLED,
    )
