"""Reads without Ape's provider: a command that only reads the market index needs the node's
URL, the deployment recorded for the network and the contracts' ABIs, not Ape's network
machinery (resolving ``--network`` imports every provider plugin Ape has, py-evm among them:
1.5 s of the 2 s ``ape run order status 1`` took, measured with cProfile).

``reader(choice)`` gives them for a node network (``ethereum:prodnet:node``,
``ethereum:permissioned:node``, ``ethereum:sepolia:node``): its URL as Ape's node provider would
take it (the project's ``ape-config.yaml``, ``node.<ecosystem>.<network>.uri``, environment
variables expanded), the ABIs from the project's compiled manifest (``.build``), the
deployment from its record. Anything else (Ape's local networks, a network without a URL, no
compiled manifest) gives None: the command then connects through Ape, as before.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from offchain.chain import evm
from offchain.chain.deployments import Deployment, load
from offchain.chain.rpc import Rpc

#: The project's folder (ape-config.yaml, .build): the one Ape runs the scripts in.
PROJECT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class IndexReader:
    """What the market index reads a deployment with: the same three things a Chain gives it."""

    deployment: Deployment
    url: str
    abis: list[dict[str, Any]]


def node_uri(choice: str, project: Path = PROJECT) -> str | None:
    """The URL Ape's node provider connects to for CHOICE (ecosystem:network[:node]), or None."""
    parts = choice.split(":")
    if len(parts) not in (2, 3) or (len(parts) == 3 and parts[2] != "node"):
        return None
    import yaml

    try:
        config = yaml.safe_load((project / "ape-config.yaml").read_text()) or {}
    except (OSError, yaml.YAMLError):
        return None
    uri = ((config.get("node") or {}).get(parts[0]) or {}).get(parts[1], {}).get("uri")
    if not isinstance(uri, str):
        return None
    uri = os.path.expandvars(uri)
    return uri if uri.startswith(("http://", "https://")) else None


def manifest_abis(project: Path = PROJECT) -> list[dict[str, Any]] | None:
    """The registry's and the market's ABIs from the compiled manifest, or None if there is none
    or it is stale (a contract source changed, added or removed since: Ape compiles again)."""
    try:
        manifest = json.loads((project / ".build" / "__local__.json").read_text())
        types, sources = manifest["contractTypes"], manifest["sources"]
        if not _current(project, sources):
            return None
        return list(types["CapacityRegistry"]["abi"]) + list(types[evm.MARKET_ABI]["abi"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _current(project: Path, sources: dict[str, Any]) -> bool:
    """Whether the manifest's sources are the contracts folder's, file for file."""
    on_disk = {str(p.relative_to(project)) for p in (project / "contracts").rglob("*.sol")}
    if on_disk != set(sources):
        return False
    return all((project / name).read_text() == entry.get("content") for name, entry in sources.items())


def reader(choice: str | None, project: Path = PROJECT) -> IndexReader | None:
    """An IndexReader for the node network CHOICE, or None (see the module's docstring)."""
    if not choice:
        return None
    url, abis = node_uri(choice, project), manifest_abis(project)
    if url is None or abis is None:
        return None
    rpc = Rpc(url)
    network = ":".join(choice.split(":")[:2])
    deployment = load(rpc.chain_id(), network, lambda a: rpc.request("eth_getCode", a, "latest") != "0x")
    return IndexReader(deployment, url, abis)
