"""STL public data of a 1,000,000-triangle binary file and a 100,000-triangle ASCII file:
offchain.stl vs trimesh.

Both sides compute the same figures from the same file: bounding box, volume, area and
closedness (trimesh: ``load`` then ``extents``, ``volume``, ``area``, ``is_watertight``;
a fresh load each round, since trimesh caches per object). Times are the best of 3 in
this process; peak memory is measured in a child process per side, as the growth of the
kernel's high-water mark of its resident set (VmHWM) over the operation. CPU seconds
are reported too: other processes on the machine disturb them less than the wall clock.
The ASCII file (the same torus shape, written with 9 significant digits) is timed the
same way, with the same figures compared: offchain.stl parses it with numpy (tokens
found by byte operations, coordinates by ``np.fromstring``), trimesh with its own
split-and-``fromstring`` loader.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from offchain.devtools import parts as td
from offchain.parts import stl

TRIANGLES = 1_000_000
ASCII_TRIANGLES = 100_000
ROUNDS = 3
ROOT = Path(__file__).resolve().parent.parent

_CHILD = r"""
import json, sys
def hwm_kib():
    with open("/proc/self/status") as fh:
        return int(next(l for l in fh if l.startswith("VmHWM:")).split()[1])
side, path = sys.argv[1:3]
if side == "ours":
    from offchain.parts import stl
    before = hwm_kib()
    stl.inspect(path)
else:
    import trimesh
    before = hwm_kib()
    mesh = trimesh.load(path)
    mesh.extents, mesh.volume, mesh.area, mesh.is_watertight
print(json.dumps({"peak_mib": hwm_kib() / 1024, "growth_mib": (hwm_kib() - before) / 1024}))
"""


def _best(fn: Callable[[], Any], rounds: int = ROUNDS) -> tuple[float, Any, float]:
    """(least wall seconds, last result, least CPU seconds) over ROUNDS runs."""
    best, result, cpu = float("inf"), None, float("inf")
    for _ in range(rounds):
        started, cpu_started = time.perf_counter(), time.process_time()
        result = fn()
        best = min(best, time.perf_counter() - started)
        cpu = min(cpu, time.process_time() - cpu_started)
    return best, result, cpu


def _trimesh_figures(path: Path) -> dict[str, Any]:
    import trimesh

    mesh = trimesh.load(str(path), force="mesh")
    return {
        "bbox_mm": [float(v) for v in mesh.extents],
        "volume_mm3": abs(float(mesh.volume)),
        "area_mm2": float(mesh.area),
        "closed": bool(mesh.is_watertight),
    }


def _memory(side: str, path: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, side, str(path)],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )
    return {k: round(v, 1) for k, v in json.loads(out.stdout).items()}


def _compare(part: stl.PartData, ref: dict[str, Any]) -> dict[str, Any]:
    def rel(a: float, b: float) -> float:
        return abs(a - b) / max(abs(b), 1e-300)

    return {
        "bbox_max_rel_diff": max(rel(a, b) for a, b in zip(part.bbox_mm, ref["bbox_mm"], strict=True)),
        "volume_rel_diff": rel(part.volume_mm3, ref["volume_mm3"]),
        "area_rel_diff": rel(part.area_mm2, ref["area_mm2"]),
        "closed_agrees": part.closed == ref["closed"],
    }


def run() -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-stl-") as tmp:
        binary = td.write_binary(Path(tmp) / "torus-1m.stl", td.torus_with_triangles(TRIANGLES).triangles())
        ours_s, part, ours_cpu = _best(lambda: stl.inspect(binary))
        theirs_s, ref, theirs_cpu = _best(lambda: _trimesh_figures(binary))
        ascii_path = td.write_ascii(
            Path(tmp) / "torus-ascii.stl", [("torus", td.torus_with_triangles(ASCII_TRIANGLES).triangles())]
        )
        ascii_s, ascii_part, ascii_cpu = _best(lambda: stl.inspect(ascii_path))
        ascii_theirs_s, ascii_ref, ascii_theirs_cpu = _best(lambda: _trimesh_figures(ascii_path))
        return {
            "what": "bbox, volume, area, closed of one binary STL file, best of 3",
            "triangles": part.triangles,
            "file_mb": round(binary.stat().st_size / 1e6, 1),
            "closed": part.closed,
            "ours_seconds": round(ours_s, 3),
            "trimesh_seconds": round(theirs_s, 3),
            "trimesh_over_ours": round(theirs_s / ours_s, 2),
            "cpu_seconds": {"ours": round(ours_cpu, 3), "trimesh": round(theirs_cpu, 3)},
            "load_average_1min": round(os.getloadavg()[0], 2),
            "agreement": _compare(part, ref),
            "memory_mib": {"ours": _memory("ours", binary), "trimesh": _memory("trimesh", binary)},
            "ascii": {
                "what": "the same figures of one ASCII STL file, best of 3",
                "triangles": ascii_part.triangles,
                "file_mb": round(ascii_path.stat().st_size / 1e6, 1),
                "ours_seconds": round(ascii_s, 3),
                "trimesh_seconds": round(ascii_theirs_s, 3),
                "trimesh_over_ours": round(ascii_theirs_s / ascii_s, 2),
                "cpu_seconds": {"ours": round(ascii_cpu, 3), "trimesh": round(ascii_theirs_cpu, 3)},
                "agreement": _compare(ascii_part, ascii_ref),
                "memory_mib": {
                    "ours": _memory("ours", ascii_path), "trimesh": _memory("trimesh", ascii_path),
                },
            },
        }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
