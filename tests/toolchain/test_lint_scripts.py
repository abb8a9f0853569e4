"""tools/lint_scripts.py: of scripts/, only demo, network and portal import offchain.devtools;
the lint fails on any other script that does, naming it, and the real scripts/ pass."""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

CHECKER = ROOT / "tools" / "lint_scripts.py"


def _lint(folder: Path | None = None) -> subprocess.CompletedProcess[str]:
    args = [sys.executable, str(CHECKER)] + ([str(folder)] if folder else [])
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=False)


def _scripts(tmp_path: Path, **files: str) -> Path:
    folder = tmp_path / "scripts"
    folder.mkdir()
    for name, text in files.items():
        (folder / f"{name}.py").write_text(text)
    return folder


def test_a_product_script_that_imports_the_dev_tools_fails_the_lint(tmp_path: Path) -> None:
    folder = _scripts(
        tmp_path,
        members="import click\n\ndef f():\n    from offchain.devtools.network import local_voters\n",
        order="from offchain.cli import commands\n",
    )
    result = _lint(folder)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "scripts/members.py imports offchain.devtools: only demo, network and portal may "
        "(line 4: offchain.devtools.network)"
    ]


def test_demo_network_and_portal_may_import_the_dev_tools(tmp_path: Path) -> None:
    folder = _scripts(
        tmp_path,
        demo="from offchain.devtools.demo import run_demo\n",
        network="from offchain.devtools import network\n",
        portal="def f():\n    from offchain.devtools.world import demo_world\n",
        order="from offchain.cli import commands\n",
    )
    result = _lint(folder)
    assert result.returncode == 0, result.stdout


def test_the_real_scripts_pass() -> None:
    result = _lint()
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    "source",
    [
        "import offchain.devtools",
        "import offchain.devtools.kubo as kubo",
        "from offchain.devtools import parts",
        "from offchain import devtools",
        "from offchain import chain, devtools",
        "importlib.import_module('offchain.devtools.anvil')",
        "kubo = lazy_module('offchain.devtools.kubo')",
    ],
)
def test_every_spelling_of_the_import_is_caught(source: str) -> None:
    spec = importlib.util.spec_from_file_location("lint_scripts", CHECKER)
    assert spec and spec.loader
    checker = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(checker)
    assert [line for line, _ in checker.devtools_imports(ast.parse(source))] == [1]
    lookalikes = "from offchain.devtoolsx import y\nimport offchain\nfrom offchain import chain"
    assert list(checker.devtools_imports(ast.parse(lookalikes))) == []
