"""The contracts compiled for the EVM each network runs: one Solidity source, two builds.

Public chains (and Anvil) run Cancun: the contracts Ape compiles (``ape compile``,
``evm_version: cancun``), with OpenZeppelin's reentrancy guard in transient storage. The
members' geth network runs Clique, which geth 1.13 allows up to London only: no PUSH0, no
transient storage. For it the same sources are compiled for London, with
``@prodnet/evm`` mapped to ``contracts/evm/london`` (the storage-slot guard), into
``.build/evm-london.json`` (cached by the digest of sources and settings).

``container(name)`` gives the build the connected chain needs (``target()``).
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path
from typing import Any

from offchain._fs import read_json, write_json_atomic
from offchain.errors import ProdnetError

CANCUN = "cancun"
LONDON = "london"
TARGETS = (CANCUN, LONDON)
CONTRACTS = ("CapacityRegistry", "Membership", "ProductionOrders", "ProductionOrdersExtension")
#: The market's one ABI at its one address: ProductionOrders serves some selectors and
#: delegates the others to its extension (docs/DESIGN.md, "Contracts by concern"); the
#: interface is the same in both builds.
MARKET_ABI = "IProductionOrders"


class BuildError(ProdnetError):
    """The contracts could not be compiled for a target."""


def target() -> str:
    """The EVM target of the connected chain: London on a Clique (proof-of-authority) chain,
    whose geth seals nothing newer, else the project's own (Cancun)."""
    from offchain.chain.session import adapt_provider, is_poa

    adapt_provider()
    return LONDON if is_poa() else CANCUN


def container(name: str, evm: str | None = None) -> Any:
    """The ContractContainer of contract NAME built for EVM (default: the connected chain's)."""
    from ape import project

    evm = evm or target()
    if evm == CANCUN:
        return getattr(project, name)
    if evm != LONDON:
        raise BuildError(f"unknown EVM target {evm!r}: use one of {', '.join(TARGETS)}")
    from ape.contracts import ContractContainer
    from ethpm_types import ContractType

    types = london_build(Path(project.path))
    if name not in types:
        raise BuildError(f"the London build has no contract {name!r}")
    return ContractContainer(ContractType.model_validate(types[name]))


def market(address: Any) -> Any:
    """The market at ADDRESS as clients call it: every selector of IProductionOrders."""
    from ape import project

    return getattr(project, MARKET_ABI).at(str(getattr(address, "address", address)))


def project_sources(root: Path, evm: str) -> dict[str, str]:
    """The project's Solidity sources (path -> text) as the EVM build compiles them."""
    folder = root / "contracts"
    out = {}
    for path in sorted(folder.rglob("*.sol")):
        rel = path.relative_to(root).as_posix()
        if rel.startswith("contracts/evm/") and not rel.startswith(f"contracts/evm/{evm}/"):
            continue
        out[rel] = path.read_text()
    return out


def standard_input(root: Path, evm: str = LONDON, sources: dict[str, str] | None = None) -> dict[str, Any]:
    """solc's standard JSON for the project's contracts (or SOURCES, path -> text) built for
    EVM, with the settings of ape-config.yaml (optimizer, runs) and the guard folder of that
    target."""
    from ape import project

    solidity = project.config.get_config("solidity")
    remappings = [f"{str(r).split('=')[0]}/={str(r).split('=')[1]}/" for r in _remapping_strings(solidity)]
    remappings = [r for r in remappings if not r.startswith("@prodnet/evm/")]
    remappings.append(f"@prodnet/evm/=contracts/evm/{evm}/")
    sources = project_sources(root, evm) if sources is None else sources
    return {
        "language": "Solidity",
        "sources": {name: {"content": text} for name, text in sources.items()},
        "settings": {
            "evmVersion": evm,
            "optimizer": {"enabled": bool(solidity.optimize), "runs": int(solidity.optimization_runs)},
            "viaIR": bool(getattr(solidity, "via_ir", False)),
            "remappings": sorted(remappings),
            "outputSelection": {"*": {"*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"]}},
        },
    }


def _remapping_strings(solidity: Any) -> list[str]:
    out = []
    for item in solidity.import_remapping or []:
        text = str(item) if isinstance(item, str) else f"{item.key}={item.value}"
        out.append(text)
    return out


def london_build(root: Path) -> dict[str, dict[str, Any]]:
    """Contract types (as JSON) of the London build, compiled once per change of sources."""
    return build(root, LONDON, "evm-london")


def build(
    root: Path, evm: str, cache_name: str, sources: dict[str, str] | None = None,
    contracts: tuple[str, ...] = CONTRACTS,
) -> dict[str, dict[str, Any]]:
    """Contract types (as JSON) of CONTRACTS compiled from the project's sources (or SOURCES)
    for EVM, cached in .build/CACHE_NAME.json by the digest of sources and settings."""
    from ape import project
    from solcx.install import get_executable

    data = standard_input(root, evm, sources)
    version = str(project.config.get_config("solidity").version)
    digest = hashlib.sha256(json.dumps([version, data], sort_keys=True).encode()).hexdigest()
    cache = root / ".build" / f"{cache_name}.json"
    cached = read_json(cache)
    if isinstance(cached, dict) and cached.get("digest") == digest:
        return dict(cached["contracts"])
    solc = str(get_executable(version))
    proc = subprocess.run(
        [solc, "--standard-json", "--base-path", str(root)],
        input=json.dumps(data), capture_output=True, text=True, check=False, cwd=root,
    )
    try:
        output = json.loads(proc.stdout)
    except ValueError:
        raise BuildError(f"solc gave no JSON for the {evm} build: {proc.stderr.strip()[:300]}") from None
    errors = [e for e in output.get("errors", []) if e.get("severity") == "error"]
    if errors:
        raise BuildError(f"the {evm} build failed: {errors[0].get('formattedMessage', errors[0])}")
    types = {}
    for source, compiled_contracts in output.get("contracts", {}).items():
        for name, compiled in compiled_contracts.items():
            code = compiled["evm"]["bytecode"]["object"]
            if name not in contracts or not code:
                continue
            types[name] = {
                "contractName": name,
                "sourceId": source,
                "abi": compiled["abi"],
                "deploymentBytecode": {"bytecode": "0x" + code},
                "runtimeBytecode": {"bytecode": "0x" + compiled["evm"]["deployedBytecode"]["object"]},
            }
    missing = [c for c in contracts if c not in types]
    if missing:
        raise BuildError(f"the {evm} build lacks {', '.join(missing)}")
    write_json_atomic(cache, {"digest": digest, "contracts": types})
    return types


#: Opcodes a London EVM does not have: PUSH0 (Shanghai), TLOAD, TSTORE, MCOPY (Cancun).
NEWER_THAN_LONDON = {0x5F: "PUSH0", 0x5C: "TLOAD", 0x5D: "TSTORE", 0x5E: "MCOPY"}


def opcodes(code: bytes) -> set[int]:
    """The opcodes of CODE, skipping PUSH data (the metadata tail may read as anything)."""
    found: set[int] = set()
    i = 0
    while i < len(code):
        op = code[i]
        found.add(op)
        i += 1 + (op - 0x5F if 0x60 <= op <= 0x7F else 0)
    return found
