//go:build integration

package gitea

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coulomb-social/inter-hub-deploy/test/support/pgserver"
)

// requireToolsEnv, when set, turns a missing Gitea binary into a failure (as `make test` sets it).
const requireToolsEnv = "INTERHUB_REQUIRE_TOOLS"

// live is a real Gitea with a registered runner, started for one test through the stand-in's
// own sandbox/lib/gitea.sh, on a throwaway PostgreSQL.
type live struct {
	URL, Token, State string
	Client            *Client
	repo              string
	env               []string
}

// findGitea returns the directory holding gitea and gitea-runner: PATH first, then the
// toolchain's prefix (`toolchain/tools.sh build gitea`).
func findGitea(repo string) (string, error) {
	if p, err := exec.LookPath("gitea"); err == nil {
		if _, err := exec.LookPath("gitea-runner"); err == nil {
			return filepath.Dir(p), nil
		}
	}
	out, err := exec.Command(filepath.Join(repo, "toolchain", "tools.sh"), "prefix").Output()
	if err != nil {
		return "", fmt.Errorf("toolchain/tools.sh prefix: %w", err)
	}
	bin := filepath.Join(strings.TrimSpace(string(out)), "bin")
	for _, b := range []string{"gitea", "gitea-runner"} {
		if _, err := os.Stat(filepath.Join(bin, b)); err != nil {
			return "", fmt.Errorf("%s is neither on PATH nor in %s (build it with: toolchain/tools.sh build gitea)", b, bin)
		}
	}
	return bin, nil
}

func startLive(t *testing.T) *live {
	t.Helper()
	repo, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	bin, err := findGitea(repo)
	if err != nil {
		if os.Getenv(requireToolsEnv) != "" {
			t.Fatalf("Gitea is required (%s is set): %v", requireToolsEnv, err)
		}
		t.Skipf("Gitea not built, skipping (set %s=1 to fail instead): %v", requireToolsEnv, err)
	}
	pg := pgserver.Start(t, "gitea-pg-")
	// Gitea's role and database are made by a CREATEROLE CREATEDB admin that is not a superuser,
	// as on the stand-in and on railiance-platform.
	pg.Exec(t, "CREATE ROLE platform_admin LOGIN CREATEROLE CREATEDB NOSUPERUSER PASSWORD 'admin-pw'")

	state := t.TempDir()
	port := pgserver.FreePort(t)
	l := &live{URL: fmt.Sprintf("http://127.0.0.1:%d", port), State: state, repo: repo}
	l.env = append(os.Environ(),
		"PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"INTERHUB_TOOLS_PREFIX="+filepath.Dir(bin),
		fmt.Sprintf("GITEA_PORT=%d", port),
		"GITEA_DB_HOST=127.0.0.1", fmt.Sprintf("GITEA_DB_PORT=%d", pg.Port),
		"GITEA_DB_ADMIN_USER=platform_admin", "GITEA_DB_ADMIN_PASSWORD=admin-pw",
		"GITEA_RUNNER_LABELS=unit-test")
	t.Cleanup(func() {
		if out, err := l.lib("gitea_down"); err != nil {
			t.Errorf("gitea_down: %v\n%s", err, out)
		}
		if t.Failed() {
			for _, f := range []string{"gitea.log", "gitea-runner.log"} {
				data, _ := os.ReadFile(filepath.Join(state, "logs", f))
				if len(data) > 6000 {
					data = data[len(data)-6000:]
				}
				t.Logf("--- end of %s:\n%s", f, data)
			}
		}
	})
	start := time.Now()
	if out, err := l.lib("gitea_up"); err != nil {
		t.Fatalf("gitea_up: %v\n%s", err, out)
	}
	t.Logf("Gitea and its runner up in %.1f s", time.Since(start).Seconds())
	// A second up finds everything in place and changes nothing.
	if out, err := l.lib("gitea_up"); err != nil || !strings.Contains(string(out), "already running") {
		t.Fatalf("second gitea_up: %v\n%s", err, out)
	}
	token, err := os.ReadFile(filepath.Join(state, "gitea", "admin-token"))
	if err != nil {
		t.Fatal(err)
	}
	if info, _ := os.Stat(filepath.Join(state, "gitea", "admin-token")); info.Mode().Perm() != 0o600 {
		t.Errorf("admin-token has mode %v, want 0600", info.Mode().Perm())
	}
	l.Token = strings.TrimSpace(string(token))
	l.Client = &Client{Server: l.URL, Token: l.Token}
	return l
}

// lib runs a function of sandbox/lib/gitea.sh with this instance's settings.
func (l *live) lib(fn string, args ...string) ([]byte, error) {
	script := `set -euo pipefail
here=$1/sandbox
state=$2
shift 2
mkdir -p "$state/run" "$state/logs"
source "$here/lib/common.sh"
source "$here/lib/gitea.sh"
"$@"`
	cmd := exec.Command("bash", append([]string{"-c", script, "bash", l.repo, l.State, fn}, args...)...)
	cmd.Env = l.env
	return cmd.CombinedOutput()
}

// git runs git in dir with a fixed identity.
func (l *live) git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.name=test", "-c", "user.email=test@inter-hub.invalid",
		"-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, strings.ReplaceAll(string(out), l.Token, "[token]"))
	}
	return strings.TrimSpace(string(out))
}

// pushURL is the repository's URL with the token as password.
func (l *live) pushURL(owner, repo string) string {
	return strings.Replace(l.URL, "http://", "http://"+owner+":"+l.Token+"@", 1) + "/" + owner + "/" + repo + ".git"
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

const probeWorkflow = `name: probe
on:
  push:
    branches: [main]
  workflow_dispatch:
    inputs:
      greeting:
        default: "none"
jobs:
  probe:
    runs-on: ${{ vars.RUNNER_LABEL || 'railiance01' }}
    env:
      GREETING: ${{ gitea.event.inputs.greeting }}
      SECRET: ${{ secrets.PROBE_SECRET }}
      EVENT: ${{ gitea.event_name }}
    steps:
      - name: say
        run: echo "probe event=$EVENT greeting=$GREETING secret-length=${#SECRET}"
`

// TestClientAgainstGitea drives a real Gitea v1.26 and its runner through the client: the calls
// the tests and CI make, each checked by reading back what Gitea did.
func TestClientAgainstGitea(t *testing.T) {
	l := startLive(t)
	c := l.Client
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	me, err := c.CurrentUser(ctx)
	if err != nil || me.Login != "interhub-admin" {
		t.Fatalf("current user %+v %v", me, err)
	}
	runners, err := c.Runners(ctx)
	if err != nil || len(runners) != 1 || runners[0].Status == "offline" || len(runners[0].Labels) != 1 || runners[0].Labels[0].Name != "unit-test" {
		t.Fatalf("runners %+v %v", runners, err)
	}

	r, err := c.CreateRepo(ctx, "", CreateRepoOptions{Name: "probe", DefaultBranch: "main"})
	if err != nil || r.FullName != "interhub-admin/probe" {
		t.Fatalf("create repo: %+v %v", r, err)
	}
	if _, err := c.CreateRepo(ctx, "", CreateRepoOptions{Name: "probe"}); err == nil || !strings.Contains(err.Error(), "HTTP 409") {
		t.Fatalf("a second repo of the same name: %v", err)
	}
	if _, err := c.GetRepo(ctx, "interhub-admin", "nope"); !IsNotFound(err) {
		t.Fatalf("missing repo: %v", err)
	}

	// Variables: created, then updated in place; secrets: set, never read back.
	for _, v := range []string{"railiance01", "unit-test"} {
		if err := c.SetVariable(ctx, "interhub-admin", "probe", "RUNNER_LABEL", v); err != nil {
			t.Fatal(err)
		}
	}
	if vars, err := c.Variables(ctx, "interhub-admin", "probe"); err != nil || len(vars) != 1 || vars[0].Data != "unit-test" {
		t.Fatalf("variables %+v %v", vars, err)
	}
	if err := c.SetSecret(ctx, "interhub-admin", "probe", "PROBE_SECRET", "s3cret-value"); err != nil {
		t.Fatal(err)
	}
	if names, err := c.SecretNames(ctx, "interhub-admin", "probe"); err != nil || len(names) != 1 || names[0] != "PROBE_SECRET" {
		t.Fatalf("secrets %q %v", names, err)
	}

	// A push of a workflow runs it on the runner; the run, its job and its log are readable.
	work := t.TempDir()
	l.git(t, work, "init", "-q")
	writeFile(t, filepath.Join(work, ".gitea", "workflows", "probe.yaml"), probeWorkflow)
	writeFile(t, filepath.Join(work, "README.md"), "probe\n")
	l.git(t, work, "add", "-A")
	l.git(t, work, "commit", "-q", "-m", "probe workflow")
	sha := l.git(t, work, "rev-parse", "HEAD")
	pushed := time.Now()
	l.git(t, work, "push", "-q", l.pushURL("interhub-admin", "probe"), "main")
	var run *Run
	for run == nil {
		runs, err := c.ListRuns(ctx, "interhub-admin", "probe", RunFilter{Event: "push", HeadSHA: sha})
		if err != nil {
			t.Fatal(err)
		}
		if len(runs) > 0 {
			run = &runs[0]
			break
		}
		if ctx.Err() != nil {
			t.Fatal("the push started no run")
		}
		time.Sleep(200 * time.Millisecond)
	}
	run, err = c.WaitRun(ctx, "interhub-admin", "probe", run.ID, 500*time.Millisecond)
	if err != nil || run.Conclusion != "success" {
		t.Fatalf("push run: %+v %v", run, err)
	}
	t.Logf("push to a finished run: %.1f s", time.Since(pushed).Seconds())
	jobs, err := c.RunJobs(ctx, "interhub-admin", "probe", run.ID)
	if err != nil || len(jobs) != 1 || jobs[0].Conclusion != "success" || jobs[0].RunnerName != "sandbox-runner" {
		t.Fatalf("jobs %+v %v", jobs, err)
	}
	log, err := c.JobLog(ctx, "interhub-admin", "probe", jobs[0].ID)
	if err != nil || !strings.Contains(log, "probe event=push greeting= secret-length=12") || strings.Contains(log, "s3cret-value") {
		t.Fatalf("job log (%v):\n%s", err, log)
	}
	if tasks, err := c.Tasks(ctx, "interhub-admin", "probe"); err != nil || len(tasks) != 1 || tasks[0].Status != "success" || tasks[0].HeadSHA != sha {
		t.Fatalf("tasks %+v %v", tasks, err)
	}

	// A dispatch with an input: the run it names gets the input.
	id, err := c.DispatchWorkflow(ctx, "interhub-admin", "probe", "probe.yaml", "main", map[string]string{"greeting": "hello"})
	if err != nil {
		t.Fatal(err)
	}
	run, err = c.WaitRun(ctx, "interhub-admin", "probe", id, 500*time.Millisecond)
	if err != nil || run.Conclusion != "success" || run.Event != "workflow_dispatch" {
		t.Fatalf("dispatched run: %+v %v", run, err)
	}
	jobs, _ = c.RunJobs(ctx, "interhub-admin", "probe", id)
	if log, err := c.JobLog(ctx, "interhub-admin", "probe", jobs[0].ID); err != nil || !strings.Contains(log, "greeting=hello") {
		t.Fatalf("dispatched job log (%v):\n%s", err, log)
	}
	if _, err := c.DispatchWorkflow(ctx, "interhub-admin", "probe", "nope.yaml", "main", nil); !IsNotFound(err) {
		t.Fatalf("dispatch of a missing workflow: %v", err)
	}

	// A pull request gets one comment per purpose: the second upsert edits the first.
	l.git(t, work, "checkout", "-q", "-b", "feature")
	writeFile(t, filepath.Join(work, "README.md"), "probe, changed\n")
	l.git(t, work, "commit", "-q", "-am", "change")
	head := l.git(t, work, "rev-parse", "HEAD")
	l.git(t, work, "push", "-q", l.pushURL("interhub-admin", "probe"), "feature")
	pr, err := c.CreatePullRequest(ctx, "interhub-admin", "probe", "feature", "main", "Change", "body")
	if err != nil || pr.Number <= 0 || pr.Head.SHA != head {
		t.Fatalf("pull request %+v %v", pr, err)
	}
	const marker = "<!-- unit-test -->"
	first, created, err := c.UpsertComment(ctx, "interhub-admin", "probe", pr.Number, marker, "first run")
	if err != nil || !created {
		t.Fatalf("first upsert: %+v %v %v", first, created, err)
	}
	if _, err := c.PostComment(ctx, "interhub-admin", "probe", pr.Number, "an unrelated comment"); err != nil {
		t.Fatal(err)
	}
	second, created, err := c.UpsertComment(ctx, "interhub-admin", "probe", pr.Number, marker, "second run")
	if err != nil || created || second.ID != first.ID {
		t.Fatalf("second upsert: %+v created=%v %v (first %d)", second, created, err, first.ID)
	}
	comments, err := c.Comments(ctx, "interhub-admin", "probe", pr.Number)
	if err != nil || len(comments) != 2 || comments[0].ID != first.ID || !strings.HasPrefix(comments[0].Body, "second run") ||
		!strings.Contains(comments[0].Body, marker) {
		t.Fatalf("comments %+v %v", comments, err)
	}

	// Commit statuses: the worst state of all contexts is the commit's.
	if err := c.SetStatus(ctx, "interhub-admin", "probe", head, Status{State: StateSuccess, Context: "a"}); err != nil {
		t.Fatal(err)
	}
	if err := c.SetStatus(ctx, "interhub-admin", "probe", head, Status{State: StateFailure, Context: "b", Description: "preview failed"}); err != nil {
		t.Fatal(err)
	}
	st, err := c.CommitStatus(ctx, "interhub-admin", "probe", head)
	if err != nil || st.State != StateFailure || len(st.Statuses) != 2 {
		t.Fatalf("combined status %+v %v", st, err)
	}
	if err := c.SetStatus(ctx, "interhub-admin", "probe", head, Status{State: "red", Context: "b"}); err == nil {
		t.Fatal("accepted the state red")
	}

	if err := c.DeleteRepo(ctx, "interhub-admin", "probe"); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteRepo(ctx, "interhub-admin", "probe"); err != nil {
		t.Fatalf("deleting it again: %v", err)
	}
}
