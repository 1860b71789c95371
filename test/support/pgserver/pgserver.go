// Package pgserver starts a throwaway PostgreSQL 15 (Debian's binaries, run as user postgres) in
// a temporary directory for integration tests: TCP on 127.0.0.1 with SCRAM passwords, and the
// bootstrap superuser over the socket for the test's own setup and inspection.
package pgserver

import (
	"database/sql"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	_ "github.com/lib/pq" // the driver the tests' sql.Open("postgres", ...) calls use
)

// Bin is where Debian installs PostgreSQL 15's server programs.
const Bin = "/usr/lib/postgresql/15/bin"

// requireEnv, when set, turns a skip for a missing prerequisite into a failure (as in CI).
const requireEnv = "INTERHUB_REQUIRE_TOOLS"

// Server is a running throwaway PostgreSQL; it is stopped and removed when the test ends.
type Server struct {
	Port      int
	SocketDir string
	Super     *sql.DB // the bootstrap superuser "postgres", over the socket
}

// Start initialises and starts a server; prefix names its temporary directory.
func Start(t testing.TB, prefix string) *Server {
	t.Helper()
	if os.Geteuid() != 0 {
		if os.Getenv(requireEnv) != "" {
			t.Fatal("the PostgreSQL fixture needs root (to run the server as user postgres)")
		}
		t.Skip("the PostgreSQL fixture needs root")
	}
	if _, err := os.Stat(filepath.Join(Bin, "initdb")); err != nil {
		t.Fatalf("PostgreSQL 15 is not installed (apt-get install postgresql-15): %v", err)
	}
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if out, err := exec.Command("chown", "postgres:postgres", dir).CombinedOutput(); err != nil {
		t.Fatalf("chown: %v\n%s", err, out)
	}
	// Other users (the sandbox's pgpool, the plugins) reach the socket directory too.
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
	port := FreePort(t)
	asPostgres(filepath.Join(Bin, "initdb"), "-D", data, "-U", "postgres", "--auth-local=trust",
		"--auth-host=scram-sha-256", "--encoding=UTF8", "--locale=C.UTF-8")
	asPostgres(filepath.Join(Bin, "pg_ctl"), "-D", data, "-l", filepath.Join(dir, "server.log"), "-w", "-o",
		fmt.Sprintf("-p %d -c listen_addresses=127.0.0.1 -c unix_socket_directories=%s -c fsync=off", port, dir), "start")
	t.Cleanup(func() {
		if t.Failed() {
			log, _ := os.ReadFile(filepath.Join(dir, "server.log"))
			t.Logf("PostgreSQL log:\n%s", log)
		}
		out, err := exec.Command("runuser", "-u", "postgres", "--", filepath.Join(Bin, "pg_ctl"), "-D", data,
			"-m", "fast", "-w", "stop").CombinedOutput()
		if err != nil {
			t.Logf("stopping PostgreSQL: %v\n%s", err, out)
		}
	})
	s := &Server{Port: port, SocketDir: dir}
	s.Super = s.SuperDB(t, "postgres")
	return s
}

// SuperDB connects to database as the bootstrap superuser over the socket.
func (s *Server) SuperDB(t testing.TB, database string) *sql.DB {
	t.Helper()
	db, err := sql.Open("postgres", fmt.Sprintf("host=%s port=%d user=postgres dbname=%s sslmode=disable", s.SocketDir, s.Port, database))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Exec runs statements as the bootstrap superuser, failing the test on the first error.
func (s *Server) Exec(t testing.TB, queries ...string) {
	t.Helper()
	for _, q := range queries {
		if _, err := s.Super.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
