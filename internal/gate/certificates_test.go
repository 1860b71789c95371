package gate

import (
	"testing"

	"github.com/coulomb-social/inter-hub-deploy/test/support/fixture"
)

func TestCertificatesClusterIssuer(t *testing.T) {
	f := fixture.New(t, "")
	want := CertificateTarget{Key: "inter-hub:ingress.clusterIssuer", ClusterIssuer: "letsencrypt-prod"}
	issuer := func(conds ...any) map[string]any {
		return map[string]any{"status": map[string]any{"conditions": conds}}
	}
	const path = "/apis/cert-manager.io/v1/clusterissuers/letsencrypt-prod"
	group := map[string]any{"kind": "APIResourceList"}

	tg := apiserver(t, f, map[string]any{path: issuer(map[string]any{"type": "Ready", "status": "True"})})
	if d, err := probe(t, Certificates(true, tg, want)); err != nil || d != "ClusterIssuer letsencrypt-prod is Ready" {
		t.Errorf("ready: %q, %v", d, err)
	}
	tg = apiserver(t, f, map[string]any{path: issuer()})
	if d, err := probe(t, Certificates(true, tg, want)); err != nil || d != "ClusterIssuer letsencrypt-prod exists (it reports no Ready condition)" {
		t.Errorf("no status: %q, %v", d, err)
	}
	tg = apiserver(t, f, map[string]any{path: issuer(map[string]any{"type": "Ready", "status": "False", "reason": "ErrRegisterACMEAccount", "message": "no such host "})})
	if _, err := probe(t, Certificates(true, tg, want)); err == nil ||
		err.Error() != "ClusterIssuer letsencrypt-prod (inter-hub:ingress.clusterIssuer) is not Ready: ErrRegisterACMEAccount no such host" {
		t.Errorf("not ready: %v", err)
	}
	tg = apiserver(t, f, map[string]any{"/apis/cert-manager.io/v1": group})
	if _, err := probe(t, Certificates(true, tg, want)); err == nil || err.Error() != "ClusterIssuer letsencrypt-prod (inter-hub:ingress.clusterIssuer) not found" {
		t.Errorf("absent: %v", err)
	}
	tg = apiserver(t, f, map[string]any{})
	if _, err := probe(t, Certificates(true, tg, want)); err == nil ||
		err.Error() != "ClusterIssuer letsencrypt-prod (inter-hub:ingress.clusterIssuer) cannot exist: cert-manager is not installed (the cluster serves no cert-manager.io/v1 API)" {
		t.Errorf("no cert-manager: %v", err)
	}
}

func TestCertificatesTraefikResolver(t *testing.T) {
	f := fixture.New(t, "")
	want := CertificateTarget{Key: "inter-hub:ingress.certResolver", CertResolver: "le", TraefikNamespace: "kube-system", TraefikDeployment: "traefik"}
	traefik := func(args ...any) map[string]any {
		return map[string]any{"spec": map[string]any{"template": map[string]any{"spec": map[string]any{
			"containers": []any{map[string]any{"name": "traefik", "args": args}}}}}}
	}
	const path = "/apis/apps/v1/namespaces/kube-system/deployments/traefik"

	// Flag names in any case, as K3s' chart and Traefik's docs write them.
	tg := apiserver(t, f, map[string]any{path: traefik("--entryPoints.web.address=:8000",
		"--certificatesResolvers.le.acme.email=ops@coulomb.social", "--certificatesresolvers.le.acme.tlschallenge=true")})
	if d, err := probe(t, Certificates(true, tg, want)); err != nil || d != "Traefik kube-system/traefik defines the resolver le" {
		t.Errorf("defined: %q, %v", d, err)
	}
	tg = apiserver(t, f, map[string]any{path: traefik("--certificatesresolvers.staging.acme.email=x", "certificatesresolvers.le.acme.email=not-a-flag")})
	if _, err := probe(t, Certificates(true, tg, want)); err == nil || err.Error() != "Traefik's Deployment kube-system/traefik has no "+
		"--certificatesresolvers.le.* argument, so the resolver le (inter-hub:ingress.certResolver) does not exist (resolvers defined there: staging)" {
		t.Errorf("other resolver: %v", err)
	}
	// The resolver's name keeps its case.
	tg = apiserver(t, f, map[string]any{path: traefik("--certificatesresolvers.LE.acme.email=x")})
	if _, err := probe(t, Certificates(true, tg, want)); err == nil {
		t.Error("resolver LE taken for le")
	}
	tg = apiserver(t, f, map[string]any{})
	if _, err := probe(t, Certificates(true, tg, want)); err == nil ||
		err.Error() != "Traefik's Deployment kube-system/traefik not found, so its resolver le (inter-hub:ingress.certResolver) cannot be checked" {
		t.Errorf("no Traefik: %v", err)
	}
}

func TestCertificatesTLSSecret(t *testing.T) {
	f := fixture.New(t, "")
	want := CertificateTarget{Key: "inter-hub:ingress.tlsSecret", Secret: "hub-tls", SecretNamespace: "inter-hub"}
	const path = "/api/v1/namespaces/inter-hub/secrets/hub-tls"

	tg := apiserver(t, f, map[string]any{path: map[string]any{"type": "kubernetes.io/tls", "data": map[string]any{"tls.crt": "Yw==", "tls.key": "aw=="}}})
	if d, err := probe(t, Certificates(true, tg, want)); err != nil || d != "TLS Secret inter-hub/hub-tls present" {
		t.Errorf("present: %q, %v", d, err)
	}
	tg = apiserver(t, f, map[string]any{path: map[string]any{"type": "Opaque", "data": map[string]any{"password": "cA=="}}})
	if _, err := probe(t, Certificates(true, tg, want)); err == nil ||
		err.Error() != "Secret inter-hub/hub-tls (inter-hub:ingress.tlsSecret) holds no tls.crt and tls.key (type Opaque)" {
		t.Errorf("not TLS: %v", err)
	}
	tg = apiserver(t, f, map[string]any{})
	if _, err := probe(t, Certificates(true, tg, want)); err == nil ||
		err.Error() != "TLS Secret inter-hub/hub-tls (inter-hub:ingress.tlsSecret) not found; nothing in this program creates it" {
		t.Errorf("absent: %v", err)
	}
}
