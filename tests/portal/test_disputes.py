"""The fair market rules through the pages, on Anvil: the producer names its order's arbiter
and rejects a model; the customer disputes a shipped job; the arbiter's split larger than the
deposit is refused with the library's own sentence and changes nothing; the arbiter's split
is then credited as given. Each step is checked on chain; the order page, the market, the
arbiter's account page and the status and history views show what happened."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from offchain.chain.codec import ZERO_ADDRESS, JobStatus, OrderStatus
from offchain.errors import ProdnetError
from offchain.formats import format_amount
from offchain.orders import report, steps
from offchain.transfer import storage
from tests.portal.conftest import screenshot
from tests.portal.helpers import act_as, go, sent_count, submit

DAY = 86400



def test_a_dispute_through_the_pages_ends_with_the_arbiters_split(page, portal, people):
    orders = portal.reader.orders
    producer, alice, bob, arbiter = (people[n] for n in ("producer", "alice", "bob", "arbiter"))
    # the producer names the order's arbiter on the account page's form, when it opens the order
    act_as(page, "producer")
    go(page, portal, "/account")
    text = submit(page, "open order", {"capacity": "600cm3", "end": "+5d", "delivery": "+20d",
                                       "price": "0.0002", "arbiter": arbiter.address}, {"machine": "1"})
    order_id = orders.orderCount()
    assert f"order {order_id}" in text and arbiter.address in text, text
    assert orders.arbiterOf(order_id) == arbiter.address
    go(page, portal, f"/orders/{order_id}")
    assert arbiter.address in page.inner_text("dd.arbiter")

    # alice and bob join, the order closes, both models are submitted, alice's part ships (library)
    parts, store = portal.world.parts, storage.open_store("file", root=portal.world.file_store)
    for who, part in ((alice, "bracket"), (bob, "gear")):
        steps.join(who, order_id, parts[part], 1)
    steps.close(producer, order_id)
    for job, (who, part) in enumerate(((alice, "bracket"), (bob, "gear")), start=1):
        secret = portal.world.key_folder / f"{who.actor}.sec.asc"
        steps.submit_model(who, order_id, job, parts[part], store, secret)
    steps.ship(producer, order_id, 1)
    deposits = {job: int(orders.getJob(order_id, job).deposit) for job in (1, 2)}
    credit = {who.actor: int(orders.credits(who.address, ZERO_ADDRESS)) for who in (producer, alice, bob)}

    # the producer rejects bob's model: the reject fee to it, the rest back to bob; no cancel offered
    page.reload()
    assert page.get_by_role("button", name=f"cancel order {order_id}").count() == 0
    text = submit(page, "reject job 2")
    assert "rejected" in text, text
    fee = deposits[2] // 10
    assert orders.getJob(order_id, 2).status == JobStatus.REJECTED
    assert orders.credits(bob.address, ZERO_ADDRESS) == credit["bob"] + deposits[2] - fee
    assert orders.credits(producer.address, ZERO_ADDRESS) == credit["producer"] + fee
    expect(page.locator("#job-2 .outcome")).to_contain_text("model rejected", timeout=15_000)

    # alice disputes her shipped part within the confirmation window
    act_as(page, "alice")
    go(page, portal, f"/orders/{order_id}")
    assert "may confirm or dispute until" in page.inner_text("#job-1 .outcome")
    text = submit(page, "dispute job 1", {"reason": "the bracket's holes are 2 mm off"})
    assert "disputed" in text, text
    assert orders.getJob(order_id, 1).status == JobStatus.DISPUTED
    expect(page.locator("#job-1 .outcome")).to_contain_text("the arbiter may resolve it", timeout=15_000)

    # the arbiter finds the dispute on its account page, then opens the order
    act_as(page, "arbiter")
    page.click("text=My account")
    said = "the customer says \u201cthe bracket's holes are 2 mm off\u201d"
    assert f"order {order_id}, job 1: {said}; disputed" in page.inner_text("ul.arbitrate")
    go(page, portal, f"/orders/{order_id}")
    assert "arbiter" in page.inner_text("dd.arbiter")
    assert said in page.inner_text("#job-1 .outcome")

    # a split larger than the deposit: the library's sentence, nothing sent, nothing changed
    too_much = f"{deposits[1] + 1} wei"
    nonce = sent_count(arbiter.address)
    text = submit(page, "resolve job 1", {"to_producer": too_much})
    with pytest.raises(ProdnetError) as refused:
        steps.resolve(arbiter, order_id, 1, deposits[1] + 1)
    assert text == " ".join(str(refused.value).split()), text
    assert "more than job 1's deposit" in text, text
    assert sent_count(arbiter.address) == nonce
    assert orders.getJob(order_id, 1).status == JobStatus.DISPUTED
    assert orders.credits(producer.address, ZERO_ADDRESS) == credit["producer"] + fee

    # the arbiter's split: three quarters to the producer, the rest back to alice
    share = deposits[1] * 3 // 4
    text = submit(page, "resolve job 1", {"to_producer": f"{share} wei"})
    assert "resolved" in text, text
    assert orders.getJob(order_id, 1).status == JobStatus.RESOLVED
    assert orders.credits(producer.address, ZERO_ADDRESS) == credit["producer"] + fee + share
    assert orders.credits(alice.address, ZERO_ADDRESS) == credit["alice"] + deposits[1] - share
    assert orders.credits(arbiter.address, ZERO_ADDRESS) == 0
    expect(page.locator("#job-1 .outcome")).to_contain_text("resolved by the arbiter", timeout=15_000)
    timeline = page.inner_text("table.timeline")
    for event in ("ArbiterNamed", "JobRejected", "JobDisputed", "JobResolved"):
        assert event in timeline
    split = f"{format_amount(share)} to the producer, {format_amount(deposits[1] - share)} to the customer"
    assert split in page.inner_text("#job-1 .outcome")
    screenshot(page, "order-dispute")

    # the status and history views say the same
    status = report.status(portal.reader, order_id)
    assert f"arbiter of order {order_id}: {arbiter.address}" in status
    assert "resolved by the arbiter" in status and "model rejected" in status
    assert "1 rejected, 1 disputed (1 split)" in status
    history = report.history_table(report.history(portal.reader, order_id))
    assert f"job 1: resolved by the arbiter {arbiter.address}" in history
    assert "job 2: model rejected by the producer" in history

    # the market shows the producer's record of rejections and disputes
    go(page, portal, "/")
    cells = page.locator("table.orders td.disputes").all_inner_texts()
    assert cells and all(re.search(r"\b1 rejected, 1 disputed \(1 split\)", c) for c in cells), cells
    assert portal.reader.orders.getOrder(order_id).status == OrderStatus.CLOSED
