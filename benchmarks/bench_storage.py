"""Put + get of a 100 MB file through storage.py vs the ``ipfs add`` / ``ipfs cat`` CLI.

One isolated Kubo node; both sides talk to the same running daemon over its RPC API.
Every add gets fresh random content (no deduplication advantage), each measurement is
the median of a few runs. Also: the central file store, and a fetch by a second node
over loopback (the producer's node fetching from the customer's).

Replication (``replication``): the customer's put, the producer's node pinning the object
(what its follower does), and the customer's node seeing "pinned by 2", for a 300 KB and a
100 MB object. ``submit_to_pinned_by_2``: the whole submit-model step on Anvil, on IPFS with
the producer's follower running (polling as ``ape run store follow`` does, and faster), next
to the same step on the central file store, which waits for no copy.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from offchain.devtools.kubo import KuboNode
from offchain.transfer import storage

SIZE = 100 * 10**6
MIB = 1 << 20
RUNS = 3


def _write_random(path: Path, size: int) -> Path:
    with open(path, "wb") as fh:
        left = size
        while left:
            n = min(left, 8 * MIB)
            fh.write(os.urandom(n))
            left -= n
    return path


def _timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _speed(seconds: list[float]) -> dict:
    median = statistics.median(seconds)
    return {"mib_per_s": round(SIZE / MIB / median, 1), "median_seconds": round(median, 3),
            "runs": [round(s, 3) for s in seconds]}


def _replication(work: Path) -> dict:
    """put, the other node's pin, and the wait until the customer's node sees 2 holders."""
    from offchain.transfer import replication

    result: dict = {}
    with KuboNode() as customer, KuboNode() as producer:
        producer.connect(customer)
        store = storage.IpfsStore(customer.api_multiaddr)
        mine = replication.Replicas(store)
        theirs = replication.Replicas(storage.IpfsStore(producer.api_multiaddr))
        for name, size in (("300_kb", 300_000), ("100_mb", SIZE)):
            put, pin, seen = [], [], []
            for i in range(RUNS):
                path = _write_random(work / f"replica-{name}-{i}.bin", size)
                objects: list[storage.StoredObject] = []
                put.append(_timed(lambda p=path, o=objects: o.append(store.put(p))))
                pin.append(_timed(lambda o=objects[0]: theirs.pin(o.uri)))
                seen.append(_timed(lambda o=objects[0]: mine.wait(o.uri, copies=2, bound=60)))
                path.unlink()
            total = [a + b + c for a, b, c in zip(put, pin, seen, strict=True)]
            result[name] = {
                "put_median_s": round(statistics.median(put), 3),
                "producer_pin_median_s": round(statistics.median(pin), 3),
                "seen_pinned_by_2_median_s": round(statistics.median(seen), 3),
                "put_to_pinned_by_2_median_s": round(statistics.median(total), 3),
                "runs_s": [round(t, 3) for t in total],
            }
    return result


def _submit_to_pinned_by_2(work: Path) -> dict:
    """submit-model on Anvil: IPFS with the producer's follower (two poll intervals) vs the
    central file store (no copy to wait for)."""
    from ape import accounts, networks

    from benchmarks.market_setup import open_market
    from offchain import config
    from offchain.devtools.demo import follower
    from offchain.orders import steps as workflow
    from offchain.transfer import replication

    jobs_each = 3
    timings: dict[str, list[float]] = {}
    with config.scoped_home(work / "state"), networks.parse_network_choice("ethereum:local:foundry"):
        admin, producer, customer = accounts.test_accounts[:3]
        m = open_market(work, producer, [customer], admin)
        as_, key_files, part, order_id = m.as_, m.key_files, m.part, m.order_id
        p, c = as_(producer), as_(customer)
        kinds = ("ipfs_follower_poll_1s", "ipfs_follower_poll_0.2s", "file_store")
        jobs = {k: [workflow.join(c, order_id, part, 1).data["job_id"] for _ in range(jobs_each)]
                for k in kinds}
        workflow.close(p, order_id)
        with KuboNode() as customer_node, KuboNode() as producer_node:
            producer_node.connect(customer_node)
            ipfs = storage.IpfsStore(customer_node.api_multiaddr)
            pins = replication.Replicas(storage.IpfsStore(producer_node.api_multiaddr))
            for kind in kinds:
                store: storage.Store = ipfs
                if kind == "file_store":
                    store = storage.FileStore(work / "central")
                poll = 1.0 if kind.endswith("1s") else 0.2
                with follower(p, pins, producer.address, lambda _: None, poll=poll):
                    timings[kind] = [
                        _timed(lambda j=job, s=store: workflow.submit_model(
                            c, order_id, j, part, s, key_files[customer.address][1]))
                        for job in jobs[kind]
                    ]
    return {
        kind: {"median_s": round(statistics.median(t), 3), "runs_s": [round(x, 3) for x in t]}
        for kind, t in timings.items()
    } | {"model_bytes": part.stat().st_size, "note": "encrypt + sign + store + transaction "
         "(+ on IPFS: the wait until another node announces its pin receipt)"}


def run() -> dict:
    work = Path(tempfile.mkdtemp(prefix="prodnet-bench-storage-"))
    try:
        with KuboNode() as node, KuboNode() as producer:
            producer.connect(node)
            env = {**os.environ, "IPFS_PATH": str(node.repo)}
            ipfs = str(node.binary)
            store = storage.IpfsStore(node.api_multiaddr)
            files = [_write_random(work / f"m{i}.bin", SIZE) for i in range(2 * RUNS + 1)]

            # warm-up: one add/cat each, not measured
            warm = store.put(files[-1])
            store.get(warm.uri, warm.sha256, work / "warm.out")

            put_lib, put_cli, get_lib, get_cli = [], [], [], []
            objects: list[storage.StoredObject] = []
            for i in range(RUNS):  # interleaved so load changes hit both sides alike
                put_lib.append(_timed(lambda f=files[2 * i]: objects.append(store.put(f))))
                put_cli.append(_timed(lambda f=files[2 * i + 1]: subprocess.run(
                    [ipfs, "add", "--cid-version=1", "--pin", "-Q", str(f)], env=env,
                    check=True, capture_output=True)))
            for i in range(RUNS):
                target = objects[i]
                get_lib.append(_timed(lambda o=target: store.get(o.uri, o.sha256,
                                                                 work / "lib.out")))
                cid = target.uri.removeprefix("ipfs://")
                with open(work / "cli.out", "wb") as out:
                    get_cli.append(_timed(lambda c=cid, o=out: subprocess.run(
                        [ipfs, "cat", c], env=env, check=True, stdout=o)))
            if (work / "cli.out").read_bytes() != (work / "lib.out").read_bytes():
                raise RuntimeError("ipfs cat and storage.py fetched different bytes")
            shm = Path("/dev/shm")
            ram_lib, ram_cli = [], []
            if shm.is_dir():  # same, with the output in RAM: no disk flush on either side
                ram = Path(tempfile.mkdtemp(prefix="prodnet-bench-", dir=shm))
                try:
                    for target in objects:
                        ram_lib.append(_timed(lambda o=target: store.get(o.uri, o.sha256,
                                                                         ram / "lib.out")))
                        cid = target.uri.removeprefix("ipfs://")
                        with open(ram / "cli.out", "wb") as out:
                            ram_cli.append(_timed(lambda c=cid, o=out: subprocess.run(
                                [ipfs, "cat", c], env=env, check=True, stdout=o)))
                finally:
                    shutil.rmtree(ram, ignore_errors=True)

            remote = storage.IpfsStore(producer.api_multiaddr)
            fresh = store.put(files[1])  # added by the CLI before; pinned again, same CID
            cross = _timed(lambda: remote.get(fresh.uri, fresh.sha256, work / "remote.out"))

            result: dict = {
                "file_mib": round(SIZE / MIB, 1),
                "kubo": subprocess.run([ipfs, "version"], capture_output=True,
                                       text=True).stdout.strip(),
                "ipfs_put": {"storage_py": _speed(put_lib), "ipfs_add_cli": _speed(put_cli)},
                "ipfs_get": {"storage_py": _speed(get_lib), "ipfs_cat_cli": _speed(get_cli)},
                "ipfs_get_from_other_node": {"storage_py": _speed([cross])},
            }
            if ram_lib:
                result["ipfs_get_output_in_ram"] = {"storage_py": _speed(ram_lib),
                                                    "ipfs_cat_cli": _speed(ram_cli)}
            pairs = [("ipfs_put", put_lib, put_cli), ("ipfs_get", get_lib, get_cli)]
            if ram_lib:
                pairs.append(("ipfs_get_output_in_ram", ram_lib, ram_cli))
            for op, lib, cli in pairs:
                ratio = statistics.median(lib) / statistics.median(cli)
                result[op]["time_ratio_storage_py_over_cli"] = round(ratio, 2)
                result[op]["within_20_percent"] = ratio <= 1.2

        file_store = storage.FileStore(work / "central")
        f_put = [_timed(lambda f=files[i]: file_store.put(f)) for i in range(RUNS)]
        stored = file_store.put(files[0])
        f_get = [_timed(lambda: file_store.get(stored.uri, stored.sha256, work / "f.out"))
                 for _ in range(RUNS)]
        result["file_store"] = {"put": _speed(f_put), "get": _speed(f_get),
                                "note": "sha256 + copy + fsync + rename on the local disk"}
        result["replication"] = _replication(work)
        result["submit_to_pinned_by_2"] = _submit_to_pinned_by_2(work)
        result["notes"] = (
            "storage.py streams 1 MiB multipart chunks to /api/v0/add (cid-version=1, "
            "raw-leaves, pin) and reads /api/v0/cat as a stream, hashing sha256 on the way; "
            "get writes a temp file, fsyncs and renames only after the sha256 matched, which "
            "ipfs cat to a file does not do; ipfs_get_output_in_ram separates that disk flush "
            "from the transfer itself."
        )
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)
