//go:build integration

package hardening_test

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coulomb-social/inter-hub-deploy/test/support/standin"
)

// startDaemon starts cmd in a process group of its own, waits until it listens on port, and
// stops the group with stop (then SIGKILL after 10 s) when the test ends.
func startDaemon(t *testing.T, cmd *exec.Cmd, stop syscall.Signal, port int) {
	t.Helper()
	name := filepath.Base(cmd.Path)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, stop)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", itoa(port)))
		if err == nil {
			c.Close()
			return
		}
		select {
		case <-done:
			t.Fatalf("%s exited: %s", name, strings.TrimSpace(log.String()))
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not listen on %d: %s", name, port, log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// pgpoolWithoutBackend runs a second pgpool with the sandbox's configuration, users and key,
// whose only PostgreSQL backend is a port nothing listens on, as when the database behind
// a healthy pgpool is down. It returns pgpool's port.
func pgpoolWithoutBackend(t *testing.T, s *standin.Stack) int {
	t.Helper()
	pg := s.Env.Postgres
	dir := t.TempDir()
	run := filepath.Join(dir, "run")
	if err := os.Mkdir(run, 0o755); err != nil {
		t.Fatal(err)
	}
	src := filepath.Dir(pg.PgpoolConf)
	for _, f := range []string{"pool_passwd", "pool_hba.conf", "pcp.conf", filepath.Base(pg.PgpoolKey)} {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	conf, err := os.ReadFile(pg.PgpoolConf)
	if err != nil {
		t.Fatal(err)
	}
	// The dead backend's port lies below the range the kernel hands to listeners on port 0: the
	// CLI and its plugins start gRPC servers there during the run, and one that lands on the
	// backend port answers pgpool ("backend authentication failed", seen once in CI).
	ports := closedPorts(t, 2)
	port := ports[0]
	for key, value := range map[string]string{
		"port":                    itoa(port),
		"pcp_port":                itoa(ports[1]),
		"backend_port0":           itoa(closedLowPort(t)),
		"unix_socket_directories": "'" + run + "'",
		"pcp_socket_dir":          "'" + run + "'",
		"pid_file_name":           "'" + filepath.Join(run, "pgpool.pid") + "'",
		"logdir":                  "'" + run + "'",
	} {
		line := regexp.MustCompile(`(?m)^` + key + ` = .*$`)
		if !line.Match(conf) {
			t.Fatalf("%s sets no %s", pg.PgpoolConf, key)
		}
		conf = line.ReplaceAll(conf, []byte(key+" = "+value))
	}
	cfg := filepath.Join(dir, "pgpool.conf")
	if err := os.WriteFile(cfg, conf, 0o600); err != nil {
		t.Fatal(err)
	}
	startDaemon(t, exec.Command("pgpool", "-n", "-D", "-f", cfg, "-F", filepath.Join(dir, "pcp.conf"),
		"-a", filepath.Join(dir, "pool_hba.conf"), "-k", filepath.Join(dir, filepath.Base(pg.PgpoolKey))),
		syscall.SIGINT, port)
	return port
}
