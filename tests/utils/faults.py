"""A real chain's faults on a real Anvil: its own controls (automine, interval mining, dropping a
transaction, the next block's base fee) and a loopback JSON-RPC proxy that answers HTTP 429,
502 or times out before it forwards (the provider faults a public RPC shows)."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests

from offchain.chain.rpc import Rpc

GWEI = 10**9


@dataclass
class Anvil:
    """The controls Anvil offers over its pool and its blocks."""

    rpc: Rpc

    def automine(self, on: bool) -> None:
        self.rpc.request("evm_setAutomine", on)

    def interval_mining(self, seconds: int) -> None:
        """Mine a block every SECONDS (0: stop), with automine off."""
        self.rpc.request("evm_setIntervalMining", seconds)

    def mine(self) -> None:
        self.rpc.request("evm_mine")

    def drop(self, tx_hash: str) -> None:
        self.rpc.request("anvil_dropTransaction", tx_hash)

    def next_base_fee(self, wei: int) -> None:
        self.rpc.request("anvil_setNextBlockBaseFeePerGas", hex(wei))

    def pool(self, address: str) -> list[str]:
        """Hashes of ADDRESS's transactions in the pool (pending and queued)."""
        content = self.rpc.request("txpool_content")
        hashes = []
        for part in ("pending", "queued"):
            for sender, by_nonce in content.get(part, {}).items():
                if sender.lower() == address.lower():
                    hashes += [tx["hash"] for tx in by_nonce.values()]
        return hashes

    def nonce(self, address: str) -> int:
        return int(self.rpc.request("eth_getTransactionCount", address, "latest"), 16)

    def wait_for_pool(self, address: str, condition: Callable[[list[str]], bool], what: str,
                      alive: Callable[[], bool] = lambda: True, timeout: float = 120) -> list[str]:
        """Synchronisation only (no assertion on time): wait until ADDRESS's pool satisfies
        CONDITION, or the sender ALIVE says it stopped (then its own outcome tells why)."""
        deadline = time.monotonic() + timeout
        while True:
            hashes = self.pool(address)
            if condition(hashes) or not alive():
                return hashes
            if time.monotonic() > deadline:
                raise AssertionError(f"the pool of {address} never showed {what}: {hashes}")
            time.sleep(0.05)


@dataclass
class FaultyProxy:
    """A loopback JSON-RPC proxy to UPSTREAM. FAULTS maps a method to the faults its next calls
    meet, in order: '429' and '502' answer that status without forwarding, 'timeout'
    forwards the call (the node acts on it) and then holds the answer for HOLD seconds, past
    the client's time-out; 'always502' answers 502 to every call of the method. FORWARDED
    counts the calls of each method that reached the node."""

    upstream: str
    faults: dict[str, list[str]]
    hold: float = 3.0
    forwarded: Counter[str] = field(default_factory=Counter)
    met: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.session = requests.Session()
        self.lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status, answer = proxy.answer(body)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except OSError:
                    pass  # the client gave up (a time-out)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def _fault(self, method: str) -> str | None:
        with self.lock:
            queue = self.faults.get(method)
            if not queue:
                return None
            fault = queue[0] if queue[0] == "always502" else queue.pop(0)
            self.met.append((method, fault))
            return fault

    def answer(self, body: bytes) -> tuple[int, bytes]:
        call = json.loads(body)
        method = call.get("method", "") if isinstance(call, dict) else ""
        fault = self._fault(method)
        if fault == "429":
            return 429, b'{"error": "too many requests"}'
        if fault in ("502", "always502"):
            return 502, b"<html>502 Bad Gateway</html>"
        response = self.session.post(self.upstream, data=body, headers={"Content-Type": "application/json"})
        with self.lock:
            self.forwarded[method] += 1
        if fault == "timeout":
            time.sleep(self.hold)
        return response.status_code, response.content

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
