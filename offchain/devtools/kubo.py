"""Isolated Kubo (IPFS) nodes for tests, benchmarks and the demo.

A node gets its own repo folder, API, gateway and swarm on loopback with ports
chosen by the kernel, no bootstrap peers, no mDNS, no AutoConf/AutoTLS (nothing
leaves the machine). ``KuboNode`` is a context manager: the daemon is stopped and
its repo removed on exit, also when the body raised.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType

from offchain.devtools.binaries import ipfs_binary
from offchain.errors import ProdnetError


class KuboError(ProdnetError):
    """A Kubo node could not be started, reached or stopped."""


def _multiaddr_to_http(addr: str) -> str:
    parts = addr.strip().split("/")
    # /ip4/127.0.0.1/tcp/PORT[/http]
    if len(parts) < 5 or parts[1] not in ("ip4", "ip6", "dns", "dns4") or parts[3] != "tcp":
        raise KuboError(f"unexpected Kubo API address {addr!r}")
    host = f"[{parts[2]}]" if parts[1] == "ip6" else parts[2]
    return f"http://{host}:{parts[4]}"


class KuboNode:
    """One Kubo daemon on loopback with a private repo."""

    def __init__(
        self,
        repo: Path | None = None,
        *,
        binary: Path | None = None,
        start_timeout: float = 60.0,
        keep_repo: bool = False,
    ) -> None:
        self.binary = binary or ipfs_binary()
        self._own_repo = repo is None
        self.repo = Path(repo) if repo else Path(tempfile.mkdtemp(prefix="prodnet-kubo-"))
        self.keep_repo = keep_repo or not self._own_repo
        self.start_timeout = start_timeout
        self.process: subprocess.Popen[bytes] | None = None
        self._log = None
        self.api_multiaddr: str | None = None
        self.api_url: str | None = None
        self.peer_id: str | None = None

    # -- lifecycle -----------------------------------------------------------------
    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["IPFS_PATH"] = str(self.repo)
        env.pop("IPFS_API", None)
        return env

    def _run(self, *args: str) -> str:
        proc = subprocess.run(
            [str(self.binary), *args],
            env=self._env(),
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            raise KuboError(f"ipfs {' '.join(args)} failed: {proc.stderr.strip() or proc.stdout}")
        return proc.stdout

    def init(self) -> None:
        """Create the repo (once) with the `test` profile plus a few more quiet settings."""
        if (self.repo / "config").exists():
            return
        self.repo.mkdir(parents=True, exist_ok=True)
        self._run("init", "--profile=test", "--empty-repo")
        config_path = self.repo / "config"
        config = json.loads(config_path.read_text())
        swarm = config.setdefault("Swarm", {})
        swarm.setdefault("RelayClient", {})["Enabled"] = False
        swarm.setdefault("RelayService", {})["Enabled"] = False
        swarm.setdefault("Transports", {}).setdefault("Network", {}).update(
            {"QUIC": False, "WebTransport": False, "WebRTCDirect": False, "Websocket": False}
        )
        config.setdefault("AutoNAT", {})["ServiceMode"] = "disabled"
        config.setdefault("Routing", {})["Type"] = "dht"
        tmp = config_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(config, indent=2))
        tmp.replace(config_path)

    def start(self) -> KuboNode:
        """Start the daemon and wait until its RPC API answers."""
        if self.process is not None:
            return self
        self.init()
        api_file = self.repo / "api"
        api_file.unlink(missing_ok=True)
        self._log = open(self.repo / "daemon.log", "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [str(self.binary), "daemon", "--enable-gc=false", "--migrate=false"],
            env=self._env(),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                log = (self.repo / "daemon.log").read_text(errors="replace")[-2000:]
                self.stop()
                raise KuboError(f"the Kubo daemon exited during start-up:\n{log}")
            if api_file.exists():
                addr = api_file.read_text().strip()
                if addr:
                    url = _multiaddr_to_http(addr)
                    try:
                        ident = self._post(url, "id")
                    except (urllib.error.URLError, ConnectionError, TimeoutError):
                        ident = None
                    if ident:
                        self.api_multiaddr = addr
                        self.api_url = url
                        self.peer_id = ident["ID"]
                        return self
            time.sleep(0.05)
        self.stop()
        raise KuboError(f"the Kubo daemon did not answer within {self.start_timeout:.0f}s")

    def stop(self) -> None:
        """Stop the daemon (SIGINT, then SIGKILL) and remove its repo if we made it."""
        proc, self.process = self.process, None
        if proc is not None and proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGINT)
                proc.wait(timeout=15)
            except (subprocess.TimeoutExpired, ProcessLookupError):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        if self._log is not None:
            self._log.close()
            self._log = None
        self.api_url = None
        if not self.keep_repo:
            shutil.rmtree(self.repo, ignore_errors=True)

    def __enter__(self) -> KuboNode:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- RPC helpers -------------------------------------------------------------
    @staticmethod
    def _post(url: str, command: str, **params: str) -> dict:
        query = "&".join(f"{k}={urllib.request.quote(v, safe='')}" for k, v in params.items())
        request = urllib.request.Request(
            f"{url}/api/v0/{command}" + (f"?{query}" if query else ""), method="POST"
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read() or b"{}")

    def rpc(self, command: str, **params: str) -> dict:
        """Call one RPC command on this node and return its JSON answer."""
        if not self.api_url:
            raise KuboError("the Kubo node is not running")
        return self._post(self.api_url, command, **params)

    def swarm_addresses(self) -> list[str]:
        """Loopback TCP multiaddrs other nodes can dial, with /p2p/<peer id>."""
        ident = self.rpc("id")
        return [a for a in ident.get("Addresses") or [] if "/127.0.0.1/tcp/" in a]

    def connect(self, other: KuboNode) -> None:
        """Dial ``other`` over loopback (``ipfs swarm connect``)."""
        addrs = other.swarm_addresses()
        if not addrs:
            raise KuboError("the other Kubo node has no loopback swarm address")
        self.rpc("swarm/connect", arg=addrs[0])

    def peers(self) -> list[str]:
        """Peer ids this node is connected to."""
        return [p["Peer"] for p in self.rpc("swarm/peers").get("Peers") or []]
