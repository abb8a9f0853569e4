"""Where prodnet keeps local state: deployments per chain and the submit-model outbox.

Default folder: ``<project>/.prodnet``; ``PRODNET_HOME`` overrides it (tests use temp dirs).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from offchain.tools import ROOT


def home() -> Path:
    return Path(os.environ.get("PRODNET_HOME") or ROOT / ".prodnet")


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON to PATH via a temp file in the same folder + fsync + rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as handle:
            json.dump(data, handle, indent=2, sort_keys=True)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_json(path: Path) -> Any | None:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return None
