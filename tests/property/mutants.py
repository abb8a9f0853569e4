"""Deliberately broken variants of the market that the state machine must catch.

Each anchor must occur exactly once across the contracts' sources (contracts/**/*.sol: the
market's modules are in contracts/market/); the mutant is that one file changed, and
ProductionOrders (with the extension it deploys) is built from the whole set. If the
contracts change so that an anchor is not found exactly once, the mutant's test fails and
says so (update the anchor, keep the bug).
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
    anchor="if (amount != 0 && to != address(0)) _credits[to][order.token] += amount;",
    replacement="if (amount != 0 && to != address(0)) _credits[to][order.token] += amount + 1;",
    invariants=("value-conserved",),
    description="leave, evict, cancel and reclaim credit one wei (or token unit) more than the deposit",
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
    anchor="""            if (
                status == JobStatus.Shipped || status == JobStatus.Completed || status == JobStatus.Disputed
                    || status == JobStatus.Resolved
            ) revert AlreadyShipped(orderId, jobId);""",
    replacement="",
    # A shipped (completed, disputed, resolved) job left in a cancelled order breaks
    # steps-in-order.
    invariants=("steps-in-order",),
    description="cancel still allowed after a job of the order shipped",
)

# ---------------------------------------------------------------------- market rules

PRICE_BY_PART_VOLUME = Mutant(
    name="PriceByPartVolume",
    anchor="deposit = PartMath.price(o.pricePerCm3, space);",
    replacement="deposit = PartMath.price(o.pricePerCm3, uint256(partVolume) * quantity);",
    # An ETH join (or assembly) paying the build space's price is refused (WrongPayment); a
    # token join is charged less than the space it takes.
    invariants=("prediction", "events", "model"),
    description="join (each part of an assembly too) prices the declared volume, not the build space it uses",
)

LEAVE_KEEPS_LIVE_SLOT = Mutant(
    name="LeaveKeepsLiveSlot",
    anchor="""        job.status = JobStatus.Left;
        uint256 refund = _release(order, job, job.customer);""",
    replacement="""        job.status = JobStatus.Left;
        uint256 refund = _release(order, job, job.customer);
        ++order.liveJobs;""",
    invariants=("live-jobs-counted",),
    description="leave frees the build space but not the live-job slot (liveJobs stays)",
)

LEAD_TIME_UNBOUNDED = Mutant(
    name="LeadTimeUnbounded",
    anchor=" || deadline - end > _maxLeadTime",
    replacement="",
    # A request past the lead time is refused by the model: caught as a prediction when the
    # machine requests first, as lead-time-bounded when it opens first.
    invariants=("lead-time-bounded", "prediction"),
    description="open and request accept a deadline more than maxLeadTime after the end",
)

DEADLINE_AT_END = Mutant(
    name="DeadlineAtEnd",
    anchor="deadline <= end ||",
    replacement="deadline < end ||",
    # As LeadTimeUnbounded: the window passes, and a later check may refuse the call instead.
    invariants=("lead-time-bounded", "prediction"),
    description="open and request accept a deadline equal to the window's end",
)

DISPUTE_AFTER_WINDOW = Mutant(
    name="DisputeAfterWindow",
    anchor="if (block.timestamp >= until) revert ConfirmationWindowOver(orderId, jobId, until);",
    replacement="if (block.timestamp > until) revert ConfirmationWindowOver(orderId, jobId, until);",
    invariants=("disputes-by-rule",),
    description="a dispute is still accepted at the very second the confirmation window ends",
)

FINALIZE_DISPUTED = Mutant(
    name="FinalizeDisputed",
    anchor="""        _requireJobStatus(orderId, jobId, job, JobStatus.Shipped);
        uint256 until = uint256(job.shippedAt) + _confirmationWindow;
        if (block.timestamp < until) revert ConfirmationWindowOpen""",
    replacement="""        if (job.status != JobStatus.Shipped && job.status != JobStatus.Disputed) {
            revert WrongJobStatus(orderId, jobId, job.status);
        }
        uint256 until = uint256(job.shippedAt) + _confirmationWindow;
        if (block.timestamp < until) revert ConfirmationWindowOpen""",
    invariants=("disputes-by-rule",),
    description="the producer finalizes a disputed job after the confirmation window",
)

PARTY_RESOLVES = Mutant(
    name="PartyResolves",
    anchor="if (!arbiter || msg.sender == order.producer || msg.sender == job.customer) {",
    replacement="if (!arbiter) {",
    invariants=("disputes-by-rule",),
    description="an arbiter that is the job's customer or the order's producer may resolve it",
)

SPLIT_ABOVE_DEPOSIT = Mutant(
    name="SplitAboveDeposit",
    anchor="if (toProducer > deposit) revert SplitTooLarge(toProducer, deposit);",
    replacement="if (toProducer > deposit) deposit = toProducer;",
    # The producer is credited more than the deposit: credits exceed what the contract holds.
    invariants=("splits-conserve", "value-conserved"),
    description="resolve accepts toProducer > deposit and credits it all to the producer",
)

SETTLE_EARLY = Mutant(
    name="SettleEarly",
    anchor="uint256 until = uint256(job.shippedAt) + _confirmationWindow + _arbitrationWindow;",
    replacement="uint256 until = uint256(job.shippedAt) + _confirmationWindow;",
    invariants=("disputes-by-rule",),
    description="settle applies the default rule once the confirmation window is over, "
    "without waiting for the arbitration window",
)

REJECT_KEEPS_ALL = Mutant(
    name="RejectKeepsAll",
    anchor="uint256 fee = deposit * MarketLimits.REJECT_FEE_BPS / 10_000;",
    replacement="uint256 fee = deposit;",
    invariants=("splits-conserve",),
    description="a producer that rejects a model is credited the whole deposit",
)

ANY_TOKEN = Mutant(
    name="AnyToken",
    anchor="if (token != address(0) && !_allowedTokens[token]) revert TokenNotAllowed(token);",
    replacement="",
    # Caught by token-allowed, or as a wrong prediction when the open or request also names its
    # caller as arbiter: the arbiter check that follows the (removed) token check refuses it.
    invariants=("token-allowed", "prediction"),
    description="open and request ignore the token allowlist",
)

CANCEL_WITH_MODEL = Mutant(
    name="CancelWithModel",
    anchor="if (status == JobStatus.ModelSubmitted) revert ModelReceived(orderId, jobId);",
    replacement="",
    # The submitted job is skipped: a ModelSubmitted job in a cancelled order.
    invariants=("steps-in-order",),
    description="cancel goes ahead although a job's model was submitted",
)

RECLAIM_KEEPS_REQUEST = Mutant(
    name="ReclaimKeepsRequest",
    anchor="""        emit JobRefunded(orderId, jobId, refund);
        if (order.status == OrderStatus.Requested) {
            order.status = OrderStatus.Cancelled;
            emit OrderCancelled(orderId);
        }""",
    replacement="""        emit JobRefunded(orderId, jobId, refund);""",
    invariants=("requests-intact",),
    description="reclaiming a request no producer took leaves the order Requested, empty",
)

WITHDRAW_NEEDS_ROLE = Mutant(
    name="WithdrawNeedsRole",
    anchor="amount = _credits[msg.sender][token];",
    replacement="""_checkParticipant();
        amount = _credits[msg.sender][token];""",
    # A member whose role was revoked can no longer withdraw what it earned.
    invariants=("prediction",),
    description="withdraw requires a participant role (permissioned mode)",
    permissioned=True,
)

# ---------------------------------------------------------------------- evict, arbiter at creation

EVICT_KEEPS_SLOT = Mutant(
    name="EvictKeepsSlot",
    anchor="""            uint256 refund = _release(order, job, job.customer);
            emit JobEvicted(orderId, jobId, refund);""",
    replacement="""            uint256 refund = _release(order, job, job.customer);
            ++order.liveJobs;
            emit JobEvicted(orderId, jobId, refund);""",
    invariants=("live-jobs-counted",),
    description="evict frees the evicted jobs' build space and refunds them but keeps their "
    "live-job slots: a griefer holding every slot with tiny parts cannot be removed",
)

EVICT_CLOSED_ORDER = Mutant(
    name="EvictClosedOrder",
    anchor="""        Order storage order = _producerOrder(orderId);
        if (order.status != OrderStatus.Open) revert WrongOrderStatus(orderId, order.status);""",
    replacement="""        Order storage order = _producerOrder(orderId);""",
    # A Joined job evicted from a Closed order (its customer about to submit the model)
    # breaks steps-in-order; an evict of a Cancelled order (all its jobs refunded) reverts
    # with WrongJobStatus instead of WrongOrderStatus: a prediction.
    invariants=("steps-in-order", "prediction"),
    description="evict goes ahead on a Closed (or Cancelled) order, not only an Open one",
)

ARBITER_OF_CALLER = Mutant(
    name="ArbiterOfCaller",
    anchor="(address(membership) != address(0) || arbiter == msg.sender)",
    replacement="address(membership) != address(0)",
    # As LeadTimeUnbounded: a self-naming call that another check refuses later (a
    # malformed part, a wrong payment) reverts with that error instead: a prediction.
    invariants=("terms-fixed", "prediction"),
    description="open and request accept the caller as its own order's arbiter (a requester "
    "would resolve the disputes of the customers that join its order)",
)

ASSEMBLY_FIRST_PART_FREE = Mutant(
    name="AssemblyFirstPartFree",
    anchor="            total += deposit;",
    replacement="            if (i != 0) total += deposit;",
    # The machine pays the sum of the parts' prices: refused (WrongPayment) where the model
    # expects success; a one-part assembly at price 0 slips through, a larger one does not.
    invariants=("prediction", "value-conserved"),
    description="an assembly's payment leaves out its first part's deposit (the part is stored with it)",
)

ASSEMBLY_MODEL_SKIPS_FIRST = Mutant(
    name="AssemblyModelSkipsFirst",
    anchor="""        for (uint256 i; i < jobIds.length; ++i) {
            _recordModel(orderId, jobIds[i], sha256Digest, uri);""",
    replacement="""        for (uint256 i = 1; i < jobIds.length; ++i) {
            _recordModel(orderId, jobIds[i], sha256Digest, uri);""",
    invariants=("events", "model", "prediction"),
    description="one model for several jobs is not recorded for the first of them",
)

MUTANTS = (
    LEAVE_KEEPS_SPACE,
    REFUND_ONE_WEI_TOO_MUCH,
    PRODUCER_PAID_HALF,
    JOIN_AT_END,
    CANCEL_AFTER_SHIPMENT,
    PRICE_BY_PART_VOLUME,
    LEAVE_KEEPS_LIVE_SLOT,
    LEAD_TIME_UNBOUNDED,
    DEADLINE_AT_END,
    DISPUTE_AFTER_WINDOW,
    FINALIZE_DISPUTED,
    PARTY_RESOLVES,
    SPLIT_ABOVE_DEPOSIT,
    SETTLE_EARLY,
    REJECT_KEEPS_ALL,
    ANY_TOKEN,
    CANCEL_WITH_MODEL,
    RECLAIM_KEEPS_REQUEST,
    WITHDRAW_NEEDS_ROLE,
    EVICT_KEEPS_SLOT,
    EVICT_CLOSED_ORDER,
    ARBITER_OF_CALLER,
    ASSEMBLY_FIRST_PART_FREE,
    ASSEMBLY_MODEL_SKIPS_FIRST,
)
