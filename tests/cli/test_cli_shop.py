"""`ape run model slice` and `ape run printer` as a producer runs them: subprocesses in the
project root, each with a PRODNET_HOME of its own. The API key is never printed; faults are
one line."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from offchain import config
from offchain.devtools import parts as td
from offchain.shop import slicer
from tests.conftest import ROOT
from tests.utils.parts import FIXTURES

APE = Path(sys.executable).parent / "ape"
KEY = "fedcba9876543210fedcba9876543210"


def ape(home: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PRODNET_HOME=str(home))
    env.pop("PYTEST_CURRENT_TEST", None)
    env.pop("PRODNET_DEBUG", None)
    return subprocess.run(
        [str(APE), "run", *map(str, args)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )


def one_line_error(result: subprocess.CompletedProcess[str], *words: str) -> str:
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert all(word in lines[0] for word in words), lines[0]
    return lines[0]


@pytest.mark.skipif(shutil.which("prusa-slicer") is None, reason="make setup installs prusa-slicer")
def test_model_slice_shows_the_library_slice_and_refuses_an_open_mesh_in_one_line(tmp_path: Path) -> None:
    home = tmp_path / "home"
    part = td.write_binary(tmp_path / "block.stl", td.box((20, 20, 6)).triangles())
    sliced = ape(home, "model", "slice", part, "--profile", "generic-pla", "--json")
    assert sliced.returncode == 0, sliced.stderr
    data = json.loads(sliced.stdout)
    with config.scoped_home(home):
        expected = slicer.slice_part(part, "generic-pla")  # the CLI's slice, from its cache
    assert expected.cached and data == json.loads(json.dumps(expected.to_json() | {"cached": False}))
    table = ape(home, "model", "slice", part, "--profile", "generic-pla")
    assert table.returncode == 0, table.stderr
    assert re.search(r"^layers +30$", table.stdout, re.M) and re.search(r"^cached +yes$", table.stdout, re.M)
    one_line_error(ape(home, "model", "slice", FIXTURES / "open_box.stl", "--profile", "generic-pla"),
                   "open_box.stl cannot be printed")
    one_line_error(ape(home, "model", "slice", part, "--profile", "nylon"), "unknown slicing profile 'nylon'")


def test_printer_add_list_status_remove_never_show_the_key(tmp_path: Path) -> None:
    home = tmp_path / "home"
    key = tmp_path / "octoprint.key"
    key.write_text(KEY + "\n")
    key.chmod(0o644)
    refused = one_line_error(
        ape(home, "printer", "add", "mk3", "--octoprint", "http://127.0.0.1:9", "--api-key-file", key,
            "--machine", "1"),
        "may be read by others (mode 644): chmod 600",
    )
    assert KEY not in refused
    key.chmod(0o600)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{s.getsockname()[1]}"  # nothing listens once closed
    added = ape(home, "printer", "add", "mk3", "--octoprint", url, "--api-key-file", key, "--machine", "1",
                "--profile", "generic-petg")
    assert added.returncode == 0, added.stderr
    assert f"printer mk3: OctoPrint {url} for machine 1" in added.stdout
    listed = ape(home, "printer", "list")
    status = ape(home, "printer", "status", "--json")
    assert listed.returncode == 0 and status.returncode == 0, listed.stderr + status.stderr
    assert "mk3" in listed.stdout and "generic-petg" in listed.stdout
    assert json.loads(status.stdout) == [{"name": "mk3", "machine": 1, "url": url, "completion": None,
                                          "state": "offline (OctoPrint does not answer)", "file": None}]
    removed = ape(home, "printer", "remove", "mk3")
    assert removed.stdout.strip() == "printer mk3 removed"
    everything = "".join(r.stdout + r.stderr for r in (added, listed, status, removed))
    assert KEY not in everything and KEY not in (home / "shop" / "printers.json").read_text()
    one_line_error(ape(home, "printer", "remove", "mk3"), "no printer named 'mk3'")
