#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# The local stand-in environment: a one-node Kubernetes cluster (control plane on 127.0.0.1, a
# kubelet with containerd running real pods on a bridge, Traefik and the local-path provisioner as
# pods), PostgreSQL behind pgpool, an sshd standing in for the build host, and a TLS registry.
#
#   sandbox.sh up       start what is not running and wait until everything is ready (idempotent);
#                       with INTERHUB_SANDBOX_GITEA=1 also Gitea and its Actions runner (make test)
#   sandbox.sh down     stop every sandbox process by its recorded PID and check the ports are free
#   sandbox.sh status   show each process, its port and its health
#   sandbox.sh local-backend
#                       print the local stack's PULUMI_BACKEND_URL (a file backend per stand-in)
#   sandbox.sh outside  print what a stand-in of this checkout keeps outside it, a path a line
#   sandbox.sh restart-node
#                       what a node reboot does to the pods: stop the kubelet and containerd, kill
#                       every container, unmount the pods' volumes, then start both again
#
# State lives in <repo>/.sandbox (override: INTERHUB_SANDBOX_DIR); `up` writes .sandbox/env.json.
# Kubernetes binaries, Traefik, the provisioner and crane come from the toolchain (`eval "$(toolchain/tools.sh env)"`).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
state=${INTERHUB_SANDBOX_DIR:-$repo/.sandbox}
mkdir -p "$state"
state=$(cd "$state" && pwd -P)
pki=$state/pki

# The versions of the images the node runs (Traefik, the provisioner) are the toolchain's.
# shellcheck source=../toolchain/versions.env
source "$repo/toolchain/versions.env"
# shellcheck source=lib/common.sh
source "$here/lib/common.sh"
# shellcheck source=lib/pki.sh
source "$here/lib/pki.sh"
# shellcheck source=lib/kube.sh
source "$here/lib/kube.sh"
# shellcheck source=lib/postgres.sh
source "$here/lib/postgres.sh"
# shellcheck source=lib/buildhost.sh
source "$here/lib/buildhost.sh"
# shellcheck source=lib/registry.sh
source "$here/lib/registry.sh"
# shellcheck source=lib/node.sh
source "$here/lib/node.sh"
# shellcheck source=lib/images.sh
source "$here/lib/images.sh"
# shellcheck source=lib/addons.sh
source "$here/lib/addons.sh"
# shellcheck source=lib/gitea.sh
source "$here/lib/gitea.sh"

# Processes in start order; `down` stops them in reverse.
readonly components=(etcd kube-apiserver kube-controller-manager kube-scheduler postgres pgpool sshd registry containerd kubelet)
# Started only when asked for (INTERHUB_SANDBOX_GITEA=1); stopped by every down.
readonly optional_components=(gitea gitea-runner)

# Gitea keeps its data in the stand-in's PostgreSQL, made by the platform's admin role as on
# Railiance01 (CREATEROLE CREATEDB, not a superuser).
GITEA_DB_HOST=$HOST GITEA_DB_PORT=$PG_PORT
GITEA_DB_ADMIN_USER=$PG_ADMIN_USER GITEA_DB_ADMIN_PASSWORD=$PG_ADMIN_PASSWORD

gitea_wanted() { [ "${INTERHUB_SANDBOX_GITEA:-0}" = 1 ]; }

# component_ports NAME prints the ports component NAME listens on.
component_ports() {
	case $1 in
	etcd) echo "$ETCD_PORT $ETCD_PEER_PORT" ;;
	kube-apiserver) echo "$APISERVER_PORT" ;;
	kube-controller-manager) echo "$KCM_PORT" ;;
	kube-scheduler) echo "$SCHEDULER_PORT" ;;
	containerd) echo "" ;;
	kubelet) echo "$KUBELET_PORT $KUBELET_HEALTHZ_PORT" ;;
	postgres) echo "$PG_PORT" ;;
	pgpool) echo "$PGPOOL_PORT $PCP_PORT" ;;
	sshd) echo "$SSH_PORT" ;;
	registry) echo "$REGISTRY_PORT" ;;
	gitea) echo "$GITEA_PORT" ;;
	gitea-runner) echo "" ;;
	esac
}

# preflight fails, before anything is written, when a port of a part that is not running here is
# taken by another process (another checkout's sandbox, a system sshd on 2222, ...).
preflight() {
	local c port owner busy=() wanted=("${components[@]}")
	gitea_wanted && wanted+=("${optional_components[@]}")
	for c in "${wanted[@]}"; do
		running "$c" >/dev/null && continue
		for port in $(component_ports "$c"); do
			if port_busy "$port"; then
				owner=$(port_owner "$port")
				busy+=("$HOST:$port ($c) is used by ${owner:-another process}")
			fi
		done
	done
	[ ${#busy[@]} -eq 0 ] && return
	printf 'sandbox: %s\n' "${busy[@]}" >&2
	die "ports are taken; stop those processes, or run 'sandbox.sh down' with INTERHUB_SANDBOX_DIR set to the state dir of the sandbox that holds them"
}

# Debian packages and a file each provides. The build host compiles the sample app with Debian's
# GHC 9.0 and the Haskell libraries below (their package.conf entries are Debian 12's versions).
readonly debian_packages=(
	"postgresql-15:$PG_BIN/postgres" pgpool2:/usr/sbin/pgpool pgpool2:/usr/sbin/pg_enc
	openssh-server:/usr/sbin/sshd openssh-client:/usr/bin/ssh docker-registry:/usr/bin/docker-registry
	skopeo:/usr/bin/skopeo apache2-utils:/usr/bin/htpasswd openssl:/usr/bin/openssl git:/usr/bin/git
	curl:/usr/bin/curl jq:/usr/bin/jq iproute2:/usr/bin/ss util-linux:/usr/bin/setpriv
	procps:/usr/bin/ps gzip:/usr/bin/gzip containerd:/usr/bin/containerd runc:/usr/sbin/runc
	containernetworking-plugins:/usr/lib/cni/bridge busybox-static:/bin/busybox
	ghc:/usr/bin/ghc binutils:/usr/bin/strip
	libghc-warp-dev:/var/lib/ghc/package.conf.d/warp-3.3.21.conf
	libghc-postgresql-simple-dev:/var/lib/ghc/package.conf.d/postgresql-simple-0.6.4.conf
	ca-certificates:/etc/ssl/certs/ca-certificates.crt
)

ensure_packages() {
	local entry missing=()
	for entry in "${debian_packages[@]}"; do
		[ -e "${entry#*:}" ] || missing+=("${entry%%:*}")
	done
	[ ${#missing[@]} -eq 0 ] && return
	mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
	if [ "$(id -u)" -ne 0 ]; then
		die "missing Debian packages: ${missing[*]}; install them with: sudo apt-get install -y ${missing[*]}"
	fi
	say "installing missing Debian packages: ${missing[*]}"
	if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >"$state/logs/apt.log" 2>&1; then
		apt-get update -q >>"$state/logs/apt.log" 2>&1 || true
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >>"$state/logs/apt.log" 2>&1 ||
			fail_with_log apt "apt-get install ${missing[*]} failed"
	fi
	# Debian starts services on install where it can; the sandbox runs its own instances.
	for entry in "${debian_packages[@]}"; do
		[ -e "${entry#*:}" ] || die "package ${entry%%:*} is installed but ${entry#*:} is still missing"
	done
}

load_tools_env() {
	if ! command -v kubelet >/dev/null || [ -z "${INTERHUB_TOOLS_PREFIX:-}" ]; then
		eval "$("$repo/toolchain/tools.sh" env)"
	fi
}

# ensure_tools finds the toolchain's binaries, loading its environment when the caller has not.
ensure_tools() {
	local t missing=()
	load_tools_env
	for t in etcd kube-apiserver kube-controller-manager kube-scheduler kubectl kubelet pause traefik local-path-provisioner crane; do
		command -v "$t" >/dev/null || missing+=("$t")
	done
	[ ${#missing[@]} -eq 0 ] ||
		die "not found on PATH: ${missing[*]}; build them with: toolchain/tools.sh build kube traefik local-path-provisioner crane (or make sandbox-up)"
}

# sandbox_paths resolves the directories outside $state (PostgreSQL's and the node's) before any
# process is looked at: `ours` recognises those processes by them.
sandbox_paths() {
	pg_paths "$@"
	node_paths
}

write_env_json() {
	local seed tmp
	seed=$(seed_dir)
	tmp=$(mktemp "$state/env.json.XXXXXX")
	jq -n \
		--arg stateDir "$state" --arg repo "$repo" --arg host "$HOST" \
		--arg kubeconfig "$state/kubeconfig" --arg context "$KUBE_CONTEXT" \
		--arg server "https://$HOST:$APISERVER_PORT" --arg caFile "$pki/ca.crt" \
		--arg etcd "http://$HOST:$ETCD_PORT" --arg node "$NODE_NAME" --arg ingressIP "$INGRESS_IP" \
		--argjson apiPort "$APISERVER_PORT" --argjson etcdPort "$ETCD_PORT" \
		--argjson pgPort "$PG_PORT" --argjson pgpoolPort "$PGPOOL_PORT" --argjson pcpPort "$PCP_PORT" \
		--arg pgAdmin "$PG_ADMIN_USER" --arg pgAdminPassword "$PG_ADMIN_PASSWORD" \
		--arg pcpUser "$PCP_USER" --arg pcpPassword "$PCP_PASSWORD" \
		--arg pgpoolConf "$pgpool_dir/pgpool.conf" --arg poolPasswd "$pgpool_dir/pool_passwd" \
		--arg pgpoolKey "$pgpool_dir/pgpoolkey" --arg pcpPass "$pgpool_dir/pcppass" \
		--arg pgEnc "$(command -v pg_enc)" --arg pcpReload "$(command -v pcp_reload_config)" \
		--arg psql "$PG_BIN/psql" \
		--argjson sshPort "$SSH_PORT" --arg sshUser "$(id -un)" \
		--arg hostKey "$here/fixtures/ssh_host_ed25519_key.pub" --arg knownHosts "$state/sshd/known_hosts" \
		--arg clientKey "$state/sshd/client_ed25519" --arg clientKeyFixture "$here/fixtures/haskelseed_ed25519" \
		--arg checkout "sandbox-haskelseed/inter-hub" --arg seed "$seed" \
		--argjson registryPort "$REGISTRY_PORT" --arg registryUser "$REGISTRY_USER" \
		--arg registryPassword "$REGISTRY_PASSWORD" --arg registryCA "$state/registry/ca.crt" \
		--argjson edgePort "$EDGE_PORT" --arg edgeHost "$EDGE_APP_HOST" \
		--arg pullUser "$REGISTRY_PULL_USER" --arg pullPassword "$REGISTRY_PULL_PASSWORD" \
		--arg gateway "$NODE_GATEWAY" --arg bridge "$NODE_BRIDGE" --arg podCIDR "$POD_CIDR" \
		--arg containerd "$(containerd_sock)" --arg nodeRoot "$noderoot" --argjson webPort "$TRAEFIK_WEB_PORT" \
		--arg busybox "$(busybox_image_ref)" --arg pause "$(sandbox_image_ref pause "$PAUSE_IMAGE_TAG")" \
		--arg traefik "$(sandbox_image_ref traefik "$TRAEFIK_VERSION")" \
		--argjson gitea "$(gitea_env_json)" \
		'{
		stateDir: $stateDir, repo: $repo,
		kubernetes: {
			server: $server, host: $host, port: $apiPort, kubeconfig: $kubeconfig, context: $context,
			caFile: $caFile, etcd: $etcd, etcdPort: $etcdPort, node: $node,
			ingressClass: "traefik", storageClass: "local-path", ingressIP: $ingressIP,
			gateway: $gateway, bridge: $bridge, podCIDR: $podCIDR, containerd: $containerd, nodeRoot: $nodeRoot
		},
		postgres: {
			host: $host, port: $pgPort, pgpoolHost: $host, pgpoolPort: $pgpoolPort,
			pcpHost: $host, pcpPort: $pcpPort, pcpUser: $pcpUser, pcpPassword: $pcpPassword, pcpPassFile: $pcpPass,
			adminUser: $pgAdmin, adminPassword: $pgAdminPassword, database: "postgres", sslmode: "disable",
			pgpoolConf: $pgpoolConf, poolPasswd: $poolPasswd, pgpoolKey: $pgpoolKey,
			pgEnc: $pgEnc, pcpReloadConfig: $pcpReload, psql: $psql
		},
		buildHost: {
			host: $host, port: $sshPort, user: $sshUser, hostKey: $hostKey, knownHosts: $knownHosts,
			privateKey: $clientKey, privateKeyFixture: $clientKeyFixture, checkout: $checkout,
			dir: $seed, origin: ($seed + "/origin.git"), checkoutDir: ($seed + "/inter-hub"),
			store: ($seed + "/store"), tags: ["v1", "v2"], brokenTag: "broken-build",
			crashTag: "crash-at-start", badMigrationTag: "bad-migration",
			noMigrateTag: "no-migrate"
		},
		registry: {
			host: ($host + ":" + ($registryPort|tostring)), url: ("https://" + $host + ":" + ($registryPort|tostring)),
			port: $registryPort, repository: ($host + ":" + ($registryPort|tostring) + "/inter-hub"),
			user: $registryUser, password: $registryPassword, caFile: $registryCA,
			pullUser: $pullUser, pullPassword: $pullPassword,
			images: {busybox: $busybox, pause: $pause, traefik: $traefik}
		},
		ingress: {
			url: ("https://" + $edgeHost), connectTo: ($host + ":" + ($edgePort|tostring)),
			host: $host, port: $edgePort, webPort: $webPort, caFile: $caFile, ingressClass: "traefik", entrypoint: "websecure"
		},
		gitea: $gitea
	}' >"$tmp"
	chmod 600 "$tmp"
	mv "$tmp" "$state/env.json"
}

# gitea_env_json prints env.json's gitea section, or null when Gitea does not run.
gitea_env_json() {
	if ! running gitea >/dev/null 2>&1; then
		echo null
		return
	fi
	jq -n --arg url "$(gitea_url)" --argjson port "$GITEA_PORT" --arg tokenFile "$(gitea_token_file)" \
		--arg admin "$GITEA_ADMIN_USER" --arg runner "$GITEA_RUNNER_NAME" --arg labels "$GITEA_RUNNER_LABELS" \
		--arg runnerHome "$(gitea_runner_home)" \
		'{url: $url, port: $port, adminUser: $admin, tokenFile: $tokenFile, runnerName: $runner,
		  runnerLabels: ($labels | split(",")), runnerHome: $runnerHome}'
}

# local_state is the file backend of the local stack: one per stand-in, since the stack records
# that stand-in's cluster and database (its provider holds the cluster's CA). Under the user's
# cache, not in $state: a file:// URL of a checkout path with spaces is not one the CLI reads.
local_state() { echo "${XDG_CACHE_HOME:-$HOME/.cache}/inter-hub/state/$(state_id)"; }

# cmd_local_backend prints the local stack's PULUMI_BACKEND_URL.
cmd_local_backend() { echo "file://$(local_state)"; }

# cmd_outside prints, a line each, what a stand-in of this checkout may keep outside it (the
# node's root, the relocated PostgreSQL and runner, the socket directory, the local stack's
# state): what to remove once the checkout is deleted.
cmd_outside() {
	local id
	id=$(state_id)
	printf '%s\n' "/var/lib/inter-hub-sandbox-$id" "/var/tmp/inter-hub-sandbox-$id" "/tmp/inter-hub-sandbox-$id" "$(local_state)"
}

cmd_up() {
	local t0 job rc=0
	t0=$(now_ms)
	# A new stand-in (no cluster data yet) starts with an empty local stack: a state left by an
	# earlier stand-in of this checkout names a cluster and a database that are gone.
	if [ ! -d "$state/etcd" ] && [ -d "$(local_state)" ]; then
		rm -rf "$(local_state)"
		say "local stack: a new stand-in; the state of the previous one ($(local_state)) was removed"
	fi
	mkdir -p "$state/run" "$state/logs"
	ensure_packages
	# PostgreSQL runs as user postgres (setpriv), sshd needs /run/sshd, and skopeo's trust for the
	# registry lives in /etc/containers: all need root.
	[ "$(id -u)" -eq 0 ] || die "sandbox.sh up must run as root (it starts PostgreSQL as user postgres, sshd, and writes /etc/containers/certs.d)"
	ensure_tools
	sandbox_paths
	preflight
	pki_ensure
	sandbox_paths create
	say "starting in $state"
	# pgpool listens on the pods' gateway address too: the bridge comes first.
	node_bridge
	# The parts start side by side (the apiserver's start dominates); each job fails on its own
	# first error, and up waits for all of them before it reports. The node needs the apiserver,
	# and its pause image the registry.
	local jobs=()
	kube_up &
	jobs+=($!)
	postgres_up &
	jobs+=($!)
	buildhost_up &
	jobs+=($!)
	{ registry_up && images_up; } &
	jobs+=($!)
	{ node_config && containerd_start; } &
	jobs+=($!)
	for job in "${jobs[@]}"; do
		wait "$job" || rc=1
	done
	[ "$rc" -eq 0 ] || die "up failed (see the messages above; logs in $state/logs); 'sandbox.sh down' stops what did start"
	# Gitea needs only PostgreSQL: it starts beside the node.
	local gitea_job=""
	if gitea_wanted; then
		gitea_up &
		gitea_job=$!
	fi
	node_pause_preload
	node_up
	addons_up || die "Traefik or the local-path provisioner did not start; 'sandbox.sh down' stops what did start"
	if [ -n "$gitea_job" ]; then
		wait "$gitea_job" || die "Gitea or its runner did not start (logs in $state/logs); 'sandbox.sh down' stops what did start"
	fi
	write_env_json
	say "ready in $(since "$t0")"
	summary
}

summary() {
	cat <<EOF

Sandbox is up. Everything listens on $HOST.
  state dir     $state   (env.json: $state/env.json)
  kubernetes    https://$HOST:$APISERVER_PORT   kubeconfig $state/kubeconfig  context $KUBE_CONTEXT
                node $NODE_NAME, IngressClass traefik, default StorageClass local-path
  etcd          http://$HOST:$ETCD_PORT
  pgpool        $HOST:$PGPOOL_PORT  admin $PG_ADMIN_USER / $PG_ADMIN_PASSWORD  (sslmode=disable)
  postgres      $HOST:$PG_PORT (direct)
  pcp           $HOST:$PCP_PORT  $PCP_USER / $PCP_PASSWORD   (PCPPASSFILE=$pgpool_dir/pcppass)
  pool_passwd   pg_enc -m -f $pgpool_dir/pgpool.conf -k $pgpool_dir/pgpoolkey -i FILE
  build host    ssh -p $SSH_PORT -i '$state/sshd/client_ed25519' -o 'UserKnownHostsFile="$state/sshd/known_hosts"' $(id -un)@$HOST
                checkout ~/sandbox-haskelseed/inter-hub (tags v1 v2 broken-build crash-at-start bad-migration no-migrate)
  registry      https://$HOST:$REGISTRY_PORT  $REGISTRY_USER / $REGISTRY_PASSWORD  CA $state/registry/ca.crt
                repository $HOST:$REGISTRY_PORT/inter-hub
  node          $NODE_NAME: kubelet $NODE_GATEWAY:$KUBELET_PORT, containerd $(containerd_sock)
                pods on bridge $NODE_BRIDGE ($POD_CIDR, gateway $NODE_GATEWAY; pgpool $NODE_GATEWAY:$PGPOOL_PORT)
                registry pull account $REGISTRY_PULL_USER / $REGISTRY_PULL_PASSWORD
  traefik       https://$HOST:$EDGE_PORT (websecure), http://$HOST:$TRAEFIK_WEB_PORT (web)  default cert from CA $pki/ca.crt
                local stack: https://$EDGE_APP_HOST (dial $HOST:$EDGE_PORT: smoke --connect-to $HOST:$EDGE_PORT --ca-file $pki/ca.crt)

  kubectl --kubeconfig $state/kubeconfig get nodes
EOF
	running gitea >/dev/null 2>&1 && cat <<EOF
  gitea         $(gitea_url)  admin $GITEA_ADMIN_USER, API token in $(gitea_token_file)
                runner $GITEA_RUNNER_NAME (host mode, labels $GITEA_RUNNER_LABELS, HOME $(gitea_runner_home))
EOF
	return 0
}

all_ports() {
	echo "$ETCD_PORT $ETCD_PEER_PORT $APISERVER_PORT $KCM_PORT $SCHEDULER_PORT $PG_PORT $PGPOOL_PORT $PCP_PORT $SSH_PORT $REGISTRY_PORT $KUBELET_PORT $KUBELET_HEALTHZ_PORT $EDGE_PORT $TRAEFIK_WEB_PORT $TRAEFIK_PING_PORT $GITEA_PORT"
}

# leftovers prints PIDs of sandbox programs that still name the state dir in their arguments
# (started by an older up whose pid file was lost). Other programs that merely mention the state
# dir, such as a `tail -f` of a log, are left alone.
leftovers() {
	local p exe
	for p in /proc/[0-9]*; do
		p=${p#/proc/}
		exe=$(readlink "/proc/$p/exe" 2>/dev/null) || continue
		[[ $sandbox_programs == *" ${exe##*/} "* ]] || continue
		ours "$p" && echo "$p"
	done
	return 0
}

cmd_down() {
	local t0 c bad=0 p port
	t0=$(now_ms)
	mkdir -p "$state/run" "$state/logs"
	sandbox_paths >/dev/null 2>&1 || true
	# The runner first (its jobs deploy to the cluster), then Gitea before its database; the node
	# next: its pods (Traefik, the app) stop with it, then the control plane.
	gitea_down
	node_down
	kube_down
	postgres_down
	buildhost_down
	registry_down
	for p in $(leftovers); do
		say "process $p still names $state in its arguments: $(tr '\0' ' ' <"/proc/$p/cmdline" | cut -c1-120); killing it"
		kill -KILL "$p" 2>/dev/null || true
	done
	for c in "${components[@]}" "${optional_components[@]}"; do
		if [ -f "$(pidfile "$c")" ] && running "$c" >/dev/null 2>&1; then
			say "$c is still running"
			bad=1
		fi
	done
	for port in $(all_ports); do
		if port_busy "$port"; then
			say "port $HOST:$port is still in use: $(port_owner "$port")"
			bad=1
		fi
	done
	while read -r p; do
		[ -n "$p" ] || continue
		say "left behind: $p"
		bad=1
	done < <(node_leftovers)
	[ "$bad" -eq 0 ] || die "down left processes, ports, mounts or links behind (see above)"
	say "down in $(since "$t0"): no sandbox process, container, mount or bridge left; ports $(all_ports | tr ' ' ',') are free"
}

# tree_mem PID prints the summed RSS and PSS (KiB) of PID and its descendants.
tree_mem() {
	local p rss=0 pss=0 r s
	for p in "$1" $(descendants "$1"); do
		r=$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)
		s=$(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null || echo 0)
		rss=$((rss + ${r:-0}))
		pss=$((pss + ${s:-0}))
	done
	echo "$rss $pss"
}

cmd_status() {
	local c pid port health ok=0 rss pss tot_rss=0 tot_pss=0 m
	load_tools_env 2>/dev/null || true
	sandbox_paths >/dev/null 2>&1 || true
	printf '%-24s %-8s %-22s %-8s %s\n' COMPONENT PID LISTEN HEALTH "RSS MiB (with children)"
	local shown=("${components[@]}")
	# Gitea's rows when it runs or is asked for; otherwise it is not part of this stand-in.
	if gitea_wanted || running gitea >/dev/null 2>&1 || running gitea-runner >/dev/null 2>&1; then
		shown+=("${optional_components[@]}")
	fi
	for c in "${shown[@]}"; do
		port=$(component_ports "$c")
		port=${port// /,}
		health=down rss=""
		if pid=$(running "$c" 2>/dev/null); then
			health=unhealthy
			case $c in
			etcd) etcd_healthy && health=ok ;;
			kube-apiserver) apiserver_healthy && health=ok ;;
			kube-controller-manager) component_healthy "$KCM_PORT" && health=ok ;;
			kube-scheduler) component_healthy "$SCHEDULER_PORT" && health=ok ;;
			containerd) containerd_healthy && health=ok ;;
			kubelet) kubelet_healthy && [ -f "$state/kubeconfig" ] && node_ready 2>/dev/null && health=ok ;;
			postgres) "$PG_BIN/pg_isready" -q -h "$HOST" -p "$PG_PORT" && health=ok ;;
			pgpool) pgpool_admin_ok >/dev/null 2>&1 && health=ok ;;
			sshd) sshd_healthy && health=ok ;;
			registry) registry_healthy && health=ok ;;
			gitea | gitea-runner) [ "$(gitea_health "$c")" = ok ] && health=ok ;;
			esac
			read -r rss pss < <(tree_mem "$pid")
			tot_rss=$((tot_rss + rss))
			tot_pss=$((tot_pss + pss))
			rss=$((rss / 1024))
		else
			pid=-
		fi
		[ "$health" = ok ] || ok=1
		printf '%-24s %-8s %-22s %-8s %s\n' "$c" "$pid" "${port:+$HOST:$port}" "$health" "$rss"
	done
	# The pods' containers (Traefik, the provisioner, the app) live under containerd's shims.
	local shims=0 pods=0 p
	for p in $(node_shim_pids); do
		read -r rss pss < <(tree_mem "$p")
		pods=$((pods + rss))
		tot_rss=$((tot_rss + rss))
		tot_pss=$((tot_pss + pss))
		shims=$((shims + 1))
	done
	printf '%-24s %-8s %-22s %-8s %s\n' "pods ($shims shims)" - - - $((pods / 1024))
	m=$((tot_rss / 1024))
	printf 'memory: %d MiB RSS summed over all sandbox processes and pods (%d MiB PSS)\n' "$m" $((tot_pss / 1024))
	[ -f "$state/env.json" ] && printf 'env: %s\n' "$state/env.json"
	return "$ok"
}

# cmd_restart_node takes the node down as a reboot would (no pod is deleted from the cluster, every
# container and mount is gone) and starts it again; the kubelet then recreates the pods it is
# bound to. Nothing else is touched.
cmd_restart_node() {
	local t0 left
	t0=$(now_ms)
	mkdir -p "$state/run" "$state/logs"
	load_tools_env
	sandbox_paths
	running kubelet >/dev/null || die "restart-node: the kubelet is not running; start the sandbox with 'sandbox.sh up'"
	node_down
	left=$(node_leftovers)
	[ -z "$left" ] || die "restart-node: the node left behind: $left"
	say "node stopped: no container, mount or bridge left ($(since "$t0"))"
	node_bridge
	node_up
	say "node restarted in $(since "$t0")"
}

case ${1:-} in
up) cmd_up ;;
local-backend) cmd_local_backend ;;
outside) cmd_outside ;;
restart-node) cmd_restart_node ;;
down) cmd_down ;;
status) cmd_status ;;
*)
	echo "usage: sandbox.sh up|down|status|restart-node|local-backend" >&2
	exit 2
	;;
esac
