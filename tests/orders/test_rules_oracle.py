"""offchain.orders.rules held to the contract as its oracle: for every step of the table x
order state x job state x caller (the producer, the job's customer, the arbiter, a stranger,
another customer)
x time (just before, at and just after each window edge), in both modes, the table's
verdict is the contract's own answer to an eth_call of the step at that time.

Where the table says a step passes, the contract may still refuse it for what only the
contract checks (a part's geometry, a payment, a machine): those errors are listed per step
in BEYOND_THE_TABLE and never count as agreement when the table refuses.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from ape import accounts, chain, project
from eth_abi import decode, encode
from eth_utils import function_abi_to_4byte_selector, keccak

from offchain.chain import evm
from offchain.chain.codec import ZERO_ADDRESS, JobStatus, OrderStatus
from offchain.orders import rules
from tests.utils import actions
from tests.utils.constants import (
    ARBITER_ROLE,
    ARBITRATION_WINDOW,
    CONFIRMATION_WINDOW,
    CUSTOMER_ROLE,
    MAX_LEAD_TIME,
    PART,
    PART_VOLUME,
    PRICE_PER_CM3,
    PRODUCER_ROLE,
    REGION,
    price_of,
)

#: Who asks: the producer, the job's customer, the arbiter, a stranger (no role in permissioned
#: mode) and another customer (a customer's role, not this job's).
CALLERS = ("producer", "customer", "arbiter", "stranger", "other")
#: What the contract checks beyond the table, per step, for the arguments sent here.
BEYOND_THE_TABLE: dict[str, frozenset[str]] = {
    "take": frozenset({"NotMachineOwner", "InvalidCapacity", "DoesNotFit", "MaterialMismatch",
                       "PriceAboveMax"}),
    "join": frozenset({"NoSpaceLeft", "WrongPayment", "DoesNotFit", "InvalidPart"}),
}
SETTINGS = rules.Settings(CONFIRMATION_WINDOW, ARBITRATION_WINDOW, MAX_LEAD_TIME, 100, 1000, 1000, 280)
ROLES = {
    rules.Role.PRODUCER: PRODUCER_ROLE, rules.Role.CUSTOMER: CUSTOMER_ROLE, rules.Role.ARBITER: ARBITER_ROLE,
}


@dataclass
class Market:
    mode: str
    orders: Any
    membership: Any
    cast: dict[str, Any]
    machines: dict[str, int]
    scenarios: dict[str, tuple[int, int]]


def _deploy(mode: str) -> Market:
    a = accounts.test_accounts
    cast = dict(zip(("deployer", "producer", "customer", "arbiter", "stranger", "other"), a, strict=False))
    membership = None
    if mode == "permissioned":
        membership = cast["deployer"].deploy(project.Membership, cast["deployer"])
        membership.grantRole(PRODUCER_ROLE, cast["producer"], sender=cast["deployer"])
        for name in ("customer", "other"):
            membership.grantRole(CUSTOMER_ROLE, cast[name], sender=cast["deployer"])
        membership.grantRole(ARBITER_ROLE, cast["arbiter"], sender=cast["deployer"])
    gate = membership.address if membership else ZERO_ADDRESS
    registry = cast["deployer"].deploy(project.CapacityRegistry, gate)
    orders = evm.market(cast["deployer"].deploy(
        project.ProductionOrders, registry, gate, cast["deployer"], CONFIRMATION_WINDOW, ARBITRATION_WINDOW,
        MAX_LEAD_TIME))
    machines = {}
    # Everyone a producer may be gets a machine, so take's refusals are the table's.
    for name in ("producer",) if membership else CALLERS:
        actions.publish_key(registry, cast[name])
        machines[name] = actions.machine_id(actions.register_machine(registry, cast[name]), registry)
    market = Market(mode, orders, membership, cast, machines, {})
    market.scenarios = _scenarios(market)
    return market


def _scenarios(m: Market) -> dict[str, tuple[int, int]]:
    """(order, job) in every reachable pair of states the steps of the table look at."""
    o, p, c = m.orders, m.cast["producer"], m.cast["customer"]
    arbiter = m.cast["arbiter"] if m.membership is None else ZERO_ADDRESS
    out: dict[str, tuple[int, int]] = {}

    def opened(**kw: Any) -> int:
        return actions.order_id(actions.open_order(o, p, m.machines["producer"], arbiter=arbiter, **kw), o)

    def joined(order: int) -> int:
        return actions.job_id(actions.join(o, c, order), o)

    requested = actions.order_id(actions.request_order(o, c, arbiter=arbiter), o)
    out["requested"] = (requested, 1)
    order = opened()
    out["open, joined"] = (order, joined(order))
    out["open, no such job"] = (order, 9)
    left = joined(order)
    actions.leave(o, c, order, left)
    out["open, left"] = (order, left)
    evicted = joined(order)
    actions.evict(o, p, order, evicted)
    out["open, evicted"] = (order, evicted)
    later = opened(start=chain.pending_timestamp + 3_600)
    out["open, not started"] = (later, 1)
    for state in ("joined", "model submitted", "shipped", "disputed", "completed", "resolved", "rejected"):
        order = opened()
        job = joined(order)
        actions.close(o, p, order)
        out[f"closed, {state}"] = (order, job)
        if state == "joined":
            continue
        actions.submit_model(o, c, order, job)
        if state == "rejected":
            actions.reject(o, p, order, job)
            continue
        if state == "model submitted":
            continue
        actions.ship(o, p, order, job)
        if state in ("disputed", "resolved"):
            actions.dispute(o, c, order, job)
        if state == "completed":
            actions.confirm(o, c, order, job)
        if state == "resolved":
            actions.resolve(o, m.cast["arbiter"], order, job, 0)
    order = opened()
    job = joined(order)
    actions.cancel(o, p, order)
    out["cancelled, refunded"] = (order, job)
    out["no such order"] = (999, 1)
    return out


@pytest.fixture(scope="module", params=["public", "permissioned"])
def market(request: pytest.FixtureRequest) -> Iterator[Market]:
    snapshot = chain.snapshot()
    yield _deploy(request.param)
    chain.restore(snapshot)


def _facts(m: Market, order_id: int, job_id: int, caller: str, now: int) -> rules.Facts:
    o = m.orders
    count = int(o.orderCount())
    address = m.cast[caller].address
    roles = None
    if m.membership is not None:
        roles = frozenset(r for r, code in ROLES.items() if m.membership.hasRole(code, address))
    if not 1 <= order_id <= count:
        return rules.Facts(order_id, OrderStatus.NONE, address, now, SETTINGS, job_id=job_id, roles=roles)
    order = o.getOrder(order_id)
    jobs = int(o.jobCount(order_id))
    statuses = tuple(int(o.getJob(order_id, j).status) for j in range(1, jobs + 1))
    job = o.getJob(order_id, job_id) if 1 <= job_id <= jobs else None
    return rules.Facts(
        order_id, int(order.status), address, now, SETTINGS,
        producer=str(order.producer), requester=str(o.getJob(order_id, 1).customer) if jobs else ZERO_ADDRESS,
        start=int(order.start), end=int(order.end), deadline=int(order.deadline),
        live_jobs=int(order.liveJobs), job_count=jobs, arbiter=str(o.arbiterOf(order_id)),
        job_id=job_id, job_status=int(job.status) if job else JobStatus.NONE,
        customer=str(job.customer) if job else ZERO_ADDRESS, shipped_at=int(job.shippedAt) if job else 0,
        job_statuses=statuses, roles=roles,
    )


def _times(f: rules.Facts) -> list[int]:
    edges = ["start", "end", "deadline"] + (["confirmation end", "arbitration end"] if f.shipped_at else [])
    return sorted({f.edge(e) + d for e in edges if f.edge(e) for d in (-1, 0, 1)})


def _call(m: Market, rule: rules.Rule, f: rules.Facts, caller: str) -> tuple[str, tuple[Any, ...], int]:
    """(function, arguments, value) of the step as CALLER would send it."""
    order, job = f.order_id, f.job_id
    args: dict[str, tuple[Any, ...]] = {
        "take": (order, m.machines.get(caller, 0), REGION, 2_000_000, PRICE_PER_CM3),
        "join": (order, PART, PART_VOLUME, 1),
        "evict": (order, [job]),
        "close": (order,), "cancel": (order,),
        "submitModel": (order, job, b"\x01" * 32, "ipfs://model"),
        "resolve": (order, job, 0),
        "dispute": (order, job, actions.REASON),
    }
    value = price_of(PRICE_PER_CM3, PART, 1) if rule.function == "join" else 0
    return rule.function, args.get(rule.function, (order, job)), value


Errors = dict[bytes, tuple[str, list[str], list[str]]]  # selector -> (name, argument names, types)


def _abi() -> list[dict[str, Any]]:
    out = []
    for name in (evm.MARKET_ABI, "Membership"):
        abi = project.get_contract(name).contract_type.abi
        out += [e.model_dump(by_alias=True, mode="json") for e in abi]
    return out


def _errors(abi: list[dict[str, Any]]) -> Errors:
    out = {}
    for e in abi:
        if e.get("type") == "error":
            types = [i["type"] for i in e["inputs"]]
            selector = keccak(text=f"{e['name']}({','.join(types)})")[:4]
            out[selector] = (e["name"], [i["name"] for i in e["inputs"]], types)
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, str) and value.startswith("0x") and len(value) == 42:
        return value.lower()
    if isinstance(value, bytes):
        return value.hex()
    return int(value) if isinstance(value, int) else value


@dataclass
class Case:
    label: str
    function: str
    expected: rules.Refusal | None
    call: list[Any]  # eth_call's params: the transaction, the block, state and block overrides


def _cases(m: Market, functions: dict[str, dict[str, Any]]) -> list[Case]:
    cases = []
    for name, (order_id, job_id) in m.scenarios.items():
        for caller in CALLERS:
            base = _facts(m, order_id, job_id, caller, 0)
            for now in _times(base) or [int(chain.pending_timestamp)]:
                f = rules.Facts(**{**base.__dict__, "now": now})
                for rule in rules.RULES:
                    function, args, value = _call(m, rule, f, caller)
                    spec = functions[function]
                    types = [i["type"] for i in spec["inputs"]]
                    data = function_abi_to_4byte_selector(spec) + encode(types, list(args))
                    tx = {"from": f.caller, "to": m.orders.address, "data": "0x" + data.hex(),
                          "value": hex(value), "gas": hex(3_000_000)}
                    when = f"{now - base.end:+d}s from the end" if base.end else "now"
                    cases.append(Case(f"{m.mode}, {name}, {caller}, {when}: {function}", function,
                                      rules.verdict(function, f), [tx, "latest", {}, {"time": hex(now)}]))
    return cases


def _disagreement(case: Case, got: tuple[str, dict[str, Any]] | None) -> str | None:
    expected = case.expected
    if expected is None:
        if got is None or got[0] in BEYOND_THE_TABLE.get(case.function, frozenset()):
            return None
        return f"{case.label}: the table lets it pass, the contract says {got[0]}{got[1]}"
    if got is not None and got[0] == expected.error and all(
        _plain(got[1].get(k)) == _plain(v) for k, v in expected.args.items()
    ):
        return None
    return f"{case.label}: the table says {expected.error}{dict(expected.args)}, the contract {got}"


def test_the_table_answers_as_the_contract_does(market: Market) -> None:
    abi = _abi()
    functions = {e["name"]: e for e in abi if e.get("type") == "function"}
    errors = _errors(abi)
    cases = _cases(market, functions)
    answers: list[dict[str, Any]] = []
    for first in range(0, len(cases), 400):
        answers += _batch(chain.provider.uri, [c.call for c in cases[first:first + 400]])
    wrong = [d for c, a in zip(cases, answers, strict=True) if (d := _disagreement(c, _revert(a, errors)))]
    assert not wrong, f"{len(wrong)} of {len(cases)} disagree:\n" + "\n".join(wrong[:40])
    refused = {c.expected.error for c in cases if c.expected is not None}
    # every step x state x caller x edge was asked, and the table's every kind of refusal came up
    assert len(cases) > 5_000
    assert {"NotMember"} <= refused if market.membership is not None else "NotMember" not in refused
    assert refused >= {
        "OrderNotFound", "JobNotFound", "NotOrderProducer", "NotJobCustomer", "WrongOrderStatus",
        "WrongJobStatus", "WindowNotStarted", "WindowOver", "DeliveryDeadlinePassed",
        "DeliveryDeadlineNotPassed", "ConfirmationWindowOver", "ConfirmationWindowOpen",
        "ArbitrationWindowOpen", "NotArbiter", "ModelReceived", "AlreadyShipped",
    }


def _batch(url: str, calls: list[list[Any]]) -> list[dict[str, Any]]:
    """eth_call each of CALLS in one JSON-RPC batch; the raw answers (errors keep their data)."""
    payload = [{"jsonrpc": "2.0", "id": i, "method": "eth_call", "params": p} for i, p in enumerate(calls)]
    request = urllib.request.Request(url, json.dumps(payload).encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=120) as response:
        answers = {a["id"]: a for a in json.loads(response.read())}
    return [answers[i] for i in range(len(calls))]


def _revert(answer: dict[str, Any], errors: Errors) -> tuple[str, dict[str, Any]] | None:
    """The custom error (name, arguments) of an eth_call answer, or None if it passed."""
    if "error" not in answer:
        return None
    data = answer["error"].get("data")
    if isinstance(data, dict):
        data = data.get("data")
    raw = bytes.fromhex(str(data or "0x")[2:])
    if raw[:4] not in errors:
        return (f"a revert without a known error ({raw.hex()[:8] or 'no data'})", {})
    name, names, types = errors[raw[:4]]
    return name, dict(zip(names, decode(types, raw[4:]), strict=True))
