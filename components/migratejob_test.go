package components

import (
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coulomb-social/inter-hub-deploy/test/support/pgserver"
)

// The chart's migration Job script (charts/inter-hub/files/migrate.sh), run with sh and psql on
// a real PostgreSQL, as the app role that owns the database, with the sample app's schema: a
// database without tables gets the schema once and its migrations recorded, then the migration
// command runs; a database with tables only the migration command; a schema that fails to load
// leaves nothing behind and runs no migration.
func TestMigrateJobScript(t *testing.T) {
	srv := pgserver.Start(t, "migrate-job-")
	psql, err := exec.LookPath("psql")
	if err != nil {
		t.Fatalf("psql is not installed (Debian package postgresql-client-15): %v", err)
	}
	sample := filepath.Join("..", "sandbox", "haskelseed", "sample")
	script, err := os.ReadFile(filepath.Join("..", "charts", "inter-hub", "files", "migrate.sh"))
	if err != nil {
		t.Fatal(err)
	}

	// The image's working directory: the schema files and the migrations, as the sample's image
	// holds them under /app.
	image := func(t *testing.T, schema map[string]string) string {
		dir := t.TempDir()
		for name, from := range map[string]string{
			"IHPSchema.sql":          filepath.Join(sample, "v1", "IHPSchema.sql"),
			"Application/Schema.sql": filepath.Join(sample, "v2", "Application", "Schema.sql"),
		} {
			b, err := os.ReadFile(from)
			if err != nil {
				t.Fatal(err)
			}
			if s, ok := schema[name]; ok {
				b = []byte(s)
			}
			write(t, filepath.Join(dir, name), string(b))
		}
		for _, rev := range []string{"v1", "v2"} {
			files, _ := filepath.Glob(filepath.Join(sample, rev, "Application", "Migration", "*.sql"))
			for _, f := range files {
				b, _ := os.ReadFile(f)
				write(t, filepath.Join(dir, "Application", "Migration", filepath.Base(f)), string(b))
			}
		}
		return dir
	}
	n := 0
	database := func(t *testing.T) (*sql.DB, string) {
		n++
		name := fmt.Sprintf("app%d", n)
		srv.Exec(t, fmt.Sprintf(`CREATE ROLE %s LOGIN PASSWORD 'app-password'`, name),
			fmt.Sprintf(`CREATE DATABASE %s OWNER %s`, name, name))
		return srv.SuperDB(t, name), fmt.Sprintf("postgres://%s:app-password@127.0.0.1:%d/%s?sslmode=disable", name, srv.Port, name)
	}
	run := func(t *testing.T, dir, url string, env ...string) (string, error) {
		cmd := exec.Command("sh", "-c", string(script), "migrate-job", "IHPSchema.sql", "Application/Schema.sql",
			"--", "sh", "-c", `echo "migration command ran with $1"`, "migrate", "its-argument")
		cmd.Dir = dir
		// The image's environment: PATH with psql, no PGPASSWORD or service files of the host's.
		cmd.Env = append([]string{"PATH=" + filepath.Dir(psql) + ":/usr/bin:/bin", "DATABASE_URL=" + url, "HOME=" + dir}, env...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	tables := func(t *testing.T, db *sql.DB) []string {
		rows, err := db.Query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var s string
			_ = rows.Scan(&s)
			out = append(out, s)
		}
		return out
	}
	revisions := func(t *testing.T, db *sql.DB) string {
		var s string
		if err := db.QueryRow(`SELECT string_agg(revision::text, ' ' ORDER BY revision) FROM schema_migrations`).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}

	t.Run("fresh database, then again", func(t *testing.T) {
		db, url := database(t)
		dir := image(t, nil)
		out, err := run(t, dir, url)
		if err != nil {
			t.Fatalf("first run: %v\n%s", err, out)
		}
		t.Logf("first run:\n%s", out)
		for _, want := range []string{"the database has no tables: loading the schema once", "loading IHPSchema.sql",
			"loading Application/Schema.sql", "schema: loaded; 3 migration(s) recorded as applied", "migration command ran with its-argument"} {
			if !strings.Contains(out, want) {
				t.Errorf("first run does not say %q", want)
			}
		}
		if got := tables(t, db); !slices.Equal(got, []string{"admins", "hubs", "schema_migrations"}) {
			t.Errorf("tables after the first run: %v", got)
		}
		if got := revisions(t, db); got != "1767225600 1767225660 1767312000" {
			t.Errorf("schema_migrations after the first run: %s", got)
		}
		var fn string
		if err := db.QueryRow(`SELECT 'ihp_user_id'::regproc::text`).Scan(&fn); err != nil {
			t.Errorf("IHPSchema.sql's function is missing: %v", err)
		}
		if _, err := db.Exec(`INSERT INTO hubs (name, region) VALUES ('Kept Hub', 'Europe')`); err != nil {
			t.Fatal(err)
		}

		out, err = run(t, dir, url)
		if err != nil {
			t.Fatalf("second run: %v\n%s", err, out)
		}
		if !strings.Contains(out, "the database has 3 table(s): the schema is not loaded again") ||
			!strings.Contains(out, "migration command ran") || strings.Contains(out, "loading") {
			t.Errorf("second run:\n%s", out)
		}
		var kept int
		if err := db.QueryRow(`SELECT count(*) FROM hubs WHERE name = 'Kept Hub'`).Scan(&kept); err != nil || kept != 1 {
			t.Errorf("the row written between the runs: %d, %v", kept, err)
		}
	})

	t.Run("a schema that fails to load leaves nothing and runs no migration", func(t *testing.T) {
		db, url := database(t)
		dir := image(t, map[string]string{"Application/Schema.sql": "CREATE TABLE hubs (id BIGSERIAL PRIMARY KEY);\nCREATE TABLE broken (id NOTATYPE);\n"})
		out, err := run(t, dir, url)
		if err == nil {
			t.Fatalf("a schema with an error loaded:\n%s", out)
		}
		if !strings.Contains(out, `type "notatype" does not exist`) || strings.Contains(out, "migration command ran") {
			t.Errorf("output:\n%s", out)
		}
		if got := tables(t, db); len(got) != 0 {
			t.Errorf("a failed load left tables: %v", got)
		}
	})

	// A login refused at first (a pgpool restarted to learn the role) is tried again within
	// MIGRATE_WAIT_SECONDS; the role here may not log in until a moment after the Job started.
	t.Run("a refused first login is tried again", func(t *testing.T) {
		db, url := database(t)
		role := fmt.Sprintf("app%d", n)
		srv.Exec(t, fmt.Sprintf(`ALTER ROLE %s NOLOGIN`, role))
		allowed := make(chan struct{})
		go func() {
			defer close(allowed)
			time.Sleep(3 * time.Second)
			if _, err := db.Exec(fmt.Sprintf(`ALTER ROLE %s LOGIN`, role)); err != nil {
				t.Error(err)
			}
		}()
		out, err := run(t, image(t, nil), url, "MIGRATE_WAIT_SECONDS=30")
		<-allowed
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		for _, want := range []string{"the database refuses the login, trying again in 2 s", "is not permitted to log in",
			"schema: loaded; 3 migration(s) recorded as applied", "migration command ran"} {
			if !strings.Contains(out, want) {
				t.Errorf("output does not say %q:\n%s", want, out)
			}
		}
	})

	t.Run("no login within the wait is named, and nothing runs", func(t *testing.T) {
		db, url := database(t)
		srv.Exec(t, fmt.Sprintf(`ALTER ROLE app%d NOLOGIN`, n))
		start := time.Now()
		out, err := run(t, image(t, nil), url, "MIGRATE_WAIT_SECONDS=4")
		if err == nil || !strings.Contains(out, "no login to the database within 4 s (migrate.waitForDatabaseSeconds)") ||
			!strings.Contains(out, "is not permitted to log in") || strings.Contains(out, "migration command ran") {
			t.Errorf("err %v, output:\n%s", err, out)
		}
		if took := time.Since(start); took < 4*time.Second {
			t.Errorf("gave up after %s, before the 4 s wait", took)
		}
		if got := tables(t, db); len(got) != 0 {
			t.Errorf("tables: %v", got)
		}
	})

	t.Run("a missing schema file is named and nothing changes", func(t *testing.T) {
		db, url := database(t)
		dir := image(t, nil)
		if err := os.Remove(filepath.Join(dir, "IHPSchema.sql")); err != nil {
			t.Fatal(err)
		}
		out, err := run(t, dir, url)
		if err == nil || !strings.Contains(out, "IHPSchema.sql (the chart's migrate.schema.files) is not a readable file") ||
			strings.Contains(out, "migration command ran") {
			t.Errorf("err %v, output:\n%s", err, out)
		}
		if got := tables(t, db); len(got) != 0 {
			t.Errorf("tables: %v", got)
		}
	})
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
