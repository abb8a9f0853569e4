"""Bad input through the pages: each refusal shows the library's own sentence next to its
form, and nothing changes on chain (same nonce, same job count, same state)."""

from __future__ import annotations

from offchain.chain.codec import JobStatus, OrderStatus
from offchain.devtools import parts as testdata
from offchain.orders import steps
from tests.portal.conftest import LOCKED_PASSPHRASE, UPLOAD_LIMIT_MIB, screenshot
from tests.portal.helpers import act_as, address_of, form_of, go, sent_count, submit

DAY = 86400






def test_a_file_that_is_not_stl_is_refused_and_not_kept(page, portal, tmp_path):
    before = portal.workspace.parts()
    fake = tmp_path / "drawing.stl"
    fake.write_bytes(b"%PDF-1.7\n" + b"x" * 400)
    go(page, portal, "/parts")
    page.set_input_files("#stl", str(fake))
    page.click("text=read the part")
    message = page.locator("#upload-result .result.refused").inner_text()
    assert "drawing.stl: not an STL file, it is a PDF document" in message, message
    assert portal.workspace.parts() == before
    assert not [p for p in portal.workspace.parts_folder.iterdir() if p.name.startswith(".")]


def test_a_file_over_the_limit_is_refused_before_sending(page, portal, tmp_path):
    big = testdata.write_binary(tmp_path / "big.stl", testdata.torus_with_triangles(30_000).triangles())
    assert big.stat().st_size > UPLOAD_LIMIT_MIB << 20
    go(page, portal, "/parts")
    page.set_input_files("#stl", str(big))
    page.click("text=read the part")
    message = page.locator("#upload-result .result.refused").inner_text()
    assert f"big.stl is larger than the portal's limit of {UPLOAD_LIMIT_MIB} MiB" in message
    assert "big.stl" not in [name for _, name in portal.workspace.parts()]


def test_a_stale_join_form_after_the_order_closed_changes_nothing(page, portal, fresh_order):
    producer, order_id = fresh_order
    act_as(page, "alice")
    bracket = portal.world.parts["bracket"]
    part_id = portal.workspace.add_part(bracket.name, [bracket.read_bytes()], "mm", 1 << 20).id
    go(page, portal, f"/parts/{part_id}")
    button = f"join order {order_id}"
    page.get_by_role("button", name=button).wait_for()
    steps.close(producer, order_id)  # meanwhile the producer closes the order
    nonce = sent_count(address_of(portal, "alice"))
    text = submit(page, button)
    assert text == f"order {order_id} is closed; parts join only open orders"
    assert portal.reader.orders.getOrder(order_id).status == OrderStatus.CLOSED
    assert portal.reader.orders.jobCount(order_id) == 0
    assert sent_count(address_of(portal, "alice")) == nonce
    screenshot(page, "refused-stale-join")


def test_another_accounts_key_is_neither_offered_nor_used_and_nothing_is_saved(page, portal, tmp_path):
    # order 2 of the demo world: closed, bob's model submitted, the producer's turn
    act_as(page, "producer")
    go(page, portal, "/orders/2")
    form = form_of(page, "fetch-model job 1")
    offered = form.locator("select[name=secret_key] option").all_inner_texts()
    assert offered[0] == "producer.sec.asc" and "alice.sec.asc" not in offered, offered
    folder = tmp_path / "inbox"
    folder.mkdir()
    # a form that names alice's key anyway (edited by hand) is refused, nothing fetched
    form.locator("select[name=secret_key]").evaluate(
        "s => { const o = document.createElement('option'); o.text = 'alice.sec.asc'; s.add(o); }"
    )
    text = submit(
        page,
        "fetch-model job 1",
        {"folder": str(folder), "ipfs_api": portal.world.producer_ipfs_api},
        {"secret_key": "alice.sec.asc"},
    )
    assert text.startswith("secret key: alice.sec.asc is not one of this account's keys"), text
    assert list(folder.iterdir()) == []
    assert portal.reader.orders.getJob(2, 1).status == JobStatus.MODEL_SUBMITTED


def test_a_wrong_passphrase_signs_nothing(page, portal, locked_account):
    act_as(page, "locked")
    page.click("text=My account")
    made = submit(page, "generate", {"name": "locked-key", "email": "locked@prodnet.example"})
    assert "locked-key.pub.asc" in made, made
    page.reload()
    nonce = sent_count(locked_account.address)
    key = {"public_key": "locked-key.pub.asc"}
    text = submit(page, "register key", {"account_passphrase": "not it"}, key)
    assert text == "cannot unlock account 'locked': wrong passphrase; nothing was sent"
    assert sent_count(locked_account.address) == nonce
    text = submit(page, "register key", {"account_passphrase": LOCKED_PASSPHRASE}, key)
    assert text.startswith("register-key: published key"), text
    assert sent_count(locked_account.address) == nonce + 1


def test_a_bad_quantity_is_named(page, portal):
    act_as(page, "producer")
    page.click("text=My account")
    text = submit(page, "open order", {"end": "next tuesday", "delivery": "+21d", "price": "0.0002"})
    assert text.startswith("time 'next tuesday': expected an ISO date"), text
