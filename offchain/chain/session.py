"""Bind the connected Ape provider and an account to prodnet's deployment on that chain."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from offchain.chain import evm
from offchain.chain.client import Chain
from offchain.chain.deployments import Deployment, load
from offchain.errors import ProdnetError


class AccountError(ProdnetError):
    """The account cannot sign (locked keyfile without a passphrase, wrong passphrase)."""


#: A Clique block's extraData holds 32 vanity bytes and a 65-byte seal: more than the 32
#: bytes web3 allows by default.
_MAX_PLAIN_EXTRA_DATA = 32


def _zero_tip_middleware() -> Any:
    """web3 middleware answering the fee questions with 0 (the members' network charges none)."""
    from web3.middleware import Web3Middleware

    class ZeroTip(Web3Middleware):
        def wrap_make_request(self, make_request: Callable[..., Any]) -> Callable[..., Any]:
            def middleware(method: str, params: Any) -> Any:
                if method in ("eth_maxPriorityFeePerGas", "eth_gasPrice"):
                    return {"jsonrpc": "2.0", "id": 0, "result": "0x0"}
                return make_request(method, params)

            return middleware

    return ZeroTip


def adapt_provider() -> None:
    """Fit web3 to the connected node, once per connection. A proof-of-authority chain (its
    blocks' extraData longer than 32 bytes: Clique's seal) gets web3's
    ExtraDataToPOAMiddleware, which Ape 0.8 does not add on an existing node; if its base
    fee is 0 too (the members' network, ``offchain/devtools/network.py``), transactions are
    sent with a zero tip, so they cost nothing. Anvil and public chains are left as they are."""
    from ape import networks
    from web3.middleware import ExtraDataToPOAMiddleware

    provider = networks.provider
    web3 = getattr(provider, "_web3", None)
    if web3 is None or getattr(web3, "_prodnet_adapted", False):
        return
    block = web3.provider.make_request("eth_getBlockByNumber", ["latest", False]).get("result") or {}
    extra = str(block.get("extraData") or "0x")
    poa = (len(extra) - 2) // 2 > _MAX_PLAIN_EXTRA_DATA
    if poa and ExtraDataToPOAMiddleware not in web3.middleware_onion:
        web3.middleware_onion.inject(ExtraDataToPOAMiddleware, layer=0)
    if poa and int(str(block.get("baseFeePerGas") or "0x1"), 16) == 0:
        web3.middleware_onion.add(_zero_tip_middleware(), name="prodnet_zero_tip")
    web3._prodnet_poa = poa
    web3._prodnet_adapted = True


def is_poa() -> bool:
    """Whether the connected chain is proof-of-authority (Clique), as adapt_provider found."""
    from ape import networks

    adapt_provider()
    return bool(getattr(getattr(networks.provider, "_web3", None), "_prodnet_poa", False))


@contextmanager
def using_node(url: str) -> Iterator[Any]:
    """Connect Ape's node provider of the current network to URL inside the block (another
    node of the same chain: a company's own node), then return to the previous provider."""
    from ape import networks

    network = networks.provider.network
    with network.use_provider("node", provider_settings={"uri": url}) as provider:
        adapt_provider()
        yield provider
    adapt_provider()


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

    adapt_provider()
    registry = project.CapacityRegistry.at(deployment.registry)
    orders = evm.market(deployment.orders)
    membership = project.Membership.at(deployment.membership) if deployment.membership else None
    return registry, orders, membership


def current_deployment() -> Deployment:
    from ape import chain

    adapt_provider()
    return load(int(chain.chain_id), network_choice(), has_code)


def open_chain(account: Any | None, actor: str = "", unlock: bool = True) -> Chain:
    """The prodnet contracts on the connected chain, acted on by ACCOUNT (None: reads only).
    UNLOCK=False takes the account as it is (the caller unlocked it, or it only reads)."""
    deployment = current_deployment()
    registry, orders, membership = contracts_of(deployment)
    signer = prepare_account(account) if account is not None and unlock else account
    return Chain(deployment, registry, orders, membership, signer, actor)
