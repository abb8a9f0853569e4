"""The house in layers: import-linter keeps offchain's imports pointing down, and it can fail."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(tree / "pyproject.toml")],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def copy_of_the_house(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "offchain", tmp_path / "offchain", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_house_keeps_its_contracts(copy_of_the_house: Path) -> None:
    result = _lint(copy_of_the_house)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "upward"),
    [
        ("parts/units.py", "from offchain.orders import matching"),
        ("transfer/storage.py", "from offchain.chain import codec"),
        ("chain/codec.py", "from offchain.transfer import storage"),
        ("orders/steps/book.py", "from offchain.cli import quantities"),
        ("cli/output.py", "from offchain.devtools import kubo"),
        ("cli/output.py", "from offchain.portal import app"),
        ("portal/state.py", "from offchain.devtools import kubo"),
        ("devtools/world.py", "from offchain.portal import workspace"),
        ("formats.py", "from offchain.parts import units"),
    ],
)
def test_an_upward_import_breaks_the_lint(copy_of_the_house: Path, module: str, upward: str) -> None:
    path = copy_of_the_house / "offchain" / module
    path.write_text(path.read_text() + f"\n{upward}  # noqa: E402\n")
    result = _lint(copy_of_the_house)
    assert result.returncode != 0
    assert "BROKEN" in result.stdout or "broken" in result.stdout
    importer = "offchain." + module.removesuffix(".py").replace("/", ".")
    assert importer in result.stdout


def test_nothing_imports_scripts() -> None:
    """scripts/ are thin CLIs on top; the library and the benchmarks never import them."""
    offenders = []
    for folder in ("offchain", "benchmarks"):
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                names = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module:
                    names = [node.module]
                offenders += [f"{path.relative_to(ROOT)}: {n}" for n in names if n.split(".")[0] == "scripts"]
    assert offenders == []
