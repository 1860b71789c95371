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

	"github.com/coulomb-social/inter-hub-deploy/internal/pulumitest"
)

type workflow struct {
	Name string         `yaml:"name"`
	On   map[string]any `yaml:"on"`
	Jobs map[string]struct {
		RunsOn string `yaml:"runs-on"`
		Steps  []struct {
			Name string `yaml:"name"`
			Uses string `yaml:"uses"`
			Run  string `yaml:"run"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := pulumitest.Repo()
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
	bin := pulumitest.BuildProgram(t, "./cmd/interhub")
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

	makeCall := regexp.MustCompile(`\bmake\s+((?:[A-Za-z_]+=\S+\s+)*)([A-Za-z0-9_./-]+)`)
	interhubCall := regexp.MustCompile(`(?:bin/interhub|go run \./cmd/interhub)\s+([a-z-]+)`)
	repoPath := regexp.MustCompile(`(?:^|[\s"'=<>(])((?:\./)?(?:toolchain|sandbox|cmd|internal|test|\.ci|docs|stacks|components)/[A-Za-z0-9_./-]+|\./[A-Za-z0-9_./-]+)`)

	files := map[string]string{"preview": "preview.yaml", "deploy": "deploy.yaml"}
	seen := map[string][]string{}
	for want, name := range files {
		path := filepath.Join(root, ".gitea", "workflows", name)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var wf workflow
		if err := yaml.Unmarshal(data, &wf); err != nil {
			t.Fatalf("%s is not valid YAML: %v", name, err)
		}
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
	for _, must := range []string{"make tools", "make stack-select", "interhub preview-summary", "interhub gitea-comment", "interhub changed-stacks", "toolchain/tools.sh", "./cmd/interhub"} {
		if !contains(seen["preview.yaml"], must) {
			t.Errorf("preview.yaml: expected to find %q among %q", must, sorted(seen["preview.yaml"]))
		}
	}
	for _, must := range []string{"make up", "make rollback", "interhub smoke", "interhub rollback"} {
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
