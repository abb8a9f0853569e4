"""Payments: approving an ERC-20 deposit, withdrawing the account's credit."""

from __future__ import annotations

from offchain.chain.client import Chain, Step
from offchain.chain.codec import ZERO_ADDRESS, address_of, currency
from offchain.formats import format_amount
from offchain.orders.steps.base import StepError, _send


def _approve(c: Chain, token: str, amount: int) -> None:
    from ape import Contract

    erc20 = Contract(token)
    if int(erc20.allowance(c.address, c.orders.address)) < amount:
        c.send("approve", erc20.approve, c.orders.address, amount, summary=f"approve {amount}")


def withdraw(c: Chain, token: str = ZERO_ADDRESS) -> Step:
    """Send the account's credit in TOKEN (ETH by default) to it; the amount is read from the
    chain (every step that credits, rejects and disputes included, counts at once)."""
    token = address_of(token, "token")
    amount = int(c.call(c.orders.credits, c.address, token))
    if amount == 0:
        raise StepError(f"{c.address} has nothing to withdraw in {currency(token)}")
    return _send(
        c,
        "withdraw",
        c.orders.withdraw,
        token,
        summary=f"{format_amount(amount)} ({currency(token)}) sent to {c.address}",
    )
