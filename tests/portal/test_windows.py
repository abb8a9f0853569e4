"""What the pages offer as a dispute's windows pass, on Anvil: a public order that named no
arbiter takes a dispute; nobody is offered `settle` while the arbitration window runs;
once it is over anyone (bob, no party to the job) settles it from the order page and the
customer gets the whole deposit back, as the default rule says.

This module moves the chain's clock by weeks, so it runs after the other portal tests
(the files run in name order), whose orders it would otherwise expire."""

from __future__ import annotations

from playwright.sync_api import expect

from offchain.chain.codec import ZERO_ADDRESS, JobStatus
from offchain.orders import report, steps
from offchain.transfer import storage
from tests.portal.helpers import act_as, go, submit

DAY = 86400


def _mine_at(timestamp: int) -> None:
    """Mine one block at TIMESTAMP on the portal's Anvil (Ape sees it as a plain node)."""
    from ape import networks

    web3 = networks.provider.web3
    for method, params in (("evm_setNextBlockTimestamp", [timestamp]), ("evm_mine", [])):
        response = web3.provider.make_request(method, params)
        assert "error" not in response, response


def test_a_dispute_without_an_arbiter_is_settled_from_the_page_once_the_window_is_over(page, portal, people):
    from ape import chain as ape_chain

    orders = portal.reader.orders
    producer, alice, bob = (people[n] for n in ("producer", "alice", "bob"))
    now = int(ape_chain.pending_timestamp)
    opened = steps.open_order(producer, 1, None, 600_000, now, now + 5 * DAY, now + 20 * DAY, 2 * 10**14)
    order_id = int(opened.data["order_id"])
    assert orders.arbiterOf(order_id) == ZERO_ADDRESS

    parts, store = portal.world.parts, storage.open_store("file", root=portal.world.file_store)
    steps.join(alice, order_id, parts["bracket"], 1)
    steps.close(producer, order_id)
    steps.submit_model(alice, order_id, 1, parts["bracket"], store, portal.world.key_folder / "alice.sec.asc")
    steps.ship(producer, order_id, 1)
    steps.dispute(alice, order_id, 1, "the part arrived cracked")
    job = orders.getJob(order_id, 1)
    deposit, shipped_at = int(job.deposit), int(job.shippedAt)
    until = shipped_at + int(orders.confirmationWindow()) + int(orders.arbitrationWindow())

    # while the arbitration window runs, nobody is offered settle; the page says when it ends
    act_as(page, "bob")
    go(page, portal, f"/orders/{order_id}")
    expect(page.locator("#job-1 .outcome")).to_contain_text("disputed", timeout=15_000)
    assert page.get_by_role("button", name="settle job 1").count() == 0
    _mine_at(until - 2)
    page.reload()
    assert page.get_by_role("button", name="settle job 1").count() == 0

    # at its end anyone settles: the whole deposit back to alice, nothing to the producer
    _mine_at(until)
    page.reload()
    credits = {who.actor: int(orders.credits(who.address, ZERO_ADDRESS)) for who in (producer, alice, bob)}
    text = submit(page, "settle job 1")
    assert "settled" in text, text
    assert orders.getJob(order_id, 1).status == JobStatus.RESOLVED
    assert orders.credits(alice.address, ZERO_ADDRESS) == credits["alice"] + deposit
    assert orders.credits(producer.address, ZERO_ADDRESS) == credits["producer"]
    assert orders.credits(bob.address, ZERO_ADDRESS) == credits["bob"]
    expect(page.locator("#job-1 .outcome")).to_contain_text("default rule", timeout=15_000)
    history = report.history_table(report.history(portal.reader, order_id))
    assert "job 1: settled by the default rule" in history
