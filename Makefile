# Entry points. `make demo` deploys the whole graph to the local stand-in; `make test` runs
# every test. Tools are cached outside the checkout (see toolchain/tools.sh).
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

TOOLS := toolchain/tools.sh
ENV := eval "$$($(TOOLS) env)";

help:
	@echo "make demo          build tools, start the stand-in, pulumi up --stack local, smoke checks"
	@echo "make test          run the whole test suite"
	@echo "make tools         build the offline toolchain (cached outside the checkout)"
	@echo "make sandbox-up | sandbox-down | sandbox-status"

tools:
	@$(TOOLS) build

sandbox-up:
	@$(TOOLS) build kube kwok crane
	@$(ENV) sandbox/sandbox.sh up

sandbox-down:
	@$(ENV) sandbox/sandbox.sh down

sandbox-status:
	@$(ENV) sandbox/sandbox.sh status

.PHONY: help tools sandbox-up sandbox-down sandbox-status
