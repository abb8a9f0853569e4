"""The Hypothesis state machine: random actors call every external function; after each
transaction the chain is read in one batch and held to the invariants of docs/DESIGN.md,
"Invariants", and to the reference model.

`machine_for(deployment)` binds the machine class to one deployment (public or
permissioned, real contract or mutant). Failures raise `InvariantError` with the label of the
broken invariant (its name in docs/DESIGN.md, "Invariants"):

- "space-conserved": space used == sum of the live jobs' build space <= capacity (and the
  spaceLeft and jobCount views agree with the order)
- "live-jobs-counted": liveJobs == number of live jobs <= MAX_LIVE_JOBS; jobCount <=
  MAX_JOB_IDS
- "jobs-fit-envelope": every live job fits its order's envelope
- "requests-intact": a Requested order has one job, live (Joined), using all its capacity,
  and no producer or machine
- "states-move-forward": orders and jobs never disappear; states move only along the allowed
  edges (so terminal states stay); a set digest or shipment time never changes
- "value-conserved": orders contract balance == deposits held + credits owed, per payment
  token (ETH and both ERC-20s)
- "lead-time-bounded": every order has start < end < deadline <= end + maxLeadTime
- "deposits-bounded": every held deposit can be released by a known time: a Joined or
  ModelSubmitted job at its order's deadline (reclaim), a Shipped job (shipped before the
  deadline) at shippedAt + confirmationWindow (finalize), a Disputed job at shippedAt +
  confirmationWindow + arbitrationWindow (settle); none later than end + maxLeadTime +
  both windows
- "disputes-by-rule": a job becomes Disputed only by its customer before shippedAt +
  confirmationWindow; a Disputed job ends only Completed (its customer's confirmation) or
  Resolved (resolve by an arbiter who is neither the producer nor the customer, or settle
  from shippedAt + confirmationWindow + arbitrationWindow on)
- "splits-conserve": a reject, resolve or settle credits exactly the job's deposit, split
  by its rule: REJECT_FEE_BPS to the producer (reject), the arbiter's toProducer <= deposit
  (resolve), all to the customer (settle)
- "token-allowed": a new order pays in ETH or in a token allowed at the time; ETH is always
  allowed
- "reverts-change-nothing": a reverted call changed nothing but the sender's gas; a call
  succeeds only for a sender entitled to it (permissioned mode: the role its step needs,
  read from the chain before the call; allowToken: the token admin)
- "steps-in-order": no join after close/end/cancel; no model before close; shipment and
  completion only after model and shipment; evict only moves Joined jobs of an Open order
  to Refunded
- "terms-fixed": an order's arbiter (arbiterOf) is the one named (ArbiterNamed) in the
  transaction that created the order, never its creator, never in permissioned mode, and no
  later transaction changes it or names another (the arbiter front-run: renaming the arbiter
  after a customer read the terms, before its join or a producer's take, is impossible)
- "prediction": the chain's outcome (success or the exact custom error) differs from the
  model's
- "events": a successful call emitted other events than the model's
- "model": the chain's state (orders, jobs, credits, balances, allowlist, arbiters, roles,
  registry) differs from the model's

The market is one address (ProductionOrders, whose fallback delegates requests, the token
allowlist and the views to ProductionOrdersExtension): the driver calls every function
through IProductionOrders there.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from tests.property.deploy import (
    ABS,
    MAX_LEAD_TIME,
    PA12,
    SLM,
    SLS,
    TI64,
    Deployment,
    armored,
    fingerprint,
)
from tests.property.driver import Read, Revert, TxResult, raw_calldata
from tests.property.model import (
    ARBITER_ROLE,
    CUSTOMER_ROLE,
    DEFAULT_ADMIN_ROLE,
    DISPUTE_ENDS,
    HELD,
    JOB_EDGES,
    LIVE,
    MAX_JOB_IDS,
    MAX_LIVE_JOBS,
    MAX_UINT256,
    NO_SUCH_FUNCTION,
    ORDER_EDGES,
    PRODUCER_ROLE,
    REASON,
    ROLES,
    ZERO,
    Dims,
    Job,
    JobStatus,
    Model,
    Order,
    OrderStatus,
    Outcome,
    Plan,
    box_volume,
    build_space,
    fits,
    price,
    reject_fee,
)
from tests.property.stats import STATS


class InvariantError(AssertionError):
    """A broken invariant, labelled (see the module docstring)."""

    def __init__(self, invariant: str, detail: str) -> None:
        super().__init__(f"[{invariant}] {detail}")
        self.invariant = invariant


# ---------------------------------------------------------------------- strategies
# Most draws make a well-formed call by the party the step needs; the rest go wrong in one
# specific way (a flaw, a wrong party, a missing order), so every error path is exercised.
DAY = 24 * 3600
WHO = st.integers(0, 23)  # 0-15: the party the step needs; 16-23: account who - 16
REF = st.integers(0, 255)
PICK = st.integers(0, 511)  # guided step: choice (% 256) and flavour (>= 256)
FLAW = st.integers(0, 15)  # 0-10: no flaw; 11-15: the rule's flaws
LENGTHS = st.sampled_from(
    [50_000, 100_000, 20_000, 10_000, 150_000, 33_333, 200_000, 1, 300_000, 400_000]
)
DIMS = st.tuples(LENGTHS, LENGTHS, LENGTHS)
SHARES = st.tuples(st.integers(1, 4), st.integers(1, 4), st.integers(1, 4))
# Up to 1e14 wei per cm3: a deposit stays below 35 ETH, so no account runs dry in 50 steps.
PRICES = st.sampled_from([10**12, 0, 1, 999, 10**6, 10**14, 3 * 10**13])
QUANTITIES = st.sampled_from([1, 2, 1, 3, 5])
VOLUME_CODES = st.sampled_from([2, 3, 1])  # see _part_volume
END_OFFSETS = st.sampled_from([3600, 86400, 600, 7 * 86400])
START_OFFSETS = st.sampled_from([0, -3600, 30, 3600])
# deadline - end: mostly well inside the lead-time bound, also on it, one second past it
# and equal to the end (both refused)
DEADLINE_OFFSETS = st.sampled_from(
    [3600, 4 * DAY, 60, 1, MAX_LEAD_TIME, 3600, 0, MAX_LEAD_TIME + 1, 7 * DAY]
)
FIRST_DEADLINES = st.sampled_from([3600, 4 * DAY, 60, MAX_LEAD_TIME])
TOKEN_CODES = st.integers(0, 7)  # see token_of: ETH, the allowed ERC-20, the other one
CAP_CODES = st.integers(0, 9)
AT = st.integers(0, 9)  # 0-5: now; 6-9: just before, at, just after, at the step's deadline
DELTAS = st.sampled_from([1, 60, 3600, 86400, 3 * 86400, 10, 7 * 86400, 2 * 86400])
MATERIALS = st.sampled_from([bytes(16), PA12, TI64, ABS])
SPLITS = st.integers(0, 5)  # see split_of: 0, all, all + 1, half, a fraction, 1
ARBITER_CODES = st.integers(0, 7)  # see arbiter_of: none, a valid one, the caller, any other
EVICT_PICKS = st.lists(REF, min_size=1, max_size=3)  # see evict_ids
# An assembly's parts: each scaled to the order's envelope, with its volume code and quantity.
ASSEMBLY_PARTS = st.lists(st.tuples(SHARES, VOLUME_CODES, QUANTITIES), min_size=1, max_size=4)
MM = 1000  # micrometres

P, C = PRODUCER_ROLE, CUSTOMER_ROLE
# Permissioned mode: a successful call's sender holds one of these roles (None: no role
# needed; empty: never succeeds). A function missing here fails the run (KeyError).
NEEDS: dict[str, frozenset[bytes] | None] = {
    "publishKey": frozenset({P, C}), "registerMachine": frozenset({P}),
    "open": frozenset({P}), "take": frozenset({P}), "ship": frozenset({P}),
    "finalize": frozenset({P}), "reject": frozenset({P}),
    "evict": frozenset({P}),
    "request": frozenset({C}), "join": frozenset({C}), "leave": frozenset({C}),
    "joinParts": frozenset({C}), "submitModels": frozenset({C}),
    "submitModel": frozenset({C}), "confirmReceipt": frozenset({C}),
    "reclaim": frozenset({C}), "dispute": frozenset({C}),
    "close": frozenset({P, C}), "cancel": frozenset({P, C}),
    "resolve": frozenset({ARBITER_ROLE}),
    "grantRole": frozenset({DEFAULT_ADMIN_ROLE}), "revokeRole": frozenset({DEFAULT_ADMIN_ROLE}),
    "nameArbiter": frozenset(),  # removed (rename_arbiter sends it raw): never succeeds
    "withdraw": None,  # removed members keep their credits
    "settle": None,  # anyone applies the default rule
    "allowToken": None,  # the token admin (checked apart)
}


def _part_volume(dims: Dims, code: int) -> int:
    box = box_volume(dims)
    return {0: 0, 1: 1, 2: max(1, box // 3), 3: box, 4: box + 1}[code]


def _permute(dims: Dims, k: int) -> Dims:
    a, b, c = dims
    return [(a, b, c), (b, c, a), (c, a, b), (a, c, b), (c, b, a), (b, a, c)][k % 6]


def _scaled(dims: Dims, shares: tuple[int, int, int]) -> Dims:
    return (max(1, dims[0] * shares[0] // 4), max(1, dims[1] * shares[1] // 4),
            max(1, dims[2] * shares[2] // 4))


def split_of(deposit: int, code: int, frac: int) -> int:
    """toProducer of a resolve: nothing, all, one more than all (refused), half, a
    fraction, one unit."""
    return [0, deposit, deposit + 1, deposit // 2, deposit * (frac % 101) // 100, 1][code]


def _has_orders(self: OrdersMachine) -> bool:
    return bool(self.model.orders)


def _has_jobs(self: OrdersMachine) -> bool:
    return any(o.jobs for o in self.model.orders)


def _permissioned(self: OrdersMachine) -> bool:
    return self.d.permissioned


@dataclass
class ChainState:
    order_count: int
    orders: dict[int, tuple[Any, ...]]
    jobs: dict[tuple[int, int], tuple[Any, ...]]
    credits: dict[tuple[str, str], int]
    eth: dict[str, int]
    tokens: dict[str, dict[str, int]]  # ERC-20 -> holder -> balance
    allowance: dict[str, dict[str, int]]  # ERC-20 -> holder -> allowance to the orders
    machine_count: int
    machines: dict[int, tuple[Any, ...]]
    fingerprints: dict[str, bytes]
    views: dict[int, tuple[int, int]]  # order id -> (spaceLeft, jobCount)
    allowed: dict[str, bool]  # tokenAllowed of the probed addresses
    arbiters: dict[int, str]  # order id -> arbiterOf (the model's orders and the next id)
    roles: dict[tuple[str, bytes], bool]  # permissioned: (account, role) -> hasRole

    def without_fee(self, sender: str, fee: int) -> ChainState:
        eth = dict(self.eth)
        eth[sender] += fee
        return ChainState(**{**self.__dict__, "eth": eth})


@dataclass(frozen=True)
class Sent:
    """The last transaction: who called what, and what the chain said."""

    sender: str
    name: str
    args: tuple[Any, ...]
    result: TxResult


# Order struct field indexes (IProductionOrders.Order).
O_PRODUCER, O_STATUS, O_MACHINE, O_JOBS, O_LIVE, O_TOKEN, O_PRICE, O_CAP, O_USED = range(9)
O_START, O_END, O_DEADLINE, O_ENV = 9, 10, 11, slice(12, 15)
# Job struct field indexes (IProductionOrders.Job).
J_CUSTOMER, J_STATUS, J_DEPOSIT, J_DIMS, J_VOLUME, J_QTY, J_SHIPPED, J_DIGEST = (
    0, 1, 2, slice(3, 6), 6, 7, 8, 9)
SHIPPED_LIKE = frozenset({JobStatus.SHIPPED, JobStatus.COMPLETED, JobStatus.DISPUTED,
                          JobStatus.RESOLVED})


class OrdersMachine(RuleBasedStateMachine):
    deployment: ClassVar[Deployment]

    def __init__(self) -> None:
        super().__init__()
        d = self.deployment
        self.d = d
        self.drv = d.driver
        self.snapshot = d.chain.snapshot()
        self.actors = d.actors
        self.model = Model(
            contract=d.orders, tokens=d.tokens, permissioned=d.permissioned, roles=d.roles,
            admin=d.admin, confirmation_window=d.window, arbitration_window=d.arbitration,
            max_lead_time=d.lead_time, now=self.drv.head_timestamp() + 1,
        )
        self.model.allowed[d.token] = True  # deploy() allows the first token
        self.model.machines = list(d.machines)
        self.model.fingerprints.update(d.fingerprints)
        self.contract_of = {d.token: "token", d.other_token: "other"}
        # tokenAllowed is read for these: ETH, both ERC-20s, an address that is no token
        self.probed = (ZERO, d.token, d.other_token, d.registry)
        self.key_versions: dict[str, int] = {}
        self.last: Sent | None = None
        self.check_settings()
        self.prev = self.read()
        self.model.eth = dict(self.prev.eth)
        for token in d.tokens:
            self.model.tokens[token].update(self.prev.tokens[token])
            self.model.allowance[token].update(self.prev.allowance[token])
        self.check_model(self.prev)
        STATS.example(d.label)

    def teardown(self) -> None:
        self.d.chain.restore(self.snapshot)

    def check_settings(self) -> None:
        """The deployment's immutables are the ones the model uses."""
        names = ("tokenAdmin", "confirmationWindow", "arbitrationWindow", "maxLeadTime",
                 "membership", "registry")
        got = self.drv.batch([self.drv.read_call("orders", n) for n in names])
        want = [self.d.admin, self.d.window, self.d.arbitration, self.d.lead_time,
                self.d.membership, self.d.registry]
        if _norm(got) != _norm(want):
            raise InvariantError("model", f"settings {names}: chain {got}, model {want}")

    # ------------------------------------------------------------------ choosing
    def who(self, index: int, right: str | None) -> str:
        """The sender: mostly `right` (the party the step needs), else any account."""
        if index >= 16:
            return self.actors[index - 16]
        if right is None or right == ZERO:  # e.g. the producer of a Requested order
            return self.actors[index % len(self.actors)]
        return right

    def token_of(self, code: int) -> str:
        """0-3: ETH, 4-6: the allowed ERC-20, 7: the other one (not allowed at setup)."""
        return ZERO if code < 4 else self.d.token if code < 7 else self.d.other_token

    def pick_order(self, ref: int, wanted: Any = None) -> int:
        """An order id: mostly one `wanted` accepts, sometimes any, rarely none at all."""
        count = len(self.model.orders)
        if ref % 16 == 15 or count == 0:
            return count + 1 if ref % 32 != 31 else 0
        good = [i for i, o in enumerate(self.model.orders, 1) if wanted is None or wanted(o)]
        if good and ref % 16 < 12:
            return good[(ref // 16) % len(good)]
        return 1 + (ref // 16) % count

    def pick_job(self, ref: int, wanted: Any = None) -> tuple[int, int]:
        jobs = [(i, j) for i, o in enumerate(self.model.orders, 1)
                for j in range(1, len(o.jobs) + 1)]
        if ref % 16 == 15 or not jobs:
            order_id = self.pick_order(ref // 16)
            order = self.model.order(order_id)
            return order_id, (len(order.jobs) + 1 if order else 1)
        good = [(i, j) for i, j in jobs if wanted is None or wanted(self.model.orders[i - 1],
                                                                    self.model.orders[i - 1]
                                                                    .jobs[j - 1])]
        if good and ref % 16 < 12:
            return good[(ref // 16) % len(good)]
        return jobs[(ref // 16) % len(jobs)]

    def machine_of(self, sender: str, ref: int) -> int:
        """A machine id: the sender's own one mostly, else any, else one that does not exist."""
        mine = [i for i, m in enumerate(self.model.machines, 1) if m.owner == sender]
        count = len(self.model.machines)
        if ref % 16 == 15:
            return count + 1
        if mine and ref % 16 < 13:
            return mine[(ref // 16) % len(mine)]
        return 1 + (ref // 16) % count if count else 1

    def producer_for(self, ref: int, material: bytes = bytes(16)) -> str:
        owners = [m.owner for m in self.model.machines
                  if material in (bytes(16), m.material)]
        if not owners:
            owners = [m.owner for m in self.model.machines] or self.actors
        return owners[ref % len(owners)]

    def customer_for(self, ref: int) -> str:
        if self.d.permissioned:
            names = [a for a in self.actors if CUSTOMER_ROLE in self.d.roles[a]]
        else:
            names = self.actors[1:]
        return names[ref % len(names)]

    def arbiter_for(self, sender: str, ref: int) -> str:
        """An arbiter to name (public mode): mostly account 0, which the guided steps never
        make a party; one time in four a customer, which may join the order later (and is
        then a party to its own job: it may not resolve it)."""
        pick = self.actors[0] if ref % 4 else self.customer_for(ref // 4)
        if pick == sender:
            pick = self.actors[7] if sender != self.actors[7] else self.actors[0]
        return pick

    def arbiter_of(self, sender: str, code: int, ref: int) -> str:
        """The arbiter an order names at creation (open, request), by `code`: 0-1 none;
        2-5 a valid one (arbiter_for) in public mode, none in permissioned mode; 6 the
        caller itself (refused: CannotNameArbiter); 7 any other account (public: valid, or
        the caller itself; permissioned: a non-zero arbiter, refused)."""
        if code < 2 or (code < 6 and self.d.permissioned):
            return ZERO
        if code < 6:
            return self.arbiter_for(sender, ref)
        if code == 6:
            return sender
        if self.d.permissioned:
            return self.arbiter_for(sender, ref)
        return self.actors[ref % len(self.actors)]

    def resolver(self, order: Order | None, job: Job | None, ref: int,
                 party: bool | None) -> str | None:
        """Who would resolve the job's dispute: permissioned, an ARBITER_ROLE holder (a party
        to the job if `party`, not one if False, either if None); public, the named arbiter."""
        if order is None or job is None:
            return None
        m = self.model
        if not m.permissioned:
            return order.arbiter if order.arbiter != ZERO else None
        holders = [a for a in self.actors if ARBITER_ROLE in m.roles.get(a, set())]
        if party is not None:
            holders = [a for a in holders
                       if (a in (order.producer, job.customer)) == party] or holders
        return holders[ref % len(holders)] if holders else None

    @staticmethod
    def payment(token: str, deposit: int, wrong: bool, code: int) -> int:
        """The ETH value to send: the deposit (ETH orders) or nothing (token orders); if
        `wrong`, one wei more, one wei less or nothing instead."""
        exact = deposit if token == ZERO else 0
        if not wrong:
            return exact
        if code == 1 or exact == 0:
            return exact + 1
        return exact - 1 if code == 2 else 0

    # ------------------------------------------------------------------ transactions
    def transact(
        self, sender: str, contract: str, name: str, *args: Any, outcome: Outcome,
        value: int = 0, data: str | None = None,
    ) -> bool:
        """Send the call at the model's time (`data`: raw calldata instead of NAME(*ARGS));
        True if it succeeded (as the model said)."""
        STATS.step(self.d.label)
        ts = self.model.now
        result = self.drv.send(sender, contract, name, *args, value=value, timestamp=ts,
                               data=data)
        if result.timestamp != ts:
            raise RuntimeError(f"mined at {result.timestamp}, model time {ts}")
        self.model.now = ts + 1
        self.model.eth[sender] -= result.fee
        self.last = Sent(sender, name, args, result)
        STATS.outcome(self.d.label, name, result.error or "ok")
        mismatch = None
        if isinstance(outcome, Plan):
            if not result.ok:
                mismatch = f"{name}{args} by {sender}: model expects success, chain: {result.revert}"
            else:
                if value:
                    self.model.eth[sender] -= value
                    self.model.eth[self.d.orders] += value
                outcome.apply()
                self.check_events(name, outcome, result)
        elif result.ok:
            mismatch = f"{name}{args} by {sender}: model expects {outcome}, chain succeeded"
        elif _norm((result.revert.name, result.revert.args)) != _norm(
            (outcome.name, outcome.args)
        ):
            mismatch = f"{name}{args} by {sender}: model expects {outcome}, chain: {result.revert}"
        if mismatch is not None:
            # A more specific invariant, if one broke, explains the mismatch best.
            self.check()
            raise InvariantError("prediction", mismatch)
        return result.ok

    def check_events(self, name: str, plan: Plan, result: TxResult) -> None:
        ours = {self.d.orders, self.d.registry, self.d.membership}
        got = [(log.event, log.args) for log in result.logs if log.address in ours]
        want = [(event, {k: _norm(v) for k, v in args.items()}) for event, args in plan.events]
        got_n = [(event, {k: _norm(v) for k, v in args.items()}) for event, args in got]
        if got_n != want:
            self.check()
            raise InvariantError("events", f"{name}: expected {want}, emitted {got_n}")

    # ------------------------------------------------------------------ registry
    @rule(key=st.booleans(), who=WHO, env=DIMS, process=st.sampled_from([SLS, SLM]),
          material=st.sampled_from([PA12, TI64, ABS]), flaw=FLAW)
    def registry(self, key: bool, who: int, env: Dims, process: bytes, material: bytes,
                 flaw: int) -> None:
        """Publish (rotate) a key, or register a machine."""
        if key:
            self.publish_key(who, flaw)
        else:
            self.register_machine(who, env, process, material, flaw)

    def publish_key(self, who: int, flaw: int) -> None:
        sender = self.who(who, self.actors[1 + who % (len(self.actors) - 1)])
        index = self.actors.index(sender)
        version = self.key_versions.get(sender, 0) + 1
        fp = bytes(32) if flaw >= 14 else fingerprint(index, version)
        key = armored(index, version)
        outcome = self.model.predict_publish_key(sender, fp, key)
        self.transact(sender, "registry", "publishKey", fp, key, outcome=outcome)
        if isinstance(outcome, Plan):
            self.key_versions[sender] = version

    def register_machine(self, who: int, env: Dims, process: bytes, material: bytes,
                         flaw: int) -> None:
        sender = self.who(who, self.producer_for(who))
        if flaw == 13:
            process = bytes(16)
        elif flaw == 14:
            material = bytes(16)
        elif flaw == 15:
            env = (env[0], 0, env[2])
        uri = f"ipfs://machine/{len(self.model.machines) + 1}"
        outcome = self.model.predict_register_machine(sender, process, material, env, uri)
        self.transact(sender, "registry", "registerMachine", process, material, env, uri,
                      outcome=outcome)

    # ------------------------------------------------------------------ first order
    @initialize(by_producer=st.booleans(), ref=REF, shape=st.integers(0, 2),
                perm=st.integers(0, 5), cap=CAP_CODES, end=END_OFFSETS,
                deadline=FIRST_DEADLINES, price_per_cm3=PRICES, token=st.integers(0, 6),
                material=MATERIALS, dims=DIMS, vcode=VOLUME_CODES, quantity=QUANTITIES,
                arbiter=st.integers(0, 3))
    def first_order(self, by_producer: bool, ref: int, shape: int, perm: int, cap: int,
                    end: int, deadline: int, price_per_cm3: int, token: int,
                    material: bytes, dims: Dims, vcode: int, quantity: int,
                    arbiter: int) -> None:
        """Every example starts with one well-formed order, opened or requested (in public
        mode mostly naming an arbiter, so that its disputes can be resolved)."""
        code = 1 + arbiter if arbiter else 0  # none, or a valid one (arbiter_of)
        if by_producer:
            self.open(0, ref % 15, shape, perm, dims, cap, 0, end, deadline, price_per_cm3,
                      token, 0, code)
        else:
            self.request(0, material, dims, vcode, quantity, price_per_cm3, token, end,
                         deadline, 0, code)

    # ------------------------------------------------------------------ order creation
    def envelope_on(self, machine_id: int, shape: int, perm: int, fallback: Dims) -> Dims:
        """The machine's envelope (rotated), or a half or a third of it; else `fallback`."""
        m = self.model.machines[machine_id - 1] if 0 < machine_id <= len(
            self.model.machines) else None
        if m is None or shape == 3:
            return fallback
        if shape == 0:
            return _permute(m.envelope, perm)
        return _permute(tuple(max(1, e // (1 + shape)) for e in m.envelope), perm)  # type: ignore[arg-type]

    @rule(who=WHO, mref=REF, shape=st.integers(0, 3), perm=st.integers(0, 5), env=DIMS,
          cap=CAP_CODES, start=START_OFFSETS, end=END_OFFSETS, deadline=DEADLINE_OFFSETS,
          price_per_cm3=PRICES, token=TOKEN_CODES, flaw=FLAW, arbiter=ARBITER_CODES)
    def open(self, who: int, mref: int, shape: int, perm: int, env: Dims, cap: int,
             start: int, end: int, deadline: int, price_per_cm3: int, token: int,
             flaw: int, arbiter: int) -> None:
        """A producer opens an order naming its arbiter (arbiter_of: none, a valid one, or
        one refused); flaws: another's (or no) machine, an envelope too large, a zero or too
        large capacity, a bad window (end now, deadline before end, start at end)."""
        self.open_order(who, mref, shape, perm, env, cap, start, end, deadline, price_per_cm3,
                        token, flaw, arbiter)

    def open_order(self, who: int, mref: int, shape: int, perm: int, env: Dims, cap: int,
                   start: int, end: int, deadline: int, price_per_cm3: int, token: int,
                   flaw: int, arbiter: int, named: str | None = None) -> None:
        """The open rule's call; `named`, if given, is the arbiter instead of the code's."""
        sender = self.who(who, self.producer_for(mref))
        machine_id = self.machine_of(sender, mref)
        env = self.envelope_on(machine_id, shape, perm, env)
        if flaw == 15:
            env = (env[0] + 1, env[1], env[2]) if shape == 0 else (env[0], 0, env[2])
        box = box_volume(env)
        capacity = box if cap >= 8 else max(1, box * (cap + 1) // 8)
        if flaw == 14:
            capacity = 0 if cap % 2 else box + 1
        now = self.model.now
        end_at = now if flaw == 11 else now + end
        start_at = end_at if flaw == 13 else now + start
        deadline_at = end_at - 1 if flaw == 12 else end_at + deadline
        pay = self.token_of(token)
        named = self.arbiter_of(sender, arbiter, mref // 16 + arbiter) if named is None else named
        outcome = self.model.predict_open(sender, machine_id, env, capacity, start_at, end_at,
                                          deadline_at, price_per_cm3, pay, named)
        self.transact(sender, "orders", "open", machine_id, env, capacity, start_at, end_at,
                      deadline_at, price_per_cm3, pay, named, outcome=outcome)

    @rule(who=WHO, material=MATERIALS, dims=DIMS, vcode=VOLUME_CODES, quantity=QUANTITIES,
          max_price=PRICES, token=TOKEN_CODES, end=END_OFFSETS,
          deadline=DEADLINE_OFFSETS, flaw=FLAW, arbiter=ARBITER_CODES)
    def request(self, who: int, material: bytes, dims: Dims, vcode: int, quantity: int,
                max_price: int, token: int, end: int, deadline: int, flaw: int,
                arbiter: int) -> None:
        """A customer requests a part, naming the order's arbiter (arbiter_of); flaws: a
        zero dimension, a zero quantity, a zero or too large part volume, a wrong payment,
        a bad window."""
        sender = self.who(who, self.customer_for(who))
        pay = self.token_of(token)
        if flaw == 11:
            dims = (dims[0], dims[1], 0)
        volume = _part_volume(dims, 0 if flaw == 13 and vcode == 1 else 4 if flaw == 13
                              else vcode)
        quantity = 0 if flaw == 12 else quantity
        value = self.payment(pay, price(max_price, build_space(dims, quantity)), flaw == 14,
                             vcode)
        end_at = self.model.now + (0 if flaw == 15 and vcode == 1 else end)
        deadline_at = end_at + (-1 if flaw == 15 and vcode != 1 else deadline)
        named = self.arbiter_of(sender, arbiter, who + vcode + arbiter)
        self.do_request(sender, material, dims, volume, quantity, max_price, pay, end_at,
                        deadline_at, named, value)

    def do_request(self, sender: str, material: bytes, dims: Dims, volume: int, quantity: int,
                   max_price: int, token: str, end_at: int, deadline_at: int, arbiter: str,
                   value: int) -> None:
        outcome = self.model.predict_request(sender, material, dims, volume, quantity,
                                             max_price, token, end_at, deadline_at, arbiter,
                                             value)
        self.transact(sender, "orders", "request", material, dims, volume, quantity, max_price,
                      token, end_at, deadline_at, arbiter, outcome=outcome, value=value)

    @precondition(_has_orders)
    @rule(who=WHO, ref=REF, mref=REF, shape=st.integers(0, 3), perm=st.integers(0, 5),
          env=DIMS, cap=CAP_CODES, pcode=st.integers(0, 2), flaw=FLAW, at=AT)
    def take(self, who: int, ref: int, mref: int, shape: int, perm: int, env: Dims, cap: int,
             pcode: int, flaw: int, at: int) -> None:
        order_id = self.pick_order(
            ref, lambda o: o.status == OrderStatus.REQUESTED and self.model.now <= o.end)
        order = self.model.order(order_id)
        self.at(at, order.end if order else None)
        sender = self.who(who, self.producer_for(mref, order.material if order else bytes(16)))
        machine_id = self.machine_of(sender, mref + 1 if flaw == 15 else mref)
        env = self.envelope_on(machine_id, 3 if flaw == 14 else shape, perm, env)
        used = order.used if order else 0
        box = box_volume(env)
        capacity = box if cap >= 8 else used + max(0, box - used) * cap // 8
        if flaw == 12:
            capacity = max(used, 1) - 1
        elif flaw == 13:
            capacity = box + 1
        max_price = order.price if order else 10**12
        offer = max_price + 1 if flaw == 11 else [max_price, max_price // 2, 0][pcode]
        self.do_take(sender, order_id, machine_id, env, capacity, offer)

    def do_take(self, sender: str, order_id: int, machine_id: int, env: Dims, capacity: int,
                offer: int) -> None:
        outcome = self.model.predict_take(sender, order_id, machine_id, env, capacity, offer)
        self.transact(sender, "orders", "take", order_id, machine_id, env, capacity, offer,
                      outcome=outcome)

    # ------------------------------------------------------------------ terms
    @precondition(_has_orders)
    @rule(who=WHO, ref=REF, aref=REF, flaw=FLAW, allowlist=st.booleans(),
          allowed=st.booleans())
    def terms(self, who: int, ref: int, aref: int, flaw: int, allowlist: bool,
              allowed: bool) -> None:
        """Change the token allowlist, or try to change an order's arbiter (impossible)."""
        if allowlist:
            self.allow_token(who, aref, allowed)
        else:
            self.rename_arbiter(who, ref, aref, flaw)

    def allow_token(self, who: int, aref: int, allowed: bool) -> None:
        """The token admin (or another account) allows or disallows the other ERC-20 (half
        the time), the first one, ETH's address(0) (no effect on tokenAllowed) or an address
        that is no token."""
        token = [self.d.other_token, self.d.token, self.d.other_token, self.d.token, ZERO,
                 self.d.registry, self.d.other_token, self.d.other_token][aref % 8]
        sender = self.who(who, self.d.admin)
        self.transact(sender, "orders", "allowToken", token, allowed,
                      outcome=self.model.predict_allow_token(sender, token, allowed))

    def rename_arbiter(self, who: int, ref: int, aref: int, flaw: int) -> None:
        """The arbiter front-run, now impossible: a customer reads an Open order's terms (or
        a producer a Requested one's), and before its join (take) is mined the order's
        creator (the producer; the requester), or another account, tries to name another
        arbiter. The market has no such step any more: the old nameArbiter(uint256,address),
        sent raw, falls through the fallback to the extension and reverts without data.
        Then (flaws 11-15: not) the join or take goes ahead on the terms as read;
        terms-fixed holds after each step."""
        order_id = self.pick_order(
            ref, lambda o: o.status in (OrderStatus.OPEN, OrderStatus.REQUESTED))
        order = self.model.order(order_id)
        right = None
        if order is not None:
            right = order.jobs[0].customer if order.status == OrderStatus.REQUESTED else (
                order.producer)
        sender = self.who(who, right)
        arbiter = self.arbiter_for(sender, aref)
        data = raw_calldata("nameArbiter(uint256,address)", ("uint256", "address"),
                            (order_id, arbiter))
        self.transact(sender, "orders", "nameArbiter", order_id, arbiter,
                      outcome=NO_SUCH_FUNCTION, data=data)
        if order is None or flaw >= 11:
            return
        m = self.model
        self.check()
        if (order.status == OrderStatus.OPEN and order.start <= m.now < order.end
                and order.used < order.capacity):
            self.progress_join(order_id, aref, fill=False)
        elif order.status == OrderStatus.REQUESTED and m.now < order.end:
            self.progress_take(order_id, aref)

    # ------------------------------------------------------------------ membership
    @precondition(_permissioned)
    @rule(who=WHO, ref=REF, role=st.sampled_from(ROLES), grant=st.booleans())
    def membership(self, who: int, ref: int, role: bytes, grant: bool) -> None:
        """The membership admin (or another account) revokes a role, mostly from an account
        that has credits to withdraw (it keeps them), or grants one, mostly back to an
        account that held it at setup."""
        m = self.model
        if grant:
            back = [a for a in self.actors if role in self.d.roles[a]
                    and role not in m.roles[a]]
            pool = back if back and ref % 4 else [a for a in self.actors
                                                  if role not in m.roles[a]]
        else:
            holders = [a for a in self.actors if role in m.roles[a]]
            owed = [a for a in holders
                    if any(m.credits[(a, t)] for t in (ZERO, *self.d.tokens))]
            pool = owed if owed and ref % 4 else holders
        account = pool[ref // 4 % len(pool)] if pool else self.actors[ref % len(self.actors)]
        sender = self.who(who, self.d.admin)
        self.transact(sender, "membership", "grantRole" if grant else "revokeRole", role,
                      account, outcome=m.predict_role(sender, grant, role, account))

    # ------------------------------------------------------------------ joining and leaving
    @precondition(_has_orders)
    @rule(who=WHO, ref=REF, shares=SHARES, dims=DIMS, vcode=VOLUME_CODES,
          quantity=QUANTITIES, flaw=FLAW, at=AT)
    def join(self, who: int, ref: int, shares: tuple[int, int, int], dims: Dims, vcode: int,
             quantity: int, flaw: int, at: int) -> None:
        order_id = self.pick_order(
            ref, lambda o: o.status == OrderStatus.OPEN and self.model.now <= o.end)
        order = self.model.order(order_id)
        self.at(at, (order.start if at == 9 else order.end) if order else None)
        if order is not None and flaw != 11:
            dims = _scaled(order.envelope, shares)
        if flaw == 15:
            dims = (0, dims[1], dims[2])
        volume = _part_volume(dims, 4 if flaw == 13 else vcode)
        quantity = quantity * 10 if flaw == 14 else quantity
        sender = self.who(who, self.customer_for(ref))
        token = order.token if order else ZERO
        value = self.payment(
            token, price(order.price if order else 0, build_space(dims, quantity)),
            flaw == 12, vcode)
        self.do_join(sender, order_id, dims, volume, quantity, value)

    def do_join(self, sender: str, order_id: int, dims: Dims, volume: int, quantity: int,
                value: int, quote: bool = True) -> bool:
        if quote:
            self.check_quote(order_id, dims, volume, quantity)
        outcome = self.model.predict_join(sender, order_id, dims, volume, quantity, value)
        return self.transact(sender, "orders", "join", order_id, dims, volume, quantity,
                             outcome=outcome, value=value)

    @precondition(_has_orders)
    @rule(who=WHO, ref=REF, shapes=ASSEMBLY_PARTS, flaw=FLAW, at=AT)
    def join_parts(self, who: int, ref: int, shapes: list[tuple[tuple[int, int, int], int, int]],
                   flaw: int, at: int) -> None:
        """An assembly in one transaction (joinParts): its parts scaled to the order's
        envelope, paid in one sum. Flaws: the last part longer than the envelope (11), a wrong
        payment (12), the last part's volume above its box (13), no part at all (14)."""
        order_id = self.pick_order(
            ref, lambda o: o.status == OrderStatus.OPEN and self.model.now <= o.end)
        order = self.model.order(order_id)
        self.at(at, (order.start if at == 9 else order.end) if order else None)
        envelope = order.envelope if order else (100 * MM, 100 * MM, 100 * MM)
        parts = []
        for shares, vcode, quantity in shapes:
            dims = _scaled(_scaled(envelope, shares), (2, 2, 2))  # an eighth of a join's part or less
            parts.append((dims, _part_volume(dims, vcode), quantity))
        last_dims, _, last_quantity = parts[-1]
        if flaw == 11:
            parts[-1] = ((max(envelope) + 1, 1, 1), 1, last_quantity)
        if flaw == 13:
            parts[-1] = (last_dims, _part_volume(last_dims, 4), last_quantity)
        if flaw == 14:
            parts = []
        sender = self.who(who, self.customer_for(ref))
        total = sum(price(order.price if order else 0, build_space(d, q)) for d, _, q in parts)
        value = self.payment(order.token if order else ZERO, total, flaw == 12, shapes[0][1])
        outcome = self.model.predict_join_parts(sender, order_id, parts, value)
        self.transact(sender, "orders", "joinParts", order_id, tuple(parts), outcome=outcome,
                      value=value)

    def check_quote(self, order_id: int, dims: Dims, volume: int, quantity: int) -> None:
        """The quote view agrees with the model: fits, build space and price (or reverts
        like the join would for a malformed part or an unknown order)."""
        order = self.model.order(order_id)
        [got] = self.drv.batch([self.drv.read_call("orders", "quote", order_id, dims, volume,
                                                   quantity)])
        space = self.model._part(dims, volume, quantity)
        want = None
        if order is not None and not isinstance(space, Revert):
            want = (fits(dims, order.envelope) and space <= order.capacity - order.used, space,
                    price(order.price, space))
        if got != want:
            raise InvariantError("model", f"quote{(order_id, dims, volume, quantity)}: chain "
                                 f"{got}, model {want}")

    @precondition(_has_orders)
    @rule(pick=PICK)
    def crowd(self, pick: int) -> None:
        """Rarely (one draw in 32, not the simplest one; otherwise an early guided step):
        fill an Open order with MAX_LIVE_JOBS one-mm3 jobs, try one more (TooManyJobs),
        then one leaves (or, flavour `pick >= 256`, the producer evicts three at once: the
        answer to an account that holds every live slot with tiny parts) and a customer
        joins again: the cap counts live jobs, not job ids."""
        m = self.model
        if pick % 32 != 17:
            self.progress(pick % 256, pick >= 256, "early")
            return

        def roomy(o: Order) -> bool:
            return (o.status == OrderStatus.OPEN and o.start <= m.now
                    and m.now + 4 * MAX_LIVE_JOBS < o.end
                    and o.capacity - o.used > 2 * MAX_LIVE_JOBS)

        found = [oid for oid, o in enumerate(m.orders, 1) if roomy(o)]
        if not found:  # open one on the sender's largest machine
            self.open_order(0, pick // 32, 0, 0, (1, 1, 1), 8, 0, 86400, 3600, 10**12,
                            4 * (pick // 32 % 2), 0, 0)
            found = [oid for oid, o in enumerate(m.orders, 1) if roomy(o)]
            if not found:
                return
            self.check()
        order_id = found[pick // 32 % len(found)]
        order = m.orders[order_id - 1]
        unit = (MM, MM, MM)  # 1 mm3
        value = self.payment(order.token, price(order.price, 1), False, 0)
        while order.live_jobs < MAX_LIVE_JOBS and order.status == OrderStatus.OPEN:
            customer = self.customer_for(len(order.jobs))
            if isinstance(m.predict_join(customer, order_id, unit, 1, 1, value), Revert):
                # e.g. a customer without role or tokens: the crowd stops here. Check the
                # joins so far first, so that the revert is checked on its own.
                self.check()
                self.do_join(customer, order_id, unit, 1, 1, value, quote=False)
                return
            self.do_join(customer, order_id, unit, 1, 1, value, quote=False)
        # The invariants hold per transaction: check between the phases (a job joined and
        # left between two checks would look like None -> Left).
        self.check()
        self.do_join(self.customer_for(pick), order_id, unit, 1, 1, value)  # TooManyJobs
        self.check()
        joined = [(jid, j) for jid, j in enumerate(order.jobs, 1)
                  if j.status == JobStatus.JOINED]
        if joined and order.status == OrderStatus.OPEN:
            first = pick % len(joined)
            jid, j = joined[first]
            if pick >= 256:
                self.do_evict(order.producer, order_id,
                              [k for k, _ in (joined[first:] + joined[:first])[:3]])
            else:
                self.do_job_step("leave", j.customer, order_id, jid)
            self.check()
            self.do_join(j.customer, order_id, unit, 1, 1, value)

    @precondition(_has_orders)
    @rule(pick=PICK)
    def job_story(self, pick: int) -> None:
        """A job's whole life in one rule, each transaction checked, so that every example
        reaches the edges of the reject, cancel and dispute rules: a fresh order (public
        mode: naming its arbiter, a neutral account or the customer that then joins), one job
        joined, the order closed (4: the producer then tries to evict the job, refused), the
        model submitted and shipped (4: rejected instead; 5: the producer tries to cancel
        the order first, refused); then one probe, by
        `pick % 6`:
        0. the customer disputes at the second the confirmation window ends (refused), and
           the producer finalizes;
        1 (and 5). a dispute in time; the producer finalizes once the window is over
           (refused); settle a second before the arbitration window ends (refused), then
           at its end;
        2. a dispute; the arbiter resolves one unit more than the deposit (refused), then
           a split of it;
        3. a dispute; an arbiter that is a party to the job resolves it (refused), then
           settle at the arbitration window's end.
        The story stops at the first step that does not go ahead (e.g. a revoked role)."""
        m, ref, probe = self.model, pick // 6, pick % 6
        producer = self.producer_for(ref)  # who opens (open_order's party)
        customers = [c for c in map(self.customer_for, range(ref, ref + 3)) if c != producer]
        if probe == 3 and m.permissioned:  # an arbiter (account 6) that joins as a customer
            customers = [a for a in self.actors if a != producer
                         and {ARBITER_ROLE, CUSTOMER_ROLE} <= m.roles[a]] + customers
        if not customers:
            return
        customer = customers[0]
        named = ZERO if m.permissioned else customer if probe == 3 else self.arbiter_for(
            producer, 1)
        before = len(m.orders)
        self.open_order(0, ref, 0, 0, (1, 1, 1), 8, 0, 86400, 3600, 10**12, 0, 0, 0,
                        named=named)
        if len(m.orders) == before:
            return
        order_id, order = len(m.orders), m.orders[-1]
        quantity = 1 + ref % 1000
        value = self.payment(order.token, price(order.price, build_space((MM, MM, MM),
                                                                         quantity)), False, 0)
        steps: list[Callable[[], Any]] = [
            lambda: self.do_join(customer, order_id, (MM, MM, MM), 1, quantity, value),
            lambda: self.do_close(order.producer, order_id),
            lambda: self.do_submit(customer, order_id, 1),
            lambda: self.do_job_step("reject" if probe == 4 else "ship", order.producer,
                                     order_id, 1),
        ]
        for i, step in enumerate(steps):
            if i == 1 and order.status == OrderStatus.CLOSED:
                continue  # the job filled the order: closed already
            if i == 2 and probe == 4:  # the producer tries to evict, the order closed: refused
                self.check()
                self.do_evict(order.producer, order_id, [1])
            if i == 3 and probe == 5:  # the producer tries to cancel, the model in: refused
                self.check()
                self.do_cancel(order.producer, order_id)
            self.check()
            step()
            if self.last is None or not self.last.result.ok or (probe == 4 and i == 3):
                return
        job = order.jobs[0]
        until, anyone = job.shipped_at + m.window, self.actors[ref % len(self.actors)]
        self.check()
        if probe == 0:
            self.step_at(until, "dispute", customer, order_id, 1)
            self.check()
            self.do_job_step("finalize", order.producer, order_id, 1)
            return
        self.do_job_step("dispute", customer, order_id, 1)
        if job.status != JobStatus.DISPUTED:
            return
        end = m.arbitration_end(job)
        self.check()
        if probe in (1, 5):
            self.step_at(until, "finalize", order.producer, order_id, 1)
            self.check()
            self.step_at(end - 1, "settle", anyone, order_id, 1)
            self.check()
            self.step_at(end, "settle", anyone, order_id, 1)
            return
        arbiter = self.resolver(order, job, ref, probe == 3)
        if arbiter is None:
            return
        if probe == 2:
            self.do_resolve(arbiter, order_id, 1, job.deposit + 1)
            self.check()
            self.do_resolve(arbiter, order_id, 1, split_of(job.deposit, 4, ref))
            return
        self.do_resolve(arbiter, order_id, 1, job.deposit // 2)
        self.check()
        self.step_at(end, "settle", anyone, order_id, 1)

    def job_step(self, fn: str, who: int, ref: int, wanted: Any, producer_side: bool | None,
                 at: int = 0) -> None:
        """A step on one job by its producer (`producer_side`), its customer (False) or
        anyone (None), the clock optionally moved onto the step's time boundary."""
        order_id, job_id = self.pick_job(ref, wanted)
        order = self.model.order(order_id)
        job = self.model.job(order_id, job_id)
        shipped = job.shipped_at if job and job.shipped_at else None
        if fn in ("finalize", "dispute"):
            self.at(at, shipped + self.model.window if shipped else None)
        elif fn == "settle":
            until = None
            if shipped and job:
                until = shipped + self.model.window if at == 9 else self.model.arbitration_end(
                    job)
            self.at(at, until)
        else:
            self.at(at, order.deadline if order else None)
        right = None
        if producer_side is not None:
            right = (order.producer if order else None) if producer_side else (
                job.customer if job else None)
        self.do_job_step(fn, self.who(who, right), order_id, job_id)

    def do_job_step(self, fn: str, sender: str, order_id: int, job_id: int) -> None:
        predict = {
            "leave": self.model.predict_leave,
            "ship": self.model.predict_ship,
            "confirmReceipt": self.model.predict_confirm_receipt,
            "finalize": self.model.predict_finalize,
            "reclaim": self.model.predict_reclaim,
            "reject": self.model.predict_reject,
            "dispute": self.model.predict_dispute,
            "settle": self.model.predict_settle,
        }[fn]
        reason = (REASON,) if fn == "dispute" else ()  # what the customer says to the arbiter
        self.transact(sender, "orders", fn, order_id, job_id, *reason,
                      outcome=predict(sender, order_id, job_id))

    @precondition(_has_jobs)
    @rule(who=WHO, ref=REF)
    def leave(self, who: int, ref: int) -> None:
        self.job_step("leave", who, ref,
                      lambda o, j: o.status == OrderStatus.OPEN and j.status == JobStatus.JOINED,
                      producer_side=False)

    @precondition(_has_orders)
    @rule(who=WHO, ref=REF, picks=EVICT_PICKS, flaw=FLAW)
    def evict(self, who: int, ref: int, picks: list[int], flaw: int) -> None:
        """The producer evicts jobs without a model from its Open order: one to three of its
        Joined jobs; flaws: a job that does not exist listed last (JobNotFound: the next id,
        0 or the largest uint256), a job listed twice (Refunded the second time), an order
        that is not Open (mostly a Closed one with a Joined job), an empty list (nothing
        happens), a job of the order that is not Joined (Left, Refunded) listed first.
        Unless the flaw is the order, if no Open order has a Joined job, one is made first
        (evict_setup)."""
        m = self.model

        def evictable(o: Order) -> bool:
            return o.status == OrderStatus.OPEN and any(
                j.status == JobStatus.JOINED for j in o.jobs)

        def closed(o: Order) -> bool:  # its customers' models due: too late to evict
            return o.status == OrderStatus.CLOSED and any(
                j.status == JobStatus.JOINED for j in o.jobs)

        wanted: Callable[[Order], bool] = evictable
        if flaw == 13:
            wanted = closed if any(map(closed, m.orders)) else (
                lambda o: o.status != OrderStatus.OPEN)
        elif not any(map(evictable, m.orders)):
            self.evict_setup(ref)
        order_id = self.pick_order(ref, wanted)
        order = self.model.order(order_id)
        sender = self.who(who, order.producer if order else None)
        jobs = order.jobs if order else []
        joined = [k for k, j in enumerate(jobs, 1) if j.status == JobStatus.JOINED]
        job_ids: list[int] = []
        for pick in picks:  # Joined jobs not listed yet (the next id if the order has none)
            if fresh := [k for k in joined if k not in job_ids]:
                job_ids.append(fresh[pick % len(fresh)])
            elif not job_ids:
                job_ids.append(len(jobs) + 1 if not jobs else 1 + pick % len(jobs))
        if flaw == 11:
            job_ids.append([len(jobs) + 1, 0, MAX_UINT256][ref % 3])
        elif flaw == 12 and job_ids:
            job_ids.append(job_ids[0])
        elif flaw == 14:
            job_ids = []
        elif flaw == 15:
            gone = [k for k, j in enumerate(jobs, 1) if j.status != JobStatus.JOINED]
            job_ids = [gone[ref % len(gone)], *job_ids] if gone else job_ids
        self.do_evict(sender, order_id, job_ids)

    def evict_setup(self, ref: int) -> None:
        """A Joined job to evict, each step checked on its own: a customer joins an Open
        order whose window is open (one opened first if there is none)."""
        m = self.model

        def joinable() -> list[int]:
            return [oid for oid, o in enumerate(m.orders, 1)
                    if o.status == OrderStatus.OPEN and o.start <= m.now < o.end
                    and o.used < o.capacity]

        found = joinable()
        if not found:
            self.open_order(0, ref, 0, ref % 6, (1, 1, 1), 8, 0, 86400, 3600, 10**12,
                            4 * (ref % 2), 0, 0)
            found = joinable()
            if not found:
                return
            self.check()
        self.progress_join(found[ref % len(found)], ref, fill=False)
        self.check()

    def do_evict(self, sender: str, order_id: int, job_ids: list[int]) -> None:
        ids = tuple(job_ids)
        self.transact(sender, "orders", "evict", order_id, ids,
                      outcome=self.model.predict_evict(sender, order_id, ids))

    # ------------------------------------------------------------------ closing and cancelling
    @precondition(_has_orders)
    @rule(who=WHO, ref=REF, at=AT)
    def close(self, who: int, ref: int, at: int) -> None:
        order_id = self.pick_order(ref, lambda o: o.status == OrderStatus.OPEN)
        order = self.model.order(order_id)
        self.at(at, order.end if order else None)
        self.do_close(self.who(who, order.producer if order else None), order_id)

    def do_close(self, sender: str, order_id: int) -> None:
        self.transact(sender, "orders", "close", order_id,
                      outcome=self.model.predict_close(sender, order_id))

    @precondition(_has_orders)
    @rule(who=WHO, ref=REF)
    def cancel(self, who: int, ref: int) -> None:
        # half the time an order with a submitted model or a shipped job: must fail
        stuck = (JobStatus.MODEL_SUBMITTED, *SHIPPED_LIKE)
        order_id = self.pick_order(
            ref, lambda o: o.status != OrderStatus.CANCELLED and (
                ref % 2 == 0 or any(j.status in stuck for j in o.jobs)))
        order = self.model.order(order_id)
        right = None
        if order is not None:
            right = order.jobs[0].customer if order.status == OrderStatus.REQUESTED else (
                order.producer)
        self.do_cancel(self.who(who, right), order_id)

    def do_cancel(self, sender: str, order_id: int) -> None:
        self.transact(sender, "orders", "cancel", order_id,
                      outcome=self.model.predict_cancel(sender, order_id))

    # ------------------------------------------------------------------ model, shipment, completion
    @precondition(_has_jobs)
    @rule(who=WHO, ref=REF, flaw=FLAW)
    def submit_model(self, who: int, ref: int, flaw: int) -> None:
        order_id, job_id = self.pick_job(
            ref, lambda o, j: o.status == OrderStatus.CLOSED and j.status == JobStatus.JOINED)
        job = self.model.job(order_id, job_id)
        self.do_submit(self.who(who, job.customer if job else None), order_id, job_id,
                       empty_digest=flaw == 14, empty_uri=flaw == 15)

    def do_submit(self, sender: str, order_id: int, job_id: int, *, empty_digest: bool = False,
                  empty_uri: bool = False) -> None:
        digest = bytes(32) if empty_digest else (
            order_id.to_bytes(16, "big") + job_id.to_bytes(15, "big") + b"\x01")
        uri = "" if empty_uri else f"ipfs://model/{order_id}/{job_id}"
        outcome = self.model.predict_submit_model(sender, order_id, job_id, digest, uri)
        self.transact(sender, "orders", "submitModel", order_id, job_id, digest, uri,
                      outcome=outcome)

    @precondition(_has_jobs)
    @rule(who=WHO, ref=REF, picks=EVICT_PICKS, flaw=FLAW)
    def submit_models(self, who: int, ref: int, picks: list[int], flaw: int) -> None:
        """One model for several of a customer's jobs (submitModels): a joined job of a closed
        order and others of its customer's in that order. Flaws: a job of someone else (or
        none) added (11), a job named twice (12), an empty URI (13), no job at all (14)."""
        order_id, job_id = self.pick_job(
            ref, lambda o, j: o.status == OrderStatus.CLOSED and j.status == JobStatus.JOINED)
        order, job = self.model.order(order_id), self.model.job(order_id, job_id)
        customer = job.customer if job else None
        mine = [i for i, j in enumerate(order.jobs if order else [], 1)
                if j.customer == customer and j.status == JobStatus.JOINED and i != job_id]
        ids = list(dict.fromkeys([job_id] + [mine[p % len(mine)] for p in picks if mine]))
        if flaw == 11:
            others = [i for i, j in enumerate(order.jobs if order else [], 1) if j.customer != customer]
            ids.append(others[picks[0] % len(others)] if others else len(ids) + 1000)
        if flaw == 12:
            ids.append(ids[picks[0] % len(ids)])
        if flaw == 14:
            ids = []
        digest = order_id.to_bytes(16, "big") + job_id.to_bytes(15, "big") + b"\x02"
        uri = "" if flaw == 13 else f"ipfs://assembly/{order_id}/{job_id}"
        sender = self.who(who, customer)
        outcome = self.model.predict_submit_models(sender, order_id, ids, digest, uri)
        self.transact(sender, "orders", "submitModels", order_id, tuple(ids), digest, uri,
                      outcome=outcome)

    @precondition(_has_jobs)
    @rule(who=WHO, ref=REF, at=AT, reject=st.booleans())
    def ship(self, who: int, ref: int, at: int, reject: bool) -> None:
        """Ship a job with a model, or reject its model (both before the deadline)."""
        self.job_step("reject" if reject else "ship", who, ref,
                      lambda o, j: j.status == JobStatus.MODEL_SUBMITTED,
                      producer_side=True, at=at)

    @precondition(_has_jobs)
    @rule(who=WHO, ref=REF)
    def confirm_receipt(self, who: int, ref: int) -> None:
        self.job_step("confirmReceipt", who, ref,
                      lambda o, j: j.status in (JobStatus.SHIPPED, JobStatus.DISPUTED),
                      producer_side=False)

    @precondition(_has_jobs)
    @rule(who=WHO, ref=REF, at=AT)
    def finalize(self, who: int, ref: int, at: int) -> None:
        # Shipped jobs, and disputed ones (which must not finalize)
        self.job_step("finalize", who, ref,
                      lambda o, j: j.status in (JobStatus.SHIPPED, JobStatus.DISPUTED),
                      producer_side=True, at=at)

    @precondition(_has_jobs)
    @rule(who=WHO, ref=REF, at=AT)
    def reclaim(self, who: int, ref: int, at: int) -> None:
        self.job_step("reclaim", who, ref,
                      lambda o, j: j.status in (JobStatus.JOINED, JobStatus.MODEL_SUBMITTED),
                      producer_side=False, at=at)

    # ------------------------------------------------------------------ disputes
    @precondition(_has_jobs)
    @rule(who=WHO, ref=REF, at=AT, settle=st.booleans())
    def dispute(self, who: int, ref: int, at: int, settle: bool) -> None:
        """The customer disputes a shipped job (around the end of the confirmation window),
        or anyone settles a disputed one (around the end of the arbitration window, or at
        the end of the confirmation window: too early)."""
        if settle:
            self.job_step("settle", who, ref, lambda o, j: j.status == JobStatus.DISPUTED,
                          producer_side=None, at=at)
        else:
            self.job_step("dispute", who, ref, lambda o, j: j.status == JobStatus.SHIPPED,
                          producer_side=False, at=at)

    @precondition(_has_jobs)
    @rule(who=WHO, ref=REF, split=SPLITS, frac=REF, flaw=FLAW)
    def resolve(self, who: int, ref: int, split: int, frac: int, flaw: int) -> None:
        """The arbiter splits a disputed job's deposit (0, all, all + 1, half, a fraction,
        1); flaws: the producer, the customer, an arbiter that is a party to the job."""
        order_id, job_id = self.pick_job(ref, lambda o, j: j.status == JobStatus.DISPUTED)
        order, job = self.model.order(order_id), self.model.job(order_id, job_id)
        if flaw == 13 and order is not None:
            right: str | None = order.producer
        elif flaw == 14 and job is not None:
            right = job.customer
        else:
            right = self.resolver(order, job, ref, flaw == 15)
        sender = self.who(who, right)
        self.do_resolve(sender, order_id, job_id, split_of(job.deposit if job else 0, split,
                                                           frac))

    def do_resolve(self, sender: str, order_id: int, job_id: int, to_producer: int) -> None:
        outcome = self.model.predict_resolve(sender, order_id, job_id, to_producer)
        self.transact(sender, "orders", "resolve", order_id, job_id, to_producer,
                      outcome=outcome)

    # ------------------------------------------------------------------ payments
    @rule(who=WHO, token=st.integers(0, 2))
    def withdraw(self, who: int, token: int) -> None:
        pay = (ZERO, *self.d.tokens)[token]
        owed = [a for a in self.actors if self.model.credits[(a, pay)] > 0]
        self.do_withdraw(self.who(who, owed[who % len(owed)] if owed else None), pay)

    def do_withdraw(self, sender: str, token: str) -> None:
        self.transact(sender, "orders", "withdraw", token,
                      outcome=self.model.predict_withdraw(sender, token))

    # ------------------------------------------------------------------ time
    @rule(boundary=st.booleans(), ref=REF, delta=DELTAS, off=st.sampled_from([0, -1, 1]))
    def warp(self, boundary: bool, ref: int, delta: int, off: int) -> None:
        """Move the next transaction's time: by a delta, or onto a boundary the model knows."""
        STATS.step(self.d.label)
        ahead = self.boundaries(off)
        if boundary and ahead:
            self.model.now = ahead[ref % len(ahead)]
        else:
            self.model.now += delta

    def at(self, code: int, boundary: int | None) -> None:
        """Off-by-one probes: move the clock onto the step's time boundary (the order's end
        for join/take/close, the delivery deadline for ship/reject/reclaim, the end of the
        confirmation window for finalize/dispute, the end of the arbitration window for
        settle), a second before or after, if still ahead."""
        if code < 6 or boundary is None:
            return
        moment = boundary + {6: -1, 7: 0, 8: 1, 9: 0}[code]
        if moment >= self.model.now:
            self.model.now = moment

    def step_at(self, moment: int, fn: str, sender: str, order_id: int, job_id: int) -> None:
        """A job step at `moment` exactly (the clock moved there first, if still ahead)."""
        self.model.now = max(self.model.now, moment)
        self.do_job_step(fn, sender, order_id, job_id)

    def warp_to(self, moment: int) -> None:
        STATS.step(self.d.label)
        self.model.now = max(self.model.now, moment)

    def boundaries(self, off: int = 0) -> list[int]:
        m = self.model
        marks = [t for o in m.orders for t in (o.start, o.end, o.deadline)]
        marks += [j.shipped_at + m.window for o in m.orders for j in o.jobs
                  if j.status in (JobStatus.SHIPPED, JobStatus.DISPUTED)]
        marks += [m.arbitration_end(j) for o in m.orders for j in o.jobs
                  if j.status == JobStatus.DISPUTED]
        return sorted({t + off for t in marks if t + off >= m.now})

    # ------------------------------------------------------------------ guided progress
    def progress(self, ref: int, fill: bool, mode: str) -> None:
        """The next natural step of some order or job, by the right party, well formed:
        take, join (possibly filling the order exactly), leave or evict, close, submit a
        model, ship or reject it, confirm, dispute, finalize, resolve, settle, withdraw.
        `mode` "deep": a step of the most advanced job, so that 30-step examples reach
        shipment, disputes and payment; "early": take, join, leave, evict or close; "any":
        any of them."""
        m = self.model
        steps: list[tuple[int, Callable[[], None]]] = []  # (stage, step)
        for oid, o in enumerate(m.orders, 1):
            if o.status == OrderStatus.REQUESTED and m.now < o.end:
                steps.append((1, functools.partial(self.progress_take, oid, ref)))
            if o.status == OrderStatus.OPEN:
                if o.start <= m.now < o.end and o.used < o.capacity:
                    steps.append((1, functools.partial(self.progress_join, oid, ref, fill)))
                if o.used and (fill or m.now >= o.end):  # else the producer waits
                    steps.append((2, functools.partial(self.do_close, o.producer, oid)))
            for jid, j in enumerate(o.jobs, 1):
                steps += self.job_progress(oid, o, jid, j, ref, fill)
        for (account, token), amount in m.credits.items():
            if amount:
                steps.append((7 if fill else 0, functools.partial(self.do_withdraw, account,
                                                                  token)))
        if mode == "early":
            steps = [(stage, step) for stage, step in steps if stage <= 2]
        elif mode == "deep" and steps:
            deepest = max(stage for stage, _ in steps)
            steps = [(stage, step) for stage, step in steps if stage == deepest]
        if steps:
            steps[ref % len(steps)][1]()
        else:
            self.warp(True, ref, 3600, 0)

    def job_progress(self, oid: int, o: Order, jid: int, j: Job, ref: int,
                     fill: bool) -> list[tuple[int, Callable[[], None]]]:
        m = self.model
        step = self.do_job_step
        choice = (ref + jid) % 10
        if o.status == OrderStatus.OPEN and j.status == JobStatus.JOINED:
            if choice in (7, 8):  # the producer evicts it (8: with the order's next Joined job)
                others = [k for k, other in enumerate(o.jobs, 1)
                          if k > jid and other.status == JobStatus.JOINED][:choice - 7]
                return [(1, functools.partial(self.do_evict, o.producer, oid, [jid, *others]))]
            return [(1, functools.partial(step, "leave", j.customer, oid, jid))]
        if o.status == OrderStatus.CLOSED and j.status == JobStatus.JOINED:
            return [(3, functools.partial(self.do_submit, j.customer, oid, jid))]
        if j.status == JobStatus.MODEL_SUBMITTED and m.now < o.deadline:
            fn = "reject" if choice == 0 else "ship"  # the producer declines one in ten
            return [(4, functools.partial(step, fn, o.producer, oid, jid))]
        if j.status == JobStatus.SHIPPED:
            until = j.shipped_at + m.window
            if not fill and choice % 2 == 0 and m.now < until:
                return [(5, functools.partial(step, "dispute", j.customer, oid, jid))]
            if not fill and choice == 3 and m.now <= until:
                # the customer disputes at the second the window ends: too late
                return [(5, functools.partial(self.step_at, until, "dispute", j.customer,
                                              oid, jid))]
            if not fill:
                return [(5, functools.partial(step, "confirmReceipt", j.customer, oid, jid))]
            # the customer stays silent
            return [(5, functools.partial(step, "finalize", o.producer, oid, jid)
                     if m.now >= until else functools.partial(self.warp_to, until))]
        if j.status == JobStatus.DISPUTED:
            arbiter = self.resolver(o, j, ref, None)
            if choice == 9:  # the customer gives in
                return [(6, functools.partial(step, "confirmReceipt", j.customer, oid, jid))]
            until = j.shipped_at + m.window
            if choice == 4 and m.now < until:
                return [(6, functools.partial(self.warp_to, until))]
            if choice == 4 and m.now < m.arbitration_end(j):
                # the producer tries to finalize it once the window is over, as if
                # undisputed: refused
                return [(6, functools.partial(step, "finalize", o.producer, oid, jid))]
            if arbiter is not None and not fill:
                split = split_of(j.deposit, ref % 6, ref)
                return [(6, functools.partial(self.do_resolve, arbiter, oid, jid, split))]
            # the arbiter stays silent: wait for the default rule (trying it once too early)
            end = m.arbitration_end(j)
            if m.now < until:
                return [(6, functools.partial(self.warp_to, until))]
            anyone = self.actors[ref % len(self.actors)]
            if m.now >= end or choice % 2:
                return [(6, functools.partial(step, "settle", anyone, oid, jid))]
            return [(6, functools.partial(self.warp_to, end))]
        return []

    # Four rules for the guided step (about a sixth of the rules drawn); Hypothesis's swarm
    # testing switches rules off per example, so some examples are all early churn (join,
    # leave, close), others go deep. One argument each: Hypothesis orders rules by their
    # number of arguments, and its simplest draws pick the first rule.
    @precondition(_has_orders)
    @rule(pick=PICK)
    def progress_any(self, pick: int) -> None:
        self.progress(pick % 256, pick >= 256, "any")

    @precondition(_has_orders)
    @rule(pick=PICK)
    def progress_deep(self, pick: int) -> None:
        self.progress(pick % 256, pick >= 256, "deep")

    @precondition(_has_orders)
    @rule(pick=PICK)
    def progress_deeper(self, pick: int) -> None:
        """A burst of 2 to 5 deep steps, each checked: with the disputes a job's life is a
        dozen steps (join, close, model, ship, dispute, the windows, resolve or settle)."""
        for i in range(2 + pick // 128 % 4):
            if i and self.last is not None:
                self.check()
            self.progress(pick % 256, pick >= 256, "deep")

    @precondition(_has_orders)
    @rule(pick=PICK)
    def progress_early(self, pick: int) -> None:
        self.progress(pick % 256, pick >= 256, "early")

    @precondition(_has_orders)
    @rule(pick=PICK)
    def window_edge(self, pick: int) -> None:
        """Boundary probe: a well-formed join (or take) at the last second of an order's
        window, at its end, a second before its start or at its start."""
        m = self.model
        edge = pick % 4
        joinable = [(oid, o) for oid, o in enumerate(m.orders, 1)
                    if o.status == OrderStatus.OPEN and m.now <= o.end - (edge == 0)
                    and o.used < o.capacity]
        takeable = [(oid, o) for oid, o in enumerate(m.orders, 1)
                    if o.status == OrderStatus.REQUESTED and m.now <= o.end - (edge == 0)]
        if joinable and not (takeable and pick >= 256):
            order_id, order = joinable[pick // 4 % len(joinable)]
            moment = {0: order.end - 1, 1: order.end, 2: order.start - 1, 3: order.start}[edge]
            self.model.now = max(self.model.now, moment)
            self.progress_join(order_id, pick // 4, fill=False)
        elif takeable:
            order_id, order = takeable[pick // 4 % len(takeable)]
            self.model.now = max(self.model.now, order.end - (edge == 0))
            self.progress_take(order_id, pick // 4)
        else:  # nothing to probe: open a fresh order to probe later
            self.open_order(0, pick, 0, pick % 6, (1, 1, 1), 8, 0, 3600, 3600, 10**12,
                            4 * (pick >= 256), 0, 0)

    def progress_take(self, order_id: int, ref: int) -> None:
        order = self.model.orders[order_id - 1]
        first = order.jobs[0]
        machines = [(i, mc) for i, mc in enumerate(self.model.machines, 1)
                    if order.material in (bytes(16), mc.material)
                    and fits(first.dims, mc.envelope)]
        if not machines:
            self.warp(True, ref, 3600, 0)
            return
        machine_id, machine = machines[ref % len(machines)]
        box = box_volume(machine.envelope)
        capacity = order.used + (box - order.used) * (ref % 3) // 4
        self.do_take(machine.owner, order_id, machine_id, machine.envelope, capacity,
                     order.price // (1 + ref % 2))

    def progress_join(self, order_id: int, ref: int, fill: bool) -> None:
        order = self.model.orders[order_id - 1]
        left = order.capacity - order.used
        customer = self.customer_for(ref)
        if fill and left <= 2**32 - 1:
            dims, quantity = (MM, MM, MM), left  # 1 mm3 parts, exactly the space left
        else:
            quantity = 1
            dims = _scaled(order.envelope, (1 + ref % 4, 1 + ref // 4 % 4, 1 + ref // 16 % 4))
            while box_volume(dims) > left and max(dims) > 1:
                dims = (max(1, dims[0] // 2), max(1, dims[1] // 2), max(1, dims[2] // 2))
        volume = max(1, box_volume(dims) // 2)
        value = self.payment(order.token, price(order.price, build_space(dims, quantity)),
                             False, 0)
        self.do_join(customer, order_id, dims, volume, quantity, value)

    # ------------------------------------------------------------------ reading the chain
    def read(self) -> ChainState:
        drv, m, d = self.drv, self.model, self.d
        tokens = (ZERO, *d.tokens)
        holders = [*self.actors, d.orders]
        reads: list[Read] = [drv.read_call("orders", "orderCount"),
                             drv.read_call("registry", "machineCount")]
        order_ids = range(1, len(m.orders) + 2)
        reads += [drv.read_call("orders", "getOrder", i) for i in order_ids]
        job_ids = [(i, j) for i in order_ids
                   for j in range(1, (len(m.orders[i - 1].jobs) if i <= len(m.orders) else 0) + 2)]
        reads += [drv.read_call("orders", "getJob", i, j) for i, j in job_ids]
        credit_keys = [(a, t) for a in self.actors for t in tokens]
        reads += [drv.read_call("orders", "credits", a, t) for a, t in credit_keys]
        reads += [drv.read_balance(a) for a in holders]
        reads += [drv.read_call(self.contract_of[t], "balanceOf", a)
                  for t in d.tokens for a in holders]
        reads += [drv.read_call(self.contract_of[t], "allowance", a, d.orders)
                  for t in d.tokens for a in self.actors]
        view_ids = range(1, len(m.orders) + 1)
        reads += [r for i in view_ids for r in (drv.read_call("orders", "spaceLeft", i),
                                                 drv.read_call("orders", "jobCount", i))]
        machine_ids = range(1, len(m.machines) + 2)
        reads += [drv.read_call("registry", "machine", i) for i in machine_ids]
        reads += [drv.read_call("registry", "fingerprintOf", a) for a in self.actors]
        reads += [drv.read_call("orders", "tokenAllowed", t) for t in self.probed]
        reads += [drv.read_call("orders", "arbiterOf", i) for i in order_ids]
        role_keys = [(a, r) for a in self.actors for r in (*ROLES, DEFAULT_ADMIN_ROLE)
                     ] if d.permissioned else []
        reads += [drv.read_call("membership", "hasRole", r, a) for a, r in role_keys]
        values = iter(drv.batch(reads))
        order_count, machine_count = next(values), next(values)
        orders = {i: v for i in order_ids if (v := next(values)) is not None}
        jobs = {k: v for k in job_ids if (v := next(values)) is not None}
        credits = {k: next(values) for k in credit_keys}
        eth = {a: next(values) for a in holders}
        toks = {t: {a: next(values) for a in holders} for t in d.tokens}
        allowance = {t: {a: next(values) for a in self.actors} for t in d.tokens}
        views = {i: (next(values), next(values)) for i in view_ids}
        # An unknown machine id reads as a zeroed record.
        machines = {i: v for i in machine_ids if (v := next(values)) is not None and v[0] != ZERO}
        fps = {a: next(values) for a in self.actors}
        allowed = {t: next(values) for t in self.probed}
        arbiters = {i: next(values) for i in order_ids}
        roles = {k: next(values) for k in role_keys}
        return ChainState(order_count, orders, jobs, credits, eth, toks, allowance,
                          machine_count, machines, fps, views, allowed, arbiters, roles)

    # ------------------------------------------------------------------ invariants
    @invariant()
    def holds(self) -> None:
        if self.last is not None:
            self.check()

    def check(self) -> None:
        state = self.read()
        self.check_chain(self.prev, state)
        self.check_model(state)
        self.prev = state
        self.last = None

    def check_chain(self, prev: ChainState, now: ChainState) -> None:
        """The invariants on the chain's own data (the model is not consulted): space-conserved,
        live-jobs-counted, jobs-fit-envelope, requests-intact, lead-time-bounded,
        deposits-bounded, states-move-forward, value-conserved, token-allowed,
        reverts-change-nothing, steps-in-order, terms-fixed, disputes-by-rule and
        splits-conserve."""
        for oid, o in now.orders.items():
            jobs = {k: j for (i, k), j in now.jobs.items() if i == oid}
            live = [j for j in jobs.values() if j[J_STATUS] in LIVE]
            space = sum(box_volume(tuple(j[J_DIMS])) * j[J_QTY] for j in live)
            if o[O_USED] != space or o[O_USED] > o[O_CAP]:
                raise InvariantError("space-conserved", f"order {oid}: used {o[O_USED]}, live "
                                     f"jobs' space {space}, capacity {o[O_CAP]}")
            if oid in now.views and now.views[oid] != (o[O_CAP] - o[O_USED], o[O_JOBS]):
                raise InvariantError("space-conserved", f"order {oid}: spaceLeft, jobCount "
                                     f"{now.views[oid]} disagree with the order {o}")
            if (o[O_LIVE] != len(live) or o[O_LIVE] > MAX_LIVE_JOBS
                    or o[O_JOBS] > MAX_JOB_IDS or o[O_JOBS] != len(jobs)):
                raise InvariantError("live-jobs-counted", f"order {oid}: liveJobs {o[O_LIVE]}, "
                                     f"live jobs {len(live)}, jobCount {o[O_JOBS]} of "
                                     f"{len(jobs)} jobs")
            for j in live:
                if not fits(tuple(j[J_DIMS]), tuple(o[O_ENV])):
                    raise InvariantError("jobs-fit-envelope",
                                         f"order {oid}: job {j} outside {o[O_ENV]}")
            self.check_request(oid, o, jobs)
            self.check_bounds(oid, o, jobs)
        self.check_edges(prev, now)
        for token in (ZERO, *self.d.tokens):
            held = sum(j[J_DEPOSIT] for (i, _), j in now.jobs.items()
                       if j[J_STATUS] in HELD and now.orders[i][O_TOKEN] == token)
            owed = sum(v for (_, t), v in now.credits.items() if t == token)
            balance = now.eth[self.d.orders] if token == ZERO else (
                now.tokens[token][self.d.orders])
            if balance != held + owed:
                raise InvariantError("value-conserved", f"token {token}: contract holds {balance}, "
                                     f"deposits held {held} + credits owed {owed} = {held + owed}")
        if not now.allowed[ZERO]:
            raise InvariantError("token-allowed", "ETH (address(0)) is not allowed")
        if self.last is not None:
            sent = self.last
            sender, result = sent.sender, sent.result
            if result.ok and not self.entitled(prev, sent):
                raise InvariantError("reverts-change-nothing",
                                     f"{sent.name} by {sender}, not entitled to it, succeeded")
            if not result.ok and now.without_fee(sender, result.fee) != prev:
                raise InvariantError("reverts-change-nothing", f"reverted call ({result.revert}) by "
                                     f"{sender} changed the state")
            for oid, o in now.orders.items():
                if oid not in prev.orders and not prev.allowed.get(o[O_TOKEN], False):
                    raise InvariantError("token-allowed", f"{sent.name} made order {oid} in "
                                         f"{o[O_TOKEN]}, not allowed at the time")
            self.check_step_order(prev, now, sent)
            self.check_terms(prev, now, sent)
            self.check_disputes(prev, now, sent)
            self.check_splits(prev, now, sent)

    def entitled(self, prev: ChainState, sent: Sent) -> bool:
        """The sender may make this call succeed at all (roles as read before the call)."""
        if sent.name == "allowToken":
            return sent.sender == self.d.admin  # tokenAdmin (check_settings)
        if not self.d.permissioned:
            return True
        needs = NEEDS[sent.name]
        return needs is None or any(prev.roles[(sent.sender, r)] for r in needs)

    def check_request(self, oid: int, o: tuple[Any, ...], jobs: dict[int, tuple[Any, ...]]
                      ) -> None:
        """requests-intact: a Requested order is its requester's part waiting for a producer."""
        if o[O_STATUS] != OrderStatus.REQUESTED:
            return
        first = jobs.get(1)
        if (list(jobs) != [1] or first is None or first[J_STATUS] != JobStatus.JOINED
                or o[O_USED] != o[O_CAP] or o[O_PRODUCER] != ZERO or o[O_MACHINE] != 0):
            raise InvariantError("requests-intact", f"Requested order {oid} {o} has jobs {jobs}")

    def check_bounds(self, oid: int, o: tuple[Any, ...], jobs: dict[int, tuple[Any, ...]]
                     ) -> None:
        """lead-time-bounded and deposits-bounded."""
        d = self.d
        if not o[O_START] < o[O_END] < o[O_DEADLINE] <= o[O_END] + d.lead_time:
            raise InvariantError("lead-time-bounded", f"order {oid}: start {o[O_START]}, end "
                                 f"{o[O_END]}, deadline {o[O_DEADLINE]}, lead {d.lead_time}")
        latest = o[O_END] + d.lead_time + d.window + d.arbitration
        for jid, j in jobs.items():
            status = j[J_STATUS]
            if status not in HELD:
                continue
            if status in (JobStatus.JOINED, JobStatus.MODEL_SUBMITTED):
                release = o[O_DEADLINE]  # reclaim
            elif j[J_SHIPPED] == 0 or j[J_SHIPPED] >= o[O_DEADLINE]:
                raise InvariantError("deposits-bounded", f"job {(oid, jid)}: shipped at "
                                     f"{j[J_SHIPPED]}, deadline {o[O_DEADLINE]}")
            elif status == JobStatus.SHIPPED:
                release = j[J_SHIPPED] + d.window  # finalize
            else:
                release = j[J_SHIPPED] + d.window + d.arbitration  # settle
            if release > latest:
                raise InvariantError("deposits-bounded", f"job {(oid, jid)} "
                                     f"{JobStatus(status).name}: released at {release} > {latest}")

    def check_edges(self, prev: ChainState, now: ChainState) -> None:
        for oid in prev.orders:
            if oid not in now.orders:
                raise InvariantError("states-move-forward", f"order {oid} disappeared")
        for key in prev.jobs:
            if key not in now.jobs:
                raise InvariantError("states-move-forward", f"job {key} disappeared")
        for oid, o in now.orders.items():
            old = prev.orders[oid][O_STATUS] if oid in prev.orders else OrderStatus.NONE
            if old != o[O_STATUS] and (OrderStatus(old), OrderStatus(o[O_STATUS])) not in \
                    ORDER_EDGES:
                raise InvariantError("states-move-forward", f"order {oid}: {OrderStatus(old).name} "
                                     f"-> {OrderStatus(o[O_STATUS]).name}")
        for key, j in now.jobs.items():
            before = prev.jobs.get(key)
            old = before[J_STATUS] if before else JobStatus.NONE
            if old != j[J_STATUS] and (JobStatus(old), JobStatus(j[J_STATUS])) not in JOB_EDGES:
                raise InvariantError("states-move-forward", f"job {key}: {JobStatus(old).name} -> "
                                     f"{JobStatus(j[J_STATUS]).name}")
            if before and before[J_DIGEST] != bytes(32) and before[J_DIGEST] != j[J_DIGEST]:
                raise InvariantError("states-move-forward", f"job {key}: digest changed")
            if before and before[J_SHIPPED] != 0 and before[J_SHIPPED] != j[J_SHIPPED]:
                raise InvariantError("states-move-forward", f"job {key}: shipment time changed")

    def check_step_order(self, prev: ChainState, now: ChainState, sent: Sent) -> None:
        """steps-in-order on the last transaction: no join after close/end/cancel, no model before
        close, no shipment before a model, no completion before shipment; evict moves only
        Joined jobs of an Open order, to Refunded."""
        ts = sent.result.timestamp
        for key, j in now.jobs.items():
            oid = key[0]
            o, before = now.orders[oid], prev.jobs.get(key)
            old_order = prev.orders.get(oid)
            status = JobStatus(j[J_STATUS])
            if before is None:
                if old_order is None:
                    if key[1] != 1:
                        raise InvariantError("steps-in-order", f"new order {oid} has job {key[1]}")
                    continue  # job 1 of a request
                if (old_order[O_STATUS] != OrderStatus.OPEN
                    or not old_order[O_START] <= ts < old_order[O_END]
                ):
                    raise InvariantError("steps-in-order", f"job {key} joined at {ts} an order "
                                    f"{OrderStatus(old_order[O_STATUS]).name} with window "
                                    f"[{old_order[O_START]}, {old_order[O_END]})")
                continue
            moved = JobStatus(before[J_STATUS]) != status
            if moved and sent.name == "evict" and (
                    before[J_STATUS] != JobStatus.JOINED or status != JobStatus.REFUNDED
                    or old_order[O_STATUS] != OrderStatus.OPEN):
                raise InvariantError("steps-in-order", f"job {key}: evicted "
                                     f"{JobStatus(before[J_STATUS]).name} -> {status.name} from "
                                     f"an order {OrderStatus(old_order[O_STATUS]).name}")
            if moved and status == JobStatus.MODEL_SUBMITTED and (
                    old_order[O_STATUS] != OrderStatus.CLOSED):
                raise InvariantError("steps-in-order", f"job {key}: model before the order closed")
            if moved and status == JobStatus.SHIPPED and before[J_STATUS] != \
                    JobStatus.MODEL_SUBMITTED:
                raise InvariantError("steps-in-order", f"job {key}: shipped without a model")
            if moved and status == JobStatus.COMPLETED and before[J_STATUS] not in (
                    JobStatus.SHIPPED, JobStatus.DISPUTED):
                raise InvariantError("steps-in-order", f"job {key}: completed before shipment")
            advanced = (JobStatus.MODEL_SUBMITTED, *SHIPPED_LIKE)
            if status in advanced and (
                o[O_STATUS] != OrderStatus.CLOSED or j[J_DIGEST] == bytes(32)
            ):
                raise InvariantError("steps-in-order", f"job {key} is {status.name} in an "
                                     f"order {OrderStatus(o[O_STATUS]).name}")
            if status == JobStatus.REJECTED and j[J_DIGEST] == bytes(32):
                raise InvariantError("steps-in-order", f"job {key}: rejected without a model")
            if status in SHIPPED_LIKE and j[J_SHIPPED] == 0:
                raise InvariantError("steps-in-order", f"job {key}: {status.name} with no shipment")

    def check_terms(self, prev: ChainState, now: ChainState, sent: Sent) -> None:
        """terms-fixed on the last transaction: an arbiter is named (ArbiterNamed) only by the
        transaction that creates the order, only in public mode and never the creator itself;
        arbiterOf of a new order is the one named (address(0) if none), and never changes."""
        named: dict[int, str] = {}
        for log in sent.result.logs:
            if log.event != "ArbiterNamed":
                continue
            oid = log.args["orderId"]
            if oid in prev.orders or oid in named:
                raise InvariantError("terms-fixed", f"{sent.name} by {sent.sender} named "
                                     f"{log.args['arbiter']} for order {oid}, created before")
            named[oid] = log.args["arbiter"]
        for oid, arbiter in now.arbiters.items():
            if oid in prev.orders:
                if _norm(arbiter) != _norm(prev.arbiters.get(oid, ZERO)):
                    raise InvariantError("terms-fixed", f"order {oid}: arbiter "
                                         f"{prev.arbiters.get(oid)} -> {arbiter} by "
                                         f"{sent.name} from {sent.sender}")
                continue
            if _norm(arbiter) != _norm(named.get(oid, ZERO)):
                raise InvariantError("terms-fixed", f"order {oid}: arbiterOf {arbiter}, named "
                                     f"{named.get(oid, ZERO)} at creation")
            if arbiter != ZERO and (self.d.permissioned or _norm(arbiter) == _norm(sent.sender)):
                raise InvariantError("terms-fixed", f"order {oid}: {sent.name} by {sent.sender} "
                                     f"named {arbiter} its arbiter"
                                     + (" in permissioned mode" if self.d.permissioned else ""))

    def check_disputes(self, prev: ChainState, now: ChainState, sent: Sent) -> None:
        """disputes-by-rule on the last transaction."""
        ts, d = sent.result.timestamp, self.d
        for key, j in now.jobs.items():
            before = prev.jobs.get(key)
            if before is None or before[J_STATUS] == j[J_STATUS]:
                continue
            old, new = JobStatus(before[J_STATUS]), JobStatus(j[J_STATUS])
            o = prev.orders[key[0]]
            customer = j[J_CUSTOMER]
            why = None
            if new == JobStatus.DISPUTED and (
                    sent.name != "dispute" or sent.sender != customer
                    or ts >= j[J_SHIPPED] + d.window):
                why = f"disputed by {sent.name} from {sent.sender} at {ts}"
            if old == JobStatus.DISPUTED:
                if new not in DISPUTE_ENDS:
                    why = f"a disputed job became {new.name}"
                elif new == JobStatus.COMPLETED and (
                        sent.name != "confirmReceipt" or sent.sender != customer):
                    why = f"completed by {sent.name} from {sent.sender}"
                elif new == JobStatus.RESOLVED and sent.name == "settle":
                    if ts < j[J_SHIPPED] + d.window + d.arbitration:
                        why = f"settled at {ts}, before the arbitration window's end"
                elif new == JobStatus.RESOLVED and sent.name == "resolve":
                    office = prev.roles[(sent.sender, ARBITER_ROLE)] if d.permissioned else (
                        prev.arbiters.get(key[0]) == sent.sender)
                    if not office or sent.sender in (o[O_PRODUCER], customer):
                        why = f"resolved by {sent.sender}, not a neutral arbiter"
                elif new == JobStatus.RESOLVED:
                    why = f"resolved by {sent.name}"
            if why is not None:
                raise InvariantError("disputes-by-rule", f"job {key}: {why}")

    def check_splits(self, prev: ChainState, now: ChainState, sent: Sent) -> None:
        """splits-conserve on the last transaction: credits moved as the reject or the
        dispute's outcome says, to the unit."""
        want: dict[tuple[str, str], int] = defaultdict(int)
        split = False
        for key, j in now.jobs.items():
            before = prev.jobs.get(key)
            new = JobStatus(j[J_STATUS])
            if before is None or before[J_STATUS] == new or new not in (
                    JobStatus.REJECTED, JobStatus.RESOLVED):
                continue
            split = True
            o, deposit = now.orders[key[0]], before[J_DEPOSIT]
            if new == JobStatus.REJECTED:
                to_producer = reject_fee(deposit)
                to_customer = deposit - to_producer
            else:
                logs = [log.args for log in sent.result.logs if log.event == "JobResolved"
                        and (log.args["orderId"], log.args["jobId"]) == key]
                if len(logs) != 1:
                    raise InvariantError("splits-conserve", f"job {key}: JobResolved {logs}")
                to_producer, to_customer = logs[0]["toProducer"], logs[0]["toCustomer"]
                default = logs[0]["arbiter"] == ZERO
                if to_producer + to_customer != deposit or (default and to_producer):
                    raise InvariantError("splits-conserve", f"job {key}: deposit {deposit} "
                                         f"split {to_producer} + {to_customer}")
            want[(o[O_PRODUCER], o[O_TOKEN])] += to_producer
            want[(j[J_CUSTOMER], o[O_TOKEN])] += to_customer
        if not split:
            return
        got = {k: v - prev.credits[k] for k, v in now.credits.items() if v != prev.credits[k]}
        if got != {k: v for k, v in want.items() if v}:
            raise InvariantError("splits-conserve", f"{sent.name}{sent.args}: credits moved "
                                 f"{got}, the split says {dict(want)}")

    def check_model(self, state: ChainState) -> None:
        m = self.model
        expect_orders = {i: o.as_tuple() for i, o in enumerate(m.orders, 1)}
        expect_jobs = {(i, k): j.as_tuple() for i, o in enumerate(m.orders, 1)
                       for k, j in enumerate(o.jobs, 1)}
        expect_roles = {(a, r): (a == m.admin if r == DEFAULT_ADMIN_ROLE
                                 else r in m.roles.get(a, set())) for a, r in state.roles}
        checks: list[tuple[str, Any, Any]] = [
            ("orderCount", state.order_count, len(m.orders)),
            ("orders", _norm(state.orders), _norm(expect_orders)),
            ("jobs", _norm(state.jobs), _norm(expect_jobs)),
            ("credits", state.credits, {k: m.credits[k] for k in state.credits}),
            ("ETH balances", state.eth, {a: m.eth[a] for a in state.eth}),
            ("token balances", state.tokens,
             {t: {a: m.tokens[t][a] for a in held} for t, held in state.tokens.items()}),
            ("allowances", state.allowance,
             {t: {a: m.allowance[t][a] for a in held} for t, held in state.allowance.items()}),
            ("machineCount", state.machine_count, len(m.machines)),
            ("machines", _norm(state.machines), _norm({
                i: (mc.owner, *mc.envelope, mc.process, mc.material)
                for i, mc in enumerate(m.machines, 1)})),
            ("fingerprints", state.fingerprints, {a: m.fingerprints[a] for a in self.actors}),
            ("tokenAllowed", state.allowed, {t: m.token_allowed(t) for t in state.allowed}),
            ("arbiters", _norm(state.arbiters),
             _norm({i: o.arbiter if (o := m.order(i)) else ZERO for i in state.arbiters})),
            ("roles", state.roles, expect_roles),
        ]
        for what, chain_value, model_value in checks:
            if chain_value != model_value:
                raise InvariantError("model", f"{what}: chain {_diff(chain_value, model_value)}")


def _norm(value: Any) -> Any:
    """Tuples, lists and addresses in one comparable form."""
    if isinstance(value, dict):
        return {k: _norm(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return tuple(_norm(v) for v in value)
    if isinstance(value, str) and value.startswith("0x") and len(value) == 42:
        return value.lower()
    return value


def _diff(chain_value: Any, model_value: Any) -> str:
    if isinstance(chain_value, dict) and isinstance(model_value, dict):
        keys = sorted(set(chain_value) | set(model_value), key=str)
        parts = [f"{k}: chain {chain_value.get(k)} != model {model_value.get(k)}"
                 for k in keys if chain_value.get(k) != model_value.get(k)]
        return "; ".join(parts)
    return f"{chain_value} != model {model_value}"


def machine_for(deployment: Deployment) -> type[OrdersMachine]:
    """The state machine class bound to one deployment."""
    return type(f"OrdersMachine_{deployment.label}", (OrdersMachine,),
                {"deployment": deployment})
