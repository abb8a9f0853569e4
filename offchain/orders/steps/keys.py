"""The participants' OpenPGP keys on chain: reading one (checked against its registered
fingerprint) and publishing the account's own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from offchain.chain.client import Chain, Step
from offchain.orders.indexed import market_index
from offchain.orders.steps.base import KeyLookupError, _send
from offchain.transfer import keys


def published_key(c: Chain, account: str) -> Any:
    """ACCOUNT's current OpenPGP public key: the armored key of its latest KeyPublished event
    (the index points at it), checked against the fingerprint that event registered."""
    found = market_index(c).published_key(account)
    if found is None:
        raise KeyLookupError(
            f"{account} has not published an OpenPGP key: it must run "
            "'ape run order register-key PUB.asc' first"
        )
    stored, armored = found
    key = keys.import_key(armored, source=f"the key {account} published")
    if keys.fingerprint_bytes32(key) != stored:
        raise KeyLookupError(
            f"the key {account} published does not match its registered fingerprint "
            f"0x{stored.hex()[:40]}: refusing to use it"
        )
    return key


def register_key(c: Chain, public_key_path: Path) -> Step:
    """Publish the account's OpenPGP public key (fingerprint stored, armored key in the log)."""
    key = keys.read_key(public_key_path)
    public = keys.public_armor(key)
    fp32 = keys.fingerprint_bytes32(key)
    current = market_index(c).key_of(c.address)
    if current is not None and bytes.fromhex(current[0][2:]) == fp32:
        return Step(
            "register-key", c.actor, f"key {keys.fingerprint(key)} is already published", already_done=True
        )
    return _send(
        c,
        "register-key",
        c.registry.publishKey,
        fp32,
        public.encode(),
        summary=f"published key {keys.fingerprint(key)}",
    )
