"""The auditors' gate (tools/audit.py) on fabricated findings: no Slither, no SMTChecker run."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import ROOT


@pytest.fixture(scope="module")
def audit() -> Iterator[Any]:
    spec = importlib.util.spec_from_file_location("prodnet_audit", ROOT / "tools" / "audit.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(spec.name, None)


def slither(audit: Any, detector: str, element: str, impact: str = "Low") -> Any:
    return audit.Finding("slither", detector, element, impact, "contracts/X.sol:1", "text")


def smt(audit: Any, outcome: str, kind: str, element: str) -> Any:
    return audit.Finding("smt", f"{outcome}.{kind}", element, outcome, "contracts/X.sol:1", "CHC: ...")


TRIAGE_TOML = {
    "slither": {
        "timestamp": {"ProductionOrders.take": "windows are hours long"},
        "naming-convention": {"IMembership.PRODUCER_ROLE": "AccessControl's naming"},
    },
    "smt": {"unproved": {"overflow": {"CapacityRegistry.registerMachine": "2**256 registrations"}}},
}


def test_all_triaged_passes(audit: Any) -> None:
    triage = audit.parse_triage(TRIAGE_TOML)
    findings = [
        slither(audit, "timestamp", "ProductionOrders.take"),
        slither(audit, "naming-convention", "IMembership.PRODUCER_ROLE", "Informational"),
        smt(audit, "unproved", "overflow", "CapacityRegistry.registerMachine"),
        # a second finding with the same key is accepted by the same entry
        smt(audit, "unproved", "overflow", "CapacityRegistry.registerMachine"),
    ]
    assert audit.judge(findings, triage) == []


def test_a_new_finding_fails(audit: Any) -> None:
    triage = audit.parse_triage(TRIAGE_TOML)
    findings = [
        slither(audit, "timestamp", "ProductionOrders.take"),
        slither(audit, "timestamp", "ProductionOrders.ship"),  # new
        slither(audit, "naming-convention", "IMembership.PRODUCER_ROLE", "Informational"),
        smt(audit, "unproved", "overflow", "CapacityRegistry.registerMachine"),
        smt(audit, "unproved", "underflow", "CapacityRegistry.registerMachine"),  # new kind
    ]
    problems = audit.judge(findings, triage)
    assert len(problems) == 2, problems
    assert "not triaged: slither [timestamp] ProductionOrders.ship" in problems[0]
    assert "not triaged: smt [unproved.underflow] CapacityRegistry.registerMachine" in problems[1]


def test_a_violated_target_needs_its_own_entry(audit: Any) -> None:
    """An entry for an unproved target does not accept the same target once violated."""
    triage = audit.parse_triage(TRIAGE_TOML)
    findings = [
        slither(audit, "timestamp", "ProductionOrders.take"),
        slither(audit, "naming-convention", "IMembership.PRODUCER_ROLE", "Informational"),
        smt(audit, "violated", "overflow", "CapacityRegistry.registerMachine"),
    ]
    problems = audit.judge(findings, triage)
    assert any("not triaged: smt [violated.overflow] CapacityRegistry.registerMachine" in p for p in problems)
    assert any("stale triage entry: smt [unproved.overflow]" in p for p in problems)


def test_a_stale_entry_fails(audit: Any) -> None:
    triage = audit.parse_triage(TRIAGE_TOML)
    findings = [
        slither(audit, "timestamp", "ProductionOrders.take"),
        smt(audit, "unproved", "overflow", "CapacityRegistry.registerMachine"),
    ]
    assert audit.judge(findings, triage) == [
        "stale triage entry: slither [naming-convention] IMembership.PRODUCER_ROLE matches no finding"
        " (remove it)"
    ]


def test_entries_of_checks_that_did_not_run_are_not_stale(audit: Any) -> None:
    triage = audit.parse_triage(TRIAGE_TOML)
    findings = [slither(audit, "timestamp", "ProductionOrders.take"),
                slither(audit, "naming-convention", "IMembership.PRODUCER_ROLE", "Informational")]
    # Slither ran; the SMTChecker ran on CapacityRegistry for underflow only.
    assert audit.judge(findings, triage, ["slither", "smt:underflow:CapacityRegistry"]) == []
    problems = audit.judge(findings, triage, ["slither", "smt:overflow:CapacityRegistry"])
    assert problems == [
        "stale triage entry: smt [unproved.overflow] CapacityRegistry.registerMachine matches no finding"
        " (remove it)"
    ]


@pytest.mark.parametrize("impact", ["High", "Medium"])
def test_high_and_medium_can_never_be_triaged_away(audit: Any, impact: str) -> None:
    data = {"slither": {"reentrancy-eth": {"ProductionOrders.withdraw": "we think it is fine"}}}
    triage = audit.parse_triage(data)
    problems = audit.judge([slither(audit, "reentrancy-eth", "ProductionOrders.withdraw", impact)], triage)
    assert len(problems) == 1
    assert problems[0].startswith(f"{impact} finding slither [reentrancy-eth] ProductionOrders.withdraw")
    assert "never for High, Medium" in problems[0]
    # and without an entry it fails just the same
    assert audit.judge([slither(audit, "reentrancy-eth", "ProductionOrders.withdraw", impact)], {})


def test_triage_file_is_checked_for_its_shape(audit: Any) -> None:
    with pytest.raises(ValueError, match="unknown target kind"):
        audit.parse_triage({"smt": {"unproved": {"reentrancy": {"A.f": "x"}}}})
    with pytest.raises(ValueError, match="one-line reason"):
        audit.parse_triage({"slither": {"timestamp": {"A.f": "  "}}})
    with pytest.raises(ValueError, match="unknown sections"):
        audit.parse_triage({"mythril": {}})
    with pytest.raises(ValueError, match=r"smt\.proved"):
        audit.parse_triage({"smt": {"proved": {"overflow": {"A.f": "x"}}}})


def test_the_checked_in_triage_parses(audit: Any) -> None:
    triage = audit.load_triage(ROOT / "audit" / "triage.toml")
    assert triage
    assert all(reason and "\n" not in reason for reason in triage.values())


MATH = "node_modules/@openzeppelin/contracts/utils/math/Math.sol"


def _element(kind: str, name: str, parent: dict | None = None, path: str = "contracts/P.sol") -> dict:
    return {
        "type": kind, "name": name,
        "source_mapping": {"filename_relative": path, "lines": [7, 8]},
        "type_specific_fields": {"parent": parent} if parent else {},
    }


def test_slither_results_are_keyed_without_lines_and_dependencies_are_not_judged(audit: Any) -> None:
    contract = _element("contract", "ProductionOrders")
    function = _element("function", "take", contract)
    oz = _element("contract", "Math", path=MATH)
    results = [
        {"check": "timestamp", "impact": "Low", "description": "take uses timestamp\nmore",
         "elements": [function, _element("node", "block.timestamp >= order.end", function)]},
        {"check": "missing-zero-check", "impact": "Low", "description": "lacks a zero-check",
         "elements": [_element("variable", "tokenAdmin_", _element("function", "constructor", contract))]},
        {"check": "incorrect-exp", "impact": "High", "description": "in OpenZeppelin only",
         "elements": [_element("function", "mulDiv", oz, path=MATH)]},
        # OpenZeppelin first, prodnet second: judged, keyed by prodnet's element
        {"check": "pragma", "impact": "Informational", "description": "versions",
         "elements": [_element("pragma", "^0.8.20", path=oz["source_mapping"]["filename_relative"]),
                      _element("pragma", "^0.8.24")]},
    ]
    findings, dependencies = audit.slither_findings(results)
    assert [f.key for f in findings] == [
        ("slither", "timestamp", "ProductionOrders.take"),
        ("slither", "missing-zero-check", "ProductionOrders.constructor.tokenAdmin_"),
        ("slither", "pragma", "^0.8.24"),
    ]
    assert findings[0].where == "contracts/P.sol:7"
    assert findings[0].text == "take uses timestamp"
    assert dependencies == {"High": 1}


def test_smt_messages_are_keyed_by_function_and_outcome(audit: Any) -> None:
    source = "contracts/P.sol"
    asts = {
        source: {"ast": {"nodes": [
            {"nodeType": "PragmaDirective", "src": "0:10:0"},
            {"nodeType": "ContractDefinition", "name": "P", "src": "20:300:0", "contractKind": "contract",
             "nodes": [
                 {"nodeType": "FunctionDefinition", "name": "f", "kind": "function", "src": "30:50:0"},
                 {"nodeType": "FunctionDefinition", "name": "", "kind": "constructor", "src": "100:50:0"},
             ]},
        ]}},
        MATH: {"ast": {"nodes": [
            {"nodeType": "ContractDefinition", "name": "Math", "src": "0:900:1", "contractKind": "library",
             "nodes": [{"nodeType": "FunctionDefinition", "name": "ceilDiv", "kind": "function",
                        "src": "50:80:1"}]},
        ]}},
    }

    def message(text: str, file: str, start: int) -> dict[str, Any]:
        return {"severity": "warning", "message": text + "\n\nCounterexample: ...",
                "sourceLocation": {"file": file, "start": start, "end": start + 3}}

    output = {"sources": asts, "errors": [
        message("CHC: Underflow (resulting value less than 0) might happen here.", source, 40),
        message("CHC: Overflow (resulting value larger than 2**256 - 1) happens here.", source, 120),
        message("CHC: Division by zero might happen here.", MATH, 60),
        {"severity": "info", "message": "CHC: Underflow (resulting value less than 0) check is safe!",
         "sourceLocation": {"file": source, "start": 45, "end": 50}},
        {"severity": "warning", "errorCode": "7737", "message": "Inline assembly may cause ..."},
    ]}
    run = audit.SmtRun(source, "P", ("underflow", "overflow", "divByZero"))
    findings, outcomes, problems = audit.read_smt(output, run)
    assert problems == []
    assert [f.key for f in findings] == [
        ("smt", "unproved.underflow", "P.f"),
        ("smt", "violated.overflow", "P.constructor"),
        ("smt", "unproved.divByZero", "P:Math.ceilDiv"),
    ]
    assert outcomes == {"underflow.unproved": 1, "underflow.proved": 1, "overflow.violated": 1,
                        "divByZero.unproved": 1}
    assert [audit.scope_of(f.key) for f in findings] == [
        "smt:underflow:P", "smt:overflow:P", "smt:divByZero:P"
    ]


def test_an_unreadable_smt_message_is_a_problem(audit: Any) -> None:
    output = {"sources": {}, "errors": [
        {"severity": "warning", "message": "CHC: 3 verification condition(s) could not be proved."},
    ]}
    _, _, problems = audit.read_smt(output, audit.SmtRun("contracts/P.sol", "P", ("overflow",)))
    assert problems and "unreadable message" in problems[0]


def test_the_lint_plan_leaves_out_the_slow_targets_and_full_runs_all(audit: Any) -> None:
    contracts = [("contracts/ProductionOrders.sol", "ProductionOrders"), ("contracts/M.sol", "M")]
    runs, skipped = audit.smt_plan(contracts, full=False)
    kinds = {(r.contract, k) for r in runs for k in r.targets}
    assert ("ProductionOrders", "underflow") not in kinds
    assert "ProductionOrders underflow" in skipped
    assert {("M", k) for k in audit.SMT_TARGETS} <= kinds
    full_runs, none_skipped = audit.smt_plan(contracts, full=True)
    assert none_skipped == []
    assert {(r.contract, k) for r in full_runs for k in r.targets} == {
        (c, k) for _, c in contracts for k in audit.SMT_TARGETS
    }


def test_a_silent_smtchecker_is_a_problem_not_a_pass(audit: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A solc build whose SMTChecker has no solver says nothing: the canary makes that fail."""
    monkeypatch.setattr(audit, "run_solc", lambda request, timeout: {"errors": []})
    result = audit.run_smt(jobs=1, run_timeout=10, full=False)
    assert result["problems"] and "canary" in result["problems"][0]
    assert "findings" not in result
    overflow = {"message": "CHC: Overflow (resulting value larger than 255) happens here.\nCounterexample:"}
    monkeypatch.setattr(audit, "run_solc", lambda request, timeout: {"errors": [overflow]})
    assert audit.smt_canary() == []
