"""`ape run demo` as `make demo` runs it (its own Anvil and Kubo nodes): the story completes,
and its folder of secret keys and plaintext parts is gone afterwards unless --keep."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
import requests

from tests.e2e.helpers import ROOT, venv_bin
from tests.utils.fixtures import shop_tools_missing


def _demo(tmp_path: Path, *args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PRODNET_", "PYTEST_"))}
    env.update(TMPDIR=str(tmp_path), APE_DATA_FOLDER=str(tmp_path / "ape"), **settings)
    return subprocess.run(
        [venv_bin("ape"), "run", "demo", *args], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=900, stdin=subprocess.DEVNULL, check=False,
    )


def test_demo_runs_the_story_and_leaves_no_secrets_behind(tmp_path: Path) -> None:
    result = _demo(tmp_path, "--keep")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "== alice confirms receipt; bob disputes his gear and the arbiter (admin) splits" in result.stdout
    assert re.search(r"^  \[admin\] resolve: job 2 of order 1 resolved: ", result.stdout, re.M), result.stdout
    assert "== the producer and bob withdraw their credit" in result.stdout
    # alice's model is pinned by the producer's node too before her submit-model returns; her
    # node is stopped right after, and the producer still fetches, decrypts and ships it
    submitted = re.search(r"^  \[alice\] submit-model: job 1 of order 1: (ipfs://\S+) .*; pinned by 2 "
                          r"nodes: yours and 12D3KooW", result.stdout, re.M)
    assert submitted, result.stdout
    out = result.stdout[submitted.end():]
    assert out.index("[alice] closes her laptop: her Kubo node is stopped") < out.index(
        "[producer] job 1: ipfs://") < out.index("[producer] ship: job 1 of order 1")
    # once alice confirmed, the follower releases the pin it made for her job
    assert f"[producer's follower] released job 1 of order 1's model {submitted.group(1)} (the job is " \
           "completed)" in out
    # deposits are the price of the build space: alice's 80 x 80 x 5 mm bracket x4 is 128 cm3 at
    # 0.0002 ETH/cm3 (its 13 cm3 of material would have cost 0.0104 ETH)
    assert "13023 mm3 x4: needs 128000 mm3 of 500000 mm3 left, price 0.0256 ETH" in result.stdout
    # the public demo names its arbiter (the admin) when the order opens; each join shows it
    opened = re.search(r"^  \[producer\] open: order 1: .*; arbiter (0x[0-9a-fA-F]{40})(?: \(tx|$)",
                       result.stdout, re.M)
    assert opened, result.stdout
    joins = re.findall(r"^  \[(?:alice|bob)\] join: job \d of order 1: .*$", result.stdout, re.M)
    assert len(joins) == 2 and all(f"; arbiter {opened.group(1)} resolves its disputes" in j for j in joins)
    kept = re.search(r"^kept the demo's folder \(secret keys, plaintext parts\): (\S+)$", result.stdout, re.M)
    assert kept, result.stdout
    folder = Path(kept.group(1))
    assert folder.is_dir() and any(folder.rglob("*.sec.asc")), "--keep keeps the keys where it says"

    again = _demo(tmp_path)
    assert again.returncode == 0, again.stdout + again.stderr
    left = [p for p in tmp_path.glob("prodnet-demo-*") if p != folder]
    assert left == [], f"the demo left {left} behind"


def test_the_demo_with_printers_says_what_to_install_and_starts_nothing_without_them(tmp_path: Path) -> None:
    result = _demo(tmp_path, "--printers", PRODNET_SLICER="prusa-slicer-not-installed")
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith(
        "error: the demo with printers needs PrusaSlicer and OctoPrint: PrusaSlicer not found "
        "(prusa-slicer-not-installed): install it with 'make setup'"
    ), result.stderr
    assert "Traceback" not in result.stderr and "== prodnet demo" not in result.stdout
    assert list(tmp_path.glob("prodnet-demo-*")) == [] and list(tmp_path.glob("prodnet-octoprint-*")) == []


@pytest.mark.skipif(bool(shop_tools_missing()), reason=shop_tools_missing() or "-")
def test_the_demo_with_printers_prints_a_job_ships_it_when_printed_stops_octoprint(tmp_path: Path) -> None:
    result = _demo(tmp_path, "--printers")
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    printer = re.search(
        r"^== the producer's printer virtual: OctoPrint (http://127\.0\.0\.1:\d+) with its Virtual Printer",
        out, re.M,
    )
    assert printer, out
    # alice's job goes through order produce --ship-when-done; bob's is fetched and shipped by hand
    said = out[out.index("[producer] alice's job 1 goes to the printer"):]
    order = [
        "[producer] fetched ipfs://", "[producer] sliced with generic-pla-draft: ",
        "[producer] job 1 of order 1: printing prodnet-o1-j1-",
        "[producer] job 1 of order 1: print prodnet-o1-j1-",
        "[producer] ship: job 1 of order 1 shipped", "[producer] ship: job 2 of order 1 shipped",
    ]
    assert [said.index(line) for line in order] == sorted(said.index(line) for line in order), said
    assert re.search(r"^  \[producer\] printing prodnet-o1-j1-\S+: [\d.]+% \(Printing\)$", said, re.M), said
    assert "[alice] confirm: job 1 of order 1 received" in out
    # the demo's OctoPrint is stopped, and its folder gone with the demo's
    with pytest.raises(requests.ConnectionError):
        requests.get(printer.group(1), timeout=5)
    assert list(tmp_path.glob("prodnet-demo-*")) == []
