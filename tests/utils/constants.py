"""Constants shared by the contract tests: units, enums, reference parts and machines."""

from __future__ import annotations

from eth_utils import keccak

# the contracts' enums and the zero address, as the clients encode them
from offchain.chain.codec import ZERO_ADDRESS, JobStatus, OrderStatus
from offchain.chain.deploy import (
    DEFAULT_ARBITRATION_WINDOW,
    DEFAULT_CONFIRMATION_WINDOW,
    DEFAULT_MAX_LEAD_TIME,
)

__all__ = ["ZERO_ADDRESS", "JobStatus", "OrderStatus"]  # re-exported for the tests
ZERO_BYTES32 = b"\0" * 32

HOUR = 3600
DAY = 24 * HOUR
# the deployment's settings the tests deploy with: `ape run deploy`'s defaults
CONFIRMATION_WINDOW = DEFAULT_CONFIRMATION_WINDOW
ARBITRATION_WINDOW = DEFAULT_ARBITRATION_WINDOW
MAX_LEAD_TIME = DEFAULT_MAX_LEAD_TIME
MAX_LIVE_JOBS = 100
MAX_JOB_IDS = 1000
REJECT_FEE_BPS = 1000

MM = 1000  # micrometres per millimetre
UM3_PER_MM3 = 10**9
MM3_PER_CM3 = 1000

PRODUCER_ROLE = keccak(text="PRODUCER_ROLE")
CUSTOMER_ROLE = keccak(text="CUSTOMER_ROLE")
ARBITER_ROLE = keccak(text="ARBITER_ROLE")
ANY_PARTICIPANT = keccak(text="ANY_PARTICIPANT")
DEFAULT_ADMIN_ROLE = b"\0" * 32


#: Job states whose deposit the contract still holds in escrow.
HELD = (JobStatus.JOINED, JobStatus.MODEL_SUBMITTED, JobStatus.SHIPPED, JobStatus.DISPUTED)
#: Job states whose build space counts in the order's `used` (and in `liveJobs`).
LIVE = (
    JobStatus.JOINED, JobStatus.MODEL_SUBMITTED, JobStatus.SHIPPED, JobStatus.COMPLETED,
    JobStatus.DISPUTED, JobStatus.RESOLVED,
)


def code16(text: str) -> bytes:
    """A process or material code as the contracts store it: right-padded bytes16."""
    raw = text.encode()
    assert 0 < len(raw) <= 16, text
    return raw.ljust(16, b"\0")


def fingerprint32(fingerprint20: bytes) -> bytes:
    """A v4 fingerprint left-aligned in 32 bytes."""
    assert len(fingerprint20) == 20
    return fingerprint20 + b"\0" * 12


# Reference machine, order region and part (micrometres, mm3, wei per cm3).
SLS = code16("SLS")
FDM = code16("FDM")
PA12 = code16("PA12")
PLA = code16("PLA")
MACHINE_ENVELOPE = (340 * MM, 340 * MM, 600 * MM)
SMALL_ENVELOPE = (100 * MM, 100 * MM, 100 * MM)
REGION = (200 * MM, 200 * MM, 300 * MM)
CAPACITY = 2_000_000  # mm3, <= the region's 12,000,000 mm3
PART = (40 * MM, 30 * MM, 20 * MM)  # bounding box 24,000 mm3
PART_VOLUME = 9_000  # mm3
PRICE_PER_CM3 = 10**15
ARMORED_KEY = b"-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nxjMEZ...\n-----END PGP PUBLIC KEY BLOCK-----\n"
MODEL_URI = "ipfs://bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi"


def box_volume(dims: tuple[int, int, int] | list[int]) -> int:
    """Bounding-box volume in mm3, rounded up (as PartMath.boxVolume)."""
    x, y, z = dims
    return -(-(x * y * z) // UM3_PER_MM3)


def build_space(dims: tuple[int, int, int] | list[int], quantity: int) -> int:
    """Build space of a job in mm3 (as PartMath.buildSpace)."""
    return box_volume(dims) * quantity


def price_of(price_per_cm3: int, dims: tuple[int, int, int] | list[int], quantity: int) -> int:
    """Deposit of a job (as PartMath.price): ceil(price x build space / 1000)."""
    return -(-(price_per_cm3 * build_space(dims, quantity)) // MM3_PER_CM3)


def fits(dims: tuple[int, int, int] | list[int], envelope: tuple[int, int, int] | list[int]) -> bool:
    """True if sorted dims are each <= sorted envelope."""
    return all(d <= e for d, e in zip(sorted(dims), sorted(envelope), strict=True))
