"""The producer's shop floor on the portal, with a real OctoPrint and its Virtual Printer on
loopback and the real PrusaSlicer: from the order page the producer sends a joined job's model
to print (after confirming what will happen), follows the print's progress live, and ships the
part once it is printed. One click is one print (a double-click, a replayed form, a stale tab);
a part still on the printer is not shipped; the account page lists the printers and their
state, one that does not answer in one line; without PrusaSlicer the order page says what to
install in one line and the rest of it works."""

from __future__ import annotations

import json
import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from playwright.sync_api import expect

from offchain import config
from offchain.chain.client import Chain
from offchain.chain.codec import JobStatus
from offchain.devtools import parts as testdata
from offchain.devtools.anvil import free_port
from offchain.orders import steps
from offchain.shop import printers
from offchain.transfer import storage
from tests.portal.conftest import SCREENSHOTS, screenshot
from tests.portal.helpers import act_as, address_of, go, submit
from tests.utils.fixtures import shop_tools_missing

pytestmark = pytest.mark.skipif(bool(shop_tools_missing()), reason=shop_tools_missing() or "-")

PRINTER = "virtual"
ASLEEP = "asleep"  # a printer whose OctoPrint does not answer
PROFILE = "generic-pla-draft"
CHOICES = {"printer": PRINTER, "secret_key": "producer.sec.asc"}  # the produce form's choices
DAY = 86_400
#: ``SCREENSHOTS_TO_DOCS=1`` also writes the order page with a print in progress to docs/images.
DOCS_IMAGE = Path(__file__).resolve().parents[2] / "docs" / "images" / "portal-printing.png"


@dataclass(frozen=True)
class Shop:
    order: int
    jobs: list[int]
    machine: int
    producer: Chain


def _as(portal, label: str) -> Chain:
    from ape import accounts

    account = next(a for a in accounts.test_accounts if a.address == address_of(portal, label))
    r = portal.reader
    return Chain(r.deployment, r.registry, r.orders, None, account, label)


@pytest.fixture(scope="module")
def shop(octoprint, portal, tmp_path_factory: pytest.TempPathFactory) -> Shop:
    """A PLA machine of the demo producer with two printers (the virtual one, and one whose
    OctoPrint is not there), an order on it, closed, alice's three jobs with their models in."""
    from ape import chain

    producer, alice = _as(portal, "producer"), _as(portal, "alice")
    registered = steps.register_machine(producer, "FFF", "PLA", (200_000, 200_000, 200_000), "")
    machine = int(registered.data["machine_id"])
    printers.add(PRINTER, octoprint.url, octoprint.api_key_file, machine)
    printers.add(ASLEEP, f"http://127.0.0.1:{free_port()}", octoprint.api_key_file, machine)
    printers.set_machine_profile(machine, PROFILE)
    now = int(chain.pending_timestamp)
    order_id = int(
        steps.open_order(producer, machine, None, 900_000, now, now + 5 * DAY, now + 20 * DAY, 2 * 10**14)
        .data["order_id"]
    )
    # 14 x 14 x 3 mm: a print of seconds (not the CLI tests' chip: its own file name on the printer)
    tile = testdata.box((14, 14, 3)).triangles()
    chip = testdata.write_binary(tmp_path_factory.mktemp("shop") / "tile.stl", tile)
    jobs = [int(steps.join(alice, order_id, chip, 1).data["job_id"]) for _ in range(3)]
    steps.close(producer, order_id)
    store = storage.open_store("file", root=portal.world.file_store)
    for job in jobs:
        steps.submit_model(alice, order_id, job, chip, store, portal.world.key_folder / "alice.sec.asc")
    return Shop(order_id, jobs, machine, producer)


def job_files(octoprint, order_id: int, job_id: int) -> list[str]:
    """The files of job JOB_ID on the printer's OctoPrint."""
    answer = requests.get(
        f"{octoprint.url}/api/files/local", headers={"X-Api-Key": octoprint.api_key}, timeout=10
    )
    prefix = f"prodnet-o{order_id}-j{job_id}-"
    return [f["name"] for f in answer.json()["files"] if f["name"].startswith(prefix)]


def prints_of(octoprint, name: str) -> int:
    answer = requests.get(
        f"{octoprint.url}/api/files/local/{name}", headers={"X-Api-Key": octoprint.api_key}, timeout=10
    )
    found = answer.json().get("prints") or {}
    return int(found.get("success", 0)) + int(found.get("failure", 0))


def wait_idle(octoprint) -> None:
    deadline = time.monotonic() + 90
    while True:
        state = requests.get(
            f"{octoprint.url}/api/connection", headers={"X-Api-Key": octoprint.api_key}, timeout=10
        ).json()["current"]["state"]
        if state == "Operational":
            return
        assert time.monotonic() < deadline, f"the virtual printer is still {state}"
        time.sleep(0.5)


def record_of(portal, shop: Shop, job_id: int) -> dict:
    d = portal.reader.deployment
    folder = config.shop_home() / "jobs" / f"{d.chain_id}-{d.orders.lower()}-{shop.order}-{job_id}"
    return json.loads((folder / "record.json").read_text())


def test_the_producer_prints_a_job_from_its_order_page_follows_it_and_ships_it(page, portal, octoprint, shop):
    order_id, job = shop.order, shop.jobs[0]
    act_as(page, "producer")
    go(page, portal, f"/orders/{order_id}")
    cell = page.locator(f"#job-{job} td.print")
    expect(cell).to_have_text("not printed yet")

    # a second after each fan change (seven, from a third of the file to two thirds): a print to watch
    octoprint.send("!!DEBUG:sleep_after M106 1")
    try:
        said = submit(page, f"produce job {job}", selects=CHOICES)
        started = rf"job {job} of order {order_id}: printing prodnet-o{order_id}-j{job}-\S+ on {PRINTER}$"
        assert re.search(started, said), said

        # the progress comes live (server-sent events), no reload
        expect(cell).to_have_attribute("data-state", "printing", timeout=60_000)
        page.wait_for_function(
            f"() => {{ const p = document.querySelector('#job-{job} td.print progress'); "
            "return p !== null && p.value >= 25; }", timeout=60_000,
        )
        expect(cell).to_contain_text(f"on printer {PRINTER}: ")
        screenshot(page, "order-printing")
        if os.environ.get("SCREENSHOTS_TO_DOCS") == "1":
            page.locator("table.jobs").evaluate("t => t.scrollIntoView()")
            page.screenshot(path=str(DOCS_IMAGE))  # the viewport: the jobs and their prints
        expect(page.get_by_role("button", name=f"produce job {job}")).to_have_count(0)  # printed once

        expect(cell).to_have_attribute("data-state", "printed", timeout=120_000)
        expect(cell).to_contain_text(f"done on printer {PRINTER}")
    finally:
        octoprint.send("!!DEBUG:sleep_after M106 0")
    assert portal.reader.orders.getJob(order_id, job).status == JobStatus.MODEL_SUBMITTED  # nothing sent

    said = submit(page, f"ship job {job}")
    assert f"job {job} of order {order_id} shipped" in said, said
    assert portal.reader.orders.getJob(order_id, job).status == JobStatus.SHIPPED
    record = record_of(portal, shop, job)
    assert record["state"] == "shipped" and record["ship_tx"]
    assert job_files(octoprint, order_id, job) == [record["file"]]
    assert prints_of(octoprint, record["file"]) == 1
    expect(cell).to_contain_text("; shipped")


def test_one_click_is_one_print_and_a_part_on_the_printer_is_not_shipped(page, portal, octoprint, shop):
    order_id, job = shop.order, shop.jobs[1]
    act_as(page, "producer")
    go(page, portal, f"/orders/{order_id}")
    # what will happen first: nothing fetched or started before the confirmation
    preview = submit(page, f"produce job {job}", selects=CHOICES, confirm=False)
    assert f"print job {job} of order {order_id} on printer {PRINTER} (machine {shop.machine}" in preview
    assert "now Operational" in preview and "nothing is sent on chain" in preview, preview
    assert job_files(octoprint, order_id, job) == []

    octoprint.send("!!DEBUG:sleep_after_next G28 8")  # the print lasts while the test ships
    confirm = page.locator(".result.confirm").get_by_role("button", name="confirm produce")
    fields = confirm.evaluate(
        "b => Object.fromEntries([...b.closest('.confirming').querySelectorAll('input')]"
        ".map(i => [i.name, i.value]))"
    )
    confirm.dblclick()
    page.locator(".result.ok[data-action='produce']").wait_for(timeout=60_000)
    started = job_files(octoprint, order_id, job)
    assert len(started) == 1

    # the same form again (Back and resubmit), and a form from a tab rendered before the print
    post = lambda form: " ".join(re.sub(r"<[^>]+>", " ", page.request.post(  # noqa: E731
        f"{portal.url}/act/produce", form=form, headers={"Origin": portal.url}).text()).split())
    assert "already done (this form was sent before; nothing was sent again)" in post(fields)
    stale = post({**fields, "intent": secrets.token_urlsafe(18)})
    assert f"already started on printer {PRINTER}; not printed again" in stale, stale
    assert job_files(octoprint, order_id, job) == started

    # still on the printer: not shipped
    refused = submit(page, f"ship job {job}")
    assert f"job {job} of order {order_id} is still printing" in refused, refused
    assert portal.reader.orders.getJob(order_id, job).status == JobStatus.MODEL_SUBMITTED

    # cancelled on the printer: the page says so (nothing sent) and offers to print it again
    requests.post(f"{octoprint.url}/api/job", json={"command": "cancel"},
                  headers={"X-Api-Key": octoprint.api_key}, timeout=10).raise_for_status()
    wait_idle(octoprint)  # the cancelled print winds down
    assert prints_of(octoprint, started[0]) == 1, "OctoPrint did not record the cancelled print"
    cell = page.locator(f"#job-{job} td.print")
    expect(cell).to_have_attribute("data-state", "failed", timeout=30_000)
    expect(cell).to_contain_text(
        "failed or was cancelled; nothing was sent on chain: print it again (its button on the order's page)"
    )
    expect(page.get_by_role("button", name=f"print again job {job}")).to_have_count(1)
    assert portal.reader.orders.getJob(order_id, job).status == JobStatus.MODEL_SUBMITTED
    assert job_files(octoprint, order_id, job) == started


def test_a_printer_or_slicer_missing_is_one_line_the_rest_works(page, portal, octoprint, shop, monkeypatch):
    act_as(page, "producer")
    page.click("text=My account")
    rows = {
        row.locator("td").nth(0).inner_text(): row.locator("td.printer-state").inner_text()
        for row in page.locator("table.printers tbody tr").all()
    }
    assert rows[PRINTER] == "Operational"
    assert rows[ASLEEP] == "offline (OctoPrint does not answer)"

    job = shop.jobs[2]
    go(page, portal, f"/orders/{shop.order}")
    refused = submit(page, f"produce job {job}", selects={**CHOICES, "printer": ASLEEP}, confirm=False)
    down = (r"OctoPrint at http://127\.0\.0\.1:\d+ does not answer \(no connection\): "
            r"is it running and the URL right\?")
    assert re.fullmatch(down, refused), refused
    assert job_files(octoprint, shop.order, job) == []

    monkeypatch.setenv("PRODNET_SLICER", "prusa-slicer-not-installed")
    go(page, portal, f"/orders/{shop.order}")
    line = page.locator(f"#actions-job-{job} .shop-problem")
    expect(line).to_have_text(re.compile(r"^PrusaSlicer not found \(prusa-slicer-not-installed\): install "))
    expect(page.get_by_role("button", name=f"produce job {job}")).to_have_count(0)
    expect(page.get_by_role("button", name=f"ship job {job}")).to_have_count(1)  # the rest works
    expect(page.locator(f"#job-{job} td.print")).to_have_text("not printed yet")
    assert SCREENSHOTS.is_dir()
