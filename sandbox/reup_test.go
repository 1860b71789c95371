//go:build integration

package sandbox_test

import (
	"context"
	"database/sql"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coulomb-social/inter-hub-deploy/sandbox/sandboxenv"
	"github.com/coulomb-social/inter-hub-deploy/test/support/standin"
)

// relocateEnv forces the stand-in's PostgreSQL data into /var/tmp, the path a checkout under a
// private home (root's) always takes; .ci/run sets it so this test covers that path.
const relocateEnv = "INTERHUB_SANDBOX_PG_RELOCATE"

// TestSecondUpChangesNothing runs `sandbox.sh up` on the running stand-in: every part must be
// reported as already running with the PID it had, PostgreSQL must not restart, and nothing may
// be judged stale or killed. A relocated PostgreSQL was once not recognised as the sandbox's own
// and was killed by the second up.
func TestSecondUpChangesNothing(t *testing.T) {
	env := standin.Require(t)
	if os.Geteuid() != 0 {
		t.Skip("sandbox.sh up must run as root")
	}
	link, err := os.Readlink(filepath.Join(env.StateDir, "postgres"))
	switch {
	case err == nil:
		t.Logf("PostgreSQL's data is relocated to %s", link)
	case os.Getenv(relocateEnv) == "1":
		t.Fatalf("%s=1 but %s/postgres is not a link to a relocated data directory: %v", relocateEnv, env.StateDir, err)
	default:
		t.Logf("PostgreSQL's data is not relocated (set %s=1 before sandbox-up to cover that path)", relocateEnv)
	}

	components := []string{"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler",
		"postgres", "pgpool", "sshd", "registry", "containerd", "kubelet"}
	extra := []string{}
	if env.Gitea != nil {
		// Started with Gitea: the second up is asked for it too and must leave it as it is.
		components = append(components, "gitea", "gitea-runner")
		extra = append(extra, "INTERHUB_SANDBOX_GITEA=1")
	}
	before := map[string]string{}
	for _, c := range components {
		before[c] = readPID(t, env, c)
	}
	started := postmasterStart(t, env)

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(env.Repo, "sandbox", "sandbox.sh"), "up")
	cmd.Env = append(append(os.Environ(), sandboxenv.DirEnv+"="+env.StateDir), extra...)
	out, err := cmd.CombinedOutput()
	t.Logf("second up:\n%s", out)
	if err != nil {
		t.Fatalf("second sandbox.sh up failed: %v", err)
	}
	for _, bad := range []string{"stale pid file", "killing", "not recognised", "initialising a new cluster"} {
		if strings.Contains(string(out), bad) {
			t.Errorf("second up printed %q: it judged a running part foreign or started one anew", bad)
		}
	}
	for _, c := range components {
		want := regexp.MustCompile(`sandbox: ` + regexp.QuoteMeta(c) + `: already running \(pid ` + before[c] + `\)`)
		if !want.Match(out) {
			t.Errorf("%s (pid %s) was not reported as already running with the same PID", c, before[c])
		}
		if got := readPID(t, env, c); got != before[c] {
			t.Errorf("%s: pid %s before the second up, %s after", c, before[c], got)
		}
	}
	if now := postmasterStart(t, env); !now.Equal(started) {
		t.Errorf("PostgreSQL restarted: it started at %s before the second up, at %s after", started, now)
	}
}

// postmasterStart reads the running server's start time directly (not through pgpool).
func postmasterStart(t *testing.T, env *sandboxenv.Env) time.Time {
	t.Helper()
	pg := env.Postgres
	db, err := sql.Open("postgres", pg.DirectDSN(pg.AdminUser, pg.AdminPassword, pg.Database))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var at time.Time
	if err := db.QueryRow("SELECT pg_postmaster_start_time()").Scan(&at); err != nil {
		t.Fatalf("PostgreSQL's start time: %v", err)
	}
	return at
}
