"""Order steps per second through offchain.orders.steps on Anvil (ape-foundry starts it).

One producer, 4 customers, 20 jobs in one order: join x20, close, submit-model x20
(encrypt + sign + central file store + transaction), ship x20, confirm x20, withdraw.
Reported per step kind and overall (wall time, including the pre-checks each step makes).
"""

from __future__ import annotations

import os
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from benchmarks.__main__ import ROOT

JOBS = 20
CUSTOMERS = 4


def run() -> dict:
    os.chdir(ROOT)
    from ape import accounts, networks

    from benchmarks.market_setup import open_market
    from offchain.orders import steps as workflow
    from offchain.transfer import storage

    work = Path(tempfile.mkdtemp(prefix="prodnet-bench-"))
    os.environ["PRODNET_HOME"] = str(work / "state")
    timings: dict[str, list[float]] = defaultdict(list)

    def timed(kind: str, func, *args, **kwargs):
        started = time.perf_counter()
        result = func(*args, **kwargs)
        timings[kind].append(time.perf_counter() - started)
        return result

    with networks.parse_network_choice("ethereum:local:foundry"):
        admin, producer, *customers = accounts.test_accounts[: 2 + CUSTOMERS]
        m = open_market(work, producer, customers, admin)
        as_, key_files, part, order_id = m.as_, m.key_files, m.part, m.order_id
        p = as_(producer)
        store = storage.open_store("file", root=work / "store")
        started = time.perf_counter()
        jobs = []
        for i in range(JOBS):
            who = customers[i % CUSTOMERS]
            jobs.append((who, timed("join", workflow.join, as_(who), order_id, part, 1).data["job_id"]))
        timed("close", workflow.close, p, order_id)
        for who, job in jobs:
            timed(
                "submit_model",
                workflow.submit_model,
                as_(who),
                order_id,
                job,
                part,
                store,
                key_files[who.address][1],
            )
        for _, job in jobs:
            timed("ship", workflow.ship, p, order_id, job)
        for who, job in jobs:
            timed("confirm", workflow.confirm, as_(who), order_id, job)
        timed("withdraw", workflow.withdraw, p)
        elapsed = time.perf_counter() - started
    steps = sum(len(v) for v in timings.values())
    return {
        "steps": steps,
        "seconds": round(elapsed, 2),
        "steps_per_second": round(steps / elapsed, 2),
        "per_step_ms": {k: round(1000 * sum(v) / len(v), 1) for k, v in timings.items()},
    }
