package components

import (
	"github.com/coulomb-social/inter-hub-deploy/test/support/mockstack"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// runIngress registers an Ingress for hub.example.org in the namespace apps, with the TLS and
// redirect settings that change makes, and returns what it registered.
func runIngress(t *testing.T, change func(a *IngressArgs)) *mockstack.Monitor {
	t.Helper()
	args := &IngressArgs{
		Namespace: pulumi.String("apps"), Name: "hub", Host: "hub.example.org", ClassName: "traefik",
		ServiceName: "hub-web", ServicePort: "http", Redirect: RedirectMiddleware,
	}
	change(args)
	rec := &mockstack.Monitor{}
	if err := rec.Run(func(ctx *pulumi.Context) error {
		_, err := NewIngress(ctx, "ingress", args)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return rec
}

func TestIngress(t *testing.T) {
	rec := runIngress(t, func(a *IngressArgs) { a.TLS = TLS{TLSFromSecret, "hub-cert"} })
	ing := rec.One(t, tIngress, "ingress").Inputs
	md := ing["metadata"].ObjectValue()
	ann := md["annotations"].ObjectValue()
	if ann["traefik.ingress.kubernetes.io/router.entrypoints"].StringValue() != "websecure" ||
		ann["traefik.ingress.kubernetes.io/router.tls"].StringValue() != "true" {
		t.Errorf("annotations = %v", ann)
	}
	spec := ing["spec"].ObjectValue()
	if spec["ingressClassName"].StringValue() != "traefik" {
		t.Errorf("ingressClassName = %v", spec["ingressClassName"])
	}
	tls := spec["tls"].ArrayValue()
	if len(tls) != 1 || tls[0].ObjectValue()["secretName"].StringValue() != "hub-cert" ||
		tls[0].ObjectValue()["hosts"].ArrayValue()[0].StringValue() != "hub.example.org" {
		t.Errorf("tls = %v", tls)
	}
	rule := spec["rules"].ArrayValue()[0].ObjectValue()
	backend := rule["http"].ObjectValue()["paths"].ArrayValue()[0].ObjectValue()["backend"].ObjectValue()["service"].ObjectValue()
	if rule["host"].StringValue() != "hub.example.org" || backend["name"].StringValue() != "hub-web" ||
		backend["port"].ObjectValue()["name"].StringValue() != "http" {
		t.Errorf("rule = %v", rule)
	}

	mw := rec.One(t, tMiddleware, "ingress-redirect-https").Inputs
	if mw["spec"].ObjectValue()["redirectScheme"].ObjectValue()["scheme"].StringValue() != "https" {
		t.Errorf("middleware = %v", mw)
	}
	httpIng := rec.One(t, tIngress, "ingress-http").Inputs
	hann := httpIng["metadata"].ObjectValue()["annotations"].ObjectValue()
	if hann["traefik.ingress.kubernetes.io/router.entrypoints"].StringValue() != "web" ||
		hann["traefik.ingress.kubernetes.io/router.middlewares"].StringValue() != "apps-hub-redirect-https@kubernetescrd" {
		t.Errorf("http ingress annotations = %v", hann)
	}
	if _, hasTLS := httpIng["spec"].ObjectValue()["tls"]; hasTLS {
		t.Error("the http ingress has TLS")
	}
}

func TestIngressWithClusterIssuerAndEntrypointRedirect(t *testing.T) {
	rec := runIngress(t, func(a *IngressArgs) {
		a.TLS = TLS{TLSFromClusterIssuer, "letsencrypt-prod"}
		a.Redirect = RedirectEntrypoint
	})
	ing := rec.One(t, tIngress, "ingress").Inputs
	ann := ing["metadata"].ObjectValue()["annotations"].ObjectValue()
	if ann["cert-manager.io/cluster-issuer"].StringValue() != "letsencrypt-prod" {
		t.Errorf("annotations = %v", ann)
	}
	// cert-manager issues the certificate into <Name>-tls.
	if got := ing["spec"].ObjectValue()["tls"].ArrayValue()[0].ObjectValue()["secretName"].StringValue(); got != "hub-tls" {
		t.Errorf("secretName = %q", got)
	}
	if len(rec.OfType(tMiddleware)) != 0 || len(rec.OfType(tIngress)) != 1 {
		t.Error("entrypoint mode creates a redirect middleware or a second ingress")
	}
}

// With Traefik's resolver the Ingress names it and no Secret.
func TestIngressWithTraefiksCertResolver(t *testing.T) {
	rec := runIngress(t, func(a *IngressArgs) { a.TLS = TLS{TLSFromCertResolver, "le"} })
	ing := rec.One(t, tIngress, "ingress").Inputs
	ann := ing["metadata"].ObjectValue()["annotations"].ObjectValue()
	if got := ann["traefik.ingress.kubernetes.io/router.tls.certresolver"]; !got.IsString() || got.StringValue() != "le" {
		t.Errorf("annotations = %v", ann)
	}
	if _, ok := ann["cert-manager.io/cluster-issuer"]; ok {
		t.Error("the Ingress asks cert-manager too")
	}
	if _, named := ing["spec"].ObjectValue()["tls"].ArrayValue()[0].ObjectValue()["secretName"]; named {
		t.Error("the Ingress names a TLS Secret")
	}
}

// With Traefik's default certificate the Ingress's TLS names the host and no Secret: Traefik
// drops an Ingress whose named Secret does not exist.
func TestIngressWithTraefiksDefaultCertificate(t *testing.T) {
	rec := runIngress(t, func(a *IngressArgs) { a.TLS = TLS{Source: TLSFromDefaultCertificate} })
	ing := rec.One(t, tIngress, "ingress").Inputs
	tls := ing["spec"].ObjectValue()["tls"].ArrayValue()
	if len(tls) != 1 {
		t.Fatalf("tls = %v", tls)
	}
	entry := tls[0].ObjectValue()
	if _, named := entry["secretName"]; named {
		t.Errorf("the Ingress names a TLS Secret: %v", entry)
	}
	if hosts := entry["hosts"].ArrayValue(); len(hosts) != 1 || hosts[0].StringValue() != "hub.example.org" {
		t.Errorf("tls hosts = %v", hosts)
	}
	if _, ok := ing["metadata"].ObjectValue()["annotations"].ObjectValue()["cert-manager.io/cluster-issuer"]; ok {
		t.Error("the Ingress asks cert-manager for a certificate")
	}
}

// The certificate's source comes whole, as the stack chose it; a source without its name (or
// the default certificate with one) is refused before anything is registered.
func TestIngressRefusesAnIncompleteTLSSource(t *testing.T) {
	for _, tc := range []struct {
		tls  TLS
		want string
	}{
		{TLS{}, `ingress ingress: unknown TLS source ""`},
		{TLS{Source: "acme"}, `ingress ingress: unknown TLS source "acme"`},
		{TLS{Source: TLSFromSecret}, "ingress ingress: the TLS source tlsSecret needs a name"},
		{TLS{Source: TLSFromCertResolver}, "ingress ingress: the TLS source certResolver needs a name"},
		{TLS{TLSFromDefaultCertificate, "wildcard"}, `ingress ingress: the default certificate takes no name ("wildcard")`},
	} {
		rec := &mockstack.Monitor{}
		err := rec.Run(func(ctx *pulumi.Context) error {
			_, err := NewIngress(ctx, "ingress", &IngressArgs{
				Namespace: pulumi.String("apps"), Name: "hub", Host: "hub.example.org", ClassName: "traefik",
				ServiceName: "hub-web", ServicePort: "http", Redirect: RedirectMiddleware, TLS: tc.tls,
			})
			return err
		})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: got %v, want %q", tc.tls, err, tc.want)
		}
		if len(rec.All()) != 0 {
			t.Errorf("%+v: registered %d resources", tc.tls, len(rec.All()))
		}
	}
}
