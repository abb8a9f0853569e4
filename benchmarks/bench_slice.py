"""Slicing with the real PrusaSlicer (``offchain.shop.slicer``, profile ``generic-pla``): the
wall time of a first slice per part size, and of a cache hit (the same model and profile:
both digests computed, the cached G-code's digest checked, no slicer run).

Parts: a 20 x 20 x 6 mm block (12 triangles), a 48 mm gear 8 mm high, and a torus of
20,000 triangles (1 MB binary STL, 160 x 160 x 40 mm: the size of the issue's 940 KB
reference part). A first slice is timed once (it takes seconds to tens of seconds; its CPU
time is reported too, less disturbed by other processes); a cache hit is the median of 5.
"""

from __future__ import annotations

import resource
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from offchain import config
from offchain.devtools import parts as td
from offchain.shop import slicer

PROFILE = "generic-pla"
HITS = 5


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run() -> dict:
    if shutil.which(config.slicer_binary()) is None:
        return {"skipped": "prusa-slicer is not installed (make setup)"}
    result: dict = {"profile": PROFILE}
    with tempfile.TemporaryDirectory(prefix="prodnet-bench-slice-") as tmp:
        work = Path(tmp)
        parts = {
            "block_20x20x6": td.box((20, 20, 6)),
            "gear_48mm": td.gear(),
            "torus_20k_triangles": td.torus_with_triangles(20_000),
        }
        with config.scoped_home(work / "home"):
            for name, mesh in parts.items():
                path = td.write_binary(work / f"{name}.stl", mesh.triangles())
                cpu, started = _children_cpu(), time.perf_counter()
                first = slicer.slice_part(path, PROFILE)
                cold = time.perf_counter() - started
                cpu = _children_cpu() - cpu
                hits = []
                for _ in range(HITS):
                    started = time.perf_counter()
                    assert slicer.slice_part(path, PROFILE).cached
                    hits.append(time.perf_counter() - started)
                result[name] = {
                    "stl_bytes": path.stat().st_size,
                    "first_slice_seconds": round(cold, 2),
                    "first_slice_cpu_seconds": round(cpu, 2),
                    "cache_hit_seconds": round(statistics.median(hits), 4),
                    "print_time_s": first.print_time_s,
                    "layers": first.layers,
                    "filament_g": first.filament_g,
                }
    return result
