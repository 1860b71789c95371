package route

import (
	"encoding/json"
	"testing"

	"github.com/coulomb-social/inter-hub-deploy/sandbox/edge/kube"
)

// ingresses are parsed from JSON as the apiserver sends them.
const ingressesJSON = `[
 {"metadata": {"namespace": "hub", "name": "app",
   "annotations": {"traefik.ingress.kubernetes.io/router.entrypoints": "websecure"}},
  "spec": {"ingressClassName": "traefik", "rules": [
   {"host": "inter-hub.localhost", "http": {"paths": [
     {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "app", "port": {"name": "http"}}}},
     {"path": "/api", "pathType": "Prefix", "backend": {"service": {"name": "api", "port": {"number": 8080}}}},
     {"path": "/healthz", "pathType": "Exact", "backend": {"service": {"name": "health", "port": {"number": 80}}}}]}}]}},
 {"metadata": {"namespace": "hub", "name": "app-http",
   "annotations": {"traefik.ingress.kubernetes.io/router.entrypoints": "web"}},
  "spec": {"ingressClassName": "traefik", "rules": [
   {"host": "inter-hub.localhost", "http": {"paths": [
     {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "redirect", "port": {"number": 80}}}}]}}]}},
 {"metadata": {"namespace": "other", "name": "nginx-class"},
  "spec": {"ingressClassName": "nginx", "rules": [
   {"host": "nginx.localhost", "http": {"paths": [
     {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "nginx", "port": {"number": 80}}}}]}}]}},
 {"metadata": {"namespace": "wild", "name": "wildcard"},
  "spec": {"ingressClassName": "traefik", "rules": [
   {"host": "*.apps.localhost", "http": {"paths": [
     {"path": "/", "pathType": "ImplementationSpecific", "backend": {"service": {"name": "wild", "port": {"number": 80}}}}]}},
   {"host": "exact.apps.localhost", "http": {"paths": [
     {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "exact", "port": {"number": 80}}}}]}}]}},
 {"metadata": {"namespace": "catch", "name": "default"},
  "spec": {"ingressClassName": "traefik",
   "defaultBackend": {"service": {"name": "fallback", "port": {"number": 80}}}}}
]`

func ingresses(t *testing.T) []kube.Ingress {
	t.Helper()
	var ings []kube.Ingress
	if err := json.Unmarshal([]byte(ingressesJSON), &ings); err != nil {
		t.Fatal(err)
	}
	return ings
}

func TestMatch(t *testing.T) {
	ings := ingresses(t)
	for _, tc := range []struct {
		host, path string
		want       string // namespace/service of the best route; "" for none
		rule       string
	}{
		{"inter-hub.localhost", "/", "hub/app", "Host(`inter-hub.localhost`) && PathPrefix(`/`)"},
		{"Inter-Hub.LOCALHOST:8443", "/static/app.css", "hub/app", ""},
		{"inter-hub.localhost", "/api/v2/hubs", "hub/api", "Host(`inter-hub.localhost`) && (Path(`/api`) || PathPrefix(`/api/`))"},
		{"inter-hub.localhost", "/api", "hub/api", ""},
		// Prefix matches whole segments (Traefik v3), so /apis is the app's.
		{"inter-hub.localhost", "/apis", "hub/app", ""},
		{"inter-hub.localhost", "/healthz", "hub/health", "Host(`inter-hub.localhost`) && Path(`/healthz`)"},
		{"inter-hub.localhost", "/healthz/x", "hub/app", ""},
		// Another class is not Traefik's; the web-only Ingress is not on websecure. The default
		// backend catches what no rule matches.
		{"nginx.localhost", "/", "catch/fallback", "PathPrefix(`/`) (default backend)"},
		{"a.apps.localhost", "/x", "wild/wild", "HostRegexp(`^[a-zA-Z0-9-]+\\.apps\\.localhost$`) && PathPrefix(`/`)"},
		// One label only.
		{"a.b.apps.localhost", "/", "catch/fallback", ""},
		// HostRegexp(...) is a longer rule than Host(`exact...`): Traefik prefers the wildcard.
		{"exact.apps.localhost", "/", "wild/wild", ""},
	} {
		rs := Match(ings, "traefik", "websecure", tc.host, tc.path)
		got := ""
		if len(rs) > 0 {
			got = rs[0].Namespace + "/" + rs[0].Backend.Name
		}
		if got != tc.want {
			t.Errorf("%s%s: routed to %q, want %q (routes %v)", tc.host, tc.path, got, tc.want, rs)
			continue
		}
		if tc.rule != "" && rs[0].Rule != tc.rule {
			t.Errorf("%s%s: rule %s, want %s", tc.host, tc.path, rs[0].Rule, tc.rule)
		}
	}
}

func TestMatchNothing(t *testing.T) {
	ings := ingresses(t)[:4] // without the default backend
	if rs := Match(ings, "traefik", "websecure", "unknown.localhost", "/"); len(rs) != 0 {
		t.Errorf("unknown host matched %v", rs)
	}
	// The http-only Ingress answers on the web entrypoint.
	rs := Match(ings, "traefik", "web", "inter-hub.localhost", "/")
	if len(rs) != 1 || rs[0].Backend.Name != "redirect" {
		t.Errorf("web entrypoint: %v", rs)
	}
	if rs := Match(ings, "other-class", "websecure", "inter-hub.localhost", "/"); len(rs) != 0 {
		t.Errorf("class other-class matched %v", rs)
	}
}

func TestMatchOrdersAllCandidates(t *testing.T) {
	rs := Match(ingresses(t), "traefik", "websecure", "inter-hub.localhost", "/api/x")
	var got []string
	for _, r := range rs {
		got = append(got, r.Backend.Name)
	}
	want := []string{"api", "app", "fallback"}
	if len(got) != len(want) {
		t.Fatalf("candidates %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("candidates %v, want %v", got, want)
		}
	}
}
