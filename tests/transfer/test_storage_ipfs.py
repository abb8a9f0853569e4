"""offchain.transfer.storage's ipfs:// store against real Kubo daemons (ipfshttpclient 0.8.0a2).

Every client call storage.py makes (connect/version, add, cat, files.stat) runs here
against a real daemon: the customer adds on its node, the producer fetches through its
own node over loopback.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import urllib.error
from collections.abc import Callable
from pathlib import Path

import pytest

from offchain.devtools.kubo import KuboNode
from offchain.transfer import storage
from tests.utils.keys import leftovers, random_file

pytestmark = pytest.mark.kubo


def _has_block_offline(node: KuboNode, cid: str) -> bool:
    try:
        node.rpc("block/stat", arg=cid, offline="true")
    except urllib.error.HTTPError:
        return False
    return True


def test_customer_adds_producer_fetches(kubo_pair: tuple[KuboNode, KuboNode],
                                        tmp_path: Path) -> None:
    customer, producer = kubo_pair
    assert customer.peer_id in producer.peers()
    src = random_file(tmp_path / "model.pgp", 3 * storage.CHUNK + 7)
    obj = storage.open_store("ipfs", ipfs_api=customer.api_multiaddr).put(src)
    cid = obj.uri.removeprefix("ipfs://")
    assert obj.sha256 == hashlib.sha256(src.read_bytes()).hexdigest()
    assert obj.size == src.stat().st_size
    assert not _has_block_offline(producer, cid)  # only the customer's node has it

    fetcher = storage.store_for_uri(obj.uri, ipfs_api=producer.api_multiaddr)
    assert fetcher.size(obj.uri) == obj.size  # files.stat over the network
    out = fetcher.get(obj.uri, obj.sha256, tmp_path / "fetched.pgp")
    assert out.read_bytes() == src.read_bytes()
    assert _has_block_offline(producer, cid)
    assert leftovers(tmp_path) == []


def test_put_pins_a_cidv1_like_the_ipfs_cli(kubo_factory: Callable[[], KuboNode], tmp_path: Path) -> None:
    node = kubo_factory()
    src = random_file(tmp_path / "model.pgp", 2 * storage.CHUNK + 99, seed=5)
    obj = storage.IpfsStore(node.api_multiaddr).put(src)
    cid = obj.uri.removeprefix("ipfs://")
    assert cid.startswith("bafy")  # CIDv1, base32, dag-pb root
    cli = subprocess.run(
        [str(node.binary), "add", "--cid-version=1", "--only-hash", "-Q", str(src)],
        env={**os.environ, "IPFS_PATH": str(node.repo)}, capture_output=True, text=True,
        check=True,
    )
    assert cli.stdout.strip() == cid
    pins = node.rpc("pin/ls", arg=cid, type="recursive")
    assert pins["Keys"][cid]["Type"] == "recursive"


def test_environment_names_the_daemon(kubo_factory: Callable[[], KuboNode], tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    node = kubo_factory()
    monkeypatch.setenv("PRODNET_IPFS_API", node.api_multiaddr)
    store = storage.open_store("ipfs")
    assert isinstance(store, storage.IpfsStore) and store.api == node.api_multiaddr
    src = random_file(tmp_path / "m", 1000)
    obj = store.put(src)
    assert storage.fetch(obj.uri, obj.sha256, tmp_path / "out").read_bytes() == src.read_bytes()


def test_sha256_mismatch_writes_nothing(kubo_factory: Callable[[], KuboNode], tmp_path: Path) -> None:
    node = kubo_factory()
    store = storage.IpfsStore(node.api_multiaddr)
    obj = store.put(random_file(tmp_path / "m", 5000))
    wrong = hashlib.sha256(b"another model").hexdigest()
    with pytest.raises(storage.DigestMismatchError, match=f"not the expected {wrong}"):
        store.get(obj.uri, wrong, tmp_path / "out")
    assert not (tmp_path / "out").exists() and leftovers(tmp_path) == []


def test_kubo_not_running_names_the_address(dead_api: str, tmp_path: Path) -> None:
    store = storage.IpfsStore(dead_api)
    src = random_file(tmp_path / "m", 10)
    for call in (lambda: store.put(src),
                 lambda: store.get("ipfs://bafkqaaa", "0" * 64, tmp_path / "out"),
                 lambda: store.size("ipfs://bafkqaaa")):
        with pytest.raises(storage.StoreUnavailableError, match=f"daemon at {dead_api}"):
            call()
    assert not (tmp_path / "out").exists()


def test_a_bad_api_address(tmp_path: Path) -> None:
    with pytest.raises(storage.StorageError, match="not a Kubo API multiaddr"):
        storage.IpfsStore("localhost:5001").put(random_file(tmp_path / "m", 10))


@pytest.mark.parametrize("uri", ["ipfs://", "ipfs://bafy/../../etc", "ipfs:///bafybeigdyrzt"])
def test_malformed_ipfs_uris(uri: str, tmp_path: Path) -> None:
    with pytest.raises(storage.StorageError, match="not an ipfs://CID URI"):
        storage.fetch(uri, "0" * 64, tmp_path / "out")


def test_kubo_refuses_an_invalid_cid(kubo_factory: Callable[[], KuboNode], tmp_path: Path) -> None:
    node = kubo_factory()
    with pytest.raises(storage.StorageError, match="refused"):
        storage.IpfsStore(node.api_multiaddr).get("ipfs://notacidatall", "0" * 64,
                                                  tmp_path / "out")
    assert not (tmp_path / "out").exists()
