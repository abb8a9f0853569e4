"""Where the project-local tools live (built by ``make setup`` into ``.tools/``)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from offchain import config
from offchain.errors import ProdnetError


def _built(tool: str, binary: str) -> list[Path]:
    """Binaries that ``make setup`` built into ``.tools/`` of the project this runs in: the
    working folder or one of its parents (never the installed package's folder)."""
    for folder in (Path.cwd(), *Path.cwd().parents):
        found = sorted((folder / ".tools" / tool).glob(f"v*/{binary}"))
        if found:
            return found
    return []


def ipfs_binary() -> Path:
    """The Kubo ``ipfs`` binary: $PRODNET_IPFS_BIN, then PATH, then .tools/kubo/*/ipfs."""
    env = config.ipfs_binary_override()
    if env:
        path = Path(env)
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise ProdnetError(f"PRODNET_IPFS_BIN={env} is not an executable file")
        return path
    found = shutil.which("ipfs")
    if found:
        return Path(found)
    built = _built("kubo", "ipfs")
    if built:
        return built[-1]
    raise ProdnetError("Kubo (ipfs) is not built: run 'make setup' to build it into .tools/kubo")


def anvil_binary() -> Path:
    """Anvil: on PATH (``make setup`` puts a wrapper of it into .venv/bin), else the npm package's."""
    found = shutil.which("anvil")
    if found:
        return Path(found)
    for folder in (Path.cwd(), *Path.cwd().parents):
        built = sorted((folder / "node_modules" / "@foundry-rs").glob("anvil-*/bin/anvil"))
        if built:
            return built[-1]
    raise ProdnetError("anvil is not installed: run 'make setup' (it installs @foundry-rs/anvil from npm)")


def geth_binary() -> Path:
    """geth v1.13 (the last that seals Clique): .tools/geth/*/geth, then PATH."""
    built = _built("geth", "geth")
    if built:
        return built[-1]
    found = shutil.which("geth")
    if found:
        return Path(found)
    raise ProdnetError(
        "geth is not built: run 'tools/setup.sh geth' (or 'make network') to build it into .tools/geth"
    )


def octoprint_binary() -> Path:
    """OctoPrint in its own venv, ``.tools/octoprint-venv/bin/octoprint`` (``make setup``)."""
    for folder in (Path.cwd(), *Path.cwd().parents):
        candidate = folder / ".tools" / "octoprint-venv" / "bin" / "octoprint"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    raise ProdnetError(
        "OctoPrint is not installed: run 'make setup' (or tools/setup.sh octoprint) to install it "
        "into .tools/octoprint-venv"
    )
