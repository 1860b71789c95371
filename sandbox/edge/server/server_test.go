package server

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coulomb-social/inter-hub-deploy/internal/kubeconfig"
	"github.com/coulomb-social/inter-hub-deploy/internal/smoke"
	"github.com/coulomb-social/inter-hub-deploy/sandbox/edge/image"
	"github.com/coulomb-social/inter-hub-deploy/sandbox/edge/internal/fakeregistry"
	"github.com/coulomb-social/inter-hub-deploy/sandbox/edge/kube"
)

const (
	apiKey     = "k3y-for-the-edge-test"
	stylesheet = "/* Inter-Hub test stylesheet */\nh1 { color: teal; }\n"
	host       = "inter-hub.localhost"
)

type fixture struct {
	cluster *fakeCluster
	reg     *fakeregistry.Registry
	image   string
	edge    *Server
	logMu   sync.Mutex
	logs    bytes.Buffer
}

func (f *fixture) Write(p []byte) (int, error) {
	f.logMu.Lock()
	defer f.logMu.Unlock()
	return f.logs.Write(p)
}

func (f *fixture) log() string {
	f.logMu.Lock()
	defer f.logMu.Unlock()
	return f.logs.String()
}

// setup: namespace hub with Ingress inter-hub.localhost -> Service app -> two ready pods whose
// image (in the fake registry) holds app/static/app.css and whose Secret holds the API key.
func setup(t *testing.T) *fixture {
	f := &fixture{cluster: newFakeCluster(t), reg: fakeregistry.New(t, "pusher", "pw")}
	layer := fakeregistry.Layer(t, true,
		fakeregistry.File{Name: "app/static/app.css", Body: stylesheet},
		fakeregistry.File{Name: "app/bin/inter-hub", Body: "binary"})
	digest := f.reg.Push(t, "inter-hub", "/app", map[string]string{"org.opencontainers.image.revision": "0123abc"}, layer)
	f.image = f.reg.Host() + "/inter-hub@" + digest
	f.cluster.set(func(c *fakeCluster) {
		c.ingresses = []string{ingressJSON("hub", "app", "traefik", host, "app")}
		c.objects[objPath("hub", "services", "app")] = serviceJSON("hub", "app", "inter-hub")
		c.objects[objPath("hub", "secrets", "app-env")] = secretJSON("hub", "app-env", map[string]string{"INTERHUB_API_KEY": apiKey})
		c.slices["hub/app"] = []string{sliceJSON("hub", "app", endpoint{"10.42.0.5", true}, endpoint{"10.42.0.6", true})}
		c.pods["hub"] = []string{
			podJSON("hub", "app-1", "inter-hub", "10.42.0.5", true, f.image, "app-env"),
			podJSON("hub", "app-2", "inter-hub", "10.42.0.6", true, f.image, "app-env"),
		}
	})
	tlsCfg := f.cluster.server.Client().Transport.(*http.Transport).TLSClientConfig
	kc := kube.NewClient(&kubeconfig.Target{Server: f.cluster.server.URL, TLS: tlsCfg}, 2*time.Second)
	store := image.NewStore(&image.Registry{Host: f.reg.Host(), User: "pusher", Password: "pw", HTTP: f.reg.Server.Client()}, 4, 1<<20)
	f.edge = New(Config{Kube: kc, Images: store, IngressClass: "traefik", Entrypoint: "websecure",
		Log: slog.New(slog.NewTextHandler(f, nil)), Timeout: 5 * time.Second})
	return f
}

func (f *fixture) get(t *testing.T, host, path string, header ...string) *http.Response {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, "https://"+host+path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	f.edge.ServeHTTP(w, r)
	return w.Result()
}

func body(t *testing.T, r *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestUnknownHostIs404LikeTraefik(t *testing.T) {
	f := setup(t)
	for _, h := range []string{"unknown.localhost", "127.0.0.1:8443"} {
		r := f.get(t, h, "/")
		if b := body(t, r); r.StatusCode != 404 || b != "404 page not found\n" {
			t.Errorf("%s: HTTP %d %q, want Traefik's 404", h, r.StatusCode, b)
		}
		if r.Header.Get(ImageHeader) != "" {
			t.Errorf("%s: a 404 without a route names an image", h)
		}
	}
	// An Ingress of another class, or one whose Service is missing, is not routed either.
	f.cluster.set(func(c *fakeCluster) {
		c.ingresses = []string{ingressJSON("hub", "app", "nginx", host, "app"), ingressJSON("hub", "gone", "traefik", host, "missing")}
	})
	if r := f.get(t, host, "/"); r.StatusCode != 404 {
		t.Errorf("other class / missing service: HTTP %d, want 404", r.StatusCode)
	}
}

func TestNoReadyEndpointsIs503(t *testing.T) {
	f := setup(t)
	f.cluster.set(func(c *fakeCluster) {
		c.slices["hub/app"] = []string{sliceJSON("hub", "app", endpoint{"10.42.0.5", false})}
	})
	r := f.get(t, host, "/")
	if b := body(t, r); r.StatusCode != 503 || b != "no available server\n" {
		t.Errorf("not-ready endpoint: HTTP %d %q, want 503 no available server", r.StatusCode, b)
	}
	// Scaled to zero: no endpoints at all (and no Endpoints object either).
	f.cluster.set(func(c *fakeCluster) { delete(c.slices, "hub/app") })
	if r := f.get(t, host, "/"); r.StatusCode != 503 {
		t.Errorf("no endpoints: HTTP %d, want 503", r.StatusCode)
	}
	// A ready endpoint whose pod is not Ready (or not selected) does not count.
	f.cluster.set(func(c *fakeCluster) {
		c.slices["hub/app"] = []string{sliceJSON("hub", "app", endpoint{"10.42.0.5", true})}
		c.pods["hub"] = []string{podJSON("hub", "app-1", "inter-hub", "10.42.0.5", false, f.image, "app-env")}
	})
	if r := f.get(t, host, "/"); r.StatusCode != 503 {
		t.Errorf("pod not Ready: HTTP %d, want 503", r.StatusCode)
	}
}

func TestServesOnBehalfOfTheReadyPods(t *testing.T) {
	f := setup(t)
	r := f.get(t, host, "/")
	page := body(t, r)
	if r.StatusCode != 200 || !strings.Contains(page, "<title>Inter-Hub</title>") || !strings.Contains(page, "<h1>Inter-Hub</h1>") {
		t.Fatalf("landing: HTTP %d %q", r.StatusCode, page)
	}
	if href := smoke.StylesheetHref([]byte(page)); href != "/static/app.css" {
		t.Errorf("stylesheet link %q", href)
	}
	if r.Header.Get(ImageHeader) != f.image || !strings.Contains(page, "revision 0123abc") {
		t.Errorf("image header %q, page %q", r.Header.Get(ImageHeader), page)
	}

	r = f.get(t, host, "/static/app.css")
	if b := body(t, r); r.StatusCode != 200 || b != stylesheet || r.Header.Get("Content-Type") != "text/css; charset=utf-8" {
		t.Errorf("stylesheet: HTTP %d %q %q", r.StatusCode, r.Header.Get("Content-Type"), b)
	}
	if r := f.get(t, host, "/static/missing.css"); r.StatusCode != 404 || r.Header.Get(ImageHeader) != f.image {
		t.Errorf("missing static file: HTTP %d, image %q", r.StatusCode, r.Header.Get(ImageHeader))
	}

	for _, tc := range []struct {
		auth string
		code int
	}{{"", 401}, {"Bearer wrong", 401}, {"Basic " + apiKey, 401}, {"Bearer " + apiKey, 200}} {
		r := f.get(t, host, "/api/v2/hubs", "Authorization", tc.auth)
		b := body(t, r)
		if r.StatusCode != tc.code {
			t.Errorf("API with %q: HTTP %d %q, want %d", tc.auth, r.StatusCode, b, tc.code)
		}
		if tc.code == 200 && (b != "[]\n" || r.Header.Get("Content-Type") != "application/json") {
			t.Errorf("API: %q %q, want a JSON list", r.Header.Get("Content-Type"), b)
		}
	}

	// Both ready pods answer in turn.
	seen := map[string]bool{}
	for range 4 {
		seen[f.get(t, host, "/").Header.Get(PodHeader)] = true
	}
	if !seen["hub/app-1"] || !seen["hub/app-2"] || len(seen) != 2 {
		t.Errorf("pods seen: %v", seen)
	}
	if strings.Contains(f.log(), apiKey) {
		t.Error("the API key is in the edge's log")
	}
}

func TestTheKeyComesFromThePodsSecret(t *testing.T) {
	f := setup(t)
	f.cluster.set(func(c *fakeCluster) {
		c.objects[objPath("hub", "secrets", "app-env")] = secretJSON("hub", "app-env", map[string]string{"INTERHUB_API_KEY": "rotated"})
	})
	if r := f.get(t, host, "/api/v2/hubs", "Authorization", "Bearer "+apiKey); r.StatusCode != 401 {
		t.Errorf("old key after rotation: HTTP %d, want 401", r.StatusCode)
	}
	if r := f.get(t, host, "/api/v2/hubs", "Authorization", "Bearer rotated"); r.StatusCode != 200 {
		t.Errorf("new key: HTTP %d, want 200", r.StatusCode)
	}
}

func TestErrorsAre502WithTheCause(t *testing.T) {
	for _, tc := range []struct {
		name   string
		break_ func(f *fixture)
		want   string
		image  bool // the pod is known, so its image is named
	}{
		{"secret missing", func(f *fixture) {
			f.cluster.set(func(c *fakeCluster) { delete(c.objects, objPath("hub", "secrets", "app-env")) })
		}, "secret hub/app-env (envFrom of container app) not found", true},
		{"key missing from the secret", func(f *fixture) {
			f.cluster.set(func(c *fakeCluster) {
				c.objects[objPath("hub", "secrets", "app-env")] = secretJSON("hub", "app-env", map[string]string{"OTHER": "x"})
			})
		}, "has no INTERHUB_API_KEY", true},
		{"image not pinned", func(f *fixture) {
			f.cluster.set(func(c *fakeCluster) {
				c.pods["hub"] = []string{podJSON("hub", "app-1", "inter-hub", "10.42.0.5", true, f.reg.Host()+"/inter-hub:v1", "app-env")}
			})
		}, "is not pinned by digest", true},
		{"image unknown to the registry", func(f *fixture) {
			f.cluster.set(func(c *fakeCluster) {
				c.pods["hub"] = []string{podJSON("hub", "app-1", "inter-hub", "10.42.0.5", true,
					f.reg.Host()+"/inter-hub@sha256:"+strings.Repeat("0", 64), "app-env")}
			})
		}, "MANIFEST_UNKNOWN", true},
		{"registry unreachable", func(f *fixture) { f.reg.Server.Close() }, "unreachable", true},
		{"apiserver unreachable", func(f *fixture) { f.cluster.server.Close() }, "listing Ingresses: apiserver unreachable", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := setup(t)
			tc.break_(f)
			path := "/"
			if tc.name == "key missing from the secret" {
				path = "/api/v2/hubs"
			}
			r := f.get(t, host, path)
			b := body(t, r)
			if r.StatusCode != 502 || !strings.Contains(b, tc.want) {
				t.Errorf("HTTP %d %q, want 502 with %q", r.StatusCode, b, tc.want)
			}
			if tc.image != (r.Header.Get(ImageHeader) != "") {
				t.Errorf("image header %q", r.Header.Get(ImageHeader))
			}
			if tc.name != "key missing from the secret" && !strings.Contains(f.log(), tc.want) {
				t.Errorf("the log does not say %q:\n%s", tc.want, f.log())
			}
		})
	}
}

// The real smoke checks, over TLS with --connect-to and a CA file as against the sandbox, pass
// against the edge and fail once the pods are gone.
func TestSmokeChecksAgainstTheEdge(t *testing.T) {
	f := setup(t)
	addr, ca := tlsFor(t, f.edge, host)
	checker, err := smoke.New(smoke.Options{BaseURL: "https://" + host, APIKey: apiKey, ConnectTo: addr, CAFile: ca})
	if err != nil {
		t.Fatal(err)
	}
	rs := checker.Run(context.Background())
	var out bytes.Buffer
	smoke.Write(&out, rs)
	if smoke.Failed(rs) != 0 {
		t.Fatalf("smoke checks failed against the edge:\n%s", out.String())
	}
	t.Logf("\n%s", out.String())

	f.cluster.set(func(c *fakeCluster) { delete(c.slices, "hub/app") })
	rs = checker.Run(context.Background())
	out.Reset()
	smoke.Write(&out, rs)
	if smoke.Failed(rs) != len(rs) || !strings.Contains(out.String(), "HTTP 503") {
		t.Fatalf("with no pods every check must fail with 503:\n%s", out.String())
	}
}
