"""Smoke tests of the toolchain, each against the real part."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import ipfshttpclient
import yaml

from tests.conftest import ROOT, fixture_project

SOLC_VERSION = yaml.safe_load((ROOT / "ape-config.yaml").read_text())["solidity"]["version"]
ADAPTER = ROOT / ".tools" / "solc" / f"solc-v{SOLC_VERSION}"
APE = Path(sys.executable).parent / "ape"


def _ape(args: list[str], cwd: Path, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, SOLCX_BINARY_PATH=str(ADAPTER.parent))
    env.pop("PYTEST_CURRENT_TEST", None)
    return subprocess.run(
        [str(APE), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )


def test_adapter_reports_native_version_line() -> None:
    out = subprocess.run([str(ADAPTER), "--version"], capture_output=True, text=True, check=True)
    assert re.search(rf"^Version: {re.escape(SOLC_VERSION)}\+commit\.[0-9a-f]{{8}}", out.stdout, re.M)


def test_adapter_standard_json_resolves_imports_through_base_path(tmp_path: Path) -> None:
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "L.sol").write_text(
        "pragma solidity ^0.8.0;\n"
        "library L { function one() internal pure returns (uint) { return 1; } }\n"
    )
    source = (
        'pragma solidity ^0.8.0;\nimport "lib/L.sol";\n'
        "contract C { function f() external pure returns (uint) { return L.one(); } }\n"
    )
    request = {
        "language": "Solidity",
        "sources": {"C.sol": {"content": source}},
        "settings": {"outputSelection": {"*": {"*": ["abi", "evm.bytecode.object"]}}},
    }
    out = subprocess.run(
        [str(ADAPTER), "--standard-json", "--base-path", str(tmp_path), "--allow-paths", str(tmp_path)],
        input=json.dumps(request), capture_output=True, text=True, check=True,
    )
    result = json.loads(out.stdout)
    assert not [e for e in result.get("errors", []) if e["severity"] == "error"], result
    assert result["contracts"]["C.sol"]["C"]["evm"]["bytecode"]["object"]


def test_adapter_rejects_unknown_option() -> None:
    out = subprocess.run([str(ADAPTER), "--bin", "x.sol"], capture_output=True, text=True)
    assert out.returncode != 0
    assert "unsupported option --bin" in out.stderr


def test_compile_error_surfaces_solc_message(tmp_path: Path) -> None:
    project = fixture_project("broken", tmp_path)
    result = _ape(["compile", "--force"], cwd=project)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "DeclarationError" in output
    assert "Undeclared identifier" in output


def test_probe_compiles_with_openzeppelin_and_deploys_to_anvil(tmp_path: Path, accounts, networks) -> None:
    from ape import Project

    assert networks.provider.name == "foundry"
    project = Project(fixture_project("probe", tmp_path))
    owner = accounts[0]
    probe = owner.deploy(project.Probe)
    probe.set(7, sender=owner)
    assert probe.value() == 7
    assert probe.owner() == owner.address


def test_ape_test_gas_prints_a_gas_table(tmp_path: Path) -> None:
    project = fixture_project("probe", tmp_path)
    result = _ape(["test", "--gas", "tests", "-p", "no:cacheprovider"], cwd=project)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Probe Gas" in result.stdout
    assert re.search(r"set\s+\│?\s*1\s", result.stdout) or re.search(r"\bset\b.*\b\d{4,6}\b", result.stdout)


def test_file_added_on_one_kubo_node_reads_back_from_another(kubo_pair) -> None:
    customer, producer = kubo_pair
    payload = os.urandom(3 * 1024 * 1024 + 17)
    with ipfshttpclient.connect(customer.api_multiaddr) as client:
        cid = client.add_bytes(payload)
    assert customer.peer_id in producer.peers()
    with ipfshttpclient.connect(producer.api_multiaddr) as client:
        fetched = client.cat(cid)
    assert fetched == payload
