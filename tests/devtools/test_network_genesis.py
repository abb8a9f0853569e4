"""The pure parts of the members' network: Clique's extraData, the genesis, enodes, peers; and
who holds a port (``up`` refuses a port another process holds)."""

from __future__ import annotations

import json
import os
import socket

import pytest
from eth_account import Account
from hypothesis import given
from hypothesis import strategies as st

from offchain.devtools.network import (
    GAS_LIMIT,
    NetworkError,
    clique_extra_data,
    enode_of,
    genesis,
    port_holder,
    signers_of_extra_data,
    static_nodes_toml,
)

addresses = st.binary(min_size=20, max_size=20).map(lambda b: "0x" + b.hex())


@given(st.lists(addresses, min_size=1, max_size=8, unique=True))
def test_extra_data_names_the_signers_sorted_between_vanity_and_seal(signers: list[str]) -> None:
    extra = clique_extra_data(signers)
    raw = bytes.fromhex(extra[2:])
    assert len(raw) == 32 + 20 * len(signers) + 65
    assert raw[:32] == bytes(32) and raw[-65:] == bytes(65)
    assert signers_of_extra_data(extra) == sorted(s.lower() for s in signers)


def test_extra_data_refuses_no_signer_duplicates_and_bad_addresses() -> None:
    with pytest.raises(NetworkError, match="at least one signer"):
        clique_extra_data([])
    with pytest.raises(NetworkError, match="distinct"):
        clique_extra_data(["0x" + "11" * 20, "0x" + "11" * 20])
    with pytest.raises(NetworkError, match="20-byte address"):
        clique_extra_data(["0x1234"])


def test_genesis_runs_london_with_a_zero_base_fee_and_funds_signers_and_members() -> None:
    signers = ["0x" + "aa" * 20, "0x" + "bb" * 20]
    member = Account.create().address
    g = genesis(1337, signers, [member], period=2, balance=5)
    cfg = g["config"]
    assert cfg["chainId"] == 1337 and cfg["londonBlock"] == 0 and cfg["berlinBlock"] == 0
    assert not any(key.startswith(("shanghai", "cancun")) for key in cfg), "geth 1.13 Clique: London at most"
    assert cfg["clique"]["period"] == 2
    assert int(g["baseFeePerGas"], 16) == 0 and int(g["gasLimit"], 16) == GAS_LIMIT
    assert signers_of_extra_data(g["extraData"]) == signers
    assert set(g["alloc"]) == {*signers, member.lower()}
    assert all(int(a["balance"], 16) == 5 for a in g["alloc"].values())
    json.dumps(g)  # what geth init reads


def test_a_period_of_zero_is_refused() -> None:
    with pytest.raises(NetworkError, match="at least 1 second"):
        genesis(1337, ["0x" + "aa" * 20], [], period=0)


def test_enode_is_the_public_key_of_the_node_key_on_loopback() -> None:
    from eth_keys import keys

    key = "01" * 32
    enode = enode_of(key, 30401)
    public = keys.PrivateKey(bytes.fromhex(key)).public_key.to_hex()[2:]
    assert enode == f"enode://{public}@127.0.0.1:30401" and len(public) == 128


def test_static_peers_file_lists_every_peer() -> None:
    peers = ["enode://" + "ab" * 64 + "@127.0.0.1:1", "enode://" + "cd" * 64 + "@127.0.0.1:2"]
    text = static_nodes_toml(peers)
    assert text.startswith("[Node.P2P]\n")
    assert all(text.count(p) == 2 for p in peers)  # static and trusted


def test_port_holder_names_the_process_listening_and_nothing_on_a_free_port() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        holder = port_holder(port)
        assert holder is not None and holder.startswith(f"pid {os.getpid()} (") and "python" in holder, holder
    assert port_holder(port) is None
