package stacks

import (
	"regexp"

	"github.com/coulomb-social/inter-hub-deploy/components"
)

// TLSSource says where the host's certificate comes from; a stack configures exactly one.
type TLSSource string

const (
	TLSFromSecret             TLSSource = "tlsSecret"          // an existing Secret in the namespace
	TLSFromClusterIssuer      TLSSource = "clusterIssuer"      // cert-manager issues it into <release>-tls
	TLSFromCertResolver       TLSSource = "certResolver"       // Traefik's own ACME resolver
	TLSFromDefaultCertificate TLSSource = "defaultCertificate" // Traefik's default certificate
)

// TLS is the Ingress's certificate: its source and, except for the default certificate, the
// name of the Secret, ClusterIssuer or resolver.
type TLS struct {
	Source TLSSource
	Name   string
}

// Key is the configuration key that chose this source.
func (t TLS) Key() string { return fullKey("ingress." + string(t.Source)) }

// Ingress is how the public host reaches the app.
type Ingress struct {
	Host, ClassName string
	TLS             TLS
	Redirect        components.Redirect
}

var resolverName = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

func (r *reader) ingress() Ingress {
	in := Ingress{Host: r.required("ingress.host")}
	if v := in.Host; v != "" && !isDNSSubdomain(v) {
		r.fail("ingress.host", "not a lowercase DNS name: %q", v)
	}
	in.ClassName = r.dnsSubdomain("ingress.className", true)
	in.TLS = r.tls()
	in.Redirect = oneOf(r, "ingress.redirect", components.RedirectMiddleware, components.RedirectEntrypoint)
	return in
}

// tls reads the four keys that may name the certificate's source: exactly one must be set.
func (r *reader) tls() TLS {
	var chosen []TLS
	if v := r.dnsSubdomain("ingress.tlsSecret", false); r.str("ingress.tlsSecret") != "" {
		chosen = append(chosen, TLS{TLSFromSecret, v})
	}
	if v := r.dnsSubdomain("ingress.clusterIssuer", false); r.str("ingress.clusterIssuer") != "" {
		chosen = append(chosen, TLS{TLSFromClusterIssuer, v})
	}
	if v := r.str("ingress.certResolver"); v != "" {
		if !resolverName.MatchString(v) {
			r.fail("ingress.certResolver", "not a Traefik resolver name (letters, digits, - and _): %q", v)
		}
		chosen = append(chosen, TLS{TLSFromCertResolver, v})
	}
	if r.boolean("ingress.defaultCertificate") {
		chosen = append(chosen, TLS{Source: TLSFromDefaultCertificate})
	}
	const oneTLS = "inter-hub:ingress.tlsSecret, inter-hub:ingress.clusterIssuer, inter-hub:ingress.certResolver and inter-hub:ingress.defaultCertificate"
	switch len(chosen) {
	case 0:
		r.missing("ingress.tlsSecret", "set exactly one of "+oneTLS)
	case 1:
		return chosen[0]
	default:
		r.fail("ingress.tlsSecret", "set exactly one of "+oneTLS+", not more")
	}
	return TLS{}
}
