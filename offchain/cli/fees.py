"""--max-fee and --priority-fee, taken by every command that sends a transaction: the fee
cap and tip per gas (``30``: gwei, or ``30gwei``, ``1000wei``) the sending path uses
(``offchain.chain.sending``) instead of the network's default (``PRODNET_MAX_FEE``,
``PRODNET_PRIORITY_FEE``) or the node's suggestion."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from offchain.config import ConfigError, fee_wei

F = TypeVar("F", bound=Callable[..., Any])


class Fee(click.ParamType):
    """A fee per gas: gwei by default, or with the unit gwei or wei."""

    name = "fee"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        try:
            return fee_wei(str(value), f"--{param.name.replace('_', '-')}" if param and param.name else "fee")
        except ConfigError as exc:
            self.fail(str(exc), param, ctx)


FEE = Fee()


def _use_cap(ctx: click.Context, param: click.Parameter, value: int | None) -> None:
    from offchain.chain import sending  # here: a command's start-up imports no node client

    sending.use_fees(max_fee=value)


def _use_tip(ctx: click.Context, param: click.Parameter, value: int | None) -> None:
    from offchain.chain import sending

    sending.use_fees(priority_fee=value)


def fee_options(func: F) -> F:
    """Add --max-fee and --priority-fee to a sending command (read before it runs)."""
    func = click.option(
        "--priority-fee", type=FEE, default=None, expose_value=False, callback=_use_tip,
        help="Tip per gas to the block's producer (gwei; default PRODNET_PRIORITY_FEE, else the node's)",
    )(func)
    return click.option(  # type: ignore[return-value]
        "--max-fee", type=FEE, default=None, expose_value=False, callback=_use_cap,
        help="Most paid per gas, base fee and tip (gwei; default PRODNET_MAX_FEE, else twice the base "
        "fee plus the tip); below the next block's base fee, nothing is sent",
    )(func)
