#!/usr/bin/env bash
# The first-run path of the toolchain, as a new machine takes it: `tools.sh build` into a fresh
# prefix with a fresh PULUMI_HOME and an empty Go module cache, so every module is downloaded
# again and every generate, install and plugin registration step runs from nothing. Only the Go
# build cache stays warm (tools are built with -trimpath, so their compiles hit it and the check
# takes minutes, not an hour). A machine whose caches are warm hides faults of that path: a step
# that reads the module cache before anything downloaded into it once failed only on new machines.
#
#   coldpath.sh            build, check the result, remove the scratch directories
#   KEEP=1 coldpath.sh     keep them (their paths are printed)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
scratch=$(mktemp -d "${TMPDIR:-/tmp}/inter-hub-coldpath.XXXXXX")
cleanup() {
	if [ "${KEEP:-}" = 1 ]; then
		echo "coldpath: kept $scratch" >&2
		return
	fi
	# The module cache is read-only by design; make it removable first.
	chmod -R u+w "$scratch" 2>/dev/null || true
	rm -rf "$scratch"
}
trap cleanup EXIT

export INTERHUB_TOOLS_DIR=$scratch/tools
export GOMODCACHE=$scratch/gomodcache
unset PULUMI_HOME
mkdir -p "$GOMODCACHE"

start=$(date +%s)
echo "coldpath: fresh tools prefix, PULUMI_HOME and module cache in $scratch; warm build cache $(go env GOCACHE)" >&2
if ! "$here/tools.sh" build; then
	echo "coldpath: FAILED: the toolchain does not build from an empty module cache and a fresh prefix" >&2
	exit 1
fi

# What the build must have left: every binary, and the plugins registered at the SDKs' versions.
eval "$("$here/tools.sh" env)"
prefix=$("$here/tools.sh" prefix)
# shellcheck source=versions.env
source "$here/versions.env"
missing=()
for b in pulumi pulumi-language-go etcd kube-apiserver kube-controller-manager kube-scheduler kubectl kubelet pause traefik local-path-provisioner sops crane; do
	[ -x "$prefix/bin/$b" ] || missing+=("bin/$b")
done
[ -s "$prefix/share/traefik/crds.yaml" ] || missing+=("share/traefik/crds.yaml")
plugins=$(pulumi plugin ls 2>&1) || {
	echo "coldpath: FAILED: pulumi plugin ls: $plugins" >&2
	exit 1
}
for p in "kubernetes $KUBERNETES_PLUGIN_VERSION" "random $RANDOM_PLUGIN_VERSION" \
	"command $COMMAND_PLUGIN_VERSION" "postgresql $POSTGRESQL_PLUGIN_VERSION"; do
	grep -Eq "^${p% *}[[:space:]]+resource[[:space:]]+${p#* }[[:space:]]" <<<"$plugins" || missing+=("plugin $p")
done
if [ "$(pulumi version)" != "$PULUMI_VERSION" ]; then
	missing+=("pulumi version $PULUMI_VERSION (got $(pulumi version))")
fi
if [ ${#missing[@]} -gt 0 ]; then
	echo "coldpath: FAILED: missing after the build: ${missing[*]}" >&2
	exit 1
fi
echo "coldpath: ok in $(($(date +%s) - start)) s: $(du -sh "$GOMODCACHE" | cut -f1) of modules downloaded, $(du -sh "$prefix" | cut -f1) in the prefix" >&2
