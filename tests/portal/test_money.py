"""A portal a company can trust with money, as its people use it: one payment per click (a
double-click, a resubmitted form), each tab acting as its own account, keys and parts that
belong to their owner, pages that follow the chain and keep a real address. Each story is
checked on chain."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from offchain.chain.codec import ZERO_ADDRESS, OrderStatus
from offchain.orders import steps
from offchain.portal.workspace import part_id
from tests.portal.conftest import screenshot
from tests.portal.helpers import act_as, address_of, form_of, go, sent_count, submit

DAY = 86400






def _bracket(portal, owner: str, units: str = "mm") -> str:
    bracket = portal.world.parts["bracket"]
    return portal.workspace.add_part(bracket.name, [bracket.read_bytes()], units, 1 << 20, owner).id


def test_a_double_click_and_a_resubmitted_form_pay_once(page, portal, fresh_order):
    _, order_id = fresh_order
    alice = address_of(portal, "alice")
    act_as(page, "alice")
    go(page, portal, f"/parts/{_bracket(portal, alice)}")
    amounts = submit(page, f"join order {order_id}", confirm=False)
    assert re.search(r"deposit [\d.]+ ETH into escrow", amounts), amounts
    assert portal.reader.orders.jobCount(order_id) == 0  # the amounts come first, nothing sent
    nonce = sent_count(alice)

    row = page.locator("table.offers tr", has=form_of(page, f"join order {order_id}"))
    confirm = row.get_by_role("button", name="confirm join")
    fields = confirm.evaluate(
        "b => Object.fromEntries([...b.closest('.confirming').querySelectorAll('input')]"
        ".map(i => [i.name, i.value]))"
    )
    confirm.dblclick()
    row.locator(".result.ok").wait_for(timeout=60_000)
    assert portal.reader.orders.jobCount(order_id) == 1
    assert sent_count(alice) == nonce + 1  # one transaction, one deposit

    # Back and resubmit: the browser sends the same form again, token and all
    again = page.request.post(f"{portal.url}/act/join", form=fields, headers={"Origin": portal.url})
    text = " ".join(re.sub(r"<[^>]+>", " ", again.text()).split())
    already = "already done (this form was sent before; nothing was sent again)"
    assert f"{already}: join: job 1 of order {order_id}" in text, text
    assert portal.reader.orders.jobCount(order_id) == 1 and sent_count(alice) == nonce + 1
    job = portal.reader.orders.getJob(order_id, 1)
    assert job.customer == alice


def test_two_tabs_act_as_their_own_accounts(page, portal, fresh_order):
    _, order_id = fresh_order
    bob = address_of(portal, "bob")
    act_as(page, "bob")
    go(page, portal, f"/parts/{_bracket(portal, bob)}")
    other = page.context.new_page()  # a second tab of the same browser
    other.goto(page.url)
    act_as(other, "producer")  # switching there changes nothing here
    assert "bob (" in page.locator("#actor option:checked").inner_text()
    text = submit(page, f"join order {order_id}")
    assert text.startswith(f"join: job 1 of order {order_id}"), text
    assert portal.reader.orders.getJob(order_id, 1).customer == bob
    other.close()
    go(page, portal, f"/orders/{order_id}")  # giving a place up looks apart from the other steps
    expect(page.get_by_role("button", name="leave job 1")).to_have_class(re.compile(r"\bdanger\b"))


def test_a_form_that_names_no_account_sends_nothing(page, portal, fresh_order):
    producer, order_id = fresh_order
    act_as(page, "producer")
    go(page, portal, f"/orders/{order_id}")
    form = form_of(page, f"close order {order_id}")
    fields = form.evaluate("f => Object.fromEntries(new FormData(f))")
    del fields["account"]  # a form edited by hand, or made elsewhere, that names nobody
    nonce = sent_count(producer.address)
    answer = page.request.post(f"{portal.url}/act/close", form=fields, headers={"Origin": portal.url})
    text = " ".join(re.sub(r"<[^>]+>", " ", answer.text()).split())
    assert answer.status == 400
    assert "this form does not name the account it acts for: reload the page and send it again" in text
    assert sent_count(producer.address) == nonce
    assert portal.reader.orders.getOrder(order_id).status == OrderStatus.OPEN


def test_keys_offered_are_the_acting_accounts_own(page, portal):
    act_as(page, "admin")
    page.click("text=My account")
    offered = form_of(page, "register key").locator("select[name=public_key] option").all_inner_texts()
    assert not {"alice.pub.asc", "bob.pub.asc", "producer.pub.asc"} & set(offered), offered
    made = submit(page, "generate", {"name": "Acme Corp", "email": "print@acme.example"})
    assert "Acme-Corp.pub.asc" in made, made  # a name with a space makes a usable file name
    page.reload()
    offered = form_of(page, "register key").locator("select[name=public_key] option").all_inner_texts()
    assert "Acme-Corp.pub.asc" in offered  # made here by admin: admin's
    act_as(page, "alice")
    assert "Acme-Corp.pub.asc" not in form_of(page, "register key").inner_text()
    offered = form_of(page, "register key").locator("select[name=public_key] option")
    assert offered.first.inner_text() == "alice.pub.asc"
    assert offered.first.evaluate("o => o.selected")  # the key alice published, preselected
    assert "bob.pub.asc" not in offered.all_inner_texts()


def test_a_reupload_in_inches_is_another_part(page, portal, fresh_order):
    _, order_id = fresh_order
    alice, bob = address_of(portal, "alice"), address_of(portal, "bob")
    mm = _bracket(portal, alice)
    act_as(page, "alice")
    go(page, portal, f"/parts/{mm}")
    submit(page, f"join order {order_id}")
    inches = _bracket(portal, bob, "inch")  # bob drops the same file, read in inches
    assert inches != mm and inches == part_id(portal.workspace.part(mm).sha256, "inch")
    go(page, portal, f"/parts/{mm}")
    assert "80 x 80 x 5 mm" in page.inner_text("dl.public")  # alice's part is unchanged
    go(page, portal, "/parts")
    assert "(inch)" not in page.inner_text("main")  # bob's part is bob's, not on alice's list
    model = page.request.get(f"{portal.url}/parts/{mm}/model.stl")  # what the 3D preview loads
    assert model.headers["cache-control"] == "private, max-age=31536000, immutable"  # read once


def test_the_order_page_follows_the_chain_without_a_reload(page, portal, fresh_order):
    producer, order_id = fresh_order
    act_as(page, "producer")
    go(page, portal, f"/orders/{order_id}")
    expect(page.locator("h1 .status")).to_have_text("open")
    close = page.get_by_role("button", name=f"close order {order_id}")
    expect(close).to_be_visible()
    steps.close(producer, order_id)  # from the command line, say
    expect(page.locator("h1 .status")).to_have_text("closed", timeout=15_000)
    expect(page.locator(".order-status")).to_have_text("closed")
    expect(close).to_have_count(0)


def test_a_filtered_market_has_a_real_address(page, portal):
    go(page, portal, "/")
    page.fill("[name=material]", "pa12")  # a search: the case does not matter
    with page.expect_navigation():
        page.click("text=filter")
    assert "material=pa12" in page.url and "/fragments/" not in page.url
    rows = page.locator("table.orders tbody tr").count()
    assert "PA12" in page.inner_text("table.orders")
    page.reload()
    expect(page.locator("header nav")).to_be_visible()  # the whole page, header and all
    expect(page.locator("table.orders tbody tr")).to_have_count(rows)


def test_an_unknown_address_gets_the_portals_own_page(page, portal):
    response = page.goto(f"{portal.url}/no/such/page")
    assert response.status == 404
    expect(page.locator("header nav")).to_be_visible()
    assert "there is no page at /no/such/page" in page.inner_text("main")
    response = page.goto(f"{portal.url}/?as={ZERO_ADDRESS}")
    assert response.status == 400
    assert "is not one of this portal's accounts" in page.inner_text("main")


def test_phone_width_pages_fit_the_screen(browser, portal):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    tab = context.new_page()
    tab.goto(portal.entry)
    alice = address_of(portal, "alice")
    pages = (("market", "/"), ("order", "/orders/1"), ("part", f"/parts/{_bracket(portal, alice)}"))
    for name, path in pages:
        tab.goto(f"{portal.url}{path}")
        width = tab.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{name}: {width} px wide"
        screenshot(tab, f"phone-{name}")
    context.close()


def test_the_account_page_follows_its_steps_without_a_reload(page, portal):
    act_as(page, "producer")
    page.click("text=My account")
    machines = form_of(page, "open order").locator("select[name=machine] option")
    before = machines.count()
    machine = {"process": "FDM", "material": "PETG", "envelope": "250x210x220mm"}
    text = submit(page, "register machine", machine)
    assert text.startswith("register-machine: machine "), text
    expect(machines).to_have_count(before + 1, timeout=15_000)  # the new machine, offered at once
    assert "PETG" in machines.last.inner_text()
    assert "register-machine: machine " in page.inner_text("#account-result-4")  # the answer stays


def test_the_quote_says_what_a_customer_pays_for(page, portal, fresh_order):
    _, order_id = fresh_order
    alice = address_of(portal, "alice")
    act_as(page, "alice")
    part = _bracket(portal, alice)
    go(page, portal, f"/parts/{part}?quantity=2")
    rule = page.inner_text(".price-rule")
    assert "You pay for build space, not for the part's own volume: its bounding box (80 x 80 x 5 mm" in rule
    assert "x 2 =" in rule, rule
    offer = page.locator("table.offers tr", has=form_of(page, f"join order {order_id}"))
    assert "SLS, PA12" in offer.inner_text() and "per part" in offer.inner_text()
    assert re.search(r"\(in \d+ days\)", offer.inner_text())
    # a request shows its deposit before anything is sent
    nonce = sent_count(alice)
    amounts = submit(page, "request production", {"max_price": "0.001"}, confirm=False)
    assert re.search(r"deposit [\d.]+ ETH into escrow now", amounts), amounts
    assert sent_count(alice) == nonce
    # a quantity that is not one is named, never silently replaced
    go(page, portal, f"/parts/{part}?quantity=99999999999")
    assert "quantity '99999999999' is not a whole number from 1 to" in page.inner_text("main")
    act_as(page, "admin")  # an account without machines is led to register one first
    page.click("text=My account")
    assert "Register a machine first" in form_of(page, "open order").inner_text()
