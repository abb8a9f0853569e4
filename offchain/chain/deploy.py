"""Deploy prodnet (Membership if permissioned, CapacityRegistry, ProductionOrders) and
manage members of a permissioned deployment."""

from __future__ import annotations

from typing import Any

from offchain.chain import deployments, evm
from offchain.chain.client import Chain, Step
from offchain.chain.codec import ZERO_ADDRESS, address_of, is_zero_address
from offchain.chain.errors import duration_text
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
#: The contract's bounds of its settings (ProductionOrders.MIN_WINDOW, MAX_WINDOW, MAX_LEAD_TIME).
MIN_WINDOW = 3600
MAX_WINDOW = 90 * DAY
MAX_LEAD_TIME = 365 * DAY
ROLES = ("producer", "customer", "arbiter")


class DeployError(ProdnetError):
    """A deployment or membership change cannot be done as asked."""


def settings_line(record: deployments.Deployment) -> str:
    """The deployment's market settings, as ``ape run deploy`` prints them."""
    return (
        f"confirmation window {duration_text(record.confirmation_window)}, arbitration window "
        f"{duration_text(record.arbitration_window)}, longest lead time {duration_text(record.max_lead_time)}"
    )


def _check_settings(settings: dict[str, int]) -> None:
    """Refuse, before anything is sent, a setting the contract's constructor would refuse."""
    bounds = {
        "confirmation window": MAX_WINDOW,
        "arbitration window": MAX_WINDOW,
        "longest lead time": MAX_LEAD_TIME,
    }
    for name, value in settings.items():
        if not MIN_WINDOW <= value <= bounds[name]:
            raise DeployError(
                f"the {name} must be between {duration_text(MIN_WINDOW)} and {duration_text(bounds[name])}, "
                f"not {duration_text(value)}"
            )


def deploy(
    account: Any,
    permissioned: bool,
    confirmation_window: int | None = None,
    redeploy: bool = False,
    actor: str = "",
    arbitration_window: int | None = None,
    max_lead_time: int | None = None,
) -> tuple[deployments.Deployment, list[Step]]:
    """Deploy the contracts once per chain; a second run reports the existing deployment.
    The contracts are built for the chain's EVM (offchain/chain/evm.py: London on the
    members' Clique network, Cancun elsewhere). The deploying account keeps the token
    allowlist (``allow_token``). Settings left None take their defaults (14d confirmation,
    7d arbitration, 90d lead time); one given that differs from an existing deployment's is
    refused unless REDEPLOY."""
    from ape import chain

    given = {
        "confirmation window": confirmation_window,
        "arbitration window": arbitration_window,
        "longest lead time": max_lead_time,
    }
    confirmation_window = DEFAULT_CONFIRMATION_WINDOW if confirmation_window is None else confirmation_window
    arbitration_window = DEFAULT_ARBITRATION_WINDOW if arbitration_window is None else arbitration_window
    max_lead_time = DEFAULT_MAX_LEAD_TIME if max_lead_time is None else max_lead_time
    _check_settings(
        {
            "confirmation window": confirmation_window,
            "arbitration window": arbitration_window,
            "longest lead time": max_lead_time,
        }
    )
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
            has = {
                "confirmation window": existing.confirmation_window,
                "arbitration window": existing.arbitration_window,
                "longest lead time": existing.max_lead_time,
            }
            for name, value in given.items():
                if value is not None and value != has[name]:
                    raise DeployError(
                        f"prodnet is already deployed here with the {name} {duration_text(has[name])}, "
                        f"not {duration_text(value)} (orders at {existing.orders}); pass --redeploy to "
                        "deploy a new, separate set of contracts with it"
                    )
            return existing, []
    actor = actor or getattr(account, "alias", None) or str(account.address)
    steps: list[Step] = []
    membership = None
    target = evm.target()
    if permissioned:
        membership = _deploy(steps, "deploy Membership", actor, account, evm.container("Membership", target),
                             account.address)
    gate = membership.address if membership else ZERO_ADDRESS
    registry = _deploy(steps, "deploy CapacityRegistry", actor, account,
                       evm.container("CapacityRegistry", target), gate)
    orders = _deploy(
        steps,
        "deploy ProductionOrders",
        actor,
        account,
        evm.container("ProductionOrders", target),
        registry.address,
        membership.address if membership else ZERO_ADDRESS,
        account.address,
        confirmation_window,
        arbitration_window,
        max_lead_time,
    )
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


def _deploy(steps: list[Step], step: str, actor: str, account: Any, container: Any, *args: Any) -> Any:
    """Deploy CONTAINER(*ARGS) as ACCOUNT through the sending path (fee caps, nonce lock,
    bounded wait: ``offchain.chain.sending``); the contract, its Step added to STEPS."""
    from ape import chain

    from offchain.chain import sending

    constructor = container.constructor

    def build(fields: dict[str, int]) -> Any:
        return account.prepare_transaction(constructor.serialize_transaction(*args, sender=account, **fields))

    call = sending.Call(None, bytes(constructor.serialize_transaction(*args).data), 0, build)
    tx_hash = sending.transact(account, call, step)
    if tx_hash is None:  # a creation has no "already done" check: never None
        raise DeployError(f"{step}: the transaction was dropped; run 'ape run deploy' again")
    receipt = chain.get_receipt(tx_hash)
    if receipt.failed or not receipt.contract_address:
        raise DeployError(f"{step}: transaction {tx_hash} failed; nothing was recorded")
    contract = container.at(receipt.contract_address)
    steps.append(
        Step(
            step,
            actor,
            f"{step.split()[-1]} at {contract.address}",
            tx_hash,
            int(receipt.gas_used),
            data={"block": int(receipt.block_number)},
        )
    )
    return contract


def allow_token(c: Chain, token: str, allowed: bool = True) -> Step:
    """The token admin (the deploying account) allows TOKEN for new orders, or stops allowing
    it (orders already open in it are not affected). ETH needs no allowing."""
    from ape import networks

    token = address_of(token, "token")
    if is_zero_address(token):
        raise DeployError("ETH (the zero address) is always allowed: the allowlist is for ERC-20 tokens")
    if allowed and not networks.provider.get_code(token):
        raise DeployError(f"{token} has no contract code on this chain: give the address of an ERC-20 token")
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
    return c.send(
        "tokens",
        c.orders.allowToken,
        token,
        allowed,
        summary=f"{token} is {verb}",
        still_needed=lambda: bool(c.orders.tokenAllowed(token)) != allowed,
    )


def allowed_tokens(c: Chain) -> list[tuple[str, bool]]:
    """Every token the allowlist ever named, oldest first, and whether it is allowed now."""
    seen: dict[str, None] = {}
    for log in c.events("TokenAllowed"):
        seen[str(log.token)] = None
    return [(token, bool(c.call(c.orders.tokenAllowed, token))) for token in seen]


def _role_id(c: Chain, role: str) -> bytes:
    if role not in ROLES:
        raise DeployError(f"unknown role {role!r}: use {', '.join(ROLES[:-1])} or {ROLES[-1]}")
    getter = {
        "producer": c.membership.PRODUCER_ROLE,
        "customer": c.membership.CUSTOMER_ROLE,
        "arbiter": c.membership.ARBITER_ROLE,
    }[role]
    return bytes(getter())


def _a(role: str) -> str:
    return f"an {role}" if role[0] in "aeiou" else f"a {role}"


def _require_permissioned(c: Chain, role: str) -> None:
    if c.membership is None:
        if role == "arbiter":
            raise DeployError(
                "this deployment is public (no Membership contract): each order names its own arbiter "
                "('ape run order arbiter ORDER ADDRESS', by its producer before anyone joins)"
            )
        raise DeployError("this deployment is public (no Membership contract): anyone may take part")


def add_member(c: Chain, address: str, role: str) -> Step:
    """The admin grants ADDRESS the producer, customer or arbiter role."""
    address = address_of(address)
    _require_permissioned(c, role)
    role_id = _role_id(c, role)
    if c.membership.hasRole(role_id, address):
        return Step("members add", c.actor, f"{address} already has the {role} role", already_done=True)
    return c.send(
        "members add",
        c.membership.grantRole,
        role_id,
        address,
        summary=f"{address} is now {_a(role)}",
        still_needed=lambda: not c.membership.hasRole(role_id, address),
    )


def remove_member(c: Chain, address: str, role: str) -> Step:
    """The admin revokes ADDRESS's producer, customer or arbiter role."""
    address = address_of(address)
    _require_permissioned(c, role)
    role_id = _role_id(c, role)
    if not c.membership.hasRole(role_id, address):
        return Step("members remove", c.actor, f"{address} does not have the {role} role", already_done=True)
    return c.send(
        "members remove",
        c.membership.revokeRole,
        role_id,
        address,
        summary=f"{address} is no longer {_a(role)}",
        still_needed=lambda: bool(c.membership.hasRole(role_id, address)),
    )


__all__ = [
    "add_member",
    "allow_token",
    "allowed_tokens",
    "contracts_of",
    "deploy",
    "remove_member",
    "settings_line",
]
