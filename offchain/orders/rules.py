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

from offchain.chain.codec import ZERO_ADDRESS, JobStatus, OrderStatus, is_zero_address


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

    def confirmation_end(self, shipped_at: int) -> int:
        """Until when a shipped job's customer may confirm or dispute it (then its producer may
        finalize it)."""
        return int(shipped_at) + self.confirmation_window

    def arbitration_end(self, shipped_at: int) -> int:
        """Until when a disputed job's arbiter has it to itself (then anyone may settle it by the
        default rule, a full refund)."""
        return self.confirmation_end(shipped_at) + self.arbitration_window


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
        return {
            "start": lambda: self.start,
            "end": lambda: self.end,
            "deadline": lambda: self.deadline,
            "confirmation end": lambda: self.settings.confirmation_end(self.shipped_at),
            "arbitration end": lambda: self.settings.arbitration_end(self.shipped_at),
        }[name]()


def same_address(a: Any, b: Any) -> bool:
    """Whether two addresses are the same account (case does not matter)."""
    return str(a).lower() == str(b).lower()


#: The contract's errors that say a state is wrong: the step's rule words what it needs.
STATUS_ERRORS = frozenset({"WrongOrderStatus", "WrongJobStatus"})


@dataclass(frozen=True)
class Refusal:
    """The contract's custom error (its name and arguments) for a refused step, and the words
    the step's rule adds (what a status error's step needs, or the sentence for the step)."""

    error: str
    args: Mapping[str, Any] = field(default_factory=dict)
    words: str | None = None

    def sentence(self) -> str:
        """The refusal in one sentence: the contract's error worded by ``chain.errors`` (the one
        place a contract error is worded), with the rule's words for this step."""
        from offchain.chain.errors import describe

        if self.words and self.error not in STATUS_ERRORS:
            return self.words
        return describe(self.error, self.args, needs=self.words)


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


#: What a rule says of a refusal: a text (with {order}, {job}, {caller}, {producer}, {end},
#: {deadline}, {confirmation_end} and {arbitration_end}) or a function of the facts.
Words = str | Callable[[Facts], str]


@dataclass(frozen=True)
class Rule:
    """One step: the contract function, its name in the CLI and the portal, who takes it,
    whether it acts on a job, its checks in the contract's order, who alone takes it (ONLY,
    after "X is not the producer of order N"), and the words of its refusals: keyed by the
    contract's error, or "WrongJobStatus:<state>" for a job state of its own."""

    function: str
    move: str
    side: Side
    on_job: bool
    checks: tuple[Check, ...]
    only: str = ""
    words: Mapping[str, Words] = field(default_factory=dict)

    def word(self, refusal: Refusal, f: Facts) -> Refusal:
        """REFUSAL with this step's words for it, if the rule has any."""
        status = refusal.args.get("status") if refusal.error == "WrongJobStatus" else None
        words = self.words.get(f"{refusal.error}:{status}") or self.words.get(refusal.error)
        if words is None and refusal.error == "NotOrderProducer" and self.only:
            words = _not_the_producer(self.only)
        if words is None and refusal.error == "NotMember" and self.only:
            words = f"{Refusal(refusal.error, refusal.args).sentence()}: {self.only}"
        if words is None:
            return refusal
        text = words(f) if callable(words) else words.format(**_fields(f))
        return Refusal(refusal.error, refusal.args, text)


def _fields(f: Facts) -> dict[str, Any]:
    from offchain.formats import format_time

    return {
        "order": f.order_id, "job": f.job_id, "caller": f.caller, "producer": f.producer,
        "end": format_time(f.end), "deadline": format_time(f.deadline),
        "confirmation_end": format_time(f.edge("confirmation end")),
        "arbitration_end": format_time(f.edge("arbitration end")),
    }


def _not_the_producer(only: str) -> Callable[[Facts], str]:
    def words(f: Facts) -> str:
        whose = (
            "it is a request no producer has taken yet" if is_zero_address(f.producer)
            else f"it is produced by {f.producer}"
        )
        return f"{f.caller} is not the producer of order {f.order_id} ({whose}): {only}"

    return words


def _while_disputed(f: Facts) -> str:
    """What ends a dispute, for the steps a disputed job does not take."""
    return (
        f"its arbiter may resolve the dispute ('ape run order resolve {f.order_id} {f.job_id} --to-producer "
        f"AMOUNT') until {_fields(f)['arbitration_end']}; after that anyone may settle it "
        f"('ape run order settle {f.order_id} {f.job_id}': a full refund to the customer)"
    )


def _not_the_arbiter(f: Facts) -> str:
    """Why the caller may not resolve this job's dispute (the_arbiter refused it)."""
    for party, address in (("producer", f.producer), ("customer", f.customer)):
        if same_address(f.caller, address):
            return f"{f.caller} is this job's {party}: a party never resolves its own dispute"
    if not f.public:
        return (
            f"{f.caller} is not a member with the arbiter role: the admin grants it with 'ape run members "
            f"add {f.caller} arbiter'"
        )
    if is_zero_address(f.arbiter):
        return (
            f"order {f.order_id} has no arbiter: its disputes end by the default rule, a full refund to "
            f"the customer, which anyone applies after {_fields(f)['arbitration_end']} with 'ape run order "
            f"settle {f.order_id} {f.job_id}'"
        )
    return f"order {f.order_id}'s disputes are resolved by its arbiter {f.arbiter}, not by {f.caller}"


_O, _J = OrderStatus, JobStatus
_P, _C = Role.PRODUCER, Role.CUSTOMER

_LATE = ("order {order}'s delivery deadline passed at {deadline}: job {job} can no longer be %s (its "
         "customer may reclaim the deposit)")


def _in(state: JobStatus) -> str:
    """The key of a rule's words for a job in STATE (what a WrongJobStatus means there)."""
    return f"WrongJobStatus:{int(state)}"

RULES: tuple[Rule, ...] = (
    Rule("take", "take", Side.PRODUCER, False,
         (role(_P), order_exists, order_in(_O.REQUESTED), before("end", "WindowOver")),
         words={"WrongOrderStatus": "only requested orders can be taken"}),
    Rule("join", "join", Side.CUSTOMER, False,
         (role(_C), order_exists, order_in(_O.OPEN), from_("start", "WindowNotStarted"),
          before("end", "WindowOver"), live_slot),
         words={"WrongOrderStatus": "parts join only open orders"}),
    Rule("leave", "leave", Side.CUSTOMER, True,
         (role(_C), job_exists, the_customer, order_in(_O.OPEN), job_in(_J.JOINED)),
         words={"WrongOrderStatus": "a job leaves only an open order (before it is closed)",
                "WrongJobStatus": "only a joined job can leave its order"}),
    Rule("evict", "evict", Side.PRODUCER, True,
         (role(_P), order_exists, the_producer, order_in(_O.OPEN), job_exists, job_in(_J.JOINED)),
         only="only an order's producer evicts its jobs",
         words={"WrongOrderStatus": "jobs are evicted only from an open order (before it is closed and its "
                                    "customers submit their models)",
                "WrongJobStatus": "only a joined job (no model yet) can be evicted"}),
    Rule("close", "close", Side.PRODUCER, False,
         (order_exists,
          either(lambda f: same_address(f.caller, f.producer), (role(_P),),
                 (role(Role.ANY_PARTICIPANT), from_("end", "NotOrderProducer"))),
          order_in(_O.OPEN)),
         words={"WrongOrderStatus": "only an open order can be closed"}),
    Rule("cancel", "cancel", Side.PRODUCER, False,
         (order_exists,
          either(lambda f: f.order_status == _O.REQUESTED, (role(_C), the_requester),
                 (role(_P), the_producer, order_in(_O.OPEN, _O.CLOSED))),
          no_job_blocks),
         only="only its producer can cancel it",
         words={"WrongOrderStatus": "only an open or closed order, or a request nobody took, can be "
                                    "cancelled"}),
    Rule("submitModel", "submit-model", Side.CUSTOMER, True,
         (role(_C), job_exists, the_customer, order_in(_O.CLOSED), job_in(_J.JOINED)),
         words={"WrongOrderStatus": "models are submitted once it is closed (by its producer, when full, "
                                    "or by anyone after {end})",
                "WrongJobStatus": "a model can be submitted only once, for a joined job"}),
    Rule("ship", "ship", Side.PRODUCER, True,
         (role(_P), order_exists, the_producer, job_exists, job_in(_J.MODEL_SUBMITTED),
          before("deadline", "DeliveryDeadlinePassed")),
         only="only its producer ships its parts",
         words={"WrongJobStatus": "parts ship after their model was submitted",
                _in(_J.REJECTED): "its model was rejected, so it is not produced",
                "DeliveryDeadlinePassed": _LATE % "shipped"}),
    Rule("reject", "reject", Side.PRODUCER, True,
         (role(_P), order_exists, the_producer, job_exists, job_in(_J.MODEL_SUBMITTED),
          before("deadline", "DeliveryDeadlinePassed")),
         only="only its producer can reject a model",
         words={"WrongJobStatus": "only a job whose model was submitted, and that is not shipped yet, can be "
                                  "rejected",
                _in(_J.JOINED): "its customer has not submitted a model yet: there is nothing to "
                                               "reject",
                "DeliveryDeadlinePassed": _LATE % "rejected"}),
    Rule("confirmReceipt", "confirm", Side.CUSTOMER, True,
         (role(_C), job_exists, the_customer, job_in(_J.SHIPPED, _J.DISPUTED)),
         words={"WrongJobStatus": "receipt can be confirmed only after shipment",
                _in(_J.RESOLVED): "its dispute has been resolved: there is nothing left to "
                                                 "confirm"}),
    Rule("finalize", "finalize", Side.PRODUCER, True,
         (role(_P), order_exists, the_producer, job_exists, job_in(_J.SHIPPED),
          from_("confirmation end", "ConfirmationWindowOpen")),
         only="only its producer finalizes its jobs",
         words={"WrongJobStatus": "only shipped jobs can be finalized",
                _in(_J.DISPUTED): lambda f: "its customer disputes it, so it cannot be finalized: "
                + _while_disputed(f),
                _in(_J.RESOLVED): "its dispute has been resolved: there is nothing left to "
                                                 "finalize"}),
    Rule("reclaim", "reclaim", Side.CUSTOMER, True,
         (role(_C), job_exists, the_customer, job_in(_J.JOINED, _J.MODEL_SUBMITTED),
          from_("deadline", "DeliveryDeadlineNotPassed")),
         words={"WrongJobStatus": "only unshipped jobs can be reclaimed"}),
    Rule("dispute", "dispute", Side.CUSTOMER, True,
         (role(_C), job_exists, the_customer, job_in(_J.SHIPPED),
          before("confirmation end", "ConfirmationWindowOver")),
         words={"WrongJobStatus": "only a shipped job can be disputed",
                _in(_J.COMPLETED): "it is complete, its deposit paid to the producer: too late to "
                                                  "dispute"}),
    Rule("resolve", "resolve", Side.ARBITER, True,
         (order_exists, job_exists, the_arbiter, job_in(_J.DISPUTED)),
         words={"NotArbiter": _not_the_arbiter, "WrongJobStatus": "only a disputed job can be resolved"}),
    Rule("settle", "settle", Side.ANYONE, True,
         (order_exists, job_exists, job_in(_J.DISPUTED), from_("arbitration end", "ArbitrationWindowOpen")),
         words={"WrongJobStatus": "only a disputed job can be settled"}),
)

BY_FUNCTION: dict[str, Rule] = {r.function: r for r in RULES}
BY_MOVE: dict[str, Rule] = {r.move: r for r in RULES}


def verdict(step: str, facts: Facts) -> Refusal | None:
    """The refusal the contract gives STEP (a function or move name) on FACTS, or None."""
    rule = BY_FUNCTION.get(step) or BY_MOVE[step]
    refusal = first_refusal(rule.checks, facts)
    return None if refusal is None else rule.word(refusal, facts)
