package main_test

// Integration test of the edge that `sandbox/sandbox.sh up` runs: an app deployed to the
// sandbox's cluster with an image built and pushed by the program's own build script, checked
// with the real smoke checks through the edge; then the pods go away (503) and the Ingress
// goes away (404). Skipped when the sandbox is not up (failed under INTERHUB_REQUIRE_SANDBOX=1).

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coulomb-social/inter-hub-deploy/internal/smoke"
	"github.com/coulomb-social/inter-hub-deploy/sandbox/sandboxenv"
)

func randomHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

var imageLine = regexp.MustCompile(`^[^\s@]+@sha256:[0-9a-f]{64}$`)

// buildAndPush runs the program's build script (components/imagebuild.sh: nix build .#docker,
// skopeo push, one image line out) over SSH on the sandbox's build host, in a clone of its own
// so that the shared build checkout is left alone, and returns the image by digest.
func buildAndPush(t *testing.T, env *sandboxenv.Env, revision, repository string) string {
	t.Helper()
	script, err := os.ReadFile(filepath.Join(env.Repo, "components", "imagebuild.sh"))
	if err != nil {
		t.Fatal(err)
	}
	client, err := env.BuildHost.Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	s, err := client.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// Arguments as the script documents them: checkout revision registry repository user attr;
	// the registry password is the first line of stdin.
	cmd := fmt.Sprintf(`set -e
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git clone -q "$HOME/sandbox-haskelseed/origin.git" "$tmp/inter-hub" </dev/null >&2
timeout 300 sh -c %s inter-hub-build "$tmp/inter-hub" %s %s %s %s .#docker`,
		shellQuote(string(script)), shellQuote(revision), shellQuote(env.Registry.Host), shellQuote(repository), shellQuote(env.Registry.User))
	var stdout, stderr bytes.Buffer
	s.Stdout, s.Stderr, s.Stdin = &stdout, &stderr, strings.NewReader(env.Registry.Password+"\n")
	if err := s.Run(cmd); err != nil {
		t.Fatalf("build of %s: %v\n%s", revision, err, stderr.String())
	}
	image := strings.TrimSpace(stdout.String())
	if !imageLine.MatchString(image) {
		t.Fatalf("build of %s printed %q", revision, image)
	}
	t.Cleanup(func() {
		digest := image[strings.Index(image, "@")+1:]
		if err := env.Registry.DeleteManifest(context.Background(), repository, digest); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	return image
}

const manifests = `
apiVersion: v1
kind: Secret
metadata: {name: app-env}
stringData:
  INTERHUB_API_KEY: %[1]s
  IHP_ENV: Production
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: app
        image: %[2]s
        envFrom: [{secretRef: {name: app-env}}]
        ports: [{name: http, containerPort: 8000}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 8000, targetPort: http}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  annotations:
    traefik.ingress.kubernetes.io/router.entrypoints: websecure
    traefik.ingress.kubernetes.io/router.tls: "true"
spec:
  ingressClassName: traefik
  tls: [{hosts: [%[3]s], secretName: web-tls}]
  rules:
  - host: %[3]s
    http:
      paths:
      - path: /
        pathType: Prefix
        backend: {service: {name: web, port: {name: http}}}
`

// eventually polls check until it returns "" or the timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, check func() string) {
	t.Helper()
	start := time.Now()
	for {
		detail := check()
		if detail == "" {
			t.Logf("%s: after %.1f s", what, time.Since(start).Seconds())
			return
		}
		if time.Since(start) > timeout {
			t.Fatalf("timed out after %s waiting for %s; last: %s", timeout, what, detail)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

type answer struct {
	status      int
	image, pod  string
	contentType string
	body        string
}

func get(t *testing.T, c *http.Client, url string, header ...string) answer {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header.Get("X-Inter-Hub-Image"), resp.Header.Get("X-Inter-Hub-Pod"), resp.Header.Get("Content-Type"), string(b)}
}

func runSmoke(t *testing.T, checker *smoke.Checker) ([]smoke.Result, string) {
	t.Helper()
	rs := checker.Run(t.Context())
	var out bytes.Buffer
	smoke.Write(&out, rs)
	return rs, out.String()
}

func TestEdgeServesTheDeployedApp(t *testing.T) {
	env := sandboxenv.Require(t)
	if env.Edge.ConnectTo == "" {
		t.Fatal(sandboxenv.ErrNoEdge)
	}
	suffix := randomHex(t, 4)
	repository := "edge-test/inter-hub-" + suffix
	v1 := buildAndPush(t, env, "v1", repository)
	v2 := buildAndPush(t, env, "v2", repository)
	t.Logf("images: v1 %s, v2 %s", v1, v2)

	ns := "edge-test-" + suffix
	host := ns + ".localhost"
	key := "edge-key-" + randomHex(t, 12)
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()
	if _, err := env.Kubectl(ctx, nil, "create", "namespace", ns); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cctx, ccancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer ccancel()
		if _, err := env.Kubectl(cctx, nil, "delete", "namespace", ns, "--wait=true", "--timeout=80s"); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	if _, err := env.Kubectl(ctx, strings.NewReader(fmt.Sprintf(manifests, key, v1, host)), "-n", ns, "apply", "-f", "-"); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Kubectl(ctx, nil, "-n", ns, "rollout", "status", "deployment/web", "--timeout=90s"); err != nil {
		t.Fatal(err)
	}

	// The real smoke checks, as `interhub smoke --url https://HOST --connect-to --ca-file` runs them.
	checker, err := smoke.New(smoke.Options{BaseURL: "https://" + host, APIKey: key, ConnectTo: env.Edge.ConnectTo, CAFile: env.Edge.CAFile})
	if err != nil {
		t.Fatal(err)
	}
	var report string
	eventually(t, 30*time.Second, "smoke checks to pass through the edge", func() string {
		rs, out := runSmoke(t, checker)
		report = out
		if smoke.Failed(rs) != 0 {
			return out
		}
		return ""
	})
	t.Logf("smoke checks, 2 replicas of v1:\n%s", report)

	// What the edge served came from this deployment: its digest, its image's stylesheet, both pods.
	c, err := env.Edge.Client()
	if err != nil {
		t.Fatal(err)
	}
	base := env.Edge.URLFor(host)
	css := get(t, c, base+"/static/app.css")
	if css.image != v1 || !strings.Contains(css.body, "Inter-Hub sample stylesheet, v1") || !strings.HasPrefix(css.contentType, "text/css") {
		t.Errorf("stylesheet: %+v", css)
	}
	// The edge reads the Service's EndpointSlices, which the endpoint controller updates a
	// moment after the rollout reports both pods ready; from then on, round robin reaches each.
	eventually(t, 30*time.Second, "both replicas to answer", func() string {
		pods := map[string]bool{}
		for range 4 {
			pods[get(t, c, base+"/").pod] = true
		}
		if len(pods) != 2 {
			return fmt.Sprintf("pods that answered: %v, want the 2 replicas", pods)
		}
		return ""
	})
	if a := get(t, c, base+"/api/v2/hubs", "Authorization", "Bearer not-"+key); a.status != 401 {
		t.Errorf("wrong key: HTTP %d", a.status)
	}

	// A new revision rolls out: the new digest is live, with its own stylesheet.
	if _, err := env.Kubectl(ctx, nil, "-n", ns, "set", "image", "deployment/web", "app="+v2); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Kubectl(ctx, nil, "-n", ns, "rollout", "status", "deployment/web", "--timeout=90s"); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "v2 to be live", func() string {
		a := get(t, c, base+"/static/app.css")
		if a.image != v2 || !strings.Contains(a.body, "Inter-Hub sample stylesheet, v2") {
			return fmt.Sprintf("HTTP %d image %s body %.60q", a.status, a.image, a.body)
		}
		return ""
	})
	if rs, out := runSmoke(t, checker); smoke.Failed(rs) != 0 {
		t.Fatalf("smoke checks after the update to v2:\n%s", out)
	}

	// The key is read from the pod's Secret: without it the edge says so (502).
	if _, err := env.Kubectl(ctx, nil, "-n", ns, "delete", "secret", "app-env"); err != nil {
		t.Fatal(err)
	}
	if a := get(t, c, base+"/api/v2/hubs", "Authorization", "Bearer "+key); a.status != 502 ||
		!strings.Contains(a.body, "secret "+ns+"/app-env") || a.image != v2 {
		t.Errorf("secret deleted: HTTP %d %q (image %s), want 502 naming the secret", a.status, a.body, a.image)
	}

	// No pods: Traefik's 503, and every smoke check fails.
	if _, err := env.Kubectl(ctx, nil, "-n", ns, "scale", "deployment/web", "--replicas=0"); err != nil {
		t.Fatal(err)
	}
	eventually(t, 60*time.Second, "smoke checks to fail with 503 after scaling to 0", func() string {
		rs, out := runSmoke(t, checker)
		report = out
		if smoke.Failed(rs) != len(rs) || strings.Count(out, "HTTP 503") < 3 {
			return out
		}
		return ""
	})
	t.Logf("smoke checks, 0 replicas:\n%s", report)
	if a := get(t, c, base+"/"); a.status != 503 || a.body != "no available server\n" {
		t.Errorf("scaled to 0: HTTP %d %q", a.status, a.body)
	}

	// No Ingress: no route, Traefik's 404.
	if _, err := env.Kubectl(ctx, nil, "-n", ns, "delete", "ingress", "web"); err != nil {
		t.Fatal(err)
	}
	if a := get(t, c, base+"/"); a.status != 404 || a.body != "404 page not found\n" {
		t.Errorf("ingress deleted: HTTP %d %q", a.status, a.body)
	}
	if rs, out := runSmoke(t, checker); smoke.Failed(rs) != len(rs) || !strings.Contains(out, "HTTP 404") {
		t.Errorf("smoke checks with no Ingress must fail with 404:\n%s", out)
	}
}
