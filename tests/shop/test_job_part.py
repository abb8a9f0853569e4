"""What produce gives the slicer for a job (offchain.shop.produce._job_part): the fetched file
itself when it is one STL part, else that job's own part written as an STL beside it (an
assembly's 3MF holds every part; the slicer reads a file by its extension). The whole
produce story runs against OctoPrint in tests/e2e/test_shop.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from offchain import parts
from offchain.devtools import models
from offchain.devtools import parts as shapes
from offchain.orders.steps import FetchedModel
from offchain.shop.produce import _job_part


def _fetched(path: Path, first_job: int) -> FetchedModel:
    found = parts.read(path)
    checked = tuple((first_job + i, p.name, p.data) for i, p in enumerate(found.parts))
    return FetchedModel(path, "ipfs://x", "00" * 32, "", checked[0][2], checked)


def test_an_assembly_job_slices_its_own_part_only(tmp_path: Path) -> None:
    model = tmp_path / "model.stl"  # produce saves the fetched file under this name
    model.write_bytes(models.assembly(tmp_path / "a.3mf").read_bytes())
    said: list[str] = []
    part = _job_part(model, 7, _fetched(model, 5), said.append)
    assert part == tmp_path / "part.stl"
    [sliced] = parts.read(part).parts
    spacer = parts.read(model).parts[2]  # jobs 5, 6, 7: bracket, gear, spacer
    assert spacer.name == "spacer"
    assert sliced.data.volume_mm3 == pytest.approx(spacer.data.volume_mm3, rel=1e-6)
    assert "job 7 is part 'spacer' of the customer's 3MF file (5 part(s))" in said[0]


def test_a_single_stl_goes_to_the_slicer_as_fetched(tmp_path: Path) -> None:
    model = shapes.write_binary(tmp_path / "model.stl", shapes.gear().triangles())
    assert _job_part(model, 3, _fetched(model, 3), lambda _: None) == model
    assert not (tmp_path / "part.stl").exists()
