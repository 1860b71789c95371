package ops_test

import (
	"database/sql"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	_ "github.com/lib/pq"

	"github.com/coulomb-social/inter-hub-deploy/internal/pulumitest"
)

const pgBin = "/usr/lib/postgresql/15/bin"

// statePostgres is a throwaway PostgreSQL 15 in a temporary directory, with a database and a
// non-superuser owner for Pulumi's state, as the team's state database would be.
type statePostgres struct {
	port  int
	super *sql.DB // bootstrap superuser over the socket
	url   string  // postgres:// URL of the state database for `pulumi login`
}

func startStatePostgres(t *testing.T) *statePostgres {
	t.Helper()
	if os.Geteuid() != 0 {
		if os.Getenv(pulumitest.RequireEnv) == "1" {
			t.Fatal("the PostgreSQL fixture needs root (to run the server as user postgres)")
		}
		t.Skip("the PostgreSQL fixture needs root")
	}
	if _, err := os.Stat(filepath.Join(pgBin, "initdb")); err != nil {
		t.Fatalf("PostgreSQL 15 is not installed (apt-get install postgresql-15): %v", err)
	}
	dir, err := os.MkdirTemp("", "ops-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if out, err := exec.Command("chown", "postgres:postgres", dir).CombinedOutput(); err != nil {
		t.Fatalf("chown: %v\n%s", err, out)
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
	// The state user owns only its database; the password has characters that need URL escaping.
	const user, password = "pulumi_state", "st@te/pw:1"
	for _, q := range []string{
		fmt.Sprintf("CREATE ROLE %s LOGIN PASSWORD '%s'", user, password),
		fmt.Sprintf("CREATE DATABASE pulumi OWNER %s", user),
	} {
		if _, err := super.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	u := url.URL{Scheme: "postgres", User: url.UserPassword(user, password), Host: fmt.Sprintf("127.0.0.1:%d", port),
		Path: "/pulumi", RawQuery: "sslmode=disable"}
	return &statePostgres{port: port, super: super, url: u.String()}
}

// stateDB connects to the state database as the superuser, to look at Pulumi's table.
func (pg *statePostgres) stateDB(t *testing.T) *sql.DB {
	t.Helper()
	var socketDir string
	if err := pg.super.QueryRow("SHOW unix_socket_directories").Scan(&socketDir); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("postgres", fmt.Sprintf("host=%s port=%d user=postgres dbname=pulumi sslmode=disable", socketDir, pg.port))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
