//go:build integration

package gate

import (
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/coulomb-social/inter-hub-deploy/components"
	"github.com/coulomb-social/inter-hub-deploy/internal/kubeconfig"
	"github.com/coulomb-social/inter-hub-deploy/internal/registryapi"
	"github.com/coulomb-social/inter-hub-deploy/sandbox/sandboxenv"
	"github.com/coulomb-social/inter-hub-deploy/test/support/standin"
)

// The gate's checks against the real stand-in: apiserver, PostgreSQL behind pgpool, registry
// and sshd. Each passes as configured and fails, with its message, on one wrong detail.
func TestGateAgainstTheSandbox(t *testing.T) {
	env := standin.Require(t)
	cluster := sandboxCluster(t, env)
	ca, err := os.ReadFile(env.Registry.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	hostKey, err := env.BuildHost.HostPublicKey()
	if err != nil {
		t.Fatal(err)
	}
	pem, err := os.ReadFile(env.BuildHost.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.ParsePrivateKey(pem)
	if err != nil {
		t.Fatal(err)
	}
	pg := PostgresTarget{Endpoint: components.Endpoint{Host: env.Postgres.PgpoolHost, Port: env.Postgres.PgpoolPort,
		SSLMode: env.Postgres.SSLMode}, User: env.Postgres.AdminUser, Password: env.Postgres.AdminPassword}
	reg := RegistryTarget{Host: env.Registry.Host, CA: ca, Username: env.Registry.User, Password: env.Registry.Password,
		PullUsername: env.Registry.PullUser, PullPassword: env.Registry.PullPassword}
	build := BuildHostTarget{Host: env.BuildHost.Host, Port: env.BuildHost.Port, User: env.BuildHost.User,
		HostKey: hostKey, Signer: signer, Tools: []string{"git", "nix", "skopeo", "gunzip", "timeout"}}
	traefik := TraefikTarget{IngressClass: "traefik", DeploymentNamespace: "kube-system", DeploymentName: "traefik"}

	for _, c := range []Check{Nodes(true, cluster), Traefik(true, cluster, traefik), Postgres(true, pg), Registry(true, reg), BuildHost(true, build)} {
		if d, err := probe(t, c); err != nil {
			t.Errorf("%s: %v", c.Name, err)
		} else {
			t.Logf("%s: %s", c.Name, d)
		}
	}

	badPG := pg
	badPG.Password = "wrong"
	if _, err := probe(t, Postgres(true, badPG)); err == nil || !strings.Contains(err.Error(), "cannot log in to 127.0.0.1:15432 as railiance_admin") {
		t.Errorf("wrong admin password: %v", err)
	}
	badReg := reg
	badReg.Password = "wrong"
	if _, err := probe(t, Registry(true, badReg)); err == nil || !strings.Contains(err.Error(), "refused the push account interhub-push (HTTP 401: UNAUTHORIZED") {
		t.Errorf("wrong registry password: %v", err)
	}
	badPull := reg
	badPull.PullPassword = "wrong"
	if _, err := probe(t, Registry(true, badPull)); err == nil || !strings.Contains(err.Error(), "refused the pull account interhub-pull (HTTP 401: UNAUTHORIZED") {
		t.Errorf("wrong pull password: %v", err)
	}
	// The image lookup: a tag the stand-in pushed is found with the digest of the manifest the
	// registry serves for it; a tag nobody pushed is not, and that is no error.
	pause, ok := env.Registry.Images["pause"]
	if !ok {
		t.Fatal("the stand-in lists no pause image")
	}
	repo, tag, _ := strings.Cut(strings.TrimPrefix(pause, env.Registry.Host+"/"), ":")
	found := reg
	found.Lookup = &ImageLookup{Repository: repo, Tag: tag}
	if d, err := probe(t, Registry(true, found)); err != nil || !strings.Contains(d, "is there (sha256:") {
		t.Errorf("lookup of %s: %q, %v", pause, d, err)
	}
	if want := manifestSHA(t, env.Registry.URL+"/v2/"+repo+"/manifests/"+tag, ca, env.Registry.User, env.Registry.Password); found.Lookup.Digest != want {
		t.Errorf("lookup of %s gave digest %q, the manifest's is %q", pause, found.Lookup.Digest, want)
	}
	missing := reg
	missing.Lookup = &ImageLookup{Repository: repo, Tag: "git-" + strings.Repeat("0", 40)}
	if d, err := probe(t, Registry(true, missing)); err != nil || missing.Lookup.Digest != "" || !strings.Contains(d, "is not there yet") {
		t.Errorf("lookup of a missing tag: %q, digest %q, %v", d, missing.Lookup.Digest, err)
	}

	badBuild := build
	badBuild.HostKey = signer.PublicKey() // the client key is certainly not the host key
	if _, err := probe(t, BuildHost(true, badBuild)); err == nil || !strings.Contains(err.Error(), "presented a host key other than the pinned one") {
		t.Errorf("wrong host key: %v", err)
	}
}

// manifestSHA fetches a manifest as the lookup asks for it and hashes the bytes served.
func manifestSHA(t *testing.T, url string, ca []byte, user, password string) string {
	t.Helper()
	client, err := registryapi.HTTPClient(ca)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", strings.Join(registryapi.ManifestTypes, ", "))
	req.SetBasicAuth(user, password)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: HTTP %d, %v", url, resp.StatusCode, err)
	}
	return fmt.Sprintf("sha256:%x", sha256.Sum256(body))
}

// The TLS probe against the stand-in's real pgpool, which runs without TLS as bitnami's does by
// default (pgpool.conf sets no ssl; pgpool.tls.enabled is false in the chart): pgpool answers N,
// a stack that requires TLS of it fails naming the setting, and pgpool still serves logins after
// the probe's bare SSLRequest.
func TestPostgresTLSAgainstTheSandbox(t *testing.T) {
	env := standin.Require(t)
	target := PostgresTLSTarget{Host: env.Postgres.PgpoolHost, Port: env.Postgres.PgpoolPort}
	d, err := probe(t, PostgresTLS(true, target))
	if err != nil || !strings.HasSuffix(d, " offers no TLS; no setting asks for it") {
		t.Errorf("sslmode disable: %q, %v", d, err)
	}
	target.RequiredBy = []string{"inter-hub:postgres.sslmode is require"}
	_, err = probe(t, PostgresTLS(true, target))
	if err == nil || !strings.Contains(err.Error(), "offers no TLS (it answered N to PostgreSQL's SSLRequest), but inter-hub:postgres.sslmode is require") {
		t.Errorf("sslmode require: %v", err)
	}
	pg := PostgresTarget{Endpoint: components.Endpoint{Host: env.Postgres.PgpoolHost, Port: env.Postgres.PgpoolPort,
		SSLMode: env.Postgres.SSLMode}, User: env.Postgres.AdminUser, Password: env.Postgres.AdminPassword}
	if _, err := probe(t, Postgres(true, pg)); err != nil {
		t.Errorf("admin login after the probe: %v", err)
	}
}

// The certificate and pgpool checks against the stand-in's real apiserver, which has Traefik
// without certificate resolvers, no cert-manager and no bitnami pgpool (its pgpool runs on the
// host): each fails with the message for what is missing, which proves their API paths.
func TestCertificateAndPgpoolChecksAgainstTheSandbox(t *testing.T) {
	env := standin.Require(t)
	cluster := sandboxCluster(t, env)
	resolver := CertificateTarget{Key: "inter-hub:ingress.certResolver", CertResolver: "le", TraefikNamespace: "kube-system", TraefikDeployment: "traefik"}
	if _, err := probe(t, Certificates(true, cluster, resolver)); err == nil ||
		!strings.HasSuffix(err.Error(), "so the resolver le (inter-hub:ingress.certResolver) does not exist (resolvers defined there: none)") {
		t.Errorf("resolver: %v", err)
	}
	issuer := CertificateTarget{Key: "inter-hub:ingress.clusterIssuer", ClusterIssuer: "letsencrypt-prod"}
	if _, err := probe(t, Certificates(true, cluster, issuer)); err == nil || !strings.Contains(err.Error(), "cert-manager is not installed") {
		t.Errorf("cluster issuer: %v", err)
	}
	secret := CertificateTarget{Key: "inter-hub:ingress.tlsSecret", Secret: "no-such-tls", SecretNamespace: "kube-system"}
	if _, err := probe(t, Certificates(true, cluster, secret)); err == nil ||
		err.Error() != "TLS Secret kube-system/no-such-tls (inter-hub:ingress.tlsSecret) not found; nothing in this program creates it" {
		t.Errorf("TLS secret: %v", err)
	}
	pgpool := PgpoolTarget{Namespace: "kube-system", Service: "no-such-pgpool", Deployment: "no-such-pgpool", UsersSecret: "no-such-users"}
	if _, err := probe(t, Pgpool(true, cluster, pgpool)); err == nil ||
		err.Error() != "Service kube-system/no-such-pgpool not found; Deployment kube-system/no-such-pgpool not found" {
		t.Errorf("pgpool: %v", err)
	}
	if _, err := probe(t, PgpoolUsers(true, cluster, pgpool)); err == nil || !strings.HasPrefix(err.Error(), "Secret kube-system/no-such-users not found") {
		t.Errorf("pgpool users: %v", err)
	}
}

// sandboxCluster is the stand-in's apiserver as the gate's Kubernetes checks reach it.
func sandboxCluster(t *testing.T, env *sandboxenv.Env) *kubeconfig.Target {
	t.Helper()
	raw, err := os.ReadFile(env.Kubernetes.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	cluster, err := kubeconfig.Parse(raw, env.StateDir, env.Kubernetes.Context)
	if err != nil {
		t.Fatal(err)
	}
	return cluster
}
