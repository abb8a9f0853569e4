"""The producer's printers, kept off chain: the API key stays in its mode-600 file (never in a
record, never shown), a machine's slicing profile, and a printer that does not answer shown as
offline rather than failing the list."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest

from offchain import config
from offchain.shop import printers
from offchain.shop.errors import PrinterConfigError, PrinterUnreachableError, ProfileError
from offchain.shop.octoprint import OctoPrint

KEY = "0123456789abcdef0123456789abcdef"


def key_file(folder: Path, mode: int = 0o600) -> Path:
    path = folder / "octoprint.key"
    path.write_text(KEY + "\n")
    path.chmod(mode)
    return path


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # free once closed: nothing listens there


def test_a_printer_names_its_key_file_and_never_holds_the_key(tmp_path: Path) -> None:
    printer = printers.add("mk3", "http://127.0.0.1:5000/", key_file(tmp_path), machine=1)
    assert printer.url == "http://127.0.0.1:5000"
    stored = (config.shop_home() / "printers.json").read_text()
    assert KEY not in stored
    assert json.loads(stored)["mk3"] == {
        "name": "mk3", "url": "http://127.0.0.1:5000", "machine": 1,
        "api_key_file": str(tmp_path / "octoprint.key"),
    }
    assert printers.get("mk3") == printer
    assert printers.for_machine(1) == [printer] and printers.for_machine(2) == []
    with pytest.raises(PrinterConfigError, match="a printer named 'mk3' exists: remove it first, or pass"):
        printers.add("mk3", "http://other", key_file(tmp_path), machine=2)
    printers.remove("mk3")
    with pytest.raises(PrinterConfigError, match=r"no printer named 'mk3' \(printers: none yet\)"):
        printers.get("mk3")


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
def test_a_key_file_others_may_read_is_refused(tmp_path: Path, mode: int) -> None:
    path = key_file(tmp_path, mode)
    with pytest.raises(PrinterConfigError, match=rf"may be read by others \(mode {mode:03o}\): chmod 600 "):
        printers.add("mk3", "http://127.0.0.1:5000", path, machine=1)
    assert not (config.shop_home() / "printers.json").exists()


def test_missing_or_empty_key_files_and_bad_names_are_refused(tmp_path: Path) -> None:
    with pytest.raises(PrinterConfigError, match="no API key file at"):
        printers.add("mk3", "http://127.0.0.1:5000", tmp_path / "none", machine=1)
    empty = tmp_path / "empty"
    empty.touch(mode=0o600)
    os.chmod(empty, 0o600)
    with pytest.raises(PrinterConfigError, match="is empty"):
        printers.add("mk3", "http://127.0.0.1:5000", empty, machine=1)
    with pytest.raises(PrinterConfigError, match="is not an http"):
        printers.add("mk3", "octopi.local", key_file(tmp_path), machine=1)
    with pytest.raises(PrinterConfigError, match="use letters, digits"):
        printers.add("my printer", "http://octopi.local", key_file(tmp_path), machine=1)


def test_a_machine_carries_one_slicing_profile() -> None:
    with pytest.raises(PrinterConfigError, match="machine 3 has no slicing profile: attach one with"):
        printers.machine_profile(3)
    printers.set_machine_profile(3, "generic-petg")
    assert printers.machine_profile(3) == "generic-petg"
    printers.set_machine_profile(3, "generic-pla")
    assert printers.machine_profiles() == {3: "generic-pla"}
    with pytest.raises(ProfileError, match="unknown slicing profile 'nylon'"):
        printers.set_machine_profile(3, "nylon")
    assert printers.machine_profiles() == {3: "generic-pla"}


def test_a_printer_that_does_not_answer_is_offline_and_its_key_is_not_in_the_message(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    printer = printers.add("mk3", url, key_file(tmp_path), machine=1)
    assert printers.status(printer).state == "offline (OctoPrint does not answer)"
    with pytest.raises(PrinterUnreachableError) as raised:
        OctoPrint(url, KEY, timeout_s=2).job()
    assert str(raised.value).startswith(f"OctoPrint at {url} does not answer (no connection)")
    assert KEY not in str(raised.value)
