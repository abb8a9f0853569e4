"""Deployment records: which contracts prodnet uses on which chain.

``deploy`` writes one JSON file per chain in ``<PRODNET_HOME>/deployments``; every other
command reads it. A record whose contracts have no code on the chain (a restarted local
node) is treated as absent.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from offchain._fs import read_json, write_json_atomic
from offchain.config import home
from offchain.errors import ProdnetError


class NotDeployedError(ProdnetError):
    """prodnet has not been deployed on this chain (or the chain was reset)."""


@dataclass(frozen=True)
class Deployment:
    network: str
    chain_id: int
    registry: str
    orders: str
    membership: str | None
    deployer: str
    block: int
    confirmation_window: int
    arbitration_window: int
    max_lead_time: int

    @property
    def permissioned(self) -> bool:
        return self.membership is not None


def record_path(chain_id: int, network: str) -> Path:
    name = network.replace(":", "-").replace("/", "-")
    return home() / "deployments" / f"{name}-{chain_id}.json"


def save(deployment: Deployment) -> Path:
    path = record_path(deployment.chain_id, deployment.network)
    write_json_atomic(path, asdict(deployment))
    return path


def load(chain_id: int, network: str, has_code: callable) -> Deployment:  # type: ignore[valid-type]
    """The deployment on this chain; NotDeployedError if there is none or its code is gone."""
    path = record_path(chain_id, network)
    data = read_json(path)
    if data is None:
        raise NotDeployedError(
            f"prodnet is not deployed on {network} (chain {chain_id}): run 'ape run deploy "
            f"--network {network}' first"
        )
    try:
        deployment = Deployment(**data)
    except TypeError:
        raise NotDeployedError(
            f"{path.name} was recorded by an older prodnet whose contracts had no disputes: run "
            f"'ape run deploy --redeploy --network {network}' to deploy the current ones"
        ) from None
    addresses = [deployment.registry, deployment.orders]
    if deployment.membership:
        addresses.append(deployment.membership)
    if not all(has_code(a) for a in addresses):
        raise NotDeployedError(
            f"the contracts recorded in {path.name} have no code on {network} (chain {chain_id}; "
            "was the node restarted?): run 'ape run deploy' again"
        )
    return deployment
