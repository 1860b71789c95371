package stacks

import (
	"regexp"

	"github.com/coulomb-social/inter-hub-deploy/components"
)

// TLSKey is the configuration key that chose the certificate's source.
func TLSKey(t components.TLS) string { return fullKey("ingress." + string(t.Source)) }

// Ingress is how the public host reaches the app.
type Ingress struct {
	Host, ClassName string
	TLS             components.TLS
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
func (r *reader) tls() components.TLS {
	var chosen []components.TLS
	if v := r.dnsSubdomain("ingress.tlsSecret", false); r.str("ingress.tlsSecret") != "" {
		chosen = append(chosen, components.TLS{Source: components.TLSFromSecret, Name: v})
	}
	if v := r.dnsSubdomain("ingress.clusterIssuer", false); r.str("ingress.clusterIssuer") != "" {
		chosen = append(chosen, components.TLS{Source: components.TLSFromClusterIssuer, Name: v})
	}
	if v := r.str("ingress.certResolver"); v != "" {
		if !resolverName.MatchString(v) {
			r.fail("ingress.certResolver", "not a Traefik resolver name (letters, digits, - and _): %q", v)
		}
		chosen = append(chosen, components.TLS{Source: components.TLSFromCertResolver, Name: v})
	}
	if r.boolean("ingress.defaultCertificate") {
		chosen = append(chosen, components.TLS{Source: components.TLSFromDefaultCertificate})
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
	return components.TLS{}
}
