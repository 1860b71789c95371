# shellcheck shell=bash
# PostgreSQL 15 (Debian) on 127.0.0.1:15433 and pgpool2 in front of it on 127.0.0.1:15432.
#
# PostgreSQL refuses to run as root, so it runs as the Debian user `postgres`, which must be able
# to reach its data directory. When the state dir is not reachable for that user (a checkout under
# a private home), the data lives in /var/tmp and $state/postgres is a symlink to it.

# From /: the caller's working directory may be one user postgres cannot enter (psql then warns).
as_postgres() { (cd / && setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"); }

# pg_paths [create] sets pgroot, pgdata, pgsock and pgpool_dir; with "create" (up) it may make the
# /var/tmp data directory and its link.
#
# Every command calls it before it looks at a process: a relocated server's command line names
# the /var/tmp directory, not $state, and only extra_roots lets `ours` recognise it.
# INTERHUB_SANDBOX_PG_RELOCATE=1 relocates even when postgres could reach $state (tests use it to
# run the path a checkout under /root takes).
pg_paths() {
	pgroot=$state/postgres
	extra_roots=()
	if [ -L "$pgroot" ]; then
		pgroot=$(readlink -f "$pgroot")
		extra_roots+=("$pgroot/")
	elif [ "${1:-}" = create ] && { [ "${INTERHUB_SANDBOX_PG_RELOCATE:-}" = 1 ] || ! as_postgres test -x "$state"; }; then
		[ -e "$pgroot" ] && die "postgres: user postgres cannot reach $pgroot; make every directory above it traversable (chmod o+x) or set INTERHUB_SANDBOX_DIR elsewhere"
		local ext
		ext=/var/tmp/inter-hub-sandbox-$(state_id)/postgres
		say "postgres: keeping its data in $ext (symlinked from $pgroot): user postgres cannot reach $state, or INTERHUB_SANDBOX_PG_RELOCATE=1"
		# A new link means a new state dir: data left there by a deleted one is not reused.
		rm -rf "$ext"
		mkdir -p "$ext"
		ln -s "$ext" "$pgroot"
		pgroot=$ext
		extra_roots+=("$pgroot/")
	fi
	pgdata=$pgroot/data
	# Unix socket paths are limited to 107 bytes; deep checkouts get a short directory in /tmp.
	pgsock=$pgroot/run
	if [ ${#pgsock} -gt 80 ]; then
		pgsock=/tmp/inter-hub-sandbox-$(state_id)
	fi
	pgpool_dir=$state/pgpool
}

psql_super() {
	as_postgres "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$pgsock" -p "$PG_PORT" -U postgres -d postgres "$@"
}

pg_init() {
	[ -f "$pgdata/PG_VERSION" ] && return 0
	say "postgres: initialising a new cluster in $pgdata"
	rm -rf "$pgdata"
	install -d -o postgres -g postgres -m 0700 "$pgroot" "$pgdata"
	as_postgres "$PG_BIN/initdb" -D "$pgdata" -U postgres -E UTF8 --locale=C.UTF-8 \
		--auth-local=peer --auth-host=scram-sha-256 --no-sync >>"$(logfile postgres)" 2>&1 ||
		fail_with_log postgres "initdb failed"
	# Only the local superuser connects over the socket; everything else uses scram over TCP.
	cat >"$pgdata/pg_hba.conf" <<EOF
# sandbox: written by sandbox.sh
local   all  postgres                peer
local   all  all                     scram-sha-256
host    all  all       $HOST/32  scram-sha-256
EOF
	chown postgres:postgres "$pgdata/pg_hba.conf"
}

pg_start() {
	if pid=$(running postgres); then
		say "postgres: already running (pid $pid)"
		return
	fi
	require_port_free postgres "$PG_PORT"
	pg_init
	install -d -o postgres -g postgres -m 0755 "$pgsock"
	# A postmaster.pid left by a killed server is cleared by postgres itself when that PID is gone.
	# Settings on the command line: no generated config file to drift, and the data path stays in
	# the process arguments for `ours`. fsync is off: this is disposable test data.
	spawn postgres setpriv --reuid=postgres --regid=postgres --init-groups -- \
		"$PG_BIN/postgres" -D "$pgdata" \
		-c listen_addresses="$HOST" -c port="$PG_PORT" -c unix_socket_directories="$pgsock" \
		-c password_encryption=scram-sha-256 -c max_connections=60 -c shared_buffers=32MB \
		-c fsync=off -c synchronous_commit=off -c full_page_writes=off \
		-c logging_collector=off -c log_min_messages=warning -c log_connections=off
	wait_until "postgres to accept connections" 30 postgres \
		"$PG_BIN/pg_isready" -q -h "$pgsock" -p "$PG_PORT"
}

# pg_bootstrap creates or updates the admin role: CREATEROLE and CREATEDB but not a superuser,
# as on railiance-platform.
pg_bootstrap() {
	psql_super <<EOF
DO \$\$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PG_ADMIN_USER') THEN
    CREATE ROLE $PG_ADMIN_USER LOGIN CREATEROLE CREATEDB NOSUPERUSER PASSWORD '$PG_ADMIN_PASSWORD';
  ELSE
    ALTER ROLE $PG_ADMIN_USER LOGIN CREATEROLE CREATEDB NOSUPERUSER PASSWORD '$PG_ADMIN_PASSWORD';
  END IF;
END
\$\$;
EOF
}

pgpool_config() {
	install -d -m 0755 "$pgpool_dir"
	install -d -m 0755 "$pgpool_dir/run"
	cat >"$pgpool_dir/pgpool.conf" <<EOF
# sandbox: written by sandbox.sh on every up; edits are lost.
backend_clustering_mode = 'raw'
# Pods reach it on their gateway, the bridge's address on this host. pgpool 4.3 listens on one
# address or all; pool_hba admits only loopback and the pods' network.
listen_addresses = '*'
port = $PGPOOL_PORT
unix_socket_directories = '$pgsock'
pcp_listen_addresses = '$HOST'
pcp_port = $PCP_PORT
pcp_socket_dir = '$pgsock'
pid_file_name = '$pgpool_dir/run/pgpool.pid'
logdir = '$pgpool_dir/run'

backend_hostname0 = '$HOST'
backend_port0 = $PG_PORT
backend_weight0 = 1
backend_flag0 = 'DISALLOW_TO_FAILOVER'
backend_application_name0 = 'sandbox-postgres'

# Authentication as on the seed's pgpool: pool_hba + scram, passwords from pool_passwd (AES).
enable_pool_hba = on
pool_passwd = 'pool_passwd'
allow_clear_text_frontend_auth = off
authentication_timeout = 30

num_init_children = 12
max_pool = 2
child_life_time = 300
# One client session per child. pgpool opens pool_passwd once, before forking, and its children
# re-read it through that shared stdio stream: after pg_enc rewrites the file, long-lived children
# keep answering from stale buffers (here 18 of 20 first logins of a new role failed, and 10 of
# 120 concurrent logins of existing ones). A fresh child per session reads the current file.
child_max_connections = 1
connection_cache = on
load_balance_mode = off
health_check_period = 0
sr_check_period = 0
failover_on_backend_error = off
use_watchdog = off
memory_cache_enabled = off

log_destination = 'stderr'
log_min_messages = warning
log_connections = off
EOF
	cat >"$pgpool_dir/pool_hba.conf" <<EOF
# sandbox: written by sandbox.sh
local   all  all                scram-sha-256
host    all  all  $HOST/32  scram-sha-256
host    all  all  $POD_CIDR  scram-sha-256
EOF
	printf '%s:%s\n' "$PCP_USER" "$(pg_md5 "$PCP_PASSWORD")" >"$pgpool_dir/pcp.conf"
	# The AES key is made once: entries already in pool_passwd (the program's own role) must
	# stay readable across restarts.
	if [ ! -s "$pgpool_dir/pgpoolkey" ]; then
		(umask 077 && openssl rand -hex 32 >"$pgpool_dir/pgpoolkey")
	fi
	chmod 600 "$pgpool_dir/pgpoolkey" "$pgpool_dir/pcp.conf"
	[ -f "$pgpool_dir/pool_passwd" ] || (umask 077 && : >"$pgpool_dir/pool_passwd")
	chmod 600 "$pgpool_dir/pool_passwd"
	pool_passwd_add "$PG_ADMIN_USER" "$PG_ADMIN_PASSWORD"
	# A pcp password file for pcp_* commands: PCPPASSFILE=$pgpool_dir/pcppass.
	printf '%s:%s:%s:%s\n' "$HOST" "$PCP_PORT" "$PCP_USER" "$PCP_PASSWORD" >"$pgpool_dir/pcppass"
	chmod 600 "$pgpool_dir/pcppass"
}

# pool_passwd_add USER PASSWORD adds or replaces USER's AES entry, exactly as the program does.
pool_passwd_add() {
	local tmp
	tmp=$(mktemp)
	printf '%s:%s\n' "$1" "$2" >"$tmp"
	pg_enc -m -f "$pgpool_dir/pgpool.conf" -k "$pgpool_dir/pgpoolkey" -i "$tmp" >/dev/null 2>&1 ||
		{
			rm -f "$tmp"
			die "pg_enc could not add '$1' to $pgpool_dir/pool_passwd"
		}
	rm -f "$tmp"
}

pgpool_start() {
	if pid=$(running pgpool); then
		say "pgpool: already running (pid $pid)"
		return
	fi
	require_port_free pgpool "$PGPOOL_PORT"
	require_port_free pcp "$PCP_PORT"
	pgpool_config
	rm -f "$pgpool_dir/run/pgpool.pid" "$pgpool_dir/run/pgpool_status"
	spawn pgpool pgpool -n -D -f "$pgpool_dir/pgpool.conf" -F "$pgpool_dir/pcp.conf" \
		-a "$pgpool_dir/pool_hba.conf" -k "$pgpool_dir/pgpoolkey"
	wait_until "pgpool to accept the admin login" 30 pgpool pgpool_admin_ok
}

pgpool_admin_ok() {
	PGPASSWORD=$PG_ADMIN_PASSWORD PGCONNECT_TIMEOUT=2 "$PG_BIN/psql" -X -q -At \
		"host=$HOST port=$PGPOOL_PORT user=$PG_ADMIN_USER dbname=postgres sslmode=disable" -c 'select 1'
}

postgres_up() {
	local t0
	t0=$(now_ms)
	pg_start
	pg_bootstrap
	pgpool_start
	say "postgres + pgpool: ready ($(since "$t0"))"
}

postgres_down() {
	# SIGINT is the fast shutdown for both: clients are disconnected, nothing waits for them.
	stop pgpool INT 15
	stop postgres INT 30
}
