//go:build integration

// Package bench times the deploy program on the stand-in through the real CLI, one run of each:
//
//	go test -run '^$' -bench . -benchtime 1x ./test/bench     (make bench)
//
// It prints figures; it asserts nothing about speed.
package bench_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/coulomb-social/inter-hub-deploy/test/support/clirun"
	"github.com/coulomb-social/inter-hub-deploy/test/support/standin"
)

func BenchmarkDeploy(b *testing.B) {
	s := standin.New(b, standin.Options{Names: standin.NamesFor("bench", "full")})
	run := func(args ...string) time.Duration {
		b.Helper()
		return s.MustRun(b, standin.UpTimeout, args...).Elapsed
	}

	cold := run("up", "--yes", "--skip-preview")
	previewFull := run("preview", "--expect-no-changes")
	noopUp := run("up", "--yes", "--expect-no-changes")
	s.SetConfig(b, s.ConfigFile, map[string]string{"app.revision": "v2"})
	revision := run("up", "--yes")
	v2Image := output(b, s, "image")

	// A revision change to "serving through Traefik", both images already built: the program's
	// `up` back to v1, then the workplan's `helm upgrade --install` of the same release to v2.
	s.SetConfig(b, s.ConfigFile, map[string]string{"app.revision": "v1"})
	start := time.Now()
	run("up", "--yes")
	waitServing(b, s, "v1")
	upServing := time.Since(start)
	start = time.Now()
	helmUpgrade(b, s, v2Image)
	waitServing(b, s, "v2")
	helmServing := time.Since(start)

	previewEmpty := emptyPreview(b, s)

	ratio := previewFull.Seconds() / previewEmpty.Seconds()
	fmt.Printf("\n%s, %d cores\n\n", time.Now().Format("2006-01-02"), runtime.NumCPU())
	fmt.Printf("| measure | seconds |\n| --- | --- |\n")
	for _, m := range []struct {
		name string
		d    time.Duration
	}{
		{"cold deploy (`up --skip-preview`, fresh stack)", cold},
		{"no-op `preview`, full stack", previewFull},
		{"no-op `preview`, empty program with the same providers", previewEmpty},
		{"no-op `up` (preview + update)", noopUp},
		{"app revision update (`up`, v1 -> v2)", revision},
		{"revision change to serving through Traefik: `up` v2 -> v1, images built", upServing},
		{"the same by `helm upgrade --install --reuse-values --set image=...`, v1 -> v2", helmServing},
	} {
		fmt.Printf("| %s | %.2f |\n", m.name, m.d.Seconds())
	}
	fmt.Printf("\nno-op preview ratio full/empty: %.2f (goal <= 1.3)\n", ratio)
	fmt.Printf("revision change ratio up/helm: %.2f (goal <= 1.5)\n\n", upServing.Seconds()/helmServing.Seconds())
	b.ReportMetric(cold.Seconds(), "cold-s")
	b.ReportMetric(previewFull.Seconds(), "preview-s")
	b.ReportMetric(ratio, "preview-ratio")
	b.ReportMetric(noopUp.Seconds(), "noop-up-s")
	b.ReportMetric(revision.Seconds(), "revision-s")
	b.ReportMetric(upServing.Seconds()/helmServing.Seconds(), "revision-ratio")
}

// output reads one stack output.
func output(b *testing.B, s *standin.Stack, name string) string {
	b.Helper()
	return strings.TrimSpace(s.MustRunPlain(b, standin.ShortTimeout, "stack", "output", name, "--stack", s.Stack).Stdout)
}

// waitServing polls the stack's /capabilities through Traefik until the pods report revision's
// commit on every answer of ten in a row (the old pods are gone).
func waitServing(b *testing.B, s *standin.Stack, revision string) {
	b.Helper()
	want, err := s.Env.BuildHost.Commit(revision)
	if err != nil {
		b.Fatal(err)
	}
	client, err := s.Env.Ingress.Client()
	if err != nil {
		b.Fatal(err)
	}
	url := s.Env.Ingress.URLFor(s.Names.Host) + "/capabilities"
	deadline := time.Now().Add(3 * time.Minute)
	for streak := 0; streak < 10; {
		if time.Now().After(deadline) {
			b.Fatalf("%s does not serve %s (%s) after 3 minutes", url, revision, want)
		}
		var caps struct {
			Revision string `json:"revision"`
		}
		resp, err := client.Get(url)
		if err == nil {
			err = json.NewDecoder(resp.Body).Decode(&caps)
			resp.Body.Close()
		}
		if err == nil && caps.Revision == want {
			streak++
		} else {
			streak = 0
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// helmUpgrade changes the release's image the way the workplan's manual steps do, with the Helm
// CLI: the chart from the checkout, the values of the installed release, a new image; it waits
// for the rollout (and the migration hook) as the program's release does.
func helmUpgrade(b *testing.B, s *standin.Stack, image string) {
	b.Helper()
	helm, err := exec.LookPath("helm")
	if err != nil {
		b.Fatalf("helm not on PATH (toolchain/tools.sh build helm): %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, helm, "upgrade", "--install", "inter-hub", filepath.Join(s.Dir, "charts", "inter-hub"),
		"--namespace", s.Names.Namespace, "--kubeconfig", s.Env.Kubernetes.Kubeconfig, "--kube-context", s.Env.Kubernetes.Context,
		"--reuse-values", "--set", "image="+image, "--wait", "--atomic", "--timeout", "5m")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("helm upgrade: %v\n%s", err, out)
	}
}

// emptyPreview deploys the baseline program (same config and providers, no resources) as a
// second stack in the same backend and times its no-op preview.
func emptyPreview(b *testing.B, s *standin.Stack) time.Duration {
	b.Helper()
	bin := clirun.BuildProgram(b, "github.com/coulomb-social/inter-hub-deploy/test/bench/emptyprog")
	dir := b.TempDir()
	project, err := os.ReadFile(filepath.Join(s.Dir, "Pulumi.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	project = regexp.MustCompile(`(?m)^(\s+binary:\s*).*$`).ReplaceAll(project, []byte("${1}"+bin))
	if err := os.WriteFile(filepath.Join(dir, "Pulumi.yaml"), project, 0o644); err != nil {
		b.Fatal(err)
	}
	for _, name := range []string{"go.mod", "charts", "deploy", "sandbox", ".sandbox"} {
		if err := os.Symlink(filepath.Join(s.Dir, name), filepath.Join(dir, name)); err != nil {
			b.Fatal(err)
		}
	}
	ws := *s.WS
	ws.Dir = dir
	args := func(a ...string) []string { return append(a, "--stack", "empty", "--config-file", s.ConfigFile) }
	ws.MustRun(b, standin.ShortTimeout, "stack", "init", "empty")
	b.Cleanup(func() { ws.Run(b, standin.ShortTimeout, args("destroy", "--yes")...) })
	ws.MustRun(b, standin.UpTimeout, args("up", "--yes", "--skip-preview")...)
	return ws.MustRun(b, standin.UpTimeout, args("preview", "--expect-no-changes")...).Elapsed
}
