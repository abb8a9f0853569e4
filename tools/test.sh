#!/usr/bin/env bash
# `make test`: the whole suite in two processes, one per core of a 2-core machine.
#   1. the contracts (tests/contracts, tests/property) on the public build, then the
#      contract tests again on the London build the members' network gets (and, with
#      HYPOTHESIS_PROFILE=audit, the property tests too);
#   2. everything off chain (parts, transfer, index, orders, CLI, e2e, portal, ...).
# Each has its own Anvil; run 1's output goes to reports/test-contracts.log and is shown
# once both are done. Exits non-zero if either failed.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
APE=.venv/bin/ape
mkdir -p reports
# Both runs read one build: compile it once, before they start.
"$APE" compile >/dev/null || exit 1

london=(tests/contracts)
[ "${HYPOTHESIS_PROFILE:-ci}" = audit ] && london+=(tests/property)
log=reports/test-contracts.log
(
  "$APE" test tests/contracts tests/property -p no:cacheprovider --durations=15 \
    && "$APE" test "${london[@]}" -p no:cacheprovider --evm london
) >"$log" 2>&1 &
contracts=$!
trap 'kill 0' INT TERM  # Ctrl-C stops both runs

started=$SECONDS
"$APE" test tests -p no:cacheprovider --durations=30 --ignore=tests/contracts --ignore=tests/property
offchain=$?
echo "[test] off-chain run finished in $((SECONDS - started)) s (exit $offchain); waiting for the contract run"
wait "$contracts"
onchain=$?
echo "================ tests/contracts + tests/property (then London), from $log ================"
cat "$log"
echo "[test] contract run exit $onchain; total $((SECONDS - started)) s"
[ "$offchain" -eq 0 ] && [ "$onchain" -eq 0 ]
