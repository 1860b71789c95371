package ops_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coulomb-social/inter-hub-deploy/sandbox/sandboxenv"
)

// TestSmokeAcrossARolloutRestart runs `interhub smoke --restart` against the stand-in's real
// kube-apiserver: the Deployment's pods are replaced (new pod names, a new restartedAt
// annotation) between two rounds of checks of an HTTP endpoint, and a rollout that cannot
// finish fails the command.
func TestSmokeAcrossARolloutRestart(t *testing.T) {
	env := sandboxenv.Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	ns := fmt.Sprintf("ops-smoke-%d", time.Now().UnixNano()%100000)
	kubectl := func(stdin string, args ...string) string {
		t.Helper()
		out, err := env.Kubectl(ctx, strings.NewReader(stdin), args...)
		if err != nil {
			t.Fatal(err)
		}
		return string(out)
	}
	kubectl("", "create", "namespace", ns)
	t.Cleanup(func() { _, _ = env.Kubectl(context.Background(), nil, "delete", "namespace", ns, "--wait=false") })
	if err := env.PullSecret(ctx, ns, "pull"); err != nil {
		t.Fatal(err)
	}
	kubectl(fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata: {name: app, namespace: %s}
spec:
  replicas: 2
  selector: {matchLabels: {app: inter-hub}}
  template:
    metadata: {labels: {app: inter-hub}}
    spec:
      nodeSelector: {kubernetes.io/hostname: %s}
      imagePullSecrets: [{name: pull}]
      terminationGracePeriodSeconds: 1
      containers: [{name: app, image: %s, command: [sleep, "3600"]}]
`, ns, env.Kubernetes.Node, env.Registry.Images["busybox"]), "apply", "-f", "-")
	kubectl("", "-n", ns, "rollout", "status", "deployment/app", "--timeout=120s")
	podsBefore := kubectl("", "-n", ns, "get", "pods", "-l", "app=inter-hub", "-o", "jsonpath={.items[*].metadata.name}")

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			fmt.Fprint(w, `<html><head><link rel="stylesheet" href="/static/app.css"></head><body>Inter-Hub</body></html>`)
		case "/api/v2/hubs":
			if r.Header.Get("Authorization") != "Bearer restart-key" {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			fmt.Fprint(w, "[]")
		case "/static/app.css":
			w.Header().Set("Content-Type", "text/css")
			fmt.Fprint(w, "body{}")
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	procEnv := append(envWithToolchain(t), "SMOKE_KEY=restart-key")
	out, code := interhub(t, t.TempDir(), procEnv, "", "smoke", "--url", srv.URL, "--api-key-env", "SMOKE_KEY",
		"--restart", ns+"/app", "--kubeconfig", env.Kubernetes.Kubeconfig, "--context", env.Kubernetes.Context,
		"--rollout-timeout", "2m")
	if code != 0 || strings.Count(out, "PASS") != 9 || !strings.Contains(out, "== smoke checks after the restart") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	// The old pods were deleted by the restart: real ones take their grace period to go.
	for _, p := range strings.Fields(podsBefore) {
		if _, err := env.Kubectl(ctx, nil, "-n", ns, "wait", "--for=delete", "pod/"+p, "--timeout=60s"); err != nil {
			t.Fatalf("pod %s survived the restart: %v", p, err)
		}
	}
	if a := kubectl("", "-n", ns, "get", "deployment", "app", "-o", `jsonpath={.spec.template.metadata.annotations.kubectl\.kubernetes\.io/restartedAt}`); a == "" {
		t.Fatal("the Deployment has no restartedAt annotation")
	}

	// A rollout that cannot finish (no node matches) fails the restart step and the command.
	kubectl("", "-n", ns, "patch", "deployment", "app", "--type=merge", "-p",
		`{"spec":{"template":{"spec":{"nodeSelector":{"kubernetes.io/hostname":"no-such-node"}}}}}`)
	out, code = interhub(t, t.TempDir(), procEnv, "", "smoke", "--url", srv.URL, "--api-key-env", "SMOKE_KEY",
		"--restart", ns+"/app", "--kubeconfig", env.Kubernetes.Kubeconfig, "--context", env.Kubernetes.Context,
		"--rollout-timeout", "15s")
	if code != 1 || !strings.Contains(out, "FAIL  rollout restart "+ns+"/app") {
		t.Fatalf("a stuck rollout must fail: exit %d\n%s", code, out)
	}
}

// envWithToolchain is the process environment with the toolchain's PATH (kubectl).
func envWithToolchain(t *testing.T) []string {
	t.Helper()
	bin, err := sandboxenv.KubectlPath()
	if err != nil {
		t.Fatal(err)
	}
	env := []string{}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PATH=") {
			env = append(env, kv)
		}
	}
	return append(env, "PATH="+filepath.Dir(bin)+string(os.PathListSeparator)+os.Getenv("PATH"))
}
