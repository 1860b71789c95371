//go:build integration

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
	"github.com/coulomb-social/inter-hub-deploy/test/support/standin"
)

// TestSmokeAcrossARolloutRestart runs `interhub smoke --restart` against the stand-in's real
// kube-apiserver: the Deployment's pods are replaced (new pod names, a new restartedAt
// annotation) between two rounds of checks of an HTTP endpoint, the old pods' exits (0 after
// SIGTERM) are reported, and a rollout that cannot finish fails the command.
func TestSmokeAcrossARolloutRestart(t *testing.T) {
	env := standin.Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	ns, kubectl := restartNamespace(t, ctx, env, "ops-smoke")
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
      terminationGracePeriodSeconds: 5
      containers: [{name: app, image: %s, command: [sh, -c, 'trap "exit 0" TERM; sleep 3600 & wait']}]
`, ns, env.Kubernetes.Node, env.Registry.Images["busybox"]), "apply", "-f", "-")
	kubectl("", "-n", ns, "rollout", "status", "deployment/app", "--timeout=120s")
	podsBefore := kubectl("", "-n", ns, "get", "pods", "-l", "app=inter-hub", "-o", "jsonpath={.items[*].metadata.name}")

	srv := appEndpoints()
	defer srv.Close()
	procEnv := append(envWithToolchain(t), "SMOKE_KEY=restart-key")
	out, code := interhub(t, t.TempDir(), procEnv, "", "smoke", "--url", srv.URL, "--api-key-env", "SMOKE_KEY",
		"--restart", ns+"/app", "--kubeconfig", env.Kubernetes.Kubeconfig, "--context", env.Kubernetes.Context,
		"--rollout-timeout", "2m")
	// 5 checks, the restart, the 2 old pods, 5 checks.
	if code != 0 || strings.Count(out, "PASS") != 13 || !strings.Contains(out, "== smoke checks after the restart") ||
		strings.Count(out, "app: exit 0 (Completed)") != 2 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	for _, p := range strings.Fields(podsBefore) {
		if !strings.Contains(out, "PASS  old pod "+p+" ") {
			t.Errorf("no result for the old pod %s:\n%s", p, out)
		}
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

// TestSmokeRestartJudgesHowTheOldPodsExit restarts, on the stand-in's real kubelet, Deployments
// whose containers end in different ways after SIGTERM, and checks what `interhub smoke
// --restart` makes of each old pod: exit 0 passes; exit 3 fails; a process that ignores SIGTERM
// (sleep as PID 1) is killed when its grace period runs out (exit 137) and fails.
func TestSmokeRestartJudgesHowTheOldPodsExit(t *testing.T) {
	env := standin.Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	ns, kubectl := restartNamespace(t, ctx, env, "ops-sigterm")
	srv := appEndpoints()
	defer srv.Close()
	procEnv := append(envWithToolchain(t), "SMOKE_KEY=restart-key")

	cases := []struct {
		name     string
		replicas int
		command  string // the container's command, as YAML
		code     int    // interhub's exit status
		want     string // each old pod's line
	}{
		{"clean", 2, `[sh, -c, 'trap "exit 0" TERM; sleep 3600 & wait']`, 0, "app: exit 0 (Completed)"},
		{"failing", 1, `[sh, -c, 'trap "exit 3" TERM; sleep 3600 & wait']`, 1, "app: exit 3 (Error)"},
		{"stubborn", 1, `[sleep, "3600"]`, 1, "app: exit 137 (Error)"},
	}
	for _, tc := range cases {
		kubectl(fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata: {name: %[1]s, namespace: %[2]s}
spec:
  replicas: %[3]d
  selector: {matchLabels: {app: %[1]s}}
  template:
    metadata: {labels: {app: %[1]s}}
    spec:
      nodeSelector: {kubernetes.io/hostname: %[4]s}
      imagePullSecrets: [{name: pull}]
      terminationGracePeriodSeconds: 3
      containers: [{name: app, image: %[5]s, command: %[6]s}]
`, tc.name, ns, tc.replicas, env.Kubernetes.Node, env.Registry.Images["busybox"], tc.command), "apply", "-f", "-")
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			kubectl("", "-n", ns, "rollout", "status", "deployment/"+tc.name, "--timeout=120s")
			podsBefore := strings.Fields(kubectl("", "-n", ns, "get", "pods", "-l", "app="+tc.name, "-o", "jsonpath={.items[*].metadata.name}"))
			out, code := interhub(t, t.TempDir(), procEnv, "", "smoke", "--url", srv.URL, "--api-key-env", "SMOKE_KEY",
				"--restart", ns+"/"+tc.name, "--kubeconfig", env.Kubernetes.Kubeconfig, "--context", env.Kubernetes.Context,
				"--rollout-timeout", "2m")
			t.Logf("interhub smoke --restart %s/%s:\n%s", ns, tc.name, out)
			if code != tc.code || len(podsBefore) != tc.replicas {
				t.Fatalf("exit %d, want %d; %d pods before, want %d", code, tc.code, len(podsBefore), tc.replicas)
			}
			status := "PASS"
			if tc.code != 0 {
				status = "FAIL"
			}
			for _, p := range podsBefore {
				line := ""
				for _, l := range strings.Split(out, "\n") {
					if strings.HasPrefix(l, status+"  old pod "+p+" ") {
						line = l
					}
				}
				if !strings.Contains(line, tc.want) {
					t.Errorf("old pod %s: want a %s line with %q", p, status, tc.want)
				}
			}
			if tc.name == "stubborn" && !strings.Contains(out, "killed with SIGKILL, it had not exited when its grace period of 3s ran out") {
				t.Error("the killed pod's line does not say why it failed")
			}
			// The second round of checks runs all the same.
			if !strings.Contains(out, "== smoke checks after the restart") {
				t.Error("no checks after the restart")
			}
		})
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

// appEndpoints answers the smoke checks' requests as the app does (API key "restart-key"): the
// restart tests are about the pods of the Deployment, not about the app.
func appEndpoints() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
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
		case "/capabilities":
			fmt.Fprint(w, `{"app":"inter-hub"}`)
		default:
			http.NotFound(w, r)
		}
	}))
}

// restartNamespace makes a namespace (named prefix-N, removed at the end) whose pods can pull
// from the stand-in's registry, and returns it with a kubectl that fails the test on error.
func restartNamespace(t *testing.T, ctx context.Context, env *sandboxenv.Env, prefix string) (string, func(stdin string, args ...string) string) {
	t.Helper()
	ns := fmt.Sprintf("%s-%d", prefix, time.Now().UnixNano()%100000)
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
	return ns, kubectl
}
