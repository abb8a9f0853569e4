"""The commands of the market rules (evictions, rejects, disputes, arbiters named at open and
request, the token allowlist, the deployment's windows): bad input is one line and a usage
exit code, read before any node is asked. Most cases run the scripts' click commands
in-process (fast); a few go through `ape run` as a user types them."""

from __future__ import annotations

import importlib.util
from functools import cache
from types import ModuleType

import click
import pytest
from click.testing import CliRunner

from offchain.cli import params
from offchain.cli import quantities as q
from tests.conftest import ROOT
from tests.utils.keys import ape_run, assert_one_line_error

ADDRESS = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"
OPEN = ["open", "--machine", "1", "--end", "+7d", "--delivery", "+21d", "--price", "0"]
REQUEST = ["request", str(ROOT / "README.md"), "--max-price", "0.001", "--end", "+3d", "--delivery", "+9d"]


@cache
def script(name: str) -> ModuleType:
    """scripts/NAME.py loaded the way `ape run NAME` loads it."""
    spec = importlib.util.spec_from_file_location(f"prodnet_script_{name}", ROOT / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def one_line_usage_error(script_name: str, args: list[str], *needles: str) -> str:
    result = CliRunner(mix_stderr=False).invoke(script(script_name).cli, args)
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 2, (result.exit_code, result.output, result.stderr, result.exception)
    assert len(lines) == 1 and lines[0].startswith("error: ") and lines[0].endswith("(see --help)"), lines
    assert "Traceback" not in result.output + result.stderr
    for needle in needles:
        assert needle in lines[0], f"{needle!r} not in {lines[0]!r}"
    return lines[0]


@pytest.mark.parametrize(
    ("script_name", "args", "needles"),
    [
        ("order", ["reject", "1"], ["Missing argument 'JOB_ID'"]),
        ("order", ["reject", "0", "1"], ["'ORDER_ID': 0: must be a whole number from 1"]),
        ("order", ["dispute", "1", "x"], ["'JOB_ID': 'x': must be a whole number"]),
        ("order", ["settle", "1", "-2"], ["No such option: -2"]),
        ("order", ["settle"], ["Missing argument 'ORDER_ID'"]),
        ("order", ["resolve", "1", "2", "--to-producer", "abc"],
         ["'--to-producer': amount 'abc': expected a number"]),
        ("order", ["resolve", "1", "2", "--to-producer", "1.5 dollars"], ["unknown unit 'dollars'"]),
        ("order", ["resolve", "1", "2", "--to-producer", "0.0000000000000000001"],
         ["more decimals than the token has"]),
        ("order", ["resolve", "1", "2", "--to-producer", "-1"], ["'--to-producer'"]),
        ("order", ["resolve", "1", "2", "--to-producer"], ["'--to-producer' requires an argument"]),
        ("order", [*OPEN, "--arbiter", "0x1"], ["'--arbiter': '0x1' is not an address: give 0x followed"]),
        ("order", [*OPEN, "--arbiter", ADDRESS[:-1]], ["'--arbiter'", "is not an address"]),
        ("order", [*OPEN, "--arbiter"], ["'--arbiter' requires an argument"]),
        ("order", [*REQUEST, "--arbiter", "arbiter"], ["'--arbiter': 'arbiter' is not an address"]),
        ("order", ["arbiter", "1", ADDRESS], ["No such command 'arbiter'"]),
        ("order", ["evict", "1"], ["Missing option '--job'"]),
        ("order", ["evict", "--job", "2"], ["Missing argument 'ORDER_ID'"]),
        ("order", ["evict", "1", "--job", "0"], ["'--job': 0: must be a whole number from 1"]),
        ("order", ["evict", "1", "--job", "2", "--job", "two"], ["'--job': 'two': must be a whole number"]),
        ("order", ["evict", "x", "--job", "2"], ["'ORDER_ID': 'x': must be a whole number"]),
        ("members", ["add", "0x1"], ["'ADDRESS': '0x1' is not an address"]),
        ("members", ["add", "0x1", "arbiter"], ["'ADDRESS': '0x1' is not an address"]),
        ("members", ["add", ADDRESS, "judge"], ["'ROLE': 'judge' is not one of 'producer', 'customer'"]),
        ("members", ["remove", ADDRESS, "--role", "judge"], ["'--role': 'judge' is not one of"]),
        ("tokens", ["allow", "0x1"], ["'TOKEN': '0x1' is not an address"]),
        ("tokens", ["disallow"], ["Missing argument 'TOKEN'"]),
        ("tokens", ["list", "token"], ["'[TOKEN]': 'token' is not an address"]),
        ("tokens", ["frob"], ["No such command 'frob'"]),
        ("deploy", ["--arbitration-window", "7x"], ["'--arbitration-window': duration '7x': expected e.g."]),
        ("deploy", ["--max-lead-time", "soon"], ["'--max-lead-time': duration 'soon'"]),
        ("deploy", ["--confirmation-window", "2 weeks"], ["'--confirmation-window': duration '2 weeks'"]),
    ],
)
def test_bad_input_is_one_line(script_name: str, args: list[str], needles: list[str]) -> None:
    one_line_usage_error(script_name, args, *needles)


def test_the_new_commands_are_listed() -> None:
    result = CliRunner().invoke(script("order").cli, ["--help"])
    assert result.exit_code == 0
    for name in ("evict", "reject", "dispute", "resolve", "settle"):
        assert f"  {name} " in result.output, name
    assert "  arbiter " not in result.output  # an arbiter is named at open or request, never after
    for command in ("open", "request"):
        usage = CliRunner().invoke(script("order").cli, [command, "--help"]).output
        assert "--arbiter ADDRESS" in usage and "for good" in " ".join(usage.split()), command
    evict = " ".join(CliRunner().invoke(script("order").cli, ["evict", "--help"]).output.split())
    assert "Usage: cli evict [OPTIONS] ORDER_ID" in evict
    assert "--job INTEGER" in evict and "[required]" in evict
    for name, args in (("tokens", ["--help"]), ("members", ["add", "--help"]), ("deploy", ["--help"])):
        assert CliRunner().invoke(script(name).cli, args).exit_code == 0
    deploy_help = CliRunner().invoke(script("deploy").cli, ["--help"]).output
    assert "--arbitration-window" in deploy_help and "--max-lead-time" in deploy_help


def test_through_ape_run() -> None:
    line = assert_one_line_error(ape_run("members", "add", "0x1", "arbiter"), "'0x1' is not an address")
    assert line.endswith("(see --help)")
    resolve = ape_run("order", "resolve", "1", "2", "--to-producer", "lots")
    assert resolve.returncode == 2
    assert_one_line_error(resolve, "'--to-producer': amount 'lots'")
    evict = ape_run("order", "evict", "3")  # no --job: refused before any account is asked for
    assert evict.returncode == 2
    assert_one_line_error(evict, "Missing option '--job'")


# -- the parameter types ------------------------------------------------------------------
def test_amounts_and_durations_read_like_the_rest_of_the_cli() -> None:
    assert params.AMOUNT.convert("0.0012", None, None) == q.token_amount("0.0012") == 12 * 10**14
    assert params.AMOUNT.convert("5 gwei", None, None) == 5 * 10**9
    assert params.AMOUNT.convert("0", None, None) == 0
    assert params.DURATION.convert("7d", None, None) == 7 * 86_400
    assert params.DURATION.convert("1d12h", None, None) == 36 * 3600
    with pytest.raises(click.BadParameter, match=r"expected e\.g\. 90s"):
        params.DURATION.convert("forever", None, None)


def test_settings_outside_the_contracts_bounds_are_refused_before_sending() -> None:
    from offchain.chain.deploy import DAY, DeployError, deploy

    for kwargs, needle in (
        ({"max_lead_time": 400 * DAY}, "the longest lead time must be between 1h and 365d, not 400d"),
        ({"arbitration_window": 59 * 60}, "the arbitration window must be between 1h and 90d, not 59m"),
        ({"confirmation_window": 91 * DAY}, "the confirmation window must be between 1h and 90d, not 91d"),
    ):
        with pytest.raises(DeployError, match=needle):
            deploy(None, False, **kwargs)  # type: ignore[arg-type]
