"""Run every benchmark module and write reports/bench.json.

    python -m benchmarks            all of them
    python -m benchmarks stl kubo   only bench_stl.py and bench_kubo.py
"""

from __future__ import annotations

import importlib
import json
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "reports" / "bench.json"


def main(argv: list[str]) -> int:
    names = argv or sorted(p.stem[len("bench_"):] for p in Path(__file__).parent.glob("bench_*.py"))
    report: dict = json.loads(REPORT.read_text()) if REPORT.exists() else {}
    report["machine"] = {"python": platform.python_version(), "cpus": __import__("os").cpu_count()}
    for name in names:
        module = importlib.import_module(f"benchmarks.bench_{name}")
        print(f"[bench] {name} ...", flush=True)
        started = time.perf_counter()
        result = module.run()
        result["bench_seconds"] = round(time.perf_counter() - started, 2)
        report[name] = result
        print(json.dumps({name: result}, indent=2), flush=True)
    REPORT.parent.mkdir(exist_ok=True)
    tmp = REPORT.with_suffix(".tmp")
    tmp.write_text(json.dumps(report, indent=2) + "\n")
    tmp.replace(REPORT)
    print(f"[bench] wrote {REPORT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
