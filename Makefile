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

.PHONY: help setup test test-fast lint compile demo gas bench clean distclean

help:
	@echo "make setup   install the venv, npm tools (solc, anvil, OpenZeppelin) and build Kubo"
	@echo "make test    the whole test suite (unit, property, offchain, e2e)"
	@echo "make demo    the end-to-end demo on Anvil + two Kubo nodes"
	@echo "make gas     gas per order step -> reports/gas.json"
	@echo "make bench   benchmarks -> reports/bench.json"
	@echo "make lint    ruff"

setup:
	@tools/setup.sh

compile: setup
	$(APE) compile

lint: setup
	$(VENV)/bin/ruff check offchain scripts tests benchmarks

test: setup
	$(VENV)/bin/ruff check offchain scripts tests benchmarks
	$(APE) test tests -p no:cacheprovider

demo: setup
	$(APE) run demo $(if $(filter 1 yes true,$(PERMISSIONED)),--permissioned)

gas: setup
	@mkdir -p reports
	$(APE) run gas_report

bench: setup
	@mkdir -p reports
	$(VENV)/bin/python -m benchmarks $(BENCH)

clean:
	rm -rf .build .cache reports .pytest_cache .hypothesis

distclean: clean
	rm -rf .venv node_modules .tools .prodnet
