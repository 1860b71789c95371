//go:build integration

package ops_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/coulomb-social/inter-hub-deploy/sandbox/sandboxenv"
	"github.com/coulomb-social/inter-hub-deploy/test/support/clirun"
)

// These tests run the runbook's procedures for rollback, a release stuck in pending-upgrade and
// pending operations on the program's local stack, as docs/RUNBOOK.md writes them.

func (s *opsStack) deploymentImage(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := s.env.Kubectl(ctx, nil, "-n", s.namespace, "get", "deployment", "inter-hub",
		"-o", "jsonpath={.spec.template.spec.containers[0].image}")
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func (s *opsStack) output(t *testing.T, name string) string {
	t.Helper()
	return strings.TrimSpace(s.ws.MustRun(t, shortTimeout, "stack", "output", name, "--stack", s.name).Stdout)
}

// nixBuilds counts the builds the stand-in build host was asked for.
func nixBuilds(t *testing.T, env *sandboxenv.Env) int {
	t.Helper()
	n, err := env.BuildHost.Builds()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestRollbackOnTheLocalStack: deploy v1, then v2, then `interhub rollback --to 1 --yes` (what
// `make rollback STACK=local TO=1` runs): v1's image digest is live again and nothing was built.
func TestRollbackOnTheLocalStack(t *testing.T) {
	s := newOpsStack(t, "rb")
	image1 := s.output(t, "image")
	if got := s.deploymentImage(t); got != image1 {
		t.Fatalf("deployed image %q, stack output %q", got, image1)
	}
	s.pulumi(t, shortTimeout, "config", "set", "app.revision", "v2")
	s.pulumi(t, upTimeout, "up", "--yes")
	image2 := s.output(t, "image")
	if image2 == image1 || s.deploymentImage(t) != image2 {
		t.Fatalf("v2 not live: v1 %s, v2 %s, deployed %s", image1, image2, s.deploymentImage(t))
	}

	builds := nixBuilds(t, s.env)
	out, code := interhub(t, s.ws.Dir, s.ws.Env, "", "rollback", "--stack", s.name, "--config-file", s.configFile)
	if code != 0 || !strings.Contains(out, strings.SplitN(image1, "@", 2)[1]) || !strings.Contains(out, strings.SplitN(image2, "@", 2)[1]) {
		t.Fatalf("listing: exit %d\n%s", code, out)
	}
	out, code = interhub(t, s.ws.Dir, s.ws.Env, "", "rollback", "--stack", s.name, "--config-file", s.configFile, "--to", "1", "--yes")
	t.Logf("interhub rollback --to 1 --yes:\n%s", out)
	if code != 0 || !strings.Contains(out, `inter-hub:app.revision: "v2" -> "v1"`) {
		t.Fatalf("rollback: exit %d", code)
	}
	if got := s.deploymentImage(t); got != image1 {
		t.Fatalf("after the rollback the Deployment runs %s, want v1's %s", got, image1)
	}
	if got := s.output(t, "image"); got != image1 {
		t.Fatalf("image output %s after the rollback, want %s", got, image1)
	}
	if n := nixBuilds(t, s.env); n != builds {
		t.Fatalf("the rollback ran %d nix build(s); the image was in the registry", n-builds)
	}
	if got := strings.TrimSpace(s.pulumi(t, shortTimeout, "config", "get", "app.revision").Stdout); got != "v1" {
		t.Fatalf("app.revision %q in the stack file after the rollback", got)
	}
	s.pulumi(t, upTimeout, "up", "--yes", "--expect-no-changes")
}

// TestStuckReleaseAndPendingOperationsOnTheLocalStack kills `pulumi up` (SIGKILL, with its
// plugins) while Helm upgrades the release, which leaves the stack locked, a pending update in
// the state and the release's newest revision pending-upgrade. Then it follows the runbook
// without the helm CLI: cancel, delete the stuck revision's Secret, refresh, up.
func TestStuckReleaseAndPendingOperationsOnTheLocalStack(t *testing.T) {
	s := newOpsStack(t, "stuck")
	image1 := s.output(t, "image")
	s.pulumi(t, shortTimeout, "config", "set", "app.revision", "v2")

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	kubectl, err := sandboxenv.KubectlPath()
	if err != nil {
		t.Fatal(err)
	}
	watch := exec.CommandContext(ctx, kubectl, "--kubeconfig", s.env.Kubernetes.Kubeconfig, "--context", s.env.Kubernetes.Context,
		"-n", s.namespace, "get", "secret", "-l", "owner=helm,name=inter-hub,status=pending-upgrade", "--watch", "-o", "name")
	stdout, err := watch.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := watch.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = watch.Process.Kill(); _ = watch.Wait() }()
	seen := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			seen <- strings.TrimSpace(sc.Text())
		}
		close(seen)
	}()

	run := startPulumi(t, s.ws, "up", "--yes", "--skip-preview", "--stack", s.name, "--config-file", s.configFile)
	var stuck string
	select {
	case stuck = <-seen:
	case <-time.After(8 * time.Minute):
	}
	if stuck == "" {
		t.Fatalf("Helm never started the upgrade:\n%s", run.wait(t))
	}
	killTree(t, run.cmd.Process.Pid)
	run.wait(t)
	t.Logf("killed pulumi up while %s was pending-upgrade", stuck)

	statuses := func() string {
		out, err := s.env.Kubectl(ctx, nil, "-n", s.namespace, "get", "secret", "-l", "owner=helm,name=inter-hub",
			"-o", `jsonpath={range .items[*]}{.metadata.labels.version}={.metadata.labels.status} {end}`)
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(out))
	}
	if got := statuses(); !strings.Contains(got, "2=pending-upgrade") || !strings.Contains(got, "1=deployed") {
		t.Fatalf("release revisions after the kill: %q", got)
	} else {
		// The runbook's command, as an operator runs it.
		table, err := s.env.Kubectl(ctx, nil, "-n", s.namespace, "get", "secret", "-l", "owner=helm,name=inter-hub", "-L", "version,status")
		if err != nil || !strings.Contains(string(table), "pending-upgrade") {
			t.Fatalf("kubectl get secret -l owner=helm,name=inter-hub -L version,status: %v\n%s", err, table)
		}
		t.Logf("release revisions after the kill (version=status): %s\n%s", got, table)
	}

	// Runbook, pending operations 1: the lock.
	r := s.ws.Run(t, shortTimeout, "up", "--yes", "--stack", s.name, "--config-file", s.configFile)
	if r.Err == nil || !strings.Contains(r.Output(), "the stack is currently locked by 1 lock(s)") {
		t.Fatalf("up after the kill must fail on the lock:\n%s", r.Output())
	}
	t.Logf("up after the kill: %s", firstLine(r.Output(), "currently locked"))
	s.ws.MustRun(t, shortTimeout, "cancel", "--yes", "--stack", s.name)

	// Runbook, pending operations 2: the release's update is pending.
	ops, err := clirun.PendingOperations(s.export(t))
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, p := range ops {
		found = found || (p.Type == "updating" && strings.Contains(p.URN, "kubernetes:helm.sh/v3:Release"))
	}
	if !found {
		t.Fatalf("no pending update of the release in the state: %+v", ops)
	}

	// The stuck release refuses any upgrade.
	r = s.ws.Run(t, upTimeout, "up", "--yes", "--stack", s.name, "--config-file", s.configFile)
	if r.Err == nil || !strings.Contains(r.Output(), "another operation (install/upgrade/rollback) is in progress") {
		t.Fatalf("up with a stuck release must fail naming it:\n%s", r.Output())
	}
	t.Logf("up with the stuck release: %s", firstLine(r.Output(), "another operation"))

	// Runbook, stuck release: roll back to the last deployed revision.
	out, err := s.env.Helm(ctx, "-n", s.namespace, "rollback", "inter-hub", "1", "--wait", "--timeout", "5m")
	if err != nil {
		t.Fatal(err)
	}
	// The rollback is revision 3; Helm leaves the stuck one listed as pending-upgrade.
	if got := statuses(); !strings.Contains(got, "3=deployed") || !strings.Contains(got, "1=superseded") {
		t.Fatalf("release revisions after helm rollback inter-hub 1: %q", got)
	}
	if img := s.deploymentImage(t); img != image1 {
		t.Fatalf("after helm rollback the Deployment runs %s, want v1's %s", img, image1)
	}
	t.Logf("helm rollback inter-hub 1: %s; revisions %s", strings.TrimSpace(string(out)), statuses())
	s.pulumi(t, upTimeout, "refresh", "--yes")
	s.pulumi(t, upTimeout, "up", "--yes")
	// A pending update is not carried into the next state the CLI writes.
	if ops, err = clirun.PendingOperations(s.export(t)); err != nil {
		t.Fatal(err)
	}
	if len(ops) != 0 {
		t.Fatalf("pending operations after the recovery: %+v", ops)
	}
	image2 := s.output(t, "image")
	if image2 == image1 || s.deploymentImage(t) != image2 {
		t.Fatalf("v2 not live after the recovery: deployed %s, output %s, v1 %s", s.deploymentImage(t), image2, image1)
	}
	if got := statuses(); !strings.Contains(got, "4=deployed") || !strings.Contains(got, "3=superseded") {
		t.Fatalf("release revisions after the recovery: %q", got)
	}
	t.Logf("after refresh and up: revisions %s, deployed image %s", statuses(), s.deploymentImage(t))
	s.pulumi(t, upTimeout, "up", "--yes", "--expect-no-changes")
}

// TestSmokeOnTheLocalStack runs the deploy workflow's smoke step against the program's local
// stack, through the stand-in's Traefik to the app's pods: after the admin account is made as the
// runbook says (the image's create-admin in a pod, with the credentials of the stack's SOPS
// file), the checks with the admin login and the stack's 12 dashboards, a rollout restart whose
// old pods exit 0 after SIGTERM, and the checks again pass; with the app scaled to zero they fail.
func TestSmokeOnTheLocalStack(t *testing.T) {
	s := newOpsStack(t, "smoke")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	secret := func(key string) string {
		t.Helper()
		v, err := s.env.Kubectl(ctx, nil, "-n", s.namespace, "get", "secret", "inter-hub-env", "-o", "jsonpath={.data."+key+"}")
		if err != nil || len(v) == 0 {
			t.Fatalf("the app Secret has no %s: %v", key, err)
		}
		decoded, err := base64.StdEncoding.DecodeString(string(v))
		if err != nil {
			t.Fatal(err)
		}
		return string(decoded)
	}
	key, email, password := secret("INTERHUB_API_KEY"), secret("INTERHUB_ADMIN_EMAIL"), secret("INTERHUB_ADMIN_PASSWORD")
	// Twice: the second run changes nothing.
	for _, want := range []string{"was created", "exists with this password: unchanged"} {
		out, err := s.env.Kubectl(ctx, strings.NewReader(password), "-n", s.namespace, "exec", "-i", "deployment/inter-hub", "-c", "app",
			"--", "create-admin", email)
		if err != nil || !strings.Contains(string(out), want) || strings.Contains(string(out), email) {
			t.Fatalf("create-admin: %v\n%s", err, out)
		}
	}
	env := clirun.MergeEnv(s.ws.Env, map[string]string{
		"INTERHUB_API_KEY": key, "INTERHUB_ADMIN_EMAIL": email, "INTERHUB_ADMIN_PASSWORD": password,
	})
	smoke := func(extra ...string) (string, int) {
		args := append([]string{"smoke", "--url", s.output(t, "url"), "--connect-to", s.env.Ingress.ConnectTo,
			"--ca-file", s.env.Ingress.CAFile, "--api-key-env", "INTERHUB_API_KEY"}, extra...)
		return interhub(t, s.ws.Dir, env, "", args...)
	}
	out, code := smoke("--wait", "60s", "--stack", s.name, "--config-file", s.configFile,
		"--restart", s.namespace+"/inter-hub", "--kubeconfig", s.env.Kubernetes.Kubeconfig, "--context", s.env.Kubernetes.Context)
	t.Logf("interhub smoke --restart:\n%s", out)
	// Each round: 5 checks, the admin login and 12 dashboards; between them the restart and the
	// two old pods, whose app containers exit 0 after SIGTERM.
	if code != 0 || strings.Count(out, "PASS") != 2*18+1+2 || strings.Count(out, "PASS  dashboard /admin/dashboards/") != 24 ||
		strings.Count(out, "app: exit 0 (Completed)") != 2 {
		t.Fatalf("smoke on the local stack: exit %d", code)
	}
	for _, v := range []string{key, email, password} {
		if strings.Contains(out, v) {
			t.Fatal("a credential is in the output")
		}
	}
	if _, err := s.env.Kubectl(ctx, nil, "-n", s.namespace, "scale", "deployment", "inter-hub", "--replicas=0"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.env.Kubectl(ctx, nil, "-n", s.namespace, "rollout", "status", "deployment/inter-hub", "--timeout=60s"); err != nil {
		t.Fatal(err)
	}
	// Real pods finish their requests after SIGTERM before they go; wait until none is left.
	if _, err := s.env.Kubectl(ctx, nil, "-n", s.namespace, "wait", "--for=delete", "pod", "-l", "app=inter-hub",
		"--timeout=90s"); err != nil {
		t.Fatal(err)
	}
	out, code = smoke()
	t.Logf("interhub smoke with no ready pod:\n%s", out)
	if code != 1 || !strings.Contains(out, "FAIL  landing page GET /") {
		t.Fatalf("smoke must fail with the app down: exit %d", code)
	}
}
