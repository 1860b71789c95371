//go:build integration

// Package pipeline_test runs the workflows of .gitea/workflows and deploy/app-repo on the
// stand-in's Gitea and its Actions runner, driven only through Gitea's API and git push, as
// they run for Railiance01: a deploy repository (this checkout's files) and an app repository
// (the sample app) per test, a stack of the program on the stand-in, and the build host
// fetching the app's commits from Gitea.
package pipeline_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coulomb-social/inter-hub-deploy/internal/gitea"
	"github.com/coulomb-social/inter-hub-deploy/sandbox/sandboxenv"
	"github.com/coulomb-social/inter-hub-deploy/test/support/standin"
)

// requireEnv: set by `make test`, which starts the stand-in with Gitea; a stand-in without it
// is then a failure, not a skip.
const requireEnv = "INTERHUB_REQUIRE_SANDBOX"

// pipeline is one deploy repository and one app repository on the stand-in's Gitea, wired to
// one stack of the program, as the RUNBOOK's "CI on Gitea Actions" sets them up for Railiance01.
type pipeline struct {
	stack  *standin.Stack
	env    *sandboxenv.Env
	gitea  *gitea.Client
	token  string
	owner  string
	deploy string // the deploy repository (this checkout's files)
	app    string // the app repository (the sample app)
	// deployWork and appWork are local clones the test commits in and pushes from.
	deployWork, appWork string
}

func newPipeline(t *testing.T, suffix string, config map[string]string) *pipeline {
	t.Helper()
	env := standin.Require(t)
	if env.Gitea == nil {
		if os.Getenv(requireEnv) != "" {
			t.Fatalf("the stand-in runs without Gitea (%s is set): start it with `make sandbox-up GITEA=1`", requireEnv)
		}
		t.Skip("the stand-in runs without Gitea; start it with `make sandbox-up GITEA=1`")
	}
	token, err := env.Gitea.Token()
	if err != nil {
		t.Fatal(err)
	}
	p := &pipeline{env: env, token: token, owner: env.Gitea.AdminUser,
		gitea:  &gitea.Client{Server: env.Gitea.URL, Token: token},
		deploy: "inter-hub-deploy-" + suffix, app: "inter-hub-" + suffix}
	p.stack = standin.New(t, standin.Options{Names: standin.NamesFor("ci", suffix), Config: config})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// Repositories left by a run that died before its cleanup go first.
	for _, r := range []string{p.deploy, p.app} {
		if err := p.gitea.DeleteRepo(ctx, p.owner, r); err != nil {
			t.Fatal(err)
		}
		if _, err := p.gitea.CreateRepo(ctx, "", gitea.CreateRepoOptions{Name: r, DefaultBranch: "main"}); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		p.waitIdle(t, ctx)
		for _, r := range []string{p.deploy, p.app} {
			if err := p.gitea.DeleteRepo(ctx, p.owner, r); err != nil {
				t.Logf("cleanup: %v", err)
			}
		}
	})

	label := env.Gitea.RunnerLabels[0]
	// Variables and secrets first: the workflows must find them on their first run.
	must(t, p.gitea.SetVariable(ctx, p.owner, p.app, "RUNNER_LABEL", label))
	must(t, p.gitea.SetVariable(ctx, p.owner, p.app, "DEPLOY_REPOSITORY", p.owner+"/"+p.deploy))
	must(t, p.gitea.SetSecret(ctx, p.owner, p.app, "DEPLOY_DISPATCH_TOKEN", token))
	must(t, p.gitea.SetVariable(ctx, p.owner, p.deploy, "RUNNER_LABEL", label))
	must(t, p.gitea.SetVariable(ctx, p.owner, p.deploy, "STACK", "local"))
	must(t, p.gitea.SetVariable(ctx, p.owner, p.deploy, "SANDBOX_DIR", env.StateDir))
	must(t, p.gitea.SetVariable(ctx, p.owner, p.deploy, "PREVIEW_STACKS", "local"))
	// The stack's own backend: the runner's jobs and this test read the same state.
	must(t, p.gitea.SetSecret(ctx, p.owner, p.deploy, "PULUMI_BACKEND_URL", "file://"+p.stack.StateDir))

	// The app repository: the sample app's history and tags, main at v1 without a workflow
	// (a push of it starts nothing). The build host's checkout fetches from it, as haskelseed's
	// checkout fetches from the app repository on Gitea.
	p.appWork = t.TempDir()
	gitIn(t, "", "clone", "--quiet", p.stack.Origin, p.appWork)
	gitIn(t, p.appWork, "push", "--quiet", p.pushURL(p.app), "--tags", "v1^{commit}:refs/heads/main")
	gitIn(t, p.stack.Checkout, "remote", "set-url", "origin", p.cloneURL(p.app))
	gitIn(t, p.stack.Checkout, "fetch", "--quiet", "--tags", "origin")

	// The deploy repository: this checkout's tracked files as they are now, with the stack's
	// file naming this test's namespace, database, host and build checkout.
	p.deployWork = t.TempDir()
	copyTracked(t, p.stack.Root, p.deployWork)
	stackFile, err := os.ReadFile(p.stack.ConfigFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(p.deployWork, "Pulumi.local.yaml"), stackFile, 0o644); err != nil {
		t.Fatal(err)
	}
	gitIn(t, p.deployWork, "init", "--quiet")
	gitIn(t, p.deployWork, "add", "-A")
	gitIn(t, p.deployWork, "commit", "--quiet", "-m", "inter-hub-deploy at the start of "+t.Name())
	p.operatorFirstDeploy(t)
	return p
}

// operatorFirstDeploy is the operator's part for a new stack, from the same checkout, before CI
// takes over (RUNBOOK "API key and admin account"): the first deploy, then the admin account the
// smoke checks log in with, made once on the fresh database.
func (p *pipeline) operatorFirstDeploy(t *testing.T) {
	t.Helper()
	// Where Pulumi.local.yaml finds the stand-in's files (as the workflows link it).
	must(t, os.Symlink(p.env.StateDir, filepath.Join(p.deployWork, ".sandbox")))
	for _, target := range []string{"up", "admin"} {
		cmd := exec.Command("make", "--no-print-directory", target, "STACK=local")
		cmd.Dir = p.deployWork
		cmd.Env = append(os.Environ(), "PULUMI_BACKEND_URL=file://"+p.stack.StateDir)
		start := time.Now()
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("make %s STACK=local in the deploy checkout: %v\n%s", target, err, out)
		}
		t.Logf("operator: make %s STACK=local: %.1f s", target, time.Since(start).Seconds())
	}
}

// pushDeploy pushes the deploy repository's main and returns the pushed commit.
func (p *pipeline) pushDeploy(t *testing.T) string {
	t.Helper()
	gitIn(t, p.deployWork, "push", "--quiet", p.pushURL(p.deploy), "HEAD:refs/heads/main")
	return gitIn(t, p.deployWork, "rev-parse", "HEAD")
}

// pushApp commits the app repository's dispatch workflow on top of revision and pushes the
// commit to main; it returns the commit.
func (p *pipeline) pushApp(t *testing.T, revision, message string) string {
	t.Helper()
	gitIn(t, p.appWork, "checkout", "--quiet", "--detach", revision)
	workflow, err := os.ReadFile(filepath.Join(p.stack.Root, "deploy", "app-repo", ".gitea", "workflows", "dispatch-deploy.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(p.appWork, ".gitea", "workflows", "dispatch-deploy.yaml")
	must(t, os.MkdirAll(filepath.Dir(dst), 0o755))
	must(t, os.WriteFile(dst, workflow, 0o644))
	gitIn(t, p.appWork, "add", "-A")
	gitIn(t, p.appWork, "commit", "--quiet", "--allow-empty", "-m", message)
	gitIn(t, p.appWork, "push", "--quiet", "--force", p.pushURL(p.app), "HEAD:refs/heads/main")
	return gitIn(t, p.appWork, "rev-parse", "HEAD")
}

// runOf waits until a run of repo for commit sha (and event, when not empty) exists; Gitea
// lists a run within seconds of the push or dispatch, so two minutes is plenty.
func (p *pipeline) runOf(t *testing.T, ctx context.Context, repo, event, sha string) gitea.Run {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	for {
		runs, err := p.gitea.ListRuns(ctx, p.owner, repo, gitea.RunFilter{Event: event, HeadSHA: sha})
		if err == nil && len(runs) > 0 {
			return runs[len(runs)-1]
		}
		if ctx.Err() != nil {
			t.Fatalf("no %s run of %s for %s: %v", event, repo, sha, err)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// finish waits for run to complete and logs its jobs' step times; on a conclusion other than
// want it prints the jobs' logs and fails.
func (p *pipeline) finish(t *testing.T, ctx context.Context, repo string, run gitea.Run, want string) *gitea.Run {
	t.Helper()
	done, err := p.gitea.WaitRun(ctx, p.owner, repo, run.ID, time.Second)
	if err != nil {
		p.dumpLogs(t, repo, run.ID)
		t.Fatal(err)
	}
	p.logSteps(t, repo, done)
	if done.Conclusion != want {
		p.dumpLogs(t, repo, run.ID)
		t.Fatalf("%s run %d (%s) ended %s, want %s: %s", repo, done.ID, done.Event, done.Conclusion, want, done.HTMLURL)
	}
	return done
}

func (p *pipeline) logSteps(t *testing.T, repo string, run *gitea.Run) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	jobs, err := p.gitea.RunJobs(ctx, p.owner, repo, run.ID)
	if err != nil {
		t.Logf("jobs of run %d: %v", run.ID, err)
		return
	}
	for _, j := range jobs {
		var steps []string
		for _, s := range j.Steps {
			if !s.StartedAt.IsZero() && !s.Completed.IsZero() {
				steps = append(steps, fmt.Sprintf("%s %.1fs", s.Name, s.Completed.Sub(s.StartedAt).Seconds()))
			}
		}
		t.Logf("%s run %d (%s) job %s: %s/%s, waited %.1fs, ran %.1fs: %s", repo, run.ID, run.Event, j.Name, j.Status, j.Conclusion,
			seconds(j.CreatedAt, j.StartedAt), seconds(j.StartedAt, j.CompletedAt), strings.Join(steps, "; "))
	}
}

func seconds(from, to time.Time) float64 {
	// A job that never ran reports its times as zero or as the Unix epoch.
	if from.Unix() <= 0 || to.Unix() <= 0 {
		return 0
	}
	return to.Sub(from).Seconds()
}

// jobLogs is the concatenated log of run id's jobs.
func (p *pipeline) jobLogs(t *testing.T, repo string, id int64) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	jobs, err := p.gitea.RunJobs(ctx, p.owner, repo, id)
	if err != nil {
		return fmt.Sprintf("jobs of run %d: %v", id, err)
	}
	var b strings.Builder
	for _, j := range jobs {
		l, err := p.gitea.JobLog(ctx, p.owner, repo, j.ID)
		if err != nil {
			l = err.Error()
		}
		fmt.Fprintf(&b, "--- job %s (%s):\n%s\n", j.Name, j.Conclusion, l)
	}
	return b.String()
}

func (p *pipeline) dumpLogs(t *testing.T, repo string, id int64) {
	t.Helper()
	logs := p.jobLogs(t, repo, id)
	if len(logs) > 20000 {
		logs = "[...]\n" + logs[len(logs)-20000:]
	}
	t.Logf("logs of %s run %d:\n%s", repo, id, logs)
	if repo == p.app {
		// The app's run waits for a deploy run: show the deploy repository's runs too.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		runs, _ := p.gitea.ListRuns(ctx, p.owner, p.deploy, gitea.RunFilter{})
		for _, r := range runs {
			if r.Conclusion != "success" {
				p.dumpLogs(t, p.deploy, r.ID)
			}
		}
	}
}

// waitIdle waits, within ctx, until no run of the test's repositories is unfinished: a job still
// running would deploy into a stack the cleanup removes. Gitea's API cannot cancel a run.
func (p *pipeline) waitIdle(t *testing.T, ctx context.Context) {
	for {
		busy := 0
		for _, repo := range []string{p.app, p.deploy} {
			runs, err := p.gitea.ListRuns(ctx, p.owner, repo, gitea.RunFilter{})
			if err != nil {
				continue
			}
			for _, r := range runs {
				if !r.Done() {
					busy++
				}
			}
		}
		if busy == 0 {
			return
		}
		if ctx.Err() != nil {
			t.Logf("cleanup: %d runs still unfinished", busy)
			return
		}
		time.Sleep(time.Second)
	}
}

// recorded is the app revision the deploy repository's main records for the stack now.
func (p *pipeline) recorded(t *testing.T) string {
	t.Helper()
	gitIn(t, p.deployWork, "fetch", "--quiet", p.pushURL(p.deploy), "main")
	file := gitIn(t, p.deployWork, "show", "FETCH_HEAD:Pulumi.local.yaml")
	m := regexp.MustCompile(`(?m)^\s+inter-hub:app\.revision:\s*"?([^"\s]+)"?\s*$`).FindStringSubmatch(file)
	if m == nil {
		t.Fatalf("the deploy repository's Pulumi.local.yaml records no app.revision:\n%s", file)
	}
	return m[1]
}

// serving is the revision the app reports on /capabilities through the stand-in's Traefik.
func (p *pipeline) serving(t *testing.T) string {
	t.Helper()
	client, err := p.env.Ingress.Client()
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Get(p.env.Ingress.URLFor(p.stack.Host) + "/capabilities")
	if err != nil {
		t.Fatalf("GET /capabilities: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var caps struct {
		Revision string `json:"revision"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &caps) != nil {
		t.Fatalf("GET /capabilities: HTTP %d: %s", resp.StatusCode, body)
	}
	return caps.Revision
}

func (p *pipeline) cloneURL(repo string) string {
	return p.env.Gitea.URL + "/" + p.owner + "/" + repo + ".git"
}

// pushURL carries the token: git is never asked for a password.
func (p *pipeline) pushURL(repo string) string {
	return strings.Replace(p.cloneURL(repo), "://", "://"+p.owner+":"+p.token+"@", 1)
}

// copyTracked copies the files git tracks in src (as they are in the working tree) into dst.
func copyTracked(t *testing.T, src, dst string) {
	t.Helper()
	out, err := exec.Command("git", "-C", src, "ls-files", "-z").Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	for _, name := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		from := filepath.Join(src, name)
		info, err := os.Lstat(from)
		if os.IsNotExist(err) {
			continue // deleted in the working tree
		}
		if err != nil {
			t.Fatal(err)
		}
		to := filepath.Join(dst, name)
		must(t, os.MkdirAll(filepath.Dir(to), 0o755))
		if info.Mode()&os.ModeSymlink != 0 {
			target, err := os.Readlink(from)
			must(t, err)
			must(t, os.Symlink(target, to))
			continue
		}
		data, err := os.ReadFile(from)
		must(t, err)
		must(t, os.WriteFile(to, data, info.Mode().Perm()))
	}
}

// gitIn runs git in dir with a fixed identity; the error names the command without the token.
func gitIn(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.name=inter-hub test", "-c", "user.email=test@inter-hub.invalid",
		"-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main", "-c", "advice.detachedHead=false"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		msg := fmt.Sprintf("git %s: %v\n%s", strings.Join(args, " "), err, out)
		t.Fatal(regexp.MustCompile(`://[^@/]+@`).ReplaceAllString(msg, "://[credentials]@"))
	}
	return strings.TrimSpace(string(out))
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestPipeline runs both workflows as they run for Railiance01, on one stack the operator
// deployed first (with its admin account), then the deploy repository's first push:
//   - a push to main of the app repository makes the runner build that commit on the build
//     host, deploy it and pass the smoke checks, and the deploy repository's main records it
//     (the workplan's exit criterion; push-to-green is measured);
//   - a pull request gets one preview comment naming the changed resources, edited by a second
//     push; a pull request whose preview fails gets a failing commit status;
//   - two quick app pushes deploy in order without a lock error; a documentation-only push to
//     the deploy repository starts no run; a revision that cannot serve ends red with the
//     rollback command in the log while the previous revision keeps serving.
func TestPipeline(t *testing.T) {
	// A crashing revision fails its release after 90 s, not the default 10 minutes.
	p := newPipeline(t, "flow", map[string]string{"release.timeoutSeconds": "90"})
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Minute)
	defer cancel()

	// The deploy repository's first push: what main records (v1, as the operator deployed it),
	// then the smoke checks with the admin login.
	start := time.Now()
	sha := p.pushDeploy(t)
	p.finish(t, ctx, p.deploy, p.runOf(t, ctx, p.deploy, "push", sha), "success")
	t.Logf("push to the deploy repository to green: %.1f s", time.Since(start).Seconds())
	if got, v1 := p.serving(t), gitIn(t, p.appWork, "rev-parse", "v1^{commit}"); got != v1 {
		t.Fatalf("after the deploy repository's first run the app serves revision %q, want v1 %s", got, v1)
	}

	t.Run("app-push-deploys", func(t *testing.T) {
		start := time.Now()
		app := p.pushApp(t, "v2", "v2 with the dispatch workflow")
		p.finish(t, ctx, p.app, p.runOf(t, ctx, p.app, "push", app), "success")
		green := time.Since(start)
		p.expectLive(t, app)
		deploy := p.runOf(t, ctx, p.deploy, "workflow_dispatch", "")
		logs := p.jobLogs(t, p.deploy, deploy.ID)
		for _, want := range []string{"app revision for local: " + app, "building .#docker at " + app} {
			if !strings.Contains(logs, want) {
				t.Errorf("the deploy run's log lacks %q", want)
			}
		}
		t.Logf("push to green of an app update: %.1f s (workplan: 15 min)", green.Seconds())
	})

	t.Run("pull-request-preview", func(t *testing.T) {
		// One pull request that changes the stack twice, one whose preview fails.
		pr := p.pullRequest(t, ctx, "fewer-replicas", map[string]string{"app.replicas": `"1"`})
		first := p.previewComment(t, ctx, pr, gitIn(t, p.deployWork, "rev-parse", "HEAD"), "success")
		for _, want := range []string{"### Pulumi preview: local", "release", "update"} {
			if !strings.Contains(first.Body, want) {
				t.Errorf("the preview comment lacks %q:\n%s", want, first.Body)
			}
		}
		head2 := p.pushBranch(t, "fewer-replicas", map[string]string{"app.replicas": `"3"`})
		second := p.previewComment(t, ctx, pr, head2, "success")
		if second.ID != first.ID {
			t.Errorf("the second run posted comment %d instead of editing %d", second.ID, first.ID)
		}
		if n := p.markedComments(t, ctx, pr); n != 1 {
			t.Errorf("%d preview comments on pull request %d, want 1", n, pr)
		}
		bad := p.pullRequest(t, ctx, "bad-replicas", map[string]string{"app.replicas": `"many"`})
		badHead := gitIn(t, p.deployWork, "rev-parse", "HEAD")
		c := p.previewComment(t, ctx, bad, badHead, "failure")
		if !strings.Contains(c.Body, "app.replicas") {
			t.Errorf("the failing preview's comment does not name the bad key:\n%s", c.Body)
		}
		st, err := p.gitea.CommitStatus(ctx, p.owner, p.deploy, badHead)
		if err != nil || st.State != "failure" {
			t.Errorf("commit status of the failing pull request's head: %+v %v", st, err)
		}
	})

	t.Run("quick-pushes-deploy-in-order", func(t *testing.T) {
		// The second push lands while the first one's deploy runs. (A run still waiting in the
		// dispatch group when a newer push arrives is cancelled by design: the newer commit
		// deploys everything before it.)
		a := p.pushApp(t, "v2", "quick push 1")
		runA := p.runOf(t, ctx, p.app, "push", a)
		p.waitStarted(t, ctx, p.app, runA.ID)
		b := p.pushApp(t, "HEAD", "quick push 2")
		runB := p.runOf(t, ctx, p.app, "push", b)
		p.finish(t, ctx, p.app, runA, "success")
		p.finish(t, ctx, p.app, runB, "success")
		p.expectLive(t, b)
		// main recorded a, then b: the record commits are in push order.
		gitIn(t, p.deployWork, "fetch", "--quiet", p.pushURL(p.deploy), "main")
		history := gitIn(t, p.deployWork, "log", "--format=%s", "FETCH_HEAD", "--", "Pulumi.local.yaml")
		ia, ib := strings.Index(history, "Deploy app revision "+a), strings.Index(history, "Deploy app revision "+b)
		if ia < 0 || ib < 0 || ib > ia {
			t.Errorf("the deploy repository's main did not record %s then %s:\n%s", a, b, history)
		}
		runs, err := p.gitea.ListRuns(ctx, p.owner, p.deploy, gitea.RunFilter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range runs {
			t.Logf("deploy repository run %d: %s at %.12s, %s/%s, %s", r.ID, r.Event, r.HeadSHA, r.Status, r.Conclusion, r.DisplayTitle)
			if r.Conclusion == "failure" && r.Event != "pull_request" {
				t.Errorf("deploy repository run %d (%s) failed", r.ID, r.Event)
			}
			if logs := p.jobLogs(t, p.deploy, r.ID); strings.Contains(logs, "currently locked") {
				t.Errorf("deploy repository run %d (%s) met the stack lock", r.ID, r.Event)
			}
		}
	})

	t.Run("docs-only-push-deploys-nothing", func(t *testing.T) {
		// Nothing else may push to main meanwhile (a record job of an earlier run).
		p.waitIdle(t, ctx)
		gitIn(t, p.deployWork, "fetch", "--quiet", p.pushURL(p.deploy), "main")
		gitIn(t, p.deployWork, "checkout", "--quiet", "FETCH_HEAD")
		must(t, os.WriteFile(filepath.Join(p.deployWork, "docs", "NOTE.md"), []byte("A note.\n"), 0o644))
		gitIn(t, p.deployWork, "add", "docs/NOTE.md")
		gitIn(t, p.deployWork, "commit", "--quiet", "-m", "docs: a note")
		sha := p.pushDeploy(t)
		// Gitea decides at once; a run would be listed well within these seconds.
		deadline := time.Now().Add(15 * time.Second)
		for time.Now().Before(deadline) {
			runs, err := p.gitea.ListRuns(ctx, p.owner, p.deploy, gitea.RunFilter{HeadSHA: sha})
			if err != nil {
				t.Fatal(err)
			}
			if len(runs) > 0 {
				t.Fatalf("a documentation-only push started run %d (%s)", runs[0].ID, runs[0].Path)
			}
			time.Sleep(time.Second)
		}
	})

	t.Run("failing-revision-ends-red", func(t *testing.T) {
		before := p.serving(t)
		crash := p.pushApp(t, p.env.BuildHost.CrashTag, "a revision that crashes at start")
		run := p.finish(t, ctx, p.app, p.runOf(t, ctx, p.app, "push", crash), "failure")
		deploys, err := p.gitea.ListRuns(ctx, p.owner, p.deploy, gitea.RunFilter{Event: "workflow_dispatch"})
		if err != nil || len(deploys) == 0 {
			t.Fatalf("deploy runs: %v", err)
		}
		logs := p.jobLogs(t, p.deploy, deploys[0].ID)
		for _, want := range []string{"DEPLOY FAILED", "make rollback STACK=local TO="} {
			if !strings.Contains(logs, want) {
				t.Errorf("the failed deploy run %d's log lacks %q", deploys[0].ID, want)
			}
		}
		if got := p.serving(t); got != before {
			t.Errorf("after the failed run %d the app serves %q, want the previous revision %s", run.ID, got, before)
		}
	})
}

// waitStarted waits until run id of repo is in progress (a runner took its job).
func (p *pipeline) waitStarted(t *testing.T, ctx context.Context, repo string, id int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	for {
		r, err := p.gitea.GetRun(ctx, p.owner, repo, id)
		if err == nil && r.Status != "queued" && r.Status != "waiting" {
			return
		}
		if ctx.Err() != nil {
			t.Fatalf("run %d of %s did not start: %+v %v", id, repo, r, err)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// expectLive checks that the deploy repository's main records revision and the app serves it.
func (p *pipeline) expectLive(t *testing.T, revision string) {
	t.Helper()
	if got := p.recorded(t); got != revision {
		t.Errorf("the deploy repository's main records app revision %q, want %s", got, revision)
	}
	if got := p.serving(t); got != revision {
		t.Errorf("the app serves revision %q, want %s", got, revision)
	}
}

// previewMarker is the hidden marker of the preview comment (cmd/interhub's gitea-comment).
const previewMarker = "<!-- inter-hub:preview -->"

// pullRequest branches from the deploy repository's main, sets config keys of the stack's file
// (raw YAML values), pushes the branch and opens a pull request of it; it returns its number.
func (p *pipeline) pullRequest(t *testing.T, ctx context.Context, branch string, config map[string]string) int {
	t.Helper()
	gitIn(t, p.deployWork, "fetch", "--quiet", p.pushURL(p.deploy), "main")
	gitIn(t, p.deployWork, "checkout", "--quiet", "--detach", "FETCH_HEAD")
	p.pushBranch(t, branch, config)
	pr, err := p.gitea.CreatePullRequest(ctx, p.owner, p.deploy, branch, "main", "Change "+branch, "")
	if err != nil {
		t.Fatal(err)
	}
	return pr.Number
}

// pushBranch commits config changes on the work tree's HEAD and pushes it as branch; it returns
// the commit.
func (p *pipeline) pushBranch(t *testing.T, branch string, config map[string]string) string {
	t.Helper()
	file := filepath.Join(p.deployWork, "Pulumi.local.yaml")
	data, err := os.ReadFile(file)
	must(t, err)
	for key, value := range config {
		line := regexp.MustCompile(`(?m)^(\s+inter-hub:` + regexp.QuoteMeta(key) + `:).*$`)
		if !line.Match(data) {
			t.Fatalf("Pulumi.local.yaml has no inter-hub:%s", key)
		}
		data = line.ReplaceAll(data, []byte("${1} "+value))
	}
	must(t, os.WriteFile(file, data, 0o644))
	gitIn(t, p.deployWork, "commit", "--quiet", "-am", "Set "+branch)
	gitIn(t, p.deployWork, "push", "--quiet", "--force", p.pushURL(p.deploy), "HEAD:refs/heads/"+branch)
	return gitIn(t, p.deployWork, "rev-parse", "HEAD")
}

// previewComment waits for the preview run of pull request pr's head commit to end as want, and
// returns the preview comment, which must name that commit.
func (p *pipeline) previewComment(t *testing.T, ctx context.Context, pr int, head, want string) gitea.Comment {
	t.Helper()
	p.finish(t, ctx, p.deploy, p.runOf(t, ctx, p.deploy, "pull_request", head), want)
	comments, err := p.gitea.Comments(ctx, p.owner, p.deploy, pr)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range comments {
		if strings.Contains(c.Body, previewMarker) {
			if !strings.Contains(c.Body, "Commit "+head[:12]) {
				t.Errorf("the preview comment on pull request %d does not name commit %s:\n%s", pr, head[:12], c.Body)
			}
			return c
		}
	}
	t.Fatalf("no preview comment on pull request %d after its run for %s", pr, head)
	return gitea.Comment{}
}

// markedComments counts the preview comments on pull request pr.
func (p *pipeline) markedComments(t *testing.T, ctx context.Context, pr int) int {
	t.Helper()
	comments, err := p.gitea.Comments(ctx, p.owner, p.deploy, pr)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range comments {
		if strings.Contains(c.Body, previewMarker) {
			n++
		}
	}
	return n
}
