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
    from ape import accounts, chain, networks

    from offchain.chain.client import Chain
    from offchain.chain.deploy import deploy
    from offchain.chain.session import contracts_of
    from offchain.devtools import parts as testdata
    from offchain.orders import steps as workflow
    from offchain.transfer import keys, storage

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
        deployment, _ = deploy(admin, permissioned=False)
        registry, orders, membership = contracts_of(deployment)

        def as_(account) -> Chain:
            return Chain(deployment, registry, orders, membership, account, str(account.address))

        p = as_(producer)
        key_files = {}
        for i, who in enumerate([producer, *customers]):
            key = keys.generate_key(f"p{i}", f"p{i}@bench.example")
            key_files[who.address] = keys.write_key_files(key, work / "keys", f"p{i}")
            workflow.register_key(as_(who), key_files[who.address][0])
        part = testdata.write_binary(work / "gear.stl", testdata.gear().triangles())
        machine = workflow.register_machine(p, "SLS", "PA12", (340_000,) * 3, "")
        now = int(chain.pending_timestamp)
        order_id = workflow.open_order(
            p, machine.data["machine_id"], None, None, now, now + 86_400, now + 10 * 86_400, 10**14
        ).data["order_id"]
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
