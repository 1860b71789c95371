#!/usr/bin/env bash
# Records the history testdata with the real CLI: a file-backend stack of the provider-free test
# program test/ops/testdata/slowprog, updated, failed, refreshed and updated again.
#   eval "$(toolchain/tools.sh env)"; internal/history/testdata/record.sh
set -euo pipefail
out=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$out/../../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/slowprog" "$repo/test/ops/testdata/slowprog"
mkdir -p "$work/state" "$work/proj"
cd "$work/proj"
printf 'name: inter-hub\nruntime:\n  name: go\n  options:\n    binary: %s\n' "$work/slowprog" >Pulumi.yaml
printf 'module slowprog\n\ngo 1.26\n' >go.mod
git init -q && git add . && git -c user.email=ops@test -c user.name=ops commit -qm program
export PULUMI_BACKEND_URL=file://$work/state PULUMI_CONFIG_PASSPHRASE=record-passphrase
commit() { git -c user.email=ops@test -c user.name=ops commit -q --allow-empty -am "$1"; }
p() { pulumi --non-interactive "$@" >/dev/null; }
p stack init demo
p config set app.revision v1
p up --yes -m "first release"
commit "replicas"
p config set app.revision v2
p config set app.replicas 2
p up --yes
p config set inter-hub:fail true
p up --yes --skip-preview || true # fails on purpose, during the update so that history records it
p config rm inter-hub:fail
p refresh --yes
commit "third"
p config set --secret postgres.adminPassword record-secret-value
p config set app.revision v3
p config set app.migrateCommand '["migrate","--verbose"]'
p up --yes
pulumi stack history --json --page-size 0 >"$out/history-file-backend.json"
pulumi config --json >"$out/config-now.json"
hist=$work/state/.pulumi/history/inter-hub/demo
mkdir -p "$out/file-backend/.pulumi/history/inter-hub/demo"
cp "$hist"/*.json "$out/file-backend/.pulumi/history/inter-hub/demo/"
