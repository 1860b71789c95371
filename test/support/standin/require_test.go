package standin

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coulomb-social/inter-hub-deploy/sandbox/sandboxenv"
)

// fakeTB records Skipf and Fatalf instead of stopping the goroutine.
type fakeTB struct {
	testing.TB
	skipped, failed string
}

func (f *fakeTB) Helper()                        {}
func (f *fakeTB) Skipf(format string, a ...any)  { f.skipped = fmt.Sprintf(format, a...) }
func (f *fakeTB) Fatalf(format string, a ...any) { f.failed = fmt.Sprintf(format, a...) }

func TestRequireSkipsOrFails(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(sandboxenv.DirEnv, dir)

	t.Setenv(sandboxenv.RequireEnv, "")
	tb := &fakeTB{TB: t}
	if env := Require(tb); env != nil || tb.skipped == "" || tb.failed != "" {
		t.Fatalf("no env.json without %s: want a skip, got env=%v skip=%q fail=%q", sandboxenv.RequireEnv, env, tb.skipped, tb.failed)
	}

	t.Setenv(sandboxenv.RequireEnv, "1")
	tb = &fakeTB{TB: t}
	if env := Require(tb); env != nil || tb.failed == "" || tb.skipped != "" {
		t.Fatalf("no env.json with %s=1: want a failure, got skip=%q fail=%q", sandboxenv.RequireEnv, tb.skipped, tb.failed)
	}

	// An env.json whose listeners do not answer is not a usable sandbox either.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().(*net.TCPAddr).Port
	l.Close()
	e := sandboxenv.Env{
		StateDir:   dir,
		Kubernetes: sandboxenv.Kubernetes{Host: "127.0.0.1", Port: closed, Kubeconfig: filepath.Join(dir, "kubeconfig"), Context: "sandbox", Gateway: "10.42.0.1"},
		Postgres: sandboxenv.Postgres{PgpoolHost: "127.0.0.1", PgpoolPort: closed, AdminUser: "railiance_admin",
			AdminPassword: "sandbox-admin-password", Database: "postgres", SSLMode: "disable"},
		BuildHost: sandboxenv.BuildHost{Host: "127.0.0.1", Port: closed, User: "root", HostKey: "h.pub", PrivateKey: "k"},
		Registry: sandboxenv.Registry{Host: fmt.Sprintf("127.0.0.1:%d", closed), User: "u", Password: "p", CAFile: "ca.crt",
			PullUser: "pu", PullPassword: "pp"},
		Ingress: sandboxenv.Ingress{URL: "https://inter-hub.localhost", ConnectTo: "127.0.0.1:8443", CAFile: "ca.crt"},
	}
	data, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, sandboxenv.FileName), data, 0o600); err != nil {
		t.Fatal(err)
	}
	tb = &fakeTB{TB: t}
	if env := Require(tb); env != nil || !strings.Contains(tb.failed, "not answering") {
		t.Fatalf("dead listeners: want a failure naming them, got %q", tb.failed)
	}
}
