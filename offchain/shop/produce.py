"""A job from its model on chain to a finished print, and to shipment when the print is done.

``produce``: fetch, verify and decrypt the model (``orders.steps.fetch_model``), slice it with
the machine's profile, upload the G-code to the printer's OctoPrint and start the print.
``watch``: follow the print until OctoPrint records it done or failed (its file history,
written on PrintDone/PrintFailed), reporting an OctoPrint that stops answering and going on
when it answers again. Nothing is sent on chain unless the print is done (``ship`` then).

Each job has a folder of its own, ``<PRODNET_HOME>/shop/jobs/<chain>-<orders>-<order>-<job>/``:
the decrypted model, the G-code, ``record.json`` (which print was started on which printer,
its outcome) and ``print.log`` (every state observed, one JSON line each: the evidence for a
dispute, with the G-code's digest). The record is written before the print is started and
after, so a re-run never starts a second print of the job: it watches the first.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from offchain import config, parts
from offchain._fs import read_json, write_json_atomic
from offchain.chain.client import Chain, Step
from offchain.chain.codec import JobStatus, job_status
from offchain.formats import format_duration
from offchain.orders import steps
from offchain.orders.indexed import market_index
from offchain.parts.stl.binary import write_binary
from offchain.shop import printers as shop_printers
from offchain.shop.errors import PrinterRefusedError, PrinterUnreachableError, PrintFailedError, ShopError
from offchain.shop.octoprint import OctoPrint, PrintHistory
from offchain.shop.slicer import slice_part, slicer_command

#: Polls after the printer stopped printing our file without a recorded outcome: interrupted.
IDLE_POLLS_LIMIT = 10
#: How long a watch waits for an OctoPrint that does not answer before giving up (re-run resumes).
DOWN_LIMIT_S = 600.0

Notify = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


def job_folder(c: Chain, order_id: int, job_id: int) -> Path:
    d = c.deployment
    return config.shop_home() / "jobs" / f"{d.chain_id}-{d.orders.lower()}-{order_id}-{job_id}"


def _job_part(model: Path, job_id: int, fetched: steps.FetchedModel, notify: Notify) -> Path:
    """What the slicer gets for JOB_ID: the fetched file itself when it is one STL part; else (a
    3MF or OBJ, or an assembly whose file holds every part) the job's own part, as the fetch
    checked it against the chain, written beside it as ``part.stl`` (the slicer reads a file
    by its extension, and prints this job's part only)."""
    checked = [name for _, name, _ in fetched.parts]
    found = parts.read(model, keep_mesh=True)
    if len(found.parts) != len(checked):
        found = parts.read(model, keep_mesh=True, split_groups=True)  # as the fetch read it
    if found.format == "stl" and len(found.parts) == 1:
        return model
    index = [jid for jid, _, _ in fetched.parts].index(job_id)
    named = found.parts[index]
    if named.mesh is None:
        raise ShopError(f"job {job_id}'s part '{named.name}' has no triangles to slice")
    notify(f"job {job_id} is part '{named.name}' of the customer's {found.format.upper()} file "
           f"({len(found.parts)} part(s)): that part goes to the slicer")
    return write_binary(model.with_name("part.stl"), named.mesh)


def read_record(c: Chain, order_id: int, job_id: int) -> dict[str, Any]:
    return read_json(job_folder(c, order_id, job_id) / "record.json") or {}


def _write(folder: Path, record: dict[str, Any]) -> None:
    write_json_atomic(folder / "record.json", record)


def _log(folder: Path, **entry: Any) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "print.log", "a") as handle:
        handle.write(json.dumps({"at": round(time.time(), 3), **entry}) + "\n")


@dataclass(frozen=True)
class Production:
    """Where a job stands on the shop floor after ``produce`` or ``watch``."""

    state: str  # started | printing | printed | failed | shipped
    summary: str
    record: dict[str, Any]
    shipped: Step | None = None


def _ready(client: OctoPrint, printer: str, notify: Notify) -> None:
    """The printer is connected and idle, or a one-line refusal."""
    state = client.connection()
    if state.startswith(("Closed", "Offline")):
        notify(f"printer {printer}: OctoPrint is not connected to it ({state}); connecting")
        client.connect()
        for _ in range(30):
            time.sleep(1)
            state = client.connection()
            if not state.startswith(("Closed", "Offline", "Opening", "Detecting", "Connecting")):
                break
    if state != "Operational":
        raise PrinterRefusedError(
            f"printer {printer} is {state!r}, not ready: wait for it to be Operational (idle), then re-run"
        )


@dataclass(frozen=True)
class _Plan:
    """What ``produce`` would do: the printer, the machine's profile, the job's folder and
    record, or (``done``) what a re-run answers without printing."""

    printer: shop_printers.Printer
    profile: str
    folder: Path
    record: dict[str, Any]
    done: Production | None = None


def _plan(c: Chain, order_id: int, job_id: int, printer_name: str, retry: bool) -> _Plan:
    """The checks of ``produce`` before anything is fetched or printed (nothing is changed)."""
    index = market_index(c)
    order, job = index.order(order_id), index.job(order_id, job_id)
    if order is None or job is None:
        raise ShopError(f"order {order_id} has no job {job_id}")
    printer = shop_printers.get(printer_name)
    if printer.machine != int(order.machineId):
        raise ShopError(
            f"printer {printer_name} prints for machine {printer.machine}, but order {order_id} is on "
            f"machine {order.machineId}: choose one of its printers"
        )
    folder = job_folder(c, order_id, job_id)
    record = read_record(c, order_id, job_id)
    if int(job.status) in steps.SHIPPED_STATES:
        done = Production("shipped", f"job {job_id} of order {order_id} is already {job_status(job)}", record)
        return _Plan(printer, "", folder, record, done)
    state = record.get("state")
    if state in ("starting", "started", "printed"):
        done = Production(
            state if state != "starting" else "started",
            f"job {job_id} of order {order_id}: print {record['file']} already "
            f"{'done' if state == 'printed' else 'started'} on printer {record['printer']}; "
            "not printed again",
            record,
        )
        return _Plan(printer, "", folder, record, done)
    if state == "failed" and not retry:
        raise PrintFailedError(
            f"job {job_id} of order {order_id}: the print {record['file']} "
            f"{record.get('outcome', 'failed')}; nothing was sent on chain: pass --retry to print it again"
        )
    if int(job.status) != JobStatus.MODEL_SUBMITTED:
        raise ShopError(f"job {job_id} of order {order_id} is {job_status(job)}: no model to print yet")
    return _Plan(printer, shop_printers.machine_profile(printer.machine), folder, record)


def preview(c: Chain, order_id: int, job_id: int, printer_name: str, retry: bool = False) -> list[str]:
    """What ``produce`` would do, in lines a person confirms (the portal's confirmation): the
    same checks, the slicer looked for and the printer asked, nothing fetched or started."""
    plan = _plan(c, order_id, job_id, printer_name, retry)
    if plan.done is not None:
        return [plan.done.summary]
    slicer_command()
    state = plan.printer.client(timeout_s=5.0).connection()
    again = " again" if plan.record.get("state") == "failed" else ""
    return [
        f"print job {job_id} of order {order_id}{again} on printer {printer_name} "
        f"(machine {plan.printer.machine}, OctoPrint at {plan.printer.url}, now {state})",
        f"the model is fetched, verified and decrypted into {plan.folder}, sliced with profile "
        f"{plan.profile}, uploaded and started; nothing is sent on chain (ship once the print is done)",
    ]


def produce(
    c: Chain,
    order_id: int,
    job_id: int,
    printer_name: str,
    secret_key: Path,
    passphrase: str | None = None,
    ipfs_api: str | None = None,
    retry: bool = False,
    notify: Notify = _quiet,
) -> Production:
    """Producer: the job's model fetched, verified, decrypted, sliced with the machine's
    profile, uploaded and started on PRINTER_NAME; once per job (a re-run reports the print
    already started), again only with RETRY after a failed print."""
    plan = _plan(c, order_id, job_id, printer_name, retry)
    if plan.done is not None:
        return plan.done
    printer, profile, folder, record = plan.printer, plan.profile, plan.folder, plan.record
    client = printer.client()
    _ready(client, printer_name, notify)

    folder.mkdir(parents=True, exist_ok=True)
    model = folder / "model.stl"
    fetched = steps.fetch_model(c, order_id, job_id, secret_key, model, passphrase, ipfs_api)
    notify(f"fetched {fetched.uri} (sha256 {fetched.sha256[:16]}… verified, signed by the customer)")
    sliced = slice_part(_job_part(model, job_id, fetched, notify), profile)
    gcode = folder / "part.gcode"
    shutil.copyfile(sliced.gcode, gcode)
    notify(
        f"sliced with {profile}: {sliced.print_time_s // 3600}h {sliced.print_time_s % 3600 // 60}m, "
        f"{sliced.filament_g:g} g, {sliced.layers} layers, G-code sha256 {sliced.gcode_sha256[:16]}…"
        + (" (cached)" if sliced.cached else "")
    )
    attempt = int(record.get("attempt", 0)) + 1
    name = f"prodnet-o{order_id}-j{job_id}-{sliced.gcode_sha256[:12]}-{attempt}.gcode"
    if not client.has_file(name):
        client.upload(gcode, name)
    before = client.history(name).prints
    record = {
        "order": order_id, "job": job_id, "printer": printer_name, "machine": printer.machine,
        "octoprint": printer.url, "file": name, "attempt": attempt, "prints_before": before,
        "model_sha256": sliced.model_sha256, "ciphertext_sha256": fetched.sha256,
        "profile": profile, "profile_sha256": sliced.profile_sha256, "gcode_sha256": sliced.gcode_sha256,
        "estimate": sliced.to_json() | {"gcode": str(gcode)}, "state": "starting",
    }
    _write(folder, record)  # before the print starts: a crash now never leads to a second print
    client.print_file(name)
    record.update(state="started", started_at=int(time.time()))
    _write(folder, record)
    _log(folder, event="PrintStarted", file=name, gcode_sha256=sliced.gcode_sha256)
    summary = f"job {job_id} of order {order_id}: printing {name} on {printer_name}"
    return Production("started", summary, record)


def _outcome(record: dict[str, Any], history: PrintHistory) -> bool | None:
    """Whether the recorded print ended well (True), failed or was cancelled (False), or has not
    ended (None): OctoPrint counts a print of the file once it ends (PrintDone, PrintFailed)."""
    if history.prints > int(record["prints_before"]):
        return bool(history.last_success)
    return None


def _finish(folder: Path, record: dict[str, Any], success: bool, outcome: str) -> dict[str, Any]:
    record.update(state="printed" if success else "failed", outcome=outcome, ended_at=int(time.time()))
    _write(folder, record)
    _log(folder, event="PrintDone" if success else "PrintFailed", outcome=outcome)
    return record


def watch(
    c: Chain,
    order_id: int,
    job_id: int,
    poll_s: float = 2.0,
    down_limit_s: float = DOWN_LIMIT_S,
    notify: Notify = _quiet,
) -> Production:
    """Follow the job's print until it is done (``printed``) or failed; PrintFailedError on a
    failed, cancelled or interrupted print (nothing sent on chain)."""
    folder = job_folder(c, order_id, job_id)
    record = read_record(c, order_id, job_id)
    state = record.get("state")
    if state is None:
        raise ShopError(f"job {job_id} of order {order_id} has no print to watch: run 'order produce' first")
    if state == "failed":
        raise PrintFailedError(
            f"job {job_id} of order {order_id}: the print {record['file']} {record['outcome']}; "
            "nothing was sent on chain: pass --retry to print it again"
        )
    name = record["file"]
    if state != "printed":
        client = shop_printers.get(record["printer"]).client()
        down_since: float | None = None
        idle, last_shown = 0, -1.0
        while True:
            try:
                job, history = client.job(), client.history(name)
            except PrinterUnreachableError as exc:
                now = time.monotonic()
                if down_since is None:
                    down_since = now
                    notify(f"{exc} - still watching")
                    _log(folder, event="Unreachable", detail=str(exc))
                elif now - down_since > down_limit_s:
                    raise PrinterUnreachableError(
                        f"{exc}; gave up after {down_limit_s:g} s: re-run with --watch to resume"
                    ) from None
                time.sleep(poll_s)
                continue
            if down_since is not None:
                notify(f"OctoPrint answers again after {time.monotonic() - down_since:.0f} s: {job.state}")
                _log(folder, event="Reachable", state=job.state)
                down_since = None
            ok = _outcome(record, history)
            if ok is not None:
                record = _finish(folder, record, ok, "done" if ok else "failed or was cancelled")
                break
            if job.file == name and job.printing:
                idle = 0
                done = round(job.completion or 0.0, 1)
                if done >= last_shown + 10 or (done == 100 and last_shown < 100):
                    notify(f"printing {name}: {done:g}% ({job.state})")
                    last_shown = done
                _log(folder, state=job.state, completion=job.completion, print_time_s=job.print_time_s)
            else:
                idle += 1
                if idle > IDLE_POLLS_LIMIT:
                    record = _finish(folder, record, False, f"was interrupted (the printer is {job.state})")
                    break
            time.sleep(poll_s)
    if record["state"] == "failed":
        raise PrintFailedError(
            f"job {job_id} of order {order_id}: the print {name} {record['outcome']}; nothing was sent "
            "on chain: pass --retry to print it again"
        )
    return Production("printed", f"job {job_id} of order {order_id}: print {name} done", record)


#: A record in one of these states names a print that has not ended (as far as it knows).
RUNNING = ("starting", "started")


@dataclass(frozen=True)
class PrintView:
    """A job's print as a page shows it: its state (``""`` when none was started, ``started``,
    ``printing``, ``printed``, ``failed``, ``shipped``), one line, the printer, the progress."""

    state: str
    line: str
    printer: str = ""
    completion: float | None = None


def observe(c: Chain, order_id: int, job_id: int, timeout_s: float = 3.0) -> PrintView:
    """The job's print now: its record, and for a running print OctoPrint asked once (its
    job's progress, the file's history). A print OctoPrint counts as ended is recorded as
    ``watch`` records it; an OctoPrint that does not answer is said in the line, not raised."""
    folder = job_folder(c, order_id, job_id)
    record = read_record(c, order_id, job_id)
    state = record.get("state")
    if not state:
        return PrintView("", "")
    name, printer = str(record["file"]), str(record["printer"])
    if state in RUNNING:
        try:
            client = shop_printers.get(printer).client(timeout_s)
            job, history = client.job(), client.history(name)
        except ShopError as exc:
            return PrintView("started", f"{name} started on printer {printer}; {exc}", printer)
        ok = _outcome(record, history)
        if ok is None:
            if job.file == name and job.printing:
                left = f", {format_duration(job.time_left_s)} left" if job.time_left_s else ""
                done = job.completion or 0.0
                line = f"printing {name} on printer {printer}: {done:.0f}% ({job.state}{left})"
                return PrintView("printing", line, printer, done)
            return PrintView("started", f"{name} started on printer {printer}, which is {job.state}", printer)
        record = _finish(folder, record, ok, "done" if ok else "failed or was cancelled")
        state = record["state"]
    if state == "failed":
        line = (f"the print {name} on printer {printer} {record.get('outcome', 'failed')}; nothing was sent "
                "on chain: pass --retry to print it again")
        return PrintView("failed", line, printer)
    shipped = "; shipped" if state == "shipped" else ""
    return PrintView(state, f"print {name} done on printer {printer}{shipped}", printer, 100.0)


def ship(c: Chain, order_id: int, job_id: int) -> Step:
    """Ship a job, refused while its print runs on a printer (a part is shipped once printed);
    a job printed here gets its record marked shipped (``ship_printed``)."""
    seen = observe(c, order_id, job_id)
    if seen.state == "printing":
        raise ShopError(
            f"job {job_id} of order {order_id} is still printing ({seen.line}): "
            "ship it once the print is done"
        )
    if seen.state == "printed":
        return ship_printed(c, order_id, job_id)
    return steps.ship(c, order_id, job_id)


def ship_printed(c: Chain, order_id: int, job_id: int) -> Step:
    """Ship a job whose print is recorded done (and only then)."""
    folder = job_folder(c, order_id, job_id)
    record = read_record(c, order_id, job_id)
    if record.get("state") not in ("printed", "shipped"):
        raise ShopError(f"job {job_id} of order {order_id}: no finished print recorded; nothing shipped")
    step = steps.ship(c, order_id, job_id)
    record.update(state="shipped", ship_tx=step.tx_hash or record.get("ship_tx"))
    _write(folder, record)
    return step
