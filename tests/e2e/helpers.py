"""Plumbing for the end-to-end tests: the operator CLI as subprocesses, a JSON-RPC client for
the separately started Anvil, direct reads of the contracts, and parsers for CLI output.

Nothing here imports ``offchain``: the tests look at the system from the outside (the CLI,
the chain, the files), so a bug in the library cannot hide itself in the checks.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from eth_abi import decode, encode
from eth_utils import collapse_if_tuple, function_abi_to_4byte_selector, keccak

ROOT = Path(__file__).resolve().parents[2]
NETWORK = "ethereum:prodnet:node"
READ_ONLY = {"status", "history", "match", "demands", "sync", "watch"}
ZERO_ADDRESS = "0x" + "0" * 40
# Anvil's (and Ape's test accounts') default mnemonic.
TEST_MNEMONIC = "test test test test test test test test test test test junk"

T = TypeVar("T")

TX_RE = re.compile(r"\(tx (0x[0-9a-f]{64}), gas ([\d,]+)\)")


def venv_bin(name: str) -> str:
    """An executable of the project's virtualenv (the one running the tests)."""
    candidate = Path(sys.executable).parent / name
    if candidate.exists():
        return str(candidate)
    return str(ROOT / ".venv" / "bin" / name)


def free_port() -> int:
    """A loopback TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def parallel(*tasks: Callable[[], T]) -> list[T]:
    """Run TASKS at the same time (each one actor's commands, in order), results in order.

    Only commands of different actors run together: one actor's transactions must not race
    for its nonce, and each actor has its own Ape data folder (Ape rewrites cache files there
    on every run)."""
    with ThreadPoolExecutor(max_workers=len(tasks)) as pool:
        futures = [pool.submit(task) for task in tasks]
        return [f.result() for f in futures]


def in_one_block(rpc: Rpc, *tasks: Callable[[], T], wait_s: float = 600) -> list[T]:
    """Run TASKS (each sending one transaction) with Anvil's automine off, then mine their
    transactions together in one block, as a public chain does with transactions sent at
    about the same time. Automine is back on when this returns, also on failure."""
    rpc("evm_setAutomine", False)
    try:
        with ThreadPoolExecutor(max_workers=len(tasks)) as pool:
            futures = [pool.submit(task) for task in tasks]
            deadline = time.monotonic() + wait_s
            # Synchronisation only (no assertion on time): wait for every transaction to be
            # pending, or for a task to end early (it failed before sending).
            while int(rpc("txpool_status")["pending"], 16) < len(tasks):
                if any(f.done() for f in futures) or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            rpc("evm_mine")
            rpc("evm_setAutomine", True)
            return [f.result() for f in futures]
    finally:
        rpc("evm_setAutomine", True)
        if int(rpc("txpool_status")["pending"], 16):
            rpc("evm_mine")


# -- JSON-RPC ----------------------------------------------------------------------------


class RpcError(RuntimeError):
    pass


@dataclass
class Rpc:
    url: str

    def __call__(self, method: str, *params: Any) -> Any:
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}).encode()
        request = urllib.request.Request(
            self.url, data=body, headers={"Content-Type": "application/json"}, method="POST"
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            answer = json.loads(response.read())
        if "error" in answer:
            raise RpcError(f"{method}: {answer['error']}")
        return answer["result"]

    def block_number(self) -> int:
        return int(self("eth_blockNumber"), 16)

    def nonce(self, address: str) -> int:
        return int(self("eth_getTransactionCount", address, "latest"), 16)

    def balance(self, address: str) -> int:
        return int(self("eth_getBalance", address, "latest"), 16)

    def code(self, address: str) -> bytes:
        return bytes.fromhex(self("eth_getCode", address, "latest")[2:])

    def receipt(self, tx_hash: str) -> dict[str, Any]:
        receipt = self("eth_getTransactionReceipt", tx_hash)
        if receipt is None:
            raise AssertionError(f"no receipt for {tx_hash}")
        return dict(receipt)

    def mined_receipt(self, tx_hash: str, wait_s: float = 120) -> dict[str, Any]:
        """The receipt of a transaction just sent, once it is mined. Synchronisation only:
        with automine, Anvil may answer eth_sendTransaction before it has mined the
        transaction while others, sent at the same time, are being mined."""
        deadline = time.monotonic() + wait_s
        while self("eth_getTransactionReceipt", tx_hash) is None and time.monotonic() < deadline:
            time.sleep(0.1)
        return self.receipt(tx_hash)

    def timestamp(self) -> int:
        return int(self("eth_getBlockByNumber", "latest", False)["timestamp"], 16)

    def advance_time(self, seconds: int) -> None:
        self("evm_increaseTime", seconds)
        self("evm_mine")

    def logs(self, address: str, topic0: bytes, *topics: int) -> list[dict[str, Any]]:
        wanted = ["0x" + topic0.hex(), *("0x" + t.to_bytes(32, "big").hex() for t in topics)]
        return list(self("eth_getLogs", {"address": address, "fromBlock": "0x0", "toBlock": "latest",
                                         "topics": wanted}))


def event_topic(signature: str) -> bytes:
    return keccak(text=signature)


JOB_JOINED = event_topic("JobJoined(uint256,uint256,address,uint64,uint256)")


def job_of_join(rpc: Rpc, tx_hash: str) -> tuple[int, int]:
    """(order id, job id) of the JobJoined log the chain holds in TX_HASH's receipt."""
    logs = [log for log in rpc.receipt(tx_hash)["logs"] if log["topics"][0] == "0x" + JOB_JOINED.hex()]
    log = only(logs)
    return int(log["topics"][1], 16), int(log["topics"][2], 16)


def state_snapshot(rpc: Rpc, *addresses: str) -> tuple[int, tuple[int, ...]]:
    """Block height and the nonces of ADDRESSES: equal snapshots mean no transaction was mined
    and none of them sent one."""
    return rpc.block_number(), tuple(rpc.nonce(a) for a in addresses)


# -- direct contract reads -----------------------------------------------------------------

JOB_STATUSES = [
    "none", "joined", "model submitted", "shipped", "completed", "left", "refunded",
    "disputed", "resolved", "rejected",
]
ORDER_STATUSES = ["none", "requested", "open", "closed", "cancelled"]


def _output_names(abi: dict[str, Any]) -> list[str]:
    outputs = abi["outputs"]
    if len(outputs) == 1 and outputs[0]["type"] == "tuple":
        return [c["name"] for c in outputs[0]["components"]]
    return [o["name"] for o in outputs]


@dataclass
class Contract:
    """Read-only calls to a deployed contract through plain JSON-RPC ``eth_call``."""

    rpc: Rpc
    address: str
    abi: list[dict[str, Any]]

    def _function(self, name: str) -> dict[str, Any]:
        for item in self.abi:
            if item.get("type") == "function" and item.get("name") == name:
                return item
        raise KeyError(name)

    def call(self, name: str, *args: Any) -> Any:
        fn = self._function(name)
        types_in = [collapse_if_tuple(i) for i in fn["inputs"]]
        data = function_abi_to_4byte_selector(fn) + encode(types_in, list(args))
        raw = self.rpc("eth_call", {"to": self.address, "data": "0x" + data.hex()}, "latest")
        types_out = [collapse_if_tuple(o) for o in fn["outputs"]]
        values = decode(types_out, bytes.fromhex(raw[2:]))
        if len(values) == 1 and isinstance(values[0], tuple):
            return dict(zip(_output_names(fn), values[0], strict=True))
        return values[0] if len(values) == 1 else values

    def transact(self, sender: str, name: str, *args: Any) -> dict[str, Any]:
        """Send NAME(*ARGS) from SENDER, one of Anvil's unlocked accounts, as a client of its
        own would (no prodnet CLI, none of its checks); the mined receipt."""
        fn = self._function(name)
        types_in = [collapse_if_tuple(i) for i in fn["inputs"]]
        data = function_abi_to_4byte_selector(fn) + encode(types_in, list(args))
        tx = {"from": sender, "to": self.address, "data": "0x" + data.hex()}
        tx_hash = self.rpc("eth_sendTransaction", tx)
        return self.rpc.mined_receipt(tx_hash)


def load_abi(contract: str) -> list[dict[str, Any]]:
    """The ABI of CONTRACT as compiled by Ape into the project's .build (the CLI compiled it)."""
    manifest = json.loads((ROOT / ".build" / "__local__.json").read_text())
    return list(manifest["contractTypes"][contract]["abi"])


@dataclass
class Orders:
    """The ProductionOrders contract of one deployment, read directly."""

    contract: Contract

    @property
    def address(self) -> str:
        return self.contract.address

    def order(self, order_id: int) -> dict[str, Any]:
        return dict(self.contract.call("getOrder", order_id))

    def order_status(self, order_id: int) -> str:
        return ORDER_STATUSES[int(self.order(order_id)["status"])]

    def job(self, order_id: int, job_id: int) -> dict[str, Any]:
        return dict(self.contract.call("getJob", order_id, job_id))

    def job_status(self, order_id: int, job_id: int) -> str:
        return JOB_STATUSES[int(self.job(order_id, job_id)["status"])]

    def credits(self, account: str, token: str = ZERO_ADDRESS) -> int:
        return int(self.contract.call("credits", account, token))

    def model_submissions(self, order_id: int, job_id: int) -> int:
        """How many ModelSubmitted logs the chain holds for the job (read from raw logs)."""
        topic = event_topic("ModelSubmitted(uint256,uint256,bytes32,string)")
        return len(self.contract.rpc.logs(self.address, topic, order_id, job_id))


# -- the CLI -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Actor:
    """One operator: an Ape account (keyfile alias or TEST::n) with its own Ape data folder."""

    name: str
    account: str
    address: str
    ape_dir: Path
    public_key: Path | None = None
    secret_key: Path | None = None


@dataclass
class Result:
    args: list[str]
    code: int
    stdout: str
    stderr: str

    def explain(self) -> str:
        return (
            f"$ {' '.join(self.args)}\nexit {self.code}\n--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}"
        )

    def ok(self) -> Result:
        assert self.code == 0, self.explain()
        return self

    @property
    def error(self) -> str:
        """The one-line error of a refused command (asserts it has exactly that form)."""
        assert self.code != 0, f"expected a refusal:\n{self.explain()}"
        assert "Traceback" not in self.stdout + self.stderr, self.explain()
        lines = [line for line in self.stderr.splitlines() if line.strip()]
        assert len(lines) == 1, f"expected one line on stderr:\n{self.explain()}"
        assert lines[0].startswith("error: "), self.explain()
        return lines[0].removeprefix("error: ")

    def tx(self, step: str) -> str:
        """The transaction hash printed on the output line of STEP (e.g. 'join')."""
        for line in self.stdout.splitlines():
            if line.startswith(f"{step}: ") and (m := TX_RE.search(line)):
                return m.group(1)
        raise AssertionError(f"no '{step}: ... (tx ...)' line:\n{self.explain()}")

    def number(self, pattern: str) -> int:
        m = re.search(pattern, self.stdout, re.MULTILINE)
        assert m, f"{pattern!r} not in the output:\n{self.explain()}"
        return int(m.group(1))


def fingerprint_of(generated: Result) -> str:
    """The fingerprint `ape run keys generate` printed."""
    m = re.search(r"^fingerprint ([0-9A-F]{40})$", generated.stdout, re.MULTILINE)
    assert m, generated.explain()
    return m.group(1)


@dataclass
class Cli:
    """``ape run ...`` in the project folder, as an operator types it, with a given environment."""

    env: dict[str, str]
    log: list[Result] = field(default_factory=list)

    def with_env(self, **changes: str) -> Cli:
        return Cli({**self.env, **changes}, self.log)

    def ape(self, actor: Actor, *args: str, stdin: str | None = None) -> Result:
        """``ape ARGS`` with ACTOR's Ape data folder (its accounts, its caches)."""
        cmd = [venv_bin("ape"), *args]
        proc = subprocess.run(
            cmd,
            cwd=ROOT,
            env={**self.env, "APE_DATA_FOLDER": str(actor.ape_dir)},
            capture_output=True,
            text=True,
            input=stdin,
            stdin=None if stdin is not None else subprocess.DEVNULL,
            timeout=900,
            check=False,
        )
        result = Result(["ape", *cmd[1:]], proc.returncode, proc.stdout, proc.stderr)
        self.log.append(result)
        return result

    def plain(self, actor: Actor, *args: str) -> Result:
        """``ape run ARGS`` (no network: e.g. ``keys generate``)."""
        return self.ape(actor, "run", *args)

    def start(self, actor: Actor, *args: str, log: Path) -> subprocess.Popen[bytes]:
        """``ape run ARGS --network ... --account ACTOR`` left running (a service such as
        ``store follow``), its output in LOG; the caller stops it with ``stop``."""
        cmd = [venv_bin("ape"), "run", *args, "--network", NETWORK, "--account", actor.account]
        with open(log, "ab") as out:
            return subprocess.Popen(
                cmd, cwd=ROOT, env={**self.env, "APE_DATA_FOLDER": str(actor.ape_dir)},
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    @staticmethod
    def stop(process: subprocess.Popen[bytes]) -> None:
        """Ctrl-C to a service started by ``start`` (then kill it if it lingers)."""
        if process.poll() is None:
            os.killpg(process.pid, 2)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, 9)
                process.wait(timeout=20)

    def run(self, actor: Actor, *args: str) -> Result:
        """``ape run ARGS --network ethereum:prodnet:node --account ACTOR`` (no --account for the
        commands that only read: status, history, match, demands, sync, watch)."""
        if args[:1] == ("order",) and args[1:2] and args[1] in READ_ONLY:
            return self.plain(actor, *args, "--network", NETWORK)
        return self.plain(actor, *args, "--network", NETWORK, "--account", actor.account)


# -- output tables -------------------------------------------------------------------------


def parse_table(text: str, first_header: str) -> list[dict[str, str]]:
    """Rows of the table whose header row starts with FIRST_HEADER (columns found from the
    dashes line under the header)."""
    lines = text.splitlines()
    for i, line in enumerate(lines[:-1]):
        if line.startswith(first_header) and set(lines[i + 1]) <= {"-", " "} and "-" in lines[i + 1]:
            header, rule, body = line, lines[i + 1], lines[i + 2 :]
            break
    else:
        raise AssertionError(f"no table starting with {first_header!r} in:\n{text}")
    spans = [(m.start(), m.end()) for m in re.finditer(r"-+", rule)]
    names = [header[a:b].strip() for a, b in spans]
    rows = []
    for line in body:
        if not line.strip() or set(line) <= {"-", " "}:
            break
        cells = [line[a : (b if k < len(spans) - 1 else None)].strip() for k, (a, b) in enumerate(spans)]
        rows.append(dict(zip(names, cells, strict=True)))
    return rows


def status_jobs(text: str) -> dict[tuple[int, int], dict[str, str]]:
    """(order, job) -> row of ``order status``, with the order's columns carried down."""
    jobs: dict[tuple[int, int], dict[str, str]] = {}
    current: dict[str, str] = {}
    for row in parse_table(text, "order"):
        if row["order"]:
            current = {k: row[k] for k in ("order", "status", "producer", "used/capacity mm3")}
        if row["job"] not in ("", "-"):
            jobs[(int(current["order"]), int(row["job"]))] = {**row, **current}
    return jobs


def history_events(text: str) -> list[dict[str, str]]:
    return parse_table(text, "time")


def only(items: Sequence[T]) -> T:
    assert len(items) == 1, items
    return items[0]


def env_for_subprocesses(home: Path, rpc_url: str, file_store: Path, extra: dict[str, str]) -> dict[str, str]:
    """The environment every CLI call gets: the project's tools, isolated state, the node."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PRODNET_", "APE_"))}
    env.update(
        PATH=os.pathsep.join([str(Path(venv_bin("ape")).parent), env.get("PATH", "")]),
        SOLCX_BINARY_PATH=str(ROOT / ".tools" / "solc"),
        PRODNET_HOME=str(home),
        PRODNET_RPC_URL=rpc_url,
        PRODNET_FILE_STORE=str(file_store),
        **extra,
    )
    return env
