"""The signer set of a Clique (proof-of-authority) network: who may seal blocks.

Membership has two levels on the members' network: the contract roles (``Membership``:
who may act in the market) and the signer set (whose node may seal blocks). A signer is
voted in or out by more than half of the current signers, each through its own node
(``clique_propose``); the vote is cast in the blocks they seal.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence

from offchain.chain.rpc import NodeError, Rpc
from offchain.errors import ProdnetError


class SignerError(ProdnetError):
    """The signer set cannot be read or changed as asked."""


def signers(url: str) -> list[str]:
    """The current signer set as the node at URL sees it (lower-case addresses)."""
    return [s.lower() for s in Rpc(url, timeout=10).request("clique_getSigners")]


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SignerError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.25)


def node_signer(url: str) -> str:
    """The address the node at URL seals with (its etherbase)."""
    return str(Rpc(url, timeout=10).request("eth_coinbase")).lower()


def vote(signer: str, authorize: bool, voter_urls: Sequence[str], timeout: float = 60.0) -> list[str]:
    """Have the signer nodes at VOTER_URLS vote SIGNER in (AUTHORIZE) or out, until the signer
    set changes; returns the new signer set. Clique needs more than half of the current
    signers to vote; the votes are discarded once done (a stale vote would undo a later
    change)."""
    signer = signer.lower()
    reachable: list[tuple[Rpc, str]] = []
    for url in voter_urls:
        with contextlib.suppress(NodeError):
            reachable.append((Rpc(url, timeout=10), node_signer(url)))
    if not reachable:
        raise SignerError("no signer's node answers: start them, or name them with --voter URL")
    reader = reachable[0][0]
    current = [s.lower() for s in reader.request("clique_getSigners")]
    if (signer in current) == authorize:
        return current
    voters = [r for r, sealer in reachable if sealer in current]
    if len(voters) * 2 <= len(current):
        raise SignerError(
            f"only {len(voters)} of the {len(current)} signers' nodes are reachable here; "
            f"more than half must vote: start the signers' nodes or vote on theirs"
        )
    try:
        for r in voters:
            r.request("clique_propose", signer, authorize)
        wait_for(
            lambda: (signer in [s.lower() for s in reader.request("clique_getSigners")]) == authorize,
            timeout,
            f"the signers to vote {signer} {'in' if authorize else 'out'}",
        )
    finally:
        for r in voters:
            with contextlib.suppress(NodeError):
                r.request("clique_discard", signer)
    return [s.lower() for s in reader.request("clique_getSigners")]


def block_signer(url: str, number: int) -> str:
    """The signer that sealed block NUMBER (recovered from its seal)."""
    return str(Rpc(url, timeout=10).request("clique_getSigner", hex(number))).lower()
