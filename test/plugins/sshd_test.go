//go:build integration

package plugins_test

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coulomb-social/inter-hub-deploy/test/support/fixture"
	"github.com/coulomb-social/inter-hub-deploy/test/support/pgserver"
)

// sshd is a real OpenSSH server on 127.0.0.1 with its own host key and one
// authorized client key, all generated for the test.
type sshd struct {
	port      int
	hostKey   string // public, authorized_keys format
	clientKey string // private, OpenSSH PEM
	user      string
	dir       string
}

func startSSHD(t *testing.T) *sshd {
	t.Helper()
	if os.Geteuid() != 0 {
		if os.Getenv("INTERHUB_REQUIRE_TOOLS") != "" {
			t.Fatal("the sshd fixture needs root (sshd drops privileges per session)")
		}
		t.Skip("the sshd fixture needs root")
	}
	sshdBin, err := exec.LookPath("sshd")
	if err != nil {
		sshdBin = "/usr/sbin/sshd"
	}
	dir := t.TempDir()
	hostPriv, hostPub := fixture.KeyPair(t)
	clientPriv, clientPub := fixture.KeyPair(t)
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	hostKeyFile := write("ssh_host_ed25519_key", hostPriv)
	authorized := write("authorized_keys", clientPub)
	port := pgserver.FreePort(t)
	config := write("sshd_config", strings.Join([]string{
		"Port " + strconv.Itoa(port),
		"ListenAddress 127.0.0.1",
		"HostKey " + hostKeyFile,
		"AuthorizedKeysFile " + authorized,
		"PidFile " + filepath.Join(dir, "sshd.pid"),
		"PubkeyAuthentication yes",
		"PasswordAuthentication no",
		"KbdInteractiveAuthentication no",
		"UsePAM no",
		// The files live in a test directory, not in a home with sshd's modes.
		"StrictModes no",
		"PermitRootLogin prohibit-password",
		"AcceptEnv TESTVAR SECRETVAR PULUMI_COMMAND_STDOUT PULUMI_COMMAND_STDERR",
		"AllowTcpForwarding yes",
		"LogLevel VERBOSE",
	}, "\n"))
	// sshd needs its privilege separation directory.
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		t.Fatal(err)
	}
	logFile, err := os.Create(filepath.Join(dir, "sshd.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(sshdBin, "-D", "-e", "-f", config)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting sshd: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		logFile.Close()
		if t.Failed() {
			log, _ := os.ReadFile(logFile.Name())
			t.Logf("sshd log:\n%s", log)
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(logFile.Name())
			t.Fatalf("sshd did not listen on %d: %v\n%s", port, err, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
	user := os.Getenv("USER")
	if user == "" {
		user = "root"
	}
	return &sshd{port: port, hostKey: hostPub, clientKey: clientPriv, user: user, dir: dir}
}
