#!/usr/bin/env bash
# Records previews of testdata/prog (random and command resources) with the real CLI, using the
# offline plugins built from toolchain/providers into a private PULUMI_HOME:
#   eval "$(toolchain/tools.sh env)"; internal/previewsummary/testdata/record-prog.sh
set -euo pipefail
out=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$out/../../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export PULUMI_HOME=$work/home
source "$repo/toolchain/versions.env"
for p in random:$RANDOM_PLUGIN_VERSION command:$COMMAND_PLUGIN_VERSION; do
	name=${p%%:*} version=${p#*:}
	(cd "$repo/toolchain/providers" && go build -trimpath -ldflags "-s -w -X main.version=$version" \
		-o "$work/pulumi-resource-$name" "./cmd/pulumi-resource-$name")
	pulumi plugin install resource "$name" "$version" --file "$work/pulumi-resource-$name" >/dev/null
done
go build -o "$work/prog" "$repo/internal/previewsummary/testdata/prog"
mkdir -p "$work/state" "$work/proj"
cd "$work/proj"
printf 'name: prog\nruntime:\n  name: go\n  options:\n    binary: %s\n' "$work/prog" >Pulumi.yaml
printf 'module prog\n\ngo 1.26\n' >go.mod
export PULUMI_BACKEND_URL=file://$work/state PULUMI_CONFIG_PASSPHRASE=record-passphrase
p() { pulumi --non-interactive "$@"; }
p stack init demo >/dev/null
p preview --diff --json >"$out/prog-create.json"
p up --yes >/dev/null
# A new revision replaces the build (triggers); a rotation replaces the session secret
# (keepers); a longer password replaces it; a new message updates notify in place.
p config set revision 2
p config set rotation 1
p config set passwordLength 32
p config set message second
p preview --diff --json >"$out/prog-mixed.json"
p config rm rotation
p config rm passwordLength
p config rm revision
p preview --diff --json >"$out/prog-update.json"
