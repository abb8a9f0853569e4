"""The members' network for real: three geth nodes sealing in Clique, one module-scoped network
(its own folder and free ports). A deployment sent to node 1 is on nodes 2 and 3 at no fee;
the contracts refuse a non-member's transaction; with one node stopped the chain goes on and
the permissioned story completes, and the node catches up once restarted; a new company's
node seals nothing until the signers vote it in, then seals."""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_abi import encode
from eth_account import Account
from eth_utils import function_signature_to_4byte_selector

from offchain.devtools.network import Network, NodeInfo, free_ports
from tests.e2e.helpers import ROOT, TEST_MNEMONIC, Rpc, venv_bin

Account.enable_unaudited_hdwallet_features()
ADMIN, PRODUCER = (Account.from_mnemonic(TEST_MNEMONIC, account_path=f"m/44'/60'/0'/0/{i}") for i in (0, 1))
STRANGER = Account.from_key(b"\x42" * 32)


def wait_until(condition: Callable[[], Any], what: str, timeout: float = 90.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.5)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("members-network")


@pytest.fixture(scope="module")
def net(home: Path) -> Iterator[Network]:
    path = "m/44'/60'/0'/0/{}"
    funded = [Account.from_mnemonic(TEST_MNEMONIC, account_path=path.format(i)).address for i in range(6)]
    network = Network.create(home / "network", 3, funded=funded, ports=free_ports)
    try:
        network.up()
        yield network
    finally:
        network.down()


def rpc(node: NodeInfo) -> Rpc:
    return Rpc(node.url)


def ape(net: Network, home: Path, *args: str, network: bool = True) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PRODNET_", "PYTEST_"))}
    env.update(PRODNET_HOME=str(home), SOLCX_BINARY_PATH=str(ROOT / ".tools" / "solc"))
    extra = ["--network", f"ethereum:permissioned:{net.nodes[0].url}"] if network else []
    return subprocess.run(
        [venv_bin("ape"), "run", *args, *extra], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=600, stdin=subprocess.DEVNULL, check=False,
    )


@pytest.fixture(scope="module")
def deployed(net: Network, home: Path) -> dict[str, str]:
    result = ape(net, home, "deploy", "--permissioned", "--account", "TEST::0")
    assert result.returncode == 0, result.stdout + result.stderr
    found = dict(re.findall(r"^(registry|orders|membership):\s+(0x[0-9a-fA-F]{40})$", result.stdout, re.M))
    txs = re.findall(r"\(tx (0x[0-9a-f]{64}), gas", result.stdout)
    assert set(found) == {"registry", "orders", "membership"} and len(txs) == 3, result.stdout
    return {**found, "tx": txs[-1]}


def send_raw(node: NodeInfo, account: Any, to: str, data: bytes) -> dict[str, Any]:
    """A zero-fee legacy transaction from ACCOUNT through NODE; its receipt once mined."""
    nonce = int(rpc(node)("eth_getTransactionCount", account.address, "pending"), 16)
    tx = {"to": to, "data": data, "value": 0, "gas": 300_000, "gasPrice": 0, "nonce": nonce, "chainId": 1337}
    raw = account.sign_transaction(tx).raw_transaction
    tx_hash = rpc(node)("eth_sendRawTransaction", "0x" + bytes(raw).hex())
    return wait_until(lambda: rpc(node)("eth_getTransactionReceipt", tx_hash), f"{tx_hash} to be mined")


def test_a_deployment_sent_to_node_1_is_on_nodes_2_and_3_at_no_fee(
    net: Network, deployed: dict[str, str]
) -> None:
    for node in net.nodes[1:]:
        code = wait_until(lambda n=node: rpc(n).code(deployed["orders"]), f"the contracts on {node.name}")
        assert code == rpc(net.nodes[0]).code(deployed["orders"])
        receipt = rpc(node).receipt(deployed["tx"])
        assert int(receipt["effectiveGasPrice"], 16) == 0 and int(receipt["gasUsed"], 16) > 0


def test_the_contracts_refuse_a_non_members_transaction(
    net: Network, home: Path, deployed: dict[str, str]
) -> None:
    selector = function_signature_to_4byte_selector("publishKey(bytes32,bytes)")
    data = selector + encode(["bytes32", "bytes"], [b"\x07" * 32, b"key"])
    refused = send_raw(net.nodes[1], STRANGER, deployed["registry"], data)
    assert int(refused["status"], 16) == 0, "a non-member published a key"

    added = ape(net, home, "members", "add", PRODUCER.address, "--role", "producer", "--account", "TEST::0")
    assert added.returncode == 0, added.stdout + added.stderr
    accepted = send_raw(net.nodes[1], PRODUCER, deployed["registry"], data)
    assert int(accepted["status"], 16) == 1, "the same transaction from a member"


def test_with_a_node_stopped_the_story_completes_and_the_node_catches_up(
    net: Network, home: Path, deployed: dict[str, str]
) -> None:
    stopped = net.nodes[2]
    net.stop(stopped)
    head = rpc(net.nodes[0]).block_number()
    wait_until(lambda: rpc(net.nodes[0]).block_number() >= head + 3, "blocks sealed by the other two signers")

    demo = ape(net, home, "demo", "--permissioned")
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert "network: 3 nodes, 3 signers, chain id 1337" in demo.stdout
    assert "== alice confirms receipt; bob disputes his gear and the arbiter (admin) splits" in demo.stdout
    resolved = re.search(r"^  \[admin@node\d\] resolve: job 2 of order 1 resolved: ", demo.stdout, re.M)
    assert resolved, demo.stdout
    assert "== the producer and bob withdraw their credit" in demo.stdout
    assert "total fees: 0 ETH" in demo.stdout
    assert "[alice@node2]" in demo.stdout
    assert (f"the members' network keeps running (3 nodes, its chain in {net.folder}): 'ape run network "
            "down' stops it") in demo.stdout

    net.start(stopped)
    target = rpc(net.nodes[0]).block_number()
    wait_until(lambda: rpc(stopped).block_number() >= target, f"{stopped.name} to catch up to block {target}")
    block = hex(target)
    assert (rpc(stopped)("eth_getBlockByNumber", block, False)["hash"]
            == rpc(net.nodes[0])("eth_getBlockByNumber", block, False)["hash"])


def test_up_refuses_the_ports_of_another_network_and_status_tells_them_apart(
    net: Network, home: Path, tmp_path: Path
) -> None:
    """A second network (another PRODNET_HOME) whose node 1 has the ports of the running one's."""
    taken = net.nodes[0]
    same = {"rpc": taken.rpc_port, "p2p": taken.p2p_port, "auth": taken.auth_port}
    other = Network.create(tmp_path / "network", 1, ports=lambda _: same)
    head = rpc(taken).block_number()

    up = ape(net, tmp_path, "network", "up", network=False)
    lines = up.stderr.strip().splitlines()
    assert up.returncode != 0 and len(lines) == 1 and lines[0].startswith("error: "), up.stdout + up.stderr
    assert f"port {taken.rpc_port} (node1's RPC) is held by pid " in lines[0] and "geth" in lines[0], lines[0]
    assert not other.running(other.nodes[0]) and Network.load(other.folder).genesis == ""

    status = ape(net, tmp_path, "network", "status", network=False)
    assert status.returncode == 0, status.stdout + status.stderr
    assert net.genesis and "genesis not seen yet" in status.stdout, status.stdout
    assert (f"node1 {taken.url}: stopped (port {taken.rpc_port} answers for another network (genesis "
            f"{net.genesis[:10]}…): pid ") in status.stdout, status.stdout
    ours = ape(net, home, "network", "status", network=False)
    assert f"chain id 1337, genesis {net.genesis[:10]}…, 3 nodes" in ours.stdout, ours.stdout
    assert re.search(rf"node1 {taken.url}: head \d+, \d peers;", ours.stdout), ours.stdout
    wait_until(lambda: rpc(taken).block_number() > head, "the running network to go on sealing")


def _sealers(node: NodeInfo, first: int, last: int) -> set[str]:
    return {str(rpc(node)("clique_getSigner", hex(n))).lower() for n in range(first, last + 1)}


def test_a_new_companys_node_seals_only_once_voted_in(
    net: Network, home: Path, deployed: dict[str, str]
) -> None:
    new = net.add_node(free_ports)
    net.start(new)
    start = rpc(net.nodes[0]).block_number()
    wait_until(lambda: rpc(new).block_number() >= start + 8, f"{new.name} to follow the chain")
    signer = new.signer.lower()
    assert signer not in [s.lower() for s in rpc(new)("clique_getSigners")]
    assert signer not in _sealers(new, start, start + 8), "a node that is not a signer sealed a block"

    added = ape(net, home, "members", "add", ADMIN.address, "--role", "producer", "--node", new.url,
                "--account", "TEST::0")
    assert added.returncode == 0, added.stdout + added.stderr
    assert f"(seals as {signer}) is a signer; 4 signers" in added.stdout
    voted = rpc(net.nodes[0]).block_number()
    wait_until(lambda: signer in _sealers(new, voted, rpc(new).block_number()), f"{new.name} to seal a block")
