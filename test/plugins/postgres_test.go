package plugins_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	_ "github.com/lib/pq"
)

const pgBin = "/usr/lib/postgresql/15/bin"

// pgServer is a real PostgreSQL 15 in a temporary directory, listening on
// 127.0.0.1 with SCRAM passwords, plus a non-superuser admin role with
// CREATEROLE and CREATEDB, as the production server has.
type pgServer struct {
	port          int
	socketDir     string
	admin         string
	adminPassword string
	super         *sql.DB // the bootstrap superuser, over the socket
}

func startPostgres(t *testing.T) *pgServer {
	t.Helper()
	if os.Geteuid() != 0 {
		if os.Getenv("INTERHUB_REQUIRE_TOOLS") != "" {
			t.Fatal("the PostgreSQL fixture needs root (to run the server as user postgres)")
		}
		t.Skip("the PostgreSQL fixture needs root")
	}
	if _, err := os.Stat(filepath.Join(pgBin, "initdb")); err != nil {
		t.Fatalf("PostgreSQL 15 is not installed (apt-get install postgresql-15): %v", err)
	}
	dir, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := exec.Command("chown", "postgres:postgres", dir).Run(); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	asPostgres := func(args ...string) {
		t.Helper()
		out, err := exec.Command("runuser", append([]string{"-u", "postgres", "--"}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
	}
	data := filepath.Join(dir, "data")
	port := freePort(t)
	asPostgres(filepath.Join(pgBin, "initdb"), "-D", data, "-U", "postgres", "--auth-local=trust",
		"--auth-host=scram-sha-256", "--encoding=UTF8", "--locale=C.UTF-8")
	asPostgres(filepath.Join(pgBin, "pg_ctl"), "-D", data, "-l", filepath.Join(dir, "server.log"), "-w", "-o",
		fmt.Sprintf("-p %d -c listen_addresses=127.0.0.1 -c unix_socket_directories=%s -c fsync=off", port, dir), "start")
	t.Cleanup(func() {
		if t.Failed() {
			log, _ := os.ReadFile(filepath.Join(dir, "server.log"))
			t.Logf("PostgreSQL log:\n%s", log)
		}
		out, err := exec.Command("runuser", "-u", "postgres", "--", filepath.Join(pgBin, "pg_ctl"), "-D", data,
			"-m", "fast", "-w", "stop").CombinedOutput()
		if err != nil {
			t.Logf("stopping PostgreSQL: %v\n%s", err, out)
		}
	})
	super, err := sql.Open("postgres", fmt.Sprintf("host=%s port=%d user=postgres dbname=postgres sslmode=disable", dir, port))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { super.Close() })
	pg := &pgServer{port: port, socketDir: dir, admin: "railiance_admin", adminPassword: "admin-Passw0rd", super: super}
	pg.exec(t, fmt.Sprintf("CREATE ROLE %s LOGIN CREATEROLE CREATEDB PASSWORD '%s'", pg.admin, pg.adminPassword))
	return pg
}

// exec runs SQL as the bootstrap superuser: changes made behind Pulumi's back.
func (pg *pgServer) exec(t *testing.T, query string, args ...any) {
	t.Helper()
	if _, err := pg.super.Exec(query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// scalar returns one value as text.
func (pg *pgServer) scalar(t *testing.T, query string, args ...any) string {
	t.Helper()
	var v sql.NullString
	if err := pg.super.QueryRow(query, args...).Scan(&v); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return v.String
}

// login opens a session over TCP as role with password on database.
func (pg *pgServer) login(role, password, database string) (*sql.DB, error) {
	db, err := sql.Open("postgres", fmt.Sprintf("host=127.0.0.1 port=%d user=%s password='%s' dbname=%s sslmode=disable connect_timeout=5",
		pg.port, role, password, database))
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var who string
	if err := db.QueryRowContext(ctx, "SELECT current_user").Scan(&who); err != nil {
		db.Close()
		return nil, err
	}
	if who != role {
		db.Close()
		return nil, fmt.Errorf("logged in as %s, not %s", who, role)
	}
	return db, nil
}

func (pg *pgServer) canLogin(t *testing.T, role, password, database string) {
	t.Helper()
	db, err := pg.login(role, password, database)
	if err != nil {
		t.Fatalf("%s cannot log in to %s: %v", role, database, err)
	}
	db.Close()
}

func (pg *pgServer) cannotLogin(t *testing.T, role, password, database string) {
	t.Helper()
	if db, err := pg.login(role, password, database); err == nil {
		db.Close()
		t.Fatalf("%s can still log in to %s with that password", role, database)
	}
}

func (pg *pgServer) portString() string { return strconv.Itoa(pg.port) }
