//go:build integration

package ops_test

import (
	"strings"
	"testing"
	"time"

	"github.com/coulomb-social/inter-hub-deploy/test/support/clirun"
)

// TestInterruptedUpdateRecovery kills `pulumi up` (SIGKILL, the whole process group) while a
// resource is being created and follows the runbook's "pending operations" procedure with the
// real CLI: the next update is refused on the lock, `pulumi cancel` releases it, the pending
// create is reported, `pulumi refresh --clear-pending-creates` clears it, and `up` converges.
func TestInterruptedUpdateRecovery(t *testing.T) {
	tc := clirun.Require(t)
	tc.RequirePlugins(t, "command")
	prog := clirun.BuildProgram(t, "./test/ops/testdata/pendingprog")
	ws := tc.NewProject(t, "inter-hub", prog, nil)
	long := 2 * time.Minute
	ws.MustRun(t, long, "stack", "init", "local")
	ws.MustRun(t, long, "config", "set", "--stack", "local", "sleepSeconds", "60")

	killed := false
	pending := func() int {
		out := ws.MustRun(t, long, "stack", "export", "--stack", "local").Stdout
		ops, err := clirun.PendingOperations(out)
		if err != nil {
			t.Fatalf("export: %v", err)
		}
		n := 0
		for _, p := range ops {
			switch {
			case p.Type == "creating" && strings.HasSuffix(p.URN, "::slow-step"):
				n++
			case !killed && p.Type == "creating" && strings.Contains(p.URN, "::pulumi:providers:"):
				// The running update is still starting the plugin: its provider's create is
				// pending for as long as that takes.
			default:
				t.Fatalf("unexpected pending operation %+v", p)
			}
		}
		return n
	}

	run := startPulumi(t, ws, "up", "--yes", "--skip-preview", "--stack", "local")
	deadline := time.Now().Add(60 * time.Second)
	for pending() == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no pending create appeared:\n%s", run.wait(t))
		}
		time.Sleep(300 * time.Millisecond)
	}
	// As the host dying would: no chance to clean up, plugin and command included.
	killTree(t, run.cmd.Process.Pid)
	killed = true
	run.wait(t)

	r := ws.Run(t, long, "up", "--yes", "--stack", "local")
	if r.Err == nil || !strings.Contains(r.Output(), "the stack is currently locked by 1 lock(s)") {
		t.Fatalf("the update after the kill must fail on the lock:\n%s", r.Output())
	}
	ws.MustRun(t, long, "cancel", "--yes", "--stack", "local")

	// A preview does not mention pending operations and an up would go ahead (creating the
	// resource again even if the killed run had created it): the export shows them.
	if n := pending(); n != 1 {
		t.Fatalf("%d pending operations after the kill, want 1", n)
	}
	ws.MustRun(t, long, "config", "set", "--stack", "local", "sleepSeconds", "0")
	ws.MustRun(t, long, "refresh", "--yes", "--clear-pending-creates", "--stack", "local")
	if n := pending(); n != 0 {
		t.Fatalf("%d pending operations after refresh --clear-pending-creates", n)
	}
	r = ws.MustRun(t, long, "up", "--yes", "--stack", "local")
	if strings.Contains(r.Output(), "pending operations") {
		t.Fatalf("the pending create is still reported:\n%s", r.Output())
	}
	ws.MustRun(t, long, "up", "--yes", "--expect-no-changes", "--stack", "local")
}
