"""The steps' tests in process (test_steps_rules.py, test_steps_assembly.py): an Anvil of the
module's own with both deployments (public, permissioned) and their cast, each a Chain acting
as itself."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from offchain import config
from offchain.chain.client import Chain, pending_timestamp
from offchain.chain.codec import ZERO_ADDRESS
from offchain.chain.deploy import add_member, deploy
from offchain.chain.rpc import Rpc
from offchain.chain.session import contracts_of
from offchain.devtools import parts as testdata
from offchain.devtools.anvil import AnvilNode
from offchain.orders import steps
from offchain.orders.indexed import forget_indexes
from offchain.transfer import keys, storage
from tests.conftest import fixture_project

DAY = 86_400
PRICE = 2 * 10**14  # 0.0002 ETH per cm3 of build space
ENVELOPE = (340_000, 340_000, 600_000)
NAMES = ("admin", "producer", "alice", "bob", "arbiter", "stranger")


@dataclass
class Rules:
    """One deployment (public, or permissioned) and its cast, each a Chain acting as itself."""

    rpc: Rpc
    people: dict[str, Chain]
    machine: int
    parts: dict[str, Path]
    secret: dict[str, Path]
    public: dict[str, Path]
    store: storage.Store
    token: Any

    def __getattr__(self, name: str) -> Chain:
        if name in NAMES:
            return self.people[name]
        raise AttributeError(name)

    @property
    def orders(self) -> Any:
        return self.people["admin"].orders

    def nonce(self, who: str) -> int:
        return int(self.rpc.request("eth_getTransactionCount", self.people[who].address, "latest"), 16)

    def credit(self, who: str, token: str = ZERO_ADDRESS) -> int:
        return int(self.orders.credits(self.people[who].address, token))

    def advance(self, seconds: int) -> None:
        self.rpc.request("evm_increaseTime", seconds)
        self.rpc.request("evm_mine")

    def open(
        self, *, days: int = 5, lead: int = 14, price: int = PRICE, token: str = ZERO_ADDRESS,
        arbiter: str | None = None, capacity: int = 1_000_000,
    ) -> int:
        now = pending_timestamp()
        opened = steps.open_order(
            self.producer, self.machine, None, capacity, now, now + days * DAY, now + (days + lead) * DAY,
            price, token, arbiter=arbiter,
        )
        return int(opened.data["order_id"])

    def joined(self, order_id: int, *joins: tuple[str, str]) -> list[int]:
        """Job ids of the customers (name, part) joining ORDER_ID, in order."""
        return [
            int(steps.join(self.people[who], order_id, self.parts[part], 1).data["job_id"])
            for who, part in joins
        ]

    def closed_with_models(
        self, joins: list[tuple[str, str]], arbiter: str | None = None
    ) -> tuple[int, list[int]]:
        """An order (its arbiter named at open, when given) the customers (name, part) joined,
        closed, with every model submitted."""
        order_id = self.open(arbiter=arbiter)
        jobs = [
            int(steps.join(self.people[who], order_id, self.parts[part], 1).data["job_id"])
            for who, part in joins
        ]
        steps.close(self.producer, order_id)
        for (who, part), job in zip(joins, jobs, strict=True):
            who_ = self.people[who]
            steps.submit_model(who_, order_id, job, self.parts[part], self.store, self.secret[who])
        return order_id, jobs

    def job(self, order_id: int, job_id: int) -> Any:
        return self.orders.getJob(order_id, job_id)


def _cast(
    deployment: Any,
    tmp: Path,
    rpc: Rpc,
    token: Any,
    key_files: dict[str, tuple[Path, Path]],
    parts: dict[str, Path],
) -> Rules:
    from ape import accounts

    registry, orders, membership = contracts_of(deployment)
    people = {
        name: Chain(deployment, registry, orders, membership, accounts.test_accounts[i], name)
        for i, name in enumerate(NAMES)
    }
    if membership is not None:
        add_member(people["admin"], people["producer"].address, "producer")
        for name in ("alice", "bob"):
            add_member(people["admin"], people[name].address, "customer")
    for name, (pub, _) in key_files.items():
        steps.register_key(people[name], pub)
    machine = steps.register_machine(people["producer"], "SLS", "PA12", ENVELOPE, "ipfs://machine")
    return Rules(
        rpc, people, int(machine.data["machine_id"]), parts,
        {n: sec for n, (_, sec) in key_files.items()}, {n: pub for n, (pub, _) in key_files.items()},
        storage.open_store("file", root=tmp / "store"), token,
    )


@pytest.fixture(scope="module")
def chain_setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    import ape
    from ape import accounts, networks

    tmp = tmp_path_factory.mktemp("rules")
    node = AnvilNode(args=("--chain-id", "1337"), log=tmp / "anvil.log").start()
    try:
        with config.scoped_home(tmp / "state"), networks.parse_network_choice(f"ethereum:local:{node.url}"):
            rpc = Rpc(node.url)
            token_project = ape.Project(fixture_project("tokens", tmp_path_factory.mktemp("tok")))
            admin = accounts.test_accounts[0]
            token = admin.deploy(token_project.TestToken)
            for i in (2, 3):
                token.mint(accounts.test_accounts[i], 10**24, sender=admin)
            key_files = {
                name: keys.write_key_files(keys.generate_key(name, f"{name}@rules.example"), tmp / "k", name)
                for name in ("producer", "alice", "bob")
            }
            parts = {
                "bracket": testdata.write_binary(tmp / "bracket.stl", testdata.bracket().triangles()),
                "gear": testdata.write_binary(tmp / "gear.stl", testdata.gear().triangles()),
            }
            public, _ = deploy(admin, False, actor="admin")
            permissioned, _ = deploy(admin, True, redeploy=True, actor="admin")
            yield {
                "public": _cast(public, tmp, rpc, token, key_files, parts),
                "permissioned": _cast(permissioned, tmp, rpc, token, key_files, parts),
            }
            forget_indexes()
    finally:
        node.stop()


@pytest.fixture(scope="module")
def w(chain_setup: dict[str, Any]) -> Rules:
    return chain_setup["public"]


@pytest.fixture(scope="module")
def members(chain_setup: dict[str, Any]) -> Rules:
    return chain_setup["permissioned"]


