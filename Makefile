# Entry points. `make demo` deploys the whole graph to the local stand-in; `make test` runs
# every test. Tools are cached outside the checkout (see toolchain/tools.sh).
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

TOOLS := toolchain/tools.sh
ENV := eval "$$($(TOOLS) env)";
STACK ?= local
# The local stack's secrets are encrypted with this passphrase; it protects nothing but
# loopback test credentials. Other stacks take PULUMI_CONFIG_PASSPHRASE from the operator.
LOCAL_ENV := export PULUMI_CONFIG_PASSPHRASE=inter-hub-local \
	SOPS_AGE_KEY_FILE=$(CURDIR)/sandbox/fixtures/age-local.key \
	PULUMI_BACKEND_URL=$${PULUMI_BACKEND_URL:-file://$${XDG_CACHE_HOME:-$$HOME/.cache}/inter-hub/state};
STACK_ENV := $(if $(filter local,$(STACK)),$(LOCAL_ENV))
GO_SOURCES := $(shell find . -name '*.go' -not -path './toolchain/*' -not -path './.sandbox/*' -not -name '*_test.go') go.mod go.sum

help:
	@echo "make demo          build tools, start the stand-in, pulumi up --stack local, smoke checks"
	@echo "make test          run the whole test suite (starts the stand-in if needed)"
	@echo "make tools         build the offline toolchain (cached outside the checkout)"
	@echo "make build         build the program binary bin/inter-hub"
	@echo "make preview|up    pulumi preview/up --stack \$$STACK (default local)"
	@echo "make sandbox-up | sandbox-down | sandbox-status"

tools:
	@$(TOOLS) build

bin/inter-hub: $(GO_SOURCES)
	go build -o $@ .

build: bin/inter-hub

sandbox-up:
	@$(TOOLS) build kube kwok crane
	@$(ENV) sandbox/sandbox.sh up

sandbox-down:
	@$(ENV) sandbox/sandbox.sh down

sandbox-status:
	@$(ENV) sandbox/sandbox.sh status

# Select (or create, for the local stand-in) the stack in the current backend.
stack-select: tools build
	@$(ENV) $(STACK_ENV) mkdir -p "$${PULUMI_BACKEND_URL#file://}" 2>/dev/null || true; \
	pulumi login --non-interactive "$$PULUMI_BACKEND_URL" >/dev/null 2>&1 || pulumi login --non-interactive >/dev/null; \
	pulumi stack select --non-interactive $(if $(filter local,$(STACK)),--create) $(STACK)

preview: stack-select
	@$(ENV) $(STACK_ENV) pulumi preview --stack $(STACK) --diff

up: stack-select
	@$(ENV) $(STACK_ENV) pulumi up --stack $(STACK) --yes

.PHONY: help tools build sandbox-up sandbox-down sandbox-status stack-select preview up
