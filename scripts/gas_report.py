"""Gas per order step on fresh local deployments -> reports/gas.json.

Run as ``ape run gas_report`` (``make gas``). Deploys the registry and the orders contract
in public mode and runs the canonical lifecycle (one producer, two customers sharing one
ETH order: open, join, join, close, submit model x2, ship x2, confirm x2, withdraw) and a
request taken by the producer on a second order; then the market rules on a third order
with an arbiter (named at open in public mode, ARBITER_ROLE members-only): a leave, the
producer's evict of one joined job, reject of one model, a dispute resolved by the arbiter,
a dispute settled by the default rule; then assemblies of 2, 5 and 10 parts (one joinParts
and one submitModels) against as many joins and submitModels. Then the same
members-only (with Membership). Writes gasUsed per step (the largest of repeated steps), the deployments
under "deploy" and the members-only run under "permissioned", prints a table and exits
non-zero if a public step misses its target.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import ape  # its managers load on first use (ape.chain, ape.accounts), not with the command list
import click
from ape.cli import ConnectedProviderCommand

from offchain._fs import write_json_atomic
from offchain.chain import evm
from offchain.chain.codec import ZERO_ADDRESS, text16
from offchain.chain.deploy import (
    DEFAULT_ARBITRATION_WINDOW,
    DEFAULT_CONFIRMATION_WINDOW,
    DEFAULT_MAX_LEAD_TIME,
)
from offchain.cli import commands
from offchain.parts.units import price_wei

DAY = 24 * 3600
#: A dispute's reason as a customer writes it (the event carries it: its length is in the gas).
DISPUTE_REASON = "the part arrived cracked along its long edge"
#: Upper bounds from issue #3 (public mode, ETH payment).
TARGETS = {
    "open": 160_000,
    "join": 110_000,
    "submit_model": 70_000,
    "ship": 45_000,
    "confirm": 60_000,
    "withdraw": 45_000,
}
STEPS = (
    "open", "join", "close", "submit_model", "ship", "confirm", "withdraw", "take", "request",
    "leave", "evict", "reject", "dispute", "resolve", "settle",
)
LIFECYCLE = ("open", "join", "close", "submit_model", "ship", "confirm", "withdraw")

ENVELOPE = (340_000, 340_000, 600_000)  # machine, micrometres
REGION = (200_000, 200_000, 300_000)  # offered region of it
PART = (40_000, 30_000, 20_000)  # 24,000 mm3 bounding box
PART_VOLUME = 9_000  # mm3
PRICE = 10**15  # wei per cm3


class GasLog:
    """gasUsed per step; repeated steps keep every value."""

    def __init__(self) -> None:
        self.used: dict[str, list[int]] = {step: [] for step in STEPS}
        #: run_assemblies' figures, by assembly size.
        self.assemblies: dict[str, dict[str, int]] = {}

    def add(self, step: str, receipt: Any) -> Any:
        self.used[step].append(int(receipt.gas_used))
        return receipt

    def report(self) -> dict[str, int]:
        out = {step: max(values) for step, values in self.used.items() if values}
        out["total_lifecycle"] = sum(sum(self.used[step]) for step in LIFECYCLE)
        if self.assemblies:
            out["assembly"] = self.assemblies
        return out


def _deploy(deployer: Any, contract: Any, *args: Any, deployed: dict[str, int]) -> Any:
    instance = deployer.deploy(contract, *args)
    deployed[contract.name] = int(ape.chain.get_receipt(instance.txn_hash).gas_used)
    return instance


def run_lifecycle(
    log: GasLog, deployed: dict[str, int], permissioned: bool = False, target: str = evm.CANCUN
) -> None:
    """The canonical lifecycle on fresh contracts built for TARGET (members-only when PERMISSIONED)."""
    deployer, producer, alice, bob = (ape.accounts.test_accounts[i] for i in range(4))
    gate = ZERO_ADDRESS
    membership = None
    if permissioned:
        membership = _deploy(deployer, evm.container("Membership", target), deployer, deployed=deployed)
        membership.grantRole(membership.PRODUCER_ROLE(), producer, sender=deployer)
        for customer in (alice, bob):
            membership.grantRole(membership.CUSTOMER_ROLE(), customer, sender=deployer)
        gate = membership.address
    registry = _deploy(deployer, evm.container("CapacityRegistry", target), gate, deployed=deployed)
    orders = _deploy(
        deployer, evm.container("ProductionOrders", target), registry, gate, deployer,
        DEFAULT_CONFIRMATION_WINDOW, DEFAULT_ARBITRATION_WINDOW, DEFAULT_MAX_LEAD_TIME, deployed=deployed
    )
    orders = evm.market(orders)
    registry.publishKey(b"\x11" * 20 + b"\0" * 12, b"-----BEGIN PGP PUBLIC KEY BLOCK-----", sender=producer)
    registry.registerMachine(text16("SLS"), text16("PA12"), ENVELOPE, "ipfs://machine", sender=producer)
    machine_id = registry.machineCount()

    now = ape.chain.pending_timestamp
    window = (now, now + DAY, now + 10 * DAY)
    opened = orders.open(
        machine_id, REGION, 2_000_000, *window, PRICE, ZERO_ADDRESS, ZERO_ADDRESS, sender=producer
    )
    receipt = log.add("open", opened)
    order_id = receipt.decode_logs(orders.OrderOpened)[0].orderId
    deposit = price_wei(PRICE, PART, 2)
    jobs = []
    for customer in (alice, bob):
        log.add("join", orders.join(order_id, PART, PART_VOLUME, 2, sender=customer, value=deposit))
        jobs.append((customer, orders.jobCount(order_id)))
    log.add("close", orders.close(order_id, sender=producer))
    for customer, job_id in jobs:
        digest = bytes([job_id]) * 32
        uri = "ipfs://bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi"
        log.add("submit_model", orders.submitModel(order_id, job_id, digest, uri, sender=customer))
    for _, job_id in jobs:
        log.add("ship", orders.ship(order_id, job_id, sender=producer))
    for customer, job_id in jobs:
        log.add("confirm", orders.confirmReceipt(order_id, job_id, sender=customer))
    log.add("withdraw", orders.withdraw(ZERO_ADDRESS, sender=producer))

    now = ape.chain.pending_timestamp
    request_deposit = price_wei(2 * PRICE, PART, 1)
    log.add(
        "request",
        orders.request(
            text16("PA12"), PART, PART_VOLUME, 1, 2 * PRICE, ZERO_ADDRESS, now + DAY, now + 10 * DAY,
            ZERO_ADDRESS, sender=alice, value=request_deposit,
        ),
    )
    log.add("take", orders.take(orders.orderCount(), machine_id, REGION, 1_000_000, PRICE, sender=producer))
    run_market_rules(log, orders, machine_id, membership)
    if not permissioned:
        log.assemblies = run_assemblies(orders, machine_id)


#: Assembly sizes measured against as many single joins (and single model submissions).
ASSEMBLY_SIZES = (2, 5, 10)


def run_assemblies(orders: Any, machine_id: int) -> dict[str, dict[str, int]]:
    """For each size n: alice joins one fresh order with n parts one join at a time and another
    with one joinParts of the same n parts, both orders are closed, and she submits a model
    per job on the first and one submitModels on the second. Gas of each, in all and per part."""
    producer, alice = ape.accounts.test_accounts[1], ape.accounts.test_accounts[2]
    deposit = price_wei(PRICE, PART, 1)
    uri = "ipfs://bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi"
    rows: dict[str, dict[str, int]] = {}
    for n in ASSEMBLY_SIZES:
        now = ape.chain.pending_timestamp
        opened = [
            orders.open(machine_id, REGION, 2_000_000, now, now + DAY, now + 10 * DAY, PRICE, ZERO_ADDRESS,
                        ZERO_ADDRESS, sender=producer).decode_logs(orders.OrderOpened)[0].orderId
            for _ in range(2)
        ]
        separate, together = opened
        joins = sum(
            int(orders.join(separate, PART, PART_VOLUME, 1, sender=alice, value=deposit).gas_used)
            for _ in range(n)
        )
        parts = [(list(PART), PART_VOLUME, 1)] * n
        assembly = int(orders.joinParts(together, parts, sender=alice, value=n * deposit).gas_used)
        for order_id in opened:
            orders.close(order_id, sender=producer)
        models = sum(
            int(orders.submitModel(separate, job, bytes([job]) * 32, uri, sender=alice).gas_used)
            for job in range(1, n + 1)
        )
        every = list(range(1, n + 1))
        model = int(orders.submitModels(together, every, b"\x07" * 32, uri, sender=alice).gas_used)
        rows[str(n)] = {
            "joins": joins, "join_parts": assembly, "join_per_part": assembly // n,
            "join_saving_pct": round(100 * (joins - assembly) / joins, 1),
            "submit_models_separately": models, "submit_models": model, "submit_per_part": model // n,
            "submit_saving_pct": round(100 * (models - model) / models, 1),
        }
    return rows


def run_market_rules(log: GasLog, orders: Any, machine_id: int, membership: Any | None) -> None:
    """Order 3 (its arbiter named at open in public mode): alice (twice), bob (twice) and
    carol join; bob leaves one job and the producer evicts carol's (like the leave, its
    refund is the customer's first credit: a fresh slot); bob's model is rejected, alice's
    first job is disputed and resolved by the arbiter, her second disputed and settled after
    the window."""
    deployer, producer, alice, bob, arbiter, carol = (ape.accounts.test_accounts[i] for i in range(6))
    if membership is not None:
        membership.grantRole(membership.ARBITER_ROLE(), arbiter, sender=deployer)
        membership.grantRole(membership.CUSTOMER_ROLE(), carol, sender=deployer)
    named = ZERO_ADDRESS if membership is not None else arbiter
    now = ape.chain.pending_timestamp
    opened = orders.open(machine_id, REGION, 2_000_000, now, now + DAY, now + 10 * DAY, PRICE, ZERO_ADDRESS,
                         named, sender=producer)
    order_id = opened.decode_logs(orders.OrderOpened)[0].orderId
    deposit = price_wei(PRICE, PART, 1)
    jobs = {}
    for name, customer in (
        ("resolved", alice), ("rejected", bob), ("settled", alice), ("left", bob), ("evicted", carol)
    ):
        orders.join(order_id, PART, PART_VOLUME, 1, sender=customer, value=deposit)
        jobs[name] = (customer, orders.jobCount(order_id))
    log.add("leave", orders.leave(order_id, jobs.pop("left")[1], sender=bob))
    log.add("evict", orders.evict(order_id, [jobs.pop("evicted")[1]], sender=producer))
    orders.close(order_id, sender=producer)
    for customer, job_id in jobs.values():
        orders.submitModel(order_id, job_id, bytes([job_id]) * 32, "ipfs://model", sender=customer)
    log.add("reject", orders.reject(order_id, jobs["rejected"][1], sender=producer))
    for name in ("resolved", "settled"):
        customer, job_id = jobs[name]
        orders.ship(order_id, job_id, sender=producer)
        log.add("dispute", orders.dispute(order_id, job_id, DISPUTE_REASON, sender=customer))
    log.add("resolve", orders.resolve(order_id, jobs["resolved"][1], deposit // 2, sender=arbiter))
    windows = orders.confirmationWindow() + orders.arbitrationWindow()
    ape.chain.mine(timestamp=ape.chain.pending_timestamp + windows)
    log.add("settle", orders.settle(order_id, jobs["settled"][1], sender=bob))


def print_table(report: dict[str, Any]) -> list[str]:
    missed = []
    click.echo(f"{'step':<16}{'gas used':>12}{'target':>12}{'members-only':>14}")
    for step, gas in report.items():
        if not isinstance(gas, int):
            continue
        target = TARGETS.get(step)
        mark = ""
        if target is not None and gas > target:
            mark = "  MISSED"
            missed.append(step)
        members = report["permissioned"].get(step)
        click.echo(
            f"{step:<16}{gas:>12,}{(f'{target:,}' if target else '-'):>12}"
            f"{(f'{members:,}' if members else '-'):>14}{mark}"
        )
    for name, gas in report["deploy"].items():
        click.echo(f"{'deploy ' + name:<28}{gas:>12,}")
    click.echo(f"{'assembly of n':<16}{'n joins':>12}{'joinParts':>12}{'per part':>10}"
               f"{'n models':>12}{'submitModels':>14}{'per part':>10}")
    for n, row in report.get("assembly", {}).items():
        click.echo(
            f"{n:<16}{row['joins']:>12,}{row['join_parts']:>12,}{row['join_per_part']:>10,}"
            f"{row['submit_models_separately']:>12,}{row['submit_models']:>14,}{row['submit_per_part']:>10,}"
        )
    return missed


@click.command(cls=commands.one_line(ConnectedProviderCommand))
@click.option("--out", default="reports/gas.json", show_default=True, type=click.Path(path_type=Path))
@click.option(
    "--evm",
    "target",
    type=click.Choice(evm.TARGETS),
    default=evm.CANCUN,
    show_default=True,
    help="Which build: cancun (public chains) or london (the members' geth network)",
)
def cli(out: Path, target: str) -> None:
    """Measure gas per order step and check the targets."""
    log, members_log = GasLog(), GasLog()
    deployed: dict[str, int] = {}
    run_lifecycle(log, deployed, target=target)
    members_deployed: dict[str, int] = {}
    run_lifecycle(members_log, members_deployed, permissioned=True, target=target)
    deployed["Membership"] = members_deployed["Membership"]
    report: dict[str, Any] = log.report()
    report["deploy"] = deployed
    report["permissioned"] = members_log.report()
    report["targets"] = TARGETS
    report["evm"] = target
    out.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(out, report)
    missed = print_table(report)
    click.echo(f"written to {out}")
    if missed:
        click.echo(f"targets missed: {', '.join(missed)}", err=True)
        sys.exit(1)
