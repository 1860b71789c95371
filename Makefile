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
	SOPS_AGE_KEY_FILE="$(CURDIR)/sandbox/fixtures/age-local.key" \
	PULUMI_BACKEND_URL=$${PULUMI_BACKEND_URL:-file://$${XDG_CACHE_HOME:-$$HOME/.cache}/inter-hub/state};
STACK_ENV := $(if $(filter local,$(STACK)),$(LOCAL_ENV))
GO_SOURCES := $(shell find . -name '*.go' -not -path './toolchain/*' -not -path './.sandbox/*' -not -name '*_test.go') go.mod go.sum

help:
	@echo "make demo          build tools, start the stand-in, pulumi up --stack local, smoke checks"
	@echo "make test          run the whole test suite (starts the stand-in if needed)"
	@echo "make tools         build the offline toolchain (cached outside the checkout)"
	@echo "make build         build the program binary bin/inter-hub"
	@echo "make preview|up    pulumi preview/up --stack \$$STACK (default local)"
	@echo "make smoke         smoke checks of \$$STACK, before and after a rollout restart"
	@echo "make rollback      list \$$STACK's updates; TO=N redeploys update N's app revision and config"
	@echo "make drift         refresh preview of \$$STACK; fails and names what changed outside Pulumi"
	@echo "make bench         timings of deploy, no-op preview/up and an app update on the stand-in"
	@echo "make sandbox-up | sandbox-down | sandbox-status"

tools:
	@$(TOOLS) build

bin/inter-hub: $(GO_SOURCES)
	go build -ldflags "-s -w" -o $@ .

bin/interhub: $(GO_SOURCES)
	go build -o $@ ./cmd/interhub

build: bin/inter-hub bin/interhub

sandbox-up:
	@$(TOOLS) build kube traefik local-path-provisioner crane
	@$(ENV) sandbox/sandbox.sh up

sandbox-down:
	@$(ENV) sandbox/sandbox.sh down

sandbox-status:
	@$(ENV) sandbox/sandbox.sh status

# Select the stack in the current backend. The local stack lives in a file backend under the
# user's cache (PULUMI_BACKEND_URL) and is created on first use; other stacks use the operator's
# own login (`pulumi login postgres://...`, see the README).
stack-select: tools build
	@$(ENV) $(STACK_ENV) \
	$(if $(filter local,$(STACK)),mkdir -p "$${PULUMI_BACKEND_URL#file://}";) \
	pulumi stack select --non-interactive $(if $(filter local,$(STACK)),--create) $(STACK)

preview: stack-select
	@$(ENV) $(STACK_ENV) pulumi preview --stack $(STACK) --diff

# The local stack refreshes first: its state outlives the stand-in (rm -rf .sandbox makes a new,
# empty cluster and database), and a refresh drops what is no longer there.
up: stack-select
	@$(ENV) $(STACK_ENV) pulumi up --stack $(STACK) --yes $(if $(filter local,$(STACK)),--refresh)

# The main job: the whole graph on the local stand-in, then the smoke checks.
demo: tools sandbox-up
	@$(MAKE) --no-print-directory up STACK=local
	@$(MAKE) --no-print-directory smoke STACK=local

# Smoke checks of a deployed stack, then again after a rollout restart. For the local stack the
# API key comes from its SOPS file and the URL is served by the stand-in's Traefik (127.0.0.1:8443,
# sandbox CA); for other stacks set INTERHUB_API_KEY and KUBECONFIG.
LOCAL_SMOKE := --connect-to 127.0.0.1:8443 --ca-file .sandbox/pki/ca.crt --kubeconfig .sandbox/kubeconfig
smoke: build
	@$(ENV) $(STACK_ENV) \
	$(if $(filter local,$(STACK)),export INTERHUB_API_KEY=$$(sops -d --extract '["INTERHUB_API_KEY"]' deploy/secrets/local.env.sops.yaml);) \
	url=$$(pulumi stack output url --stack $(STACK)); ns=$$(pulumi stack output namespace --stack $(STACK)); \
	bin/interhub smoke --url "$$url" --api-key-env INTERHUB_API_KEY --restart "$$ns/inter-hub" \
		$(if $(filter local,$(STACK)),$(LOCAL_SMOKE),--kubeconfig "$${KUBECONFIG:-$$HOME/.kube/config}")

# Operations (docs/RUNBOOK.md): list or roll back to update TO of the stack's history; drift check.
rollback: stack-select
	@$(ENV) $(STACK_ENV) bin/interhub rollback --stack $(STACK) $(if $(TO),--to $(TO)) $(if $(YES),--yes)

drift: stack-select
	@$(ENV) $(STACK_ENV) bin/interhub drift --stack $(STACK)

# Packages that need the stand-in, the toolchain or both run one at a time: they share the
# stand-in's cluster, database and build host.
INTEGRATION := ./sandbox/... ./toolchain ./test/...
TEST_ENV := INTERHUB_REQUIRE_SANDBOX=1 INTERHUB_REQUIRE_TOOLS=1

test: tools build sandbox-up lint
	@echo "== unit tests"
	@$(ENV) $(TEST_ENV) go test -count=1 $$(go list ./... | grep -v -e '/test/' -e '/sandbox' -e '/toolchain$$')
	@echo "== offline plugins (unit)"
	@cd toolchain/providers && go test -count=1 ./...
	@echo "== integration tests"
	@rm -f bin/hardening-summary.md; \
	$(ENV) $(TEST_ENV) INTERHUB_HARDENING_SUMMARY="$(CURDIR)/bin/hardening-summary.md" \
		go test -count=1 -p 1 -timeout 80m $(INTEGRATION); rc=$$?; \
	if [ $$rc -eq 0 ] && [ -f bin/hardening-summary.md ]; then cat bin/hardening-summary.md; fi; exit $$rc

# docs/graph.png: `pulumi stack graph` of a deployed stack, labelled by type and name (graphviz).
graph: stack-select
	@$(ENV) $(STACK_ENV) pulumi stack graph --stack $(STACK) docs/graph.dot >/dev/null; \
	sed -E -i 's/label="urn:pulumi:[^:]*::[^:]*::([^"]*\$$)?([^"$$]*)::([^"]*)"/label="\2\\n\3"/' docs/graph.dot; \
	dot -Tpng -Gdpi=110 docs/graph.dot -o docs/graph.png

# One run of each timing on the stand-in (test/bench); prints a table, asserts nothing.
bench: tools build sandbox-up
	@$(TOOLS) build helm
	@$(ENV) $(TEST_ENV) go test -run '^$$' -bench . -benchtime 1x -timeout 30m ./test/bench

lint:
	@bad=$$(gofmt -l $$(git ls-files '*.go')); [ -z "$$bad" ] || { echo "gofmt needed: $$bad"; exit 1; }
	@go vet ./...
	@cd toolchain/providers && go vet ./...
	@cd toolchain/cli && go vet ./langhost

.PHONY: help tools build sandbox-up sandbox-down sandbox-status stack-select preview up demo smoke rollback drift graph bench test lint
