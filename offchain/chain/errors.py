"""Turn the contracts' custom errors (and node errors) into sentences an operator can act on."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from offchain.chain.codec import JOB_STATUS, ORDER_STATUS, label, untext16
from offchain.errors import ProdnetError
from offchain.formats import dims_mm, format_amount, format_duration, format_time


def _role_names() -> dict[str, str]:
    from eth_utils import keccak

    return {
        "00" * 32: "admin",
        keccak(text="PRODUCER_ROLE").hex(): "producer",
        keccak(text="CUSTOMER_ROLE").hex(): "customer",
        keccak(text="ARBITER_ROLE").hex(): "arbiter",
        keccak(text="ANY_PARTICIPANT").hex(): "producer or customer",
    }


class ChainError(ProdnetError):
    """The chain refused a step; the message says why in the operator's terms."""

    def __init__(self, message: str, name: str | None = None, inputs: Mapping[str, Any] | None = None):
        super().__init__(message)
        self.name = name
        self.inputs = dict(inputs or {})


def _role(value: Any) -> str:
    key = value.hex() if isinstance(value, bytes) else str(value)
    key = key.removeprefix("0x").lower()
    return _role_names().get(key, f"0x{key[:8]}…")


#: The key of a status error's inputs that says what the refused step needs, when the caller
#: knows the step (``offchain.orders.rules``): it replaces the generic "needs another state".
NEEDS = "needs"

_TEMPLATES: dict[str, Callable[[dict[str, Any]], str]] = {
    "OrderNotFound": lambda a: f"order {a['orderId']} does not exist",
    "JobNotFound": lambda a: (
        f"order {a['orderId']} has no job {a['jobId']} ('ape run order status {a['orderId']}' lists its jobs)"
    ),
    "NotOrderProducer": lambda a: (
        f"{a['caller']} is not the producer of order {a['orderId']} "
        "(anyone else may only close it after its window has ended)"
    ),
    "NotJobCustomer": lambda a: (
        f"{a['caller']} is not the customer of job {a['jobId']} of order {a['orderId']}"
    ),
    "NotMachineOwner": lambda a: f"machine {a['machineId']} does not exist or is not {a['caller']}'s",
    "WrongOrderStatus": lambda a: (
        f"order {a['orderId']} is {label(ORDER_STATUS, a['status'])}; "
        + (a.get(NEEDS) or "this step needs another state")
    ),
    "WrongJobStatus": lambda a: (
        f"job {a['jobId']} of order {a['orderId']} is {label(JOB_STATUS, a['status'])}"
        + (f"; {a[NEEDS]}" if a.get(NEEDS) else
           f"{_job_state_hint(a['status'])}; this step needs the job in another state")
    ),
    "InvalidWindow": lambda a: (
        f"invalid window: start {format_time(a['start'])}, end {format_time(a['end'])}, delivery "
        f"{format_time(a['deadline'])} (needs start < end, end in the future, delivery after the end "
        f"and at most this deployment's longest lead time, {format_duration(a['maxLeadTime'])}, after it)"
    ),
    "InvalidCapacity": lambda a: (
        f"capacity {a['capacity']} mm3 is out of range: it must be between {a['min']} and "
        f"{a['max']} mm3 (the envelope's volume)"
    ),
    "InvalidPart": lambda a: (
        f"invalid part: dimensions {dims_mm(a['dims'])}, volume {a['partVolume']} mm3, quantity "
        f"{a['quantity']} (all must be > 0 and the volume at most the bounding box)"
    ),
    "EnvelopeTooLarge": lambda a: (
        f"the envelope {dims_mm(a['envelope'])} does not fit the machine's {dims_mm(a['machineEnvelope'])}"
    ),
    "DoesNotFit": lambda a: (
        f"the part ({dims_mm(a['dims'])}) does not fit the order's envelope ({dims_mm(a['envelope'])}) "
        "in any orientation"
    ),
    "NoSpaceLeft": lambda a: (
        f"order {a['orderId']} has {a['left']} mm3 of build space left; this part needs {a['needed']} mm3"
    ),
    "WindowNotStarted": lambda a: (
        f"order {a['orderId']} takes parts from {format_time(a['start'])}; it has not started yet"
    ),
    "WindowOver": lambda a: (
        f"order {a['orderId']} is closed; it stopped taking parts at {format_time(a['end'])}"
    ),
    "TooManyJobs": lambda a: (
        f"order {a['orderId']} takes no more jobs: it has reached its limit of {a['max']} "
        "(the live jobs an order holds at a time, or the job ids it ever gives out); join another order"
    ),
    "MaterialMismatch": lambda a: (
        f"material mismatch: requested {_text(a['requested'])}, the machine prints {_text(a['machine'])}"
    ),
    "PriceAboveMax": lambda a: (
        f"price {a['price']} per cm3 is above the customer's maximum of {a['maxPrice']} per cm3 "
        "(base units of the order's currency)"
    ),
    "WrongPayment": lambda a: f"wrong payment: expected {a['expected']} (base units), got {a['got']}",
    "EmptyModel": lambda a: "a model needs a non-zero sha256 digest and a non-empty URI",
    "EmptyAssembly": lambda a: "an assembly needs at least one part (and one model at least one job)",
    "AlreadyShipped": lambda a: (
        f"order {a['orderId']} cannot be cancelled: job {a['jobId']} has already been shipped"
    ),
    "DeliveryDeadlinePassed": lambda a: (
        f"too late: order {a['orderId']}'s delivery deadline was {format_time(a['deadline'])}"
    ),
    "DeliveryDeadlineNotPassed": lambda a: (
        f"too early: order {a['orderId']}'s delivery deadline is {format_time(a['deadline'])}; "
        "the deposit can be reclaimed only after it"
    ),
    "ConfirmationWindowOpen": lambda a: (
        f"the customer may confirm (or dispute) job {a['jobId']} of order {a['orderId']} until "
        f"{format_time(a['until'])}; finalize after that"
    ),
    "NothingToWithdraw": lambda a: f"{a['account']} has nothing to withdraw in this currency",
    "ModelReceived": lambda a: (
        f"order {a['orderId']} cannot be cancelled: job {a['jobId']} has a submitted model; reject it "
        f"('ape run order reject {a['orderId']} {a['jobId']}') or ship it"
    ),
    "InvalidReason": lambda a: (
        f"a dispute needs a reason for the arbiter of 1 to {a['max']} bytes; this one has {a['length']}"
    ),
    "ConfirmationWindowOver": lambda a: (
        f"job {a['jobId']} of order {a['orderId']} can no longer be disputed: its confirmation window "
        f"ended at {format_time(a['until'])} (the producer may finalize it now)"
    ),
    "ArbitrationWindowOpen": lambda a: (
        f"the arbiter may resolve the dispute over job {a['jobId']} of order {a['orderId']} until "
        f"{format_time(a['until'])}; it can be settled (a full refund to the customer) only after that"
    ),
    "NotArbiter": lambda a: (
        f"{a['caller']} is not the arbiter of order {a['orderId']}: only its arbiter (the address the "
        "order named in a public deployment, a member with the arbiter role in a permissioned one), "
        "never the producer or the job's customer, may resolve its disputes"
    ),
    "SplitTooLarge": lambda a: (
        f"the split gives the producer {a['toProducer']} (base units), more than the job's deposit of "
        f"{a['deposit']}: give at most {a['deposit']}, the rest goes back to the customer"
    ),
    "CannotNameArbiter": lambda a: (
        f"{a['arbiter']} cannot be named the arbiter: an arbiter is named when the order is opened or "
        f"requested, in public mode only, and must be another account than yours ({a['caller']})"
    ),
    "TokenNotAllowed": lambda a: (
        f"{a['token']} is not on this deployment's token allowlist: pay in ETH (leave out --token), or "
        f"ask the token admin to run 'ape run tokens allow {a['token']}'"
    ),
    "NotTokenAdmin": lambda a: (
        f"{a['caller']} is not the token admin: only the account that deployed prodnet may change the "
        "token allowlist"
    ),
    "InvalidSetting": lambda a: (
        f"deployment setting {duration_text(a['value'])} is out of range: it must be between "
        f"{duration_text(a['min'])} and {duration_text(a['max'])}"
    ),
    "NotMember": lambda a: f"{a['account']} is not a member with the {_role(a['role'])} role",
    "EmptyFingerprint": lambda a: "the key fingerprint is empty",
    "KeyNotPublished": lambda a: (
        f"{a['account']} has not published an OpenPGP key: run 'ape run order register-key PUB.asc' first"
    ),
    "InvalidMachine": lambda a: "invalid machine: the envelope needs three non-zero lengths",
    "MachineNotFound": lambda a: f"machine {a['machineId']} does not exist",
    "AccessControlUnauthorizedAccount": lambda a: (
        f"{a['account']} lacks the {_role(a['neededRole'])} role for this"
    ),
    "ERC20InsufficientAllowance": lambda a: (
        f"token allowance too low: {a['allowance']} approved, {a['needed']} needed"
    ),
    "ERC20InsufficientBalance": lambda a: f"token balance too low: {a['balance']} held, {a['needed']} needed",
}


#: What a job's state means for the steps it no longer (or not yet) takes, after its label.
_JOB_STATE_HINTS = {
    1: "no model submitted yet",
    2: "its model is submitted",
    3: "its part is shipped",
    4: "its deposit is paid to the producer",
    5: "its customer left the order, the deposit credited back",
    6: "its deposit was credited back to its customer",
    7: "its customer disputes it",
    8: "its dispute is over",
    9: "its model was rejected",
}


def _job_state_hint(status: Any) -> str:
    hint = _JOB_STATE_HINTS.get(int(status))
    return f" ({hint})" if hint else ""


def duration_text(seconds: Any) -> str:
    """Seconds as the CLI reads them back: '90d', '1h', '1d 12h 30m' (whole units, largest first)."""
    rest, parts = int(seconds), []
    for unit, size in (("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)):
        if rest >= size:
            parts.append(f"{rest // size}{unit}")
            rest %= size
    return " ".join(parts) or "0s"


def _text(value: Any) -> str:
    raw = bytes(value) if not isinstance(value, str) else bytes.fromhex(value.removeprefix("0x"))
    return untext16(raw) or "any"


def describe(name: str, inputs: Mapping[str, Any], needs: str | None = None) -> str:
    """The sentence for custom error NAME with its INPUTS; NEEDS (a status error's, from the
    rule of the step that was refused) says what that step needs instead of the generic tail."""
    template = _TEMPLATES.get(name)
    if template is None:
        args = ", ".join(f"{k}={v}" for k, v in inputs.items())
        return f"the contract refused: {name}({args})"
    try:
        return template({**inputs, NEEDS: needs} if needs else dict(inputs))
    except (KeyError, TypeError, ValueError, IndexError):
        return f"the contract refused: {name}{dict(inputs)}"


def decode_revert(data: bytes, error_abis: Iterable[Any]) -> tuple[str, dict[str, Any]] | None:
    """(name, inputs) of the custom error whose selector starts DATA (the raw revert data)."""
    from eth_abi import decode
    from eth_utils import keccak, to_checksum_address

    if len(data) < 4:
        return None
    for abi in error_abis:
        types = [i.canonical_type for i in abi.inputs]
        if keccak(text=f"{abi.name}({','.join(types)})")[:4] != data[:4]:
            continue
        try:
            values = decode(types, data[4:])
        except Exception:
            return None
        values = [to_checksum_address(v) if t == "address" else v for t, v in zip(types, values, strict=True)]
        return abi.name, {i.name: v for i, v in zip(abi.inputs, values, strict=True)}
    return None


def from_exception(
    exc: BaseException, error_abis: Iterable[Any] = (), revert_data: bytes | None = None
) -> ChainError | None:
    """A ChainError for an Ape contract/transaction error, or None if EXC is something else.

    REVERT_DATA (the raw revert data, when the caller could get it from the node) is decoded
    against ERROR_ABIS first: on a reverted eth_call Ape may keep only the data after the
    selector, and then names the error without inputs or decodes them wrongly."""
    from ape.exceptions import ApeException, ContractLogicError

    if not isinstance(exc, ApeException):
        return None
    raw = decode_revert(revert_data, error_abis) if revert_data else None
    if raw is not None:
        return ChainError(describe(*raw), raw[0], raw[1])
    abi = getattr(exc, "abi", None)
    if abi is not None and getattr(abi, "name", None):
        inputs = getattr(exc, "inputs", {}) or {}
        return ChainError(describe(abi.name, inputs), abi.name, inputs)
    if isinstance(exc, ContractLogicError):
        message = str(exc).strip() or "the contract reverted without a reason"
        return ChainError(f"the contract refused: {message}")
    message = " ".join(str(exc).split()) or type(exc).__name__
    short = _TOO_POOR.search(message)
    if short is not None:
        cost, balance = (int(v) for v in short.groups())
        return ChainError(
            f"the account's balance is too low for this step: it costs {format_amount(cost)} with the most "
            f"its gas may cost, the account holds {format_amount(balance)}; fund it, or act with another "
            "account (nothing was sent)"
        )
    return ChainError(f"{type(exc).__name__}: {message}")


#: Ape's refusal to send more than an account holds (amounts in wei), before anything is sent.
_TOO_POOR = re.compile(r"exceeds account balance.*\(transfer_value=(\d+), balance=(\d+)\)")
