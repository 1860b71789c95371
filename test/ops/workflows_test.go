//go:build integration

package ops_test

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/coulomb-social/inter-hub-deploy/internal/affected"
	"github.com/coulomb-social/inter-hub-deploy/test/support/clirun"
)

type workflow struct {
	Name        string            `yaml:"name"`
	On          map[string]any    `yaml:"on"`
	Permissions map[string]string `yaml:"permissions"`
	Concurrency *concurrency      `yaml:"concurrency"`
	Jobs        map[string]struct {
		RunsOn      string            `yaml:"runs-on"`
		If          string            `yaml:"if"`
		Needs       any               `yaml:"needs"`
		Permissions map[string]string `yaml:"permissions"`
		Concurrency *concurrency      `yaml:"concurrency"`
		Env         map[string]string `yaml:"env"`
		Steps       []struct {
			Name string `yaml:"name"`
			Uses string `yaml:"uses"`
			Run  string `yaml:"run"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

type concurrency struct {
	Group            string `yaml:"group"`
	CancelInProgress bool   `yaml:"cancel-in-progress"`
}

// workflowFiles are the workflows this repository ships: its own two, and the one for the app
// repository, by the name each declares.
var workflowFiles = map[string]string{
	"preview":         ".gitea/workflows/preview.yaml",
	"deploy":          ".gitea/workflows/deploy.yaml",
	"dispatch-deploy": "deploy/app-repo/.gitea/workflows/dispatch-deploy.yaml",
}

func readWorkflow(t *testing.T, root, rel string) workflow {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, rel))
	if err != nil {
		t.Fatal(err)
	}
	var wf workflow
	if err := yaml.Unmarshal(data, &wf); err != nil {
		t.Fatalf("%s is not valid YAML: %v", rel, err)
	}
	return wf
}

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := clirun.Repo()
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// makeTargets parses the Makefile's rule targets (not variable assignments).
func makeTargets(t *testing.T, root string) map[string]bool {
	t.Helper()
	f, err := os.Open(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rule := regexp.MustCompile(`^([A-Za-z0-9_./%-]+(?:\s+[A-Za-z0-9_./%-]+)*)\s*:([^=]|$)`)
	targets := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "\t") || strings.HasPrefix(line, "#") {
			continue
		}
		if m := rule.FindStringSubmatch(line); m != nil {
			for _, tgt := range strings.Fields(m[1]) {
				targets[tgt] = true
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return targets
}

// interhubCommands lists the operator binary's subcommands from its usage text.
func interhubCommands(t *testing.T) map[string]bool {
	t.Helper()
	bin := clirun.BuildProgram(t, "./cmd/interhub")
	out, _ := exec.Command(bin, "help").CombinedOutput()
	cmds := map[string]bool{}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "  ") {
			if f := strings.Fields(line); len(f) > 0 {
				cmds[f[0]] = true
			}
		}
	}
	if !cmds["smoke"] || !cmds["rollback"] {
		t.Fatalf("cannot read the subcommands from `interhub help`:\n%s", out)
	}
	return cmds
}

// TestWorkflowsCallOnlyWhatExists parses both Gitea workflows and checks that they use no
// actions from elsewhere, and that every make target, interhub subcommand and repository path
// their steps call exists.
func TestWorkflowsCallOnlyWhatExists(t *testing.T) {
	root := repoRoot(t)
	targets := makeTargets(t, root)
	cmds := interhubCommands(t)

	makeCall := regexp.MustCompile(`\bmake\s+((?:-\S+\s+|[A-Za-z_]+=\S+\s+)*)([A-Za-z0-9_./-]+)`)
	interhubCall := regexp.MustCompile(`(?:bin/interhub|go run \./cmd/interhub)[ \t]+([a-z-]+)`)
	repoPath := regexp.MustCompile(`(?:^|[\s"'=<>(])((?:\./)?(?:toolchain|sandbox|cmd|internal|test|\.ci|docs|stacks|components)/[A-Za-z0-9_./-]+|\./[A-Za-z0-9_./-]+)`)

	seen := map[string][]string{}
	for want, rel := range workflowFiles {
		name := filepath.Base(rel)
		wf := readWorkflow(t, root, rel)
		if wf.Name != want || len(wf.Jobs) == 0 || len(wf.On) == 0 {
			t.Fatalf("%s: name %q, %d jobs, triggers %v", name, wf.Name, len(wf.Jobs), wf.On)
		}
		for jobName, job := range wf.Jobs {
			if job.RunsOn == "" || len(job.Steps) == 0 {
				t.Errorf("%s job %s: no runs-on or no steps", name, jobName)
			}
			for i, step := range job.Steps {
				where := name + " job " + jobName + " step " + step.Name
				if step.Uses != "" {
					t.Errorf("%s uses %q: actions cannot be fetched here; use run: steps", where, step.Uses)
				}
				if strings.TrimSpace(step.Run) == "" {
					t.Errorf("%s (#%d) has no run script", where, i)
				}
				// Expressions are passed in through env:, so the script is plain bash.
				if strings.Contains(step.Run, "${{") {
					t.Errorf("%s puts an expression into its script; pass it through env:", where)
				}
				if out, err := exec.Command("bash", "-n", "-c", step.Run).CombinedOutput(); err != nil {
					t.Errorf("%s: bash -n: %v\n%s", where, err, out)
				}
				if want == "dispatch-deploy" {
					continue // it runs in the app repository: no make, interhub or paths of this one
				}
				for _, m := range makeCall.FindAllStringSubmatch(step.Run, -1) {
					seen[name] = append(seen[name], "make "+m[2])
					if !targets[m[2]] {
						t.Errorf("%s calls `make %s`, which the Makefile does not define", where, m[2])
					}
				}
				for _, m := range interhubCall.FindAllStringSubmatch(step.Run, -1) {
					seen[name] = append(seen[name], "interhub "+m[1])
					if !cmds[m[1]] {
						t.Errorf("%s calls `interhub %s`, which does not exist", where, m[1])
					}
				}
				for _, m := range repoPath.FindAllStringSubmatch(step.Run, -1) {
					p := strings.TrimRight(m[1], ".")
					seen[name] = append(seen[name], p)
					if _, err := os.Stat(filepath.Join(root, p)); err != nil {
						t.Errorf("%s refers to %s, which is not in the repository", where, p)
					}
				}
			}
		}
	}
	t.Logf("checked: %q", seen)
	// The checks above must have had something to check.
	for _, must := range []string{"make deploy-tools", "make stack-select", "make preview-json", "make bin/interhub",
		"interhub preview-summary", "interhub gitea-comment", "interhub changed-stacks"} {
		if !contains(seen["preview.yaml"], must) {
			t.Errorf("preview.yaml: expected to find %q among %q", must, sorted(seen["preview.yaml"]))
		}
	}
	for _, must := range []string{"make deploy-tools", "make up", "make smoke", "make rollback", "make bin/interhub",
		"interhub app-revision", "./cmd/interhub"} {
		if !contains(seen["deploy.yaml"], must) {
			t.Errorf("deploy.yaml: expected to find %q among %q", must, sorted(seen["deploy.yaml"]))
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func sorted(list []string) []string {
	out := append([]string(nil), list...)
	sort.Strings(out)
	return out
}

// pathPattern is the regexp of a workflow path filter as Gitea (act's workflowpattern) builds
// it, for the subset the workflows use: *, ** and **/.
func pathPattern(t *testing.T, p string) *regexp.Regexp {
	t.Helper()
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(p); {
		switch {
		case strings.HasPrefix(p[i:], "**/"):
			b.WriteString("(.+/)?")
			i += 3
		case strings.HasPrefix(p[i:], "**"):
			b.WriteString(".*")
			i += 2
		case p[i] == '*':
			b.WriteString("[^/]*")
			i++
		case strings.ContainsRune("?+[]\\!", rune(p[i])):
			t.Fatalf("path filter %q uses %q, which this test does not model", p, p[i])
		default:
			b.WriteString(regexp.QuoteMeta(p[i : i+1]))
			i++
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

// TestWorkflowsServeTheDeployPipeline checks the workflows' shape against what the pipeline
// needs: runner label and stack from repository variables, deploys serialised per stack and
// queued, a dispatched revision recorded on main before the deploy, pushes that touch no deploy
// input skipped (and every deploy input deploying), one edited comment per pull request.
func TestWorkflowsServeTheDeployPipeline(t *testing.T) {
	root := repoRoot(t)
	for want, rel := range workflowFiles {
		for name, job := range readWorkflow(t, root, rel).Jobs {
			if job.RunsOn != "${{ vars.RUNNER_LABEL || 'railiance01' }}" {
				t.Errorf("%s job %s runs on %q: want the RUNNER_LABEL variable, default railiance01", want, name, job.RunsOn)
			}
		}
	}

	deploy := readWorkflow(t, root, workflowFiles["deploy"])
	record, job := deploy.Jobs["record"], deploy.Jobs["deploy"]
	if job.Concurrency == nil || job.Concurrency.Group != "deploy-${{ vars.STACK || 'railiance01' }}" || job.Concurrency.CancelInProgress {
		t.Errorf("deploy job concurrency %+v: want one queued group per stack (vars.STACK), never cancelling a running deploy", job.Concurrency)
	}
	if job.Env["STACK"] != "${{ vars.STACK || 'railiance01' }}" || record.Env["STACK"] != job.Env["STACK"] {
		t.Errorf("STACK: record %q, deploy %q; want the STACK variable, default railiance01", record.Env["STACK"], job.Env["STACK"])
	}
	if job.Needs != "record" || !strings.Contains(job.If, "!cancelled()") || !strings.Contains(record.If, "workflow_dispatch") {
		t.Errorf("deploy must follow record (needs %v, if %q); record runs for dispatches (if %q)", job.Needs, job.If, record.If)
	}
	if record.Permissions["contents"] != "write" || job.Permissions["contents"] != "read" {
		t.Errorf("permissions: record %v (must push the recorded revision), deploy %v (reads only)", record.Permissions, job.Permissions)
	}
	if len(job.Steps) == 0 || !strings.Contains(job.Steps[0].Run, "fetch -q origin main") {
		t.Errorf("the deploy job must check out main as it is when it starts (newest recorded revision), not the triggering commit")
	}
	dispatch, _ := deploy.On["workflow_dispatch"].(map[string]any)
	inputs, _ := dispatch["inputs"].(map[string]any)
	if _, ok := inputs["app_revision"]; !ok {
		t.Errorf("deploy.yaml takes no app_revision input: %v", deploy.On["workflow_dispatch"])
	}

	// paths-ignore: documentation and tests start no deploy; nothing the stacks are made of is ignored.
	push, _ := deploy.On["push"].(map[string]any)
	rawIgnore, _ := push["paths-ignore"].([]any)
	if len(rawIgnore) == 0 {
		t.Fatalf("deploy.yaml has no push paths-ignore: %v", push)
	}
	var ignore []*regexp.Regexp
	for _, p := range rawIgnore {
		ignore = append(ignore, pathPattern(t, p.(string)))
	}
	ignored := func(f string) bool {
		for _, re := range ignore {
			if re.MatchString(f) {
				return true
			}
		}
		return false
	}
	out, err := exec.Command("git", "-C", root, "ls-files").Output()
	if err != nil {
		t.Fatal(err)
	}
	dirs, err := affected.ProgramDirs(root)
	if err != nil {
		t.Fatal(err)
	}
	files := strings.Fields(string(out))
	for _, f := range files {
		if len(affected.Stacks([]string{f}, []string{"railiance01"}, dirs)) > 0 && ignored(f) {
			t.Errorf("%s is a deploy input but deploy.yaml's paths-ignore skips pushes that change only it", f)
		}
	}
	for _, f := range []string{"README.md", "docs/RUNBOOK.md", "docs/graph.png", "main_test.go", "test/ops/workflows_test.go",
		"sandbox/sandbox.sh", "internal/previewsummary/testdata/x.json", "deploy/app-repo/README.md", "deploy/secrets/README.md"} {
		if !ignored(f) {
			t.Errorf("a push changing only %s would deploy", f)
		}
	}
	for _, f := range []string{"main.go", "Pulumi.railiance01.yaml", "charts/inter-hub/values.yaml", "components/release.go",
		"deploy/secrets/railiance01.env.sops.yaml", "go.sum", ".gitea/workflows/deploy.yaml", "charts/inter-hub/README.md"} {
		if ignored(f) {
			t.Errorf("a push changing %s would not deploy", f)
		}
	}

	preview := readWorkflow(t, root, workflowFiles["preview"])
	if preview.Permissions["contents"] != "read" || preview.Permissions["pull-requests"] != "write" {
		t.Errorf("preview permissions %v: read the code, write the comment", preview.Permissions)
	}
	var comment string
	for _, s := range preview.Jobs["preview"].Steps {
		if strings.Contains(s.Run, "gitea-comment") {
			comment = s.Run
		}
	}
	if comment == "" || strings.Contains(comment, "--new") {
		t.Errorf("the preview must edit its one comment per pull request (gitea-comment without --new): %q", comment)
	}

	app := readWorkflow(t, root, workflowFiles["dispatch-deploy"])
	if app.Concurrency == nil || app.Concurrency.CancelInProgress {
		t.Errorf("dispatch-deploy: dispatches must keep push order (a queued concurrency group): %+v", app.Concurrency)
	}
	var dispatches bool
	for _, s := range app.Jobs["dispatch"].Steps {
		dispatches = dispatches || (strings.Contains(s.Run, "/actions/workflows/deploy.yaml/dispatches") && strings.Contains(s.Run, "app_revision"))
	}
	if !dispatches || app.Jobs["dispatch"].Env["APP_SHA"] != "${{ gitea.sha }}" {
		t.Errorf("dispatch-deploy must dispatch deploy.yaml with app_revision = the pushed commit")
	}
}
