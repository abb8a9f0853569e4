"""How the contracts encode what they store: status enums, addresses, short texts, boxes.

The one copy of each encoding the clients share (``IProductionOrders`` defines them):
enum values and their labels, the zero address (ETH as payment token, no producer
yet), ``bytes16`` texts (process, material), and the (x, y, z) micrometre triples
of an order's envelope and a job's part.
"""

from __future__ import annotations

import re
from enum import IntEnum
from typing import Any

from offchain.errors import ProdnetError

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


class OrderStatus(IntEnum):
    """``IProductionOrders.OrderStatus``."""

    NONE = 0
    REQUESTED = 1
    OPEN = 2
    CLOSED = 3
    CANCELLED = 4


class JobStatus(IntEnum):
    """``IProductionOrders.JobStatus``."""

    NONE = 0
    JOINED = 1
    MODEL_SUBMITTED = 2
    SHIPPED = 3
    COMPLETED = 4
    LEFT = 5
    REFUNDED = 6
    DISPUTED = 7
    RESOLVED = 8
    REJECTED = 9


ORDER_STATUS = ["unknown", "requested", "open", "closed", "cancelled"]
JOB_STATUS = [
    "unknown", "joined", "model submitted", "shipped", "completed", "left", "refunded",
    "disputed", "resolved", "rejected",
]
assert len(ORDER_STATUS) == len(OrderStatus) and len(JOB_STATUS) == len(JobStatus)


class EncodingError(ProdnetError):
    """A value cannot be encoded the way the contracts store it."""


def label(names: list[str], value: Any) -> str:
    """The label of enum VALUE in NAMES (ORDER_STATUS or JOB_STATUS); the number if unknown."""
    index = int(value)
    return names[index] if 0 <= index < len(names) else str(value)


def order_status(order: Any) -> str:
    """Label of an order struct's status."""
    return label(ORDER_STATUS, order.status)


def job_status(job: Any) -> str:
    """Label of a job struct's status."""
    return label(JOB_STATUS, job.status)


def address_of(text: Any, what: str = "address") -> str:
    """TEXT as a checksummed address: 0x and 40 hex digits. A mixed-case address must carry
    a valid EIP-55 checksum (a typo in it would otherwise go unseen); all lower or all upper
    case is taken as typed."""
    from eth_utils import is_checksum_address, to_checksum_address

    value = str(text).strip()
    if not re.fullmatch(r"0x[0-9a-fA-F]{40}", value):
        raise EncodingError(f"{what} {value!r} is not an address: give 0x followed by 40 hex digits")
    digits = value[2:]
    if digits != digits.lower() and digits != digits.upper() and not is_checksum_address(value):
        raise EncodingError(
            f"{what} {value} has a wrong EIP-55 checksum (its mixed case): check it for a typo, or "
            "give it all in lower case"
        )
    return str(to_checksum_address(value))


def is_zero_address(address: Any) -> bool:
    return int(str(address), 16) == 0


def currency(token: str) -> str:
    """'ETH' for the zero address, else 'token 0x...'."""
    return "ETH" if is_zero_address(token) else f"token {token}"


def text16(value: str) -> bytes:
    """A short text (process, material) as the contracts' bytes16, right-padded."""
    raw = value.strip().encode()
    if not raw or len(raw) > 16:
        raise EncodingError(f"{value!r} must be 1 to 16 bytes long (e.g. PA12, SLS, Ti6Al4V)")
    return raw.ljust(16, b"\0")


def untext16(value: Any) -> str:
    """A bytes16 text back as a string."""
    return bytes(value).rstrip(b"\0").decode("utf-8", errors="replace")


def envelope_of(order: Any) -> tuple[int, int, int]:
    """An order struct's envelope (um)."""
    return int(order.envX), int(order.envY), int(order.envZ)


def dims_of(job: Any) -> tuple[int, int, int]:
    """A job struct's part dimensions (um)."""
    return int(job.dimX), int(job.dimY), int(job.dimZ)
