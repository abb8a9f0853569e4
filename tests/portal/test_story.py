"""The whole public story through the pages, both roles, on Anvil and two Kubo nodes: a new
customer makes and publishes a key, drops its part, joins an order found among the offers
(by keyboard alone), the producer closes it, the customer submits the encrypted model over
IPFS, the producer fetches it through its own Kubo node, checks and decrypts it, ships;
the customer confirms; the producer withdraws. Each step is checked on chain."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from offchain.chain.codec import JobStatus, OrderStatus
from offchain.devtools import parts as testdata
from tests.portal.conftest import screenshot
from tests.portal.helpers import act_as, address_of, form_of, go, submit

CUSTOMER = "test account 5"


def test_the_story_through_the_pages(page, portal, tmp_path):
    chain = portal.reader
    # the producer opens capacity from its account page
    act_as(page, "producer")
    page.click("text=My account")
    text = submit(
        page, "open order", {"capacity": "400cm3", "end": "+7d", "delivery": "+21d", "price": "0.0002"}
    )
    order_id = int(re.search(r"order (\d+):", text).group(1))
    assert chain.orders.getOrder(order_id).status == OrderStatus.OPEN

    # a new customer: a key made and published from the page
    act_as(page, CUSTOMER)
    page.click("text=My account")
    text = submit(page, "generate", {"name": "dave", "email": "dave@prodnet.example"})
    assert "dave.pub.asc" in text
    page.reload()
    text = submit(page, "register key", selects={"public_key": "dave.pub.asc"})
    assert "published key" in text, text

    # the part: dropped on the page, its public data and preview shown, offers ranked
    part = testdata.write_binary(tmp_path / "hinge.stl", testdata.bracket().triangles())
    page.click("text=A part")
    page.set_input_files("#stl", str(part))
    with page.expect_navigation(url=re.compile(r"/parts/[0-9a-f]{64}")):
        page.click("text=read the part")  # uploaded with its progress shown, then the part's page
    assert "80 x 80 x 5 mm" in page.inner_text("dl.public")
    page.wait_for_selector("#preview[data-state]")
    assert page.get_attribute("#preview", "data-triangles") == str(testdata.bracket().triangles().shape[0])
    screenshot(page, "part")

    # join by keyboard alone: focus the quantity of the offer, type, Enter
    join_form = page.locator("form.act", has=page.get_by_role("button", name=f"join order {order_id}"))
    join_form.locator("[name=quantity]").focus()
    page.keyboard.press("Control+A")
    page.keyboard.type("3")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused == f"join order {order_id}"
    page.keyboard.press("Enter")
    # the deposit is shown before anything is sent; confirmed by keyboard too
    row = page.locator("table.offers tr", has=join_form)
    confirm = row.get_by_role("button", name="confirm join")
    confirm.wait_for()
    assert "into escrow" in row.locator(".result.confirm").inner_text()
    assert chain.orders.jobCount(order_id) == 0  # nothing sent before the confirmation
    confirm.focus()
    page.keyboard.press("Enter")
    row.locator(".result.ok").wait_for()
    assert chain.orders.jobCount(order_id) == 1
    job = chain.orders.getJob(order_id, 1)
    assert job.quantity == 3 and job.status == JobStatus.JOINED

    # the producer closes it from the order page
    act_as(page, "producer")
    go(page, portal, f"/orders/{order_id}")
    assert "closed" in submit(page, f"close order {order_id}")
    assert chain.orders.getOrder(order_id).status == OrderStatus.CLOSED

    # the customer submits the encrypted model over IPFS; the page says once the producer's
    # node holds it too (the demo world runs the producer's follower)
    act_as(page, CUSTOMER)
    go(page, portal, f"/orders/{order_id}")
    chosen = form_of(page, "submit-model job 1").locator("select[name=part] option:checked").inner_text()
    assert chosen.startswith("hinge.stl (mm)"), chosen  # the part the job was joined with
    text = submit(page, "submit-model job 1", selects={"secret_key": "dave.sec.asc", "store": "ipfs"})
    assert "ipfs://" in text and "; pinned by 2 nodes: yours and 12D3KooW" in text, text
    assert chain.orders.getJob(order_id, 1).status == JobStatus.MODEL_SUBMITTED

    # the producer fetches it through its own node, verifies, decrypts, then ships
    act_as(page, "producer")
    go(page, portal, f"/orders/{order_id}")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    text = submit(
        page,
        "fetch-model job 1",
        {"folder": str(inbox), "ipfs_api": portal.world.producer_ipfs_api},
        {"secret_key": "producer.sec.asc"},
    )
    assert "verified" in text and "matches the public data on chain" in text, text
    saved = inbox / f"order{order_id}-job1.stl"
    assert saved.read_bytes() == part.read_bytes()
    expect(page.locator("#job-1 .verified")).to_contain_text("public data match")  # no reload needed
    assert "shipped" in submit(page, "ship job 1")
    # the page learns of the new block by server-sent events and refreshes the jobs in place
    expect(page.locator("#job-1 .job-status")).to_have_text("shipped", timeout=15_000)
    screenshot(page, "order")

    # the customer confirms receipt; the producer withdraws
    act_as(page, CUSTOMER)
    go(page, portal, f"/orders/{order_id}")
    assert "received" in submit(page, "confirm job 1")
    assert chain.orders.getJob(order_id, 1).status == JobStatus.COMPLETED
    act_as(page, "producer")
    page.click("text=My account")
    credit = chain.orders.credits(address_of(portal, "producer"), "0x" + "0" * 40)
    assert credit > 0
    assert "sent to" in submit(page, "withdraw")
    assert chain.orders.credits(address_of(portal, "producer"), "0x" + "0" * 40) == 0

    # the timeline shows every step with its transaction and gas
    go(page, portal, f"/orders/{order_id}")
    timeline = page.inner_text("table.timeline")
    for event in ("OrderOpened", "JobJoined", "OrderClosed", "ModelSubmitted", "JobShipped", "JobCompleted"):
        assert event in timeline



def test_market_page_filters_and_live_update(page, portal):
    go(page, portal, "/")
    assert "Open orders" in page.inner_text("main")
    screenshot(page, "market")
    rows = page.locator("table.orders tbody tr").count()
    page.fill("[name=max_price]", "0.0003")
    page.click("text=filter")
    expect(page.locator("table.orders tbody tr")).not_to_have_count(rows)
    assert "0.0006" not in page.inner_text("table.orders")
    page.fill("[name=max_price]", "a lot")
    page.click("text=filter")
    page.locator(".result.refused").wait_for()
    assert "a lot" in page.inner_text(".result.refused")
