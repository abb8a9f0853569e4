"""Deploy prodnet (Membership if permissioned, CapacityRegistry, ProductionOrders) and
manage members of a permissioned deployment."""

from __future__ import annotations

from typing import Any

from offchain.chain import deployments, evm
from offchain.chain.client import Chain, Step
from offchain.chain.codec import ZERO_ADDRESS
from offchain.chain.session import (
    adapt_provider,
    contracts_of,
    current_deployment,
    network_choice,
    prepare_account,
)
from offchain.errors import ProdnetError

DAY = 24 * 3600
DEFAULT_CONFIRMATION_WINDOW = 14 * DAY
DEFAULT_ARBITRATION_WINDOW = 7 * DAY
DEFAULT_MAX_LEAD_TIME = 90 * DAY
ROLES = ("producer", "customer")


class DeployError(ProdnetError):
    """A deployment or membership change cannot be done as asked."""


def deploy(
    account: Any,
    permissioned: bool,
    confirmation_window: int = DEFAULT_CONFIRMATION_WINDOW,
    redeploy: bool = False,
    actor: str = "",
    arbitration_window: int = DEFAULT_ARBITRATION_WINDOW,
    max_lead_time: int = DEFAULT_MAX_LEAD_TIME,
) -> tuple[deployments.Deployment, list[Step]]:
    """Deploy the contracts once per chain; a second run reports the existing deployment.
    The contracts are built for the chain's EVM (offchain/chain/evm.py: London on the
    members' Clique network, Cancun elsewhere). The deploying account keeps the token
    allowlist (``allow_token``)."""
    from ape import chain

    adapt_provider()
    account = prepare_account(account)
    if not redeploy:
        try:
            existing = current_deployment()
        except deployments.NotDeployedError:
            existing = None
        if existing is not None:
            if existing.permissioned != permissioned:
                mode = "permissioned" if existing.permissioned else "public"
                raise DeployError(
                    f"prodnet is already deployed here in {mode} mode (orders at {existing.orders}); "
                    "pass --redeploy to deploy a new, separate set of contracts"
                )
            return existing, []
    actor = actor or getattr(account, "alias", None) or str(account.address)
    steps: list[Step] = []
    membership = None
    target = evm.target()
    if permissioned:
        membership = account.deploy(evm.container("Membership", target), account.address)
        steps.append(_deployed("deploy Membership", actor, membership))
    gate = membership.address if membership else ZERO_ADDRESS
    registry = account.deploy(evm.container("CapacityRegistry", target), gate)
    steps.append(_deployed("deploy CapacityRegistry", actor, registry))
    orders = account.deploy(
        evm.container("ProductionOrders", target),
        registry.address,
        membership.address if membership else ZERO_ADDRESS,
        account.address,
        confirmation_window,
        arbitration_window,
        max_lead_time,
    )
    steps.append(_deployed("deploy ProductionOrders", actor, orders))
    first_block = min(int(s.data["block"]) for s in steps)
    record = deployments.Deployment(
        network=network_choice(),
        chain_id=int(chain.chain_id),
        registry=str(registry.address),
        orders=str(orders.address),
        membership=str(membership.address) if membership else None,
        deployer=str(account.address),
        block=first_block,
        confirmation_window=confirmation_window,
        arbitration_window=arbitration_window,
        max_lead_time=max_lead_time,
    )
    deployments.save(record)
    return record, steps


def _deployed(step: str, actor: str, contract: Any) -> Step:
    from ape import chain

    receipt = chain.get_receipt(str(contract.txn_hash))
    return Step(
        step,
        actor,
        f"{step.split()[-1]} at {contract.address}",
        str(receipt.txn_hash),
        int(receipt.gas_used),
        data={"block": int(receipt.block_number)},
    )


def allow_token(c: Chain, token: str, allowed: bool = True) -> Step:
    """The token admin (the deploying account) allows TOKEN for new orders, or stops allowing it."""
    admin = str(c.orders.tokenAdmin())
    if admin.lower() != c.address.lower():
        raise DeployError(
            f"only the token admin {admin} (the account that deployed prodnet) may change the token "
            f"allowlist; {c.address} is not it"
        )
    if bool(c.orders.tokenAllowed(token)) == allowed:
        state = "already allowed" if allowed else "not allowed"
        return Step("tokens", c.actor, f"{token} is {state}", already_done=True)
    verb = "allowed for new orders" if allowed else "no longer allowed for new orders"
    return c.send("tokens", c.orders.allowToken, token, allowed, summary=f"{token} is {verb}")


def _role_id(c: Chain, role: str) -> bytes:
    if role not in ROLES:
        raise DeployError(f"unknown role {role!r}: use producer or customer")
    return bytes(c.membership.PRODUCER_ROLE() if role == "producer" else c.membership.CUSTOMER_ROLE())


def _require_permissioned(c: Chain) -> None:
    if c.membership is None:
        raise DeployError("this deployment is public (no Membership contract): anyone may take part")


def add_member(c: Chain, address: str, role: str) -> Step:
    _require_permissioned(c)
    role_id = _role_id(c, role)
    if c.membership.hasRole(role_id, address):
        return Step("members add", c.actor, f"{address} already has the {role} role", already_done=True)
    return c.send(
        "members add", c.membership.grantRole, role_id, address, summary=f"{address} is now a {role}"
    )


def remove_member(c: Chain, address: str, role: str) -> Step:
    _require_permissioned(c)
    role_id = _role_id(c, role)
    if not c.membership.hasRole(role_id, address):
        return Step("members remove", c.actor, f"{address} does not have the {role} role", already_done=True)
    return c.send(
        "members remove",
        c.membership.revokeRole,
        role_id,
        address,
        summary=f"{address} is no longer a {role}",
    )


__all__ = ["add_member", "allow_token", "contracts_of", "deploy", "remove_member"]
