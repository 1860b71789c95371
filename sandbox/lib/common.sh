# shellcheck shell=bash
# Shared values and process helpers for sandbox.sh. Sourced, never run.
#
# The listeners, credentials and file names below are a contract with the program and its tests:
# change them only together with .sandbox/env.json's consumers.

readonly HOST=127.0.0.1
readonly APISERVER_PORT=16443
readonly ETCD_PORT=12379
readonly ETCD_PEER_PORT=12380
readonly KCM_PORT=16257
readonly SCHEDULER_PORT=16259
readonly PG_PORT=15433
readonly PGPOOL_PORT=15432
readonly PCP_PORT=19898
readonly SSH_PORT=2222
readonly REGISTRY_PORT=5443
readonly EDGE_PORT=8443

readonly PG_ADMIN_USER=railiance_admin
readonly PG_ADMIN_PASSWORD=sandbox-admin-password
readonly PCP_USER=pcpadmin
readonly PCP_PASSWORD=sandbox-pcp-password
readonly REGISTRY_USER=interhub-push
readonly REGISTRY_PASSWORD=sandbox-registry-password
# The account pods pull with (imagePullSecrets). distribution's htpasswd auth has no per-user
# rights, so the registry itself does not stop it from pushing; nothing here pushes with it.
readonly REGISTRY_PULL_USER=interhub-pull
readonly REGISTRY_PULL_PASSWORD=sandbox-registry-pull-password

readonly KUBE_CONTEXT=sandbox
readonly NODE_NAME=sandbox-node-0
# Addresses as on K3s: pods in 10.42/16, services in 10.43/16.
readonly POD_CIDR=10.42.0.0/24
readonly SERVICE_CIDR=10.43.0.0/16
# The bridge the pods sit on; its address is the pods' gateway and the host's address for them
# (pgpool listens there too).
readonly NODE_BRIDGE=ihub-sandbox0
readonly NODE_GATEWAY=10.42.0.1
readonly KUBELET_PORT=16250
readonly KUBELET_HEALTHZ_PORT=16248
# What Traefik publishes as the load-balancer address of Ingresses.
readonly INGRESS_IP=127.0.0.1

readonly PG_BIN=/usr/lib/postgresql/15/bin

# The local stack's ingress.host (Pulumi.local.yaml): its URL is https://$EDGE_APP_HOST, served by
# Traefik's websecure entrypoint on $HOST:$EDGE_PORT (names under .localhost need --connect-to; they do not resolve here).
readonly EDGE_APP_HOST=inter-hub.localhost
readonly EDGE_SANS="DNS:localhost,DNS:*.localhost,DNS:$EDGE_APP_HOST,IP:$HOST"

# Go programs (etcd, Kubernetes, the registry) collect garbage twice as often as
# by default: about 10 % less memory for a little CPU, which keeps the whole sandbox under 1 GiB.
readonly GO_ENV=(env GOGC=50)

say() { printf 'sandbox: %s\n' "$*" >&2; }
die() {
	printf 'sandbox: error: %s\n' "$*" >&2
	exit 1
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }
# since START_MS prints the seconds elapsed since START_MS with one decimal.
since() {
	local d=$(($(now_ms) - $1))
	printf '%d.%d s' $((d / 1000)) $((d % 1000 / 100))
}

pidfile() { echo "$state/run/$1.pid"; }
logfile() { echo "$state/logs/$1.log"; }

# is_dead PID: true when the process is gone or a zombie waiting to be reaped.
is_dead() {
	local s
	[ -r "/proc/$1/stat" ] || return 0
	s=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 0
	[ "$s" = Z ] || [ -z "$s" ]
}

# Directories outside $state that hold sandbox data (see pg_paths).
extra_roots=()

# state_id names this state dir in places outside it (/var/tmp, /var/lib, /tmp): the same for
# every run of the same checkout, different for another one.
state_id() { printf '%s' "$state" | sha256sum | cut -c1-12; }

# ours PID: the process is alive and its command line names this sandbox's state dir. This guards
# against a recycled PID: every process the sandbox starts has a path under $state in its arguments.
ours() {
	local cmd r
	is_dead "$1" && return 1
	cmd=$(tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null) || return 1
	for r in "$state/" "${extra_roots[@]}"; do
		[[ $cmd == *"$r"* ]] && return 0
	done
	return 1
}

# Programs the sandbox starts, by executable name.
readonly sandbox_programs=" etcd kube-apiserver kube-controller-manager kube-scheduler containerd kubelet postgres pgpool sshd docker-registry gitea gitea-runner "

# group_members PGID prints the live sandbox programs in process group PGID. spawn makes every
# process the leader of its own group, and children stay in it: pgpool's children keep the
# listening socket open even when their parent was killed.
group_members() {
	local pid pgid exe
	ps -e -o pid=,pgid= | while read -r pid pgid; do
		[ "$pgid" = "$1" ] || continue
		is_dead "$pid" && continue
		exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || continue
		[[ $sandbox_programs == *" ${exe##*/} "* ]] && echo "$pid"
	done
	return 0
}

# kill_group PGID kills what is left of a process group of sandbox programs, and waits for it.
kill_group() {
	local p left i
	for i in $(seq 1 100); do
		left=$(group_members "$1")
		[ -z "$left" ] && return 0
		for p in $left; do kill -KILL "$p" 2>/dev/null || true; done
		sleep 0.05
	done
	say "processes $left of group $1 did not exit"
	return 1
}

# running NAME prints the PID of a live sandbox process NAME. A stale pid file (the process died,
# or the PID now belongs to something else) is removed, after killing children the dead process
# left behind. A live process that `ours` does not recognise is never killed: it may be a recycled
# PID, or a sandbox process this script failed to recognise; a port check then says who holds
# the port.
running() {
	local f pid left
	f=$(pidfile "$1")
	[ -f "$f" ] || return 1
	pid=$(cat "$f")
	if [[ $pid =~ ^[0-9]+$ ]] && ours "$pid"; then
		echo "$pid"
		return 0
	fi
	if [[ $pid =~ ^[0-9]+$ ]] && ! is_dead "$pid"; then
		say "$1: pid file names pid $pid, which is alive but not recognised as this sandbox's; removing the pid file and leaving the process alone"
		rm -f "$f"
		return 1
	fi
	say "$1: stale pid file (pid ${pid:-?} has exited), removing it"
	if [[ $pid =~ ^[0-9]+$ ]]; then
		left=$(group_members "$pid")
		if [ -n "$left" ]; then
			say "$1: killing what pid $pid left behind: $(echo "$left" | tr '\n' ' ')"
			kill_group "$pid" || true
		fi
	fi
	rm -f "$f"
	return 1
}

# port_owner PORT prints "pid=N (command)" of the listener on 127.0.0.1:PORT, or nothing.
port_owner() {
	ss -Hltnp "sport = :$1" 2>/dev/null | sed -n 's/.*users:((\("[^"]*"\),pid=\([0-9]*\).*/pid=\2 \1/p' | head -n1
}
port_busy() { [ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]; }

# require_port_free NAME PORT fails with the owner when something else already listens there.
require_port_free() {
	local owner
	if port_busy "$2"; then
		owner=$(port_owner "$2")
		die "$1 cannot start: 127.0.0.1:$2 is already in use${owner:+ by $owner}; stop it, or run 'sandbox.sh down' if it is a sandbox left from another checkout"
	fi
}

# spawn NAME CMD... starts CMD detached in its own session, logging to logs/NAME.log, and records
# its PID. setsid execs (no fork) in a non-interactive shell, so $! is the PID of CMD itself.
spawn() {
	local name=$1
	shift
	local log
	log=$(logfile "$name")
	printf '\n==== %s %s\n' "$(date -Is)" "$*" >>"$log"
	setsid "$@" >>"$log" 2>&1 </dev/null &
	local pid=$! i
	echo "$pid" >"$(pidfile "$name")"
	# Until the forked shell has exec'd CMD, its command line is this script's, which `ours` does
	# not recognise: a check in that moment took the new process for a stranger and dropped its
	# pid file. Wait for the exec (or the exit) first.
	for i in $(seq 1 100); do
		ours "$pid" || is_dead "$pid" || { sleep 0.05; continue; }
		break
	done
}

# descendants PID prints all descendant PIDs of PID, deepest last.
descendants() {
	local c
	for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do
		echo "$c"
		descendants "$c"
	done
}

# stop NAME [SIGNAL] [TIMEOUT_S]: signal the recorded PID, wait for it, then SIGKILL what is left
# of it and its descendants (sshd sessions, pgpool and postgres children).
stop() {
	local name=$1 sig=${2:-TERM} timeout=${3:-10} pid kids t0 p
	pid=$(running "$name") || return 0
	kids=$(descendants "$pid")
	t0=$(now_ms)
	kill -s "$sig" "$pid" 2>/dev/null || true
	while ! is_dead "$pid" && [ $(($(now_ms) - t0)) -lt $((timeout * 1000)) ]; do sleep 0.05; done
	if ! is_dead "$pid"; then
		say "$name (pid $pid) did not stop within ${timeout} s after SIG$sig; killing it"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	# Children that outlive their parent (sshd sessions) were recorded a moment ago by PID.
	for p in $kids; do is_dead "$p" || kill -KILL "$p" 2>/dev/null || true; done
	while ! is_dead "$pid"; do sleep 0.05; done
	kill_group "$pid" || true
	rm -f "$(pidfile "$name")"
	say "stopped $name (pid $pid) in $(since "$t0")"
}

# wait_until DESC TIMEOUT_S NAME CMD...: poll CMD until it succeeds; fail if process NAME dies or
# time runs out, showing the end of its log.
wait_until() {
	local desc=$1 timeout=$2 name=$3
	shift 3
	local t0
	t0=$(now_ms)
	until "$@" >/dev/null 2>&1; do
		if [ "$name" != - ] && ! running "$name" >/dev/null 2>&1; then
			fail_with_log "$name" "$name exited while waiting for $desc"
		fi
		if [ $(($(now_ms) - t0)) -ge $((timeout * 1000)) ]; then
			fail_with_log "$name" "timed out after ${timeout} s waiting for $desc"
		fi
		sleep 0.1
	done
}

fail_with_log() {
	local log
	if [ "$1" != - ]; then
		log=$(logfile "$1")
		if [ -f "$log" ]; then
			printf 'sandbox: --- last lines of %s:\n' "$log" >&2
			tail -n 25 "$log" >&2
		fi
	fi
	die "$2"
}

# json_str VALUE prints VALUE as a JSON string.
json_str() {
	local s=$1
	s=${s//\\/\\\\}
	s=${s//\"/\\\"}
	printf '"%s"' "$s"
}
