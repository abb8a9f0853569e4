"""offchain.chain.light: what a read of the market index needs without Ape's provider (the node's
URL as Ape's node provider takes it from ape-config.yaml, the ABIs from the compiled manifest),
and that anything it cannot resolve gives None, so the command connects through Ape instead.
The commands that use it (``order status``, ``order history`` on ethereum:prodnet:node) run in
tests/e2e/test_index_cli.py; their start-up is measured by ``make bench BENCH=cli``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from offchain.chain import evm, light

CONFIG = """
node:
  ethereum:
    prodnet:
      uri: $PRODNET_TEST_RPC_URL
    permissioned:
      uri: http://127.0.0.1:8601
    sepolia:
      uri: ws://example.invalid/ws
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "ape-config.yaml").write_text(CONFIG)
    return tmp_path


def test_a_node_networks_url_is_the_one_apes_node_provider_takes(project: Path, monkeypatch) -> None:
    monkeypatch.setenv("PRODNET_TEST_RPC_URL", "http://127.0.0.1:9999")
    assert light.node_uri("ethereum:prodnet:node", project) == "http://127.0.0.1:9999"
    assert light.node_uri("ethereum:prodnet", project) == "http://127.0.0.1:9999"
    assert light.node_uri("ethereum:permissioned:node", project) == "http://127.0.0.1:8601"


def test_what_it_cannot_resolve_is_left_to_ape(project: Path, monkeypatch) -> None:
    monkeypatch.delenv("PRODNET_TEST_RPC_URL", raising=False)
    assert light.node_uri("ethereum:prodnet:node", project) is None  # the variable is not set
    assert light.node_uri("ethereum:local:foundry", project) is None  # another provider
    assert light.node_uri("ethereum:local", project) is None  # no URL configured
    assert light.node_uri("ethereum:sepolia:node", project) is None  # not HTTP
    assert light.node_uri("prodnet", project) is None
    assert light.node_uri("ethereum:prodnet:node", project / "missing") is None
    assert light.reader(None, project) is None


def test_the_abis_come_from_the_compiled_manifest_while_it_is_current(tmp_path: Path) -> None:
    assert light.manifest_abis(tmp_path) is None  # not compiled: Ape compiles it
    build = tmp_path / ".build"
    build.mkdir()
    registry, market = [{"type": "function", "name": "machine"}], [{"type": "event", "name": "JobJoined"}]
    (tmp_path / "contracts").mkdir()
    source = tmp_path / "contracts" / "Market.sol"
    source.write_text("contract Market {}\n")
    (build / "__local__.json").write_text(json.dumps({
        "contractTypes": {"CapacityRegistry": {"abi": registry}, evm.MARKET_ABI: {"abi": market}},
        "sources": {"contracts/Market.sol": {"content": "contract Market {}\n"}},
    }))
    assert light.manifest_abis(tmp_path) == registry + market
    source.write_text("contract Market { event Changed(); }\n")  # edited since: stale
    assert light.manifest_abis(tmp_path) is None
    source.write_text("contract Market {}\n")
    (tmp_path / "contracts" / "New.sol").write_text("contract New {}\n")  # added since: stale
    assert light.manifest_abis(tmp_path) is None
    (build / "__local__.json").write_text("{")
    assert light.manifest_abis(tmp_path) is None


def test_the_projects_own_manifest_has_the_abis_a_chain_reads_with() -> None:
    """The light reader's ABIs are the ones an operator's Chain gives the index."""
    from ape import project

    from offchain.chain.abi import abi_of

    market = getattr(project, evm.MARKET_ABI)
    assert light.manifest_abis() == abi_of(project.CapacityRegistry) + abi_of(market)
