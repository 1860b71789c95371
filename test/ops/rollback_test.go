//go:build integration

package ops_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coulomb-social/inter-hub-deploy/test/support/clirun"
)

// TestRollbackThroughHistory deploys two revisions and a failing update through the real CLI,
// then rolls back with interhub: the listing shows each update's revision, image digest and
// program commit; a failed update is refused; without --yes and without a terminal nothing
// happens; with --yes the first revision is live again and the stack file holds its config,
// with secrets and rotation counters left as they were.
func TestRollbackThroughHistory(t *testing.T) {
	tc := clirun.Require(t)
	prog := clirun.BuildProgram(t, "./test/ops/testdata/slowprog")
	ws := tc.NewProject(t, "inter-hub", prog, nil)
	long := 2 * time.Minute
	commit1 := gitCommit(t, ws.Dir, "program one")

	ws.MustRun(t, long, "stack", "init", "local")
	ws.MustRun(t, long, "config", "set", "--stack", "local", "app.revision", "v1")
	ws.MustRun(t, long, "up", "--yes", "--stack", "local")

	commit2 := gitCommit(t, ws.Dir, "program two")
	for _, kv := range [][2]string{{"app.revision", "v2"}, {"app.replicas", "3"}, {"session.rotation", "1"}} {
		ws.MustRun(t, long, "config", "set", "--stack", "local", kv[0], kv[1])
	}
	ws.MustRun(t, long, "config", "set", "--stack", "local", "--secret", "postgres.adminPassword", "admin-pw-2")
	ws.MustRun(t, long, "up", "--yes", "--stack", "local")

	// A failure during the update (not the preview) is what history records as failed.
	ws.MustRun(t, long, "config", "set", "--stack", "local", "fail", "true")
	if r := ws.Run(t, long, "up", "--yes", "--skip-preview", "--stack", "local"); r.Err == nil {
		t.Fatalf("the failing update succeeded:\n%s", r.Output())
	}
	ws.MustRun(t, long, "config", "rm", "--stack", "local", "fail")

	out, code := interhub(t, ws.Dir, ws.Env, "", "rollback", "--stack", "local")
	if code != 0 {
		t.Fatalf("listing: exit %d\n%s", code, out)
	}
	rows := map[string][]string{}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) == 8 && f[0] >= "1" && f[0] <= "9" {
			rows[f[0]] = f
		}
	}
	digest := func(rev string) string { return strings.SplitN(slowImage(rev), "@", 2)[1] }
	want := map[string][]string{
		"1": {"update", "succeeded", "v1", digest("v1"), commit1[:12]},
		"2": {"update", "succeeded", "v2", digest("v2"), commit2[:12]},
		"3": {"update", "failed", "v2", digest("v2"), commit2[:12]},
	}
	for n, w := range want {
		r := rows[n]
		if len(r) != 8 || r[3] != w[0] || r[4] != w[1] || r[5] != w[2] || r[6] != w[3] || !strings.HasPrefix(r[7], w[4]) {
			t.Errorf("row %s = %q, want %q\n%s", n, r, w, out)
		}
	}
	if len(rows) != 3 {
		t.Fatalf("want 3 rows:\n%s", out)
	}

	stackFile := filepath.Join(ws.Dir, "Pulumi.local.yaml")
	before := readFile(t, stackFile)

	out, code = interhub(t, ws.Dir, ws.Env, "", "rollback", "--stack", "local", "--to", "3", "--yes")
	if code != 2 || !strings.Contains(out, "update 3 failed") || !strings.Contains(out, "choose one of the succeeded updates 2, 1") {
		t.Fatalf("a failed update must be refused: exit %d\n%s", code, out)
	}
	out, code = interhub(t, ws.Dir, ws.Env, "", "rollback", "--stack", "local", "--to", "1")
	if code != 2 || !strings.Contains(out, "stdin is not a terminal; pass --yes") || !strings.Contains(out, "== Plan: pulumi preview") {
		t.Fatalf("without --yes and a terminal the rollback must show the plan and stop: exit %d\n%s", code, out)
	}
	if readFile(t, stackFile) != before || historyLen(t, ws) != 3 {
		t.Fatal("a refused or unconfirmed rollback changed the stack")
	}
	if got := strings.TrimSpace(ws.MustRun(t, long, "stack", "output", "revision", "--stack", "local").Stdout); got != "v2" {
		t.Fatalf("revision %q before the rollback", got)
	}

	out, code = interhub(t, ws.Dir, ws.Env, "", "rollback", "--stack", "local", "--to", "1", "--yes")
	if code != 0 {
		t.Fatalf("rollback: exit %d\n%s", code, out)
	}
	for _, w := range []string{
		`inter-hub:app.revision: "v2" -> "v1"`, `inter-hub:app.replicas: "3" -> (unset)`,
		"inter-hub:session.rotation (rotation counter", "inter-hub:postgres.adminPassword (secret",
		"Note: update 1 ran program commit " + commit1, "Rolled back to update 1",
	} {
		if !strings.Contains(out, w) {
			t.Errorf("rollback output lacks %q", w)
		}
	}
	if strings.Contains(out, "admin-pw-2") {
		t.Fatal("the rollback printed a secret")
	}
	if got := strings.TrimSpace(ws.MustRun(t, long, "stack", "output", "image", "--stack", "local").Stdout); got != slowImage("v1") {
		t.Fatalf("image after the rollback %q, want %q", got, slowImage("v1"))
	}
	get := func(key string) string {
		return strings.TrimSpace(ws.MustRun(t, long, "config", "get", "--stack", "local", key).Stdout)
	}
	if get("app.revision") != "v1" || get("session.rotation") != "1" || get("postgres.adminPassword") != "admin-pw-2" {
		t.Fatalf("stack config after the rollback:\n%s", readFile(t, stackFile))
	}
	if r := ws.Run(t, long, "config", "get", "--stack", "local", "app.replicas"); r.Err == nil {
		t.Fatalf("app.replicas must be unset again, got %q", r.Stdout)
	}
	h := ws.MustRun(t, long, "stack", "history", "--json", "--page-size", "1", "--stack", "local").Stdout
	if !strings.Contains(h, `"message": "rollback to update 1 (app revision v1)"`) || !strings.Contains(h, `"result": "succeeded"`) {
		t.Fatalf("the newest update is not the rollback:\n%s", h)
	}
	// A further no-op up proves the stack file and the state agree.
	ws.MustRun(t, long, "up", "--yes", "--expect-no-changes", "--stack", "local")
}
