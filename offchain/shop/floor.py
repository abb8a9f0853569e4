"""What the shop floor shows a producer on its pages: each job's print and its progress, which
jobs may go to print and on which printers, the printers of its machines and their state, and
a missing slicer, in one line (everything else goes on without it).

Reads the producer's local configuration and records, and asks OctoPrint; sends nothing on
chain. The portal's order and account pages, and its live updates while a print runs, read it.
"""

from __future__ import annotations

from collections.abc import Iterable

from offchain._fs import read_json
from offchain.chain.client import Chain
from offchain.chain.codec import JobStatus
from offchain.shop import printers as shop_printers
from offchain.shop.errors import SlicerMissingError
from offchain.shop.produce import RUNNING, PrintView, job_folder, observe
from offchain.shop.slicer import slicer_command


def slicer_missing() -> str:
    """The one line saying what to install when PrusaSlicer is missing, else ``""``."""
    try:
        slicer_command()
    except SlicerMissingError as exc:
        return str(exc)
    return ""


def order_prints(c: Chain, order_id: int, job_ids: Iterable[int]) -> dict[int, PrintView]:
    """The print of each of JOB_IDS that has one (see ``produce.observe``)."""
    found = {}
    for job_id in job_ids:
        if (job_folder(c, order_id, job_id) / "record.json").is_file():
            found[job_id] = observe(c, order_id, job_id)
    return found


def may_produce(job_status: int, seen: PrintView | None) -> bool:
    """A job goes to print once its model is on chain, and only if no print of it was started
    (or the last one failed: printed again)."""
    return int(job_status) == JobStatus.MODEL_SUBMITTED and (seen is None or seen.state in ("", "failed"))


def machine_printers(machine: int) -> list[str]:
    """The names of the printers linked to MACHINE."""
    return sorted(p.name for p in shop_printers.for_machine(machine))


def running(c: Chain) -> list[tuple[int, int]]:
    """(order, job) of each print of this deployment that has not ended, as recorded."""
    d = c.deployment
    prefix = f"{d.chain_id}-{d.orders.lower()}-"
    found = []
    for folder in sorted(job_folder(c, 0, 0).parent.glob(prefix + "*")):
        record = read_json(folder / "record.json") or {}
        if record.get("state") in RUNNING:
            found.append((int(record["order"]), int(record["job"])))
    return found


def printer_states(machines: Iterable[int]) -> list[shop_printers.PrinterStatus]:
    """Each printer linked to one of MACHINES, with its state as its OctoPrint reports it."""
    wanted = {int(m) for m in machines}
    chosen = [p for p in shop_printers.printers().values() if p.machine in wanted]
    return [shop_printers.status(p) for p in sorted(chosen, key=lambda p: p.name)]
