"""Bind the connected Ape provider and an account to prodnet's deployment on that chain."""

from __future__ import annotations

import os
from typing import Any

from offchain.chain.client import Chain
from offchain.chain.deployments import Deployment, load
from offchain.errors import ProdnetError


class AccountError(ProdnetError):
    """The account cannot sign (locked keyfile without a passphrase, wrong passphrase)."""


def network_choice() -> str:
    from ape import networks

    network = networks.provider.network
    return f"{network.ecosystem.name}:{network.name}"


def node_url() -> str:
    """The HTTP URL of the connected node (what the fast read path talks to)."""
    from ape import networks

    return str(networks.provider.uri)


def has_code(address: str) -> bool:
    from ape import networks

    return len(networks.provider.get_code(address)) > 0


def prepare_account(account: Any) -> Any:
    """Unlock a keyfile account non-interactively when APE_ACCOUNTS_<alias>_PASSPHRASE is set."""
    from ape_accounts import KeyfileAccount

    if isinstance(account, KeyfileAccount):
        passphrase = os.environ.get(f"APE_ACCOUNTS_{account.alias}_PASSPHRASE")
        if passphrase is None:
            if not os.isatty(0):
                raise AccountError(
                    f"account '{account.alias}' is locked and there is no terminal to ask for its "
                    f"passphrase: set APE_ACCOUNTS_{account.alias}_PASSPHRASE"
                )
            return account
        from ape.logging import logger

        try:
            with logger.at_level("ERROR"):  # the passphrase came from the environment on purpose
                account.set_autosign(True, passphrase=passphrase)
        except Exception as exc:
            raise AccountError(f"cannot unlock account '{account.alias}': {exc}") from None
    return account


def contracts_of(deployment: Deployment) -> tuple[Any, Any, Any | None]:
    from ape import project

    registry = project.CapacityRegistry.at(deployment.registry)
    orders = project.ProductionOrders.at(deployment.orders)
    membership = project.Membership.at(deployment.membership) if deployment.membership else None
    return registry, orders, membership


def current_deployment() -> Deployment:
    from ape import chain

    return load(int(chain.chain_id), network_choice(), has_code)


def open_chain(account: Any | None, actor: str = "", unlock: bool = True) -> Chain:
    """The prodnet contracts on the connected chain, acted on by ACCOUNT (None: reads only).
    UNLOCK=False takes the account as it is (the caller unlocked it, or it only reads)."""
    deployment = current_deployment()
    registry, orders, membership = contracts_of(deployment)
    signer = prepare_account(account) if account is not None and unlock else account
    return Chain(deployment, registry, orders, membership, signer, actor)
