"""`ape run model inspect` as a user runs it: a subprocess in the project root."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from offchain.devtools import parts as td
from offchain.parts import stl
from tests.conftest import ROOT
from tests.utils.parts import FIXTURES, png_bytes, zip_bytes

APE = Path(sys.executable).parent / "ape"


def model(*args: str | Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.pop("PYTEST_CURRENT_TEST", None)
    env.pop("PRODNET_DEBUG", None)
    return subprocess.run(
        [str(APE), "run", "model", *map(str, args)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )


def listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def assert_one_line_error(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error:")
    assert "Traceback" not in result.stderr + result.stdout
    for word in words:
        assert word in lines[0], lines[0]


def test_inspect_json_matches_the_library(tmp_path: Path) -> None:
    path = td.write_binary(tmp_path / "gear.stl", td.gear().triangles())
    result = model("inspect", path, "--json")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    data = json.loads(result.stdout)
    expected = stl.inspect(path).to_json()
    assert data == json.loads(json.dumps(expected))
    assert {"bbox_mm", "volume_mm3", "area_mm2", "triangles", "closed"} <= data.keys()


def test_inspect_table_is_short_and_aligned() -> None:
    result = model("inspect", FIXTURES / "cube_binary_solid_header.stl")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) <= 12
    values = {line.split()[0]: line for line in lines}
    assert "10.000 x 20.000 x 30.000 mm" in values["bbox"]
    assert "6000.000 mm3" in values["volume"]
    assert "2200.000 mm2" in values["area"]
    assert values["closed"].split()[1] == "yes"
    columns = {len(line) - len(line[len(line.split()[0]):].lstrip()) for line in lines}
    assert len(columns) == 1  # every value starts in the same column


def test_inspect_inch(tmp_path: Path) -> None:
    path = td.write_ascii(tmp_path / "inch.stl", [("inch", td.box((1.0, 2.0, 3.0)).triangles())])
    data = json.loads(model("inspect", path, "--units", "inch", "--json").stdout)
    assert data["bbox_mm"] == pytest.approx([25.4, 50.8, 76.2], rel=1e-9)
    assert data["units"] == "inch"


def test_open_mesh_succeeds_with_a_warning() -> None:
    result = model("inspect", FIXTURES / "open_box.stl", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["closed"] is False
    warning = result.stderr.strip().splitlines()
    assert len(warning) == 1 and warning[0].startswith("warning:")
    assert "volume is unreliable" in warning[0]


def test_empty_file(tmp_path: Path) -> None:
    (tmp_path / "empty.stl").write_bytes(b"")
    result = model("inspect", tmp_path / "empty.stl")
    assert_one_line_error(result, "empty")
    assert listing(tmp_path) == ["empty.stl"]


def test_count_disagrees_with_size() -> None:
    assert_one_line_error(model("inspect", FIXTURES / "count_mismatch.stl"), "13 triangles")


def test_truncated_ascii() -> None:
    assert_one_line_error(model("inspect", FIXTURES / "truncated_ascii.stl"), "truncated or malformed")


@pytest.mark.parametrize(
    ("name", "data", "word"),
    [
        ("image.png", png_bytes(), "PNG image"),
        ("model.zip", zip_bytes(), "ZIP archive"),
        ("notes.stl", b"just some notes, not a model\n", "does not start with 'solid'"),
    ],
)
def test_not_an_stl(tmp_path: Path, name: str, data: bytes, word: str) -> None:
    (tmp_path / name).write_bytes(data)
    assert_one_line_error(model("inspect", tmp_path / name), "not an STL file", word)
    assert listing(tmp_path) == [name]


def test_nan_coordinates() -> None:
    assert_one_line_error(model("inspect", FIXTURES / "nan_binary.stl", "--json"), "NaN or infinite")


def test_zero_area_triangles_only() -> None:
    assert_one_line_error(model("inspect", FIXTURES / "degenerate_binary.stl"), "zero area")


def test_missing_file(tmp_path: Path) -> None:
    assert_one_line_error(model("inspect", tmp_path / "nope.stl"), "no such file")
    assert listing(tmp_path) == []


def test_directory(tmp_path: Path) -> None:
    assert_one_line_error(model("inspect", tmp_path), "is a directory")


def test_unknown_units() -> None:
    assert_one_line_error(model("inspect", FIXTURES / "cube_ascii.stl", "--units", "cm"),
                          "unknown units 'cm'")


def test_inspect_shows_the_repaired_winding_as_a_warning(tmp_path: Path) -> None:
    triangles = td.box((10.0, 20.0, 30.0)).triangles().copy()
    triangles[[0, 5]] = triangles[[0, 5]][:, ::-1]  # two faces wound inwards
    path = td.write_binary(tmp_path / "mixed.stl", triangles)
    table = model("inspect", path)
    assert table.returncode == 0, table.stderr
    warnings = [line for line in table.stdout.splitlines() if line.startswith("warning")]
    assert warnings, table.stdout
    data = json.loads(model("inspect", path, "--json").stdout)
    assert data["warnings"] and abs(data["volume_mm3"] - 6000.0) < 1e-6


def test_inspect_lists_every_part_of_a_3mf_assembly(tmp_path: Path) -> None:
    from offchain import parts
    from offchain.devtools import models as tm

    named = [("box", td.box((10.0, 20.0, 30.0))), ("gear", td.gear()), ("bracket", td.bracket())]
    path = tm.write_3mf(tmp_path / "assembly.3mf", named)
    result = model("inspect", path, "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data == json.loads(json.dumps(parts.read(path).to_json()))
    assert [p["name"] for p in data["parts"]] == ["box", "gear", "bracket"]
    text = model("inspect", path)
    assert text.returncode == 0, text.stderr
    assert text.stdout.count("\npart ") + text.stdout.startswith("part ") == 3
    assert "3 parts, " in text.stdout


def test_inspect_report_gives_the_printability_of_each_part(tmp_path: Path) -> None:
    path = td.write_binary(tmp_path / "plate.stl", td.box((300.0, 40.0, 0.5)).triangles())
    result = model("inspect", path, "--report", "--envelope", "250", "210", "210", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)["printability"]
    assert report["fits"] is False and report["orientations"] == []
    assert report["thinnest_wall_mm"] == pytest.approx(0.5)
    text = model("inspect", path, "--report", "--envelope", "310", "210", "210").stdout
    assert "fits" in text and "xyz" in text and "walls thinner than 0.8 mm" in text


def test_inspect_refuses_a_crafted_3mf_in_one_line(tmp_path: Path) -> None:
    from offchain.devtools import models as tm

    box = tm.objects_xml([("box", td.box((1.0, 1.0, 1.0)))])
    cycle = box + '<object id="2" type="model"><components><component objectid="2"/></components></object>'
    path = tmp_path / "cycle.3mf"
    path.write_bytes(tm.package({tm.MODEL_PART: tm.model_xml(cycle, tm.build_xml([2]))}))
    assert_one_line_error(model("inspect", path), "cycle", str(path))
