package checks

import (
	"os"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/coulomb-social/inter-hub-deploy/internal/kubeconfig"
	"github.com/coulomb-social/inter-hub-deploy/sandbox/sandboxenv"
)

// The gate's checks against the real stand-in: apiserver, PostgreSQL behind pgpool, registry
// and sshd. Each passes as configured and fails, with its message, on one wrong detail.
func TestGateAgainstTheSandbox(t *testing.T) {
	env := sandboxenv.Require(t)
	raw, err := os.ReadFile(env.Kubernetes.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	cluster, err := kubeconfig.Parse(raw, env.StateDir, env.Kubernetes.Context)
	if err != nil {
		t.Fatal(err)
	}
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
	pg := PostgresTarget{Host: env.Postgres.PgpoolHost, Port: env.Postgres.PgpoolPort, User: env.Postgres.AdminUser,
		Password: env.Postgres.AdminPassword, SSLMode: env.Postgres.SSLMode}
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
	badBuild := build
	badBuild.HostKey = signer.PublicKey() // the client key is certainly not the host key
	if _, err := probe(t, BuildHost(true, badBuild)); err == nil || !strings.Contains(err.Error(), "presented a host key other than the pinned one") {
		t.Errorf("wrong host key: %v", err)
	}
}
