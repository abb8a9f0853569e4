"""Reference model of CapacityRegistry + ProductionOrders.

The state machine it mirrors is docs/DESIGN.md, "The contract state machine".

Plain Python, no chain: orders (with the arbiter each names at creation), jobs, machines,
keys, credits, and the ETH and token balances of every account and of the orders contract.
Each `predict_*` method mirrors one external function of the market's address (whichever of
ProductionOrders and its extension runs it): it returns either the exact custom error the
contract must revert with (a `Revert`, checked in the contract's order of checks) or a
`Plan`: the events the transaction must emit and the effect to apply to the model once it
succeeded.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from eth_utils import keccak

from tests.property.driver import Revert
from tests.utils.constants import JobStatus, OrderStatus

ZERO = "0x0000000000000000000000000000000000000000"
PRODUCER_ROLE = keccak(text="PRODUCER_ROLE")
CUSTOMER_ROLE = keccak(text="CUSTOMER_ROLE")
ARBITER_ROLE = keccak(text="ARBITER_ROLE")
ANY_PARTICIPANT = keccak(text="ANY_PARTICIPANT")
DEFAULT_ADMIN_ROLE = bytes(32)
ROLES = (PRODUCER_ROLE, CUSTOMER_ROLE, ARBITER_ROLE)
MAX_LIVE_JOBS = 100
MAX_JOB_IDS = 1000
REJECT_FEE_BPS = 1000
MAX_REASON_BYTES = 280
#: The reason the machine's customers give their disputes (the event carries it).
REASON = "the part arrived cracked along its long edge"
MAX_UINT256 = 2**256 - 1

# Jobs whose build space counts as used (and in liveJobs), and jobs whose deposit is still
# held in escrow.
LIVE = frozenset({JobStatus.JOINED, JobStatus.MODEL_SUBMITTED, JobStatus.SHIPPED,
                  JobStatus.COMPLETED, JobStatus.DISPUTED, JobStatus.RESOLVED})
HELD = frozenset({JobStatus.JOINED, JobStatus.MODEL_SUBMITTED, JobStatus.SHIPPED,
                  JobStatus.DISPUTED})

# Allowed edges (docs/DESIGN.md, "The contract state machine"). Requested -> Closed is take()
# with the capacity exactly used: Open and automatically Closed in one transaction.
# Requested -> Cancelled is cancel() by the requester, or reclaim() of job 1 after the
# deadline of a request no producer took.
ORDER_EDGES = frozenset({
    (OrderStatus.NONE, OrderStatus.REQUESTED), (OrderStatus.NONE, OrderStatus.OPEN),
    (OrderStatus.REQUESTED, OrderStatus.OPEN), (OrderStatus.REQUESTED, OrderStatus.CLOSED),
    (OrderStatus.OPEN, OrderStatus.CLOSED), (OrderStatus.REQUESTED, OrderStatus.CANCELLED),
    (OrderStatus.OPEN, OrderStatus.CANCELLED), (OrderStatus.CLOSED, OrderStatus.CANCELLED),
})
JOB_EDGES = frozenset({
    (JobStatus.NONE, JobStatus.JOINED), (JobStatus.JOINED, JobStatus.MODEL_SUBMITTED),
    (JobStatus.MODEL_SUBMITTED, JobStatus.SHIPPED), (JobStatus.SHIPPED, JobStatus.COMPLETED),
    (JobStatus.JOINED, JobStatus.LEFT), (JobStatus.JOINED, JobStatus.REFUNDED),
    (JobStatus.MODEL_SUBMITTED, JobStatus.REFUNDED),
    (JobStatus.MODEL_SUBMITTED, JobStatus.REJECTED), (JobStatus.SHIPPED, JobStatus.DISPUTED),
    (JobStatus.DISPUTED, JobStatus.RESOLVED), (JobStatus.DISPUTED, JobStatus.COMPLETED),
})
TERMINAL_ORDER = frozenset({OrderStatus.CANCELLED})
TERMINAL_JOB = frozenset({JobStatus.COMPLETED, JobStatus.LEFT, JobStatus.REFUNDED,
                          JobStatus.RESOLVED, JobStatus.REJECTED})
# A selector the market does not have (e.g. nameArbiter, gone since the arbiter is named at
# creation): the market's fallback delegates it to the extension, which has no such function
# and no fallback, so the call reverts without data.
NO_SUCH_FUNCTION = Revert("<no revert data>")
# What a disputed job may become: the arbiter's split or the default rule (Resolved), or
# the customer's confirmation after all (Completed).
DISPUTE_ENDS = frozenset({JobStatus.RESOLVED, JobStatus.COMPLETED})

Dims = tuple[int, int, int]


def box_volume(dims: Dims) -> int:
    """Bounding-box volume in mm3 of micrometre dimensions, rounded up."""
    return -(-(dims[0] * dims[1] * dims[2]) // 10**9)


def build_space(dims: Dims, quantity: int) -> int:
    """Build space in mm3: bounding box x quantity."""
    return box_volume(dims) * quantity


def price(price_per_cm3: int, space: int) -> int:
    """ceil(price per cm3 x build space (mm3) / 1000)."""
    return -(-(price_per_cm3 * space) // 1000)


def reject_fee(deposit: int) -> int:
    """The producer's share of a rejected job's deposit."""
    return deposit * REJECT_FEE_BPS // 10_000


def fits(dims: Dims, envelope: Dims) -> bool:
    return all(a <= b for a, b in zip(sorted(dims), sorted(envelope), strict=True))


@dataclass
class Machine:
    owner: str
    envelope: Dims
    process: bytes
    material: bytes
    uri: str


@dataclass
class Job:
    customer: str
    status: JobStatus
    deposit: int
    dims: Dims
    part_volume: int
    quantity: int
    shipped_at: int = 0
    digest: bytes = bytes(32)

    @property
    def space(self) -> int:
        return box_volume(self.dims) * self.quantity

    def as_tuple(self) -> tuple[Any, ...]:
        """The chain's Job struct, field by field."""
        return (self.customer, int(self.status), self.deposit, *self.dims, self.part_volume,
                self.quantity, self.shipped_at, self.digest)


@dataclass
class Order:
    producer: str
    status: OrderStatus
    machine_id: int
    token: str
    price: int
    capacity: int
    used: int
    start: int
    end: int
    deadline: int
    envelope: Dims
    material: bytes
    jobs: list[Job] = field(default_factory=list)
    arbiter: str = ZERO  # named at open or request (public mode), for good; not in the struct

    @property
    def live_jobs(self) -> int:
        return sum(j.status in LIVE for j in self.jobs)

    def as_tuple(self) -> tuple[Any, ...]:
        """The chain's Order struct, field by field."""
        return (self.producer, int(self.status), self.machine_id, len(self.jobs),
                self.live_jobs, self.token, self.price, self.capacity, self.used, self.start,
                self.end, self.deadline, *self.envelope, self.material)


Event = tuple[str, dict[str, Any]]


@dataclass
class Plan:
    """A call the model expects to succeed: its events and its effect on the model."""

    events: list[Event]
    apply: Callable[[], None]
    value: int = 0


Outcome = Revert | Plan


class Model:
    def __init__(
        self,
        *,
        contract: str,
        tokens: tuple[str, ...],
        permissioned: bool,
        roles: dict[str, set[bytes]],
        admin: str,
        confirmation_window: int,
        arbitration_window: int,
        max_lead_time: int,
        now: int,
    ) -> None:
        self.contract = contract  # the orders contract's address
        self.permissioned = permissioned
        self.roles = {a: set(r) for a, r in roles.items()}  # this example's copy
        self.admin = admin  # membership admin (DEFAULT_ADMIN_ROLE) and token admin
        self.window = confirmation_window
        self.arbitration = arbitration_window
        self.lead_time = max_lead_time
        self.now = now  # timestamp of the next transaction
        self.orders: list[Order] = []
        self.machines: list[Machine] = []
        self.fingerprints: dict[str, bytes] = defaultdict(lambda: bytes(32))
        self.credits: dict[tuple[str, str], int] = defaultdict(int)
        self.allowed: dict[str, bool] = defaultdict(bool)  # the token allowlist
        self.eth: dict[str, int] = {}
        # ERC-20 balances and allowances towards the orders contract, per token
        self.tokens: dict[str, dict[str, int]] = {t: defaultdict(int) for t in tokens}
        self.allowance: dict[str, dict[str, int]] = {t: defaultdict(int) for t in tokens}

    # ------------------------------------------------------------------ helpers
    def order(self, order_id: int) -> Order | None:
        return self.orders[order_id - 1] if 1 <= order_id <= len(self.orders) else None

    def job(self, order_id: int, job_id: int) -> Job | None:
        order = self.order(order_id)
        if order is None or not 1 <= job_id <= len(order.jobs):
            return None
        return order.jobs[job_id - 1]

    def _role(self, sender: str, role: bytes) -> Revert | None:
        if self.permissioned and role not in self.roles.get(sender, set()):
            return Revert("NotMember", (sender, role))
        return None

    def _participant(self, sender: str) -> Revert | None:
        if self.permissioned and not self.roles.get(sender, set()) & {PRODUCER_ROLE,
                                                                       CUSTOMER_ROLE}:
            return Revert("NotMember", (sender, ANY_PARTICIPANT))
        return None

    def _machine(self, sender: str, machine_id: int, envelope: Dims) -> Revert | bytes:
        m = self.machines[machine_id - 1] if 1 <= machine_id <= len(self.machines) else None
        if m is None or m.owner != sender:
            return Revert("NotMachineOwner", (machine_id, sender))
        if not fits(envelope, m.envelope):
            return Revert("EnvelopeTooLarge", (envelope, m.envelope))
        return m.material

    def _window(self, start: int, end: int, deadline: int) -> Revert | None:
        if (start >= end or end <= self.now or deadline <= end
                or deadline - end > self.lead_time):
            return Revert("InvalidWindow", (start, end, deadline, self.lead_time))
        return None

    def token_allowed(self, token: str) -> bool:
        return token == ZERO or self.allowed[token]

    def _token(self, token: str) -> Revert | None:
        if not self.token_allowed(token):
            return Revert("TokenNotAllowed", (token,))
        return None

    def _arbiter(self, sender: str, arbiter: str) -> Revert | None:
        """An arbiter is named only in public mode, and never by itself (ZERO: none)."""
        if arbiter != ZERO and (self.permissioned or arbiter == sender):
            return Revert("CannotNameArbiter", (sender, arbiter))
        return None

    @staticmethod
    def _named(order_id: int, arbiter: str) -> list[Event]:
        """ArbiterNamed, emitted after the order's creation events if one is named."""
        if arbiter == ZERO:
            return []
        return [("ArbiterNamed", {"orderId": order_id, "arbiter": arbiter})]

    @staticmethod
    def _capacity(capacity: int, least: int, envelope: Dims) -> Revert | None:
        most = box_volume(envelope)
        if capacity == 0 or capacity < least or capacity > most:
            return Revert("InvalidCapacity", (capacity, least, most))
        return None

    @staticmethod
    def _part(dims: Dims, part_volume: int, quantity: int) -> Revert | int:
        box = box_volume(dims)  # 0 if a dimension is 0: then part_volume > box
        if quantity == 0 or part_volume == 0 or part_volume > box:
            return Revert("InvalidPart", (dims, part_volume, quantity))
        return box * quantity

    @staticmethod
    def _value(token: str, deposit: int, value: int) -> Revert | None:
        expected = deposit if token == ZERO else 0
        if value != expected:
            return Revert("WrongPayment", (expected, value))
        return None

    def _pull(self, sender: str, token: str, deposit: int) -> Revert | None:
        """OpenZeppelin ERC20.transferFrom: allowance first, then balance."""
        if token == ZERO or deposit == 0:
            return None
        allowance, balance = self.allowance[token][sender], self.tokens[token][sender]
        if allowance < deposit:
            return Revert("ERC20InsufficientAllowance", (self.contract, allowance, deposit))
        if balance < deposit:
            return Revert("ERC20InsufficientBalance", (sender, balance, deposit))
        return None

    def _move_in(self, sender: str, token: str, deposit: int) -> None:
        if token == ZERO or deposit == 0:
            return
        if self.allowance[token][sender] != MAX_UINT256:
            self.allowance[token][sender] -= deposit
        self.tokens[token][sender] -= deposit
        self.tokens[token][self.contract] += deposit

    def _customer_job(self, sender: str, order_id: int, job_id: int) -> Revert | Job:
        job = self.job(order_id, job_id)
        if job is None:
            return Revert("JobNotFound", (order_id, job_id))
        if job.customer != sender:
            return Revert("NotJobCustomer", (order_id, job_id, sender))
        return job

    def _producer_job(self, sender: str, order_id: int, job_id: int) -> Revert | Job:
        order = self.order(order_id)
        if order is None:
            return Revert("OrderNotFound", (order_id,))
        if order.producer != sender:
            return Revert("NotOrderProducer", (order_id, sender))
        job = self.job(order_id, job_id)
        if job is None:
            return Revert("JobNotFound", (order_id, job_id))
        return job

    def _release(self, order: Order, job: Job, to: str) -> int:
        """Frees the job's space (its live slot: the job's new status is no longer live)."""
        order.used -= job.space
        if job.deposit and to != ZERO:
            self.credits[(to, order.token)] += job.deposit
        return job.deposit

    def _split(self, order: Order, job: Job, to_producer: int) -> None:
        if to_producer:
            self.credits[(order.producer, order.token)] += to_producer
        if job.deposit != to_producer:
            self.credits[(job.customer, order.token)] += job.deposit - to_producer

    # ------------------------------------------------------------------ registry
    def predict_publish_key(self, sender: str, fingerprint: bytes, armored: bytes) -> Outcome:
        if err := self._participant(sender):
            return err
        if fingerprint == bytes(32):
            return Revert("EmptyFingerprint")

        def apply() -> None:
            self.fingerprints[sender] = fingerprint

        return Plan([("KeyPublished", {"account": sender, "fingerprint": fingerprint,
                                       "armoredKey": armored})], apply)

    def predict_register_machine(
        self, sender: str, process: bytes, material: bytes, envelope: Dims, uri: str
    ) -> Outcome:
        if err := self._role(sender, PRODUCER_ROLE):
            return err
        if self.fingerprints[sender] == bytes(32):
            return Revert("KeyNotPublished", (sender,))
        if process == bytes(16) or material == bytes(16) or 0 in envelope:
            return Revert("InvalidMachine")
        machine_id = len(self.machines) + 1

        def apply() -> None:
            self.machines.append(Machine(sender, envelope, process, material, uri))

        return Plan([("MachineRegistered", {
            "machineId": machine_id, "owner": sender, "process": process, "material": material,
            "envelope": envelope, "metadataURI": uri})], apply)

    # ------------------------------------------------------------------ order creation
    def predict_open(
        self, sender: str, machine_id: int, envelope: Dims, capacity: int, start: int,
        end: int, deadline: int, price_per_cm3: int, token: str, arbiter: str,
    ) -> Outcome:
        if err := self._role(sender, PRODUCER_ROLE):
            return err
        material = self._machine(sender, machine_id, envelope)
        if isinstance(material, Revert):
            return material
        if ((err := self._window(start, end, deadline))
                or (err := self._capacity(capacity, 0, envelope))
                or (err := self._token(token))
                or (err := self._arbiter(sender, arbiter))):
            return err
        order_id = len(self.orders) + 1

        def apply() -> None:
            self.orders.append(Order(sender, OrderStatus.OPEN, machine_id, token, price_per_cm3,
                                     capacity, 0, start, end, deadline, envelope, material,
                                     arbiter=arbiter))

        return Plan([("OrderOpened", {
            "orderId": order_id, "producer": sender, "machineId": machine_id,
            "capacity": capacity, "pricePerCm3": price_per_cm3, "token": token}),
            *self._named(order_id, arbiter)], apply)

    def predict_request(
        self, sender: str, material: bytes, dims: Dims, part_volume: int, quantity: int,
        max_price: int, token: str, end: int, deadline: int, arbiter: str, value: int,
    ) -> Outcome:
        if ((err := self._role(sender, CUSTOMER_ROLE))
                or (err := self._window(self.now, end, deadline))
                or (err := self._token(token))
                or (err := self._arbiter(sender, arbiter))):
            return err
        space = self._part(dims, part_volume, quantity)
        if isinstance(space, Revert):
            return space
        deposit = price(max_price, space)
        if (err := self._value(token, deposit, value)) or (
            err := self._pull(sender, token, deposit)
        ):
            return err
        order_id = len(self.orders) + 1
        now = self.now

        def apply() -> None:
            order = Order(ZERO, OrderStatus.REQUESTED, 0, token, max_price, space, space, now,
                          end, deadline, dims, material, arbiter=arbiter)
            order.jobs.append(Job(sender, JobStatus.JOINED, deposit, dims, part_volume, quantity))
            self.orders.append(order)
            self._move_in(sender, token, deposit)

        return Plan([
            ("OrderRequested", {"orderId": order_id, "customer": sender, "material": material,
                                "maxPricePerCm3": max_price, "token": token}),
            ("JobJoined", {"orderId": order_id, "jobId": 1, "customer": sender,
                           "buildSpace": space, "deposit": deposit}),
            *self._named(order_id, arbiter),
        ], apply, value)

    def predict_take(
        self, sender: str, order_id: int, machine_id: int, envelope: Dims, capacity: int,
        price_per_cm3: int,
    ) -> Outcome:
        if err := self._role(sender, PRODUCER_ROLE):
            return err
        order = self.order(order_id)
        if order is None:
            return Revert("OrderNotFound", (order_id,))
        if order.status != OrderStatus.REQUESTED:
            return Revert("WrongOrderStatus", (order_id, int(order.status)))
        if self.now >= order.end:
            return Revert("WindowOver", (order_id, order.end))
        material = self._machine(sender, machine_id, envelope)
        if isinstance(material, Revert):
            return material
        if order.material != bytes(16) and order.material != material:
            return Revert("MaterialMismatch", (order.material, material))
        if price_per_cm3 > order.price:
            return Revert("PriceAboveMax", (price_per_cm3, order.price))
        first = order.jobs[0]
        if not fits(first.dims, envelope):
            return Revert("DoesNotFit", (first.dims, envelope))
        if err := self._capacity(capacity, order.used, envelope):
            return err
        full = capacity == order.used
        deposit = price(price_per_cm3, first.space)
        refund = first.deposit - deposit

        def apply() -> None:
            order.producer = sender
            order.status = OrderStatus.CLOSED if full else OrderStatus.OPEN
            order.machine_id = machine_id
            order.price = price_per_cm3
            order.capacity = capacity
            order.envelope = envelope
            order.material = material
            first.deposit = deposit
            if refund:
                self.credits[(first.customer, order.token)] += refund

        events: list[Event] = [("OrderTaken", {
            "orderId": order_id, "producer": sender, "machineId": machine_id,
            "capacity": capacity, "pricePerCm3": price_per_cm3, "refund": refund})]
        if full:
            events.append(("OrderClosed", {"orderId": order_id}))
        return Plan(events, apply)

    # ------------------------------------------------------------------ joining and leaving
    def predict_join(
        self, sender: str, order_id: int, dims: Dims, part_volume: int, quantity: int,
        value: int,
    ) -> Outcome:
        if err := self._role(sender, CUSTOMER_ROLE):
            return err
        return self._predict_parts(sender, order_id, [(dims, part_volume, quantity)], value)

    def predict_join_parts(
        self, sender: str, order_id: int, parts: list[tuple[Dims, int, int]], value: int
    ) -> Outcome:
        """An assembly: each part checked as its own join against the order as the parts
        before it left it (job ids, live jobs, space), one payment of the deposits' sum."""
        if err := self._role(sender, CUSTOMER_ROLE):
            return err
        if not parts:
            return Revert("EmptyAssembly")
        return self._predict_parts(sender, order_id, parts, value)

    def _predict_parts(
        self, sender: str, order_id: int, parts: list[tuple[Dims, int, int]], value: int
    ) -> Outcome:
        order = self.order(order_id)
        if order is None:
            return Revert("OrderNotFound", (order_id,))
        used, live, count = order.used, order.live_jobs, len(order.jobs)
        jobs: list[tuple[Dims, int, int, int, int]] = []  # dims, volume, quantity, space, deposit
        for dims, part_volume, quantity in parts:
            if order.status != OrderStatus.OPEN:
                return Revert("WrongOrderStatus", (order_id, int(order.status)))
            if self.now < order.start:
                return Revert("WindowNotStarted", (order_id, order.start))
            if self.now >= order.end:
                return Revert("WindowOver", (order_id, order.end))
            if live >= MAX_LIVE_JOBS:
                return Revert("TooManyJobs", (order_id, MAX_LIVE_JOBS))
            if count >= MAX_JOB_IDS:
                return Revert("TooManyJobs", (order_id, MAX_JOB_IDS))
            space = self._part(dims, part_volume, quantity)
            if isinstance(space, Revert):
                return space
            if not fits(dims, order.envelope):
                return Revert("DoesNotFit", (dims, order.envelope))
            left = order.capacity - used
            if space > left:
                return Revert("NoSpaceLeft", (order_id, space, left))
            jobs.append((dims, part_volume, quantity, space, price(order.price, space)))
            used, live, count = used + space, live + 1, count + 1
        total = sum(job[4] for job in jobs)
        if (err := self._value(order.token, total, value)) or (
            err := self._pull(sender, order.token, total)
        ):
            return err
        first = len(order.jobs) + 1
        full = used == order.capacity

        def apply() -> None:
            for dims, part_volume, quantity, _, deposit in jobs:
                order.jobs.append(Job(sender, JobStatus.JOINED, deposit, dims, part_volume, quantity))
            order.used = used
            if full:
                order.status = OrderStatus.CLOSED
            self._move_in(sender, order.token, total)

        events: list[Event] = [
            ("JobJoined", {"orderId": order_id, "jobId": first + i, "customer": sender,
                           "buildSpace": space, "deposit": deposit})
            for i, (_, _, _, space, deposit) in enumerate(jobs)
        ]
        if full:
            events.append(("OrderClosed", {"orderId": order_id}))
        return Plan(events, apply, value)

    def predict_leave(self, sender: str, order_id: int, job_id: int) -> Outcome:
        if err := self._role(sender, CUSTOMER_ROLE):
            return err
        job = self._customer_job(sender, order_id, job_id)
        if isinstance(job, Revert):
            return job
        order = self.orders[order_id - 1]
        if order.status != OrderStatus.OPEN:
            return Revert("WrongOrderStatus", (order_id, int(order.status)))
        if job.status != JobStatus.JOINED:
            return Revert("WrongJobStatus", (order_id, job_id, int(job.status)))

        def apply() -> None:
            job.status = JobStatus.LEFT
            self._release(order, job, job.customer)

        return Plan([("JobLeft", {"orderId": order_id, "jobId": job_id,
                                  "refund": job.deposit})], apply)

    def predict_evict(self, sender: str, order_id: int, job_ids: tuple[int, ...]) -> Outcome:
        """The producer removes Joined jobs from its Open order, in the list's order: each
        refunded in full, its space and live slot freed. A job listed twice is Refunded the
        second time (WrongJobStatus); an empty list does nothing."""
        if err := self._role(sender, PRODUCER_ROLE):
            return err
        order = self.order(order_id)
        if order is None:
            return Revert("OrderNotFound", (order_id,))
        if order.producer != sender:
            return Revert("NotOrderProducer", (order_id, sender))
        if order.status != OrderStatus.OPEN:
            return Revert("WrongOrderStatus", (order_id, int(order.status)))
        evicted: dict[int, Job] = {}
        events: list[Event] = []
        for job_id in job_ids:
            job = self.job(order_id, job_id)
            if job is None:
                return Revert("JobNotFound", (order_id, job_id))
            status = JobStatus.REFUNDED if job_id in evicted else job.status
            if status != JobStatus.JOINED:
                return Revert("WrongJobStatus", (order_id, job_id, int(status)))
            evicted[job_id] = job
            events.append(("JobEvicted", {"orderId": order_id, "jobId": job_id,
                                          "refund": job.deposit}))

        def apply() -> None:
            for job in evicted.values():
                job.status = JobStatus.REFUNDED
                self._release(order, job, job.customer)

        return Plan(events, apply)

    # ------------------------------------------------------------------ closing and cancelling
    def predict_close(self, sender: str, order_id: int) -> Outcome:
        order = self.order(order_id)
        if order is None:
            return Revert("OrderNotFound", (order_id,))
        if sender == order.producer:
            if err := self._role(sender, PRODUCER_ROLE):
                return err
        else:
            if err := self._participant(sender):
                return err
            if self.now < order.end:
                return Revert("NotOrderProducer", (order_id, sender))
        if order.status != OrderStatus.OPEN:
            return Revert("WrongOrderStatus", (order_id, int(order.status)))

        def apply() -> None:
            order.status = OrderStatus.CLOSED

        return Plan([("OrderClosed", {"orderId": order_id})], apply)

    def predict_cancel(self, sender: str, order_id: int) -> Outcome:
        order = self.order(order_id)
        if order is None:
            return Revert("OrderNotFound", (order_id,))
        if order.status == OrderStatus.REQUESTED:
            if err := self._role(sender, CUSTOMER_ROLE):
                return err
            if sender != order.jobs[0].customer:
                return Revert("NotJobCustomer", (order_id, 1, sender))
        else:
            if err := self._role(sender, PRODUCER_ROLE):
                return err
            if sender != order.producer:
                return Revert("NotOrderProducer", (order_id, sender))
            if order.status not in (OrderStatus.OPEN, OrderStatus.CLOSED):
                return Revert("WrongOrderStatus", (order_id, int(order.status)))
        events: list[Event] = [("OrderCancelled", {"orderId": order_id})]
        refunded: list[Job] = []
        shipped = (JobStatus.SHIPPED, JobStatus.COMPLETED, JobStatus.DISPUTED,
                   JobStatus.RESOLVED)
        for job_id, job in enumerate(order.jobs, start=1):
            if job.status == JobStatus.MODEL_SUBMITTED:
                return Revert("ModelReceived", (order_id, job_id))
            if job.status in shipped:
                return Revert("AlreadyShipped", (order_id, job_id))
            if job.status == JobStatus.JOINED:
                refunded.append(job)
                events.append(("JobRefunded", {"orderId": order_id, "jobId": job_id,
                                               "refund": job.deposit}))

        def apply() -> None:
            order.status = OrderStatus.CANCELLED
            for job in refunded:
                job.status = JobStatus.REFUNDED
                self._release(order, job, job.customer)

        return Plan(events, apply)

    # ------------------------------------------------------------------ model, shipment, completion
    def predict_submit_model(
        self, sender: str, order_id: int, job_id: int, digest: bytes, uri: str
    ) -> Outcome:
        if err := self._role(sender, CUSTOMER_ROLE):
            return err
        return self._predict_models(sender, order_id, [job_id], digest, uri)

    def predict_submit_models(
        self, sender: str, order_id: int, job_ids: list[int], digest: bytes, uri: str
    ) -> Outcome:
        """One model for several jobs: each checked as its own submitModel, in the order
        given, the jobs before it already recorded (a job named twice is no longer Joined)."""
        if err := self._role(sender, CUSTOMER_ROLE):
            return err
        if not job_ids:
            return Revert("EmptyAssembly")
        return self._predict_models(sender, order_id, job_ids, digest, uri)

    def _predict_models(
        self, sender: str, order_id: int, job_ids: list[int], digest: bytes, uri: str
    ) -> Outcome:
        recorded: list[Job] = []
        for job_id in job_ids:
            job = self._customer_job(sender, order_id, job_id)
            if isinstance(job, Revert):
                return job
            order = self.orders[order_id - 1]
            if order.status != OrderStatus.CLOSED:
                return Revert("WrongOrderStatus", (order_id, int(order.status)))
            if job.status != JobStatus.JOINED or any(job is r for r in recorded):
                status = JobStatus.MODEL_SUBMITTED if any(job is r for r in recorded) else job.status
                return Revert("WrongJobStatus", (order_id, job_id, int(status)))
            if digest == bytes(32) or not uri:
                return Revert("EmptyModel")
            recorded.append(job)

        def apply() -> None:
            for job in recorded:
                job.status = JobStatus.MODEL_SUBMITTED
                job.digest = digest

        return Plan([("ModelSubmitted", {"orderId": order_id, "jobId": job_id,
                                         "digest": digest, "uri": uri}) for job_id in job_ids], apply)

    def predict_ship(self, sender: str, order_id: int, job_id: int) -> Outcome:
        if err := self._role(sender, PRODUCER_ROLE):
            return err
        job = self._producer_job(sender, order_id, job_id)
        if isinstance(job, Revert):
            return job
        order = self.orders[order_id - 1]
        if job.status != JobStatus.MODEL_SUBMITTED:
            return Revert("WrongJobStatus", (order_id, job_id, int(job.status)))
        if self.now >= order.deadline:
            return Revert("DeliveryDeadlinePassed", (order_id, order.deadline))
        now = self.now

        def apply() -> None:
            job.status = JobStatus.SHIPPED
            job.shipped_at = now

        return Plan([("JobShipped", {"orderId": order_id, "jobId": job_id})], apply)

    def _complete(self, order_id: int, job_id: int, order: Order, job: Job,
                  confirmed: bool) -> Plan:
        def apply() -> None:
            job.status = JobStatus.COMPLETED
            if job.deposit:
                self.credits[(order.producer, order.token)] += job.deposit

        return Plan([("JobCompleted", {"orderId": order_id, "jobId": job_id,
                                       "payment": job.deposit, "confirmed": confirmed})], apply)

    def predict_confirm_receipt(self, sender: str, order_id: int, job_id: int) -> Outcome:
        if err := self._role(sender, CUSTOMER_ROLE):
            return err
        job = self._customer_job(sender, order_id, job_id)
        if isinstance(job, Revert):
            return job
        if job.status not in (JobStatus.SHIPPED, JobStatus.DISPUTED):
            return Revert("WrongJobStatus", (order_id, job_id, int(job.status)))
        return self._complete(order_id, job_id, self.orders[order_id - 1], job, True)

    def predict_finalize(self, sender: str, order_id: int, job_id: int) -> Outcome:
        if err := self._role(sender, PRODUCER_ROLE):
            return err
        job = self._producer_job(sender, order_id, job_id)
        if isinstance(job, Revert):
            return job
        if job.status != JobStatus.SHIPPED:
            return Revert("WrongJobStatus", (order_id, job_id, int(job.status)))
        until = job.shipped_at + self.window
        if self.now < until:
            return Revert("ConfirmationWindowOpen", (order_id, job_id, until))
        return self._complete(order_id, job_id, self.orders[order_id - 1], job, False)

    def predict_reclaim(self, sender: str, order_id: int, job_id: int) -> Outcome:
        if err := self._role(sender, CUSTOMER_ROLE):
            return err
        job = self._customer_job(sender, order_id, job_id)
        if isinstance(job, Revert):
            return job
        order = self.orders[order_id - 1]
        if job.status not in (JobStatus.JOINED, JobStatus.MODEL_SUBMITTED):
            return Revert("WrongJobStatus", (order_id, job_id, int(job.status)))
        if self.now < order.deadline:
            return Revert("DeliveryDeadlineNotPassed", (order_id, order.deadline))

        requested = order.status == OrderStatus.REQUESTED

        def apply() -> None:
            job.status = JobStatus.REFUNDED
            self._release(order, job, job.customer)
            if requested:
                order.status = OrderStatus.CANCELLED

        events: list[Event] = [("JobRefunded", {"orderId": order_id, "jobId": job_id,
                                                "refund": job.deposit})]
        if requested:
            events.append(("OrderCancelled", {"orderId": order_id}))
        return Plan(events, apply)

    # ------------------------------------------------------------------ reject and disputes
    def predict_reject(self, sender: str, order_id: int, job_id: int) -> Outcome:
        if err := self._role(sender, PRODUCER_ROLE):
            return err
        job = self._producer_job(sender, order_id, job_id)
        if isinstance(job, Revert):
            return job
        order = self.orders[order_id - 1]
        if job.status != JobStatus.MODEL_SUBMITTED:
            return Revert("WrongJobStatus", (order_id, job_id, int(job.status)))
        if self.now >= order.deadline:
            return Revert("DeliveryDeadlinePassed", (order_id, order.deadline))
        fee = reject_fee(job.deposit)

        def apply() -> None:
            job.status = JobStatus.REJECTED
            self._release(order, job, ZERO)
            self._split(order, job, fee)

        return Plan([("JobRejected", {"orderId": order_id, "jobId": job_id,
                                      "toProducer": fee, "toCustomer": job.deposit - fee})],
                    apply)

    def predict_dispute(self, sender: str, order_id: int, job_id: int, reason: str = REASON) -> Outcome:
        if err := self._role(sender, CUSTOMER_ROLE):
            return err
        job = self._customer_job(sender, order_id, job_id)
        if isinstance(job, Revert):
            return job
        if job.status != JobStatus.SHIPPED:
            return Revert("WrongJobStatus", (order_id, job_id, int(job.status)))
        until = job.shipped_at + self.window
        if self.now >= until:
            return Revert("ConfirmationWindowOver", (order_id, job_id, until))
        length = len(reason.encode())
        if not 0 < length <= MAX_REASON_BYTES:
            return Revert("InvalidReason", (length, MAX_REASON_BYTES))

        def apply() -> None:
            job.status = JobStatus.DISPUTED

        return Plan([("JobDisputed", {"orderId": order_id, "jobId": job_id, "reason": reason})], apply)

    def is_arbiter(self, account: str, order: Order) -> bool:
        """Holds the arbiter's office for the order (party to the job or not)."""
        if self.permissioned:
            return ARBITER_ROLE in self.roles.get(account, set())
        return account != ZERO and order.arbiter == account

    def predict_resolve(self, sender: str, order_id: int, job_id: int,
                        to_producer: int) -> Outcome:
        order = self.order(order_id)
        if order is None:
            return Revert("OrderNotFound", (order_id,))
        job = self.job(order_id, job_id)
        if job is None:
            return Revert("JobNotFound", (order_id, job_id))
        if (not self.is_arbiter(sender, order) or sender == order.producer
                or sender == job.customer):
            return Revert("NotArbiter", (order_id, sender))
        if job.status != JobStatus.DISPUTED:
            return Revert("WrongJobStatus", (order_id, job_id, int(job.status)))
        if to_producer > job.deposit:
            return Revert("SplitTooLarge", (to_producer, job.deposit))

        def apply() -> None:
            job.status = JobStatus.RESOLVED
            self._split(order, job, to_producer)

        return Plan([("JobResolved", {"orderId": order_id, "jobId": job_id, "arbiter": sender,
                                      "toProducer": to_producer,
                                      "toCustomer": job.deposit - to_producer})], apply)

    def arbitration_end(self, job: Job) -> int:
        return job.shipped_at + self.window + self.arbitration

    def predict_settle(self, sender: str, order_id: int, job_id: int) -> Outcome:
        order = self.order(order_id)
        if order is None:
            return Revert("OrderNotFound", (order_id,))
        job = self.job(order_id, job_id)
        if job is None:
            return Revert("JobNotFound", (order_id, job_id))
        if job.status != JobStatus.DISPUTED:
            return Revert("WrongJobStatus", (order_id, job_id, int(job.status)))
        until = self.arbitration_end(job)
        if self.now < until:
            return Revert("ArbitrationWindowOpen", (order_id, job_id, until))

        def apply() -> None:
            job.status = JobStatus.RESOLVED
            self._split(order, job, 0)

        return Plan([("JobResolved", {"orderId": order_id, "jobId": job_id, "arbiter": ZERO,
                                      "toProducer": 0, "toCustomer": job.deposit})], apply)

    # ------------------------------------------------------------------ token allowlist
    def predict_allow_token(self, sender: str, token: str, allowed: bool) -> Outcome:
        if sender != self.admin:
            return Revert("NotTokenAdmin", (sender,))

        def apply() -> None:
            self.allowed[token] = allowed

        return Plan([("TokenAllowed", {"token": token, "allowed": allowed})], apply)

    # ------------------------------------------------------------------ membership
    def predict_role(self, sender: str, grant: bool, role: bytes, account: str) -> Outcome:
        """Membership.grantRole / revokeRole (OpenZeppelin AccessControl): the admin only;
        an event only if the role changes."""
        if sender != self.admin:
            return Revert("AccessControlUnauthorizedAccount", (sender, DEFAULT_ADMIN_ROLE))
        held = role in self.roles.setdefault(account, set())
        if held == grant:
            return Plan([], lambda: None)

        def apply() -> None:
            if grant:
                self.roles[account].add(role)
            else:
                self.roles[account].discard(role)

        event = "RoleGranted" if grant else "RoleRevoked"
        return Plan([(event, {"role": role, "account": account, "sender": sender})], apply)

    # ------------------------------------------------------------------ payments
    def predict_withdraw(self, sender: str, token: str) -> Outcome:
        # No role: a member removed since keeps what it earned.
        amount = self.credits[(sender, token)]
        if amount == 0:
            return Revert("NothingToWithdraw", (sender, token))

        def apply() -> None:
            self.credits[(sender, token)] = 0
            if token == ZERO:
                self.eth[sender] += amount
                self.eth[self.contract] -= amount
            else:
                self.tokens[token][sender] += amount
                self.tokens[token][self.contract] -= amount

        return Plan([("Withdrawn", {"account": sender, "token": token, "amount": amount})],
                    apply)

    # ------------------------------------------------------------------ derived
    def held(self, token: str) -> int:
        """Deposits held in escrow in `token`."""
        return sum(j.deposit for o in self.orders if o.token == token for j in o.jobs
                   if j.status in HELD)

    def owed(self, token: str) -> int:
        return sum(v for (_, t), v in self.credits.items() if t == token)

