"""The members' network as recorded on this machine: ``<PRODNET_HOME>/network/network.json``
names its geth nodes (ports, the address each seals with, its enode), each with a folder
(chain data, keys, ``geth.pid``), and tells which of them are running.

``ape run members add|remove --node URL`` reads it: when no ``--voter`` is named, the
running nodes of the local network vote (``local_voters``). Building and running the
nodes (genesis, keys, geth processes) is a dev tool: ``offchain.devtools.network``
(``ape run network``), whose ``Network`` extends this record.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Self

from offchain import config
from offchain._fs import write_json_atomic
from offchain.errors import ProdnetError

#: The members' network id (config.FINAL_AT_ONCE: the index keeps no blocks behind the head).
CHAIN_ID = 1337
DEFAULT_PERIOD = 1  # seconds between blocks


class NetworkError(ProdnetError):
    """The permissioned network cannot be built, started, reached or changed as asked."""


@dataclass
class NodeInfo:
    name: str
    rpc_port: int
    p2p_port: int
    auth_port: int
    signer: str  # the address this node seals with (a signer only once voted in, or in genesis)
    enode: str

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.rpc_port}"


@dataclass
class NetworkRecord:
    """The nodes of one network, kept in ``<folder>/network.json``."""

    folder: Path
    chain_id: int = CHAIN_ID
    period: int = DEFAULT_PERIOD
    nodes: list[NodeInfo] = field(default_factory=list)
    #: The hash of this network's block 0, as its first node answered it: what tells its nodes
    #: from another network's on the same ports ("" until a node of it has run).
    genesis: str = ""

    @staticmethod
    def default_folder() -> Path:
        return config.home() / "network"

    @property
    def record(self) -> Path:
        return self.folder / "network.json"

    def node_folder(self, node: NodeInfo) -> Path:
        return self.folder / node.name

    def save(self) -> None:
        data = {
            "chain_id": self.chain_id,
            "period": self.period,
            "genesis": self.genesis,
            "nodes": [asdict(n) for n in self.nodes],
        }
        write_json_atomic(self.record, data)

    @classmethod
    def load(cls, folder: Path | None = None) -> Self:
        folder = folder or cls.default_folder()
        record = folder / "network.json"
        if not record.is_file():
            raise NetworkError(f"no network in {folder}: run 'ape run network up' first")
        try:
            data = json.loads(record.read_text())
            nodes = [NodeInfo(**n) for n in data["nodes"]]
            genesis = str(data.get("genesis", ""))  # recorded since issue 23: older records lack it
            return cls(folder, int(data["chain_id"]), int(data["period"]), nodes, genesis)
        except (ValueError, KeyError, TypeError) as exc:
            raise NetworkError(f"{record} is damaged ({exc}): remove {folder} and run 'up' again") from None

    def node(self, name_or_url: str) -> NodeInfo:
        for n in self.nodes:
            if name_or_url in (n.name, n.url) or name_or_url.rstrip("/") == n.url:
                return n
        names = ", ".join(n.name for n in self.nodes)
        raise NetworkError(f"no node {name_or_url!r} in this network (nodes: {names})")

    def _pid(self, node: NodeInfo) -> int | None:
        try:
            pid = int((self.node_folder(node) / "geth.pid").read_text())
        except (OSError, ValueError):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            return pid
        cmdline = Path(f"/proc/{pid}/cmdline")
        if cmdline.exists() and str(self.node_folder(node)).encode() not in cmdline.read_bytes():
            return None  # the pid was reused by another process
        return pid

    def running(self, node: NodeInfo) -> bool:
        return self._pid(node) is not None


def local_voters() -> list[str]:
    """The URLs of the running nodes of the local network (who votes when none are named)."""
    try:
        net = NetworkRecord.load()
    except NetworkError:
        raise NetworkError(
            "no local network to vote with: name the signers' nodes with --voter URL"
        ) from None
    return [n.url for n in net.nodes if net.running(n)]
