"""Start-up of the operator's commands: each ``ape run`` command's wall time (a fresh process,
as an operator runs it) against its library call (in this process, warm) and against
``ape --help``, Ape's own start, all in one run.

Commands: ``model inspect`` of a small STL and ``keys generate`` (chain-free), ``order --help``,
and ``order status 1`` on a synced index (Anvil of our own with a small market seeded in bulk,
``--network ethereum:prodnet:node``). Each one ``REPEAT`` times; the median is the figure.
Reports ``table`` (one row per command: wall median and min, library median, wall minus
``ape --help``), ``goals`` and ``goals_met``.

    BENCH_CLI_BEFORE=DIR make bench BENCH=cli    also time the commands of another checkout
                                                 of prodnet (e.g. the commit before a change),
                                                 in turn with this one's: ``before_wall_seconds``
"""

from __future__ import annotations

import itertools
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.__main__ import ROOT

REPEAT = int(os.environ.get("BENCH_CLI_REPEAT", "10"))
PART = Path("tests/fixtures/stl/cube_binary_solid_header.stl")
ORDERS, JOBS = 20, 20
#: Wall time goals (seconds): a chain-free command, a read on a synced index, and the margin
#: over ``ape --help`` that both should stay within.
GOALS = {"chain_free_seconds": 1.0, "indexed_read_seconds": 1.5, "over_ape_help_seconds": 0.5}


def _median(func: Callable[[int], Any], repeat: int = REPEAT) -> tuple[float, float]:
    times = []
    for i in range(repeat):
        started = time.perf_counter()
        func(i)
        times.append(time.perf_counter() - started)
    return round(statistics.median(times), 4), round(min(times), 4)


def run() -> dict:
    os.chdir(ROOT)
    from offchain.devtools.anvil import AnvilNode

    work = Path(tempfile.mkdtemp(prefix="prodnet-bench-cli-"))
    with AnvilNode(log=work / "anvil.log") as node:
        return _measure(node.url, work)


def _measure(url: str, work: Path) -> dict:
    from ape import networks

    from offchain import config
    from offchain.chain.deployments import save
    from offchain.chain.rpc import Rpc
    from offchain.chain.session import open_chain
    from offchain.devtools.seed import Seeder, project_artifacts
    from offchain.orders import report
    from offchain.parts import stl
    from offchain.transfer import keys

    ape = str(Path(sys.executable).with_name("ape"))
    #: this checkout, and with BENCH_CLI_BEFORE another one (e.g. the commit before a change),
    #: timed in turn (one run each, REPEAT times) so both see the same load on the machine
    projects = {"": ROOT}
    if os.environ.get("BENCH_CLI_BEFORE"):
        projects["before_"] = Path(os.environ["BENCH_CLI_BEFORE"]).resolve()

    def env_of(prefix: str) -> dict[str, str]:
        return {
            **os.environ,
            "PYTHONPATH": str(projects[prefix]),
            "PRODNET_HOME": str(work / f"state-{prefix or 'this'}"),  # each its own index (schema)
            "PRODNET_RPC_URL": url,
            "APE_DATA_FOLDER": os.environ.get("APE_DATA_FOLDER", str(ROOT / ".prodnet" / "ape")),
        }

    def cli(*args: str) -> Callable[[int, str], None]:
        def call(i: int, prefix: str) -> None:
            argv = [a.format(i=i, work=work, prefix=prefix) for a in args]
            done = subprocess.run(
                [ape, *argv], cwd=projects[prefix], env=env_of(prefix), capture_output=True, text=True
            )
            if done.returncode != 0:
                raise RuntimeError(f"ape {' '.join(argv)} failed: {done.stderr.strip()[-400:]}")

        return call

    # a small market on our own Anvil, recorded as an operator's deploy would record it
    rpc = Rpc(url)
    seeder = Seeder(rpc, *project_artifacts())
    producers, customers = seeder.accounts[1:3], seeder.accounts[3:6]
    contracts = seeder.deploy()
    machines = seeder.producers_ready(contracts, producers)
    ids = seeder.open_orders(contracts, machines, ORDERS, int(rpc.block(rpc.head()).timestamp))
    seeder.join_orders(contracts, ids, JOBS, customers, seeder.price_reader(contracts))
    record = contracts.record("ethereum:prodnet", rpc.chain_id(), seeder.accounts[0])
    network = ["--network", "ethereum:prodnet:node"]
    for prefix in projects:
        with config.scoped_home(Path(env_of(prefix)["PRODNET_HOME"])):
            save(record)
        cli("run", "order", "status", "1", *network)(0, prefix)  # the first read syncs the index

    rows: list[dict[str, Any]] = []

    def measure(name: str, command: Callable[[int, str], None], library: Callable[[int], Any] | None) -> None:
        times: dict[str, list[float]] = {prefix: [] for prefix in projects}
        for i in range(REPEAT):
            for prefix in projects:
                started = time.perf_counter()
                command(i, prefix)
                times[prefix].append(time.perf_counter() - started)
        row: dict[str, Any] = {"command": name}
        for prefix, spent in times.items():
            row[f"{prefix}wall_seconds"] = round(statistics.median(spent), 4)
            row[f"{prefix}wall_min_seconds"] = round(min(spent), 4)
        if library is not None:
            library(0)  # warm: imports and caches, as the command's own process would have them
            row["library_seconds"] = _median(library)[0]
        rows.append(row)
        print(f"[bench] cli: {name}: {row['wall_seconds']} s", flush=True)

    measure("ape --help", cli("--help"), None)
    measure(f"ape run model inspect {PART.name}", cli("run", "model", "inspect", str(ROOT / PART)),
            lambda i: stl.inspect(ROOT / PART))
    made = itertools.count()

    def generate(_: int) -> None:
        folder = work / f"lib{next(made)}"
        keys.write_key_files(keys.generate_key("lib", "lib@bench.example"), folder, "lib")

    measure("ape run keys generate", cli("run", "keys", "generate", "--name", "k", "--email",
                                         "k@bench.example", "--out", "{work}/cli{i}{prefix}"), generate)
    measure("ape run order --help", cli("run", "order", "--help"), None)
    with config.scoped_home(Path(env_of("")["PRODNET_HOME"])), networks.parse_network_choice(
        f"ethereum:prodnet:{url}"
    ):
        c = open_chain(None)
        measure("ape run order status 1", cli("run", "order", "status", "1", *network),
                lambda i: report.status(c, 1))

    ape_help = rows[0]["wall_seconds"]
    for row in rows[1:]:
        row["over_ape_help_seconds"] = round(row["wall_seconds"] - ape_help, 3)
    wall = {row["command"]: row["wall_seconds"] for row in rows}
    chain_free = max(wall[f"ape run model inspect {PART.name}"], wall["ape run keys generate"])
    indexed_read = wall["ape run order status 1"]
    result: dict[str, Any] = {
        "before": _commit(projects["before_"]) if "before_" in projects else None,
        "repeat": REPEAT,
        "table": rows,
        "chain_free_seconds": chain_free,
        "indexed_read_seconds": indexed_read,
        "goals": GOALS,
        "goals_met": chain_free <= GOALS["chain_free_seconds"]
        and indexed_read <= GOALS["indexed_read_seconds"],
        "within_goal_of_ape_help": max(chain_free, indexed_read) - ape_help <= GOALS["over_ape_help_seconds"],
    }
    print(table_text(rows), flush=True)
    return result


def _commit(project: Path) -> str:
    """The short commit of the checkout at PROJECT (what "before" was)."""
    done = subprocess.run(["git", "-C", str(project), "rev-parse", "--short", "HEAD"], capture_output=True,
                          text=True, check=False)
    return done.stdout.strip() or "unknown"


def table_text(rows: list[dict[str, Any]]) -> str:
    """The figures as a text table (the same rows as ``table`` in the report)."""
    before = any("before_wall_seconds" in row for row in rows)
    lines = [f"{'command':<52} {'before':>7} {'wall':>7} {'min':>7} {'library':>8} {'- ape --help':>12}"]
    for row in rows:
        library = f"{row['library_seconds']:.3f}" if "library_seconds" in row else "-"
        over = f"{row['over_ape_help_seconds']:+.3f}" if "over_ape_help_seconds" in row else "-"
        then = f"{row['before_wall_seconds']:.3f}" if before else "-"
        lines.append(
            f"{row['command']:<52} {then:>7} {row['wall_seconds']:>7.3f} {row['wall_min_seconds']:>7.3f} "
            f"{library:>8} {over:>12}"
        )
    return "\n".join(lines)
