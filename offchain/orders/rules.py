"""The market's rules, written once: for each step of an order's life, who may take it, in
which order and job states, and within which time window measured from what, as the
contract checks them, in the contract's order (docs/DESIGN.md, "Steps").

``verdict(step, facts)`` gives the refusal the contract would revert with, as the error's
name and arguments (``offchain.chain.errors.describe`` words it, the one place a refusal is
worded), or None if the step would pass these checks. What a step checks beyond the
order's life (a part's geometry and payment in join and take, a model's digest, a split's
size) is the contract's alone: the step's transaction estimate surfaces those.

Everything that says what someone may do next reads this table: ``moves`` (the portal's
buttons and the CLI's hints) and the steps' checks before anything is sent. The table is
held to the contract by tests/orders/test_rules_oracle.py: for every step x order state x
job state x caller x time at each window edge, in both modes, its verdict is the contract's
own (eth_call).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from offchain.chain.codec import ZERO_ADDRESS, JobStatus, OrderStatus


class Role(StrEnum):
    """The roles of a permissioned deployment (``IMembership``); in public mode none is needed."""

    PRODUCER = "PRODUCER_ROLE"
    CUSTOMER = "CUSTOMER_ROLE"
    ARBITER = "ARBITER_ROLE"
    ANY_PARTICIPANT = "ANY_PARTICIPANT"  # the pseudo-role: either participant role will do


@dataclass(frozen=True)
class Settings:
    """The deployment's settings and the contract's limits, read from the chain once
    (``offchain.orders.settings``)."""

    confirmation_window: int
    arbitration_window: int
    max_lead_time: int
    max_live_jobs: int
    max_job_ids: int
    reject_fee_bps: int


@dataclass(frozen=True)
class Facts:
    """What the checks of a step read: the order, one of its jobs, the caller and the time.

    ``order_status`` NONE means no such order; ``job_status`` NONE no such job. In public mode
    ``roles`` is None (no role is needed); in permissioned mode it holds the caller's roles.
    ``job_statuses`` are all the order's jobs in id order (cancel looks at each)."""

    order_id: int
    order_status: int
    caller: str
    now: int
    settings: Settings
    producer: str = ZERO_ADDRESS
    requester: str = ZERO_ADDRESS  # job 1's customer (a Requested order's requester)
    start: int = 0
    end: int = 0
    deadline: int = 0
    live_jobs: int = 0
    job_count: int = 0
    arbiter: str = ZERO_ADDRESS  # the named arbiter (public mode)
    job_id: int = 0
    job_status: int = JobStatus.NONE
    customer: str = ZERO_ADDRESS
    shipped_at: int = 0
    job_statuses: tuple[int, ...] = ()
    roles: frozenset[Role] | None = None

    @property
    def public(self) -> bool:
        return self.roles is None

    def holds(self, role: Role) -> bool:
        if self.roles is None:
            return True
        if role is Role.ANY_PARTICIPANT:
            return bool(self.roles & {Role.PRODUCER, Role.CUSTOMER})
        return role in self.roles

    def edge(self, name: str) -> int:
        """The time a window starts or ends (seconds): the order's start, end or deadline, or
        the end of a shipped job's confirmation or arbitration window."""
        confirmation_end = self.shipped_at + self.settings.confirmation_window
        return {
            "start": self.start,
            "end": self.end,
            "deadline": self.deadline,
            "confirmation end": confirmation_end,
            "arbitration end": confirmation_end + self.settings.arbitration_window,
        }[name]


def same_address(a: Any, b: Any) -> bool:
    """Whether two addresses are the same account (case does not matter)."""
    return str(a).lower() == str(b).lower()


@dataclass(frozen=True)
class Refusal:
    """The contract's custom error (its name and arguments) for a refused step."""

    error: str
    args: Mapping[str, Any] = field(default_factory=dict)

    def sentence(self) -> str:
        from offchain.chain.errors import describe

        return describe(self.error, self.args)


Check = Callable[[Facts], Refusal | None]


def role(needed: Role) -> Check:
    def check(f: Facts) -> Refusal | None:
        if f.holds(needed):
            return None
        from eth_utils import keccak

        code = keccak(text=needed.value)
        return Refusal("NotMember", {"account": f.caller, "role": code})

    return check


def order_exists(f: Facts) -> Refusal | None:
    return Refusal("OrderNotFound", {"orderId": f.order_id}) if f.order_status == OrderStatus.NONE else None


def job_exists(f: Facts) -> Refusal | None:
    if f.job_status == JobStatus.NONE:
        return Refusal("JobNotFound", {"orderId": f.order_id, "jobId": f.job_id})
    return None


def the_producer(f: Facts) -> Refusal | None:
    if same_address(f.caller, f.producer):
        return None
    return Refusal("NotOrderProducer", {"orderId": f.order_id, "caller": f.caller})


def the_customer(f: Facts) -> Refusal | None:
    if same_address(f.caller, f.customer):
        return None
    return Refusal("NotJobCustomer", {"orderId": f.order_id, "jobId": f.job_id, "caller": f.caller})


def the_requester(f: Facts) -> Refusal | None:
    if same_address(f.caller, f.requester):
        return None
    return Refusal("NotJobCustomer", {"orderId": f.order_id, "jobId": 1, "caller": f.caller})


def order_in(*states: OrderStatus) -> Check:
    def check(f: Facts) -> Refusal | None:
        if f.order_status in states:
            return None
        return Refusal("WrongOrderStatus", {"orderId": f.order_id, "status": f.order_status})

    return check


def job_in(*states: JobStatus) -> Check:
    def check(f: Facts) -> Refusal | None:
        if f.job_status in states:
            return None
        return Refusal("WrongJobStatus", {"orderId": f.order_id, "jobId": f.job_id, "status": f.job_status})

    return check


#: The argument of each time check's error that carries the edge, and whether it names the job.
_TIME_ERRORS: dict[str, tuple[str, bool]] = {
    "WindowNotStarted": ("start", False),
    "WindowOver": ("end", False),
    "DeliveryDeadlinePassed": ("deadline", False),
    "DeliveryDeadlineNotPassed": ("deadline", False),
    "ConfirmationWindowOver": ("until", True),
    "ConfirmationWindowOpen": ("until", True),
    "ArbitrationWindowOpen": ("until", True),
}


def _time_refusal(error: str, f: Facts, edge: int) -> Refusal:
    if error == "NotOrderProducer":  # close by someone else before the window's end
        return Refusal(error, {"orderId": f.order_id, "caller": f.caller})
    name, with_job = _TIME_ERRORS[error]
    args: dict[str, Any] = {"orderId": f.order_id}
    if with_job:
        args["jobId"] = f.job_id
    args[name] = edge
    return Refusal(error, args)


def before(edge: str, error: str) -> Check:
    """Now must be before EDGE (the window ends at it, exclusive)."""

    def check(f: Facts) -> Refusal | None:
        at = f.edge(edge)
        return _time_refusal(error, f, at) if f.now >= at else None

    return check


def from_(edge: str, error: str) -> Check:
    """Now must be at or after EDGE (the window opens at it)."""

    def check(f: Facts) -> Refusal | None:
        at = f.edge(edge)
        return _time_refusal(error, f, at) if f.now < at else None

    return check


def live_slot(f: Facts) -> Refusal | None:
    if f.live_jobs >= f.settings.max_live_jobs:
        return Refusal("TooManyJobs", {"orderId": f.order_id, "max": f.settings.max_live_jobs})
    if f.job_count >= f.settings.max_job_ids:
        return Refusal("TooManyJobs", {"orderId": f.order_id, "max": f.settings.max_job_ids})
    return None


def the_arbiter(f: Facts) -> Refusal | None:
    """The order's arbiter (the named one in public mode, ARBITER_ROLE in permissioned mode),
    never a party to the job."""
    arbiter = same_address(f.caller, f.arbiter) if f.public else f.holds(Role.ARBITER)
    if arbiter and not same_address(f.caller, f.producer) and not same_address(f.caller, f.customer):
        return None
    return Refusal("NotArbiter", {"orderId": f.order_id, "caller": f.caller})


#: Job states that stop a cancel, in the contract's words: the model is with the producer,
#: or the part has shipped.
MODEL_RECEIVED = frozenset({JobStatus.MODEL_SUBMITTED})
SHIPPED_ALREADY = frozenset({JobStatus.SHIPPED, JobStatus.COMPLETED, JobStatus.DISPUTED, JobStatus.RESOLVED})


def no_job_blocks(f: Facts) -> Refusal | None:
    for job_id, status in enumerate(f.job_statuses, start=1):
        if status in MODEL_RECEIVED:
            return Refusal("ModelReceived", {"orderId": f.order_id, "jobId": job_id})
        if status in SHIPPED_ALREADY:
            return Refusal("AlreadyShipped", {"orderId": f.order_id, "jobId": job_id})
    return None


def either(test: Callable[[Facts], bool], then: tuple[Check, ...], otherwise: tuple[Check, ...]) -> Check:
    """THEN's checks if TEST holds, else OTHERWISE's (a step whose rule depends on the facts)."""

    def check(f: Facts) -> Refusal | None:
        return first_refusal(then if test(f) else otherwise, f)

    return check


def first_refusal(checks: tuple[Check, ...], f: Facts) -> Refusal | None:
    for check in checks:
        refusal = check(f)
        if refusal is not None:
            return refusal
    return None


class Side(StrEnum):
    """Who a step is for: the portal offers it to that side."""

    PRODUCER = "the order's producer"
    CUSTOMER = "the job's customer"
    ARBITER = "the order's arbiter"
    ANYONE = "anyone"


@dataclass(frozen=True)
class Rule:
    """One step: the contract function, its name in the CLI and the portal, who takes it,
    whether it acts on a job, and its checks in the contract's order."""

    function: str
    move: str
    side: Side
    on_job: bool
    checks: tuple[Check, ...]


_O, _J = OrderStatus, JobStatus
_P, _C = Role.PRODUCER, Role.CUSTOMER

RULES: tuple[Rule, ...] = (
    Rule("take", "take", Side.PRODUCER, False,
         (role(_P), order_exists, order_in(_O.REQUESTED), before("end", "WindowOver"))),
    Rule("join", "join", Side.CUSTOMER, False,
         (role(_C), order_exists, order_in(_O.OPEN), from_("start", "WindowNotStarted"),
          before("end", "WindowOver"), live_slot)),
    Rule("leave", "leave", Side.CUSTOMER, True,
         (role(_C), job_exists, the_customer, order_in(_O.OPEN), job_in(_J.JOINED))),
    Rule("evict", "evict", Side.PRODUCER, True,
         (role(_P), order_exists, the_producer, order_in(_O.OPEN), job_exists, job_in(_J.JOINED))),
    Rule("close", "close", Side.PRODUCER, False,
         (order_exists,
          either(lambda f: same_address(f.caller, f.producer), (role(_P),),
                 (role(Role.ANY_PARTICIPANT), from_("end", "NotOrderProducer"))),
          order_in(_O.OPEN))),
    Rule("cancel", "cancel", Side.PRODUCER, False,
         (order_exists,
          either(lambda f: f.order_status == _O.REQUESTED, (role(_C), the_requester),
                 (role(_P), the_producer, order_in(_O.OPEN, _O.CLOSED))),
          no_job_blocks)),
    Rule("submitModel", "submit-model", Side.CUSTOMER, True,
         (role(_C), job_exists, the_customer, order_in(_O.CLOSED), job_in(_J.JOINED))),
    Rule("ship", "ship", Side.PRODUCER, True,
         (role(_P), order_exists, the_producer, job_exists, job_in(_J.MODEL_SUBMITTED),
          before("deadline", "DeliveryDeadlinePassed"))),
    Rule("reject", "reject", Side.PRODUCER, True,
         (role(_P), order_exists, the_producer, job_exists, job_in(_J.MODEL_SUBMITTED),
          before("deadline", "DeliveryDeadlinePassed"))),
    Rule("confirmReceipt", "confirm", Side.CUSTOMER, True,
         (role(_C), job_exists, the_customer, job_in(_J.SHIPPED, _J.DISPUTED))),
    Rule("finalize", "finalize", Side.PRODUCER, True,
         (role(_P), order_exists, the_producer, job_exists, job_in(_J.SHIPPED),
          from_("confirmation end", "ConfirmationWindowOpen"))),
    Rule("reclaim", "reclaim", Side.CUSTOMER, True,
         (role(_C), job_exists, the_customer, job_in(_J.JOINED, _J.MODEL_SUBMITTED),
          from_("deadline", "DeliveryDeadlineNotPassed"))),
    Rule("dispute", "dispute", Side.CUSTOMER, True,
         (role(_C), job_exists, the_customer, job_in(_J.SHIPPED),
          before("confirmation end", "ConfirmationWindowOver"))),
    Rule("resolve", "resolve", Side.ARBITER, True,
         (order_exists, job_exists, the_arbiter, job_in(_J.DISPUTED))),
    Rule("settle", "settle", Side.ANYONE, True,
         (order_exists, job_exists, job_in(_J.DISPUTED), from_("arbitration end", "ArbitrationWindowOpen"))),
)

BY_FUNCTION: dict[str, Rule] = {r.function: r for r in RULES}
BY_MOVE: dict[str, Rule] = {r.move: r for r in RULES}


def verdict(step: str, facts: Facts) -> Refusal | None:
    """The refusal the contract gives STEP (a function or move name) on FACTS, or None."""
    rule = BY_FUNCTION.get(step) or BY_MOVE[step]
    return first_refusal(rule.checks, facts)
