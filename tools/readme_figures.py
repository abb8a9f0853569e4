"""Write the docs' measured figures from reports/*.json, never by hand.

    python tools/readme_figures.py            rewrite the marked blocks of every target file
    python tools/readme_figures.py --check    exit 1 if a target file differs from the reports

A block is the text between ``<!-- figures:NAME -->`` and ``<!-- /figures:NAME -->``;
each NAME below renders one from a report. A block may live in any of the TARGETS
(README.md, docs/FIGURES.md): each file is searched for every block and rewritten in
place. A missing report leaves its block as it is (say so on stderr): run ``make gas``
(reports/gas.json) or ``make bench`` (reports/bench.json) first.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
REPORTS = ROOT / "reports"
#: The files that may hold figure blocks; each block is written wherever it is found.
TARGETS = [ROOT / "README.md", ROOT / "docs" / "FIGURES.md"]

#: What each step's gas pays for: the storage floor of its writes (an analysis, not a figure).
PAYS_FOR = {
    "open": "calldata + an Order is 4 fresh slots (88,400) + the order counter + the registry's machine "
    "(cold call, two cold slots) + the event; the rest is ABI decoding and the envelope check",
    "join": "reading the order (4 cold slots) + a Job is 2 fresh slots (44,200) + two order updates "
    "(`used`; `jobCount` and `liveJobs` share a slot) + the event; the digest slot is not touched until "
    "submit",
    "close": "one status slot read and updated + the event",
    "submit_model": "the job slot + the order slot + the digest's fresh slot (22,100) + the event with "
    "the URI; the URI is never stored",
    "ship": "two order slots read (producer, deadline) + two job slots read and updated + the event",
    "confirm": "the job slot + two order slots + the producer's credit written fresh (22,100) + the event",
    "withdraw": "the credit read and zeroed (refund) + the ETH transfer + the event",
    "take": "the requested order's 4 slots rewritten, the first job repriced, the excess deposit "
    "credited to a fresh slot, the registry call",
    "request": "6 fresh slots at once (an Order and its first Job) + the counter + two events",
    "leave": "the job and two order slots (`used`, `liveJobs`) updated + the customer's credit written fresh "
    "(22,100) + the event",
    "evict": "the order's producer check + one job's status, `used` and `liveJobs` updated + the customer's "
    "credit written fresh (22,100) + the event; each further job in the same call pays only its own updates",
    "reject": "the job, `used` and `liveJobs` updated + two credits (producer's and customer's, one fresh) "
    "+ the event",
    "dispute": "the job's status slot read and updated + the event with the customer's reason (44 bytes "
    "here; never stored); no new slot (the arbitration window runs from shippedAt)",
    "resolve": "the arbiter check (named: one cold slot; members-only: a role read) + the job updated + "
    "two credits + the event",
    "settle": "the job updated + the customer's credit + the event; anyone may send it",
    "total_lifecycle": "open, join x2, close, submit x2, ship x2, confirm x2, withdraw",
}


def _n(value: int) -> str:
    return f"{value:,}"


def gas_table(gas: dict[str, Any]) -> str:
    members = gas.get("permissioned", {})
    targets = gas.get("targets", {})
    rows = ["| step | gas | members-only | target | what it pays for |", "| --- | ---: | ---: | ---: | --- |"]
    for step, why in PAYS_FOR.items():
        if step not in gas:
            continue
        target = targets.get(step)
        name = "whole lifecycle" if step == "total_lifecycle" else step
        rows.append(
            f"| {name} | {_n(gas[step])} | {_n(members[step]) if step in members else '-'} | "
            f"{_n(target) if target else '-'} | {why} |"
        )
    return "\n".join(rows)


def gas_assembly(gas: dict[str, Any]) -> str:
    """An assembly of n parts (one joinParts, one submitModels) against n joins and n submitModel."""
    lines = [
        "| parts | n joins | one joinParts | per part | saved | n submitModel | one submitModels | per part "
        "| saved |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for n, row in sorted(gas["assembly"].items(), key=lambda item: int(item[0])):
        lines.append(
            f"| {n} | {_n(row['joins'])} | {_n(row['join_parts'])} | {_n(row['join_per_part'])} "
            f"| {row['join_saving_pct']}% | {_n(row['submit_models_separately'])} "
            f"| {_n(row['submit_models'])} | {_n(row['submit_per_part'])} | {row['submit_saving_pct']}% |"
        )
    return "\n".join(lines)


def gas_deploy(gas: dict[str, Any]) -> str:
    deploy = gas.get("deploy", {})
    members = gas.get("permissioned", {})
    steps = [s for s in ("open", "join", "ship") if s in members and s in gas]
    extra = [members[s] - gas[s] for s in steps]
    text = (
        f"Deploying costs {_n(deploy['CapacityRegistry'])} (CapacityRegistry) and "
        f"{_n(deploy['ProductionOrders'])} (ProductionOrders)"
    )
    if "Membership" in deploy:
        text += f"; a members-only deployment adds Membership ({_n(deploy['Membership'])})"
    if extra:
        text += (
            f" and {_n(min(extra))} to {_n(max(extra))} gas per step for the role check "
            "(a cold call into Membership and a cold read of the caller's role)"
        )
    return text + "."


def market_table(bench: dict[str, Any]) -> str:
    m = bench["market"]
    goals = m.get("goals", {})

    def goal(name: str, unit: str = " s", sign: str = "<=") -> str:
        return f"{sign} {goals[name]}{unit}" if name in goals else "-"

    size_goal = f"<= {goals['index_bytes'] / 2**20:.1f} MiB" if "index_bytes" in goals else "-"
    rows = [
        ("orders / jobs on chain", f"{_n(m['orders_on_chain'])} / {_n(m['jobs_on_chain'])}", "-"),
        ("initial sync (empty index to the head)", f"{m['initial_sync_seconds']} s",
         goal("initial_sync_seconds")),
        (f"incremental sync ({m['incremental_events']} new events)", f"{m['incremental_sync_seconds']} s",
         goal("incremental_sync_seconds")),
        (f"match: one part against {_n(m['orders_on_chain'])} open orders", f"{m['match_seconds']} s",
         goal("match_seconds")),
        ("status of one order", f"{m['status_one_order_seconds']} s", "-"),
        ("status of all orders", f"{m['status_all_seconds']} s", goal("status_all_seconds")),
        ("match on 1,000 orders without / with the index",
         f"{m['match_seconds_without_index_1000']} s / {m['match_seconds_with_index_1000']} s", "-"),
        ("speedup at 1,000 orders", f"{m['speedup_at_1000']}x", goal("speedup_at_1000", "x", ">=")),
        ("index file (with its write-ahead log)",
         f"{m['index_bytes'] / 2**20:.1f} MiB for {_n(m['events_indexed'])} events", size_goal),
    ]
    lines = ["| market index | measured | goal |", "| --- | ---: | ---: |"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    large = next((k for k in m if k.startswith("at_")), None)
    if large is not None and "growth" in m:
        big, growth = m[large], m["growth"]
        lines += [
            "",
            f"| from {_n(m['orders_on_chain'])} to {_n(big['orders_on_chain'])} orders | "
            f"{_n(m['orders_on_chain'])} | {_n(big['orders_on_chain'])} | ratio |",
            "| --- | ---: | ---: | ---: |",
        ]
        for label, key in (
            ("initial sync", "initial_sync_seconds"),
            ("match", "match_seconds"),
            ("status of one order", "status_one_order_seconds"),
            ("status of all orders", "status_all_seconds"),
            ("portal, market's first page", "portal_first_page_seconds"),
        ):
            if key in growth:
                lines.append(f"| {label} | {m[key]} s | {big[key]} s | {growth[key]}x |")
        if "index_bytes" in growth:
            lines.append(
                f"| index file | {m['index_bytes'] / 2**20:.1f} MiB | {big['index_bytes'] / 2**20:.1f} MiB "
                f"| {growth['index_bytes']}x |"
            )
    return "\n".join(lines)


def cli_table(bench: dict[str, Any]) -> str:
    c = bench["cli"]  # none yet: the block is left as is (render)
    goals = c.get("goals", {})
    lines = [
        f"| command (median of {c['repeat']}) | before | wall | its library call | over `ape --help` |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for row in c["table"]:
        library = f"{row['library_seconds'] * 1000:.1f} ms" if "library_seconds" in row else "-"
        over = f"{row['over_ape_help_seconds']:+.2f} s" if "over_ape_help_seconds" in row else "-"
        before = f"{row['before_wall_seconds']:.2f} s" if "before_wall_seconds" in row else "-"
        lines.append(f"| `{row['command']}` | {before} | {row['wall_seconds']:.2f} s | {library} | {over} |")
    if c.get("before"):
        lines.append(f"\nBefore: the commands at commit {c['before']}, timed in turn with this checkout's.")
    lines.append(
        f"\nGoals: a chain-free command <= {goals.get('chain_free_seconds', '-')} s (measured "
        f"{c['chain_free_seconds']:.2f} s), a read on a synced index "
        f"<= {goals.get('indexed_read_seconds', '-')} s (measured {c['indexed_read_seconds']:.2f} s)."
    )
    return "\n".join(lines)


def portal_table(bench: dict[str, Any]) -> str:
    p = bench.get("portal")
    if p is None:
        return "(no portal figures yet: run make bench BENCH=portal)"
    goal = p.get("goals", {}).get("market_first_page_seconds", "-")
    rows = [
        ("market, first page", "market_first_page", f"<= {goal} s"),
        ("market, page 200", "market_page_200", "-"),
        ("market, filtered (material, price, space)", "market_filtered", "-"),
        ("an order (jobs, timeline)", "order", "-"),
        ("an account", "account", "-"),
    ]
    lines = [
        f"| portal page, {_n(p['orders_on_chain'])} orders / {_n(p['jobs_on_chain'])} jobs on chain "
        "| median over HTTP | goal |",
        "| --- | ---: | ---: |",
    ]
    lines += [f"| {label} | {p[key + '_seconds'] * 1000:.1f} ms | {g} |" for label, key, g in rows]
    lines.append(f"| start (accounts, deployment, first index sync) | {p['start_seconds']} s | - |")
    if "large_part_page_later_seconds" in p:
        mb = p["large_part_bytes"] / 1e6
        later = p.get("goals", {}).get("large_part_page_later_seconds", "-")
        upload, first = p["large_part_upload_seconds"], p["large_part_page_first_seconds"]
        lines += [
            f"| a {mb:.0f} MB part dropped (upload and read) | {upload * 1000:.0f} ms | - |",
            f"| its page with its offers, first view | {first * 1000:.1f} ms | - |",
            f"| its page, later views | {p['large_part_page_later_seconds'] * 1000:.1f} ms | <= {later} s |",
        ]
    return "\n".join(lines)


RENDER: dict[str, tuple[str, Callable[[dict[str, Any]], str]]] = {
    "market": ("bench.json", market_table),
    "portal": ("bench.json", portal_table),
    "cli": ("bench.json", cli_table),
    "gas-table": ("gas.json", gas_table),
    "gas-deploy": ("gas.json", gas_deploy),
    "gas-assembly": ("gas.json", gas_assembly),
}


def _pattern(name: str) -> re.Pattern[str]:
    return re.compile(rf"(<!-- figures:{name} -->\n)(?:.*?\n)?(<!-- /figures:{name} -->)", re.S)


def render(text: str, where: str = "README.md", found: set[str] | None = None) -> str:
    """TEXT with every block it holds rewritten from its report; WHERE names the file in
    messages; the names of the blocks found are added to FOUND."""
    for name, (report, make) in RENDER.items():
        path = REPORTS / report
        pattern = _pattern(name)
        if not pattern.search(text):
            continue
        if found is not None:
            found.add(name)
        if not path.exists():
            print(
                f"readme_figures: {path.relative_to(ROOT)} missing, block {name} in {where} left as is "
                "(run make gas / make bench)",
                file=sys.stderr,
            )
            continue
        try:
            body = make(json.loads(path.read_text()))
        except KeyError as missing:  # that benchmark has not run since the report was made
            print(
                f"readme_figures: {path.relative_to(ROOT)} has no {missing} figures, block {name} in "
                f"{where} left as is (run make gas / make bench)",
                file=sys.stderr,
            )
            continue
        text = pattern.sub(lambda m, body=body: m.group(1) + body + "\n" + m.group(2), text)
    return text


def main(argv: list[str]) -> int:
    check = "--check" in argv
    found: set[str] = set()
    differ: list[str] = []
    for target in TARGETS:
        where = str(target.relative_to(ROOT))
        if not target.exists():
            print(f"readme_figures: {where} not found, skipped", file=sys.stderr)
            continue
        old = target.read_text()
        new = render(old, where, found)
        if new == old:
            continue
        differ.append(where)
        if not check:
            tmp = target.with_name(target.name + ".tmp")
            tmp.write_text(new)
            tmp.replace(target)
            print(f"{where} figures rewritten from reports/")
    targets = ", ".join(str(t.relative_to(ROOT)) for t in TARGETS)
    for name in RENDER:
        if name not in found:
            print(f"readme_figures: block {name} is in none of {targets}", file=sys.stderr)
    if check and differ:
        print(
            f"{', '.join(differ)}: figures differ from reports/: run python tools/readme_figures.py",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
