#!/usr/bin/env bash
# Builds the offline toolchain from Go modules and installs it outside the checkout.
#
#   tools.sh build [component...]   build what is missing or stale (default: all; `deploy`: only
#                                   what a preview, up and smoke checks need)
#   tools.sh env                    print the environment for `eval "$(toolchain/tools.sh env)"`
#   tools.sh prefix                 print the install prefix
#   tools.sh list                   list the components
#
# The prefix is $INTERHUB_TOOLS_DIR/<hash of versions.env> (default INTERHUB_TOOLS_DIR:
# ${XDG_CACHE_HOME:-~/.cache}/inter-hub/tools), so a fresh clone reuses what an earlier one built.
# Each component records a hash of its inputs; a component whose inputs are unchanged is skipped.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
source "$here/versions.env"

tools_dir=${INTERHUB_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/inter-hub/tools}
key=$(sha256sum "$here/versions.env" | cut -c1-12)
prefix="$tools_dir/$key"
bin="$prefix/bin"
plugins="$prefix/plugins"
stamps="$prefix/stamps"
logs="$prefix/logs"
export PULUMI_HOME="$prefix/pulumi-home"
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export PATH="$bin:$PATH"

components=(pulumi language-go providers kubernetes-plugin kube traefik local-path-provisioner sops crane)
# Built only when asked for (`tools.sh build helm`, make bench; `tools.sh build gitea`, the
# stand-in's Gitea and Actions runner): not part of `build` with no names.
optional=(helm gitea)
# `tools.sh build deploy` (make deploy-tools, CI): the CLI, its plugins and sops. The smoke
# checks' rollout restart talks to the apiserver itself, so no kubectl; nothing of the stand-in.
deploy=(pulumi language-go providers kubernetes-plugin sops)

say() { printf '%s\n' "$*" >&2; }

# inputs_hash NAME PATH... hashes versions.env and the given files and directories.
inputs_hash() {
	local name=$1
	shift
	{
		echo "$name"
		cat "$here/versions.env"
		# Paths are hashed relative to toolchain/, so every clone on a machine shares the stamps.
		for p in "$@"; do
			(cd "$here" && find "${p#"$here"/}" -type f \( -name '*.go' -o -name 'go.mod' -o -name 'go.sum' -o -name '*.yaml' \) \
				! -name '*-embed.json' -print0 | sort -z | xargs -0 -r sha256sum)
		done
	} | sha256sum | cut -c1-16
}

# run_step NAME LOG CMD... runs one build command, appending its output to LOG.
run_step() {
	local name=$1 log=$2
	shift 2
	echo "+ $*" >>"$log"
	if ! "$@" >>"$log" 2>&1; then
		say "!! $name failed: $*"
		say "-- last lines of $log:"
		tail -n 40 "$log" >&2
		exit 1
	fi
}

# check_pin FILE MODULE VERSION fails when a wrapper go.mod disagrees with versions.env.
check_pin() {
	if ! grep -qE "^[[:space:]]*(require[[:space:]]+)?$2 $3( |$)" "$1"; then
		say "!! $1 does not require $2 $3 as toolchain/versions.env pins it"
		exit 1
	fi
}

# component NAME HASH_INPUTS... then the build function build_NAME runs when stale.
component() {
	local name=$1
	shift
	local want have="" log="$logs/$name.log" start
	want=$(inputs_hash "$name" "$@")
	[ -f "$stamps/$name" ] && have=$(cat "$stamps/$name")
	if [ "$want" = "$have" ]; then
		say "== $name: up to date"
		return
	fi
	say "==> $name: building (log: $log)"
	start=$(date +%s)
	: >"$log"
	"build_${name//-/_}" "$log"
	echo "$want" >"$stamps/$name"
	say "<== $name: done in $(($(date +%s) - start)) s"
}

gobuild() { go build -trimpath -ldflags "-s -w $1" -o "$2" "${@:3}"; }

build_pulumi() {
	check_pin "$here/cli/go.mod" github.com/pulumi/pulumi/pkg/v3 "$PULUMI_VERSION"
	(cd "$here/cli" && run_step pulumi "$1" gobuild \
		"-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" \
		"$bin/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
}

build_language_go() {
	check_pin "$here/cli/go.mod" github.com/pulumi/pulumi/sdk/v3 "$PULUMI_VERSION"
	(cd "$here/cli" && run_step language-go "$1" gobuild \
		"-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" \
		"$bin/pulumi-language-go" ./langhost)
}

# install_plugin NAME VERSION BINARY registers a resource plugin in PULUMI_HOME.
install_plugin() {
	run_step "plugin $1" "$logs/plugins.log" \
		"$bin/pulumi" plugin install resource "$1" "$2" --file "$3" --reinstall
}

build_kubernetes_plugin() {
	check_pin "$here/kubernetes/go.mod" github.com/pulumi/pulumi-kubernetes/provider/v4 "$KUBERNETES_PROVIDER_MODULE_VERSION"
	need_pulumi
	(cd "$here/kubernetes" &&
		run_step kubernetes-plugin "$1" env VERSION="$KUBERNETES_PLUGIN_VERSION" go run ./gen &&
		run_step kubernetes-plugin "$1" gobuild \
			"-X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$KUBERNETES_PLUGIN_VERSION" \
			"$plugins/pulumi-resource-kubernetes" .)
	install_plugin kubernetes "$KUBERNETES_PLUGIN_VERSION" "$plugins/pulumi-resource-kubernetes"
}

build_providers() {
	check_pin "$here/providers/go.mod" github.com/pulumi/pulumi-go-provider "$PULUMI_GO_PROVIDER_VERSION"
	need_pulumi
	local p v
	for p in random command postgresql; do
		case $p in
		random) v=$RANDOM_PLUGIN_VERSION ;;
		command) v=$COMMAND_PLUGIN_VERSION ;;
		postgresql) v=$POSTGRESQL_PLUGIN_VERSION ;;
		esac
		(cd "$here/providers" && run_step providers "$1" gobuild \
			"-X main.version=$v" "$plugins/pulumi-resource-$p" "./cmd/pulumi-resource-$p")
		install_plugin "$p" "$v" "$plugins/pulumi-resource-$p"
	done
}

build_kube() {
	check_pin "$here/kube/go.mod" k8s.io/kubernetes "$KUBERNETES_VERSION"
	check_pin "$here/kube/go.mod" go.etcd.io/etcd/server/v3 "$ETCD_VERSION"
	local minor=${KUBERNETES_VERSION#v*.} major=${KUBERNETES_VERSION#v}
	minor=${minor%%.*}
	major=${major%%.*}
	local stamp="" pkg
	for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
		stamp+=" -X $pkg.gitVersion=$KUBERNETES_VERSION -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
		stamp+=" -X $pkg.gitTreeState=clean"
	done
	(
		cd "$here/kube"
		run_step kube "$1" gobuild "" "$bin/etcd" go.etcd.io/etcd/server/v3
		for c in kube-apiserver kube-controller-manager kube-scheduler kubectl kubelet; do
			say "    kube: $c"
			run_step kube "$1" gobuild "$stamp" "$bin/$c" "k8s.io/kubernetes/cmd/$c"
		done
		# The pod sandbox's pause program, from Kubernetes' own source in the same module: the
		# stand-in packs it as its sandbox image instead of pulling registry.k8s.io/pause.
		local src
		src=$(go list -m -f '{{.Dir}}' k8s.io/kubernetes)/build/pause/linux/pause.c
		run_step kube "$1" gcc -Os -static -Wall -Werror -DVERSION="$KUBERNETES_VERSION" -o "$bin/pause" "$src"
		run_step kube "$1" strip "$bin/pause"
	)
}

# Traefik from its module, through a wrapper that copies the replaces of Traefik's own go.mod.
build_traefik() {
	check_pin "$here/traefik/go.mod" github.com/traefik/traefik/v3 "$TRAEFIK_VERSION"
	(cd "$here/traefik" && run_step traefik "$1" gobuild \
		"-X github.com/traefik/traefik/v3/pkg/version.Version=$TRAEFIK_VERSION" \
		"$bin/traefik" github.com/traefik/traefik/v3/cmd/traefik)
	# Its CRDs (Middleware, IngressRoute, TLSStore, ...) as the release ships them, for the stand-in.
	local dir
	dir=$(cd "$here/traefik" && go list -m -f '{{.Dir}}' github.com/traefik/traefik/v3)
	mkdir -p "$prefix/share/traefik"
	install -m 0644 "$dir/docs/content/reference/dynamic-configuration/kubernetes-crd-definition-v1.yml" \
		"$prefix/share/traefik/crds.yaml"
}

# The Helm CLI, for the benchmark's comparison with the workplan's manual `helm upgrade`. Its
# version is pinned in toolchain/helm/go.mod (the provider's Helm library's version).
build_helm() {
	(cd "$here/helm" && run_step helm "$1" gobuild \
		"-X helm.sh/helm/v3/internal/version.version=$(go list -m -f '{{.Version}}' helm.sh/helm/v3)" \
		"$bin/helm" helm.sh/helm/v3/cmd/helm)
}

# Gitea and its Actions runner, for the stand-in's forge. Their versions are pinned in
# toolchain/gitea/go.mod (Gitea, with the replaces of its own go.mod copied) and
# toolchain/gitea/runner/go.mod (gitea-runner), not in versions.env. No build tag: Gitea's
# PostgreSQL driver (lib/pq, models/db/engine.go) is always compiled in; sqlite needs the tags
# `sqlite sqlite_unlock_notify` and is left out. Without the `bindata` tag Gitea reads its
# templates, options and public files from STATIC_ROOT_PATH: they are copied to share/gitea, so it
# runs without the module cache.
build_gitea() {
	local v dir
	v=$(cd "$here/gitea" && go list -m -f '{{.Version}}' code.gitea.io/gitea)
	say "    gitea: gitea $v"
	(cd "$here/gitea" && run_step gitea "$1" gobuild "-X main.Version=${v#v} -X main.Tags=" \
		"$bin/gitea" code.gitea.io/gitea)
	dir=$(cd "$here/gitea" && go list -m -f '{{.Dir}}' code.gitea.io/gitea)
	rm -rf "$prefix/share/gitea.tmp"
	mkdir -p "$prefix/share/gitea.tmp"
	run_step gitea "$1" cp -R "$dir/templates" "$dir/options" "$dir/public" "$prefix/share/gitea.tmp/"
	# The module cache's files are read-only; a later rebuild must be able to replace the copy.
	chmod -R u+w "$prefix/share/gitea.tmp"
	rm -rf "$prefix/share/gitea"
	mv "$prefix/share/gitea.tmp" "$prefix/share/gitea"
	v=$(cd "$here/gitea/runner" && go list -m -f '{{.Version}}' gitea.com/gitea/runner)
	say "    gitea: gitea-runner $v"
	(cd "$here/gitea/runner" && run_step gitea "$1" gobuild \
		"-X gitea.com/gitea/runner/internal/pkg/ver.version=$v" \
		"$bin/gitea-runner" gitea.com/gitea/runner)
}

# The provisioner behind K3s's local-path StorageClass; its go.mod has no replaces.
build_local_path_provisioner() {
	run_step local-path-provisioner "$1" env GOBIN="$bin" go install -trimpath -ldflags "-s -w" \
		"github.com/rancher/local-path-provisioner@$LOCAL_PATH_PROVISIONER_VERSION"
}

build_sops() {
	run_step sops "$1" env GOBIN="$bin" go install -trimpath -ldflags "-s -w" "github.com/getsops/sops/v3/cmd/sops@$SOPS_VERSION"
}

build_crane() {
	run_step crane "$1" env GOBIN="$bin" go install -trimpath -ldflags "-s -w" "github.com/google/go-containerregistry/cmd/crane@$CRANE_VERSION"
}

need_pulumi() {
	[ -x "$bin/pulumi" ] || { say "!! the pulumi CLI must be built first (tools.sh build pulumi)"; exit 1; }
}

build_one() {
	case $1 in
	pulumi) component pulumi "$here/cli/go.mod" ;;
	language-go) component language-go "$here/cli" "$here/enginewatch" ;;
	kubernetes-plugin) component kubernetes-plugin "$here/kubernetes" "$here/enginewatch" ;;
	providers) component providers "$here/providers" "$here/enginewatch" ;;
	kube) component kube "$here/kube" ;;
	traefik) component traefik "$here/traefik" ;;
	helm) component helm "$here/helm" ;;
	gitea) component gitea "$here/gitea" ;;
	local-path-provisioner | sops | crane) component "$1" ;;
	*)
		say "unknown component '$1' (known: ${components[*]} ${optional[*]}; group: deploy)"
		exit 2
		;;
	esac
}

cmd=${1:-build}
[ $# -gt 0 ] && shift
case $cmd in
build)
	mkdir -p "$bin" "$plugins" "$stamps" "$logs" "$PULUMI_HOME"
	start=$(date +%s)
	say "toolchain prefix: $prefix"
	if [ $# -eq 0 ]; then set -- "${components[@]}"; fi
	for c in "$@"; do
		if [ "$c" = deploy ]; then
			for d in "${deploy[@]}"; do build_one "$d"; done
		else
			build_one "$c"
		fi
	done
	say "toolchain ready in $(($(date +%s) - start)) s"
	;;
env)
	cat <<EOF
export INTERHUB_TOOLS_PREFIX="$prefix"
export PATH="$bin:\$PATH"
export PULUMI_HOME="$PULUMI_HOME"
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export SOPS_DISABLE_VERSION_CHECK=1
EOF
	;;
prefix) echo "$prefix" ;;
list) printf '%s\n' "${components[@]}" "${optional[@]}" ;;
*)
	say "usage: tools.sh build [component...] | env | prefix | list"
	exit 2
	;;
esac
