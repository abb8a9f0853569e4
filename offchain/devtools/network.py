"""The permissioned network: geth nodes sealing in Clique proof-of-authority, one per company.

Each node has its own folder under ``<home>/network/nodeN`` (chain data, node key, the
signer's keystore and its password file), its own RPC, P2P and auth ports on loopback, no
discovery and every other node as a static peer. The genesis (``genesis.json``) names the
first signers in Clique's ``extraData`` and funds the members; it starts at London with a
base fee of 0, so a transaction with a zero tip pays nothing (blocks stay far below half
their gas limit, so the base fee never rises). ``network.json`` records the nodes; the
chain data stays on disk, so ``down`` then ``up`` continues the same chain.

geth v1.13.15 is the last geth that seals Clique; it refuses Shanghai and Cancun, so the
contracts deployed here are compiled for London (see ``docs/DESIGN.md``).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from offchain._fs import atomic_output, write_json_atomic
from offchain.chain.network import CHAIN_ID, DEFAULT_PERIOD, NetworkError, NetworkRecord, NodeInfo
from offchain.chain.rpc import NodeError, Rpc
from offchain.chain.signers import signers as signer_set
from offchain.devtools.binaries import geth_binary

DEFAULT_NODES = 3
GAS_LIMIT = 60_000_000  # the base fee rises only above half of it
EPOCH = 30_000
FUNDING = 10**24  # wei per funded account (1,000,000 ether)
VANITY = 32  # Clique extraData: 32 vanity bytes, the signers, a 65-byte seal
SEAL = 65
BASE_PORTS = {"rpc": 8600, "p2p": 30400, "auth": 8700}  # node i gets BASE + i (up)
HTTP_APIS = "eth,net,web3,clique,admin,txpool"


def write_text_atomic(path: Path, text: str, mode: int = 0o600) -> None:
    """TEXT to PATH all or nothing (owner-only by default: node keys, passwords)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_output(path, mode=mode) as out:
        out.write(text.encode())


# -- pure parts: genesis, extraData, enodes ------------------------------------------------
def _address_bytes(address: str) -> bytes:
    text = address[2:] if address.lower().startswith("0x") else address
    if len(text) != 40:
        raise NetworkError(f"{address!r} is not a 20-byte address (0x and 40 hex digits)")
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise NetworkError(f"{address!r} is not a 20-byte address (0x and 40 hex digits)") from None


def clique_extra_data(signers: Sequence[str]) -> str:
    """Clique's genesis extraData: 32 zero bytes, the signers sorted by address, 65 zero bytes."""
    if not signers:
        raise NetworkError("a Clique network needs at least one signer")
    raw = sorted({_address_bytes(s) for s in signers})
    if len(raw) != len(signers):
        raise NetworkError("the signers must be distinct addresses")
    return "0x" + (bytes(VANITY) + b"".join(raw) + bytes(SEAL)).hex()


def signers_of_extra_data(extra: str) -> list[str]:
    """The signer addresses written in a genesis extraData (0x-prefixed, lower case)."""
    raw = bytes.fromhex(extra[2:] if extra.startswith("0x") else extra)
    body = raw[VANITY : len(raw) - SEAL]
    if len(raw) < VANITY + SEAL or len(body) % 20:
        raise NetworkError("extraData is not 32 vanity bytes, signers of 20 bytes and a 65-byte seal")
    return ["0x" + body[i : i + 20].hex() for i in range(0, len(body), 20)]


def genesis(
    chain_id: int,
    signers: Sequence[str],
    funded: Iterable[str],
    period: int = DEFAULT_PERIOD,
    balance: int = FUNDING,
) -> dict:
    """A Clique genesis at London from block 0, base fee 0, FUNDED (and the signers) funded."""
    if period < 1:
        raise NetworkError("the block period must be at least 1 second (0 seals only on demand)")
    forks = ("homestead", "eip150", "eip155", "eip158", "byzantium", "constantinople", "petersburg",
             "istanbul", "berlin", "london")  # fmt: skip
    alloc = {}
    for address in (*signers, *funded):
        alloc["0x" + _address_bytes(address).hex()] = {"balance": hex(balance)}
    return {
        "config": {
            "chainId": chain_id,
            **{f"{fork}Block": 0 for fork in forks},
            "clique": {"period": period, "epoch": EPOCH},
        },
        "nonce": "0x0",
        "timestamp": "0x0",
        "difficulty": "0x1",
        "gasLimit": hex(GAS_LIMIT),
        "baseFeePerGas": "0x0",
        "extraData": clique_extra_data(signers),
        "alloc": alloc,
    }


def enode_of(node_key: str, port: int) -> str:
    """The enode URL of the node whose secp256k1 key is NODE_KEY (hex), on loopback PORT."""
    from eth_keys import keys

    public = keys.PrivateKey(bytes.fromhex(node_key)).public_key.to_hex()[2:]
    return f"enode://{public}@127.0.0.1:{port}"


def static_nodes_toml(enodes: Sequence[str]) -> str:
    """geth's --config file naming the static peers (nothing else is set there)."""
    listed = ", ".join(json.dumps(e) for e in enodes)
    return f"[Node.P2P]\nStaticNodes = [{listed}]\nTrustedNodes = [{listed}]\n"


# -- the network: its record (offchain.chain.network), its nodes created and run -------------
@dataclass
class NodeStatus:
    name: str
    url: str
    running: bool
    head: int | None = None
    peers: int | None = None
    signer: str = ""
    sealing: bool = False  # its signer is in the signer set
    note: str = ""  # what else answers on its ports (another process, another network)


class Network(NetworkRecord):
    """The nodes of one network, kept in ``<folder>/network.json``: created, started, stopped."""

    # -- creating -----------------------------------------------------------------
    @classmethod
    def create(
        cls,
        folder: Path | None = None,
        count: int = DEFAULT_NODES,
        funded: Sequence[str] = (),
        chain_id: int = CHAIN_ID,
        period: int = DEFAULT_PERIOD,
        ports: Callable[[int], dict[str, int]] | None = None,
    ) -> Network:
        """Keys, genesis and initialised chain data for COUNT signer nodes (nothing started)."""
        folder = folder or cls.default_folder()
        if (folder / "network.json").exists():
            raise NetworkError(f"a network already exists in {folder}: use it, or remove the folder")
        if count < 1:
            raise NetworkError("a network needs at least one node (three keep going when one stops)")
        net = cls(folder, chain_id, period)
        for i in range(1, count + 1):
            net.nodes.append(net._new_node(i, ports))
        write_json_atomic(
            folder / "genesis.json", genesis(chain_id, [n.signer for n in net.nodes], funded, period)
        )
        for node in net.nodes:
            net._init(node)
        net.save()
        return net

    def _new_node(self, index: int, ports: Callable[[int], dict[str, int]] | None) -> NodeInfo:
        from eth_account import Account

        name = f"node{index}"
        chosen = ports(index) if ports else {k: base + index for k, base in BASE_PORTS.items()}
        folder = self.folder / name
        (folder / "geth").mkdir(parents=True, exist_ok=True)
        (folder / "keystore").mkdir(exist_ok=True)
        node_key = os.urandom(32).hex()
        write_text_atomic(folder / "geth" / "nodekey", node_key)
        account = Account.create()
        password = os.urandom(16).hex()
        write_text_atomic(folder / "password", password)
        # A development network's signer key, protected by the password file next to it.
        keystore = Account.encrypt(account.key, password, kdf="pbkdf2", iterations=1 << 12)
        write_json_atomic(folder / "keystore" / f"signer-{account.address.lower()}.json", keystore)
        enode = enode_of(node_key, chosen["p2p"])
        return NodeInfo(name, chosen["rpc"], chosen["p2p"], chosen["auth"], account.address, enode)

    def _init(self, node: NodeInfo) -> None:
        folder = self.node_folder(node)
        if (folder / "geth" / "chaindata").exists():
            return
        _run_geth(["--datadir", str(folder), "init", str(self.folder / "genesis.json")], folder / "geth.log")

    def add_node(self, ports: Callable[[int], dict[str, int]] | None = None) -> NodeInfo:
        """A new company's node: keys, the same genesis, every node as its static peer (and it
        theirs). It syncs the chain but seals only once the signers vote its signer in."""
        node = self._new_node(len(self.nodes) + 1, ports)
        self._init(node)
        self.nodes.append(node)
        self.save()
        for other in self.nodes:
            self._write_peers(other)
            if other is not node and self.running(other):
                with contextlib.suppress(NodeError):
                    Rpc(other.url, timeout=5).request("admin_addPeer", node.enode)
        return node

    # -- processes ----------------------------------------------------------------
    def _write_peers(self, node: NodeInfo) -> Path:
        path = self.node_folder(node) / "peers.toml"
        write_text_atomic(path, static_nodes_toml([n.enode for n in self.nodes if n is not node]))
        return path

    def command(self, node: NodeInfo) -> list[str]:
        folder = self.node_folder(node)
        return [
            str(geth_binary()),
            "--datadir", str(folder),
            "--config", str(self._write_peers(node)),
            "--networkid", str(self.chain_id),
            "--syncmode", "full",
            "--port", str(node.p2p_port),
            "--nodiscover", "--nat", "none", "--netrestrict", "127.0.0.0/8", "--maxpeers", "50",
            "--ipcdisable",
            "--http", "--http.addr", "127.0.0.1", "--http.port", str(node.rpc_port),
            "--http.api", HTTP_APIS,
            "--authrpc.addr", "127.0.0.1", "--authrpc.port", str(node.auth_port),
            "--cache", "128",
            "--mine", "--miner.etherbase", node.signer, "--miner.gaslimit", str(GAS_LIMIT),
            "--unlock", node.signer, "--password", str(folder / "password"), "--allow-insecure-unlock",
            "--verbosity", "3",
        ]  # fmt: skip

    def start(self, node: NodeInfo, timeout: float = 60.0) -> None:
        """Start NODE's geth (detached, its own process group) and wait until its RPC answers."""
        if self.running(node):
            return
        self.check_ports([node])
        folder = self.node_folder(node)
        with open(folder / "geth.log", "ab") as log:
            process = subprocess.Popen(
                self.command(node), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        write_text_atomic(folder / "geth.pid", str(process.pid))
        rpc = Rpc(node.url, timeout=2)
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise NetworkError(
                    f"geth of {node.name} exited with {process.returncode}: see {folder / 'geth.log'}"
                )
            try:
                if int(rpc.request("eth_chainId"), 16) == self.chain_id:
                    self._same_genesis(node, rpc)
                    return
            except NodeError:
                pass
            if time.monotonic() > deadline:
                self.stop(node)
                raise NetworkError(f"geth of {node.name} did not answer within {timeout:.0f} s: see "
                                   f"{folder / 'geth.log'}")
            time.sleep(0.1)

    def stop(self, node: NodeInfo, timeout: float = 30.0) -> None:
        """Stop NODE's geth (SIGTERM: it writes its state to disk; SIGKILL after TIMEOUT)."""
        pid = self._pid(node)
        if pid is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while self._alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if self._alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
        (self.node_folder(node) / "geth.pid").unlink(missing_ok=True)

    @staticmethod
    def _alive(pid: int) -> bool:
        with contextlib.suppress(ChildProcessError):
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done == pid:
                return False
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        stat = Path(f"/proc/{pid}/stat")
        return not (stat.exists() and stat.read_text().split(") ")[-1].startswith("Z"))

    def _same_genesis(self, node: NodeInfo, rpc: Rpc) -> None:
        """Record the network's genesis hash from its first node to answer; refuse (and stop) a
        node that answers with another one."""
        block = rpc.block(0)
        found = block.hash if block is not None else ""
        if not self.genesis:
            self.genesis = found
            self.save()
        elif found != self.genesis:
            self.stop(node)
            raise NetworkError(
                f"{node.name} at {node.url} answered with genesis {_short(found)}, not this network's "
                f"{_short(self.genesis)}: another network is on its port; stop it, or remove {self.folder}"
            )

    def check_ports(self, nodes: Iterable[NodeInfo]) -> None:
        """Refuse, in one sentence, a port of NODES (not running) that another process holds."""
        for node in nodes:
            if self.running(node):
                continue
            for kind, port in (("RPC", node.rpc_port), ("P2P", node.p2p_port), ("auth RPC", node.auth_port)):
                holder = port_holder(port)
                if holder is not None:
                    raise NetworkError(
                        f"port {port} ({node.name}'s {kind}) is held by {holder}: stop that process (another "
                        f"network: 'ape run network down' with its PRODNET_HOME), then run 'up' again"
                    )

    def up(self) -> None:
        """Start every node, after checking that no other process holds one of their ports."""
        self.check_ports(self.nodes)
        for node in self.nodes:
            self.start(node)

    def down(self) -> None:
        for node in self.nodes:
            self.stop(node)

    # -- reads --------------------------------------------------------------------
    def rpc(self, node: NodeInfo) -> Rpc:
        return Rpc(node.url, timeout=10)

    def signers(self, node: NodeInfo | None = None) -> list[str]:
        """The current signer set (clique_getSigners) as seen by NODE (default: the first up)."""
        return signer_set((node or self.any_running()).url)

    def any_running(self) -> NodeInfo:
        for node in self.nodes:
            if self.running(node):
                return node
        raise NetworkError("no node of the network is running: run 'ape run network up'")

    def _genesis_at(self, node: NodeInfo) -> str:
        """The genesis hash of whatever answers at NODE's RPC port ("" if nothing does)."""
        try:
            block = Rpc(node.url, timeout=2).block(0)
        except NodeError:
            return ""
        return block.hash if block is not None else ""

    def _other_on_port(self, node: NodeInfo) -> str:
        """For a stopped NODE: what holds its RPC port instead ("" if it is free)."""
        holder = port_holder(node.rpc_port)
        if holder is None:
            return ""
        genesis = self._genesis_at(node)
        if genesis and genesis != self.genesis:
            return f"port {node.rpc_port} answers for another network (genesis {_short(genesis)}): {holder}"
        return f"port {node.rpc_port} held by {holder}"

    def status(self) -> list[NodeStatus]:
        out = []
        signers: set[str] | None = None
        for node in self.nodes:
            row = NodeStatus(node.name, node.url, self.running(node), signer=node.signer)
            if row.running:
                try:
                    rpc = self.rpc(node)
                    genesis = self._genesis_at(node)
                    if self.genesis and genesis not in ("", self.genesis):
                        row.running = False
                        row.note = f"its port answers for another network (genesis {_short(genesis)})"
                    else:
                        row.head = rpc.head()
                        row.peers = int(rpc.request("net_peerCount"), 16)
                        if signers is None:
                            signers = set(self.signers(node))
                except NodeError:
                    row.running = False
            else:
                row.note = self._other_on_port(node)
            out.append(row)
        for row in out:
            row.sealing = signers is not None and row.signer.lower() in signers
        return out


def status_lines(net: Network) -> list[str]:
    rows = net.status()
    genesis = f"genesis {_short(net.genesis)}" if net.genesis else "genesis not seen yet"
    lines = [
        f"network in {net.folder}: chain id {net.chain_id}, {genesis}, {len(rows)} nodes, "
        f"block period {net.period} s"
    ]
    for row in rows:
        state = (
            f"head {row.head}, {row.peers} peers" if row.running and row.head is not None else "stopped"
        )
        if row.note:
            state += f" ({row.note})"
        role = "signer" if row.sealing else "not a signer"
        lines.append(f"  {row.name} {row.url}: {state}; seals as {row.signer} ({role})")
    try:
        lines.append("signers: " + ", ".join(net.signers()))
    except (NetworkError, NodeError):
        lines.append("signers: unknown (no node running)")
    return lines


def _short(genesis: str) -> str:
    return genesis[:10] + "…" if genesis else "(none)"


def port_holder(port: int) -> str | None:
    """Who holds loopback TCP PORT: ``pid N (command line)`` when /proc tells, else ``another
    process``; None when the port is free."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            pass
        else:
            return None
    pid = _listener_pid(port)
    if pid is None:
        return "another process"
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        command = "?"
    command = " ".join(command.split())
    return f"pid {pid} ({command[:200]}{'…' if len(command) > 200 else ''})"


def _listener_pid(port: int) -> int | None:
    """The process listening on TCP PORT, from /proc/net/tcp{,6} and the processes' sockets."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if len(fields) > 9 and fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                    inodes.add(f"socket:[{fields[9]}]")
    if not inodes:
        return None
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            for fd in (proc / "fd").iterdir():
                with contextlib.suppress(OSError):
                    if os.readlink(fd) in inodes:
                        return int(proc.name)
    return None


def summary_line(net: Network) -> str:
    """``network: 3 nodes, 3 signers, chain id N`` (what the permissioned demo prints first)."""
    return f"network: {len(net.nodes)} nodes, {len(net.signers())} signers, chain id {net.chain_id}"


def _run_geth(args: list[str], log: Path) -> None:
    proc = subprocess.run([str(geth_binary()), *args], capture_output=True, text=True, check=False)
    with open(log, "a") as out:
        out.write(proc.stdout + proc.stderr)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        raise NetworkError(f"geth {args[-2] if len(args) > 1 else ''} failed: {tail[0]} (see {log})")


def free_ports(index: int) -> dict[str, int]:
    """Kernel-chosen free loopback ports (tests: never the fixed ones of ``up``)."""
    del index
    found = {}
    for kind in ("rpc", "p2p", "auth"):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            found[kind] = int(s.getsockname()[1])
    return found
