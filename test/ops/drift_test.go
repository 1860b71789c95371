//go:build integration

package ops_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/coulomb-social/inter-hub-deploy/test/support/clirun"
)

// TestDriftNamesResourcesChangedBehindPulumisBack deploys the program's local stack, changes
// the namespace's labels with kubectl and the app role's connection limit with SQL, and expects
// `interhub drift` to fail naming both, while writing nothing to the state.
func TestDriftNamesResourcesChangedBehindPulumisBack(t *testing.T) {
	s := newOpsStack(t, "drift")
	drift := func() (string, int) {
		return interhub(t, s.ws.Dir, s.ws.Env, "", "drift", "--stack", s.name, "--config-file", s.configFile)
	}
	out, code := drift()
	if code != 0 || !strings.Contains(out, "no drift") {
		t.Fatalf("right after up: exit %d\n%s", code, out)
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := s.env.Kubectl(ctx, nil, "label", "namespace", s.namespace, "app.kubernetes.io/part-of=something-else", "--overwrite"); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("postgres", s.env.Postgres.AdminDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(fmt.Sprintf(`ALTER ROLE %q CONNECTION LIMIT 7`, s.role)); err != nil {
		t.Fatal(err)
	}

	before := s.export(t)
	out, code = drift()
	if code != 1 {
		t.Fatalf("drift must exit 1: exit %d\n%s", code, out)
	}
	for _, want := range []string{
		"DRIFT: 2 resource(s)",
		"kubernetes:core/v1:Namespace", "metadata.labels",
		"postgresql:index/role:Role", "connectionLimit",
		"PULUMI_K8S_ENABLE_PATCH_FORCE=true pulumi up --refresh --stack " + s.name,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("drift output lacks %q:\n%s", want, out)
		}
	}
	if after := s.export(t); after != before {
		t.Fatal("the drift check changed the state")
	}

	// The remedy the output names puts both back (taking the label back from kubectl's field
	// manager), and the check passes again.
	force := *s.ws
	force.Env = clirun.MergeEnv(s.ws.Env, map[string]string{"PULUMI_K8S_ENABLE_PATCH_FORCE": "true"})
	force.MustRun(t, upTimeout, "up", "--yes", "--refresh", "--stack", s.name, "--config-file", s.configFile)
	if got, err := s.env.Kubectl(ctx, nil, "get", "namespace", s.namespace, "-o", `jsonpath={.metadata.labels.app\.kubernetes\.io/part-of}`); err != nil || string(got) != "inter-hub" {
		t.Fatalf("namespace label after the remedy: %q %v", got, err)
	}
	if out, code = drift(); code != 0 {
		t.Fatalf("after up --refresh: exit %d\n%s", code, out)
	}
}
