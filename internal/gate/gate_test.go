package gate

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/coulomb-social/inter-hub-deploy/components"
	"github.com/coulomb-social/inter-hub-deploy/internal/kubeconfig"
	"github.com/coulomb-social/inter-hub-deploy/test/support/fixture"
	"github.com/coulomb-social/inter-hub-deploy/test/support/pgserver"
)

func TestRunReportsEveryFailureAndSkipsDisabledChecks(t *testing.T) {
	ran := map[string]bool{}
	probe := func(name string, err error) func(context.Context) (string, error) {
		return func(context.Context) (string, error) { ran[name] = true; return "ok", err }
	}
	rs := Run(context.Background(), time.Second,
		Check{Name: "a", Enabled: true, Probe: probe("a", errors.New("first broken"))},
		Check{Name: "b", Enabled: false, Probe: probe("b", nil)},
		Check{Name: "c", Enabled: true, Probe: probe("c", nil)},
		Check{Name: "d", Enabled: true, Probe: probe("d", errors.New("second broken"))},
	)
	if ran["b"] {
		t.Error("a disabled check ran")
	}
	want := "readiness gate failed, nothing was changed:\n  gate check a failed: first broken\n  gate check d failed: second broken"
	if err := rs.Err(); err == nil || err.Error() != want {
		t.Errorf("Err() = %v, want %q", err, want)
	}
	got := rs.Statuses()
	if got["a"] != "failed" || got["b"] != "disabled" || got["c"] != "passed" {
		t.Errorf("Statuses() = %v", got)
	}
}

// A failed check says which assumption stays unverified, under its own line.
func TestErrNamesTheUnverifiedAssumptions(t *testing.T) {
	fail := func(context.Context) (string, error) { return "", errors.New("cluster unreachable") }
	rs := Run(context.Background(), time.Second,
		Check{Name: "pgpool", Enabled: true, Probe: fail, Assumes: "pgpool's Service x/y (inter-hub:pgpool.service) exists"},
		Check{Name: "nodes", Enabled: true, Probe: func(context.Context) (string, error) { return "ok", nil }, Assumes: "a Ready node"},
		Check{Name: "off", Enabled: false, Probe: fail, Assumes: "never checked"},
	)
	want := "readiness gate failed, nothing was changed:\n  gate check pgpool failed: cluster unreachable\n" +
		"    unverified: pgpool's Service x/y (inter-hub:pgpool.service) exists"
	if err := rs.Err(); err == nil || err.Error() != want {
		t.Errorf("Err() = %v, want %q", err, want)
	}
}

func TestRunBoundsEachCheck(t *testing.T) {
	rs := Run(context.Background(), 50*time.Millisecond, Check{Name: "slow", Enabled: true,
		Probe: func(ctx context.Context) (string, error) { <-ctx.Done(); return "", ctx.Err() }})
	if err := rs.Err(); err == nil || !strings.Contains(err.Error(), "no answer within 50ms") {
		t.Errorf("Err() = %v", err)
	}
}

// apiserver serves JSON answers on TLS with client certificates required, like kube-apiserver.
func apiserver(t *testing.T, f *fixture.Fixture, routes map[string]any) *kubeconfig.Target {
	t.Helper()
	pair, err := tls.X509KeyPair(f.CertPEM, f.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(f.CertPEM)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := routes[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if code, isCode := body.(int); isCode {
			w.WriteHeader(code)
			return
		}
		_ = json.NewEncoder(w).Encode(body)
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{pair}, ClientCAs: pool, ClientAuth: tls.RequireAndVerifyClientCert}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return &kubeconfig.Target{Context: "fixture", Server: srv.URL,
		TLS: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{pair}}}
}

func target(t *testing.T, server string) *kubeconfig.Target {
	t.Helper()
	f := fixture.New(t, server)
	raw, err := os.ReadFile(f.Config["inter-hub:kubernetes.kubeconfig"])
	if err != nil {
		t.Fatal(err)
	}
	tg, err := kubeconfig.Parse(raw, f.Dir, "")
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

func node(name, ready string) map[string]any {
	return map[string]any{"metadata": map[string]any{"name": name},
		"status": map[string]any{"conditions": []any{map[string]any{"type": "Ready", "status": ready}}}}
}

func probe(t *testing.T, c Check) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return c.Probe(ctx)
}

func TestNodes(t *testing.T) {
	f := fixture.New(t, "")
	serve := func(routes map[string]any) *kubeconfig.Target { return apiserver(t, f, routes) }

	tg := serve(map[string]any{"/api/v1/nodes": map[string]any{"items": []any{node("a", "False"), node("b", "True")}}})
	if d, err := probe(t, Nodes(true, tg)); err != nil || d != "1 Ready node(s)" {
		t.Errorf("one ready node: %q, %v", d, err)
	}
	tg = serve(map[string]any{"/api/v1/nodes": map[string]any{"items": []any{node("a", "False"), node("b", "Unknown")}}})
	if _, err := probe(t, Nodes(true, tg)); err == nil || err.Error() != "no node is Ready (not ready: a, b)" {
		t.Errorf("no ready node: %v", err)
	}
	tg = serve(map[string]any{"/api/v1/nodes": http.StatusForbidden})
	if _, err := probe(t, Nodes(true, tg)); err == nil || !strings.Contains(err.Error(), "refused the credentials of context fixture") {
		t.Errorf("forbidden: %v", err)
	}

	// Traefik: class, deployment, and the Middleware CRD when asked.
	routes := map[string]any{
		"/apis/networking.k8s.io/v1/ingressclasses/traefik":        map[string]any{"spec": map[string]any{"controller": "traefik.io/ingress-controller"}},
		"/apis/apps/v1/namespaces/kube-system/deployments/traefik": map[string]any{"status": map[string]any{"availableReplicas": 1}},
	}
	tg = serve(routes)
	want := TraefikTarget{IngressClass: "traefik", DeploymentNamespace: "kube-system", DeploymentName: "traefik"}
	if _, err := probe(t, Traefik(true, tg, want)); err != nil {
		t.Errorf("traefik present: %v", err)
	}
	want.MiddlewareCRD = true
	if _, err := probe(t, Traefik(true, tg, want)); err == nil || !strings.Contains(err.Error(), "Middleware CRD (middlewares.traefik.io) is not installed") {
		t.Errorf("no CRD: %v", err)
	}
	tg = serve(map[string]any{"/apis/apps/v1/namespaces/kube-system/deployments/traefik": map[string]any{"status": map[string]any{}}})
	want.MiddlewareCRD = false
	_, err := probe(t, Traefik(true, tg, want))
	if err == nil || err.Error() != `IngressClass "traefik" not found; Deployment kube-system/traefik has no available replica` {
		t.Errorf("traefik missing: %v", err)
	}
}

func TestClusterUnreachable(t *testing.T) {
	addr := "127.0.0.1:" + strconv.Itoa(pgserver.FreePort(t))
	tg := target(t, "https://"+addr)
	_, err := probe(t, Nodes(true, tg))
	if err == nil || !strings.HasPrefix(err.Error(), "cluster unreachable at https://"+addr+" (context fixture):") {
		t.Errorf("error = %v", err)
	}
}

func TestRegistry(t *testing.T) {
	f := fixture.New(t, "")
	pair, _ := tls.X509KeyPair(f.CertPEM, f.KeyPEM)
	var bearer bool
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, ok := r.BasicAuth()
		good := ok && pass == "right" && (user == "push" || user == "pull")
		switch {
		case r.URL.Path == "/v2/" && !bearer && good:
			w.WriteHeader(http.StatusOK)
		case r.URL.Path == "/v2/" && !bearer:
			w.Header().Set("WWW-Authenticate", `Basic realm="registry"`)
			w.WriteHeader(http.StatusUnauthorized)
		case r.URL.Path == "/v2/":
			w.Header().Set("WWW-Authenticate", `Bearer realm="https://`+r.Host+`/token",service="reg"`)
			w.WriteHeader(http.StatusUnauthorized)
		case r.URL.Path == "/token" && good && r.URL.Query().Get("service") == "reg":
			// A scoped token for the manifest lookup, a plain one for the login.
			if r.URL.Query().Get("scope") == "repository:coulomb/inter-hub:pull" {
				_, _ = w.Write([]byte(`{"access_token":"scoped"}`))
			} else {
				_, _ = w.Write([]byte(`{"token":"t"}`))
			}
		case r.Method == http.MethodHead && r.URL.Path == "/v2/coulomb/inter-hub/manifests/git-built" &&
			(r.Header.Get("Authorization") == "Bearer scoped" || (!bearer && good)):
			w.Header().Set("Docker-Content-Digest", "sha256:"+strings.Repeat("d", 64))
		case r.Method == http.MethodHead && strings.HasPrefix(r.URL.Path, "/v2/coulomb/inter-hub/manifests/") &&
			(r.Header.Get("Authorization") == "Bearer scoped" || (!bearer && good)):
			w.WriteHeader(http.StatusNotFound)
		default:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`))
		}
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{pair}}
	srv.StartTLS()
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "https://")

	reg := RegistryTarget{Host: host, CA: f.CertPEM, Username: "push", Password: "right"}
	if _, err := probe(t, Registry(true, reg)); err != nil {
		t.Errorf("basic, right password: %v", err)
	}
	reg.Password = "wrong"
	if _, err := probe(t, Registry(true, reg)); err == nil || err.Error() != "the registry at "+host+" refused the push account push (HTTP 401)" {
		t.Errorf("basic, wrong password: %v", err)
	}
	reg.Password, reg.PullUsername, reg.PullPassword = "right", "pull", "right"
	if d, err := probe(t, Registry(true, reg)); err != nil || d != "registry accepts users push (push) and pull (pull)" {
		t.Errorf("basic, both accounts: %q, %v", d, err)
	}
	reg.PullPassword = "wrong"
	if _, err := probe(t, Registry(true, reg)); err == nil || err.Error() != "the registry at "+host+" refused the pull account pull (HTTP 401)" {
		t.Errorf("basic, wrong pull password: %v", err)
	}
	reg.PullPassword = "right"
	bearer = true
	if _, err := probe(t, Registry(true, reg)); err != nil {
		t.Errorf("bearer, right passwords: %v", err)
	}
	reg.PullPassword = "wrong"
	if _, err := probe(t, Registry(true, reg)); err == nil || err.Error() != "the registry at "+host+` refused the pull account pull (HTTP 401: UNAUTHORIZED authentication required)` {
		t.Errorf("bearer, wrong pull password: %v", err)
	}
	reg.PullPassword = "right"
	for _, mode := range []bool{false, true} {
		bearer = mode
		built, missing := reg, reg
		built.Lookup = &ImageLookup{Repository: "coulomb/inter-hub", Tag: "git-built"}
		missing.Lookup = &ImageLookup{Repository: "coulomb/inter-hub", Tag: "git-other"}
		if _, err := probe(t, Registry(true, built)); err != nil || built.Lookup.Digest != "sha256:"+strings.Repeat("d", 64) {
			t.Errorf("bearer %v, lookup of a pushed tag: digest %q, %v", mode, built.Lookup.Digest, err)
		}
		if _, err := probe(t, Registry(true, missing)); err != nil || missing.Lookup.Digest != "" {
			t.Errorf("bearer %v, lookup of a missing tag: digest %q, %v", mode, missing.Lookup.Digest, err)
		}
	}
	reg.CA = nil // the system roots do not trust the test CA
	if _, err := probe(t, Registry(true, reg)); err == nil || !strings.Contains(err.Error(), "registry unreachable") {
		t.Errorf("untrusted certificate: %v", err)
	}
}

// sshServer is an in-process SSH server that runs exec requests with the local shell (with the
// given PATH), so the check's tool probe runs for real.
func sshServer(t *testing.T, hostKey ssh.Signer, client ssh.PublicKey, path string) (string, int) {
	t.Helper()
	conf := &ssh.ServerConfig{PublicKeyCallback: func(_ ssh.ConnMetadata, k ssh.PublicKey) (*ssh.Permissions, error) {
		if string(k.Marshal()) == string(client.Marshal()) {
			return nil, nil
		}
		return nil, errors.New("unknown key")
	}}
	conf.AddHostKey(hostKey)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go serveSSH(c, conf, path)
		}
	}()
	a := l.Addr().(*net.TCPAddr)
	return a.IP.String(), a.Port
}

func serveSSH(c net.Conn, conf *ssh.ServerConfig, path string) {
	_, chans, reqs, err := ssh.NewServerConn(c, conf)
	if err != nil {
		return
	}
	go ssh.DiscardRequests(reqs)
	for nc := range chans {
		ch, creqs, err := nc.Accept()
		if err != nil {
			continue
		}
		go func() {
			defer ch.Close()
			for r := range creqs {
				if r.Type != "exec" {
					_ = r.Reply(false, nil)
					continue
				}
				var p struct{ Cmd string }
				_ = ssh.Unmarshal(r.Payload, &p)
				_ = r.Reply(true, nil)
				cmd := exec.Command("/bin/sh", "-c", p.Cmd)
				cmd.Env = []string{"PATH=" + path}
				cmd.Stdout, cmd.Stderr = ch, ch.Stderr()
				code := 0
				if err := cmd.Run(); err != nil {
					code = 1
				}
				_, _ = ch.SendRequest("exit-status", false, ssh.Marshal(struct{ C uint32 }{uint32(code)}))
				return
			}
		}()
	}
}

func TestBuildHost(t *testing.T) {
	f := fixture.New(t, "")
	bin := t.TempDir()
	for _, tool := range []string{"git", "nix"} {
		if err := os.WriteFile(filepath.Join(bin, tool), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	host, port := sshServer(t, f.HostKey, f.ClientKey.PublicKey(), bin)
	b := BuildHostTarget{Host: host, Port: port, User: "root", HostKey: f.HostKey.PublicKey(), Signer: f.ClientKey,
		Tools: []string{"git", "nix"}}
	if d, err := probe(t, BuildHost(true, b)); err != nil || d != "host key verified, build tools present" {
		t.Errorf("good host: %q, %v", d, err)
	}

	b.Tools = []string{"git", "nix", "skopeo"}
	if _, err := probe(t, BuildHost(true, b)); err == nil || !strings.HasSuffix(err.Error(), "not on the PATH of root: skopeo") {
		t.Errorf("missing tool: %v", err)
	}

	other := fixture.New(t, "")
	b.HostKey = other.HostKey.PublicKey()
	if _, err := probe(t, BuildHost(true, b)); err == nil || !strings.Contains(err.Error(), "presented a host key other than the pinned one") {
		t.Errorf("wrong host key: %v", err)
	}

	b.HostKey = f.HostKey.PublicKey()
	b.Signer = other.ClientKey
	if _, err := probe(t, BuildHost(true, b)); err == nil || !strings.Contains(err.Error(), "refused the client key for user root") {
		t.Errorf("wrong client key: %v", err)
	}
}

func TestPostgresDSNQuotes(t *testing.T) {
	p := PostgresTarget{Endpoint: components.Endpoint{Host: "db", Port: 5432, SSLMode: "disable"}, User: "a'b", Password: `p\w'd x`}
	want := `host='db' port=5432 user='a\'b' password='p\\w\'d x' dbname='postgres' sslmode='disable'`
	if got := p.DSN(); got != want {
		t.Errorf("DSN() = %s, want %s", got, want)
	}
}
