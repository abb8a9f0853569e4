"""The deployed contracts as seen by one operator: reads, sends, events and published keys.

Everything here goes through Ape (the connected provider and the given account).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from offchain import chainerrors, crypto
from offchain.deployments import Deployment
from offchain.errors import ProdnetError

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


class KeyLookupError(ProdnetError):
    """A participant's OpenPGP key could not be found on chain or does not match its fingerprint."""


@dataclass
class Step:
    """One order step as it happened: who did what, in which transaction, for how much gas."""

    step: str
    actor: str
    summary: str
    tx_hash: str | None = None
    gas_used: int | None = None
    already_done: bool = False
    data: dict[str, Any] = field(default_factory=dict)

    def line(self) -> str:
        if self.already_done:
            return f"{self.step}: already done: {self.summary}"
        tx = f" (tx {self.tx_hash}, gas {self.gas_used:,})" if self.tx_hash else ""
        return f"{self.step}: {self.summary}{tx}"


@dataclass
class Chain:
    """The contracts of one deployment and the account that acts on them."""

    deployment: Deployment
    registry: Any
    orders: Any
    membership: Any | None
    account: Any
    actor: str = ""

    def __post_init__(self) -> None:
        if not self.actor:
            self.actor = getattr(self.account, "alias", None) or str(self.account.address)

    # -- sending -------------------------------------------------------------------
    def send(self, step: str, method: Callable[..., Any], *args: Any, summary: str, value: int = 0) -> Step:
        """Send one transaction; contract refusals become ChainError sentences."""
        kwargs: dict[str, Any] = {"sender": self.account}
        if value:
            kwargs["value"] = value
        try:
            receipt = method(*args, **kwargs)
        except Exception as exc:
            revert = self.revert_data(method, args, value)
            decoded = chainerrors.from_exception(exc, self.error_abis(), revert)
            if decoded is None:
                raise
            raise decoded from None
        return Step(
            step=step,
            actor=self.actor,
            summary=summary,
            tx_hash=str(receipt.txn_hash),
            gas_used=int(receipt.gas_used),
            data={"receipt": receipt},
        )

    def call(self, method: Callable[..., Any], *args: Any) -> Any:
        """A read; a contract refusal (unknown order, ...) becomes a ChainError sentence."""
        try:
            return method(*args, skip_trace=True)
        except Exception as exc:
            decoded = chainerrors.from_exception(exc, self.error_abis(), self.revert_data(method, args))
            if decoded is None:
                raise
            raise decoded from None

    def error_abis(self) -> list[Any]:
        """Every custom error the deployment's contracts declare."""
        contracts = [self.orders, self.registry, self.membership]
        return [e for c in contracts if c is not None for e in c.contract_type.errors]

    def revert_data(self, method: Any, args: tuple[Any, ...], value: int = 0) -> bytes | None:
        """The raw revert data of calling METHOD(*ARGS) as this account, asked from the node
        directly (None if the call does not revert with data, or cannot be re-made)."""
        from ape import networks

        try:
            call = {
                "from": self.address,
                "to": method.contract.address,
                "data": method.encode_input(*args),
                "value": value,
            }
            networks.provider.web3.eth.call(call)
        except Exception as exc:
            data = getattr(exc, "data", None)
            if isinstance(data, str) and data.startswith("0x"):
                return bytes.fromhex(data[2:])
            if isinstance(data, bytes):
                return data
        return None

    def event_arg(self, step: Step, event: str, arg: str) -> int:
        """ARG of EVENT emitted by STEP's own transaction (not a later count that another
        transaction in the same block could have moved)."""
        contract = self.registry if event == "MachineRegistered" else self.orders
        logs = getattr(contract, event).from_receipt(step.data["receipt"])
        if not logs:
            raise ProdnetError(f"transaction {step.tx_hash} emitted no {event} event")
        return int(getattr(logs[0], arg))

    # -- reads ---------------------------------------------------------------------
    @property
    def address(self) -> str:
        return str(self.account.address)

    def order(self, order_id: int) -> Any:
        return self.call(self.orders.getOrder, order_id)

    def job(self, order_id: int, job_id: int) -> Any:
        return self.call(self.orders.getJob, order_id, job_id)

    def events(self, name: str, **topics: Any) -> Iterator[Any]:
        """Logs of event NAME of the orders contract (or registry), oldest first."""
        from ape import chain

        contract = self.registry if name in ("KeyPublished", "MachineRegistered") else self.orders
        event = getattr(contract, name)
        stop = chain.blocks.height
        yield from event.range(self.deployment.block, stop + 1, search_topics=topics or None)

    def published_key(self, account: str) -> Any:
        """ACCOUNT's current OpenPGP public key, from the KeyPublished logs, checked against
        the fingerprint the registry stores."""
        stored = bytes(self.call(self.registry.fingerprintOf, account))
        if not any(stored):
            raise KeyLookupError(
                f"{account} has not published an OpenPGP key: it must run "
                "'ape run order register-key PUB.asc' first"
            )
        logs = list(self.events("KeyPublished", account=account))
        for log in reversed(logs):
            if bytes(log.fingerprint) != stored:
                continue
            key = crypto.import_key(bytes(log.armoredKey), source=f"the key {account} published")
            if crypto.fingerprint_bytes32(key) != stored:
                raise KeyLookupError(
                    f"the key {account} published does not match its registered fingerprint "
                    f"0x{stored.hex()[:40]}: refusing to use it"
                )
            return key
        raise KeyLookupError(
            f"no KeyPublished log of {account} matches its registered fingerprint 0x{stored.hex()[:40]}"
        )
