"""The deployed contracts as seen by one operator: reads, sends, events and published keys.

The client knows nothing of OpenPGP: it hands out the armored keys the registry's logs
carry, and ``offchain.orders.steps.published_key`` reads and checks them.

Everything here goes through Ape (the connected provider and the given account).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from offchain.chain import errors as chainerrors
from offchain.chain.deployments import Deployment
from offchain.errors import ProdnetError


def pending_timestamp() -> int:
    """The timestamp the next block will have (what the contracts compare times with)."""
    from ape import chain

    return int(chain.pending_timestamp)


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
        if not self.actor and self.account is not None:
            self.actor = getattr(self.account, "alias", None) or str(self.account.address)

    # -- what the market index reads the deployment with (as light.IndexReader has them) --
    @property
    def url(self) -> str:
        """The connected node's HTTP URL."""
        from offchain.chain.session import node_url

        return node_url()

    @property
    def abis(self) -> list[dict[str, Any]]:
        """The registry's and the market's ABIs."""
        from offchain.chain.abi import abi_of

        return abi_of(self.registry) + abi_of(self.orders)

    # -- sending -------------------------------------------------------------------
    def send(
        self,
        step: str,
        method: Callable[..., Any],
        *args: Any,
        summary: str,
        value: int = 0,
        still_needed: Callable[[], bool] | None = None,
    ) -> Step:
        """Send one transaction through the sending path (``offchain.chain.sending``: fee caps,
        the nonce lock, a bounded wait, one re-send of a dropped transaction if STILL_NEEDED(),
        the step's "already done" check, says so); contract refusals become ChainError
        sentences."""
        from offchain.chain import sending

        kwargs: dict[str, Any] = {"sender": self.account}
        if value:
            kwargs["value"] = value

        def build(fields: dict[str, int]) -> Any:
            return method.as_transaction(*args, **kwargs, **fields)  # type: ignore[attr-defined]

        try:
            to = str(method.contract.address)  # type: ignore[attr-defined]
            call = sending.Call(to, bytes(method.encode_input(*args)), value, build)  # type: ignore[attr-defined]
            tx_hash = sending.transact(self.account, call, step, still_needed)
        except ProdnetError:
            raise
        except Exception as exc:
            revert = self.revert_data(method, args, value)
            decoded = chainerrors.from_exception(exc, self.error_abis(), revert)
            if decoded is None:
                raise
            raise decoded from None
        if tx_hash is None:
            done = f"{summary} (done meanwhile by another transaction)"
            return Step(step, self.actor, done, already_done=True)
        return self.mined(step, tx_hash, summary, method, args, value)

    def mined(
        self, step: str, tx_hash: str, summary: str, method: Any, args: tuple[Any, ...], value: int
    ) -> Step:
        """The Step of mined transaction TX_HASH; a reverted one is the contract's refusal."""
        from ape import chain

        receipt = chain.get_receipt(tx_hash)
        if receipt.failed:  # sent unestimated (a local network's fixed gas limit): the refusal
            revert = self.revert_data(method, args, value) or b""
            decoded = chainerrors.decode_revert(revert, self.error_abis())
            if decoded is None:
                raise chainerrors.ChainError(f"{step}: transaction {tx_hash} reverted without a reason")
            raise chainerrors.ChainError(chainerrors.describe(*decoded), *decoded)
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
        if self.account is None:
            raise ProdnetError(
                "this step sends a transaction: choose the account that signs it with --account"
            )
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

    def published_keys(self, account: str) -> tuple[bytes, list[bytes]]:
        """ACCOUNT's registered fingerprint (32 bytes, zero if none) and the armored keys of
        its KeyPublished logs whose fingerprint matches it, newest first."""
        stored = bytes(self.call(self.registry.fingerprintOf, account))
        if not any(stored):
            return stored, []
        logs = list(self.events("KeyPublished", account=account))
        return stored, [bytes(log.armoredKey) for log in reversed(logs) if bytes(log.fingerprint) == stored]
