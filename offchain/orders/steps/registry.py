"""The capacity registry: registering a machine."""

from __future__ import annotations

from offchain.chain.client import Chain, Step
from offchain.chain.codec import text16
from offchain.formats import dims_mm
from offchain.orders.steps.base import _send


def register_machine(
    c: Chain, process: str, material: str, envelope_um: tuple[int, int, int], metadata_uri: str
) -> Step:
    """Register a machine (process, material, build envelope, metadata URI)."""
    step = _send(
        c,
        "register-machine",
        c.registry.registerMachine,
        text16(process),
        text16(material),
        list(envelope_um),
        metadata_uri,
        summary=f"{process} machine, {material}, envelope {dims_mm(envelope_um)}",
    )
    machine_id = c.event_arg(step, "MachineRegistered", "machineId")
    step.data["machine_id"] = machine_id
    step.summary = f"machine {machine_id}: " + step.summary
    return step
