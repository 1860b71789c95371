package sandboxenv

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lib/pq"
)

func sampleEnv(dir string) Env {
	return Env{
		StateDir: dir,
		Kubernetes: Kubernetes{
			Host: "127.0.0.1", Port: 16443, Kubeconfig: filepath.Join(dir, "kubeconfig"), Context: "sandbox",
			Gateway: "10.42.0.1",
		},
		Postgres: Postgres{
			PgpoolHost: "127.0.0.1", PgpoolPort: 15432, AdminUser: "railiance_admin",
			AdminPassword: "sandbox-admin-password", Database: "postgres", SSLMode: "disable",
		},
		BuildHost: BuildHost{
			Host: "127.0.0.1", Port: 2222, User: "root", HostKey: "h.pub", PrivateKey: "k",
		},
		Registry: Registry{Host: "127.0.0.1:5443", User: "u", Password: "p", CAFile: "ca.crt",
			PullUser: "pu", PullPassword: "pp"},
		Ingress: Ingress{URL: "https://inter-hub.localhost", ConnectTo: "127.0.0.1:8443", CAFile: "ca.crt"},
	}
}

func writeEnv(t *testing.T, dir string, v any) {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, FileName), data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestLoadHonoursDirEnv(t *testing.T) {
	dir := t.TempDir()
	writeEnv(t, dir, sampleEnv(dir))
	t.Setenv(DirEnv, dir)
	env, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if env.Kubernetes.Context != "sandbox" || env.Postgres.PgpoolPort != 15432 || env.Registry.Host != "127.0.0.1:5443" {
		t.Fatalf("unexpected env: %+v", env)
	}
}

func TestLoadNamesMissingKeys(t *testing.T) {
	dir := t.TempDir()
	e := sampleEnv(dir)
	e.Postgres.AdminPassword = ""
	e.BuildHost.Port = 0
	writeEnv(t, dir, e)
	_, err := LoadFile(filepath.Join(dir, FileName))
	if err == nil {
		t.Fatal("expected an error for missing keys")
	}
	for _, key := range []string{"postgres.adminPassword", "buildHost.port", filepath.Join(dir, FileName)} {
		if !strings.Contains(err.Error(), key) {
			t.Errorf("error %q does not name %s", err, key)
		}
	}
}

func TestLoadRejectsUnknownKeysAndMissingFile(t *testing.T) {
	dir := t.TempDir()
	_, err := LoadFile(filepath.Join(dir, FileName))
	if err == nil || !strings.Contains(err.Error(), "make sandbox-up") {
		t.Fatalf("missing file: got %v", err)
	}
	writeEnv(t, dir, map[string]any{"stateDir": dir, "kubernetz": map[string]any{}})
	_, err = LoadFile(filepath.Join(dir, FileName))
	if err == nil || !strings.Contains(err.Error(), "kubernetz") {
		t.Fatalf("unknown key: got %v", err)
	}
}

func TestRepoRootFindsThisRepository(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	root, err := RepoRoot(wd)
	if err != nil {
		t.Fatal(err)
	}
	if !isFile(filepath.Join(root, "sandbox", "sandbox.sh")) {
		t.Fatalf("root %s has no sandbox/sandbox.sh", root)
	}
	if _, err := RepoRoot(t.TempDir()); err == nil {
		t.Fatal("expected no repository root above a temp dir")
	}
}

func TestDSNQuotesValues(t *testing.T) {
	p := Postgres{PgpoolHost: "127.0.0.1", PgpoolPort: 15432}
	got := p.PgpoolDSN("app", `pa ss'w\rd`, "db")
	want := `host='127.0.0.1' port='15432' user='app' password='pa ss\'w\\rd' dbname='db' sslmode='disable' connect_timeout='5'`
	if got != want {
		t.Fatalf("dsn:\n got %s\nwant %s", got, want)
	}
	// lib/pq must parse it back to the same values.
	cfg, err := pq.NewConfig(got)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Password != `pa ss'w\rd` || cfg.User != "app" || cfg.Port != 15432 {
		t.Fatalf("lib/pq parsed %+v", cfg)
	}
}

func TestRemovePoolUserKeepsOthers(t *testing.T) {
	f := filepath.Join(t.TempDir(), "pool_passwd")
	if err := os.WriteFile(f, []byte("admin:AESx\napp:AESy\napp2:AESz\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := (Postgres{PoolPasswd: f}).RemovePoolUser("app"); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(f)
	if string(data) != "admin:AESx\napp2:AESz\n" {
		t.Fatalf("pool_passwd after remove: %q", data)
	}
}

func TestCheckPassesWhenListenersAnswer(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	port := l.Addr().(*net.TCPAddr).Port
	e := sampleEnv(t.TempDir())
	e.Kubernetes.Port, e.Postgres.PgpoolPort, e.BuildHost.Port = port, port, port
	e.Registry.Host = fmt.Sprintf("127.0.0.1:%d", port)
	e.Ingress.ConnectTo = e.Registry.Host
	if err := e.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// The sample app's revisions, under the keys sandbox.sh's write_env_json uses.
func TestBuildHostRevisionKeys(t *testing.T) {
	var b BuildHost
	js := `{"tags": ["v1", "v2"], "brokenTag": "broken-build", "crashTag": "crash-at-start", "badMigrationTag": "bad-migration"}`
	if err := json.Unmarshal([]byte(js), &b); err != nil {
		t.Fatal(err)
	}
	if strings.Join(b.Tags, " ") != "v1 v2" || b.BrokenTag != "broken-build" || b.CrashTag != "crash-at-start" || b.BadMigrationTag != "bad-migration" {
		t.Fatalf("decoded %+v", b)
	}
}
