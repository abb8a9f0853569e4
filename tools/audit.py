"""The auditors' gate: Slither and the compiler's SMTChecker on contracts/, against audit/triage.toml.

    .venv/bin/python tools/audit.py            what `make lint` runs (75 s here)
    .venv/bin/python tools/audit.py --full     every SMTChecker target of every contract (long)
    .venv/bin/python tools/audit.py --only slither|smt

Exit 1, one line per problem, when
  * Slither reports a High or Medium finding in prodnet's contracts (never triaged away);
  * a Low, Informational or Optimization finding is not accepted in the triage;
  * an SMTChecker target is unproved or violated and not accepted in the triage;
  * a triage entry matches no finding of the checks that ran (stale: the file stays true);
  * a tool does not run, or says something the gate cannot read.
Prints a summary and writes reports/audit.json. Findings are keyed without line numbers:
Slither's by detector + element ("ProductionOrders.take"), the SMTChecker's by outcome + target
kind + function ("ProductionOrders._release"). audit/triage.toml's header says more.

Slither (.tools/slither-venv, tools/setup.sh step "slither") compiles through the project's
solc adapter from a standard-JSON input naming every .sol file in contracts/. It reads the
London build (@prodnet/evm -> contracts/evm/london): Slither 0.11.6 cannot resolve the Cancun
build's re-exported import alias (`ReentrancyGuardTransient as ReentrancyGuard`; it stops with
"Contract ReentrancyGuard not found", crytic/slither#3019), and the two builds differ only in
the OpenZeppelin guard they import. Findings only in OpenZeppelin's files are counted, not judged.

The SMTChecker is the CHC engine of the npm solc (soljson.js) with its embedded z3, on the
Cancun build. Its `timeout` setting cannot be used there: z3 starts a timer thread, which the
WebAssembly build cannot ("thread constructor failed"). Without it each query is bounded by
the compiler's z3 resource limit, rlimit 2,000,000 (not a setting; deterministic: the same
verdicts for the same input on any machine), and each compiler process by --run-timeout. One
process per contract and target kind (SMT_BATCHES groups a few): all kinds in one process
crashed z3 on CapacityRegistry ("memory access out of bounds"). LINT_SKIP names the targets
too slow for `make lint`; --full runs them too.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
import tomllib
from collections import Counter
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import click
import yaml

ROOT = Path(__file__).resolve().parent.parent
CONTRACTS = "contracts"
TRIAGE = ROOT / "audit" / "triage.toml"
REPORT = ROOT / "reports" / "audit.json"
SLITHER = ROOT / ".tools" / "slither-venv" / "bin" / "slither"

IMPACTS = ("High", "Medium", "Low", "Informational", "Optimization")
BLOCKING = frozenset({"High", "Medium"})

# The SMTChecker's target kinds (settings.modelChecker.targets) and the words its messages
# use for each ("CHC: Underflow (resulting value less than 0) might happen here.").
SMT_TARGETS = {
    "underflow": "Underflow",
    "overflow": "Overflow",
    "assert": "Assertion violation",
    "balance": "Insufficient funds",
    "popEmptyArray": 'Empty array "pop"',
    "outOfBounds": "Out of bounds access",
    "divByZero": "Division by zero",
}
SMT_OUTCOMES = ("unproved", "violated")
SMT_ENGINE = "chc"
_VERDICTS = {"happens here": "violated", "might happen here": "unproved", "check is safe!": "proved"}
_SMT_MESSAGE = re.compile(
    r"^(?P<engine>CHC|BMC): (?P<what>.+?) (?P<verdict>happens here|might happen here|check is safe!)"
)
# "does not yet support/implement ...", "inline assembly may cause spurious warnings": code the
# SMTChecker abstracts (OpenZeppelin's assembly, mostly). Counted in the report.
SMT_NOTE_CODES = frozenset({"7650", "7737", "8364", "5188", "6031", "4639", "2339", "2788"})

# Targets left out of `make lint` (run by --full). Measured on this 2-core machine (npm solc
# 0.8.30, CHC, one process per target, two at a time; the machine was shared):
#   Membership        ~3 s per target (it compiles all of contracts/); it has no target
#   CapacityRegistry  ~80 s for all seven (outOfBounds 40-50 s, overflow 10 s, others ~3 s)
#   ProductionOrders  assert + balance + popEmptyArray 25-30 s in one process (it has no such
#                     target: the time is the encoding of the contract); underflow 183-392 s,
#                     overflow 1538 s, divByZero 340 s, and none of their 35 targets proved
#                     (z3 gave up on each); outOfBounds did not finish in 1800 s.
# `make lint` takes ~70 s with them left out. The BMC engine is no way out: ProductionOrders
# underflow did not finish in 600 s.
# The market's extension (ProductionOrdersExtension, the same storage and checks) is left out
# of the same kinds: its underflow targets (the same subtractions) were not proved either.
SLOW = ("underflow", "overflow", "divByZero", "outOfBounds")
# CapacityRegistry's outOfBounds crashes z3's WebAssembly build ("memory access out of
# bounds") on every try since the market's sources were split into contracts/market/ (the
# crash depends on the source set, not the contract: see Z3_CRASH_TRIES); --full still asks.
LINT_SKIP = {
    "ProductionOrders": SLOW, "ProductionOrdersExtension": SLOW, "CapacityRegistry": ("outOfBounds",),
}
# Kinds checked in one process (one encoding of the contract) rather than one each: those
# that have no target in the contract, so z3 is never asked (all kinds at once crashed it).
SMT_BATCHES = {name: [("assert", "balance", "popEmptyArray")] for name in ("ProductionOrders",
                                                                       "ProductionOrdersExtension")}


# ---------------------------------------------------------------------------- findings


@dataclass(frozen=True)
class Finding:
    """One finding, keyed by (tool, group, element); `where` and `text` are for people only."""

    tool: str  # "slither" or "smt"
    group: str  # slither: the detector; smt: "unproved.underflow", "violated.assert", ...
    element: str  # "ProductionOrders.take", "ProductionOrders.constructor.tokenAdmin_", "^0.8.24"
    impact: str  # slither: High ... Optimization; smt: unproved or violated
    where: str = ""
    text: str = ""

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.tool, self.group, self.element)


def key_text(key: tuple[str, str, str]) -> str:
    tool, group, element = key
    return f"{tool} [{group}] {element}"


def smt_element(analysed: str, defining: str, function: str) -> str:
    """"ProductionOrders._release"; "ProductionOrders:Math.ceilDiv" for code of another contract."""
    name = f"{defining}.{function}" if function else defining
    return name if defining == analysed else f"{analysed}:{name}"


def scope_of(key: tuple[str, str, str]) -> str:
    """The check a key belongs to: "slither", or "smt:KIND:AnalysedContract"."""
    tool, group, element = key
    if tool != "smt":
        return tool
    kind = group.split(".", 1)[-1]
    analysed = element.split(":", 1)[0] if ":" in element else element.split(".", 1)[0]
    return f"smt:{kind}:{analysed}"


def load_triage(path: Path) -> dict[tuple[str, str, str], str]:
    """audit/triage.toml as {(tool, group, element): reason}; ValueError if malformed."""
    return parse_triage(tomllib.loads(path.read_text()))


def parse_triage(data: dict[str, Any]) -> dict[tuple[str, str, str], str]:
    unknown = set(data) - {"slither", "smt"}
    if unknown:
        raise ValueError(f"unknown sections {sorted(unknown)} (expected [slither.*] and [smt.*])")
    entries: dict[tuple[str, str, str], str] = {}

    def take(tool: str, group: str, table: Any) -> None:
        if not isinstance(table, dict):
            raise ValueError(f'[{tool}.{group}] must be a table of "element" = "reason"')
        for element, reason in table.items():
            if not isinstance(reason, str) or not reason.strip():
                raise ValueError(f"[{tool}.{group}] {element!r} needs a one-line reason")
            entries[(tool, group, element)] = reason.strip()

    for detector, table in data.get("slither", {}).items():
        take("slither", detector, table)
    for outcome, kinds in data.get("smt", {}).items():
        if outcome not in SMT_OUTCOMES or not isinstance(kinds, dict):
            raise ValueError(f"[smt.{outcome}]: expected [smt.unproved.KIND] or [smt.violated.KIND]")
        for kind, table in kinds.items():
            if kind not in SMT_TARGETS:
                known = ", ".join(SMT_TARGETS)
                raise ValueError(f"[smt.{outcome}.{kind}]: unknown target kind (known: {known})")
            take("smt", f"{outcome}.{kind}", table)
    return entries


def judge(
    findings: Iterable[Finding],
    triage: dict[tuple[str, str, str], str],
    checked: Iterable[str] | None = None,
) -> list[str]:
    """The gate's verdict: one line per problem, none if the findings pass.

    High and Medium Slither findings always fail, triaged or not; every other finding needs a
    triage entry; an entry whose check ran (`checked`: scopes as scope_of gives; None: all)
    and that matches no finding is stale.
    """
    problems: list[str] = []
    by_key: dict[tuple[str, str, str], list[Finding]] = {}
    for f in findings:
        by_key.setdefault(f.key, []).append(f)
    for key, group in by_key.items():
        first = group[0]
        where = f" at {first.where}" if first.where else ""
        more = f" (and {len(group) - 1} more)" if len(group) > 1 else ""
        if first.tool == "slither" and first.impact in BLOCKING:
            entry = " (its triage entry does not count: never for High, Medium)" if key in triage else ""
            problems.append(f"{first.impact} finding {key_text(key)}{where}{more}: {first.text}{entry}")
        elif key not in triage:
            problems.append(f"not triaged: {key_text(key)} ({first.impact}){where}{more}: {first.text}")
    scopes = None if checked is None else set(checked)
    for key in triage:
        if key not in by_key and (scopes is None or scope_of(key) in scopes):
            problems.append(f"stale triage entry: {key_text(key)} matches no finding (remove it)")
    return problems


# ---------------------------------------------------------------------------- project settings


def _config() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "ape-config.yaml").read_text())["solidity"]


def remappings(evm: str) -> list[str]:
    """ape-config.yaml's import remappings, with @prodnet/evm pointed at the `evm` build."""
    out = []
    for item in _config().get("import_remapping", []):
        prefix, target = item.split("=", 1)
        if prefix.rstrip("/") == "@prodnet/evm":
            target = f"{CONTRACTS}/evm/{evm}"
        out.append(f"{prefix.rstrip('/')}/={target.rstrip('/')}/")
    return out


def solc_binary() -> Path:
    return ROOT / ".tools" / "solc" / f"solc-v{_config()['version']}"


def project_sources(exclude: Iterable[str] = ()) -> list[str]:
    skip = tuple(exclude)
    paths = (p.relative_to(ROOT).as_posix() for p in (ROOT / CONTRACTS).rglob("*.sol"))
    return sorted(p for p in paths if not p.startswith(skip))


def ours(path: str) -> bool:
    return path.startswith(f"{CONTRACTS}/")


def _last_line(text: str, default: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else default


# ---------------------------------------------------------------------------- Slither


def slither_element(element: dict[str, Any]) -> str:
    """Contract.function[.variable] of a Slither result element, without lines or ids."""
    names: list[str] = []
    node: dict[str, Any] | None = element
    while node:
        if node.get("type") != "node":  # a statement: its function names it
            names.append(str(node.get("name")))
        node = (node.get("type_specific_fields") or {}).get("parent")
    return ".".join(reversed(names))


def slither_findings(results: list[dict[str, Any]]) -> tuple[list[Finding], Counter[str]]:
    """prodnet's findings (those naming a file in contracts/), and per impact the count of
    those only in dependencies."""
    findings: list[Finding] = []
    dependencies: Counter[str] = Counter()
    for result in results:
        mine = [
            el for el in result.get("elements", [])
            if ours((el.get("source_mapping") or {}).get("filename_relative", ""))
        ]
        if not mine:
            dependencies[result["impact"]] += 1
            continue
        mapping = mine[0]["source_mapping"]
        findings.append(Finding(
            tool="slither",
            group=result["check"],
            element=slither_element(mine[0]),
            impact=result["impact"],
            where=f"{mapping['filename_relative']}:{(mapping.get('lines') or [0])[0]}",
            text=result["description"].strip().splitlines()[0][:200],
        ))
    return findings, dependencies


def slither_command(input_json: Path, output_json: Path) -> list[str]:
    return [
        str(SLITHER), str(input_json),
        "--compile-force-framework", "solc-json",
        "--solc", str(solc_binary()),
        "--json", str(output_json), "--json-types", "detectors,compilations",
        # in-source `slither-disable` comments and a slither.db.json do not bypass the triage
        "--show-ignored-findings",
        "--fail-none", "--disable-color",
    ]


def run_slither() -> dict[str, Any]:
    started = time.monotonic()
    if not SLITHER.exists():
        where = SLITHER.relative_to(ROOT)
        return {"problems": [f"slither not installed at {where}: run tools/setup.sh slither"]}
    sources = project_sources(exclude=[f"{CONTRACTS}/evm/cancun/"])
    request = {
        "language": "Solidity",
        "sources": {path: {"urls": [path]} for path in sources},
        "settings": {"remappings": remappings("london"), "evmVersion": "london"},
    }
    # solc-select (crytic-compile imports it) makes its folder in $VIRTUAL_ENV, not in ~.
    env = dict(os.environ, VIRTUAL_ENV=str(SLITHER.parent.parent))
    said = subprocess.run([str(SLITHER), "--version"], env=env, capture_output=True, text=True)
    version = said.stdout.strip()
    with tempfile.TemporaryDirectory(prefix="prodnet-slither-") as tmp:
        input_json, output_json = Path(tmp) / "input.json", Path(tmp) / "slither.json"
        input_json.write_text(json.dumps(request))
        command = slither_command(input_json, output_json)
        try:
            proc = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
        except subprocess.TimeoutExpired:
            return {"problems": ["slither did not finish in 900 s"], "command": command}
        try:
            out = json.loads(output_json.read_text())
        except (OSError, ValueError):
            tail = _last_line(proc.stderr or proc.stdout, "no output")
            return {"problems": [f"slither did not run (exit {proc.returncode}): {tail}"], "command": command}
    if not out.get("success"):
        return {"problems": [f"slither failed: {_last_line(str(out.get('error')), 'unknown error')}"],
                "command": command}
    results = out.get("results", {})
    units = [u for c in results.get("compilations", []) for u in c.get("compilation_units", {}).values()]
    analysed = {path for u in units for path in u.get("source_units", {})}
    findings, dependencies = slither_findings(results.get("detectors", []))
    counts = Counter(f.impact for f in findings)
    return {
        "version": version,
        "command": command,
        "seconds": round(time.monotonic() - started, 1),
        "counts": {impact: counts.get(impact, 0) for impact in IMPACTS},
        "dependency_counts": {impact: dependencies.get(impact, 0) for impact in IMPACTS},
        "findings": findings,
        "checked": ["slither"],
        "problems": [f"slither did not analyse {path}" for path in sources if path not in analysed],
    }


# ---------------------------------------------------------------------------- SMTChecker


@dataclass(frozen=True)
class SmtRun:
    """One compiler process: the SMTChecker on one contract, for one or more target kinds."""

    source: str
    contract: str
    targets: tuple[str, ...]

    @property
    def scopes(self) -> list[str]:
        return [f"smt:{target}:{self.contract}" for target in self.targets]

    @property
    def label(self) -> str:
        return f"{self.contract} {'+'.join(self.targets)}"


def solc_request(sources: Iterable[str], settings: dict[str, Any]) -> str:
    return json.dumps({
        "language": "Solidity",
        "sources": {path: {"urls": [path]} for path in sources},
        "settings": {"remappings": remappings("cancun"), "evmVersion": _config().get("evm_version", "cancun"),
                     **settings},
    })


def solc_command() -> list[str]:
    return [str(solc_binary()), "--standard-json", "--base-path", str(ROOT), "--allow-paths", str(ROOT)]


#: How often a run is tried when z3's WebAssembly build crashes ("memory access out of
#: bounds"): the crash comes and goes with the same input (CapacityRegistry's outOfBounds
#: crashed once in ten lint runs here), a second run in a fresh process passes.
Z3_CRASH_TRIES = 3


def run_solc(request: str, timeout: float) -> dict[str, Any]:
    for _ in range(Z3_CRASH_TRIES):
        proc = subprocess.run(
            solc_command(), cwd=ROOT, input=request, capture_output=True, text=True, timeout=timeout
        )
        if "memory access out of bounds" not in proc.stderr:
            break
    if proc.returncode != 0 or not proc.stdout.strip():
        # node's last line is its version; the error is the line naming it
        lines = proc.stderr.splitlines()
        said = next((line.strip() for line in lines if re.match(r"^\w*Error\b", line.strip())), None)
        raise RuntimeError(f"solc exit {proc.returncode}: {said or _last_line(proc.stderr, 'no output')}")
    return json.loads(proc.stdout)


def walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        if "nodeType" in node:
            yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def deployable_contracts(asts: dict[str, Any]) -> list[tuple[str, str]]:
    """(source, name) of every non-abstract contract defined in contracts/."""
    return sorted(
        (source, node["name"])
        for source, unit in asts.items() if ours(source)
        for node in unit["ast"].get("nodes", [])
        if node.get("nodeType") == "ContractDefinition" and node.get("contractKind") == "contract"
        and not node.get("abstract")
    )


class Scopes:
    """Maps a source offset to (contract, function) through the compiler's AST."""

    def __init__(self, asts: dict[str, Any]) -> None:
        self._spans: dict[str, list[tuple[int, int, str, str]]] = {}
        for source, unit in asts.items():
            spans = self._spans.setdefault(source, [])
            for top in unit["ast"].get("nodes", []):
                if top.get("nodeType") == "FunctionDefinition":  # a free function
                    spans.append((*self._span(top), Path(source).stem, self._label(top)))
                if top.get("nodeType") != "ContractDefinition":
                    continue
                spans.append((*self._span(top), top["name"], ""))
                for node in walk(top.get("nodes", [])):
                    if node["nodeType"] in ("FunctionDefinition", "ModifierDefinition"):
                        spans.append((*self._span(node), top["name"], self._label(node)))

    @staticmethod
    def _span(node: dict[str, Any]) -> tuple[int, int]:
        start, length, _ = (int(x) for x in node["src"].split(":"))
        return start, start + length

    @staticmethod
    def _label(node: dict[str, Any]) -> str:
        kind = node.get("kind")
        return kind if kind in ("constructor", "fallback", "receive") else node["name"]

    def at(self, source: str, start: int) -> tuple[str, str]:
        spans = self._spans.get(source, [])
        inside = [(end - begin, c, f) for begin, end, c, f in spans if begin <= start < end]
        if not inside:
            return Path(source).stem, ""
        _, contract, function = min(inside)
        return contract, function


def read_smt(output: dict[str, Any], run: SmtRun) -> tuple[list[Finding], Counter[str], list[str]]:
    """The unproved and violated targets of one run, counts per "kind.outcome", problems."""
    scopes = Scopes(output.get("sources", {}))
    texts: dict[str, bytes] = {}
    findings: list[Finding] = []
    outcomes: Counter[str] = Counter()
    problems: list[str] = []
    for error in output.get("errors", []):
        first_line = (error.get("message") or "").splitlines()[0] if error.get("message") else ""
        if error.get("severity") == "error":
            problems.append(f"smt {run.label}: compiler error: {first_line}")
            continue
        if not first_line.startswith(("CHC", "BMC")):
            continue
        match = _SMT_MESSAGE.match(first_line)
        what = match["what"] if match else ""
        kind = next((k for k, words in SMT_TARGETS.items() if match and what.startswith(words)), None)
        if not match or not kind:
            problems.append(f"smt {run.label}: unreadable message: {first_line}")
            continue
        outcome = _VERDICTS[match["verdict"]]
        outcomes[f"{kind}.{outcome}"] += 1
        if outcome == "proved":
            continue
        location = error.get("sourceLocation") or {}
        source, start = location.get("file", ""), int(location.get("start", -1))
        contract, function = scopes.at(source, start)
        findings.append(Finding(
            tool="smt",
            group=f"{outcome}.{kind}",
            element=smt_element(run.contract, contract, function),
            impact=outcome,
            where=f"{source}:{_line_of(source, start, texts)}",
            text=f"{match['engine']}: {match['what']} {match['verdict']}",
        ))
    return findings, outcomes, problems


def _line_of(source: str, offset: int, cache: dict[str, bytes]) -> int:
    """Line of a compiler source offset, which counts bytes (OpenZeppelin's comments have UTF-8)."""
    if source not in cache:
        path = ROOT / source
        cache[source] = path.read_bytes() if path.is_file() else b""
    return cache[source].count(b"\n", 0, max(offset, 0)) + 1


def smt_plan(contracts: Iterable[tuple[str, str]], full: bool) -> tuple[list[SmtRun], list[str]]:
    """(runs, skipped "Contract kind"s): the kinds of SMT_BATCHES together, each other kind
    alone; LINT_SKIP's kinds left out unless `full`."""
    runs, skipped = [], []
    for source, name in contracts:
        left_out = () if full else LINT_SKIP.get(name, ())
        skipped += [f"{name} {target}" for target in SMT_TARGETS if target in left_out]
        kinds = [target for target in SMT_TARGETS if target not in left_out]
        batches = [tuple(k for k in batch if k in kinds) for batch in SMT_BATCHES.get(name, ())]
        batched = {k for batch in batches for k in batch}
        batches += [(k,) for k in kinds if k not in batched]
        runs += [SmtRun(source, name, batch) for batch in batches if batch]
    return runs, skipped


def smt_settings(run: SmtRun) -> dict[str, Any]:
    return {
        "modelChecker": {
            "engine": SMT_ENGINE,
            "contracts": {run.source: [run.contract]},
            "targets": list(run.targets),
            "showUnproved": True,
            "showProvedSafe": True,
            "showUnsupported": True,
        },
        "outputSelection": {"*": {"": ["ast"]}},
    }


def _smt_one(run: SmtRun, run_timeout: float) -> dict[str, Any]:
    started = time.monotonic()
    result: dict[str, Any] = {"run": run}
    try:
        # All of contracts/ as sources, as `ape compile` has them: with CapacityRegistry.sol
        # alone, outOfBounds crashed z3 ("memory access out of bounds"); with all, it did not.
        output = run_solc(solc_request(project_sources(), smt_settings(run)), run_timeout)
    except subprocess.TimeoutExpired:
        result["problems"] = [f"smt {run.label} did not finish in {run_timeout:.0f} s"]
    except (RuntimeError, ValueError) as exc:
        result["problems"] = [f"smt {run.label}: {exc}"]
    else:
        result["findings"], result["outcomes"], result["problems"] = read_smt(output, run)
        result["notes"] = sum(1 for e in output.get("errors", []) if e.get("errorCode") in SMT_NOTE_CODES)
    result["seconds"] = round(time.monotonic() - started, 1)
    return result


# A target the SMTChecker must find violated: without an answering solver (a compiler build
# without z3) every run would come back empty and the gate would pass on nothing.
CANARY = (
    "// SPDX-License-Identifier: MIT\npragma solidity >=0.8.0;\n"
    "contract Canary { function f(uint8 a) external pure returns (uint8) { return a + 1; } }\n"
)


def smt_canary() -> list[str]:
    request = json.dumps({
        "language": "Solidity",
        "sources": {"Canary.sol": {"content": CANARY}},
        "settings": {"modelChecker": {"engine": SMT_ENGINE, "targets": ["overflow"]}, "outputSelection": {}},
    })
    try:
        output = run_solc(request, 120)
    except (RuntimeError, subprocess.TimeoutExpired, ValueError) as exc:
        return [f"smt: the canary did not compile: {exc}"]
    messages = [e.get("message", "") for e in output.get("errors", [])]
    if any(m.startswith("CHC: Overflow") and "happens here" in m for m in messages):
        return []
    said = "; ".join(m.splitlines()[0] for m in messages if m) or "nothing"
    return [f"smt: the SMTChecker did not find the canary's overflow (is z3 in this solc build?): {said}"]


def run_smt(jobs: int, run_timeout: float, full: bool) -> dict[str, Any]:
    started = time.monotonic()
    canary = smt_canary()
    if canary:
        return {"problems": canary}
    try:
        listing = run_solc(solc_request(project_sources(), {"outputSelection": {"*": {"": ["ast"]}}}), 300)
    except (RuntimeError, subprocess.TimeoutExpired, ValueError) as exc:
        return {"problems": [f"smt: the compiler did not list the contracts: {exc}"]}
    errors = [e for e in listing.get("errors", []) if e.get("severity") == "error"]
    if errors:
        return {"problems": [f"smt: compile error: {e['message'].splitlines()[0]}" for e in errors]}
    contracts = deployable_contracts(listing.get("sources", {}))
    runs, skipped = smt_plan(contracts, full)
    # The biggest sources first, so that the workers finish together.
    runs.sort(key=lambda r: -(ROOT / r.source).stat().st_size)
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        done = list(pool.map(lambda r: _smt_one(r, run_timeout), runs))
    outcomes: Counter[str] = Counter()
    per_kind = {kind: {"proved": 0, "unproved": 0, "violated": 0} for kind in SMT_TARGETS}
    for d in done:
        for kind_outcome, n in d.get("outcomes", {}).items():
            kind, outcome = kind_outcome.split(".")
            per_kind[kind][outcome] += n
            outcomes[outcome] += n
    return {
        "engine": SMT_ENGINE,
        "command": solc_command(),
        "contracts": [name for _, name in contracts],
        "seconds": round(time.monotonic() - started, 1),
        "outcomes": {k: outcomes.get(k, 0) for k in ("proved", "unproved", "violated")},
        "per_kind": per_kind,
        "runs": [
            {**asdict(d["run"]), "seconds": d["seconds"], "outcomes": dict(d.get("outcomes", {})),
             "notes": d.get("notes", 0), "ok": not d.get("problems") and "findings" in d}
            for d in done
        ],
        "skipped": skipped,
        "findings": [f for d in done for f in d.get("findings", [])],
        "checked": [scope for d in done if "findings" in d for scope in d["run"].scopes],
        "problems": [p for d in done for p in d.get("problems", [])],
    }


# ---------------------------------------------------------------------------- CLI


def summary_lines(slither: dict[str, Any] | None, smt: dict[str, Any] | None) -> list[str]:
    lines = []
    if slither and "counts" in slither:
        counts = ", ".join(f"{n} {impact}" for impact, n in slither["counts"].items())
        dependency = sum(slither["dependency_counts"].values())
        lines.append(f"[audit] slither {slither['version']}: {counts} in prodnet's contracts "
                     f"({dependency} only in OpenZeppelin, not judged); {slither['seconds']} s")
    if smt and "outcomes" in smt:
        o = smt["outcomes"]
        kinds = ", ".join(f"{k} {v['proved']}/{v['unproved']}/{v['violated']}"
                          for k, v in smt["per_kind"].items())
        on = ", ".join(smt["contracts"])
        lines.append(f"[audit] smt ({smt['engine']}, {len(smt['runs'])} runs on {on}): {o['proved']} proved, "
                     f"{o['unproved']} unproved, {o['violated']} violated; {smt['seconds']} s")
        lines.append(f"[audit] smt per kind, proved/unproved/violated: {kinds}")
        if smt["skipped"]:
            skipped = ", ".join(smt["skipped"])
            lines.append(f"[audit] smt not run in make lint (too slow; --full runs them): {skipped}")
    return lines


@click.command(help=__doc__.split("\n\n")[0])
@click.option("--only", type=click.Choice(["slither", "smt"]), help="Run one of the two.")
@click.option("--full", is_flag=True, help="Every SMTChecker target, also those LINT_SKIP leaves out.")
@click.option("--jobs", type=int, default=min(2, os.cpu_count() or 1), show_default=True,
              help="SMTChecker processes at once.")
@click.option("--run-timeout", type=float, default=240.0, show_default=True,
              help="Seconds one SMTChecker process may take.")
@click.option("--triage", "triage_path", type=click.Path(path_type=Path), default=TRIAGE, show_default=True)
@click.option("--report", "report_path", type=click.Path(path_type=Path), default=REPORT, show_default=True)
def main(
    only: str | None, full: bool, jobs: int, run_timeout: float, triage_path: Path, report_path: Path
) -> None:
    started = time.monotonic()
    problems: list[str] = []
    try:
        triage = load_triage(triage_path)
    except (OSError, ValueError) as exc:  # tomllib.TOMLDecodeError is a ValueError
        triage = {}
        problems.append(f"triage {triage_path}: {exc}")
    slither = run_slither() if only in (None, "slither") else None
    smt = run_smt(jobs, run_timeout, full) if only in (None, "smt") else None
    findings: list[Finding] = []
    checked: list[str] = []
    for part in (slither, smt):
        if part is not None:
            problems += part.get("problems", [])
            findings += part.get("findings", [])
            checked += part.get("checked", [])
    problems += judge(findings, triage, checked)

    for line in summary_lines(slither, smt):
        click.echo(line)
    report = {
        "ok": not problems,
        "seconds": round(time.monotonic() - started, 1),
        "problems": problems,
        "triage": {"path": _shown(triage_path), "entries": len(triage)},
        "slither": _jsonable(slither),
        "smt": _jsonable(smt),
    }
    report_path.parent.mkdir(parents=True, exist_ok=True)
    report_path.write_text(json.dumps(report, indent=2) + "\n")
    for problem in problems:
        click.echo(f"audit: {problem}")
    verdict = "passed" if not problems else f"FAILED, {len(problems)} problem(s)"
    click.echo(f"[audit] {verdict}; {len(triage)} triage entries; {report['seconds']} s; "
               f"report in {_shown(report_path)}")
    sys.exit(1 if problems else 0)


def _jsonable(part: dict[str, Any] | None) -> dict[str, Any] | None:
    if part is None:
        return None
    out = dict(part)
    out["findings"] = [{**asdict(f), "key": key_text(f.key)} for f in out.get("findings", [])]
    return out


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


if __name__ == "__main__":
    main()
