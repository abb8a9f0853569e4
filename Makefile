# prodnet: every target installs what it needs first (tools/setup.sh is idempotent).
SHELL := /bin/bash
.DEFAULT_GOAL := help

ROOT := $(CURDIR)
VENV := $(ROOT)/.venv
export PATH := $(VENV)/bin:$(PATH)
export SOLCX_BINARY_PATH := $(ROOT)/.tools/solc
# Ape keeps its data (accounts, caches) inside the project unless told otherwise.
export APE_DATA_FOLDER ?= $(ROOT)/.prodnet/ape
export HYPOTHESIS_PROFILE ?= ci
APE := $(VENV)/bin/ape

.PHONY: help setup test lint compile demo portal chain network gas bench clean distclean

help:
	@echo "make setup   install the venv, npm tools (solc, anvil, OpenZeppelin) and build Kubo"
	@echo "make test    the whole test suite (unit, property, offchain, e2e)"
	@echo "make demo    the end-to-end demo on Anvil + two Kubo nodes (PERMISSIONED=1: on the members' geth network;"
	@echo "             PRINTERS=1: one job printed on OctoPrint's Virtual Printer, then shipped)"
	@echo "make portal  the web portal on the demo world (Anvil, two Kubo nodes); prints the URL to open"
	@echo "make network the members' network: 3 geth nodes in Clique proof-of-authority (.prodnet/network)"
	@echo "make gas     gas per order step -> reports/gas.json"
	@echo "make bench   benchmarks -> reports/bench.json"
	@echo "make chain   a long-running local Anvil on :8545 whose state survives restarts (.prodnet/chain)"
	@echo "make lint    ruff, import-linter (offchain's layers import downwards only), tools/lint_scripts.py"
	@echo "             (no script but demo, network and portal imports offchain.devtools), and the auditors'"
	@echo "             gate: Slither and the SMTChecker against audit/triage.toml (tools/audit.py)"

setup:
	@tools/setup.sh

compile: setup
	$(APE) compile

# The auditors' gate last (tools/audit.py, ~1-3 min): Slither and the SMTChecker on contracts/,
# every accepted finding in audit/triage.toml; report in reports/audit.json.
lint: setup
	$(VENV)/bin/ruff check offchain scripts tests benchmarks tools
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/python tools/lint_scripts.py
	$(VENV)/bin/python tools/audit.py

# Two processes, one per core (tools/test.sh): the contracts (then the contract tests again
# on the London build the members' geth network gets; offchain/chain/evm.py), and the rest.
test: lint
	@tools/test.sh

# An operator's local chain: Anvil on CHAIN_PORT, its state dumped to CHAIN_STATE on exit
# and loaded again on the next start. Use it as --network ethereum:prodnet:node with
# PRODNET_RPC_URL=http://127.0.0.1:$(CHAIN_PORT).
CHAIN_PORT ?= 8545
CHAIN_STATE ?= $(ROOT)/.prodnet/chain/state.json
chain: setup
	@mkdir -p $(dir $(CHAIN_STATE))
	@echo "anvil on http://127.0.0.1:$(CHAIN_PORT), state in $(CHAIN_STATE) (Ctrl-C saves it)"
	$(VENV)/bin/anvil --host 127.0.0.1 --port $(CHAIN_PORT) --state $(CHAIN_STATE) --state-interval 10

# PERMISSIONED=1: the story on the members' network (3 geth nodes, `make network`), left
# running afterwards (`ape run network down` stops it; its chain stays in .prodnet/network).
# PRINTERS=1: an OctoPrint with its Virtual Printer is the producer's printer; one job is
# printed, then shipped (needs PrusaSlicer and OctoPrint: make setup's steps slicer, octoprint).
DEMO_PRINTERS = $(if $(filter 1 yes true,$(PRINTERS)),--printers,)
demo: setup
ifneq ($(filter 1 yes true,$(PERMISSIONED)),)
	$(APE) run network up
	$(APE) run demo --permissioned --network ethereum:permissioned:node $(DEMO_PRINTERS)
else
	$(APE) run demo $(DEMO_PRINTERS)
endif

# The members' network: N geth nodes sealing in Clique (node i: RPC on 127.0.0.1:860i).
# Its chain stays in .prodnet/network across `ape run network down` / `up`.
network: setup
	$(APE) run network up

PORTAL_PORT ?= 8700
portal: setup
	$(APE) run portal --demo --port $(PORTAL_PORT)

gas: setup
	@mkdir -p reports
	$(APE) run gas_report
	$(APE) run gas_report --evm london --out reports/gas-london.json
	$(VENV)/bin/python tools/readme_figures.py

bench: setup
	@mkdir -p reports
	$(VENV)/bin/python -m benchmarks $(BENCH)
	$(VENV)/bin/python tools/readme_figures.py

clean:
	rm -rf .build .cache reports .pytest_cache .hypothesis

distclean: clean
	rm -rf .venv node_modules .tools .prodnet
