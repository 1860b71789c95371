// Package route picks the Ingress backend for a request the way Traefik v3's Kubernetes Ingress
// provider does: every path of every rule of an Ingress of its class becomes a router with a rule
// such as Host(`h`) && PathPrefix(`/`), and among the routers that match, the one with the
// longest rule wins (Traefik's default priority).
package route

import (
	"fmt"
	"math"
	"net"
	"regexp"
	"sort"
	"strings"

	"github.com/coulomb-social/inter-hub-deploy/sandbox/edge/kube"
)

// EntrypointsAnnotation restricts an Ingress's routers to some of Traefik's entrypoints.
const EntrypointsAnnotation = "traefik.ingress.kubernetes.io/router.entrypoints"

// Route is one matching router.
type Route struct {
	Namespace string // of the Ingress, and so of the Service
	Ingress   string
	Rule      string // Traefik's rule, for logs
	Backend   kube.IngressServiceBackend
	priority  int
}

func (r Route) String() string {
	return fmt.Sprintf("ingress %s/%s %s -> service %s:%s", r.Namespace, r.Ingress, r.Rule, r.Backend.Name, portString(r.Backend))
}

func portString(b kube.IngressServiceBackend) string {
	if b.Port.Name != "" {
		return b.Port.Name
	}
	return fmt.Sprint(b.Port.Number)
}

// Match returns the routers of Ingresses of class (on entrypoint) that match host and path, best
// first. host may carry a port; it is ignored, as Traefik does.
func Match(ingresses []kube.Ingress, class, entrypoint, host, path string) []Route {
	host = normalizeHost(host)
	if path == "" {
		path = "/"
	}
	var out []Route
	for _, ing := range ingresses {
		if ing.Spec.IngressClassName == nil || *ing.Spec.IngressClassName != class {
			continue
		}
		if !onEntrypoint(ing.Metadata.Annotations[EntrypointsAnnotation], entrypoint) {
			continue
		}
		for _, rule := range ing.Spec.Rules {
			if rule.HTTP == nil || !hostMatches(rule.Host, host) {
				continue
			}
			for _, p := range rule.HTTP.Paths {
				if p.Backend.Service == nil || !pathMatches(p.PathType, p.Path, path) {
					continue
				}
				r := Route{
					Namespace: ing.Metadata.Namespace, Ingress: ing.Metadata.Name,
					Rule: ruleString(rule.Host, p), Backend: *p.Backend.Service,
				}
				r.priority = len(r.Rule)
				out = append(out, r)
			}
		}
		if b := ing.Spec.DefaultBackend; b != nil && b.Service != nil {
			// Traefik's default router: PathPrefix(`/`) at the lowest priority.
			out = append(out, Route{
				Namespace: ing.Metadata.Namespace, Ingress: ing.Metadata.Name,
				Rule: "PathPrefix(`/`) (default backend)", Backend: *b.Service, priority: math.MinInt32,
			})
		}
	}
	// Rules of equal length: Traefik's order is unspecified; here namespace, name, then the
	// order within the Ingress.
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].priority != out[j].priority {
			return out[i].priority > out[j].priority
		}
		if out[i].Namespace != out[j].Namespace {
			return out[i].Namespace < out[j].Namespace
		}
		return out[i].Ingress < out[j].Ingress
	})
	return out
}

func normalizeHost(h string) string {
	if hh, _, err := net.SplitHostPort(h); err == nil {
		h = hh
	}
	return strings.ToLower(strings.TrimSuffix(h, "."))
}

func onEntrypoint(annotation, entrypoint string) bool {
	if strings.TrimSpace(annotation) == "" {
		return true // no annotation: every entrypoint
	}
	for _, e := range strings.Split(annotation, ",") {
		if strings.TrimSpace(e) == entrypoint {
			return true
		}
	}
	return false
}

// hostMatches: an empty rule host matches any host; "*.example.com" matches exactly one label
// in front of example.com.
func hostMatches(ruleHost, host string) bool {
	ruleHost = strings.ToLower(ruleHost)
	switch {
	case ruleHost == "":
		return true
	case strings.HasPrefix(ruleHost, "*."):
		label, rest, ok := strings.Cut(host, ".")
		return ok && label != "" && rest == ruleHost[2:]
	default:
		return ruleHost == host
	}
}

// pathMatches follows Traefik v3: Exact is Path(); Prefix and ImplementationSpecific match
// whole path segments (/abc matches /abc, /abc/ and /abc/def, not /abcd). No path matches
// every path.
func pathMatches(pathType, rulePath, path string) bool {
	if rulePath == "" || (rulePath == "/" && pathType != "Exact") {
		return true
	}
	if pathType == "Exact" {
		return path == rulePath
	}
	prefix := strings.TrimSuffix(rulePath, "/")
	return path == prefix || strings.HasPrefix(path, prefix+"/")
}

// ruleString writes the router rule Traefik v3 builds for a path; its length is the router's
// priority, so it is spelled exactly as Traefik spells it.
func ruleString(host string, p kube.HTTPIngressPath) string {
	var parts []string
	switch {
	case host == "":
	case strings.HasPrefix(host, "*."):
		re := strings.Replace(regexp.QuoteMeta(host), `\*\.`, `[a-zA-Z0-9-]+\.`, 1)
		parts = append(parts, "HostRegexp(`^"+re+"$`)")
	default:
		parts = append(parts, "Host(`"+host+"`)")
	}
	switch {
	case p.Path == "":
	case p.PathType == "Exact":
		parts = append(parts, "Path(`"+p.Path+"`)")
	case p.Path == "/":
		parts = append(parts, "PathPrefix(`/`)")
	default:
		prefix := strings.TrimSuffix(p.Path, "/")
		parts = append(parts, fmt.Sprintf("(Path(`%[1]s`) || PathPrefix(`%[1]s/`))", prefix))
	}
	if len(parts) == 0 {
		return "PathPrefix(`/`)"
	}
	return strings.Join(parts, " && ")
}
