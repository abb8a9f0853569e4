"""Deliberately broken variants of ProductionOrders.sol that the state machine must catch.

Each anchor must occur exactly once in the real source; if the contract changes so that
it does not, the mutant's test fails and says so (update the anchor, keep the bug).
"""

from __future__ import annotations

from tests.property.deploy import Mutant

LEAVE_KEEPS_SPACE = Mutant(
    name="LeaveKeepsSpace",
    anchor="""        job.status = JobStatus.Left;
        uint256 refund = _release(order, job, job.customer);""",
    replacement="""        job.status = JobStatus.Left;
        uint256 refund = job.deposit;
        if (refund != 0) _credits[job.customer][order.token] += refund;""",
    invariants=("space-conserved",),
    description="leave credits the deposit back but does not release the job's build space",
)

REFUND_ONE_WEI_TOO_MUCH = Mutant(
    name="RefundOneWeiTooMuch",
    anchor="if (amount != 0) _credits[to][order.token] += amount;",
    replacement="if (amount != 0) _credits[to][order.token] += amount + 1;",
    invariants=("value-conserved",),
    description="leave, cancel and reclaim credit one wei (or token unit) more than the deposit",
)

PRODUCER_PAID_HALF = Mutant(
    name="ProducerPaidHalf",
    anchor="if (payment != 0) _credits[order.producer][order.token] += payment;",
    replacement="if (payment != 0) _credits[order.producer][order.token] += payment / 2;",
    invariants=("value-conserved",),
    description="a completed job credits the producer half of the deposit; the rest is stuck",
)

JOIN_AT_END = Mutant(
    name="JoinAtEnd",
    anchor="if (block.timestamp >= o.end) revert WindowOver(orderId, o.end);",
    replacement="if (block.timestamp > o.end) revert WindowOver(orderId, o.end);",
    # Caught by steps-in-order (a job joined at the window's end), or as a wrong prediction
    # when the late join reverts with another error than WindowOver.
    invariants=("steps-in-order", "prediction"),
    description="join still accepted at the very second the window ends",
)

CANCEL_AFTER_SHIPMENT = Mutant(
    name="CancelAfterShipment",
    anchor="if (status == JobStatus.Shipped || status == JobStatus.Completed) revert "
    "AlreadyShipped(orderId, jobId);",
    replacement="",
    # A shipped (or completed) job left in a cancelled order breaks steps-in-order.
    invariants=("steps-in-order",),
    description="cancel still allowed after a job of the order shipped",
)

MUTANTS = (
    LEAVE_KEEPS_SPACE,
    REFUND_ONE_WEI_TOO_MUCH,
    PRODUCER_PAID_HALF,
    JOIN_AT_END,
    CANCEL_AFTER_SHIPMENT,
)
