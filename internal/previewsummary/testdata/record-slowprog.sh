#!/usr/bin/env bash
# Records previews of the provider-free test program with the real CLI (file backend):
#   eval "$(toolchain/tools.sh env)"; internal/previewsummary/testdata/record-slowprog.sh
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
export PULUMI_BACKEND_URL=file://$work/state PULUMI_CONFIG_PASSPHRASE=record-passphrase
p() { pulumi --non-interactive "$@"; }
p stack init demo >/dev/null
p config set app.revision v1
p preview --diff --json >"$out/slowprog-create.json"
p up --yes >/dev/null
p preview --diff --json >"$out/slowprog-nochange.json"
p config set app.revision v2
p preview --diff --json >"$out/slowprog-rename.json"
p config set inter-hub:fail true
p preview --diff --json >"$out/slowprog-error.json" || echo "preview failed as intended: exit $?"
