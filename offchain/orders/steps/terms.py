"""An order's terms, checked before anything is sent: its window, its token and its
arbiter, and who resolves its disputes."""

from __future__ import annotations

from offchain.chain.client import Chain, pending_timestamp
from offchain.chain.codec import ZERO_ADDRESS, address_of, is_zero_address
from offchain.chain.errors import describe as describe_refusal
from offchain.chain.errors import duration_text
from offchain.chain.session import has_code
from offchain.formats import format_time
from offchain.orders.indexed import market_settings
from offchain.orders.report import MEMBER_ARBITERS, NO_ARBITER
from offchain.orders.rules import same_address
from offchain.orders.steps.base import StepError


def _check_window(c: Chain, start: int, end: int, deadline: int) -> None:
    """The contract's window rule, refused before sending: start < end, end in the future,
    end < delivery <= end + the deployment's longest lead time."""
    times = f"start {format_time(start)}, end {format_time(end)}, delivery {format_time(deadline)}"
    if not start < end < deadline or end <= pending_timestamp():
        raise StepError(
            f"the window must start before it ends, end in the future, and end before delivery: {times}"
        )
    lead = market_settings(c).max_lead_time
    if deadline - end > lead:
        raise StepError(
            f"delivery {format_time(deadline)} is {duration_text(deadline - end)} after the window ends "
            f"({format_time(end)}); this deployment allows at most {duration_text(lead)}: deliver by "
            f"{format_time(end + lead)}"
        )


def _check_token(c: Chain, token: str) -> str:
    """TOKEN checksummed, if it is ETH (the zero address) or an ERC-20 on the deployment's
    allowlist; a clear refusal otherwise, before anything is sent."""
    token = address_of(token, "token")
    if is_zero_address(token):
        return ZERO_ADDRESS
    if not has_code(token):
        raise StepError(
            f"{token} has no contract code on this chain: give an ERC-20 token address "
            "(or leave out --token to be paid in ETH)"
        )
    if not bool(c.call(c.orders.tokenAllowed, token)):
        raise StepError(
            f"{token} is not on this deployment's token allowlist: pay in ETH (leave out --token), or ask "
            f"the token admin to run 'ape run tokens allow {token}'"
        )
    return token


def _check_arbiter(c: Chain, arbiter: str | None) -> str:
    """ARBITER checksummed (the zero address: none), if the contract will accept it from this
    account at open or request: none at all in a permissioned deployment (its arbiters are the
    members with the arbiter role), never the account itself. Refused before anything is sent,
    with the sentence of the contract's own refusal (CannotNameArbiter)."""
    if arbiter is None:
        return ZERO_ADDRESS
    arbiter = address_of(arbiter, "arbiter")
    if is_zero_address(arbiter):
        return ZERO_ADDRESS
    me = c.address
    rule = describe_refusal("CannotNameArbiter", {"caller": me, "arbiter": arbiter})
    if c.membership is not None:
        raise StepError(
            f"{rule}; this deployment is permissioned: its disputes go to the members with the arbiter "
            "role (the admin adds one with 'ape run members add ADDRESS arbiter'), so leave out --arbiter"
        )
    if same_address(arbiter, me):
        raise StepError(f"{rule}; name another account, or none (leave out --arbiter)")
    return arbiter


def arbiter_terms(c: Chain, order_id: int) -> str:
    """Who resolves ORDER_ID's disputes, as the chain has it: a term of the order fixed when it
    was opened or requested, which a join (or a take) accepts as it is."""
    if c.membership is not None:
        return MEMBER_ARBITERS
    arbiter = str(c.call(c.orders.arbiterOf, order_id))
    if is_zero_address(arbiter):
        return NO_ARBITER
    return f"arbiter {arbiter} resolves its disputes"


def _named_arbiter_text(c: Chain, arbiter: str) -> str:
    """The arbiter part of an open or request summary ('' in a permissioned deployment)."""
    if c.membership is not None:
        return ""
    return NO_ARBITER if is_zero_address(arbiter) else f"arbiter {arbiter}"
