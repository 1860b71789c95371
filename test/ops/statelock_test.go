//go:build integration

package ops_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coulomb-social/inter-hub-deploy/test/support/clirun"
)

// TestPostgresBackendLocksConcurrentUpdates runs two `pulumi up` of one stack at once on Pulumi's
// PostgreSQL state backend: the first proceeds, the second fails on the lock naming who holds it,
// and afterwards the state exports, imports and updates cleanly, with no lock left behind. The
// operator commands read the same backend: rollback lists each update's image digest from it.
func TestPostgresBackendLocksConcurrentUpdates(t *testing.T) {
	tc := clirun.Require(t)
	pg := startStatePostgres(t)
	prog := clirun.BuildProgram(t, "./test/ops/testdata/slowprog")
	ws := tc.NewProject(t, "inter-hub", prog, map[string]string{"PULUMI_BACKEND_URL": pg.url})
	long := 2 * time.Minute

	ws.MustRun(t, long, "stack", "init", "local")
	ws.MustRun(t, long, "config", "set", "--stack", "local", "app.revision", "v1")
	ws.MustRun(t, long, "up", "--yes", "--stack", "local")
	// The next update takes 8 s inside the program, with the stack locked all along.
	ws.MustRun(t, long, "config", "set", "--stack", "local", "app.revision", "v2")
	ws.MustRun(t, long, "config", "set", "--stack", "local", "sleepSeconds", "8")

	db := pg.stateDB(t)
	locks := func() int {
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM pulumi_state WHERE key LIKE 'pulumi/.pulumi/locks/%'`).Scan(&n); err != nil {
			t.Fatalf("reading the state table: %v", err)
		}
		return n
	}

	first := startPulumi(t, ws, "up", "--yes", "--skip-preview", "--stack", "local")
	deadline := time.Now().Add(30 * time.Second)
	for locks() == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the first update never took the lock:\n%s", first.wait(t))
		}
		time.Sleep(100 * time.Millisecond)
	}
	second := ws.Run(t, long, "up", "--yes", "--skip-preview", "--stack", "local")
	firstOut := first.wait(t)

	if first.err != nil {
		t.Fatalf("the first update failed: %v\n%s", first.err, firstOut)
	}
	if second.Err == nil {
		t.Fatalf("the second update ran although the stack was locked:\n%s", second.Output())
	}
	msg := second.Output()
	lockLine := regexp.MustCompile(`the stack is currently locked by 1 lock\(s\)\. Either wait for the other process\(es\) to end or delete the lock file with ` + "`pulumi cancel`")
	owner := regexp.MustCompile(`postgres://\*\*\*\*:\*\*\*\*@127\.0\.0\.1:\d+/pulumi/\.pulumi/locks/organization/inter-hub/local/[0-9a-f-]+\.json(\?\S*)?: created by \S+@\S+ \(pid ` + fmt.Sprint(first.cmd.Process.Pid) + `\)`)
	if !lockLine.MatchString(msg) || !owner.MatchString(msg) {
		t.Fatalf("the locked-out update does not say clearly who holds the lock:\n%s", msg)
	}
	if strings.Contains(msg, "st@te/pw:1") || strings.Contains(msg, urlEscapedPassword) {
		t.Fatal("the lock message shows the state database password")
	}
	if n := locks(); n != 0 {
		t.Fatalf("%d lock(s) left after both updates ended", n)
	}

	// The state is whole: the first update's result is there, it exports and imports, and a
	// further update finds nothing to do.
	if got := strings.TrimSpace(ws.MustRun(t, long, "stack", "output", "revision", "--stack", "local").Stdout); got != "v2" {
		t.Fatalf("revision output %q after the concurrent updates, want v2", got)
	}
	exported := ws.MustRun(t, long, "stack", "export", "--stack", "local").Stdout
	pending, err := clirun.PendingOperations(exported)
	if err != nil {
		t.Fatalf("export is not JSON: %v", err)
	}
	if len(pending) != 0 || !strings.Contains(exported, "::marker-v2") || strings.Contains(exported, "::marker-v1") {
		t.Fatalf("unexpected state after the concurrent updates:\n%s", exported)
	}
	file := filepath.Join(t.TempDir(), "state.json")
	if err := os.WriteFile(file, []byte(exported), 0o600); err != nil {
		t.Fatal(err)
	}
	ws.MustRun(t, long, "stack", "import", "--stack", "local", "--file", file)
	ws.MustRun(t, long, "config", "set", "--stack", "local", "sleepSeconds", "0")
	ws.MustRun(t, long, "up", "--yes", "--expect-no-changes", "--stack", "local")

	// History and per-update outputs come from the same database.
	out, code := interhub(t, ws.Dir, ws.Env, "", "rollback", "--stack", "local")
	if code != 0 || strings.Contains(out, "image digests unknown") {
		t.Fatalf("rollback listing on the postgres backend: exit %d\n%s", code, out)
	}
	for _, rev := range []string{"v1", "v2"} {
		if !strings.Contains(out, strings.SplitN(slowImage(rev), "@", 2)[1]) {
			t.Errorf("the listing lacks the image digest of %s:\n%s", rev, out)
		}
	}
	// Three updates ran (the locked-out one never started).
	if n := historyLen(t, ws); n != 3 {
		t.Fatalf("%d updates in history, want 3", n)
	}
}

// urlEscapedPassword is how the fixture's password appears inside a URL.
const urlEscapedPassword = "st%40te%2Fpw:1"

type bgRun struct {
	cmd  *exec.Cmd
	out  bytes.Buffer
	err  error
	done chan struct{}
}

// startPulumi starts `pulumi args...` in the workspace without waiting for it.
func startPulumi(t *testing.T, ws *clirun.Workspace, args ...string) *bgRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	r := &bgRun{done: make(chan struct{})}
	bin, err := exec.LookPath("pulumi")
	for _, kv := range ws.Env {
		if p, ok := strings.CutPrefix(kv, "PATH="); ok {
			for _, d := range filepath.SplitList(p) {
				if _, e := os.Stat(filepath.Join(d, "pulumi")); e == nil {
					bin, err = filepath.Join(d, "pulumi"), nil
					break
				}
			}
			break
		}
	}
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	r.cmd = exec.CommandContext(ctx, bin, append(args, "--non-interactive")...)
	r.cmd.Dir, r.cmd.Env = ws.Dir, ws.Env
	// Its own process group, so a test can kill it with everything it started.
	r.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	r.cmd.Stdout, r.cmd.Stderr = &r.out, &r.out
	if err := r.cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	go func() { r.err = r.cmd.Wait(); cancel(); close(r.done) }()
	t.Cleanup(func() { <-r.done })
	return r
}

func (r *bgRun) wait(t *testing.T) string {
	t.Helper()
	<-r.done
	return r.out.String()
}
