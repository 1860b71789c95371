# shellcheck shell=bash
# Gitea v1.26.0 on http://127.0.0.1:$GITEA_PORT with its data in PostgreSQL, as a production Gitea
# keeps it, and one Gitea Actions runner (gitea-runner v1.0.8) registered with it in host mode:
# jobs run as processes on this machine, with a persistent work directory and HOME, and reuse the
# toolchain and Go caches of the user who starts it. Both binaries come from the toolchain
# (`toolchain/tools.sh build gitea`), Gitea's templates and options from $INTERHUB_TOOLS_PREFIX/share/gitea.
#
# Sourced after common.sh. The caller sets, before gitea_up:
#   GITEA_DB_HOST, GITEA_DB_PORT                 the PostgreSQL server that keeps Gitea's database
#   GITEA_DB_ADMIN_USER, GITEA_DB_ADMIN_PASSWORD a role with CREATEROLE and CREATEDB (not a superuser);
#                                                it creates Gitea's role and database if missing
# and may set (defaults below): GITEA_PORT, GITEA_DB_NAME, GITEA_DB_USER, GITEA_DB_PASSWORD,
# GITEA_RUNNER_LABELS (comma-separated; each label runs jobs on this host).
#
# gitea_up makes an admin user ($GITEA_ADMIN_USER) and an access token with every scope, written
# to $state/gitea/admin-token (mode 0600): the automation token tests and set-up use. Nothing is
# clicked by hand. State: $state/gitea (app.ini, repositories, data, secrets) and
# $state/gitea-runner (config, registration, work directory, HOME; the last two in /var/tmp when
# the state dir's path holds a space, see gitea_runner_ext). Logs: $state/logs/gitea.log
# and $state/logs/gitea-runner.log.

: "${GITEA_PORT:=13000}"
: "${GITEA_DB_NAME:=gitea}"
: "${GITEA_DB_USER:=gitea}"
: "${GITEA_DB_PASSWORD:=sandbox-gitea-db-password}"
: "${GITEA_RUNNER_LABELS:=inter-hub-local}"
: "${GITEA_ADMIN_USER:=interhub-admin}"
: "${GITEA_ADMIN_PASSWORD:=sandbox-gitea-admin-password}"
: "${GITEA_RUNNER_NAME:=sandbox-runner}"

gitea_dir() { echo "$state/gitea"; }
gitea_runner_dir() { echo "$state/gitea-runner"; }

# gitea_runner_home and gitea_runner_work are the runner's HOME and its jobs' work directory.
# act, which runs the jobs, hands a step's script to bash by a path it does not quote, and keeps
# the scripts under both. So when the state dir's path holds a space (a checkout in
# "/root/new user/..."), they live in /var/tmp, under a name derived from the state dir.
gitea_runner_ext() {
	local dir
	dir=$(gitea_runner_dir)
	if [[ $dir == *[[:space:]]* ]]; then
		echo "/var/tmp/inter-hub-sandbox-$(state_id)/gitea-runner"
	else
		echo "$dir"
	fi
}
gitea_runner_home() { echo "$(gitea_runner_ext)/home"; }
gitea_runner_work() { echo "$(gitea_runner_ext)/work"; }
gitea_url() { echo "http://$HOST:$GITEA_PORT"; }
gitea_token_file() { echo "$(gitea_dir)/admin-token"; }

# gitea_cli ARGS... runs the gitea command line against this instance's config (it reads the
# database named there; the server need not run).
gitea_cli() {
	local dir
	dir=$(gitea_dir)
	(cd "$dir" && GITEA_WORK_DIR="$dir" gitea --work-path "$dir" --custom-path "$dir/custom" --config "$dir/app.ini" "$@")
}

# gitea_secret NAME KIND makes a secret once (KIND jwt: 32 bytes in unpadded base64url, as Gitea
# wants its JWT secret; otherwise 48 hex characters) and prints it. The secrets outlive app.ini,
# which every up writes anew: sessions, tokens and signed links stay valid across restarts.
gitea_secret() {
	local f
	f=$(gitea_dir)/secrets/$1
	if [ ! -s "$f" ]; then
		install -d -m 0700 "$(gitea_dir)/secrets"
		if [ "$2" = jwt ]; then
			(umask 077 && openssl rand 32 | base64 -w0 | tr '+/' '-_' | tr -d '=' >"$f")
		else
			(umask 077 && openssl rand -hex 24 >"$f")
		fi
	fi
	cat "$f"
}

gitea_config() {
	local dir share run_user root_line=""
	dir=$(gitea_dir)
	share=${INTERHUB_TOOLS_PREFIX:-}/share/gitea
	if [ ! -d "$share/templates" ] || [ ! -d "$share/options" ]; then
		die "gitea: $share has no templates/options; build Gitea with: toolchain/tools.sh build gitea (and load its env)"
	fi
	install -d -m 0700 "$dir"
	install -d -m 0755 "$dir/data" "$dir/repositories" "$dir/custom" "$dir/log"
	run_user=$(id -un)
	# Gitea refuses to run as root unless told; the stand-in runs as root like its other parts.
	[ "$(id -u)" -eq 0 ] && root_line="I_AM_BEING_UNSAFE_RUNNING_AS_ROOT = true"
	# Written on every up, edits are lost; 0600: it holds the database password and secrets.
	(umask 077 && cat >"$dir/app.ini.tmp" <<EOF
; sandbox: written by sandbox.sh on every up; edits are lost.
APP_NAME = inter-hub stand-in Gitea
RUN_USER = $run_user
RUN_MODE = prod
WORK_PATH = $dir
$root_line

[server]
PROTOCOL = http
HTTP_ADDR = $HOST
HTTP_PORT = $GITEA_PORT
DOMAIN = $HOST
ROOT_URL = $(gitea_url)/
; Templates, options and public files as the module ships them (no bindata in this build).
STATIC_ROOT_PATH = $share
APP_DATA_PATH = $dir/data
DISABLE_SSH = true
START_SSH_SERVER = false
LFS_START_SERVER = false
OFFLINE_MODE = true

[database]
DB_TYPE = postgres
HOST = $GITEA_DB_HOST:$GITEA_DB_PORT
NAME = $GITEA_DB_NAME
USER = $GITEA_DB_USER
PASSWD = \`$GITEA_DB_PASSWORD\`
SSL_MODE = disable
LOG_SQL = false

[repository]
ROOT = $dir/repositories
DEFAULT_BRANCH = main

[security]
INSTALL_LOCK = true
SECRET_KEY = $(gitea_secret secret-key hex)
INTERNAL_TOKEN = $(gitea_secret internal-token hex)

[oauth2]
ENABLED = false
JWT_SECRET = $(gitea_secret jwt-secret jwt)

[service]
DISABLE_REGISTRATION = true
REQUIRE_SIGNIN_VIEW = false
DEFAULT_KEEP_EMAIL_PRIVATE = true
NO_REPLY_ADDRESS = noreply.invalid

[mailer]
ENABLED = false

[indexer]
ISSUE_INDEXER_TYPE = db
REPO_INDEXER_ENABLED = false

[log]
MODE = console
LEVEL = Info
ROOT_PATH = $dir/log

[actions]
ENABLED = true
DEFAULT_ACTIONS_URL = self

[cron.update_checker]
ENABLED = false
EOF
	)
	mv "$dir/app.ini.tmp" "$dir/app.ini"
}

# gitea_db_ensure creates Gitea's role and database through the admin role, or brings the role's
# password in line; a second run changes nothing. PostgreSQL 15 lets a non-superuser create a
# database owned by another role only when it is a member of that role.
gitea_db_ensure() {
	local psql=${PG_BIN:-/usr/lib/postgresql/15/bin}/psql
	if [ -z "${GITEA_DB_HOST:-}" ] || [ -z "${GITEA_DB_PORT:-}" ] || [ -z "${GITEA_DB_ADMIN_USER:-}" ]; then
		die "gitea: set GITEA_DB_HOST, GITEA_DB_PORT, GITEA_DB_ADMIN_USER and GITEA_DB_ADMIN_PASSWORD before gitea_up"
	fi
	PGPASSWORD=$GITEA_DB_ADMIN_PASSWORD PGCONNECT_TIMEOUT=5 "$psql" -X -q -v ON_ERROR_STOP=1 \
		-v role="$GITEA_DB_USER" -v password="$GITEA_DB_PASSWORD" -v db="$GITEA_DB_NAME" -v admin="$GITEA_DB_ADMIN_USER" \
		"host=$GITEA_DB_HOST port=$GITEA_DB_PORT user=$GITEA_DB_ADMIN_USER dbname=postgres sslmode=disable" \
		>>"$(logfile gitea)" 2>&1 <<'EOF' || fail_with_log gitea "gitea: could not create its role and database as $GITEA_DB_ADMIN_USER on $GITEA_DB_HOST:$GITEA_DB_PORT"
SELECT format('CREATE ROLE %I LOGIN', :'role') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \gexec
SELECT format('ALTER ROLE %I LOGIN PASSWORD %L', :'role', :'password') \gexec
SELECT format('GRANT %I TO %I', :'role', :'admin') WHERE NOT pg_has_role(:'admin', :'role', 'MEMBER') \gexec
SELECT format('CREATE DATABASE %I OWNER %I ENCODING %L TEMPLATE template0', :'db', :'role', 'UTF8')
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') \gexec
EOF
}

gitea_healthy() {
	local code
	code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$(gitea_url)/api/healthz") || return 1
	[ "$code" = 200 ]
}

gitea_start() {
	local pid dir
	dir=$(gitea_dir)
	if pid=$(running gitea); then
		say "gitea: already running (pid $pid)"
		return
	fi
	require_port_free gitea "$GITEA_PORT"
	# The first start creates Gitea's tables (a few hundred statements).
	spawn gitea env GITEA_WORK_DIR="$dir" "${GO_ENV[@]}" \
		gitea web --work-path "$dir" --custom-path "$dir/custom" --config "$dir/app.ini"
	wait_until "Gitea to answer on $(gitea_url)/api/healthz" 180 gitea gitea_healthy
}

# gitea_api METHOD PATH [JSON] calls the API with the automation token; prints the body, fails on
# an HTTP status of 400 or more.
gitea_api() {
	local args=(-sS --fail-with-body --max-time 30 -X "$1" -H "Authorization: token $(cat "$(gitea_token_file)")"
		-H 'Accept: application/json')
	[ $# -ge 3 ] && args+=(-H 'Content-Type: application/json' --data-binary "$3")
	curl "${args[@]}" "$(gitea_url)/api/v1$2"
}

gitea_token_ok() {
	[ -s "$(gitea_token_file)" ] && gitea_api GET /user >/dev/null 2>&1
}

# gitea_admin_ensure makes the admin user (once) and an automation token with every scope when
# the recorded one does not work (a new database, a deleted token).
gitea_admin_ensure() {
	local token_file tmp
	token_file=$(gitea_token_file)
	if ! gitea_cli admin user list --admin 2>>"$(logfile gitea)" | awk 'NR > 1 {print $2}' | grep -qx "$GITEA_ADMIN_USER"; then
		gitea_cli admin user create --username "$GITEA_ADMIN_USER" --password "$GITEA_ADMIN_PASSWORD" \
			--email "$GITEA_ADMIN_USER@inter-hub.invalid" --admin --must-change-password=false \
			>>"$(logfile gitea)" 2>&1 || fail_with_log gitea "gitea: could not create the admin user $GITEA_ADMIN_USER"
		say "gitea: created the admin user $GITEA_ADMIN_USER"
	fi
	gitea_token_ok && return
	tmp=$(mktemp "$(gitea_dir)/admin-token.XXXXXX")
	chmod 600 "$tmp"
	# Token names are unique per user: one per creation. The command logs to stdout too: the
	# token is its last line.
	if ! gitea_cli admin user generate-access-token --username "$GITEA_ADMIN_USER" \
		--token-name "sandbox-automation-$(date +%s%N)" --scopes all --raw 2>>"$(logfile gitea)" |
		tail -n1 | grep -E '^[0-9a-f]{40}$' >"$tmp"; then
		rm -f "$tmp"
		fail_with_log gitea "gitea: could not create an access token for $GITEA_ADMIN_USER"
	fi
	mv "$tmp" "$token_file"
	gitea_token_ok || die "gitea: the new access token in $token_file is refused by $(gitea_url)"
	say "gitea: automation token for $GITEA_ADMIN_USER in $token_file"
}

# gitea_runner_env prints the environment the runner (and every job: in host mode a job inherits
# the runner's environment) gets: its own HOME under the state dir, and the caller's toolchain
# and Go caches, so that a job's `make` and `go build` reuse what is already built.
gitea_runner_env() {
	local tools_dir
	tools_dir=${INTERHUB_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/inter-hub/tools}
	printf '%s\n' "HOME=$(gitea_runner_home)" "INTERHUB_TOOLS_DIR=$tools_dir" \
		"GOPATH=$(go env GOPATH)" "GOMODCACHE=$(go env GOMODCACHE)" "GOCACHE=$(go env GOCACHE)" \
		"GOFLAGS=$(go env GOFLAGS)" "GOTOOLCHAIN=$(go env GOTOOLCHAIN)" "PATH=$PATH"
}

gitea_runner_config() {
	local dir
	dir=$(gitea_runner_dir)
	install -d -m 0700 "$dir" "$(gitea_runner_ext)" "$(gitea_runner_home)"
	install -d -m 0755 "$(gitea_runner_work)"
	cat >"$dir/config.yaml.tmp" <<EOF
# sandbox: written by sandbox.sh on every up; edits are lost.
log:
  level: info
runner:
  file: "$dir/.runner"
  # Two: a deploy waiting in its concurrency group must not hold up other jobs (a preview, the
  # record step of a dispatched deploy).
  capacity: 2
  timeout: 1h
  # Jobs still running when the runner stops are cancelled at once: down must not wait for them.
  shutdown_timeout: 0s
  fetch_timeout: 5s
  fetch_interval: 1s
  fetch_interval_max: 2s
  log_report_interval: 2s
  log_report_max_latency: 1s
  state_report_interval: 2s
  # Empty: the daemon takes the labels the registration recorded in the file above.
  labels: []
cache:
  # No cache server (it would listen on a port of its own); jobs use the toolchain's cache.
  enabled: false
host:
  # Persistent: each job's workspace is made below it.
  workdir_parent: "$(gitea_runner_work)"
EOF
	mv "$dir/config.yaml.tmp" "$dir/config.yaml"
}

# gitea_runner_labels_wanted prints the labels as the runner records them: NAME:host, sorted.
gitea_runner_labels_wanted() {
	local l
	for l in ${GITEA_RUNNER_LABELS//,/ }; do echo "${l%%:*}:host"; done | sort -u
}

# gitea_runner_register registers the runner once; again when the labels changed or the
# registration file is gone (a new Gitea database forgets every runner: delete the file then).
gitea_runner_register() {
	local dir file want have token labels
	dir=$(gitea_runner_dir)
	file=$dir/.runner
	want=$(gitea_runner_labels_wanted)
	if [ -s "$file" ] && ! gitea_runner_known; then
		# Gitea's database was made anew (a new stand-in PostgreSQL): it forgot the runner.
		say "gitea-runner: $(gitea_url) does not know the runner $GITEA_RUNNER_NAME; registering again"
		rm -f "$file"
	fi
	if [ -s "$file" ]; then
		have=$(jq -r '.labels[]?' "$file" 2>/dev/null | sort -u)
		[ "$have" = "$want" ] && return
		say "gitea-runner: labels changed ($(paste -sd, - <<<"$have") -> $(paste -sd, - <<<"$want")); registering again"
		rm -f "$file"
	fi
	# It asks the running server; its own log lines go to stdout too: the token is the last line.
	token=$(gitea_cli actions generate-runner-token 2>>"$(logfile gitea)" | tail -n1 | grep -E '^[A-Za-z0-9]{20,}$') ||
		fail_with_log gitea "gitea: could not generate a runner registration token"
	labels=$(echo "$want" | paste -sd, -)
	local -a runner_env
	mapfile -t runner_env < <(gitea_runner_env)
	env -C "$dir" "${runner_env[@]}" gitea-runner register --no-interactive --config "$dir/config.yaml" \
		--instance "$(gitea_url)" --token "$token" --name "$GITEA_RUNNER_NAME" --labels "$labels" \
		>>"$(logfile gitea-runner)" 2>&1 || fail_with_log gitea-runner "gitea-runner: registration with $(gitea_url) failed"
	chmod 600 "$file" # it holds the runner's token
	say "gitea-runner: registered as $GITEA_RUNNER_NAME with labels $labels"
}

# gitea_runner_known: Gitea lists a runner with this name and the registration file's ID.
gitea_runner_known() {
	local id
	id=$(jq -r '.id // empty' "$(gitea_runner_dir)/.runner" 2>/dev/null) || return 1
	gitea_api GET "/admin/actions/runners" 2>/dev/null |
		jq -e --arg n "$GITEA_RUNNER_NAME" --argjson id "${id:-0}" '[.runners[]? | select(.name == $n and .id == $id)] | length > 0' >/dev/null
}

# gitea_runner_online: Gitea lists the runner as online (it has polled for work).
gitea_runner_online() {
	gitea_api GET "/admin/actions/runners" 2>/dev/null |
		jq -e --arg n "$GITEA_RUNNER_NAME" '[.runners[]? | select(.name == $n and .status != "offline")] | length > 0' >/dev/null
}

gitea_runner_start() {
	local pid dir
	dir=$(gitea_runner_dir)
	if pid=$(running gitea-runner); then
		say "gitea-runner: already running (pid $pid)"
		return
	fi
	local -a runner_env
	mapfile -t runner_env < <(gitea_runner_env)
	# From its own directory: the runner reads a .env file from the working directory.
	spawn gitea-runner env -C "$dir" "${runner_env[@]}" gitea-runner daemon --config "$dir/config.yaml"
	wait_until "the runner $GITEA_RUNNER_NAME to be online in $(gitea_url)" 60 gitea-runner gitea_runner_online
}

gitea_up() {
	local t0
	t0=$(now_ms)
	if ! command -v gitea >/dev/null || ! command -v gitea-runner >/dev/null; then
		die "gitea or gitea-runner not found on PATH; build them with: toolchain/tools.sh build gitea"
	fi
	gitea_config
	gitea_db_ensure
	gitea_start
	gitea_admin_ensure
	gitea_runner_config
	gitea_runner_register
	gitea_runner_start
	say "gitea + runner: ready on $(gitea_url) ($(since "$t0")); labels $(gitea_runner_labels_wanted | paste -sd, -)"
}

# gitea_down stops the runner first, then Gitea. A running job's processes are killed before the
# runner is stopped: the runner waits until every process of a job has closed the job's output,
# so a job's background process would hold it up; without them it reports the job as failed to
# Gitea and exits at once.
gitea_down() {
	local pid p
	if pid=$(running gitea-runner 2>/dev/null); then
		for p in $(descendants "$pid"); do
			kill -KILL "$p" 2>/dev/null || true
		done
	fi
	stop gitea-runner TERM 15
	stop gitea TERM 20
}

# gitea_health NAME prints ok, unhealthy or down for gitea or gitea-runner.
gitea_health() {
	running "$1" >/dev/null 2>&1 || {
		echo down
		return
	}
	case $1 in
	gitea) gitea_healthy && echo ok || echo unhealthy ;;
	gitea-runner) gitea_runner_online && echo ok || echo unhealthy ;;
	esac
}
