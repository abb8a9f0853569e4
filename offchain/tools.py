"""Where the project-local tools live (built by ``make setup``)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from offchain.errors import ProdnetError

ROOT = Path(__file__).resolve().parent.parent
TOOLS = ROOT / ".tools"


def ipfs_binary() -> Path:
    """The Kubo ``ipfs`` binary: $PRODNET_IPFS_BIN, then PATH, then .tools/kubo/*/ipfs."""
    env = os.environ.get("PRODNET_IPFS_BIN")
    if env:
        path = Path(env)
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise ProdnetError(f"PRODNET_IPFS_BIN={env} is not an executable file")
        return path
    found = shutil.which("ipfs")
    if found:
        return Path(found)
    built = sorted((TOOLS / "kubo").glob("v*/ipfs"))
    if built:
        return built[-1]
    raise ProdnetError("Kubo (ipfs) is not built: run 'make setup' to build it into .tools/kubo")
