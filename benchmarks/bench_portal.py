"""The portal's pages with 10,000 orders and 20,000 jobs on chain (goal: the market's first
page in <= 300 ms): the real app served by uvicorn, timed over HTTP like a browser asks."""

from __future__ import annotations

import http.client
import os
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.bench_market import JOBS, ORDERS, ROOT

REPEAT = 9
GOAL_SECONDS = 0.3
#: Triangles of the large part: a 16 MB binary STL (50 bytes a triangle).
LARGE_TRIANGLES = 320_000


def run() -> dict:
    os.chdir(ROOT)
    from offchain.devtools.anvil import AnvilNode

    work = Path(tempfile.mkdtemp(prefix="prodnet-bench-portal-"))
    # chain id 1337: the one Ape's "local" network (the portal's connection) expects
    # no history: the portal reads the latest state (Anvil would write each block's to disk)
    with AnvilNode(args=("--chain-id", "1337", "--prune-history"), log=work / "anvil.log") as node:
        return _measure(node, work)


def _get(port: int, path: str, cookie: str) -> tuple[int, float, int]:
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", path, headers={"Cookie": cookie})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, time.perf_counter() - started, len(body)


def _measure(node: Any, work: Path) -> dict:
    from ape import networks

    from offchain import config
    from offchain.chain.deployments import save
    from offchain.chain.rpc import Rpc
    from offchain.devtools.seed import Seeder, project_artifacts

    result: dict[str, Any] = {}
    with config.scoped_home(work / "state"), networks.parse_network_choice(f"ethereum:local:{node.url}"):
        rpc = Rpc(node.url)
        seeder = Seeder(rpc, *project_artifacts())
        producers, customers = seeder.accounts[1:5], seeder.accounts[5:10]
        started = time.perf_counter()
        contracts = seeder.deploy()
        machines = seeder.producers_ready(contracts, producers)
        now = int(rpc.block(rpc.head()).timestamp)
        ids = seeder.open_orders(contracts, machines, ORDERS, now)
        seeder.join_orders(contracts, ids, JOBS, customers, seeder.price_reader(contracts))
        result["seed_seconds"] = round(time.perf_counter() - started, 1)
        save(contracts.record("ethereum:local", rpc.chain_id(), seeder.accounts[0]))
        result.update(
            time_pages({
                "market_first_page": "/",
                "market_page_200": "/?page=200",
                "market_filtered": "/?material=PA12&max_price=0.001&min_space=10cm3",
                "order": "/orders/5000",
                "account": "/account",
            }, then=lambda port, cookie, portal: _large_part(port, cookie, portal, work))
        )
    result["orders_on_chain"] = ORDERS
    result["jobs_on_chain"] = JOBS
    result["goals"] = {
        "market_first_page_seconds": GOAL_SECONDS, "large_part_page_later_seconds": GOAL_SECONDS
    }
    result["goals_met"] = all(result[name] <= goal for name, goal in result["goals"].items())
    return result


def _large_part(port: int, cookie: str, portal: Any, work: Path) -> dict[str, Any]:
    """A 16 MB STL dropped on the portal: the upload (read once, its public data kept), then
    its page with its offers, first and later views."""
    from offchain.devtools import parts as testdata

    mesh = testdata.torus_with_triangles(LARGE_TRIANGLES)
    path = testdata.write_binary(work / "large.stl", mesh.triangles())
    boundary = "prodnetbench"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n{portal.keys.csrf}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="units"\r\n\r\nmm\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="stl"; filename="large.stl"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode() + path.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    conn.request("POST", "/parts", body=body, headers={
        "Cookie": cookie, "Content-Type": f"multipart/form-data; boundary={boundary}",
        "Origin": f"http://127.0.0.1:{port}",
    })
    response = conn.getresponse()
    response.read()
    conn.close()
    upload = time.perf_counter() - started
    location = response.getheader("location") or ""
    assert response.status == 303 and location.startswith("/parts/"), f"upload: HTTP {response.status}"
    status, first, _ = _get(port, location, cookie)
    assert status == 200, f"{location}: HTTP {status}"
    later = [_get(port, location, cookie)[1] for _ in range(REPEAT)]
    return {
        "large_part_bytes": path.stat().st_size,
        "large_part_upload_seconds": round(upload, 3),
        "large_part_page_first_seconds": round(first, 4),
        "large_part_page_later_seconds": round(statistics.median(later), 4),
    }


def time_pages(
    pages: dict[str, str], repeat: int = REPEAT, then: Callable[[int, str, Any], dict[str, Any]] | None = None
) -> dict[str, Any]:
    """Start the portal on the connected chain's saved deployment (``start_seconds``: accounts,
    deployment, the index's first sync), serve it with uvicorn, and time each of PAGES (name ->
    path) over HTTP: ``NAME_seconds`` (median of REPEAT) and ``NAME_bytes``; THEN(port, cookie,
    portal) adds its own figures while the portal still runs."""
    import uvicorn

    from offchain.devtools.anvil import free_port
    from offchain.orders.indexed import forget_indexes
    from offchain.portal.app import Settings, create_app
    from offchain.portal.security import COOKIE, Secrets

    result: dict[str, Any] = {}
    keys = Secrets()
    settings = Settings(port=free_port(), test_accounts=2)
    started = time.perf_counter()
    asgi, portal = create_app(settings, keys)  # includes the index's first sync
    result["start_seconds"] = round(time.perf_counter() - started, 2)
    server = uvicorn.Server(uvicorn.Config(asgi, host="127.0.0.1", port=settings.port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    cookie = f"{COOKIE}={keys.token}"
    try:
        for name, path in pages.items():
            status, _, size = _get(settings.port, path, cookie)
            assert status == 200, f"{path}: HTTP {status}"
            times = [_get(settings.port, path, cookie)[1] for _ in range(repeat)]
            result[f"{name}_seconds"] = round(statistics.median(times), 4)
            result[f"{name}_bytes"] = size
        if then is not None:
            result.update(then(settings.port, cookie, portal))
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        forget_indexes()
    return result
