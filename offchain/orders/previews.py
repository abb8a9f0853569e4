"""What a step that moves money would move, before it is sent: the amounts a person confirms
(a deposit into escrow, a refund, what the producer keeps), read from the chain and the
market's settings. Nothing is sent and nothing is checked here: the step itself checks
everything when it is sent.

Each function gives the lines shown above the confirm button (the portal) in the words
of the step's own summary."""

from __future__ import annotations

from pathlib import Path

from offchain.chain.client import Chain
from offchain.chain.codec import ZERO_ADDRESS, currency
from offchain.orders.indexed import market_settings
from offchain.orders.report import amount_text
from offchain.orders.steps import quote_parts
from offchain.orders.steps.base import _part
from offchain.parts.units import build_space_mm3, price_wei


def _deposit(c: Chain, order_id: int, job_id: int) -> tuple[int, str]:
    job, order = c.job(order_id, job_id), c.order(order_id)
    return int(job.deposit), str(order.token)


def join(
    c: Chain, order_id: int, part_path: Path, quantity: int, units: str, split_groups: bool = False
) -> list[str]:
    """A join's deposit: the part's, or an assembly's (each part priced as its own join: a line
    each, then the total paid in one transaction)."""
    quotes = quote_parts(c, order_id, part_path, quantity, units, split_groups)
    total, token = sum(q.price for q in quotes), quotes[0].token
    if len(quotes) == 1:
        [q] = quotes
        lines = [
            f"join order {order_id} with {part_path.name} x{quantity}: {q.build_space:,} mm3 of build space "
            f"(its bounding box x{quantity}) at the order's price",
        ]
    else:
        space = sum(q.build_space for q in quotes)
        lines = [
            f"join order {order_id} with the {len(quotes)} parts of {part_path.name}, x{quantity} each, in "
            f"one transaction: a job per part, {space:,} mm3 of build space in all (each part's bounding "
            f"box x{quantity}) at the order's price",
            *(f"part {i}, {q.name}: {q.build_space:,} mm3, {amount_text(q.price, token)}"
              for i, q in enumerate(quotes, 1)),
        ]
    return [
        *lines,
        f"deposit {amount_text(total, token)} into escrow, paid to the producer when you confirm "
        "receipt; credited back if you leave before the order closes or the part is not shipped by "
        "the delivery deadline",
        quotes[0].arbiter,
    ]


def request(c: Chain, part_path: Path, quantity: int, max_price: int, units: str, token: str) -> list[str]:
    part = _part(part_path, units)
    dims = part.chain_dims_um()
    deposit = price_wei(max_price, dims, quantity)
    return [
        f"request production of {part_path.name} x{quantity}: {build_space_mm3(dims, quantity):,} mm3 of "
        "build space (its bounding box x quantity) at most at the price you give",
        f"deposit {amount_text(deposit, token)} into escrow now; a producer who takes the request at a "
        "lower price credits the difference back to you",
    ]


def refund(c: Chain, order_id: int, job_id: int, what: str) -> list[str]:
    """A step that credits a job's whole deposit back to its customer (leave, evict, reclaim)."""
    deposit, token = _deposit(c, order_id, job_id)
    return [f"{what} job {job_id} of order {order_id}: its deposit of {amount_text(deposit, token)} is "
            "credited back to its customer"]


def cancel(c: Chain, order_id: int) -> list[str]:
    order = c.order(order_id)
    return [f"cancel order {order_id}: every joined job's deposit is credited back to its customer "
            f"(currency {currency(str(order.token))}); the order takes no more parts"]


def reject(c: Chain, order_id: int, job_id: int) -> list[str]:
    deposit, token = _deposit(c, order_id, job_id)
    fee = deposit * market_settings(c).reject_fee_bps // 10_000
    return [f"reject the model of job {job_id} of order {order_id}: {amount_text(fee, token)} (the reject "
            f"fee) is credited to you, {amount_text(deposit - fee, token)} back to the customer"]


def confirm(c: Chain, order_id: int, job_id: int) -> list[str]:
    deposit, token = _deposit(c, order_id, job_id)
    return [f"confirm receipt of job {job_id} of order {order_id}: its deposit of "
            f"{amount_text(deposit, token)} is credited to the producer; this cannot be undone"]


def dispute(c: Chain, order_id: int, job_id: int) -> list[str]:
    deposit, token = _deposit(c, order_id, job_id)
    return [f"dispute job {job_id} of order {order_id}: its deposit of {amount_text(deposit, token)} stays "
            "in escrow until the arbiter splits it (or, after the arbitration window, it is refunded "
            "to you in full); the producer can no longer finalize it"]


def resolve(c: Chain, order_id: int, job_id: int, to_producer: int) -> list[str]:
    deposit, token = _deposit(c, order_id, job_id)
    rest = max(0, deposit - to_producer)
    return [f"resolve the dispute over job {job_id} of order {order_id}: {amount_text(to_producer, token)} "
            f"to the producer, {amount_text(rest, token)} back to the customer; this is final"]


def withdraw(c: Chain, token: str = ZERO_ADDRESS) -> list[str]:
    amount = int(c.call(c.orders.credits, c.address, token))
    return [f"withdraw {amount_text(amount, token)} ({currency(token)}) to {c.address}"]
