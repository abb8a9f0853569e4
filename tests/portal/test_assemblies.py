"""3MF and OBJ files on the part page: an assembly of five parts dropped as one 3MF is listed
part by part (box, volume, printability), previewed with three.js's own 3MF loader, and
priced against each open order part by part and in all; an OBJ is previewed with the OBJ
loader; a bad package is refused in one line and not kept."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from offchain import parts
from offchain.chain.codec import ZERO_ADDRESS, JobStatus
from offchain.devtools import models
from offchain.devtools import parts as testdata
from offchain.formats import dims_mm
from offchain.parts import printability
from offchain.parts.units import price_wei
from offchain.portal.pages import job_printability, price_text
from tests.portal.conftest import screenshot
from tests.portal.helpers import act_as, form_of, go, submit


def _drop(page, portal, path: Path) -> str:
    """Drop PATH on the part page as a person would; the id of the part page it leads to."""
    go(page, portal, "/parts")
    page.set_input_files("#stl", str(path))
    with page.expect_navigation(url="**/parts/*"):
        page.click("text=read the part")
    return page.url.split("/parts/", 1)[1].split("?", 1)[0]


def _preview(page) -> dict[str, str]:
    page.wait_for_selector("#preview[data-state]", timeout=30_000)
    names = ("state", "shown-parts", "part-triangles", "triangles")
    return {name: page.get_attribute("#preview", f"data-{name}") or "" for name in names}


def test_a_five_part_3mf_is_listed_previewed_and_priced_part_by_part(page, portal, fresh_order, tmp_path):
    _, order_id = fresh_order
    act_as(page, "alice")
    path = models.assembly(tmp_path / "housing.3mf")
    model = parts.read(path)
    assert len(model.parts) == 5

    part_id = _drop(page, portal, path)
    rows = page.locator("table.parts tbody tr")
    assert rows.count() == 5
    for row, named in zip(rows.all(), model.parts, strict=True):
        text = row.inner_text()
        assert named.name in text and dims_mm(named.data.chain_dims_um()) in text, text
        assert f"{named.data.volume_mm3:,.0f} mm3" in text
    # each part's printability report, loaded after the page (rays through the mesh take time)
    reports = page.locator("#printability tr.part-printability")
    expect(reports).to_have_count(5)
    ring = reports.filter(has_text="ring").inner_text()
    assert "overhangs more than 45 degrees" in ring, ring
    # the same 3MF, read in the browser by three.js's 3MFLoader: one object per build item
    shown = _preview(page)
    assert shown["state"] in ("shown", "no-webgl"), shown
    assert shown["shown-parts"] == "5"
    assert shown["part-triangles"] == ",".join(str(p.data.triangles) for p in model.parts)
    page.select_option("#preview-part", label="2. gear")
    assert page.get_attribute("#preview", "data-showing") == "1"

    # the fresh order's offer: each part priced as its own join, and the sum
    offer = page.locator("table.offers tbody tr").filter(has=page.get_by_role("link", name=f"#{order_id}"))
    price = int(portal.reader.orders.getOrder(order_id).pricePerCm3)
    each = [price_wei(price, p.data.chain_dims_um(), 1) for p in model.parts]
    token = ZERO_ADDRESS
    assert offer.locator("td.cost").inner_text().startswith(price_text(sum(each), token))
    each_text = " + ".join(price_text(cost, token) for cost in each)
    assert offer.locator(".part-costs").inner_text() == f"({each_text})"
    assert offer.get_by_role("button", name=f"join order {order_id} with all 5 parts").count() == 1
    assert "An assembly of 5 parts" in page.inner_text("p.price-rule")
    # a request is one part: the page says so in the step's own words, and offers no form
    names = ", ".join(named.name for named in model.parts)
    note = page.inner_text("p.request-note")
    assert f"housing.3mf holds 5 parts ({names}): this step takes one part" in note, note
    assert page.get_by_role("button", name="request production").count() == 0
    screenshot(page, "assembly-part-page")

    served = page.request.get(f"{portal.url}/parts/{part_id}/model.3mf")
    assert served.headers["content-type"] == "model/3mf" and served.body() == path.read_bytes()
    assert page.request.get(f"{portal.url}/parts/{part_id}/model.stl").status == 404


def test_an_obj_is_one_part_previewed_with_the_obj_loader(page, portal, tmp_path):
    act_as(page, "bob")
    gear = testdata.gear()
    path = models.write_obj(tmp_path / "gear.obj", [("gear", gear)])
    _drop(page, portal, path)
    assert "(obj, mm)" in page.inner_text("dl.public")
    shown = _preview(page)
    assert shown["state"] in ("shown", "no-webgl"), shown
    assert shown["shown-parts"] == "1" and shown["triangles"] == str(len(gear.faces))
    assert page.get_by_role("button", name="request production").count() == 1  # one part: requestable


def test_a_bad_3mf_is_refused_in_one_line_and_not_kept(page, portal, tmp_path):
    act_as(page, "bob")
    before = portal.workspace.parts()
    resources = (
        '<object id="1" type="model"><components><component objectid="2"/></components></object>'
        '<object id="2" type="model"><components><component objectid="1"/></components></object>'
    )
    cycle = tmp_path / "cycle.3mf"
    cycle.write_bytes(models.package({models.MODEL_PART: models.model_xml(resources, models.build_xml([1]))}))
    go(page, portal, "/parts")
    page.set_input_files("#stl", str(cycle))
    page.click("text=read the part")
    message = page.locator("#upload-result .result.refused").inner_text()
    assert message.startswith("cycle.3mf") and "1 -> 2 -> 1" in message and "\n" not in message.strip()
    assert str(tmp_path) not in message and ".upload" not in message  # the name as dropped, not the temp file
    assert portal.workspace.parts() == before


def test_a_jobs_printability_comes_from_the_fetched_model_once_there(tmp_path):
    """What the producer's order page shows per job: the report of the fetched model's part
    the job declared, else what the public data says (and which of the two it is)."""
    path = models.assembly(tmp_path / "housing.3mf")
    ring = next(p for p in parts.read(path).parts if p.name == "ring").data
    dims, volume, envelope_um = ring.chain_dims_um(), ring.chain_volume_mm3(), (250_000, 250_000, 250_000)

    lines, source = job_printability(None, dims, volume, envelope_um)
    assert source == "from the public data (box only)"
    assert lines == printability.from_public_data(dims, (250.0, 250.0, 250.0))
    assert lines == ("fits the machine in 6 of 6 orientations (xyz, xzy, yxz, yzx, zxy, zyx)",)

    lines, source = job_printability({"path": str(path)}, dims, volume, envelope_um)
    assert source == "from the fetched model (ring)"
    assert any("overhangs more than 45 degrees" in line for line in lines), lines

    lines, source = job_printability({"path": str(path)}, (9_000, 9_000, 9_000), 700, envelope_um)
    assert source == "from the public data (box only)"  # no part of the file is the job's
    too_big = printability.from_public_data((300_000, 10_000, 10_000), (250.0, 250.0, 250.0))
    assert too_big == (
        "the part (300.0 x 10.0 x 10.0 mm) does not fit the machine (250.0 x 250.0 x 250.0 mm) "
        "in any orientation",
    )


def test_a_five_part_3mf_goes_through_the_story_from_the_part_page(page, portal, fresh_order, tmp_path):
    """Match, one join (each part's price and the total confirmed first), one submission for
    the five jobs, one fetch that checks every part, ship and confirm each job."""
    _, order_id = fresh_order
    chain = portal.reader
    path = models.assembly(tmp_path / "housing.3mf")
    model = parts.read(path)
    price = int(chain.orders.getOrder(order_id).pricePerCm3)
    each = [price_wei(price, p.data.chain_dims_um(), 1) for p in model.parts]

    act_as(page, "alice")
    _drop(page, portal, path)
    button = f"join order {order_id} with all 5 parts"
    amounts = submit(page, button, confirm=False)
    for i, (named, cost) in enumerate(zip(model.parts, each, strict=True), 1):
        assert f"part {i}, {named.name}: " in amounts and price_text(cost, ZERO_ADDRESS) in amounts, amounts
    assert f"deposit {price_text(sum(each), ZERO_ADDRESS)} into escrow" in amounts, amounts
    assert chain.orders.jobCount(order_id) == 0  # nothing sent before the confirmation
    row = page.locator("table.offers tr", has=form_of(page, button))
    row.get_by_role("button", name="confirm join").click()
    done = row.locator(".result.ok")
    done.wait_for(timeout=60_000)
    assert done.inner_text().startswith(f"join: jobs 1, 2, 3, 4 and 5 of order {order_id}"), done.inner_text()
    jobs = [chain.orders.getJob(order_id, j) for j in range(1, 6)]
    declared = [sorted((j.dimX, j.dimY, j.dimZ)) for j in jobs]
    assert declared == [sorted(named.data.chain_dims_um()) for named in model.parts]  # in file order
    assert sum(j.deposit for j in jobs) == sum(each)

    act_as(page, "producer")
    go(page, portal, f"/orders/{order_id}")
    for job in range(1, 6):  # before the model: what the public data says, and that it says so
        cell = page.locator(f"#job-{job} td.printability")
        assert "from the public data (box only)" in cell.inner_text()
    assert "closed" in submit(page, f"close order {order_id}")

    act_as(page, "alice")
    go(page, portal, f"/orders/{order_id}")
    chosen = form_of(page, "submit-model job 3").locator("select[name=part] option:checked").inner_text()
    assert chosen.startswith("housing.3mf (mm)"), chosen  # the file whose part job 3 declared
    text = submit(page, "submit-model job 3", selects={"secret_key": "alice.sec.asc", "store": "file"})
    assert text.startswith(f"submit-model: jobs 1 to 5 of order {order_id} (5 parts of "), text  # one tx
    digests = {bytes(chain.orders.getJob(order_id, j).digest) for j in range(1, 6)}
    assert len(digests) == 1 and all(chain.orders.getJob(order_id, j).status == JobStatus.MODEL_SUBMITTED
                                     for j in range(1, 6))

    act_as(page, "producer")
    go(page, portal, f"/orders/{order_id}")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    text = submit(page, "fetch-model job 2", {"folder": str(inbox)}, {"secret_key": "producer.sec.asc"})
    assert "its 5 parts match the public data of jobs 1, 2, 3, 4, 5" in text, text
    saved = inbox / f"order{order_id}-job2.3mf"  # named by its format
    assert saved.read_bytes() == path.read_bytes()
    for job, named in enumerate(model.parts, 1):  # every job verified by the one fetch
        expect(page.locator(f"#job-{job} .verified")).to_contain_text("public data match")
        report = page.locator(f"#job-{job} td.printability")
        expect(report).to_contain_text(f"from the fetched model ({named.name})")
    screenshot(page, "assembly-order")
    for job in range(1, 6):
        assert "shipped" in submit(page, f"ship job {job}")

    act_as(page, "alice")
    go(page, portal, f"/orders/{order_id}")
    for job in range(1, 6):
        assert "received" in submit(page, f"confirm job {job}")
    assert all(chain.orders.getJob(order_id, j).status == JobStatus.COMPLETED for j in range(1, 6))


def test_an_obj_with_groups_as_parts_is_an_assembly_joined_in_one_step(page, portal, fresh_order, tmp_path):
    _, order_id = fresh_order
    act_as(page, "bob")
    path = models.assembly(tmp_path / "housing.obj", fmt="obj")
    whole, split = parts.read(path), parts.read(path, split_groups=True)
    assert len(whole.parts) == 1 and len(split.parts) == 5

    _drop(page, portal, path)  # read whole: one part, previewed whole
    shown = _preview(page)
    assert shown["shown-parts"] == "1" and shown["triangles"] == str(whole.parts[0].data.triangles)

    go(page, portal, "/parts")
    page.set_input_files("#stl", str(path))
    page.check("input[name=groups]")
    with page.expect_navigation(url="**/parts/*"):
        page.click("text=read the part")
    assert page.locator("table.parts tbody tr").count() == 5
    shown = _preview(page)
    assert shown["shown-parts"] == "5"
    assert shown["part-triangles"] == ",".join(str(p.data.triangles) for p in split.parts)
    go(page, portal, "/parts")
    assert "housing.obj (mm, groups as parts)" in page.inner_text("main")  # another part than the whole

    page.go_back()
    text = submit(page, f"join order {order_id} with all 5 parts")
    assert text.startswith(f"join: jobs 1, 2, 3, 4 and 5 of order {order_id}"), text
    declared = [sorted(portal.reader.orders.getJob(order_id, j)[k] for k in ("dimX", "dimY", "dimZ"))
                for j in range(1, 6)]
    assert declared == [sorted(p.data.chain_dims_um()) for p in split.parts]
