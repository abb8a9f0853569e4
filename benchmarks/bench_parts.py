"""3MF and OBJ files read into parts' public data: offchain.parts vs trimesh, on the same files.

The same torus (``TRIANGLES`` triangles) is written as a 3MF package (one object, one
build item, deflated XML) and as an OBJ file; both sides compute the same figures from
each file: bounding box, volume, area and closedness (trimesh: ``load``, then for each
geometry ``extents``, ``volume``, ``area``, ``is_watertight``; 3MF needs its lxml and
networkx). Times are the best of ``ROUNDS`` in this process, CPU seconds too; peak
memory is the growth of the resident high-water mark (VmHWM) in a child process per side.
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

from offchain import parts
from offchain.devtools import models as tm
from offchain.devtools import parts as td

TRIANGLES = 1_000_000
ROUNDS = 3
ROOT = Path(__file__).resolve().parent.parent

_CHILD = r"""
import sys
def hwm_kib():
    with open("/proc/self/status") as fh:
        return int(next(l for l in fh if l.startswith("VmHWM:")).split()[1])
side, path = sys.argv[1:3]
if side == "ours":
    from offchain import parts
    before = hwm_kib()
    parts.read(path)
else:
    import trimesh
    before = hwm_kib()
    loaded = trimesh.load(path)
    for m in (loaded.geometry.values() if hasattr(loaded, "geometry") else [loaded]):
        m.extents, m.volume, m.area, m.is_watertight
print((hwm_kib() - before) / 1024)
"""


def _best(fn: Callable[[], Any]) -> tuple[float, Any, float]:
    best, result, cpu = float("inf"), None, float("inf")
    for _ in range(ROUNDS):
        started, cpu_started = time.perf_counter(), time.process_time()
        result = fn()
        best = min(best, time.perf_counter() - started)
        cpu = min(cpu, time.process_time() - cpu_started)
    return best, result, cpu


def _trimesh(path: Path) -> list[dict[str, Any]]:
    import trimesh

    loaded = trimesh.load(str(path))
    meshes = list(loaded.geometry.values()) if isinstance(loaded, trimesh.Scene) else [loaded]
    return [{"bbox_mm": [float(v) for v in m.extents], "volume_mm3": abs(float(m.volume)),
             "area_mm2": float(m.area), "closed": bool(m.is_watertight)} for m in meshes]


def _growth_mib(side: str, path: Path) -> float:
    out = subprocess.run([sys.executable, "-c", _CHILD, side, str(path)], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    return round(float(out.stdout.strip()), 1)


def _side_by_side(path: Path) -> dict[str, Any]:
    ours_s, model, ours_cpu = _best(lambda: parts.read(path))
    theirs_s, ref, theirs_cpu = _best(lambda: _trimesh(path))
    part, other = model.parts[0].data, ref[0]
    return {
        "file_mb": round(path.stat().st_size / 1e6, 1),
        "triangles": part.triangles,
        "ours_seconds": round(ours_s, 3),
        "trimesh_seconds": round(theirs_s, 3),
        "trimesh_over_ours": round(theirs_s / ours_s, 2),
        "cpu_seconds": {"ours": round(ours_cpu, 3), "trimesh": round(theirs_cpu, 3)},
        "agreement": {
            "volume_rel_diff": abs(part.volume_mm3 - other["volume_mm3"]) / other["volume_mm3"],
            "area_rel_diff": abs(part.area_mm2 - other["area_mm2"]) / other["area_mm2"],
            "bbox_max_abs_diff_mm": max(
                abs(a - b) for a, b in zip(part.bbox_mm, other["bbox_mm"], strict=True)
            ),
            "closed_agrees": part.closed == other["closed"],
        },
        "memory_growth_mib": {"ours": _growth_mib("ours", path), "trimesh": _growth_mib("trimesh", path)},
    }


def run() -> dict[str, Any]:
    mesh = td.torus_with_triangles(TRIANGLES)
    with tempfile.TemporaryDirectory(prefix="bench-parts-") as tmp:
        threemf = tm.write_3mf(Path(tmp) / "torus.3mf", [("torus", mesh)])
        obj = tm.write_obj(Path(tmp) / "torus.obj", [("torus", mesh)])
        return {
            "what": f"bbox, volume, area, closed of a {TRIANGLES}-triangle torus, best of {ROUNDS}",
            "load_average_1min": round(os.getloadavg()[0], 2),
            "3mf": _side_by_side(threemf),
            "obj": _side_by_side(obj),
        }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
