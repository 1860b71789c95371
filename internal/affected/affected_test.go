package affected

import (
	"reflect"
	"strings"
	"testing"
)

func TestStacks(t *testing.T) {
	prog := map[string]bool{".": true, "components": true, "stacks": true, "internal/sopsfile": true}
	cands := []string{"railiance01", "local"}
	for _, c := range []struct {
		name  string
		files string
		want  []string
	}{
		{"a stack's config", "Pulumi.local.yaml", []string{"local"}},
		{"the other stack's config", "Pulumi.railiance01.yaml\ndocs/RUNBOOK.md", []string{"railiance01"}},
		{"a stack not previewed", "Pulumi.staging.yaml", nil},
		{"a component", "components/release.go", cands},
		{"a script next to a component", "components/imagebuild.sh", cands},
		{"main.go", "main.go", cands},
		{"config keys", "stacks/keys.go", cands},
		{"a program helper", "internal/sopsfile/sopsfile.go", cands},
		{"the chart", "charts/inter-hub/templates/deployment.yaml", cands},
		{"the secrets", "deploy/secrets/railiance01.env.sops.yaml", cands},
		{"the secrets' README", "deploy/secrets/README.md", nil},
		{"the chart's README (in the chart's digest)", "charts/inter-hub/README.md", cands},
		{"the project file", "Pulumi.yaml", cands},
		{"the Go module", "go.sum", cands},
		{"the toolchain pins", "toolchain/versions.env", cands},
		{"docs only", "docs/RUNBOOK.md\nREADME.md", nil},
		{"tests only", "components/release_test.go\nmain_test.go\ntest/ops/rollback_test.go", nil},
		{"operator tooling", "cmd/interhub/main.go\ninternal/smoke/smoke.go\n.gitea/workflows/preview.yaml", nil},
		{"the sandbox", "sandbox/sandbox.sh", nil},
		{"the app repository's workflow", "deploy/app-repo/.gitea/workflows/dispatch-deploy.yaml\ndeploy/app-repo/README.md", nil},
		{"test data in a program dir", "internal/sopsfile/testdata/x.yaml", nil},
		{"nothing", "", nil},
	} {
		got := Stacks(strings.Split(c.files, "\n"), cands, prog)
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: Stacks(%q) = %q, want %q", c.name, c.files, got, c.want)
		}
	}
}

func TestProgramDirsOfThisRepository(t *testing.T) {
	dirs, err := ProgramDirs("../..")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{".", "components", "stacks"} {
		if !dirs[want] {
			t.Errorf("program dirs %q lack %s", SortedKeys(dirs), want)
		}
	}
	for _, not := range []string{"cmd/interhub", "internal/smoke", "test/ops", "sandbox/sandboxenv"} {
		if dirs[not] {
			t.Errorf("%s is not part of the program but is listed", not)
		}
	}
}
