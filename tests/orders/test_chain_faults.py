"""A public chain's faults, each met by a real step on a real Anvil (its own controls: automine
off, interval mining, a dropped transaction, a rising base fee) or through a loopback proxy
that answers 429, 502 and time-outs: the step ends done once or refused in one line, and the
chain and the index agree afterwards (nothing lost, nothing sent twice)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from offchain import config
from offchain.chain import sending
from offchain.chain.client import Chain, Step
from offchain.chain.codec import JobStatus
from offchain.chain.deploy import deploy
from offchain.chain.rpc import Rpc
from offchain.chain.session import open_chain
from offchain.devtools import parts as td
from offchain.devtools.anvil import AnvilNode
from offchain.orders import steps
from offchain.orders.indexed import forget_indexes, market_index
from offchain.transfer import keys as pgp_keys
from tests.conftest import ROOT
from tests.utils.faults import GWEI, Anvil, FaultyProxy

ENVELOPE = (300_000, 300_000, 300_000)  # um
PRODUCER, CUSTOMER = 1, 2  # Ape's (and Anvil's) test accounts


@dataclass
class World:
    node: AnvilNode
    anvil: Anvil
    home: Path
    work: Path

    def chain(self, who: int) -> Chain:
        from ape import accounts

        return open_chain(accounts.test_accounts[who], unlock=False)

    def address(self, who: int) -> str:
        from ape import accounts

        return str(accounts.test_accounts[who].address)

    def machines(self) -> int:
        c = self.chain(PRODUCER)
        return int(c.call(c.registry.machineCount))

    def register(self, who: int = PRODUCER, uri: str = "ipfs://datasheet") -> Step:
        return steps.register_machine(self.chain(who), "SLS", "PA12", ENVELOPE, uri)

    def cli(self, *args: str) -> list[str]:
        """`ape run order ARGS` on this world's chain."""
        ape = str(Path(sys.executable).parent / "ape")
        return [ape, "run", "order", *args, "--network", f"ethereum:local:{self.node.url}"]

    def env(self) -> dict[str, str]:
        """The environment of a CLI run: this world's home, this checkout's offchain."""
        return {**os.environ, "PRODNET_HOME": str(self.home), "PYTHONPATH": str(ROOT)}

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self.cli(*args), env=self.env(), capture_output=True, text=True, timeout=300)

    def indexed_machines(self, uri: str) -> list[int]:
        """The machines the (synced) index holds with URI: one per registration."""
        index = market_index(self.chain(PRODUCER))
        return [m.id for m in index.machines() if m.uri == uri]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    from ape import accounts, networks

    work = tmp_path_factory.mktemp("faults")
    # 1337: the chain id Ape signs with on its "local" network
    node = AnvilNode(args=("--chain-id", "1337"), log=work / "anvil.log").start()
    try:
        with (
            config.scoped_home(work / "state") as home,
            networks.parse_network_choice(f"ethereum:local:{node.url}"),
        ):
            deploy(accounts.test_accounts[0], False, actor="admin")
            for who in (PRODUCER, CUSTOMER):  # an OpenPGP key on chain: who registers and joins needs one
                c = open_chain(accounts.test_accounts[who], unlock=False)
                key = pgp_keys.generate_key(f"account{who}", f"account{who}@prodnet.example")
                steps.register_key(c, pgp_keys.write_key_files(key, work / "keys", f"account{who}")[0])
            yield World(node, Anvil(Rpc(node.url)), home, work)
            forget_indexes()
    finally:
        node.stop()


@pytest.fixture
def anvil(world: World, monkeypatch: pytest.MonkeyPatch) -> Iterator[Anvil]:
    """World's Anvil, automine back on and interval mining off after the test; a short bound
    on pending transactions and on RPC time-outs."""
    monkeypatch.setenv("PRODNET_PENDING_TIMEOUT", "3")
    yield world.anvil
    world.anvil.interval_mining(0)
    world.anvil.automine(True)
    sending.reset_fees()


def watch(condition: Callable[[], bool], what: str, task: Future[Any], timeout: float = 120) -> None:
    """Synchronisation only (no assertion on time): wait for CONDITION while TASK runs."""
    deadline = time.monotonic() + timeout
    while not condition():
        if task.done():
            task.result()  # its own error tells why
            raise AssertionError(f"the task ended before {what}")
        if time.monotonic() > deadline:
            raise AssertionError(f"never saw {what}")
        time.sleep(0.05)


def replacement_fees(anvil: Anvil, tx_hash: str) -> str:
    """The fees of TX_HASH as the CLI writes them."""
    tx = anvil.rpc.request("eth_getTransactionByHash", tx_hash)
    return sending.Fees(int(tx["maxFeePerGas"], 16), int(tx["maxPriorityFeePerGas"], 16)).text()


def in_background(task: Callable[[], Any]) -> tuple[ThreadPoolExecutor, Future[Any]]:
    pool = ThreadPoolExecutor(max_workers=1)
    return pool, pool.submit(task)


@pytest.fixture
def proxied(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[dict[str, list[str]]], FaultyProxy]]:
    """Connect Ape (and so every step) to the node through a FaultyProxy inside the test."""
    from ape import networks

    monkeypatch.setenv("PRODNET_RPC_TIMEOUT", "1")
    proxies: list[FaultyProxy] = []
    contexts: list[Any] = []

    def make(faults: dict[str, list[str]]) -> FaultyProxy:
        proxy = FaultyProxy(world.node.url, faults, hold=2.0)
        proxies.append(proxy)
        context = networks.parse_network_choice(f"ethereum:local:{proxy.url}")
        context.__enter__()
        contexts.append(context)
        return proxy

    yield make
    for context in reversed(contexts):
        context.__exit__(None, None, None)
    for proxy in proxies:
        proxy.close()


# -- fee caps --------------------------------------------------------------------------------
def test_a_fee_cap_below_the_base_fee_is_refused_in_one_line_before_anything_is_sent(
    world: World, anvil: Anvil
) -> None:
    producer = world.address(PRODUCER)
    nonce, machines = anvil.nonce(producer), world.machines()
    anvil.next_base_fee(100 * GWEI)
    sending.use_fees(max_fee=50 * GWEI)
    with pytest.raises(sending.FeeCapError) as refused:
        world.register(uri="ipfs://capped")
    assert str(refused.value) == (
        "the fee cap 50 gwei is below the next block's base fee of 100 gwei: nothing was sent; raise "
        "--max-fee (or PRODNET_MAX_FEE), or wait for the base fee to fall"
    )
    assert anvil.pool(producer) == [] and anvil.nonce(producer) == nonce and world.machines() == machines
    # a cap above it is used as given
    sending.use_fees(max_fee=150 * GWEI, priority_fee=2 * GWEI)
    step = world.register(uri="ipfs://capped")
    tx = anvil.rpc.request("eth_getTransactionByHash", step.tx_hash)
    assert (int(tx["maxFeePerGas"], 16), int(tx["maxPriorityFeePerGas"], 16)) == (150 * GWEI, 2 * GWEI)
    assert anvil.nonce(producer) == nonce + 1 and world.machines() == machines + 1
    assert len(world.indexed_machines("ipfs://capped")) == 1


# -- stuck, re-run, speed-up, cancel ----------------------------------------------------------
def test_a_stuck_step_says_so_and_its_rerun_waits_for_it_instead_of_sending_a_second(
    world: World, anvil: Anvil, proxied: Callable[[dict[str, list[str]]], FaultyProxy]
) -> None:
    producer = world.address(PRODUCER)
    nonce, machines = anvil.nonce(producer), world.machines()
    anvil.automine(False)
    with pytest.raises(sending.PendingError) as stuck:
        world.register(uri="ipfs://stuck")
    (pending,) = anvil.pool(producer)
    message = str(stuck.value)
    assert message.startswith(f"register-machine: transaction {pending} (nonce {nonce}, fee cap ")
    assert "is still pending after 3 s" in message and f"'ape run order speed-up {pending}'" in message
    # the re-run (through a proxy that only watches) finds it in flight and waits for it
    watcher = proxied({})
    pool, rerun = in_background(lambda: world.register(uri="ipfs://stuck"))
    waiting = "the re-run asking the node whether the pending transaction is still there"
    watch(lambda: watcher.forwarded["eth_getTransactionByHash"] > 0, waiting, rerun)
    assert anvil.pool(producer) == [pending]
    anvil.mine()
    step = rerun.result(timeout=120)
    pool.shutdown()
    assert step.tx_hash == pending and watcher.forwarded["eth_sendRawTransaction"] == 0
    assert anvil.pool(producer) == [] and anvil.nonce(producer) == nonce + 1
    assert world.machines() == machines + 1
    assert len(world.indexed_machines("ipfs://stuck")) == 1


def test_a_stuck_step_is_sped_up(world: World, anvil: Anvil) -> None:
    producer = world.address(PRODUCER)
    nonce, machines = anvil.nonce(producer), world.machines()
    anvil.automine(False)
    with pytest.raises(sending.PendingError):
        world.register(uri="ipfs://sped-up")
    (stuck,) = anvil.pool(producer)
    old = anvil.rpc.request("eth_getTransactionByHash", stuck)
    anvil.interval_mining(1)
    replaced = sending.replace(world.chain(PRODUCER).account, stuck)
    assert replaced.old == stuck and replaced.new != stuck and replaced.nonce == nonce and replaced.mined
    assert replaced.fees.max_fee >= int(old["maxFeePerGas"], 16) * sending.BUMP
    assert replaced.fees.tip >= int(old["maxPriorityFeePerGas"], 16) * sending.BUMP
    receipt = anvil.rpc.request("eth_getTransactionReceipt", replaced.new)
    assert int(receipt["status"], 16) == 1 and anvil.rpc.request("eth_getTransactionReceipt", stuck) is None
    assert anvil.nonce(producer) == nonce + 1 and world.machines() == machines + 1
    assert len(world.indexed_machines("ipfs://sped-up")) == 1


def test_a_step_a_rising_base_fee_pushes_out_is_not_sent_again_above_its_cap(
    world: World, anvil: Anvil
) -> None:
    """Anvil, like a public pool, drops a transaction whose fee cap the base fee has passed."""
    producer = world.address(PRODUCER)
    nonce, machines = anvil.nonce(producer), world.machines()
    anvil.next_base_fee(10 * GWEI)
    sending.use_fees(max_fee=11 * GWEI)
    anvil.automine(False)
    pool, sent = in_background(lambda: world.register(uri="ipfs://priced-out"))
    (first,) = anvil.wait_for_pool(producer, lambda h: len(h) == 1, "the step's transaction", sent.running)
    anvil.next_base_fee(60 * GWEI)
    anvil.mine()
    with pytest.raises(sending.FeeCapError) as refused:
        sent.result(timeout=120)
    pool.shutdown()
    base = sending.next_base_fee(anvil.rpc)
    assert str(refused.value) == (
        f"register-machine: transaction {first} (nonce {nonce}) was dropped by the node and is not sent "
        "again: "
        f"the fee cap 11 gwei is below the next block's base fee of {sending.gwei(base)}: nothing was sent; "
        "raise --max-fee (or PRODNET_MAX_FEE), or wait for the base fee to fall"
    )
    assert anvil.pool(producer) == [] and anvil.nonce(producer) == nonce and world.machines() == machines
    # run again with a cap above the base fee: done, once
    anvil.automine(True)
    sending.use_fees(max_fee=200 * GWEI)
    world.register(uri="ipfs://priced-out")
    assert anvil.nonce(producer) == nonce + 1 and world.machines() == machines + 1
    assert len(world.indexed_machines("ipfs://priced-out")) == 1


def test_a_cancelled_step_is_not_done_and_its_waiting_command_says_so(
    world: World, anvil: Anvil, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRODNET_PENDING_TIMEOUT", "120")
    producer = world.address(PRODUCER)
    nonce, machines = anvil.nonce(producer), world.machines()
    anvil.automine(False)
    pool, waiting = in_background(lambda: world.register(uri="ipfs://cancelled"))
    (stuck,) = anvil.wait_for_pool(producer, lambda h: len(h) == 1, "the step's transaction", waiting.running)
    account = world.chain(PRODUCER).account
    other, cancelling = in_background(lambda: sending.replace(account, stuck, cancel=True))
    (replacement,) = anvil.wait_for_pool(
        producer, lambda h: h not in ([], [stuck]), "the cancelling one", cancelling.running
    )
    anvil.mine()
    cancelled = cancelling.result(timeout=120)
    with pytest.raises(sending.SendError) as told:
        waiting.result(timeout=120)
    pool.shutdown()
    other.shutdown()
    assert str(told.value) == (
        f"register-machine: transaction {stuck} (nonce {nonce}) was cancelled by {replacement}; the step "
        "was not done: run it again if it is still wanted"
    )
    assert cancelled.mined and cancelled.nonce == nonce and cancelled.new == replacement
    receipt = anvil.rpc.request("eth_getTransactionReceipt", replacement)
    assert receipt["to"].lower() == producer.lower() and int(receipt["status"], 16) == 1
    assert anvil.nonce(producer) == nonce + 1 and world.machines() == machines
    assert world.indexed_machines("ipfs://cancelled") == []
    with pytest.raises(sending.SendError) as gone:
        sending.replace(world.chain(PRODUCER).account, stuck)
    assert str(gone.value) == (
        f"the node does not know transaction {stuck}: check the hash (or it was dropped)"
    )


def test_the_cli_refuses_a_low_fee_cap_in_one_line_then_speeds_up_and_cancels_stuck_steps(
    world: World, anvil: Anvil
) -> None:
    producer = world.address(PRODUCER)
    nonce, machines = anvil.nonce(producer), world.machines()
    register = ("register-machine", "--account", "TEST::1", "--process", "SLS", "--material", "PA12",
                "--envelope", "300x300x300", "--metadata-uri", "ipfs://by-cli")
    anvil.next_base_fee(10 * GWEI)
    capped = world.run(*register, "--max-fee", "9gwei", "--priority-fee", "1")
    assert capped.returncode == 1 and capped.stdout == ""
    assert capped.stderr.splitlines()[-1] == (
        "error: the fee cap 9 gwei is below the next block's base fee of 10 gwei: nothing was sent; raise "
        "--max-fee (or PRODNET_MAX_FEE), or wait for the base fee to fall"
    )
    assert anvil.pool(producer) == [] and anvil.nonce(producer) == nonce
    anvil.automine(False)
    stuck = world.run(*register, "--max-fee", "30", "--priority-fee", "1")
    (pending,) = anvil.pool(producer)
    assert stuck.returncode == 1 and stuck.stderr.splitlines()[-1].startswith(
        f"error: register-machine: transaction {pending} (nonce {nonce}, fee cap 30 gwei, tip 1 gwei) is "
        "still pending after 3 s"
    )
    speed_up = world.cli("speed-up", pending, "--account", "TEST::1", "--max-fee", "40gwei")
    env = {**world.env(), "PRODNET_PENDING_TIMEOUT": "300"}
    sped = subprocess.Popen(speed_up, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    (replacement,) = anvil.wait_for_pool(
        producer, lambda h: h not in ([], [pending]), "the replacement", lambda: sped.poll() is None
    )
    anvil.mine()
    out, err = sped.communicate(timeout=300)
    assert sped.returncode == 0, err
    (line,) = out.splitlines()
    assert line == (
        f"replaced transaction {pending} (nonce {nonce}) with {replacement} "
        "(fee cap 40 gwei, tip 1.125 gwei), mined"
    )
    assert anvil.nonce(producer) == nonce + 1 and world.machines() == machines + 1
    assert len(world.indexed_machines("ipfs://by-cli")) == 1
    # and cancels one: its nonce spent on a transfer of nothing, the step not done
    anvil.interval_mining(0)
    anvil.automine(False)
    stuck = world.run(*register, "--metadata-uri", "ipfs://cancelled-by-cli")
    (pending,) = anvil.pool(producer)
    assert stuck.returncode == 1
    cancel = subprocess.Popen(
        world.cli("cancel-tx", pending, "--account", "TEST::1"),
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    (replacement,) = anvil.wait_for_pool(
        producer, lambda h: h not in ([], [pending]), "the cancelling one", lambda: cancel.poll() is None
    )
    anvil.mine()
    out, err = cancel.communicate(timeout=300)
    assert cancel.returncode == 0, err
    assert out.splitlines() == [
        f"cancelled transaction {pending} (nonce {nonce + 1}) with {replacement} "
        f"({replacement_fees(anvil, replacement)}), mined"
    ]
    receipt = anvil.rpc.request("eth_getTransactionReceipt", replacement)
    assert receipt["to"].lower() == producer.lower() and int(receipt["status"], 16) == 1
    assert anvil.nonce(producer) == nonce + 2 and world.machines() == machines + 1
    assert world.indexed_machines("ipfs://cancelled-by-cli") == []


# -- dropped ------------------------------------------------------------------------------------
def test_a_dropped_step_is_sent_again_once(world: World, anvil: Anvil) -> None:
    producer = world.address(PRODUCER)
    nonce, machines = anvil.nonce(producer), world.machines()
    anvil.automine(False)
    pool, sent = in_background(lambda: world.register(uri="ipfs://dropped"))
    (first,) = anvil.wait_for_pool(producer, lambda h: len(h) == 1, "the step's transaction", sent.running)
    anvil.drop(first)
    assert anvil.pool(producer) == [] and anvil.rpc.request("eth_getTransactionByHash", first) is None
    (second,) = anvil.wait_for_pool(producer, lambda h: len(h) == 1, "the re-sent one", sent.running)
    anvil.mine()
    step = sent.result(timeout=120)
    pool.shutdown()
    assert step.tx_hash == second  # the same transaction signed again (same nonce and fees: same hash)
    assert anvil.nonce(producer) == nonce + 1 and world.machines() == machines + 1
    assert len(world.indexed_machines("ipfs://dropped")) == 1


def test_a_dropped_step_done_meanwhile_is_not_sent_again(world: World, anvil: Anvil) -> None:
    """The customer's 'leave' is dropped; the same leave, sent by another tool of the customer,
    is mined with its nonce: the step's own check (the job has left) stops a second send."""
    producer, customer = world.chain(PRODUCER), world.chain(CUSTOMER)
    machine = world.register(uri="ipfs://leave").data["machine_id"]
    now = int(anvil.rpc.request("eth_getBlockByNumber", "latest", False)["timestamp"], 16)
    order = steps.open_order(producer, machine, None, None, now, now + 86_400, now + 30 * 86_400, 0).data[
        "order_id"
    ]
    part = td.write_binary(world.work / "cube.stl", td.box((10.0, 10.0, 10.0)).triangles())
    job = steps.join(customer, order, part, 1).data["job_id"]
    address = world.address(CUSTOMER)
    nonce = anvil.nonce(address)
    anvil.automine(False)
    pool, left = in_background(lambda: steps.leave(customer, order, job))
    (first,) = anvil.wait_for_pool(address, lambda h: len(h) == 1, "the leave", left.running)
    tx = anvil.rpc.request("eth_getTransactionByHash", first)
    anvil.drop(first)
    anvil.rpc.request("eth_sendTransaction", {"from": address, "to": tx["to"], "data": tx["input"]})
    anvil.mine()
    step = left.result(timeout=120)
    pool.shutdown()
    assert step.already_done and "done meanwhile by another transaction" in step.summary
    assert anvil.pool(address) == [] and anvil.nonce(address) == nonce + 1
    assert int(customer.job(order, job).status) == JobStatus.LEFT
    index = market_index(customer)
    assert index.job(order, job).status == JobStatus.LEFT
    assert [e.name for e in index.timeline(order) if e.job_id == job].count("JobLeft") == 1


# -- the node's faults --------------------------------------------------------------------------
def test_rate_limits_bad_gateways_and_time_outs_are_retried_and_the_step_is_sent_once(
    world: World, anvil: Anvil, proxied: Callable[[dict[str, list[str]]], FaultyProxy]
) -> None:
    producer = world.address(PRODUCER)
    nonce, machines = anvil.nonce(producer), world.machines()
    faults = ["429", "502", "timeout"]
    # prodnet's own requests (the broadcast, the wait) and Ape's (the nonce, while it builds)
    methods = (
        "eth_sendRawTransaction", "eth_getTransactionReceipt", "eth_feeHistory", "eth_getTransactionCount"
    )
    proxy = proxied({m: list(faults) for m in methods})
    step = world.register(uri="ipfs://retried")
    assert sorted(proxy.met) == sorted((m, f) for m in methods for f in faults)
    # the time-out came after the node took the transaction: the retry found it known
    assert proxy.forwarded["eth_sendRawTransaction"] == 2
    assert anvil.nonce(producer) == nonce + 1 and world.machines() == machines + 1
    assert step.tx_hash and anvil.rpc.request("eth_getTransactionReceipt", step.tx_hash) is not None
    assert len(world.indexed_machines("ipfs://retried")) == 1


def test_a_node_that_keeps_failing_is_one_line_naming_it_and_nothing_is_sent(
    world: World, anvil: Anvil, proxied: Callable[[dict[str, list[str]]], FaultyProxy]
) -> None:
    producer = world.address(PRODUCER)
    nonce, machines = anvil.nonce(producer), world.machines()
    proxy = proxied({"eth_sendRawTransaction": ["always502"]})
    with pytest.raises(sending.SendError) as failed:
        world.register(uri="ipfs://never")
    retries = config.rpc_retries()
    assert str(failed.value) == (
        f"register-machine: the transaction was not sent: the node at {proxy.url} answered HTTP 502: "
        f"<html>502 Bad Gateway</html> (after {retries + 1} tries)"
    )
    assert proxy.forwarded["eth_sendRawTransaction"] == 0
    assert anvil.pool(producer) == [] and anvil.nonce(producer) == nonce and world.machines() == machines
    assert not any((world.home / "pending").rglob("*.json"))


# -- one account, two processes ------------------------------------------------------------------
def test_the_cli_and_the_portal_acting_for_one_account_at_once_never_reuse_a_nonce(
    world: World, anvil: Anvil, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`ape run order register-machine` and the portal's form, for the producer, at the same
    time, both sent while no block is mined: two nonces, two machines."""
    from offchain.portal import actions
    from offchain.portal.workspace import Workspace

    monkeypatch.setenv("PRODNET_PENDING_TIMEOUT", "300")  # the CLI's start-up takes seconds
    producer = world.address(PRODUCER)
    nonce, machines = anvil.nonce(producer), world.machines()
    command = world.cli(
        "register-machine", "--account", "TEST::1",
        "--process", "FDM", "--material", "PLA", "--envelope", "300x300x300", "--metadata-uri", "ipfs://cli",
    )
    workspace = Workspace(world.work / "portal", world.work / "keys")
    ctx = actions.Context(world.chain(PRODUCER), workspace, None, None, "")
    form = {"process": "SLS", "material": "PA12", "envelope": "300x300x300", "metadata_uri": "ipfs://portal"}
    anvil.automine(False)
    cli = subprocess.Popen(
        command, env=world.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    pool, portal = in_background(lambda: actions.register_machine(ctx, form))
    both = anvil.wait_for_pool(
        producer, lambda h: len(h) == 2, "both transactions", lambda: cli.poll() is None and portal.running()
    )
    anvil.interval_mining(1)  # blocks again (Anvil may take one sender's transactions a block at a time)
    outcome = portal.result(timeout=120)
    out, err = cli.communicate(timeout=300)
    pool.shutdown()
    assert cli.returncode == 0, err
    assert len(set(both)) == 2
    nonces = sorted(int(anvil.rpc.request("eth_getTransactionByHash", h)["nonce"], 16) for h in both)
    assert nonces == [nonce, nonce + 1]
    assert "machine" in out and outcome.lines[0].startswith("register-machine: machine ")
    assert anvil.nonce(producer) == nonce + 2 and world.machines() == machines + 2
    assert len(world.indexed_machines("ipfs://cli")) == 1
    assert len(world.indexed_machines("ipfs://portal")) == 1


# -- last: it replaces the world's deployment ---------------------------------------------------
def test_a_stuck_deployment_records_nothing_and_its_rerun_adopts_the_pending_contract(
    world: World, anvil: Anvil, proxied: Callable[[dict[str, list[str]]], FaultyProxy]
) -> None:
    from ape import accounts

    from offchain.chain.deployments import record_path

    admin = accounts.test_accounts[0]
    record = record_path(1337, "ethereum:local")
    before = record.read_bytes()
    nonce = anvil.nonce(str(admin.address))
    anvil.automine(False)
    with pytest.raises(sending.PendingError) as stuck:
        deploy(admin, False, redeploy=True)
    (pending,) = anvil.pool(str(admin.address))
    assert str(stuck.value).startswith(f"deploy CapacityRegistry: transaction {pending} (nonce {nonce}, ")
    assert record.read_bytes() == before  # nothing half-recorded
    watcher = proxied({})
    pool, rerun = in_background(lambda: deploy(admin, False, redeploy=True))
    watch(lambda: watcher.forwarded["eth_getTransactionByHash"] > 0, "the re-run waiting for it", rerun)
    anvil.interval_mining(1)
    redeployed, made = rerun.result(timeout=120)
    pool.shutdown()
    assert [s.step for s in made] == ["deploy CapacityRegistry", "deploy ProductionOrders"]
    assert made[0].tx_hash == pending and watcher.forwarded["eth_sendRawTransaction"] == 1
    created = anvil.rpc.request("eth_getTransactionReceipt", pending)["contractAddress"]
    assert redeployed.registry.lower() == created.lower()
    assert anvil.nonce(str(admin.address)) == nonce + 2 and record.read_bytes() != before
