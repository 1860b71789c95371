// Package sandboxenv describes the local stand-in environment that `sandbox/sandbox.sh up` starts,
// as written to its env.json, and gives tests small helpers to reach each part of it.
package sandboxenv

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

const (
	// DirEnv overrides the state directory (default: <repo>/.sandbox).
	DirEnv = "INTERHUB_SANDBOX_DIR"
	// RequireEnv set to 1 turns Require's skip into a failure; `make test` sets it.
	RequireEnv = "INTERHUB_REQUIRE_SANDBOX"
	// FileName is the file `sandbox.sh up` writes into the state directory.
	FileName = "env.json"
)

// Env is the content of env.json.
type Env struct {
	StateDir   string     `json:"stateDir"`
	Repo       string     `json:"repo"`
	Kubernetes Kubernetes `json:"kubernetes"`
	Postgres   Postgres   `json:"postgres"`
	BuildHost  BuildHost  `json:"buildHost"`
	Registry   Registry   `json:"registry"`
	Ingress    Ingress    `json:"ingress"`
	// Gitea is nil unless the stand-in was started with Gitea (INTERHUB_SANDBOX_GITEA=1).
	Gitea *Gitea `json:"gitea"`
}

// Kubernetes is the one-node cluster: kube-apiserver with client-certificate auth, and a kubelet
// with containerd whose pods sit on a bridge.
type Kubernetes struct {
	Server       string `json:"server"`
	Host         string `json:"host"`
	Port         int    `json:"port"`
	Kubeconfig   string `json:"kubeconfig"`
	Context      string `json:"context"`
	CAFile       string `json:"caFile"`
	Etcd         string `json:"etcd"`
	EtcdPort     int    `json:"etcdPort"`
	Node         string `json:"node"`
	IngressClass string `json:"ingressClass"`
	StorageClass string `json:"storageClass"`
	// IngressIP is the load-balancer address Traefik publishes for Ingresses of IngressClass.
	IngressIP string `json:"ingressIP"`
	// Gateway is the host's address on the pods' bridge (pods reach pgpool there); NodeRoot holds
	// containerd's and the kubelet's directories, Containerd is containerd's socket.
	Gateway    string `json:"gateway"`
	Bridge     string `json:"bridge"`
	PodCIDR    string `json:"podCIDR"`
	Containerd string `json:"containerd"`
	NodeRoot   string `json:"nodeRoot"`
}

// Postgres is PostgreSQL 15 behind pgpool2; programs connect through pgpool.
type Postgres struct {
	Host          string `json:"host"`
	Port          int    `json:"port"`
	PgpoolHost    string `json:"pgpoolHost"`
	PgpoolPort    int    `json:"pgpoolPort"`
	PCPHost       string `json:"pcpHost"`
	PCPPort       int    `json:"pcpPort"`
	PCPUser       string `json:"pcpUser"`
	PCPPassword   string `json:"pcpPassword"`
	PCPPassFile   string `json:"pcpPassFile"`
	AdminUser     string `json:"adminUser"`
	AdminPassword string `json:"adminPassword"`
	Database      string `json:"database"`
	SSLMode       string `json:"sslmode"`
	// PgpoolConf, PoolPasswd and PgpoolKey are what `pg_enc -m -f CONF -k KEY -i FILE` needs to
	// add a role to pool_passwd; a running pgpool sees the change at once.
	PgpoolConf      string `json:"pgpoolConf"`
	PoolPasswd      string `json:"poolPasswd"`
	PgpoolKey       string `json:"pgpoolKey"`
	PgEnc           string `json:"pgEnc"`
	PCPReloadConfig string `json:"pcpReloadConfig"`
	Psql            string `json:"psql"`
}

// BuildHost is the sshd standing in for haskelseed.
type BuildHost struct {
	Host string `json:"host"`
	Port int    `json:"port"`
	User string `json:"user"`
	// HostKey is the public host key file (authorized_keys format) clients must pin.
	HostKey    string `json:"hostKey"`
	KnownHosts string `json:"knownHosts"`
	// PrivateKey is a mode-0600 copy of the fixture client key.
	PrivateKey        string `json:"privateKey"`
	PrivateKeyFixture string `json:"privateKeyFixture"`
	Checkout          string `json:"checkout"`
	Dir               string `json:"dir"`
	Origin            string `json:"origin"`
	CheckoutDir       string `json:"checkoutDir"`
	Store             string `json:"store"`
	// Tags are the sample app's good revisions on main: v1, then v2 (one more migration; v1's
	// server keeps working on a v2-migrated database).
	Tags []string `json:"tags"`
	// BrokenTag names a revision whose `nix build .#docker` fails.
	BrokenTag string `json:"brokenTag"`
	// CrashTag names a revision that builds, but whose server exits 1 right after it starts (its
	// pods never become ready).
	CrashTag string `json:"crashTag"`
	// BadMigrationTag names a revision that builds, but whose `migrate` fails on a migration's SQL.
	BadMigrationTag string `json:"badMigrationTag"`
	// NoMigrateTag names a revision whose image lacks `migrate`: it fails the image contract.
	NoMigrateTag string `json:"noMigrateTag"`
}

// Registry is Debian's docker-registry with TLS from the sandbox CA and htpasswd auth.
type Registry struct {
	Host       string `json:"host"`
	URL        string `json:"url"`
	Port       int    `json:"port"`
	Repository string `json:"repository"`
	User       string `json:"user"`
	Password   string `json:"password"`
	CAFile     string `json:"caFile"`
	// PullUser and PullPassword: the account pods pull with (imagePullSecrets).
	PullUser     string `json:"pullUser"`
	PullPassword string `json:"pullPassword"`
	// Images the stand-in itself pushed (sandbox/...), by use: busybox, pause, traefik.
	Images map[string]string `json:"images"`
}

// Gitea is the stand-in's Gitea with one Actions runner in host mode: jobs run on this machine
// as the user who started it, with HOME RunnerHome and the caller's toolchain and Go caches.
type Gitea struct {
	URL          string   `json:"url"`
	Port         int      `json:"port"`
	AdminUser    string   `json:"adminUser"`
	TokenFile    string   `json:"tokenFile"` // an access token of AdminUser with every scope
	RunnerName   string   `json:"runnerName"`
	RunnerLabels []string `json:"runnerLabels"`
	RunnerHome   string   `json:"runnerHome"`
}

// Token reads the admin's access token.
func (g *Gitea) Token() (string, error) {
	b, err := os.ReadFile(g.TokenFile)
	if err != nil {
		return "", fmt.Errorf("gitea token: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// Ingress is Traefik's websecure entrypoint, running as a pod on the host's network: HTTPS
// with, by default, a certificate from the sandbox CA for localhost, *.localhost and 127.0.0.1.
type Ingress struct {
	// URL is the local stack's app URL (https://inter-hub.localhost); names under .localhost do
	// not resolve everywhere, so clients dial ConnectTo for them (smoke --connect-to).
	URL       string `json:"url"`
	ConnectTo string `json:"connectTo"` // 127.0.0.1:8443, where websecure listens
	Host      string `json:"host"`
	Port      int    `json:"port"`
	WebPort   int    `json:"webPort"` // the plain-http web entrypoint
	CAFile    string `json:"caFile"`
	// IngressClass and Entrypoint: the Ingresses it serves (its websecure entrypoint).
	IngressClass string `json:"ingressClass"`
	Entrypoint   string `json:"entrypoint"`
}

// Dir returns the state directory: $INTERHUB_SANDBOX_DIR, or .sandbox at the repository root
// found by walking up from the working directory.
func Dir() (string, error) {
	if d := os.Getenv(DirEnv); d != "" {
		return filepath.Abs(d)
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("sandbox dir: %w", err)
	}
	root, err := RepoRoot(wd)
	if err != nil {
		return "", err
	}
	return filepath.Join(root, ".sandbox"), nil
}

// RepoRoot walks up from dir to the repository root: the directory holding go.mod and
// sandbox/sandbox.sh.
func RepoRoot(dir string) (string, error) {
	for d := dir; ; d = filepath.Dir(d) {
		if isFile(filepath.Join(d, "go.mod")) && isFile(filepath.Join(d, "sandbox", "sandbox.sh")) {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("sandbox dir: no repository root (go.mod with sandbox/sandbox.sh) above %s; set %s", dir, DirEnv)
		}
	}
}

func isFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir()
}

// Load reads env.json from Dir().
func Load() (*Env, error) {
	dir, err := Dir()
	if err != nil {
		return nil, err
	}
	return LoadFile(filepath.Join(dir, FileName))
}

// LoadFile reads and validates one env.json.
func LoadFile(path string) (*Env, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%s does not exist: the sandbox has not been started (make sandbox-up)", path)
		}
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	var env Env
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&env); err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	if err := env.validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &env, nil
}

func (e *Env) validate() error {
	var missing []string
	need := func(key, v string) {
		if v == "" {
			missing = append(missing, key)
		}
	}
	port := func(key string, v int) {
		if v <= 0 || v > 65535 {
			missing = append(missing, key)
		}
	}
	need("stateDir", e.StateDir)
	need("kubernetes.kubeconfig", e.Kubernetes.Kubeconfig)
	need("kubernetes.context", e.Kubernetes.Context)
	need("kubernetes.host", e.Kubernetes.Host)
	port("kubernetes.port", e.Kubernetes.Port)
	need("postgres.pgpoolHost", e.Postgres.PgpoolHost)
	port("postgres.pgpoolPort", e.Postgres.PgpoolPort)
	need("postgres.adminUser", e.Postgres.AdminUser)
	need("postgres.adminPassword", e.Postgres.AdminPassword)
	need("buildHost.host", e.BuildHost.Host)
	port("buildHost.port", e.BuildHost.Port)
	need("buildHost.user", e.BuildHost.User)
	need("buildHost.hostKey", e.BuildHost.HostKey)
	need("buildHost.privateKey", e.BuildHost.PrivateKey)
	need("registry.host", e.Registry.Host)
	need("registry.user", e.Registry.User)
	need("registry.password", e.Registry.Password)
	need("registry.caFile", e.Registry.CAFile)
	need("ingress.connectTo", e.Ingress.ConnectTo)
	need("ingress.url", e.Ingress.URL)
	need("ingress.caFile", e.Ingress.CAFile)
	need("kubernetes.gateway", e.Kubernetes.Gateway)
	need("registry.pullUser", e.Registry.PullUser)
	need("registry.pullPassword", e.Registry.PullPassword)
	if len(missing) > 0 {
		return fmt.Errorf("missing or invalid keys: %s", strings.Join(missing, ", "))
	}
	return nil
}

// Check dials every listener a test needs and reports the ones that do not answer.
func (e *Env) Check(ctx context.Context) error {
	targets := []struct{ name, addr string }{
		{"kube-apiserver", hostPort(e.Kubernetes.Host, e.Kubernetes.Port)},
		{"pgpool", hostPort(e.Postgres.PgpoolHost, e.Postgres.PgpoolPort)},
		{"build host sshd", hostPort(e.BuildHost.Host, e.BuildHost.Port)},
		{"registry", e.Registry.Host},
		{"traefik websecure", e.Ingress.ConnectTo},
	}
	var down []string
	for _, t := range targets {
		dctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		var d net.Dialer
		c, err := d.DialContext(dctx, "tcp", t.addr)
		cancel()
		if err != nil {
			down = append(down, fmt.Sprintf("%s (%s)", t.name, t.addr))
			continue
		}
		_ = c.Close()
	}
	if len(down) > 0 {
		return fmt.Errorf("not answering: %s; run `make sandbox-status`", strings.Join(down, ", "))
	}
	return nil
}

func hostPort(host string, port int) string { return net.JoinHostPort(host, strconv.Itoa(port)) }
