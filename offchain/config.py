"""Every setting prodnet reads from the environment, and where it keeps local state.

One place for each ``PRODNET_*`` variable, so a reader finds every knob here:

``PRODNET_HOME``
    the folder for local state (deployment records, the submit-model outbox);
    default ``./.prodnet`` in the current working folder (the project folder when run
    through ``make`` or ``ape run``), never inside the installed package.
``PRODNET_IPFS_API``
    the Kubo RPC API multiaddr for ``ipfs://`` (default ``/ip4/127.0.0.1/tcp/5001``).
``PRODNET_IPFS_FIND_TIMEOUT``
    seconds a fetch looks for an ``ipfs://`` object on the reachable nodes before it says
    none holds it (default 30).
``PRODNET_IPFS_REPLICATION_WAIT``
    seconds submit-model on IPFS waits for a second node to hold the model (default 120).
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
``PRODNET_MAX_FEE``, ``PRODNET_PRIORITY_FEE``
    the network's default fee cap and tip per gas of every transaction (``30``: gwei, or
    ``30gwei``, ``1000wei``); a command's ``--max-fee`` / ``--priority-fee`` win.
``PRODNET_PENDING_TIMEOUT``
    seconds a command waits for its transaction to be mined before it says it is still
    pending and exits (default 120).
``PRODNET_RPC_TIMEOUT``, ``PRODNET_RPC_RETRIES``
    seconds one JSON-RPC request may take (default 30), and how often a passing fault of
    the node (HTTP 429, 5xx, a time-out) is retried with backoff (default 4).

Passphrases are never options: a command names the variable that holds one
(``--passphrase-env VAR``) and :func:`passphrase_from_env` reads it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
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


DEFAULT_IPFS_FIND_TIMEOUT = 30.0
DEFAULT_IPFS_REPLICATION_WAIT = 120.0


def _seconds(name: str, default: float) -> float:
    value = _env(name)
    if value is None:
        return default
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not seconds > 0:
        raise ConfigError(f"{name}={value!r} is not a number of seconds: set it to e.g. {default:g}")
    return seconds


def ipfs_find_timeout() -> float:
    """$PRODNET_IPFS_FIND_TIMEOUT: how long a fetch looks for an object before saying no
    reachable node holds it."""
    return _seconds("PRODNET_IPFS_FIND_TIMEOUT", DEFAULT_IPFS_FIND_TIMEOUT)


def ipfs_replication_wait() -> float:
    """$PRODNET_IPFS_REPLICATION_WAIT: how long submit-model waits for a second copy."""
    return _seconds("PRODNET_IPFS_REPLICATION_WAIT", DEFAULT_IPFS_REPLICATION_WAIT)


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


DEFAULT_PENDING_TIMEOUT = 120
DEFAULT_RPC_TIMEOUT = 30
DEFAULT_RPC_RETRIES = 4
_FEE_UNITS = {"gwei": 9, "wei": 0}


def fee_wei(text: str, what: str = "fee") -> int:
    """A fee per gas as written by an operator: '30' or '30 gwei' (gwei), '1.5gwei', '1000wei'."""
    value = text.strip().lower().replace(" ", "")
    unit = next((u for u in _FEE_UNITS if value.endswith(u)), "gwei")
    number = value.removesuffix(unit) if value.endswith(unit) else value
    try:
        amount = Decimal(number) * 10 ** _FEE_UNITS[unit]
    except InvalidOperation:
        raise ConfigError(
            f"{what} {text!r} is not an amount per gas: write e.g. 30 (gwei), 1.5gwei or 1000wei"
        ) from None
    if amount < 0 or amount != amount.to_integral_value():
        raise ConfigError(f"{what} {text!r} is not a whole, non-negative number of wei")
    return int(amount)


def _fee_env(name: str) -> int | None:
    value = _env(name)
    return None if value is None else fee_wei(value, name)


def max_fee() -> int | None:
    """$PRODNET_MAX_FEE in wei per gas: the network's default fee cap (None: none)."""
    return _fee_env("PRODNET_MAX_FEE")


def priority_fee() -> int | None:
    """$PRODNET_PRIORITY_FEE in wei per gas: the network's default tip (None: the node's suggestion)."""
    return _fee_env("PRODNET_PRIORITY_FEE")


def _count_env(name: str, default: int, what: str) -> int:
    value = _env(name)
    if value is None:
        return default
    if not value.isdigit():
        raise ConfigError(f"{name}={value!r} is not a whole number of {what}: set it to e.g. {default}")
    return int(value)


def pending_timeout() -> int:
    """$PRODNET_PENDING_TIMEOUT: seconds a command waits for its transaction to be mined."""
    return _count_env("PRODNET_PENDING_TIMEOUT", DEFAULT_PENDING_TIMEOUT, "seconds")


def rpc_timeout() -> int:
    """$PRODNET_RPC_TIMEOUT: seconds one JSON-RPC request of the sending path may take."""
    return _count_env("PRODNET_RPC_TIMEOUT", DEFAULT_RPC_TIMEOUT, "seconds")


def rpc_retries() -> int:
    """$PRODNET_RPC_RETRIES: how often a passing fault of the node is retried, with backoff."""
    return _count_env("PRODNET_RPC_RETRIES", DEFAULT_RPC_RETRIES, "retries")


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
