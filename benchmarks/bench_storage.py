"""Put + get of a 100 MB file through storage.py vs the ``ipfs add`` / ``ipfs cat`` CLI.

One isolated Kubo node; both sides talk to the same running daemon over its RPC API.
Every add gets fresh random content (no deduplication advantage), each measurement is
the median of a few runs. Also: the central file store, and a fetch by a second node
over loopback (the producer's node fetching from the customer's).
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
