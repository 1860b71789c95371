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
	PULUMI_BACKEND_URL=$${PULUMI_BACKEND_URL:-$$(sandbox/sandbox.sh local-backend)};
STACK_ENV := $(if $(filter local,$(STACK)),$(LOCAL_ENV))
GO_SOURCES := $(shell find . -name '*.go' -not -path './toolchain/*' -not -path './.sandbox/*' -not -name '*_test.go') go.mod go.sum

help:
	@echo "make demo          build tools, start the stand-in, pulumi up --stack local, smoke checks"
	@echo "make test          run the whole test suite (starts the stand-in if needed)"
	@echo "make tools         build the offline toolchain (cached outside the checkout)"
	@echo "make deploy-tools  only what preview/up/smoke need (pulumi, plugins, sops; no stand-in binaries)"
	@echo "make build         build the program binary bin/inter-hub"
	@echo "make preview|up    pulumi preview/up --stack \$$STACK (default local)"
	@echo "make admin         create the admin account of \$$STACK's app that the smoke checks log in with"
	@echo "make smoke         smoke checks of \$$STACK, before and after a rollout restart"
	@echo "make rollback      list \$$STACK's updates; TO=N redeploys update N's app revision and config"
	@echo "make drift         refresh preview of \$$STACK; fails and names what changed outside Pulumi"
	@echo "make bench         timings of deploy, no-op preview/up and an app update on the stand-in"
	@echo "make sandbox-up | sandbox-down | sandbox-status"

tools:
	@$(TOOLS) build

# What a deploy or preview needs and nothing of the stand-in's (CI jobs run this).
deploy-tools:
	@$(TOOLS) build deploy

# On a new machine the first build downloads and compiles the SDKs: minutes, so say so.
bin/inter-hub: $(GO_SOURCES)
	@echo "== building the program ($@; the first build on a machine takes minutes)"
	go build -ldflags "-s -w" -o $@ .

bin/interhub: $(GO_SOURCES)
	@echo "== building the operator commands ($@)"
	go build -o $@ ./cmd/interhub

build: bin/inter-hub bin/interhub

# GITEA=1: also the stand-in's Gitea and its Actions runner (make test starts them).
sandbox-up:
	@$(TOOLS) build kube traefik local-path-provisioner crane $(if $(filter 1,$(GITEA)),gitea)
	@$(ENV) INTERHUB_SANDBOX_GITEA=$(if $(filter 1,$(GITEA)),1,0) sandbox/sandbox.sh up

sandbox-down:
	@$(ENV) sandbox/sandbox.sh down

sandbox-status:
	@$(ENV) sandbox/sandbox.sh status

# Select the stack in the current backend. The local stack lives in a file backend of its own
# stand-in under the user's cache (`sandbox/sandbox.sh local-backend`) and is created on first use; other stacks use the operator's
# own login (`pulumi login postgres://...`, see the README).
stack-select: deploy-tools build
	@$(ENV) $(STACK_ENV) \
	$(if $(filter local,$(STACK)),mkdir -p "$${PULUMI_BACKEND_URL#file://}";) \
	pulumi stack select --non-interactive $(if $(filter local,$(STACK)),--create) $(STACK)

preview: stack-select
	@$(ENV) $(STACK_ENV) pulumi preview --stack $(STACK) --diff

# The preview as JSON on stdout, for CI's summary (after `make stack-select`; the stack's
# environment as for every other target).
preview-json:
	@$(ENV) $(STACK_ENV) pulumi preview --stack $(STACK) --diff --json --non-interactive

# The local stack refreshes first: its state outlives the stand-in (rm -rf .sandbox makes a new,
# empty cluster and database), and a refresh drops what is no longer there.
up: stack-select
	@$(ENV) $(STACK_ENV) pulumi up --stack $(STACK) --yes $(if $(filter local,$(STACK)),--refresh)

# The main job: the whole graph on the local stand-in, its admin account, then the smoke checks.
# On the first run Traefik starts routing the new Ingress a few seconds after `up` returns: the
# checks get that settle time (--wait).
demo: tools sandbox-up
	@$(MAKE) --no-print-directory up STACK=local
	@$(MAKE) --no-print-directory admin STACK=local
	@$(MAKE) --no-print-directory smoke STACK=local SMOKE_FLAGS="--wait 60s $(SMOKE_FLAGS)"

# The smoke checks' credentials: for the local stack from its SOPS file (loopback-only test
# values), for other stacks from the operator's environment (INTERHUB_API_KEY,
# INTERHUB_ADMIN_EMAIL, INTERHUB_ADMIN_PASSWORD; docs/RUNBOOK.md says where they come from).
# An assignment, not `export X=$$(...)`, so that a failing sops stops the recipe.
LOCAL_CREDENTIALS := for k in INTERHUB_API_KEY INTERHUB_ADMIN_EMAIL INTERHUB_ADMIN_PASSWORD; do \
		v=$$(sops -d --extract "[\"$$k\"]" deploy/secrets/local.env.sops.yaml); export "$$k=$$v"; done;
# The cluster, for kubectl and for the smoke checks' restart: the stand-in's for the local stack,
# KUBECONFIG (default ~/.kube/config) for other stacks.
KUBECONFIG_FLAG = $(if $(filter local,$(STACK)),--kubeconfig .sandbox/kubeconfig,--kubeconfig "$${KUBECONFIG:-$$HOME/.kube/config}")
# The release's name (and its Deployment's), as the stack configures it.
RELEASE_NAME = rel=$$(pulumi config get --stack $(STACK) release.name 2>/dev/null || echo inter-hub);

# Creates (or updates) the admin account the smoke checks log in with, on the stack's database,
# with the image's create-admin in a pod of the release (the stand-in's sample app has it). The
# password goes over stdin only. Run it once after the first deploy; running it again changes
# nothing.
admin:
	@$(ENV) $(STACK_ENV) \
	$(if $(filter local,$(STACK)),$(LOCAL_CREDENTIALS)) \
	: "$${INTERHUB_ADMIN_EMAIL:?set INTERHUB_ADMIN_EMAIL}" "$${INTERHUB_ADMIN_PASSWORD:?set INTERHUB_ADMIN_PASSWORD}"; \
	ns=$$(pulumi stack output namespace --stack $(STACK)); $(RELEASE_NAME) \
	printf '%s' "$$INTERHUB_ADMIN_PASSWORD" | \
		kubectl $(KUBECONFIG_FLAG) -n "$$ns" exec -i "deployment/$$rel" -c app -- create-admin "$$INTERHUB_ADMIN_EMAIL"

# Smoke checks of a deployed stack, then again after a rollout restart (old pods must exit
# cleanly on SIGTERM). The admin dashboards come from the stack's inter-hub:smoke.dashboards. For
# the local stack the URL is served by the stand-in's Traefik (127.0.0.1:8443, sandbox CA); for
# other stacks set KUBECONFIG.
LOCAL_SMOKE := --connect-to 127.0.0.1:8443 --ca-file .sandbox/pki/ca.crt
# SMOKE_FLAGS adds flags (CI: --wait 120s, the settle time after a deploy).
smoke: build
	@$(ENV) $(STACK_ENV) \
	$(if $(filter local,$(STACK)),$(LOCAL_CREDENTIALS)) \
	url=$$(pulumi stack output url --stack $(STACK)); ns=$$(pulumi stack output namespace --stack $(STACK)); \
	$(RELEASE_NAME) \
	bin/interhub smoke --url "$$url" --api-key-env INTERHUB_API_KEY --stack $(STACK) --restart "$$ns/$$rel" $(SMOKE_FLAGS) \
		$(if $(filter local,$(STACK)),$(LOCAL_SMOKE)) $(KUBECONFIG_FLAG)

# Operations (docs/RUNBOOK.md): list or roll back to update TO of the stack's history; drift check.
rollback: stack-select
	@$(ENV) $(STACK_ENV) bin/interhub rollback --stack $(STACK) $(if $(TO),--to $(TO)) $(if $(YES),--yes)

drift: stack-select
	@$(ENV) $(STACK_ENV) bin/interhub drift --stack $(STACK)

# Packages that need the stand-in, the toolchain or both run one at a time: they share the
# stand-in's cluster, database and build host. Their test files carry the build tag
# `integration` (as do the few such tests beside the product's packages), so a plain
# `go test ./...` runs the unit tests only.
INTEGRATION := ./sandbox/... ./toolchain ./test/...
TEST_ENV := INTERHUB_REQUIRE_SANDBOX=1 INTERHUB_REQUIRE_TOOLS=1

test: tools build sandbox-up lint
	@$(TOOLS) build helm gitea
	@echo "== the stand-in's Gitea and Actions runner"
	@$(ENV) INTERHUB_SANDBOX_GITEA=1 sandbox/sandbox.sh up >/dev/null
	@echo "== unit tests"
	@$(ENV) $(TEST_ENV) go test -tags integration -count=1 $$(go list ./... | grep -v -e '/test/' -e '/sandbox' -e '/toolchain$$')
	@echo "== offline plugins and the engine watcher (unit)"
	@cd toolchain/providers && go test -count=1 ./...
	@cd toolchain/enginewatch && go test -count=1 ./...
	@echo "== integration tests"
	@rm -f bin/hardening-summary.md; \
	$(ENV) $(TEST_ENV) INTERHUB_HARDENING_SUMMARY="$(CURDIR)/bin/hardening-summary.md" \
		go test -tags integration -count=1 -p 1 -timeout 80m $(INTEGRATION); rc=$$?; \
	if [ $$rc -eq 0 ] && [ -f bin/hardening-summary.md ]; then cat bin/hardening-summary.md; fi; exit $$rc

# docs/graph.png: `pulumi stack graph` of a deployed stack, labelled by type and name (graphviz).
graph: stack-select
	@$(ENV) $(STACK_ENV) pulumi stack graph --stack $(STACK) docs/graph.dot >/dev/null; \
	sed -E -i 's/label="urn:pulumi:[^:]*::[^:]*::([^"]*\$$)?([^"$$]*)::([^"]*)"/label="\2\\n\3"/' docs/graph.dot; \
	dot -Tpng -Gdpi=110 docs/graph.dot -o docs/graph.png

# One run of each timing on the stand-in (test/bench); prints a table, asserts nothing.
bench: tools build sandbox-up
	@$(TOOLS) build helm
	@$(ENV) $(TEST_ENV) go test -tags integration -run '^$$' -bench . -benchtime 1x -timeout 30m ./test/bench

lint:
	@bad=$$(gofmt -l $$(git ls-files '*.go')); [ -z "$$bad" ] || { echo "gofmt needed: $$bad"; exit 1; }
	@go vet -tags integration ./...
	@cd toolchain/providers && go vet ./...
	@cd toolchain/cli && go vet ./langhost
	@cd toolchain/enginewatch && go vet ./...

.PHONY: help tools deploy-tools build sandbox-up sandbox-down sandbox-status stack-select preview preview-json up demo admin smoke rollback drift graph bench test lint
