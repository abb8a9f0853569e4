"""3MF and OBJ files through the operator CLI: a five-part assembly (one 3MF) is matched as a
whole (the orders that take every part, its cost per part and in all) and goes through the
story (inspect with an order's prices, one join, one submission, one fetch with every part
checked, ship, confirm); a request is one part, so an assembly is refused in one line and a
single-part OBJ is requested; a producer's `order demands` says how each requested part fits
its machine."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from offchain import parts
from offchain.devtools import models
from offchain.devtools import parts as testdata
from offchain.formats import format_amount
from offchain.orders.market import PUBLIC_PRINTABILITY
from offchain.parts import printability
from offchain.parts.units import price_wei
from tests.e2e.helpers import NETWORK, parallel, parse_table
from tests.e2e.world import KEY_PASSPHRASE_ENV, MACHINE_ENVELOPE, World

PRICE_WEI = 2 * 10**14  # World.open_order's 0.0002 ETH per cm3


@pytest.fixture(scope="module")
def housing(e2e_dir: Path) -> Path:
    return models.assembly(e2e_dir / "housing.3mf")


def test_match_lists_the_orders_that_take_the_whole_assembly(public_world: World, housing: Path) -> None:
    w, p = public_world, public_world.people
    roomy = w.open_order()
    tight = w.open_order(capacity="40")  # 40 cm3: room for each part, not for the five (50.6 cm3)
    model = parts.read(housing)
    result = w.cli.run(p.alice, "order", "match", str(housing)).ok()
    assert f"{housing.name}: an assembly of 5 parts" in result.stdout, result.explain()
    for i, named in enumerate(model.parts, 1):
        assert f"  part {i}: {named.name}, " in result.stdout
    rows = {row["order"]: row for row in parse_table(result.stdout, "rank")}
    assert str(tight) not in rows and str(roomy) in rows, result.explain()
    each = [price_wei(PRICE_WEI, named.data.chain_dims_um(), 1) for named in model.parts]
    assert rows[str(roomy)]["cost"] == format_amount(sum(each))
    assert rows[str(roomy)]["cost per part"] == " + ".join(format_amount(cost) for cost in each)


def test_an_assembly_is_not_requested_and_a_single_part_obj_is(
    public_world: World, housing: Path, e2e_dir: Path,
) -> None:
    w, p = public_world, public_world.people
    request = ("--max-price", "0.001", "--end", "+3d", "--delivery", "+25d")  # after the orders' +21d
    nonce = w.rpc.nonce(p.bob.address)
    refused = w.cli.run(p.bob, "order", "request", str(housing), *request)
    names = ", ".join(named.name for named in parts.read(housing).parts)
    said = refused.error  # the steps' one-part check, before anything is sent
    assert said.startswith(f"{housing} holds 5 parts ({names}): this step takes one part"), said
    assert w.rpc.nonce(p.bob.address) == nonce  # nothing sent

    pin = testdata.box((6.0, 7.0, 33.0))
    obj = models.write_obj(e2e_dir / "pin.obj", [("pin", pin)])
    made = w.cli.run(p.bob, "order", "request", str(obj), *request).ok()
    requested = made.number(r"^request: order (\d+)")

    order_id = w.open_order()
    demands = w.cli.run(p.producer, "order", "demands", str(order_id)).ok()
    rows = parse_table(demands.stdout, "requested order")
    row = next(r for r in rows if r["requested order"] == str(requested))
    envelope_mm = [float(v) for v in MACHINE_ENVELOPE.removesuffix("mm").split("x")]
    _, ways = printability.fit((6_000, 7_000, 33_000), envelope_mm)
    assert row["part mm"] == "6x7x33" and row["fits as"] == " ".join(ways), demands.explain()
    assert PUBLIC_PRINTABILITY in demands.stdout


def test_a_five_part_3mf_goes_through_the_story_from_the_cli(
    public_world: World, housing: Path, file_store: Path, e2e_dir: Path,
) -> None:
    """inspect with the order's prices, one join, one submission, one fetch with every part
    checked, ship and confirm each job."""
    w, p = public_world, public_world.people
    order_id = w.open_order()
    model = parts.read(housing)
    each = [price_wei(PRICE_WEI, named.data.chain_dims_um(), 2) for named in model.parts]

    inspected = w.cli.plain(p.alice, "model", "inspect", str(housing), "--order", str(order_id),
                            "--quantity", "2", "--network", NETWORK, "--json").ok()
    data = json.loads(inspected.stdout)
    assert [part["quote"]["price"] for part in data["parts"]] == each
    assert data["order"]["price"] == sum(each) and data["order"]["id"] == order_id
    table = w.cli.plain(p.alice, "model", "inspect", str(housing), "--order", str(order_id),
                        "--quantity", "2", "--network", NETWORK).ok().stdout
    assert f"order {order_id}: 5 parts, one job each, " in table
    assert f"{format_amount(sum(each))} in all" in table

    joined = w.cli.run(p.alice, "order", "join", str(order_id), str(housing), "--quantity", "2").ok()
    for named in model.parts:  # each part's quote, then the one transaction
        assert f"{named.name}: part " in joined.stdout, joined.explain()
    assert f"join: jobs 1, 2, 3, 4 and 5 of order {order_id}: housing.3mf, 5 parts, " in joined.stdout
    assert w.rpc.receipt(joined.tx("join"))["status"] == "0x1"
    jobs = [w.orders.job(order_id, job) for job in range(1, 6)]
    assert [job["deposit"] for job in jobs] == each

    w.as_producer("close", str(order_id)).ok()
    submitted = w.cli.run(
        p.alice, "order", "submit-model", str(order_id), "1", str(housing),
        "--key", str(p.alice.secret_key), "--storage", "file", "--root", str(file_store),
    ).ok()
    assert f"submit-model: jobs 1 to 5 of order {order_id} (5 parts of housing.3mf)" in submitted.stdout
    assert {w.orders.job_status(order_id, job) for job in range(1, 6)} == {"model submitted"}

    out = e2e_dir / f"order{order_id}-job3.3mf"
    fetched = w.as_producer(
        "fetch-model", str(order_id), "3", "--key", str(p.producer.secret_key),
        "--passphrase-env", KEY_PASSPHRASE_ENV, "--out", str(out),
    ).ok()
    assert f"wrote {out}: 5 parts, each matches its job's public data on chain" in fetched.stdout
    for job, named in enumerate(model.parts, 1):
        assert f"  job {job}: {named.name}, " in fetched.stdout, fetched.explain()
    assert out.read_bytes() == housing.read_bytes()

    # each part ships and is confirmed on its own; the producer ships the next part while
    # alice confirms the one before (two actors at once, each in order)
    w.as_producer("ship", str(order_id), "1").ok()
    for job in range(2, 7):
        parallel(
            *([lambda job=job: w.as_producer("ship", str(order_id), str(job)).ok()] if job <= 5 else []),
            lambda job=job: w.cli.run(p.alice, "order", "confirm", str(order_id), str(job - 1)).ok(),
        )
    assert {w.orders.job_status(order_id, job) for job in range(1, 6)} == {"completed"}
