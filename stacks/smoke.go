package stacks

import (
	"net/url"
	"strings"
	"unicode"
)

// Smoke is what the smoke checks (interhub smoke) read from the stack.
type Smoke struct {
	Dashboards []string // URL paths of the admin dashboards; nil when unset
}

func (r *reader) smoke() Smoke { return Smoke{Dashboards: r.urlPaths("smoke.dashboards")} }

// urlPaths accepts a list (as list does) of paths of the app: each starts with a single /, has
// no spaces or fragment, and appears once. Unset: nil, no problem.
func (r *reader) urlPaths(key string) []string {
	if _, set := r.raw(key); !set {
		return nil
	}
	paths := r.list(key)
	seen := map[string]bool{}
	for _, p := range paths {
		u, err := url.Parse(p)
		switch {
		case !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//"):
			r.fail(key, "%q does not start with a single / (each entry is a path of the app, not a URL)", p)
		case err != nil || u.Fragment != "" || strings.ContainsFunc(p, func(c rune) bool { return unicode.IsSpace(c) || unicode.IsControl(c) }):
			r.fail(key, "%q is not a URL path (no spaces, control characters or #fragment)", p)
		case seen[p]:
			r.fail(key, "%q is listed more than once", p)
		default:
			seen[p] = true
			continue
		}
		return nil
	}
	return paths
}

// SmokeDashboards validates inter-hub:smoke.dashboards alone, for the smoke checks: nil when it
// is unset, Problems naming the key when it is invalid.
func SmokeDashboards(src Source) ([]string, error) {
	r := &reader{src: src}
	paths := r.urlPaths("smoke.dashboards")
	return paths, r.err()
}
