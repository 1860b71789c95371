// Package bench times the deploy program on the stand-in through the real CLI, one run of each:
//
//	go test -run '^$' -bench . -benchtime 1x ./test/bench     (make bench)
//
// It prints figures; it asserts nothing about speed.
package bench_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"testing"
	"time"

	"github.com/coulomb-social/inter-hub-deploy/internal/localstack"
	"github.com/coulomb-social/inter-hub-deploy/internal/pulumitest"
)

func BenchmarkDeploy(b *testing.B) {
	s := localstack.New(b, localstack.Options{Names: localstack.NamesFor("bench", "full")})
	run := func(args ...string) time.Duration {
		b.Helper()
		return s.MustRun(b, localstack.UpTimeout, args...).Elapsed
	}

	cold := run("up", "--yes", "--skip-preview")
	previewFull := run("preview", "--expect-no-changes")
	noopUp := run("up", "--yes", "--expect-no-changes")
	s.SetConfig(b, s.ConfigFile, map[string]string{"app.revision": "v2"})
	revision := run("up", "--yes")

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
	} {
		fmt.Printf("| %s | %.2f |\n", m.name, m.d.Seconds())
	}
	fmt.Printf("\nno-op preview ratio full/empty: %.2f (goal <= 1.3)\n\n", ratio)
	b.ReportMetric(cold.Seconds(), "cold-s")
	b.ReportMetric(previewFull.Seconds(), "preview-s")
	b.ReportMetric(ratio, "preview-ratio")
	b.ReportMetric(noopUp.Seconds(), "noop-up-s")
	b.ReportMetric(revision.Seconds(), "revision-s")
}

// emptyPreview deploys the baseline program (same config and providers, no resources) as a
// second stack in the same backend and times its no-op preview.
func emptyPreview(b *testing.B, s *localstack.Stack) time.Duration {
	b.Helper()
	bin := pulumitest.BuildProgram(b, "github.com/coulomb-social/inter-hub-deploy/test/bench/emptyprog")
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
	ws.MustRun(b, localstack.ShortTimeout, "stack", "init", "empty")
	b.Cleanup(func() { ws.Run(b, localstack.ShortTimeout, args("destroy", "--yes")...) })
	ws.MustRun(b, localstack.UpTimeout, args("up", "--yes", "--skip-preview")...)
	return ws.MustRun(b, localstack.UpTimeout, args("preview", "--expect-no-changes")...).Elapsed
}
