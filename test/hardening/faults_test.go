//go:build integration

package hardening_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coulomb-social/inter-hub-deploy/test/support/clirun"
	"github.com/coulomb-social/inter-hub-deploy/test/support/standin"
)

// fault interrupts `pulumi up` at one step of an update of the deployed stack.
type fault struct {
	step   string // build, release, database
	signal syscall.Signal
	proves string
}

var faults = []fault{
	{"build", syscall.SIGKILL, "a killed run while the image builds: lock and pending create cleared by the runbook's commands, then up converges"},
	{"release", syscall.SIGKILL, "a killed run while Helm upgrades: the runbook's stuck-release steps, then up converges with one release"},
	{"database", syscall.SIGKILL, "a killed run while the role's password changes: no duplicate role, the app logs in, the row survives"},
	{"build", syscall.SIGINT, "Ctrl-C while the image builds: the build finishes, the release waits; up converges"},
	{"release", syscall.SIGINT, "Ctrl-C while Helm upgrades the release: Helm rolls back, nothing left pending, up converges"},
	{"database", syscall.SIGINT, "Ctrl-C while the role's password changes: role, pgpool and Secret agree again after up"},
}

const markerNote = "written before the faults"

// TestInterruptedUpdates deploys the stack, writes a row as the app, then for each step (image
// build, Helm release, database) and each signal (SIGINT as Ctrl-C sends it to the terminal's
// process group, SIGKILL of the whole group as a dying host) interrupts an update in that step,
// follows docs/RUNBOOK.md with its exact commands, and checks that `up` converges.
func TestInterruptedUpdates(t *testing.T) {
	if !long() {
		// Listed in the summary as skipped, so the table always shows every case.
		for _, f := range faults {
			t.Run(faultName(f), func(t *testing.T) {
				record(t, "faults", f.proves)
				requireLong(t)
			})
		}
		return
	}
	s := standin.New(t, standin.Options{Names: standin.NamesFor("hard", "faults")})
	s.Up(t)
	writeMarker(t, s)

	for i, f := range faults {
		t.Run(faultName(f), func(t *testing.T) {
			record(t, "faults", f.proves)
			interrupt(t, s, i, f)
			recoverByRunbook(t, s)
			checkConverged(t, s)
			if f.step == "build" && f.signal == syscall.SIGINT {
				// The build in flight at Ctrl-C finished and was recorded; up does not run it again.
				if n := nixBuilds(t, s); n != 1 {
					t.Errorf("the revision was built %d times, want once (the interrupted run's build is kept)", n)
				}
			}
		})
	}
}

func faultName(f fault) string {
	return f.step + "-" + map[syscall.Signal]string{syscall.SIGINT: "sigint", syscall.SIGKILL: "sigkill"}[f.signal]
}

// interrupt starts an update that is slow in f.step, signals it there, and waits for the run and
// every process it started to end.
func interrupt(t *testing.T, s *standin.Stack, n int, f fault) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	var inStep func() bool
	var afterSignal func()
	switch f.step {
	case "build":
		// A new revision whose first build takes 40 s (the nix stand-in's hook).
		branch := fmt.Sprintf("slow-build-%d", n)
		commit := s.AddRevision(t, "v1", branch, standin.SlowBuild(40))
		s.SetConfig(t, s.ConfigFile, map[string]string{"app.revision": branch})
		inStep = func() bool {
			n, _ := s.Env.BuildHost.BuildsOf(commit)
			return n > 0
		}
	case "release":
		// Pods no node can take: Helm waits for them until the timeout.
		s.SetConfig(t, s.ConfigFile, map[string]string{
			"app.nodeSelector": `{"inter-hub.test/unschedulable":"true"}`, "release.timeoutSeconds": "120",
		})
		inStep = func() bool {
			// The newest revision: a rollback of an earlier fault leaves its stuck one pending.
			_, status := newestRevision(t, s)
			return strings.HasPrefix(status, "pending-")
		}
		// The operator takes the change that could not roll out back before recovering.
		afterSignal = func() { s.RemoveConfig(t, s.ConfigFile, "app.nodeSelector", "release.timeoutSeconds") }
	case "database":
		// A new password for the app role, while another session holds the role's row: the
		// update's ALTER ROLE waits inside the database step until it is released.
		rotation := itoa(n + 1)
		s.SetConfig(t, s.ConfigFile, map[string]string{"database.passwordRotation": rotation})
		holder, err := s.AdminDB(t).BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := holder.ExecContext(ctx, fmt.Sprintf(`ALTER ROLE %q CONNECTION LIMIT -1`, s.Role)); err != nil {
			t.Fatal(err)
		}
		released := false
		release := func() {
			if !released {
				released = true
				if err := holder.Commit(); err != nil {
					t.Errorf("releasing the role's row: %v", err)
				}
			}
		}
		t.Cleanup(release)
		inStep = func() bool {
			var waiting int
			// The waiting statement's text holds the new password: only count it.
			err := s.AdminDB(t).QueryRowContext(ctx, `SELECT count(*) FROM pg_stat_activity
				WHERE wait_event_type = 'Lock' AND query ILIKE 'ALTER ROLE%' AND query LIKE '%' || $1 || '%'`, s.Role).Scan(&waiting)
			return err == nil && waiting > 0
		}
		afterSignal = func() { time.Sleep(2 * time.Second); release() }
	}

	before := clirun.Processes(s.StateDir)
	run := s.Start(t, s.ConfigFile, "up", "--yes", "--skip-preview")
	deadline := time.Now().Add(3 * time.Minute)
	for !inStep() {
		if run.Done() {
			_, out := run.Wait(t, time.Second)
			t.Fatalf("the update ended before reaching the %s step:\n%s", f.step, out)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the update did not reach the %s step within 3 minutes:\n%s", f.step, run.Output())
		}
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(time.Second)
	t.Logf("%s during the %s step", f.signal, f.step)
	if err := run.Signal(f.signal); err != nil {
		t.Fatal(err)
	}
	if afterSignal != nil {
		afterSignal()
	}
	err, out := run.Wait(t, 5*time.Minute)
	if err == nil {
		t.Errorf("the interrupted update exited 0:\n%s", out)
	}
	t.Logf("interrupted update:\n%s", out)

	// The run's processes: the language host, the program and the resource plugins exit
	// within about 30 s of losing their engine (each checks on it every 30 s).
	killed := time.Now()
	for {
		var left []string
		for pid, name := range clirun.Processes(s.StateDir) {
			if _, old := before[pid]; !old {
				left = append(left, fmt.Sprintf("%d %s", pid, name))
			}
		}
		if len(left) == 0 {
			t.Logf("the run's language host, program and plugins exited within %s", time.Since(killed).Round(time.Second))
			break
		}
		if time.Since(killed) > 60*time.Second {
			t.Errorf("processes of the interrupted run still alive after 60 s: %v", left)
			break
		}
		time.Sleep(time.Second)
	}
	if f.step == "release" && f.signal == syscall.SIGINT {
		// Ctrl-C cancels Helm's wait; the release is atomic, so Helm rolls back: the newest
		// revision is deployed again and the Deployment is the one before the change.
		if newest, status := newestRevision(t, s); status != "deployed" {
			t.Errorf("after Ctrl-C the newest release revision %d is %s, want deployed (rolled back)", newest, status)
		}
		if sel := string(s.Kubectl(t, "-n", s.Namespace, "get", "deployment", "inter-hub", "-o", "jsonpath={.spec.template.spec.nodeSelector}")); sel != "" {
			t.Errorf("after Ctrl-C the Deployment still has the change that could not roll out: nodeSelector %s", sel)
		}
	}
}

// newestRevision is the highest revision of the stack's release and its status.
func newestRevision(t *testing.T, s *standin.Stack) (int, string) {
	t.Helper()
	var list struct {
		Items []struct {
			Metadata struct {
				Labels map[string]string `json:"labels"`
			} `json:"metadata"`
		} `json:"items"`
	}
	if err := json.Unmarshal(s.Kubectl(t, "-n", s.Namespace, "get", "secret", "-l", "owner=helm,name=inter-hub", "-o", "json"), &list); err != nil {
		t.Fatal(err)
	}
	newest, status := 0, ""
	for _, r := range list.Items {
		v, _ := strconv.Atoi(r.Metadata.Labels["version"])
		if v > newest {
			newest, status = v, r.Metadata.Labels["status"]
		}
	}
	return newest, status
}

// recoverByRunbook follows docs/RUNBOOK.md, "A release stuck in pending-upgrade" and "Pending
// Pulumi operations after an interrupted update", with its commands as written.
func recoverByRunbook(t *testing.T, s *standin.Stack) {
	t.Helper()
	// The lock: `pulumi up` is refused naming it; the process is gone, so `pulumi cancel`.
	if locked(t, s) {
		r := s.Run(t, standin.ShortTimeout, "up", "--yes")
		if r.Err == nil || !strings.Contains(r.Output(), "the stack is currently locked by 1 lock(s)") {
			t.Fatalf("up on the locked stack was not refused on the lock:\n%s", r.Output())
		}
		s.MustRunPlain(t, standin.ShortTimeout, "cancel", "--stack", s.Stack, "--yes")
	}
	// A release revision left pending: roll back to the last deployed one, which also takes out
	// what the killed upgrade had already applied (deleting the pending Secret would keep it).
	t.Logf("release revisions:\n%s", s.Kubectl(t, "-n", s.Namespace, "get", "secret", "-l", "owner=helm,name=inter-hub", "-L", "version,status"))
	// Only the newest revision counts: Helm's rollback leaves the stuck one listed as pending.
	if _, status := newestRevision(t, s); strings.HasPrefix(status, "pending-") {
		deployed := helmRevisions(t, s, "deployed")
		if len(deployed) != 1 {
			t.Fatalf("a pending release revision, and %d deployed ones: %v", len(deployed), deployed)
		}
		revision := deployed[0][strings.LastIndex(deployed[0], ".v")+2:]
		ctx, cancel := context.WithTimeout(context.Background(), 11*time.Minute)
		defer cancel()
		out, err := s.Env.Helm(ctx, "-n", s.Namespace, "rollback", "inter-hub", revision, "--wait", "--timeout", "10m")
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("helm rollback inter-hub %s: %s", revision, strings.TrimSpace(string(out)))
	}
	// Pending operations: pending creates did not happen (a build is re-run, never adopted);
	// pending updates and deletes are cleared by refresh.
	pending := pendingOperations(t, s)
	t.Logf("pending operations: %v", pending)
	if len(pending) > 0 {
		if slices.Contains(pending, "creating") {
			s.MustRun(t, standin.UpTimeout, "refresh", "--yes", "--clear-pending-creates")
		}
		s.MustRun(t, standin.UpTimeout, "refresh", "--yes")
		if left := pendingOperations(t, s); len(left) > 0 {
			t.Fatalf("pending operations after refresh: %v", left)
		}
	}
	r := s.MustRun(t, standin.UpTimeout, "up", "--yes")
	if strings.Contains(r.Output(), "pending operations") {
		t.Errorf("up still reports pending operations:\n%s", r.Output())
	}
}

// checkConverged: nothing left to do, one role and one pool_passwd entry, one release whose
// newest revision is deployed and is the one in the state, the app logs in with its Secret and
// the row written before is there, and the Deployment runs the image the stack reports.
func checkConverged(t *testing.T, s *standin.Stack) {
	t.Helper()
	if r := s.Run(t, standin.UpTimeout, "preview", "--expect-no-changes"); r.Err != nil {
		t.Errorf("after recovery the stack still has changes:\n%s", r.Output())
	}
	snap := s.Snapshot(t)
	if n := strings.Count(snap["postgres/pg_roles"], "rolname="); n != 1 {
		t.Errorf("%d roles named %s*, want 1:\n%s", n, s.Role, snap["postgres/pg_roles"])
	}
	if n := strings.Count(snap["postgres/pg_database"], "datname="); n != 1 {
		t.Errorf("%d databases named %s*, want 1", n, s.Role)
	}
	if n := len(strings.Fields(snap["pgpool/pool_passwd/"+s.Role])); n != 1 {
		t.Errorf("%d pool_passwd entries for %s, want 1", n, s.Role)
	}
	if got := snap["postgres/app-login"]; got != "pgpool: ok\ndirect: ok" {
		t.Errorf("the app cannot log in with its Secret's password:\n%s", got)
	}
	if n := readMarker(t, s); n != 1 {
		t.Errorf("the row written before the faults: %d rows, want 1", n)
	}

	// Helm: every release Secret belongs to the one release; its newest revision is deployed
	// and is the revision Pulumi's state records.
	var releases struct {
		Items []struct {
			Metadata struct {
				Name   string            `json:"name"`
				Labels map[string]string `json:"labels"`
			} `json:"metadata"`
		} `json:"items"`
	}
	if err := json.Unmarshal(s.Kubectl(t, "get", "secret", "-A", "-l", "owner=helm", "-o", "json"), &releases); err != nil {
		t.Fatal(err)
	}
	newest, status := 0, ""
	for _, r := range releases.Items {
		if !strings.HasPrefix(r.Metadata.Name, "sh.helm.release.v1.") {
			continue
		}
		if r.Metadata.Labels["name"] != "inter-hub" && strings.Contains(r.Metadata.Name, s.Namespace) {
			t.Errorf("a release of this stack other than inter-hub: %s", r.Metadata.Name)
		}
	}
	if err := json.Unmarshal(s.Kubectl(t, "-n", s.Namespace, "get", "secret", "-l", "owner=helm", "-o", "json"), &releases); err != nil {
		t.Fatal(err)
	}
	for _, r := range releases.Items {
		if r.Metadata.Labels["name"] != "inter-hub" {
			t.Errorf("orphaned release %q in %s", r.Metadata.Labels["name"], s.Namespace)
		}
		var v int
		fmt.Sscan(r.Metadata.Labels["version"], &v)
		if v > newest {
			newest, status = v, r.Metadata.Labels["status"]
		}
	}
	if status != "deployed" {
		t.Errorf("the newest release revision %d is %q, want deployed", newest, status)
	}
	if got := stackOutput(t, s, "releaseRevision"); got != itoa(newest) {
		t.Errorf("the state records release revision %s, Helm's newest is %d", got, newest)
	}
	// Nothing of an interrupted upgrade stays applied: the rollout is complete and the pod
	// template has no field the faults set (the release fault's nodeSelector).
	rollout := strings.TrimSpace(string(s.Kubectl(t, "-n", s.Namespace, "rollout", "status", "deployment/inter-hub", "--watch=false")))
	if !strings.Contains(rollout, "successfully rolled out") {
		t.Errorf("the Deployment's rollout is not complete: %s", rollout)
	}
	if sel := string(s.Kubectl(t, "-n", s.Namespace, "get", "deployment", "inter-hub", "-o", "jsonpath={.spec.template.spec.nodeSelector}")); sel != "" {
		t.Errorf("the Deployment still has the nodeSelector of an interrupted upgrade: %s", sel)
	}
	image := stackOutput(t, s, "image")
	deployed := strings.TrimSpace(string(s.Kubectl(t, "-n", s.Namespace, "get", "deployment", "inter-hub",
		"-o", "jsonpath={.spec.template.spec.containers[0].image}")))
	if deployed != image {
		t.Errorf("the Deployment runs %s, the stack reports %s", deployed, image)
	}
}

// nixBuilds counts the build host's nix builds of the commit that app.revision names now.
func nixBuilds(t *testing.T, s *standin.Stack) int {
	t.Helper()
	branch := strings.TrimSpace(s.MustRunPlain(t, standin.ShortTimeout, "config", "get", "app.revision", "--stack", s.Stack, "--config-file", s.ConfigFile).Stdout)
	commit := strings.TrimSpace(gitOutput(t, s.Origin, "rev-parse", branch+"^{commit}"))
	n, err := s.Env.BuildHost.BuildsOf(commit)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func gitOutput(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git %v: %v", args, err)
	}
	return string(out)
}

// helmRevisions lists the release Secrets of the stack's release with one of the statuses.
func helmRevisions(t *testing.T, s *standin.Stack, statuses ...string) []string {
	t.Helper()
	out := s.Kubectl(t, "-n", s.Namespace, "get", "secret", "-l", "owner=helm,name=inter-hub,status in ("+strings.Join(statuses, ",")+")", "-o", "name")
	var names []string
	for _, l := range strings.Fields(string(out)) {
		names = append(names, strings.TrimPrefix(l, "secret/"))
	}
	return names
}

// pendingOperations lists the kinds of the state's pending operations.
func pendingOperations(t *testing.T, s *standin.Stack) []string {
	t.Helper()
	ops, err := clirun.PendingOperations(s.Export(t))
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, p := range ops {
		t.Logf("pending %s: %s", p.Type, p.URN)
		kinds = append(kinds, p.Type)
	}
	return kinds
}

// locked reports whether the file backend holds a lock on the stack.
func locked(t *testing.T, s *standin.Stack) bool {
	t.Helper()
	found := false
	filepath.Walk(filepath.Join(s.StateDir, ".pulumi", "locks"), func(path string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() && strings.Contains(path, string(filepath.Separator)+s.Stack+string(filepath.Separator)) {
			found = true
		}
		return nil
	})
	return found
}

func stackOutput(t *testing.T, s *standin.Stack, name string) string {
	t.Helper()
	return strings.TrimSpace(s.MustRunPlain(t, standin.ShortTimeout, "stack", "output", name, "--stack", s.Stack).Stdout)
}

// appDB connects as the app, through pgpool, with the password its Secret holds now.
func appDB(t *testing.T, s *standin.Stack) *sql.DB {
	t.Helper()
	u, ok := s.AppDatabaseURL(t)
	if !ok {
		t.Fatal("no DATABASE_URL in the app Secret")
	}
	pass, _ := u.User.Password()
	db, err := sql.Open("postgres", s.Env.Postgres.PgpoolDSN(u.User.Username(), pass, strings.TrimPrefix(u.Path, "/")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func writeMarker(t *testing.T, s *standin.Stack) {
	t.Helper()
	db := appDB(t, s)
	for _, q := range []string{
		`CREATE TABLE hardening_marker (note text PRIMARY KEY)`,
		`INSERT INTO hardening_marker VALUES ('` + markerNote + `')`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

func readMarker(t *testing.T, s *standin.Stack) int {
	t.Helper()
	var n int
	if err := appDB(t, s).QueryRow(`SELECT count(*) FROM hardening_marker WHERE note = $1`, markerNote).Scan(&n); err != nil {
		t.Errorf("reading the row as the app: %v", err)
		return -1
	}
	return n
}
