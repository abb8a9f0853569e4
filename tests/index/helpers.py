"""A chain of its own for the index tests (an AnvilNode, the contracts, the Seeder), and the
one checker they share: everything the index holds, field by field, against the chain."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from eth_utils import to_checksum_address

from offchain.chain.abi import Abi
from offchain.chain.codec import ZERO_ADDRESS, JobStatus, text16
from offchain.chain.rpc import NodeError, RawLog, Rpc
from offchain.devtools.anvil import AnvilNode
from offchain.devtools.seed import DAY, MACHINES, Contracts, Seeder
from offchain.index import MarketIndex, ProducerCounts
from offchain.parts.units import price_wei
from tests.utils.actions import REASON

PRICE = 10**12  # wei per cm3
DIMS = [10_000, 10_000, 10_000]  # um: a 1 cm cube, 1,000 mm3 of build space
VOLUME = 500  # mm3
ENVELOPE = list(MACHINES[0][2])  # SLS PA12, each producer's first machine


def deposit(price: int = PRICE, dims: list[int] = DIMS, quantity: int = 1) -> int:
    return price_wei(price, dims, quantity)


@dataclass
class World:
    """One Anvil, the contracts deployed on it, two producers with machines, customers."""

    node: AnvilNode
    rpc: Rpc
    seeder: Seeder
    c: Contracts
    machines: dict[str, list[int]]
    notes: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def start(
        cls, artifacts: tuple[dict[str, Any], dict[str, bytes]], node: AnvilNode | None = None
    ) -> World:
        node = node or AnvilNode().start()
        rpc = Rpc(node.url)
        seeder = Seeder(rpc, *artifacts)
        c = seeder.deploy()
        a = seeder.accounts
        machines = seeder.producers_ready(c, [a[1], a[2]])
        return cls(node, rpc, seeder, c, machines)

    # -- who ------------------------------------------------------------------------------
    @property
    def accounts(self) -> list[str]:
        return self.seeder.accounts

    @property
    def p1(self) -> str:
        return self.accounts[1]

    @property
    def p2(self) -> str:
        return self.accounts[2]

    @property
    def customers(self) -> list[str]:
        return self.accounts[3:8]

    @property
    def arbiter(self) -> str:
        """Named as the arbiter of orders' disputes (public mode): a party to none of them.
        Checksummed, as the index keeps the addresses of events."""
        return to_checksum_address(self.accounts[8])

    @property
    def token_admin(self) -> str:
        return self.accounts[0]  # the deployer

    # -- time -----------------------------------------------------------------------------
    def now(self) -> int:
        block = self.rpc.block(self.rpc.head())
        assert block is not None
        return block.timestamp

    def travel(self, seconds: int) -> None:
        self.rpc.request("evm_increaseTime", seconds)
        self.rpc.request("evm_mine")

    # -- transactions ---------------------------------------------------------------------
    def tx(self, sender: str, name: str, *args: Any, value: int = 0, gas: int = 400_000) -> dict[str, Any]:
        """A transaction for Seeder.send (several go into one block)."""
        to = self.c.registry if name in ("publishKey", "registerMachine") else self.c.orders
        data = self.seeder.call_data(name, *args)
        return {"from": sender, "to": to, "data": "0x" + data.hex(), "gas": hex(gas), "value": hex(value)}

    def do(self, sender: str, name: str, *args: Any, value: int = 0) -> dict[str, Any]:
        """One transaction in a block of its own; its receipt."""
        return self.seeder.transact(sender, self.c, name, *args, value=value)

    def open_args(
        self,
        producer: str,
        capacity: int = 100_000,
        end_in: int = 5 * DAY,
        deadline_in: int = 10 * DAY,
        price: int = PRICE,
        arbiter: str = ZERO_ADDRESS,
    ) -> tuple[Any, ...]:
        """The arguments of PRODUCER's open on its first machine, paid in ETH, ARBITER named."""
        now = self.now()
        machine = self.machines[producer][0]
        return (machine, ENVELOPE, capacity, now - 60, now + end_in, now + deadline_in, price, ZERO_ADDRESS,
                arbiter)

    def open(self, producer: str, **kwargs: Any) -> int:
        """PRODUCER opens an order (see open_args); its id."""
        self.do(producer, "open", *self.open_args(producer, **kwargs))
        return self.order_count()

    def join(self, customer: str, order_id: int, price: int = PRICE, quantity: int = 1) -> int:
        self.do(customer, "join", order_id, DIMS, VOLUME, quantity, value=deposit(price, quantity=quantity))
        return self.job_count(order_id)

    def request(self, customer: str, max_price: int = 3 * PRICE, end_in: int = 5 * DAY,
                deadline_in: int = 10 * DAY, arbiter: str = ZERO_ADDRESS) -> int:
        now = self.now()
        self.do(customer, "request", text16("PA12"), DIMS, VOLUME, 1, max_price, ZERO_ADDRESS,
                now + end_in, now + deadline_in, arbiter, value=deposit(max_price))
        return self.order_count()

    def dispute_ready(self, producer: str, customers: Sequence[str], arbiter: str | None = None) -> int:
        """An order of PRODUCER (its arbiter named at open, when given) with one job of each of
        CUSTOMERS, closed, every model submitted: the producer's turn to ship or reject."""
        order_id = self.open(producer, arbiter=arbiter or ZERO_ADDRESS)
        for customer in customers:
            self.join(customer, order_id)
        self.do(producer, "close", order_id)
        for job, customer in enumerate(customers, start=1):
            self.submit(customer, order_id, job)
        return order_id

    def submit(self, customer: str, order_id: int, job_id: int, uri: str | None = None) -> None:
        digest = bytes([order_id, job_id]) + b"\x5a" * 30
        self.do(customer, "submitModel", order_id, job_id, digest, uri or f"ipfs://model-{order_id}-{job_id}")

    # -- reads ----------------------------------------------------------------------------
    def call(self, name: str, *args: Any, block: int | None = None, to: str | None = None) -> Any:
        function = self.seeder.abi.functions[name]
        answer = self.rpc.calls([(to or self.c.orders, function.encode(*args))],
                                self.rpc.head() if block is None else block)[0]
        if isinstance(answer, NodeError):
            raise answer
        return function.decode(answer)

    def order_count(self) -> int:
        return int(self.call("orderCount"))

    def job_count(self, order_id: int) -> int:
        return int(self.call("jobCount", order_id))

    def index(self, folder: Any, notice: list[str] | None = None, range_blocks: int = 10_000,
              url: str | None = None) -> MarketIndex:
        return MarketIndex.open(
            url or self.node.url, 31337, self.c.registry, self.c.orders, self.c.block, self.c.abi,
            folder=folder, notice=(notice if notice is not None else []).append, range_blocks=range_blocks,
        )


# -- the chain's state at one block ------------------------------------------------------------


@dataclass
class ChainState:
    block: int
    orders: dict[int, dict[str, Any]]
    jobs: dict[tuple[int, int], dict[str, Any]]
    uris: dict[tuple[int, int], str]
    arbiters: dict[int, str]  # order -> arbiterOf (the zero address: none named)
    #: job -> (to producer, to customer, by) of its rejection, resolution or eviction
    outcomes: dict[tuple[int, int], tuple[int, int, str | None]]
    tokens: dict[str, bool]  # token (lower) -> tokenAllowed, of every token a TokenAllowed named
    credits: dict[str, dict[str, int]]  # account (lower) -> token (lower) -> amount, non-zero only
    events: list[tuple[int, int, str, str]]  # (block, log index, tx hash, name)
    machines: dict[int, tuple[Any, ...]]
    keys: dict[str, str]  # account (lower) -> fingerprint hex


def _calls(rpc: Rpc, to: str, function: Any, args: Sequence[tuple[Any, ...]], block: int) -> list[Any]:
    answers = rpc.calls([(to, function.encode(*a)) for a in args], block)
    out = []
    for a, answer in zip(args, answers, strict=True):
        if isinstance(answer, NodeError):
            raise AssertionError(f"{function.name}{a} failed at block {block}: {answer}")
        out.append(function.decode(answer))
    return out


def chain_state(rpc: Rpc, c: Contracts, block: int, accounts: Iterable[str] = ()) -> ChainState:
    """Every order, job, credit (of ACCOUNTS and everyone who took part), event, machine and
    key of the deployment C, read from the node at BLOCK."""
    abi = Abi(c.abi)
    f = abi.functions
    (count,) = _calls(rpc, c.orders, f["orderCount"], [()], block)
    ids = list(range(1, int(count) + 1))
    orders = dict(zip(ids, _calls(rpc, c.orders, f["getOrder"], [(i,) for i in ids], block), strict=True))
    keys_ = [(i, j) for i in ids for j in range(1, int(orders[i]["jobCount"]) + 1)]
    jobs = dict(zip(keys_, _calls(rpc, c.orders, f["getJob"], keys_, block), strict=True))
    arbiters = dict(zip(ids, _calls(rpc, c.orders, f["arbiterOf"], [(i,) for i in ids], block), strict=True))

    raw = rpc.request("eth_getLogs", {"address": [c.registry, c.orders], "fromBlock": hex(c.block),
                                      "toBlock": hex(block)})
    events, uris, outcomes, named = [], {}, {}, set()
    people = {a.lower() for a in accounts}
    for item in raw:
        log = RawLog(
            item["address"].lower(),
            tuple(bytes.fromhex(t[2:]) for t in item["topics"]),
            bytes.fromhex(item["data"][2:]),
            int(item["blockNumber"], 16),
            item["blockHash"],
            item["transactionHash"],
            int(item["logIndex"], 16),
        )
        decoded = abi.decode_log(log)
        assert decoded is not None, f"a log the ABI does not know: {item}"
        name, args = decoded
        events.append((log.block, log.log_index, log.tx_hash, name))
        if name == "ModelSubmitted":
            uris[(int(args["orderId"]), int(args["jobId"]))] = args["uri"]
        elif name in ("JobRejected", "JobResolved"):
            outcomes[(int(args["orderId"]), int(args["jobId"]))] = (
                int(args["toProducer"]), int(args["toCustomer"]), args.get("arbiter"))
        elif name == "JobEvicted":  # the whole deposit back to the customer
            outcomes[(int(args["orderId"]), int(args["jobId"]))] = (0, int(args["refund"]), None)
        elif name == "TokenAllowed":
            named.add(args["token"])
        for key in ("account", "customer", "producer", "owner"):
            if isinstance(args.get(key), str):
                people.add(args[key].lower())
    people |= {o["producer"].lower() for o in orders.values()}
    people |= {j["customer"].lower() for j in jobs.values()}
    people.discard(ZERO_ADDRESS)
    tokens = sorted({ZERO_ADDRESS} | {o["token"].lower() for o in orders.values()})
    pairs = [(p, t) for p in sorted(people) for t in tokens]
    amounts = _calls(rpc, c.orders, f["credits"], pairs, block)
    credits: dict[str, dict[str, int]] = {}
    for (p, t), amount in zip(pairs, amounts, strict=True):
        if amount:
            credits.setdefault(p, {})[t] = int(amount)

    (machine_count,) = _calls(rpc, c.registry, f["machineCount"], [()], block)
    mids = [(i,) for i in range(1, int(machine_count) + 1)]
    structs = _calls(rpc, c.registry, f["machine"], mids, block)
    uris_m = _calls(rpc, c.registry, f["machineURI"], mids, block)
    machines = {
        i: (m["owner"], m["process"], m["material"], m["x"], m["y"], m["z"], uri)
        for (i,), m, uri in zip(mids, structs, uris_m, strict=True)
    }
    people_list = sorted(people)
    fingerprints = _calls(rpc, c.registry, f["fingerprintOf"], [(p,) for p in people_list], block)
    keys = {p: "0x" + bytes(fp).hex() for p, fp in zip(people_list, fingerprints, strict=True) if any(fp)}
    listed = sorted(named)
    allowed = _calls(rpc, c.orders, f["tokenAllowed"], [(t,) for t in listed], block)
    tokens = {t.lower(): bool(a) for t, a in zip(listed, allowed, strict=True)}
    return ChainState(block, orders, jobs, uris, arbiters, outcomes, tokens, credits, events, machines, keys)


# -- the checker --------------------------------------------------------------------------------

ORDER_FIELDS = ("producer", "status", "machineId", "jobCount", "liveJobs", "token", "pricePerCm3", "capacity",
                "used", "start", "end", "deadline", "envX", "envY", "envZ", "material")
JOB_FIELDS = ("customer", "status", "deposit", "dimX", "dimY", "dimZ", "partVolume", "quantity",
              "shippedAt", "digest")


def assert_index_matches(index: MarketIndex, chain: ChainState) -> None:
    """The index holds exactly CHAIN: its orders, jobs, credits, events, machines and keys."""
    assert index.synced_block == chain.block
    problems: list[str] = []

    rows = {o.id: o for o in index.orders()}
    if set(rows) != set(chain.orders):
        problems.append(f"orders: index has {sorted(rows)}, chain {sorted(chain.orders)}")
    if index.count_orders() != len(chain.orders):
        problems.append(f"count_orders {index.count_orders()} != {len(chain.orders)}")
    for oid, o in chain.orders.items():
        row = index.order(oid)
        if row is None:
            continue
        for name in ORDER_FIELDS:
            if getattr(row, name) != o[name]:
                problems.append(f"order {oid}.{name}: index {getattr(row, name)!r}, chain {o[name]!r}")
        if row.arbiter != chain.arbiters[oid]:
            problems.append(f"order {oid}.arbiter: index {row.arbiter!r}, chain {chain.arbiters[oid]!r}")

    jobs = {(j.order_id, j.job_id): j for j in index.jobs()}
    if set(jobs) != set(chain.jobs):
        problems.append(f"jobs: index has {sorted(jobs)}, chain {sorted(chain.jobs)}")
    for key, j in chain.jobs.items():
        row = index.job(*key)
        if row is None:
            continue
        for name in JOB_FIELDS:
            if getattr(row, name) != j[name]:
                problems.append(f"job {key}.{name}: index {getattr(row, name)!r}, chain {j[name]!r}")
        wanted_uri = chain.uris.get(key, "") if j["status"] > JobStatus.JOINED else ""
        if row.uri != wanted_uri:
            problems.append(f"job {key}.uri: index {row.uri!r}, chain events {wanted_uri!r}")
        # rejected, resolved, or refunded by an eviction (not by a cancel or a reclaim)
        ended = j["status"] in (JobStatus.REJECTED, JobStatus.RESOLVED) or (
            j["status"] == JobStatus.REFUNDED and key in chain.outcomes)
        wanted_outcome = chain.outcomes[key] if ended else (None, None, None)
        kept = (row.to_producer, row.to_customer, row.resolved_by)
        if kept != wanted_outcome:
            problems.append(f"job {key} outcome: index {kept}, chain {wanted_outcome}")
        if ended and sum(wanted_outcome[:2]) != j["deposit"]:  # type: ignore[arg-type]
            problems.append(f"job {key}: outcome {wanted_outcome} is not its deposit {j['deposit']}")

    held = {a.lower() for (a,) in index.db.execute("SELECT DISTINCT account FROM credits")}
    for account in sorted(held | set(chain.credits)):
        mine, theirs = index.credits(account), chain.credits.get(account, {})
        if mine != theirs:
            problems.append(f"credits of {account}: index {mine}, chain {theirs}")

    events = [(e.block, e.log_index, e.tx_hash, e.name) for e in index.timeline()]
    (stored,) = index.db.execute("SELECT count(*) FROM events").fetchone()
    if stored != len(chain.events) or events != chain.events:
        problems.append(f"events: index {stored} ({len(events)} in the timeline), chain {len(chain.events)}; "
                        f"only in index {sorted(set(events) - set(chain.events))[:5]}, "
                        f"only on chain {sorted(set(chain.events) - set(events))[:5]}")

    for mid, m in chain.machines.items():
        row = index.machine(mid)
        want = (m[0], m[1].rstrip(b"\0").decode(), m[2].rstrip(b"\0").decode(), *m[3:])
        got = None if row is None else (row.owner, row.process, row.material, row.x, row.y, row.z, row.uri)
        if got != want:
            problems.append(f"machine {mid}: index {got}, chain {want}")
    (machines,) = index.db.execute("SELECT count(*) FROM machines").fetchone()
    if machines != len(chain.machines):
        problems.append(f"machines: index {machines}, chain {len(chain.machines)}")
    keys = {a.lower(): fp for a, fp in index.db.execute("SELECT account, fingerprint FROM keys")}
    if keys != chain.keys:
        problems.append(f"keys: index {keys}, chain {chain.keys}")
    tokens = {t.lower(): allowed for t, allowed in index.tokens().items()}
    if tokens != chain.tokens:
        problems.append(f"token allowlist: index {tokens}, chain {chain.tokens}")

    listed = "\n  ".join(problems[:40])
    assert not problems, f"the index does not match the chain at block {chain.block}:\n  {listed}"


def assert_index_matches_chain(
    index: MarketIndex, rpc: Rpc, c: Contracts, accounts: Iterable[str] = ()
) -> None:
    """The index, synced to the head, holds exactly what the chain at RPC holds (every order and
    job field, every credit of the index's holders and of everyone who took part, every event)."""
    head = rpc.head()
    assert index.synced_block == head, f"index at block {index.synced_block}, chain head {head}"
    assert_index_matches(index, chain_state(rpc, c, head, accounts or rpc.request("eth_accounts")))


def event_txs(index: MarketIndex) -> set[str]:
    return {e.tx_hash for e in index.timeline()}


# -- a small market in every state ---------------------------------------------------------------


#: Tokens the market's allowlist names: the first allowed, the second allowed then not.
TOKENS = ("0x1111111111111111111111111111111111111111", "0x2222222222222222222222222222222222222222")


def build_market(w: World) -> dict[str, Any]:
    """Orders open, closed, cancelled (with refunds), requested, taken; jobs joined, left,
    submitted, shipped, confirmed, finalized without confirmation, reclaimed after the deadline
    (one of a request never taken, which cancels it), refunded by a cancel, evicted by the
    producer (three in one transaction), rejected, disputed (resolved by the arbiter with a
    split, confirmed after all, settled by the default rule, still open); arbiters named with
    the order's terms (an open order's by its producer, a request's by its requester); the token
    allowlist changed; credits withdrawn. Returns the ids and each producer's expected counts."""
    c0, c1, c2, c3, c4 = w.customers
    p1, p2 = w.p1, w.p2
    # p1's orders
    o1 = w.open(p1)  # stays open: job 1 joined, job 2 left
    w.join(c0, o1)
    w.join(c1, o1)
    w.do(c1, "leave", o1, 2)
    o2 = w.open(p1)  # closed: confirmed, finalized, reclaimed, still joined
    for customer in (c0, c1, c2, c3):
        w.join(customer, o2)
    w.do(p1, "close", o2)
    for job, customer in ((1, c0), (2, c1), (3, c2)):
        w.submit(customer, o2, job)
    w.do(p1, "ship", o2, 1)
    w.do(p1, "ship", o2, 2)
    w.do(c0, "confirmReceipt", o2, 1)
    o3 = w.open(p1)  # cancelled, both jobs refunded
    w.join(c0, o3)
    w.join(c1, o3)
    w.do(p1, "cancel", o3)
    # requests: one left requested (its requester named its arbiter), one taken by p2 below its
    # maximum (the difference credited)
    o4 = w.request(c2, arbiter=w.arbiter)
    o5 = w.request(c3)
    w.do(p2, "take", o5, w.machines[p2][0], ENVELOPE, 50_000, PRICE)
    w.join(c4, o5)
    # p2's orders
    o6 = w.open(p2)  # closed: confirmed, shipped, submitted
    for customer in (c0, c1, c2):
        w.join(customer, o6)
    w.do(p2, "close", o6)
    for job, customer in ((1, c0), (2, c1), (3, c2)):
        w.submit(customer, o6, job)
    w.do(p2, "ship", o6, 1)
    w.do(p2, "ship", o6, 2)
    w.do(c0, "confirmReceipt", o6, 1)
    o7 = w.open(p2)  # job 1 reclaimed after the deadline, then the order cancelled (job 2 refunded)
    w.join(c3, o7)
    w.join(c4, o7)
    w.do(p2, "close", o7)
    w.do(c1, "withdraw", ZERO_ADDRESS)  # its leave and cancel refunds
    # p1's order with a named arbiter: job 4's model rejected; jobs 1, 2, 3, 5 shipped and disputed:
    # 1 resolved by the arbiter with a split, 2 confirmed after all, 3 settled by the default rule
    # after the arbitration window (below), 5 still disputed
    o8 = w.dispute_ready(p1, [c0, c1, c2, c3, c4], arbiter=w.arbiter)
    w.do(p1, "reject", o8, 4)
    for job, customer in ((1, c0), (2, c1), (3, c2), (5, c4)):
        w.do(p1, "ship", o8, job)
        w.do(customer, "dispute", o8, job, REASON)
    w.do(w.arbiter, "resolve", o8, 1, deposit() // 4)
    w.do(c1, "confirmReceipt", o8, 2)
    o9 = w.dispute_ready(p2, [c3])  # p2 rejects its only model; no arbiter named
    w.do(p2, "reject", o9, 1)
    o10 = w.request(c4)  # never taken: reclaimed after its deadline, which cancels it
    o11 = w.open(p2)  # stays open: p2 evicts jobs 1, 2 and 4 in one transaction; job 3 stays
    for customer in (c0, c1, c2, c3):
        w.join(customer, o11)
    w.do(p2, "evict", o11, [1, 2, 4])
    w.do(w.token_admin, "allowToken", TOKENS[0], True)
    w.do(w.token_admin, "allowToken", TOKENS[1], True)
    w.do(w.token_admin, "allowToken", TOKENS[1], False)
    # past every delivery deadline (10 days) and every confirmation window (14 days after shipping)
    w.travel(15 * DAY)
    w.do(p1, "finalize", o2, 2)
    w.do(c2, "reclaim", o2, 3)
    w.do(c3, "reclaim", o7, 1)
    w.do(p2, "cancel", o7)
    w.do(c4, "reclaim", o10, 1)
    w.do(p1, "withdraw", ZERO_ADDRESS)
    # past the arbitration window (7 more days): anyone settles job 3 by the default rule
    w.travel(7 * DAY)
    w.do(p2, "settle", o8, 3)
    return {
        "orders": {"open": o1, "closed": o2, "cancelled": o3, "requested": o4, "taken": o5,
                   "p2_closed": o6, "p2_cancelled": o7, "disputes": o8, "p2_rejected": o9,
                   "request_reclaimed": o10, "evictions": o11},
        "counts": {
            p1.lower(): ProducerCounts(completed=3, confirmed=2, finalized=1, confirmed_after_dispute=1,
                                       shipped=6, reclaimed=1, reclaimed_with_model=1, cancelled=2,
                                       evicted=0, rejected=1, disputed=4, for_producer=0, split=1,
                                       refunded_by_arbiter=0, refunded_by_default=1),
            p2.lower(): ProducerCounts(completed=1, confirmed=1, finalized=0, confirmed_after_dispute=0,
                                       shipped=2, reclaimed=1, reclaimed_with_model=0, cancelled=1,
                                       evicted=3, rejected=1, disputed=0),
        },
    }
