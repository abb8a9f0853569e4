"""The shop's tests: each in a prodnet home of its own (its printers, profiles, slices and job
records under ``<home>/shop``), so nothing of one test is seen by another."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from offchain import config


@pytest.fixture(autouse=True)
def home(tmp_path: Path) -> Iterator[Path]:
    with config.scoped_home(tmp_path / "home") as folder:
        yield folder
