#!/usr/bin/env bash
# Records the engine events of a refresh preview with drift with the real CLI and the offline postgresql plugin, on
# the stand-in's PostgreSQL (make sandbox-up): three roles are created, one is changed and one
# dropped behind Pulumi's back.
#   eval "$(toolchain/tools.sh env)"; internal/drift/testdata/record.sh
set -euo pipefail
out=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$out/../../.." && pwd)
env=$repo/.sandbox/env.json
pg() { jq -r ".postgres.$1" "$env"; }
work=$(mktemp -d)
go build -o "$work/prog" "$repo/internal/drift/testdata/prog"
mkdir -p "$work/state" "$work/proj"
cd "$work/proj"
printf 'name: prog\nruntime:\n  name: go\n  options:\n    binary: %s\n' "$work/prog" >Pulumi.yaml
printf 'module prog\n\ngo 1.26\n' >go.mod
export PULUMI_BACKEND_URL=file://$work/state PULUMI_CONFIG_PASSPHRASE=record-passphrase
# --event-log exists only with PULUMI_DEBUG_COMMANDS, which the Automation API sets.
export PULUMI_DEBUG_COMMANDS=true
export PGPASSWORD=$(pg adminPassword)
psql() { "$(pg psql)" -h "$(pg host)" -p "$(pg port)" -U "$(pg adminUser)" -d postgres -v ON_ERROR_STOP=1 -qc "$1"; }
p() { pulumi --non-interactive "$@"; }
cleanup() {
	p destroy --yes >/dev/null 2>&1 || true
	for r in drift_rec_changed drift_rec_dropped drift_rec_same; do psql "DROP ROLE IF EXISTS $r" || true; done
	rm -rf "$work"
}
trap cleanup EXIT
p stack init demo >/dev/null
p config set host "$(pg host)"
p config set port "$(pg port)"
p config set user "$(pg adminUser)"
p config set --secret password "$PGPASSWORD"
p up --yes >/dev/null
p refresh --preview-only --event-log "$out/refresh-nodrift.jsonl" >/dev/null
psql "ALTER ROLE drift_rec_changed CONNECTION LIMIT 5 NOLOGIN"
psql "DROP ROLE drift_rec_dropped"
p refresh --preview-only --event-log "$out/refresh-drift.jsonl" >/dev/null
