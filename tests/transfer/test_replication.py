"""offchain.transfer.replication against real Kubo daemons: a second node pins what the
customer added, the object outlives the customer's node, pins are released, and a fetch
tells "nobody reachable holds it" from "your own daemon is down" from "wrong bytes"."""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from offchain.config import ConfigError
from offchain.devtools.kubo import KuboNode
from offchain.transfer import replication, storage
from tests.utils.keys import leftovers, random_file

pytestmark = pytest.mark.kubo

LABEL = "prodnet test job 7"


def _put(node: KuboNode, tmp_path: Path, size: int = 300_000,
         seed: int = 1) -> tuple[Path, storage.StoredObject]:
    src = random_file(tmp_path / f"model-{seed}.pgp", size, seed=seed)
    return src, storage.IpfsStore(node.api_multiaddr).put(src, pin_name=LABEL)


def test_the_producer_pins_and_the_model_outlives_the_customers_node(
    kubo_pair: tuple[KuboNode, KuboNode], tmp_path: Path
) -> None:
    customer, producer = kubo_pair
    src, obj = _put(customer, tmp_path)
    mine = replication.Replicas(storage.IpfsStore(customer.api_multiaddr))
    assert mine.holders(obj.uri).count == 1  # only the customer's own node so far

    replication.Replicas(storage.IpfsStore(producer.api_multiaddr)).pin(obj.uri, name=LABEL)
    holders = mine.wait(obj.uri, copies=2, bound=30)
    assert holders.own_pinned and holders.others == (producer.peer_id,)
    assert holders.line().startswith("pinned by 2 nodes: yours and 12D3KooW")

    customer.stop()  # the laptop closes right after submitting
    out = storage.IpfsStore(producer.api_multiaddr).get(obj.uri, obj.sha256, tmp_path / "out")
    assert out.read_bytes() == src.read_bytes()


def test_a_third_node_fetches_from_whichever_pinner_is_still_up(
    kubo_factory: Callable[[], KuboNode], tmp_path: Path
) -> None:
    customer, producer, third = kubo_factory(), kubo_factory(), kubo_factory()
    producer.connect(customer)
    third.connect(customer)
    third.connect(producer)
    src, obj = _put(customer, tmp_path, seed=2)
    replication.Replicas(storage.IpfsStore(producer.api_multiaddr)).pin(obj.uri, name=LABEL)
    producer.stop()  # a node holding a pin goes away: the customer's still serves it
    out = storage.IpfsStore(third.api_multiaddr, find_timeout=20.0).get(
        obj.uri, obj.sha256, tmp_path / "out"
    )
    assert out.read_bytes() == src.read_bytes()


def test_pins_are_labelled_listed_and_released(kubo_pair: tuple[KuboNode, KuboNode],
                                                 tmp_path: Path) -> None:
    customer, producer = kubo_pair
    _, obj = _put(customer, tmp_path, seed=3)
    _, other = _put(customer, tmp_path, seed=4)
    theirs = replication.Replicas(storage.IpfsStore(producer.api_multiaddr))
    theirs.pin(obj.uri, name=LABEL)
    assert theirs.pins("prodnet ") == [replication.Pin(obj.uri.removeprefix("ipfs://"), LABEL)]
    mine = replication.Replicas(storage.IpfsStore(customer.api_multiaddr))
    assert {p.uri for p in mine.pins("prodnet ")} == {obj.uri, other.uri}

    receipt = f"ipfs://{replication.receipt_cid(obj.uri)}"
    assert theirs.pinned(receipt)  # the pin receipt, labelled too, but not listed as a job's pin
    assert theirs.unpin(obj.uri) is True
    assert theirs.unpin(obj.uri) is False  # already released: nothing to do
    assert theirs.pins("prodnet ") == [] and not theirs.pinned(obj.uri)
    assert not theirs.pinned(receipt)
    assert mine.pinned(obj.uri)  # the customer's own pin is the customer's to release


def test_a_node_that_only_fetched_the_object_is_no_holder(
    kubo_pair: tuple[KuboNode, KuboNode], tmp_path: Path
) -> None:
    """A fetch leaves the blocks in the fetcher's store, and Kubo announces them, but only a
    completed pin adds the receipt the holders are counted by."""
    customer, producer = kubo_pair
    _, obj = _put(customer, tmp_path, seed=10)
    storage.IpfsStore(producer.api_multiaddr).get(obj.uri, obj.sha256, tmp_path / "cached")
    mine = replication.Replicas(storage.IpfsStore(customer.api_multiaddr))
    assert mine.holders(obj.uri, look=1.0).others == ()
    replication.Replicas(storage.IpfsStore(producer.api_multiaddr)).pin(obj.uri)
    assert mine.wait(obj.uri, copies=2, bound=30).others == (producer.peer_id,)


def test_the_receipt_cid_is_the_one_kubo_gives_its_bytes(kubo_factory: Callable[[], KuboNode],
                                                          tmp_path: Path) -> None:
    node = kubo_factory()
    uri = "ipfs://bafybeiawe2jyjgjxpufnaisqcfzqt3nibvw6ekypomyyg2zl4r5i7cypcm"
    receipt = tmp_path / "receipt"
    receipt.write_bytes(replication.receipt_bytes(uri))
    cli = subprocess.run(
        [str(node.binary), "add", "--cid-version=1", "--raw-leaves", "--only-hash", "-Q", str(receipt)],
        env={**os.environ, "IPFS_PATH": str(node.repo)}, capture_output=True, text=True, check=True,
    )
    assert cli.stdout.strip() == replication.receipt_cid(uri)
    other = "ipfs://bafkreicmuvgqsoycrvdf43jr7yr77mqj4zc6k64talzo36q5r3ytsdbu2q"
    assert replication.receipt_cid(other) != replication.receipt_cid(uri)


def test_waiting_for_a_second_copy_that_never_comes(kubo_pair: tuple[KuboNode, KuboNode],
                                                    tmp_path: Path) -> None:
    customer, _ = kubo_pair
    _, obj = _put(customer, tmp_path, seed=5)
    mine = replication.Replicas(storage.IpfsStore(customer.api_multiaddr))
    with pytest.raises(replication.NotReplicatedError, match="pinned by 1 node: yours after 2s, not 2"):
        mine.wait(obj.uri, copies=2, bound=2, poll=0.5)


def test_pinning_what_nobody_reachable_holds(kubo_pair: tuple[KuboNode, KuboNode],
                                             tmp_path: Path) -> None:
    customer, producer = kubo_pair
    _, obj = _put(customer, tmp_path, seed=6)
    customer.stop()
    theirs = replication.Replicas(storage.IpfsStore(producer.api_multiaddr))
    with pytest.raises(storage.ObjectUnreachableError, match="no node that holds"):
        theirs.pin(obj.uri, find_timeout=2)
    assert not theirs.pinned(obj.uri)


# -- the three fetch errors, each in its situation -----------------------------------------
def test_fetch_when_nobody_reachable_holds_the_object(kubo_pair: tuple[KuboNode, KuboNode],
                                                      tmp_path: Path) -> None:
    customer, producer = kubo_pair
    _, obj = _put(customer, tmp_path, seed=7)
    customer.stop()  # and no other node pinned it
    fetcher = storage.IpfsStore(producer.api_multiaddr, find_timeout=2)
    with pytest.raises(storage.ObjectUnreachableError) as caught:
        fetcher.get(obj.uri, obj.sha256, tmp_path / "out")
    assert str(caught.value).startswith(f"no node that holds {obj.uri} is reachable (looked for 2s)")
    assert producer.api_multiaddr not in str(caught.value)  # not blamed on the producer's daemon
    with pytest.raises(storage.ObjectUnreachableError):
        fetcher.size(obj.uri)
    worded = caught.value.about("job 3's model", "the customer's node")
    assert "no node that holds job 3's model is reachable" in str(worded)
    assert "the customer's node is offline and no other node pinned it" in str(worded)
    assert not (tmp_path / "out").exists() and leftovers(tmp_path) == []


def test_fetch_when_the_own_daemon_is_down(kubo_pair: tuple[KuboNode, KuboNode],
                                           tmp_path: Path) -> None:
    customer, producer = kubo_pair
    _, obj = _put(customer, tmp_path, seed=8)
    api = producer.api_multiaddr
    producer.stop()
    with pytest.raises(storage.StoreUnavailableError, match=f"cannot reach the Kubo .* at {api}"):
        storage.IpfsStore(api).get(obj.uri, obj.sha256, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_fetch_of_other_bytes_than_recorded(kubo_pair: tuple[KuboNode, KuboNode],
                                            tmp_path: Path) -> None:
    customer, producer = kubo_pair
    _, obj = _put(customer, tmp_path, seed=9)
    wrong = hashlib.sha256(b"the model on chain").hexdigest()
    with pytest.raises(storage.DigestMismatchError, match="not the expected"):
        storage.IpfsStore(producer.api_multiaddr).get(obj.uri, wrong, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_the_bounds_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    api = "/ip4/127.0.0.1/tcp/1"  # never dialled: the settings are read first
    monkeypatch.setenv("PRODNET_IPFS_FIND_TIMEOUT", "7")
    assert storage.IpfsStore(api).find_timeout == 7
    assert storage.IpfsStore(api, find_timeout=2).find_timeout == 2  # an argument wins
    monkeypatch.setenv("PRODNET_IPFS_FIND_TIMEOUT", "soon")
    with pytest.raises(ConfigError, match="PRODNET_IPFS_FIND_TIMEOUT='soon' is not a number of "
                                          "seconds: set it to e\\.g\\. 30"):
        storage.IpfsStore(api)
    monkeypatch.setenv("PRODNET_IPFS_REPLICATION_WAIT", "0")
    with pytest.raises(ConfigError, match="PRODNET_IPFS_REPLICATION_WAIT='0' is not a number"):
        replication.Replicas(storage.IpfsStore(api, find_timeout=1)).wait("ipfs://bafkqaaa")
