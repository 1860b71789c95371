//go:build integration

// Package ops_test runs the operator commands (cmd/interhub) and the state backends through the
// real pulumi CLI of the offline toolchain. Tests that need only the CLI use the provider-free
// program testdata/slowprog, which has the deploy program's project name and key names; tests
// that need the whole local stack require the stand-in environment as well.
package ops_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coulomb-social/inter-hub-deploy/test/support/clirun"
)

// interhub runs the operator binary in dir with env and returns its output and exit code.
func interhub(t *testing.T, dir string, env []string, stdin string, args ...string) (string, int) {
	t.Helper()
	bin := clirun.BuildProgram(t, "./cmd/interhub")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir, cmd.Env = dir, env
	cmd.Stdin = strings.NewReader(stdin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("interhub %s: %v", strings.Join(args, " "), err)
	}
	return out.String(), code
}

// slowImage is the image reference slowprog exports for a revision.
func slowImage(revision string) string {
	return fmt.Sprintf("registry.test/inter-hub@sha256:%x", sha256.Sum256([]byte(revision)))
}

// gitCommit makes dir a git checkout with one commit, as the deploy program's checkout is, so
// that the CLI records git.head with each update.
func gitCommit(t *testing.T, dir, message string) string {
	t.Helper()
	run := func(args ...string) string {
		cmd := exec.Command("git", append([]string{"-c", "user.email=ops@test", "-c", "user.name=ops"}, args...)...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	if _, err := os.Stat(filepath.Join(dir, ".git")); err != nil {
		run("init", "-q")
	}
	run("add", "-A")
	run("commit", "-q", "--allow-empty", "-m", message)
	return run("rev-parse", "HEAD")
}

func historyLen(t *testing.T, ws *clirun.Workspace) int {
	t.Helper()
	r := ws.MustRun(t, time.Minute, "stack", "history", "--json", "--page-size", "0", "--stack", "local")
	return strings.Count(r.Stdout, `"kind":`)
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// killTree SIGKILLs pid and all its descendants at once, as a host crash would. The CLI starts
// its plugins in process groups of their own, so killing the CLI's group is not enough.
func killTree(t *testing.T, pid int) {
	t.Helper()
	children := map[int][]int{}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		var p int
		if _, err := fmt.Sscanf(e.Name(), "%d", &p); err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...; comm may contain spaces, so parse after the last ')'.
		s := string(stat)
		fields := strings.Fields(s[strings.LastIndex(s, ")")+1:])
		var ppid int
		if len(fields) > 1 {
			fmt.Sscanf(fields[1], "%d", &ppid)
		}
		children[ppid] = append(children[ppid], p)
	}
	all := []int{pid}
	for i := 0; i < len(all); i++ {
		all = append(all, children[all[i]]...)
	}
	for _, p := range all {
		_ = syscall.Kill(p, syscall.SIGKILL)
	}
	t.Logf("killed %d processes (pulumi and its plugins)", len(all))
}

// firstLine returns the first line of out containing substr, trimmed.
func firstLine(out, substr string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, substr) {
			return strings.TrimSpace(l)
		}
	}
	return ""
}
