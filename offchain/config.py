"""Every setting prodnet reads from the environment, and where it keeps local state.

One place for each ``PRODNET_*`` variable, so a reader finds every knob here:

``PRODNET_HOME``
    the folder for local state (deployment records, the submit-model outbox);
    default ``./.prodnet`` in the current working folder (the project folder when run
    through ``make`` or ``ape run``), never inside the installed package.
``PRODNET_IPFS_API``
    the Kubo RPC API multiaddr for ``ipfs://`` (default ``/ip4/127.0.0.1/tcp/5001``).
``PRODNET_FILE_STORE``
    the central file store folder for ``file://``.
``PRODNET_IPFS_BIN``
    the Kubo ``ipfs`` binary used to start local nodes (dev tools and tests).
``PRODNET_SLICER``
    the PrusaSlicer command line used to slice parts (default ``prusa-slicer`` on PATH).
``PRODNET_DEBUG``
    set to show the traceback of an unexpected error instead of one line.
``PRODNET_RPC_URL``
    the node of the ``prodnetdev`` network (read by ``ape-config.yaml``).

Passphrases are never options: a command names the variable that holds one
(``--passphrase-env VAR``) and :func:`passphrase_from_env` reads it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from offchain.errors import ProdnetError

DEFAULT_IPFS_API = "/ip4/127.0.0.1/tcp/5001"


class ConfigError(ProdnetError):
    """A setting in the environment is missing or unusable."""


def _env(name: str) -> str | None:
    value = os.environ.get(name)
    return value if value else None


def home() -> Path:
    """The prodnet state folder: $PRODNET_HOME, else ``.prodnet`` in the working folder."""
    value = _env("PRODNET_HOME")
    return Path(value) if value else Path.cwd() / ".prodnet"


@contextmanager
def scoped_home(path: Path) -> Iterator[Path]:
    """Use PATH as the state folder inside the block, then restore the previous setting."""
    previous = os.environ.get("PRODNET_HOME")
    os.environ["PRODNET_HOME"] = str(path)
    try:
        yield path
    finally:
        if previous is None:
            os.environ.pop("PRODNET_HOME", None)
        else:
            os.environ["PRODNET_HOME"] = previous


def ipfs_api() -> str:
    """The Kubo RPC API multiaddr: $PRODNET_IPFS_API or the Kubo default."""
    return _env("PRODNET_IPFS_API") or DEFAULT_IPFS_API


def file_store() -> str | None:
    """The central file store folder from $PRODNET_FILE_STORE (None when unset)."""
    return _env("PRODNET_FILE_STORE")


def ipfs_binary_override() -> str | None:
    """$PRODNET_IPFS_BIN: the Kubo binary to use instead of the one on PATH or built by setup."""
    return _env("PRODNET_IPFS_BIN")


#: Chains where a block is final once mined: Anvil / Hardhat ids, and the members' network.
FINAL_AT_ONCE = {31337, 1337}
DEFAULT_CONFIRMATIONS = 12


def confirmations(chain_id: int) -> int:
    """Blocks the market index keeps behind the head: $PRODNET_CONFIRMATIONS, else 0 on
    local chains and 12 elsewhere."""
    value = _env("PRODNET_CONFIRMATIONS")
    if value is not None:
        if not value.isdigit():
            raise ConfigError(f"PRODNET_CONFIRMATIONS={value!r} is not a whole number of blocks: "
                              "set it to e.g. 0 or 12")
        return int(value)
    return 0 if chain_id in FINAL_AT_ONCE else DEFAULT_CONFIRMATIONS


def slicer_binary() -> str:
    """$PRODNET_SLICER: the PrusaSlicer command (default ``prusa-slicer``, found on PATH)."""
    return _env("PRODNET_SLICER") or "prusa-slicer"


def shop_home() -> Path:
    """The producer's shop floor: printers, slicing cache, each produced job's folder."""
    return home() / "shop"


def debug() -> bool:
    """$PRODNET_DEBUG: show tracebacks of unexpected errors."""
    return _env("PRODNET_DEBUG") is not None


def passphrase_from_env(var: str | None) -> str | None:
    """The passphrase held in environment variable VAR (None when no VAR is named).

    An unset or empty variable is refused: an empty passphrase is almost always a
    forgotten ``export``, and a key protected by one would be unprotected.
    """
    if var is None:
        return None
    value = os.environ.get(var)
    if not value:
        raise ConfigError(
            f"environment variable {var} (--passphrase-env) is not set or empty: "
            f"export {var}=<passphrase> first"
        )
    return value
