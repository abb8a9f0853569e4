"""Copies of an ``ipfs://`` object on more than one Kubo node: pin, see who holds it, release.

The customer's node pins what it adds; a second node (the producer's, whose follower pins
each model submitted to its orders) makes the object survive the customer going offline.
Everything goes through the RPC API of a node the caller already configured (its
``IpfsStore``); nothing here starts a node.

    replicas = Replicas(store)                       # store: an IpfsStore
    replicas.pin(uri, name="prodnet ...")            # fetch over the network, pin, label
    holders = replicas.wait(uri, copies=2)           # until another node announces it, bounded
    holders.line()                                   # "pinned by 2 nodes: yours and 12D3KooW..."
    replicas.unpin(uri)                              # release
    replicas.pins("prodnet ")                        # what is pinned, by label

Who else holds an object: a node announces every block it stores through routing, also
while a pin is still fetching (measured: the producer's node announced a 100 MB model 0.02 s
into a 1.4 s pin), so the announcements of the object itself prove nothing. Instead, once a
pin has completed, ``pin`` adds and pins a *pin receipt*: a tiny block whose bytes derive
from the object's CID alone (``receipt_bytes``), so every node that pinned the object
announces the same receipt CID, which anyone can compute (``receipt_cid``) and look up
(``routing/findprovs``). A node that merely cached the object never has the receipt. The
labels are Kubo pin names (``ipfs pin ls --names``), so what is pinned for which job lives
on the node itself, not in a file beside it.
"""

from __future__ import annotations

import base64
import hashlib
import io
import time
from dataclasses import dataclass

from offchain import config
from offchain.transfer.storage import IpfsStore, StorageError

#: How often the wait asks the network again.
POLL = 0.5


#: The label of a pin receipt: the object's own label and this suffix.
RECEIPT_SUFFIX = " (pin receipt)"


class NotReplicatedError(StorageError):
    """No node other than this one announced the object within the bound."""


def receipt_bytes(uri: str) -> bytes:
    """The bytes of the pin receipt of URI: the same on every node that pinned it."""
    return f"prodnet pin receipt {IpfsStore.cid_of(uri)}\n".encode()


def receipt_cid(uri: str) -> str:
    """The CID Kubo gives the pin receipt of URI when it adds it as IpfsStore.put adds files
    (CIDv1, raw leaves: one block this small is a raw block, codec 0x55, sha2-256), in base32."""
    digest = hashlib.sha256(receipt_bytes(uri)).digest()
    binary = bytes([0x01, 0x55, 0x12, 0x20]) + digest  # version 1, raw, sha2-256, 32 bytes
    return "b" + base64.b32encode(binary).decode().lower().rstrip("=")


@dataclass(frozen=True)
class Pin:
    """A recursive pin on a node: the CID and its label (empty when unnamed)."""

    cid: str
    name: str

    @property
    def uri(self) -> str:
        return f"ipfs://{self.cid}"


@dataclass(frozen=True)
class Holders:
    """The nodes that hold URI: this node (when it pins it) and the others that announce it."""

    uri: str
    own_peer: str
    own_pinned: bool
    others: tuple[str, ...]

    @property
    def count(self) -> int:
        return int(self.own_pinned) + len(self.others)

    def line(self, other_label: str = "") -> str:
        """'pinned by 2 nodes: yours and 12D3KooW... (OTHER_LABEL)'."""
        names = ["yours"] if self.own_pinned else []
        for peer in self.others:
            names.append(f"{peer[:16]}…" + (f" ({other_label})" if other_label else ""))
        listed = ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else "".join(names)
        plural = "node" if self.count == 1 else "nodes"
        return f"pinned by {self.count} {plural}: {listed}" if names else "pinned by no node"


class Replicas:
    """Pins and holders of ipfs:// objects, seen from one Kubo node (STORE's)."""

    def __init__(self, store: IpfsStore) -> None:
        self.store = store

    def _request(self, path: str, *args: str, **opts: str) -> list[dict]:
        with self.store.connect() as client:
            answer = client._client.request(  # type: ignore[attr-defined]
                path, args, decoder="json", opts=opts
            )
        return list(answer or [])

    def peer_id(self) -> str:
        """This node's peer id."""
        with self.store.connect() as client:
            return str(client.id()["ID"])  # type: ignore[attr-defined]

    def pin(self, uri: str, name: str = "", find_timeout: float | None = None) -> None:
        """Fetch URI from the reachable nodes and pin it here, labelled NAME. ObjectUnreachableError
        if no reachable node has its first block within FIND_TIMEOUT (the store's by default);
        once found, the transfer itself is bounded only by the store's read timeout."""
        cid = IpfsStore.cid_of(uri)
        store = self.store
        if find_timeout is not None:
            store = IpfsStore(store.api, timeout=store.timeout, find_timeout=find_timeout)
        opts = {"progress": "true"}
        if name:
            opts["name"] = name
        with store.connect() as client:
            store.find(uri, client)
            for _ in client._client.request(  # type: ignore[attr-defined]
                "/pin/add", (cid,), decoder="json", stream=True, opts=opts
            ):
                pass  # progress lines keep the answer flowing while the blocks arrive
            # only now, with every block here and pinned: the receipt others look for
            receipt = io.BytesIO(receipt_bytes(uri))
            receipt.name = "receipt"  # type: ignore[attr-defined]  # the multipart file name
            added = client.add(  # type: ignore[attr-defined]
                receipt, cid_version=1, raw_leaves=True, pin=True,
                opts={"pin-name": (name or cid) + RECEIPT_SUFFIX},
            )
        if added["Hash"] != receipt_cid(uri):
            raise StorageError(
                f"the Kubo daemon at {store.api} stored the pin receipt of {uri} as {added['Hash']}, "
                f"not {receipt_cid(uri)}: its add settings differ from Kubo's defaults"
            )

    def pinned(self, uri: str) -> bool:
        """Whether this node pins URI (recursively)."""
        cid = IpfsStore.cid_of(uri)
        try:
            answer = self._request("/pin/ls", cid, type="recursive")
        except StorageError as exc:
            if "not pinned" in str(exc):
                return False
            raise
        return any(cid in (item.get("Keys") or {}) for item in answer)

    def unpin(self, uri: str) -> bool:
        """Release this node's pin of URI (and its pin receipt); False if it had none."""
        receipt = f"ipfs://{receipt_cid(uri)}"
        if self.pinned(receipt):
            self._request("/pin/rm", receipt_cid(uri))
        if not self.pinned(uri):
            return False
        self._request("/pin/rm", IpfsStore.cid_of(uri))
        return True

    def pins(self, prefix: str = "") -> list[Pin]:
        """This node's recursive pins whose label starts with PREFIX (all when empty)."""
        opts = {"type": "recursive", "names": "true"}
        if prefix:
            opts["name"] = prefix
        found: list[Pin] = []
        for item in self._request("/pin/ls", **opts):
            for cid, info in (item.get("Keys") or {}).items():
                name = str(info.get("Name") or "")
                if name.startswith(prefix) and not name.endswith(RECEIPT_SUFFIX):
                    found.append(Pin(cid, name))
        return sorted(found, key=lambda p: (p.name, p.cid))

    def holders(self, uri: str, look: float = POLL) -> Holders:
        """Who holds URI: this node if it pins it, and the other nodes that announce its pin
        receipt (asked for LOOK seconds)."""
        own = self.peer_id()
        others: set[str] = set()
        answer = self._request(
            "/routing/findprovs", receipt_cid(uri), **{"num-providers": "20", "timeout": f"{look:g}s"}
        )
        for event in answer:
            if event.get("Type") == 4:  # a provider record
                others.update(str(r["ID"]) for r in event.get("Responses") or [] if r.get("ID"))
        others.discard(own)
        return Holders(uri, own, self.pinned(uri), tuple(sorted(others)))

    def wait(
        self, uri: str, copies: int = 2, bound: float | None = None, poll: float = POLL
    ) -> Holders:
        """Until COPIES nodes hold URI (this one included if it pins it); NotReplicatedError
        after BOUND seconds ($PRODNET_IPFS_REPLICATION_WAIT by default), naming how many do."""
        bound = config.ipfs_replication_wait() if bound is None else bound
        deadline = time.monotonic() + bound
        while True:
            holders = self.holders(uri, look=poll)
            if holders.count >= copies:
                return holders
            if time.monotonic() >= deadline:
                raise NotReplicatedError(
                    f"{uri} is {holders.line()} after {bound:.0f}s, not {copies}: keep your Kubo "
                    "node online until another node pins it, then wait again"
                )
            time.sleep(poll)
