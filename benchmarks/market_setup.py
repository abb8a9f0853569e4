"""What the step benchmarks share: a fresh deployment on Ape's local Anvil with a producer
and customers whose keys are published, the gear part and one open order to join."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class BenchMarket:
    as_: Any  # account -> Chain acting as it
    key_files: dict[str, tuple[Path, Path]]  # address -> (public, secret) key files
    part: Path
    order_id: int


def open_market(work: Path, producer: Any, customers: list[Any], admin: Any) -> BenchMarket:
    """Deploy, publish each one's key, register the producer's machine and open one order."""
    from ape import chain

    from offchain.chain.client import Chain
    from offchain.chain.deploy import deploy
    from offchain.chain.session import contracts_of
    from offchain.devtools import parts as testdata
    from offchain.orders import steps
    from offchain.transfer import keys

    deployment, _ = deploy(admin, permissioned=False)
    registry, orders, membership = contracts_of(deployment)

    def as_(account: Any) -> Chain:
        return Chain(deployment, registry, orders, membership, account, str(account.address))

    key_files = {}
    for i, who in enumerate([producer, *customers]):
        key = keys.generate_key(f"p{i}", f"p{i}@bench.example")
        key_files[who.address] = keys.write_key_files(key, work / "keys", f"p{i}")
        steps.register_key(as_(who), key_files[who.address][0])
    part = testdata.write_binary(work / "gear.stl", testdata.gear().triangles())
    p = as_(producer)
    machine = steps.register_machine(p, "SLS", "PA12", (340_000,) * 3, "")
    now = int(chain.pending_timestamp)
    order_id = steps.open_order(
        p, machine.data["machine_id"], None, None, now, now + 86_400, now + 10 * 86_400, 10**14
    ).data["order_id"]
    return BenchMarket(as_, key_files, part, int(order_id))
