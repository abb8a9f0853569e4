"""A local Anvil node of its own (loopback, a free port, its own process group), for tests
and benchmarks that must stop, restart or replace the node under a running client."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

from offchain.chain.rpc import NodeError, Rpc
from offchain.devtools.binaries import anvil_binary
from offchain.errors import ProdnetError


class AnvilError(ProdnetError):
    """Anvil could not be started."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class AnvilNode:
    """``anvil --port P``; ``with AnvilNode() as node: node.url``. ``restart()`` keeps the port."""

    def __init__(
        self, port: int | None = None, *, args: tuple[str, ...] = (), log: Path | None = None
    ) -> None:
        self.port = port or free_port()
        self.args = args
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log or Path(tempfile.mkstemp(prefix="prodnet-anvil-", suffix=".log")[1])
        self.process: subprocess.Popen[bytes] | None = None
        self._answered = 0.0  # wall-clock time the last start answered (its genesis is no later)

    def start(self, timeout: float = 60.0) -> AnvilNode:
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child owns it until it exits
        self.process = subprocess.Popen(
            [str(anvil_binary()), "--host", "127.0.0.1", "--port", str(self.port), *self.args],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        rpc = Rpc(self.url, timeout=2)
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise AnvilError(f"anvil exited with {self.process.returncode}: see {self.log_path}")
            try:
                rpc.chain_id()
                self._answered = time.time()
                return self
            except NodeError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise AnvilError(
                        f"anvil did not answer within {timeout:.0f} s: see {self.log_path}"
                    ) from None
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=15)
        self.process = None

    def restart(self) -> AnvilNode:
        """A fresh chain at the same URL (same chain id, another genesis block)."""
        self.stop()
        # Anvil stamps its genesis block with the wall-clock second: a chain started in the
        # same second as the last one would have the very same genesis hash.
        time.sleep(max(0.0, int(self._answered) + 1 - time.time()))
        return self.start()

    def __enter__(self) -> AnvilNode:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
        if exc is None:
            self.log_path.unlink(missing_ok=True)
