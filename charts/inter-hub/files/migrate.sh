# The migration Job's command when the chart's migrate.schema is on (values.yaml), run with sh in
# the app image and its working directory. Arguments: the schema files, "--", the migration
# command (IHP's migrate).
#
# IHP's migrate applies migrations to an existing schema; it does not create one. So, on a
# database whose schema holds no table at all, the schema files are loaded first, in one
# transaction with schema_migrations recording every migration the image carries (the schema
# already holds their effect). A failed load is rolled back and fails the Job; a database that
# holds any table is never loaded into. Then, always, the migration command.
set -eu

# as_sql prints psql input that includes the schema files (arguments up to "--").
as_sql() {
	for f in "$@"; do
		[ "$f" = -- ] && return 0
		[ -r "$f" ] || {
			echo "schema: $f (the chart's migrate.schema.files) is not a readable file in the image" >&2
			exit 1
		}
		printf "\\\\echo schema: loading %s\n\\\\i '%s'\n" "$f" "$f"
	done
	echo "schema: the schema files must be followed by -- and the migration command" >&2
	exit 1
}

# The first login is tried again for up to MIGRATE_WAIT_SECONDS (the chart's
# migrate.waitForDatabaseSeconds): a pgpool restarted a moment ago to learn this role, or a pod
# network still settling, refuses a login for a while. Nothing is read or written before a login
# works, so trying again is safe; what follows runs once.
wait=${MIGRATE_WAIT_SECONDS:-0}
tries=$((wait / 2 + 1))
until err=$(psql -X -q -t -A -d "$DATABASE_URL" -c 'SELECT 1' 2>&1 >/dev/null); do
	tries=$((tries - 1))
	if [ "$tries" -le 0 ]; then
		echo "schema: no login to the database within ${wait} s (migrate.waitForDatabaseSeconds): $err" >&2
		exit 1
	fi
	echo "schema: the database refuses the login, trying again in 2 s: $err" >&2
	sleep 2
done

dir=${IHP_MIGRATION_DIR:-Application/Migration/}
tables=$(psql -X -q -t -A -v ON_ERROR_STOP=1 -d "$DATABASE_URL" \
	-c "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = current_schema()")
if [ "$tables" = 0 ]; then
	echo "schema: the database has no tables: loading the schema once, then recording the image's migrations in $dir as applied"
	records="" n=0
	for m in "${dir%/}"/*.sql; do
		[ -e "$m" ] || continue
		revision=${m##*/}
		revision=${revision%%-*}
		case $revision in
		'' | *[!0-9]*)
			echo "schema: $m: a migration file's name starts with its revision number" >&2
			exit 1
			;;
		esac
		records="$records
INSERT INTO schema_migrations (revision) VALUES ($revision);"
		n=$((n + 1))
	done
	load=$(
		echo '\set ON_ERROR_STOP on'
		echo 'BEGIN;'
		as_sql "$@"
		echo 'CREATE TABLE schema_migrations (revision BIGINT NOT NULL UNIQUE);'
		printf '%s\n' "$records"
		echo 'COMMIT;'
	)
	printf '%s\n' "$load" | psql -X -q -v ON_ERROR_STOP=1 -d "$DATABASE_URL"
	echo "schema: loaded; $n migration(s) recorded as applied"
else
	echo "schema: the database has $tables table(s): the schema is not loaded again"
fi

while [ $# -gt 0 ] && [ "$1" != -- ]; do shift; done
[ $# -gt 1 ] || {
	echo "schema: no migration command after --" >&2
	exit 1
}
shift
exec "$@"
