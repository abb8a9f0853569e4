"""Two processes syncing the same index folder at the same moment: one writer at a time, no
event twice, and the index matches the chain (run a few times to shake out races)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tests.conftest import ROOT
from tests.index.helpers import World, assert_index_matches_chain, chain_state

WRITER = """
import json, sys, time
from pathlib import Path
from offchain.index import MarketIndex

spec = json.loads(Path(sys.argv[1]).read_text())
go = Path(spec["go"])
while not go.exists():
    time.sleep(0.002)
out = []
for folder in spec["folders"]:
    index = MarketIndex.open(
        spec["url"], 31337, spec["registry"], spec["orders"], spec["block"], spec["abi"],
        folder=Path(folder), notice=lambda line: out.append({"notice": line}), range_blocks=spec["range"],
    )
    result = index.sync()
    out.append({"folder": folder, "start": result.start, "stop": result.stop, "events": result.events})
    index.close()
print(json.dumps(out))
"""


def _race(w: World, work: Path, run: int, orders: list[list[str]]) -> list[list[dict]]:
    """Start one writer per entry of ORDERS (the folders it syncs, in that order) at once."""
    go = work / f"go-{run}"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    processes = []
    for n, folders in enumerate(orders):
        spec = work / f"spec-{run}-{n}.json"
        spec.write_text(json.dumps({
            "go": str(go), "folders": folders, "url": w.node.url, "registry": w.c.registry,
            "orders": w.c.orders, "block": w.c.block, "abi": w.c.abi, "range": 2,
        }))
        processes.append(subprocess.Popen(
            [sys.executable, "-c", WRITER, str(spec)], cwd=ROOT, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        ))
    time.sleep(0.3)  # let both get to the start line
    go.touch()
    outputs = []
    for p in processes:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        outputs.append(json.loads(out))
    return outputs


def test_two_writers_at_once_never_duplicate_events(new_world: Callable[[], World], tmp_path: Path) -> None:
    w = new_world()
    now = w.now()
    ids = w.seeder.open_orders(w.c, w.machines, 60, now)
    price_of = w.seeder.price_reader(w.c)
    w.seeder.join_orders(w.c, ids, 240, w.customers, price_of)
    shared = tmp_path / "shared"
    indexed = 0  # events in the shared index so far
    for run in range(3):
        for i in range(6):  # new blocks (a join each) for the shared index to race over
            order = ids[run * 6 + i]
            w.join(w.customers[i % 5], order, price=price_of(order))
        fresh = tmp_path / f"fresh-{run}"
        outputs = _race(w, tmp_path, run, [[str(fresh), str(shared)], [str(shared), str(fresh)]])
        head = w.rpc.head()
        chain = chain_state(w.rpc, w.c, head, w.accounts)
        assert len(chain.events) > 300
        lines = [line for out in outputs for line in out]
        assert not [line for line in lines if "notice" in line], lines
        for folder, before in ((fresh, 0), (shared, indexed)):
            results = [line for line in lines if line["folder"] == str(folder)]
            assert len(results) == 2 and all(r["stop"] == head for r in results)
            assert sum(r["events"] for r in results) == len(chain.events) - before, results
            index = w.index(folder)
            (rows, distinct) = index.db.execute(
                "SELECT count(*), count(DISTINCT tx_hash || ':' || log_index) FROM events"
            ).fetchone()
            assert rows == distinct == len(chain.events)
            assert_index_matches_chain(index, w.rpc, w.c)
            index.close()
        indexed = len(chain.events)
