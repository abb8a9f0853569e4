"""Which models a member's Kubo node pins, for which job, and when it lets them go.

The producer runs a follower (``ape run store follow``) on its own node: each model submitted
to one of its orders on ``ipfs://`` is pinned there as soon as the chain shows it, so the
model stays retrievable when the customer's machine goes offline (the customer's
submit-model waits until it sees that second copy). Once a job is over (completed,
refunded, resolved or rejected) the follower releases the pins made for it. A customer may
run the same follower on its node to release its own pins of finished jobs (``--keep-own``
keeps them).

Every pin prodnet makes is labelled with its job (a Kubo pin name, see ``label``), so the
node itself says what is pinned for which job.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from offchain.chain.client import Chain
from offchain.chain.codec import JobStatus
from offchain.index import MarketIndex
from offchain.orders.indexed import market_index, open_market_index
from offchain.orders.rules import same_address
from offchain.transfer import replication, storage

PREFIX = "prodnet "
#: Jobs whose model a producer keeps pinned: submitted, shipped, or in dispute.
LIVE = frozenset({JobStatus.MODEL_SUBMITTED, JobStatus.SHIPPED, JobStatus.DISPUTED})
#: Jobs that are over: their pins are released.
OVER = frozenset({JobStatus.COMPLETED, JobStatus.REFUNDED, JobStatus.RESOLVED, JobStatus.REJECTED})
_LABEL = re.compile(
    r"prodnet order (?P<order>\d+) job (?P<job>\d+) chain (?P<chain>\d+) market (?P<market>0x[0-9a-f]{40})"
)


def label(c: Chain, order_id: int, job_id: int) -> str:
    """The pin name of a job's model: readable, and naming the deployment it belongs to."""
    d = c.deployment
    return f"{PREFIX}order {order_id} job {job_id} chain {d.chain_id} market {d.orders.lower()}"


@dataclass(frozen=True)
class JobPin:
    """A pin of this node and the job its label names (None for another deployment's)."""

    pin: replication.Pin
    order_id: int
    job_id: int
    ours: bool  # made for the connected deployment

    @property
    def job(self) -> str:
        return f"order {self.order_id} job {self.job_id}"


def job_pins(c: Chain, replicas: replication.Replicas) -> list[JobPin]:
    """The prodnet pins of the node, with the job each was made for."""
    found = []
    for pin in replicas.pins(PREFIX):
        m = _LABEL.fullmatch(pin.name)
        if m is None:
            continue
        ours = int(m["chain"]) == c.deployment.chain_id and m["market"] == c.deployment.orders.lower()
        found.append(JobPin(pin, int(m["order"]), int(m["job"]), ours))
    return found


@dataclass
class Pass:
    """What one pass of the follower did, one line each."""

    pinned: list[str]
    released: list[str]
    waiting: list[str]

    def lines(self) -> list[str]:
        return self.pinned + self.released + self.waiting


def follow_once(
    c: Chain,
    replicas: replication.Replicas,
    account: str,
    keep_own: bool = False,
    index: MarketIndex | None = None,
) -> Pass:
    """Pin on this node every live ipfs:// model of ACCOUNT's orders (as producer); release
    the pins of jobs that are over (a customer's own too, unless KEEP_OWN)."""
    index = index or market_index(c)
    done = Pass([], [], [])
    pins = job_pins(c, replicas)
    held = {(p.order_id, p.job_id) for p in pins if p.ours}
    mine = [o.id for o in index.orders(producer=account)]
    for job in index.jobs(order_ids=mine) if mine else []:
        key = (job.order_id, job.job_id)
        if key in held or JobStatus(job.status) not in LIVE or not job.uri.startswith("ipfs://"):
            continue
        name = f"job {job.job_id} of order {job.order_id}"
        try:
            replicas.pin(job.uri, label(c, *key))
        except storage.ObjectUnreachableError:
            done.waiting.append(f"{name}: {job.uri} not reachable yet (the customer's node is "
                                "offline?); trying again on the next pass")
            continue
        except storage.StoreUnavailableError:
            raise  # this node is down: nothing more to do until it is back
        except storage.StorageError as exc:  # this job's object only (e.g. a malformed URI)
            done.waiting.append(f"{name}: {exc}; trying again on the next pass")
            continue
        done.pinned.append(f"pinned {name}'s model {job.uri}")
    for pin in pins:
        if not pin.ours:
            continue
        job = index.job(pin.order_id, pin.job_id)
        if job is None or JobStatus(job.status) not in OVER:
            continue
        if keep_own and same_address(job.customer, account):
            continue
        if replicas.unpin(pin.pin.uri):
            done.released.append(
                f"released job {pin.job_id} of order {pin.order_id}'s model {pin.pin.uri} "
                f"(the job is {JobStatus(job.status).name.lower()})"
            )
    return done


def follow(
    c: Chain,
    replicas: replication.Replicas,
    account: str,
    keep_own: bool = False,
    poll: float = 1.0,
    stop: Callable[[], bool] = lambda: False,
) -> Iterator[Pass]:
    """follow_once every POLL seconds until STOP() is true, on an index of its own (the follower
    runs beside the commands or the portal that share this process's index)."""
    index = open_market_index(c)
    try:
        while not stop():
            index.sync()
            yield follow_once(c, replicas, account, keep_own, index)
            time.sleep(poll)
    finally:
        index.close()
