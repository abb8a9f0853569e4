"""The producer's printers and the slicing profile of each machine, kept off chain.

``<PRODNET_HOME>/shop/printers.json``: each printer's name, OctoPrint URL, the path of its
API key file (the key itself is never stored, printed or logged: it is read from a file only
its owner may read, mode 600) and the registered machine it prints for.
``<PRODNET_HOME>/shop/machines.json``: the slicing profile attached to a machine id.
"""

from __future__ import annotations

import re
import stat
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from offchain import config
from offchain._fs import read_json, write_json_atomic
from offchain.shop.errors import PrinterConfigError, PrinterRefusedError, PrinterUnreachableError
from offchain.shop.octoprint import OctoPrint
from offchain.shop.slicer import profile_path

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass(frozen=True)
class Printer:
    name: str
    url: str
    api_key_file: str
    machine: int

    def client(self, timeout_s: float | None = None) -> OctoPrint:
        key = read_api_key(Path(self.api_key_file))
        return OctoPrint(self.url, key) if timeout_s is None else OctoPrint(self.url, key, timeout_s)


def _printers_file() -> Path:
    return config.shop_home() / "printers.json"


def _machines_file() -> Path:
    return config.shop_home() / "machines.json"


def read_api_key(path: Path) -> str:
    """The API key in PATH, refused unless only its owner may read it (mode 600 or 400)."""
    try:
        mode = path.stat().st_mode
    except OSError:
        raise PrinterConfigError(f"no API key file at {path}: write the key into it (chmod 600)") from None
    if not stat.S_ISREG(mode):
        raise PrinterConfigError(f"{path} is not a regular file: give the file holding the API key")
    if mode & 0o077:
        raise PrinterConfigError(
            f"API key file {path} may be read by others (mode {stat.S_IMODE(mode):03o}): chmod 600 {path}"
        )
    key = path.read_text().strip()
    if not key:
        raise PrinterConfigError(f"API key file {path} is empty: write the key OctoPrint gave you into it")
    return key


def printers() -> dict[str, Printer]:
    raw = read_json(_printers_file()) or {}
    return {name: Printer(**data) for name, data in raw.items()}


def get(name: str) -> Printer:
    found = printers().get(name)
    if found is None:
        known = ", ".join(sorted(printers())) or "none yet"
        raise PrinterConfigError(f"no printer named {name!r} (printers: {known}): add it with 'printer add'")
    return found


def _save(all_printers: dict[str, Printer]) -> None:
    write_json_atomic(_printers_file(), {n: asdict(p) for n, p in sorted(all_printers.items())})


def add(name: str, url: str, api_key_file: Path, machine: int, replace: bool = False) -> Printer:
    """Record a printer (its key file checked first, OctoPrint not asked: it may be off)."""
    if not _NAME.match(name):
        raise PrinterConfigError(f"printer name {name!r}: use letters, digits, '.', '_' or '-' (at most 64)")
    if not url.startswith(("http://", "https://")):
        raise PrinterConfigError(f"--octoprint {url!r} is not an http(s) URL, e.g. http://octopi.local")
    read_api_key(api_key_file)
    current = printers()
    if name in current and not replace:
        raise PrinterConfigError(f"a printer named {name!r} exists: remove it first, or pass --replace")
    printer = Printer(name, url.rstrip("/"), str(api_key_file.resolve()), machine)
    current[name] = printer
    _save(current)
    return printer


def remove(name: str) -> Printer:
    current = printers()
    printer = current.pop(name, None)
    if printer is None:
        raise PrinterConfigError(f"no printer named {name!r}: nothing removed")
    _save(current)
    return printer


def for_machine(machine: int) -> list[Printer]:
    return [p for p in printers().values() if p.machine == machine]


def machine_profiles() -> dict[int, str]:
    return {int(k): str(v) for k, v in (read_json(_machines_file()) or {}).items()}


def set_machine_profile(machine: int, profile: str) -> Path:
    """Attach slicing PROFILE to MACHINE (checked to exist)."""
    path = profile_path(profile)
    profiles = machine_profiles()
    profiles[machine] = profile
    write_json_atomic(_machines_file(), {str(k): v for k, v in sorted(profiles.items())})
    return path


def machine_profile(machine: int) -> str:
    profile = machine_profiles().get(machine)
    if profile is None:
        raise PrinterConfigError(
            f"machine {machine} has no slicing profile: attach one with "
            f"'printer profile {machine} NAME' (e.g. generic-pla)"
        )
    return profile


@dataclass(frozen=True)
class PrinterStatus:
    printer: Printer
    state: str
    file: str | None = None
    completion: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {"name": self.printer.name, "machine": self.printer.machine, "url": self.printer.url,
                "state": self.state, "file": self.file, "completion": self.completion}


def status(printer: Printer) -> PrinterStatus:
    """The printer's state as OctoPrint reports it; a printer that does not answer is
    ``offline`` (or ``key refused``), not an error: the list still shows the others."""
    try:
        client = printer.client(timeout_s=3.0)
        job = client.job()
    except PrinterUnreachableError:
        return PrinterStatus(printer, "offline (OctoPrint does not answer)")
    except PrinterRefusedError:
        return PrinterStatus(printer, "API key refused")
    except PrinterConfigError as exc:
        return PrinterStatus(printer, f"unusable: {exc}")
    return PrinterStatus(printer, job.state, job.file, job.completion)
