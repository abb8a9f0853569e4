"""The producer's shop floor, through the CLI: a joined job's model goes to a real OctoPrint with
its Virtual Printer (started here on loopback), sliced by the real PrusaSlicer, and to shipment
when the print is done. A failed or cancelled print sends nothing; a re-run never prints twice;
an OctoPrint that stops answering mid-print is reported and the watch goes on.

The virtual printer is made to dwell after the start G-code's home move (``G28``) when a test
needs the print to last: its own debug command, ``!!DEBUG:sleep_after_next G28 SECONDS``.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest
import requests

from offchain import config
from offchain.devtools import parts as testdata
from offchain.devtools.octoprint import OctoPrintServer
from offchain.formats import format_duration
from offchain.shop import slicer
from tests.e2e.helpers import (
    NETWORK,
    ROOT,
    Result,
    job_of_join,
    parallel,
    parse_table,
    sha256_file,
    venv_bin,
)
from tests.e2e.world import KEY_PASSPHRASE_ENV, World
from tests.utils.fixtures import shop_tools_missing

pytestmark = pytest.mark.skipif(bool(shop_tools_missing()), reason=shop_tools_missing() or "-")

PRINTER = "virtual"
PROFILE = "generic-pla-draft"


@pytest.fixture(scope="module")
def chip(e2e_dir: Path) -> Path:
    """A 12 x 12 x 3 mm block: about a thousand lines of G-code, a print of seconds."""
    return testdata.write_binary(e2e_dir / "chip.stl", testdata.box((12, 12, 3)).triangles())


@pytest.fixture(scope="module")
def shop(public_world: World, octoprint: OctoPrintServer) -> World:
    w = public_world
    added = w.cli.plain(
        w.people.producer, "printer", "add", PRINTER, "--octoprint", octoprint.url,
        "--api-key-file", str(octoprint.api_key_file), "--machine", str(w.machine_id), "--profile", PROFILE,
    ).ok()
    assert f"printer {PRINTER}: OctoPrint {octoprint.url} for machine {w.machine_id}" in added.stdout
    assert octoprint.api_key not in added.stdout + added.stderr
    assert octoprint.api_key not in (w.home / "shop" / "printers.json").read_text()
    return w


#: The jobs the tests print, one each: the customer who joins with it (alice joins twice).
ROLES = {"shipped": "alice", "cancelled": "bob", "printer error": "carol", "frozen": "alice"}


@pytest.fixture(scope="module")
def submitted(shop: World, chip: Path, file_store: Path) -> dict[str, tuple[int, int]]:
    """One order, a job per test joined by the customers at once, closed, each model submitted:
    {test: (order, job)}."""
    w = shop
    order_id = w.open_order(capacity="50")
    customers = {name: getattr(w.people, name) for name in set(ROLES.values())}

    def roles_of(name: str) -> list[str]:
        return [role for role, who in ROLES.items() if who == name]

    def join_all(name: str) -> list[tuple[str, int]]:
        joined = []
        for role in roles_of(name):
            result = w.cli.run(customers[name], "order", "join", str(order_id), str(chip)).ok()
            joined.append((role, job_of_join(w.rpc, result.tx("join"))[1]))
        return joined

    jobs = dict(pair for found in parallel(*(lambda n=n: join_all(n) for n in customers)) for pair in found)
    w.as_producer("close", str(order_id)).ok()

    def submit_all(name: str) -> None:
        for role in roles_of(name):
            w.cli.run(
                customers[name], "order", "submit-model", str(order_id), str(jobs[role]), str(chip),
                "--key", str(customers[name].secret_key), "--storage", "file", "--root", str(file_store),
            ).ok()

    parallel(*(lambda n=n: submit_all(n) for n in customers))
    assert all(w.orders.job_status(order_id, job) == "model submitted" for job in jobs.values())
    return {role: (order_id, job) for role, job in jobs.items()}


def produce_args(w: World, order_id: int, job_id: int, *extra: str) -> list[str]:
    return [
        "order", "produce", str(order_id), str(job_id), "--printer", PRINTER,
        "--key", str(w.people.producer.secret_key), "--passphrase-env", KEY_PASSPHRASE_ENV, "--poll", "0.5",
        *extra,
    ]


def produce(w: World, order_id: int, job_id: int, *extra: str) -> Result:
    return w.cli.run(w.people.producer, *produce_args(w, order_id, job_id, *extra))


def job_folder(w: World, order_id: int, job_id: int) -> Path:
    found = list((w.home / "shop" / "jobs").glob(f"31337-*-{order_id}-{job_id}"))
    assert len(found) == 1, found
    return found[0]


def api(octoprint: OctoPrintServer, method: str, path: str, **body: str) -> dict:
    """OctoPrint's REST API as the test's operator (GET without BODY, else POST of BODY)."""
    answer = requests.request(
        method, octoprint.url + path, json=body or None, headers={"X-Api-Key": octoprint.api_key}, timeout=10
    )
    answer.raise_for_status()
    return answer.json() if answer.content else {}


def wait_operational(octoprint: OctoPrintServer) -> None:
    """Until the printer is idle again (a cancelled print ends after the firmware's dwell)."""
    deadline = time.monotonic() + 60
    while api(octoprint, "GET", "/api/connection")["current"]["state"] != "Operational":
        assert time.monotonic() < deadline, "the virtual printer did not come back to Operational"
        time.sleep(0.5)


def history(octoprint: OctoPrintServer, name: str) -> dict[str, int]:
    prints = api(octoprint, "GET", f"/api/files/local/{name}").get("prints") or {}
    return {"success": prints.get("success", 0), "failure": prints.get("failure", 0)}


def job_files(octoprint: OctoPrintServer, order_id: int, job_id: int) -> list[str]:
    prefix = f"prodnet-o{order_id}-j{job_id}-"
    names = [f["name"] for f in api(octoprint, "GET", "/api/files/local")["files"]]
    return [name for name in names if name.startswith(prefix)]


def test_one_produce_takes_a_job_from_model_to_shipped(
    shop: World, octoprint: OctoPrintServer, chip: Path, submitted: dict[str, tuple[int, int]]
) -> None:
    w = shop
    order_id, job_id = submitted["shipped"]

    done = produce(w, order_id, job_id, "--ship-when-done").ok()
    assert "(sha256" in done.stdout and "verified, signed by the customer" in done.stdout
    assert f"sliced with {PROFILE}:" in done.stdout
    assert f"produce: job {job_id} of order {order_id}: print prodnet-o{order_id}-j{job_id}-" in done.stdout
    assert f"ship: job {job_id} of order {order_id} shipped" in done.stdout
    assert w.orders.job_status(order_id, job_id) == "shipped"

    # the evidence: the decrypted model, the G-code whose digest is recorded, the print's log
    folder = job_folder(w, order_id, job_id)
    record = json.loads((folder / "record.json").read_text())
    assert record["state"] == "shipped" and record["ship_tx"] == done.tx("ship")
    assert record["gcode_sha256"] == sha256_file(folder / "part.gcode")
    assert record["model_sha256"] == sha256_file(chip) == sha256_file(folder / "model.stl")
    assert record["estimate"]["print_time_s"] > 0 and record["estimate"]["layers"] == 10
    events = [json.loads(line).get("event") for line in (folder / "print.log").read_text().splitlines()]
    assert events[0] == "PrintStarted" and events[-1] == "PrintDone"
    assert history(octoprint, record["file"]) == {"success": 1, "failure": 0}

    # a re-run prints nothing and sends nothing
    again = produce(w, order_id, job_id, "--ship-when-done").ok()
    assert f"job {job_id} of order {order_id} is already shipped" in again.stdout
    assert history(octoprint, record["file"]) == {"success": 1, "failure": 0}
    assert job_files(octoprint, order_id, job_id) == [record["file"]]


def test_a_cancelled_print_sends_nothing_and_a_rerun_does_not_print_again(
    shop: World, octoprint: OctoPrintServer, submitted: dict[str, tuple[int, int]]
) -> None:
    w = shop
    order_id, job_id = submitted["cancelled"]
    octoprint.send("!!DEBUG:sleep_after_next G28 15")  # the print lasts long enough to be cancelled

    started = produce(w, order_id, job_id).ok()
    assert f"printing prodnet-o{order_id}-j{job_id}-" in started.stdout
    record = json.loads((job_folder(w, order_id, job_id) / "record.json").read_text())
    rerun = produce(w, order_id, job_id).ok()  # while it prints: not started twice
    assert "already started on printer virtual; not printed again" in rerun.stdout
    api(octoprint, "POST", "/api/job", command="cancel")

    watched = produce(w, order_id, job_id, "--watch", "--ship-when-done")
    assert watched.code != 0
    assert watched.error.startswith(f"job {job_id} of order {order_id}: the print ")
    assert "failed or was cancelled; nothing was sent on chain: pass --retry" in watched.error
    assert w.orders.job_status(order_id, job_id) == "model submitted"
    assert history(octoprint, record["file"]) == {"success": 0, "failure": 1}

    refused = produce(w, order_id, job_id, "--ship-when-done")
    assert refused.code != 0 and "pass --retry to print it again" in refused.error
    assert job_files(octoprint, order_id, job_id) == [record["file"]]
    assert w.orders.job_status(order_id, job_id) == "model submitted"
    wait_operational(octoprint)  # the cancelled print winds down: the next test prints


def test_a_printer_error_mid_print_sends_nothing(
    shop: World, octoprint: OctoPrintServer, submitted: dict[str, tuple[int, int]]
) -> None:
    w = shop
    order_id, job_id = submitted["printer error"]
    octoprint.send("!!DEBUG:sleep_after_next G28 10")
    produce(w, order_id, job_id).ok()
    octoprint.send("!!DEBUG:trigger_fatal_error_marlin")  # a thermal runaway, Marlin style
    try:
        watched = produce(w, order_id, job_id, "--watch", "--ship-when-done")
        assert watched.code != 0 and "nothing was sent on chain" in watched.error
        assert w.orders.job_status(order_id, job_id) == "model submitted"
    finally:  # the firmware left the printer in its error state: reconnect it for the next test
        api(octoprint, "POST", "/api/connection", command="connect")
        wait_operational(octoprint)


def test_octoprint_frozen_mid_print_is_reported_and_the_watch_resumes(
    shop: World, octoprint: OctoPrintServer, submitted: dict[str, tuple[int, int]]
) -> None:
    w = shop
    order_id, job_id = submitted["frozen"]
    octoprint.send("!!DEBUG:sleep_after_next G28 5")
    produce(w, order_id, job_id).ok()

    octoprint.pause()
    try:
        watcher = subprocess.Popen(
            [venv_bin("ape"), "run", *produce_args(w, order_id, job_id, "--ship-when-done"),
             "--network", NETWORK, "--account", w.people.producer.account],
            cwd=ROOT, env={**w.cli.env, "APE_DATA_FOLDER": str(w.people.producer.ape_dir)},
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        log = job_folder(w, order_id, job_id) / "print.log"
        deadline = time.monotonic() + 120
        while "Unreachable" not in log.read_text():  # the watch saw OctoPrint not answering
            assert watcher.poll() is None, watcher.communicate()
            assert time.monotonic() < deadline, "the watch never reported OctoPrint down"
            time.sleep(0.5)
    finally:
        octoprint.resume()
    out, err = watcher.communicate(timeout=300)
    assert watcher.returncode == 0, err
    assert "does not answer" in out and "still watching" in out
    assert "OctoPrint answers again after" in out
    assert f"ship: job {job_id} of order {order_id} shipped" in out
    assert w.orders.job_status(order_id, job_id) == "shipped"


def test_match_and_demands_show_the_print_estimate_on_a_machine_with_a_profile(
    shop: World, chip: Path, tmp_path: Path
) -> None:
    w, p = shop, shop.people
    with config.scoped_home(tmp_path / "own-slice"):
        expected = slicer.slice_part(chip, PROFILE)  # the same part and profile, sliced here
    time_text, material_text = format_duration(expected.print_time_s), f"{expected.filament_g:.1f} g PLA"
    order_id = w.open_order()

    matched = w.cli.run(p.bob, "order", "match", str(chip)).ok()
    offer = next(row for row in parse_table(matched.stdout, "rank") if row["order"] == str(order_id))
    assert (offer["print time"], offer["material"]) == (time_text, material_text), matched.explain()
    assert offer["lead time"].startswith(("20d", "21d")), matched.explain()  # delivery by +21d

    w.cli.run(p.alice, "order", "request", str(chip), "--max-price", "0.001", "--end", "+3d",
              "--delivery", "+30d").ok()
    demands = w.cli.run(p.producer, "order", "demands", str(order_id)).ok()
    wanted = [row for row in parse_table(demands.stdout, "requested order") if row["part mm"] == "12x12x3"]
    # known on chain by its box and volume only: a stand-in block of that volume, marked '~'
    # (the chip is itself a block: the stand-in's estimate is the part's)
    assert wanted and wanted[-1]["print time"] == "~" + time_text, demands.explain()
    assert wanted[-1]["material"] == "~" + material_text, demands.explain()
