package ops_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/coulomb-social/inter-hub-deploy/internal/pulumitest"
	"github.com/coulomb-social/inter-hub-deploy/sandbox/sandboxenv"
)

// opsStack is the deploy program's local stack on the stand-in, under names of its own (a
// namespace, role and database no other test uses), with its own file backend. It reads
// Pulumi.local.yaml through a copy, so the checkout's stack file is never touched.
type opsStack struct {
	env        *sandboxenv.Env
	ws         *pulumitest.Workspace
	name       string // the stack
	configFile string
	namespace  string
	role       string
}

// Time limits for a full update of the stack (gate, build over SSH, Helm release, Ingress).
const (
	upTimeout    = 15 * time.Minute
	shortTimeout = 3 * time.Minute
)

// newOpsStack deploys the program with `pulumi up`; cleanup destroys it and removes the role and
// database that destroy retains on purpose.
func newOpsStack(t *testing.T, suffix string) *opsStack {
	t.Helper()
	env := sandboxenv.Require(t)
	tc := pulumitest.Require(t)
	root := repoRoot(t)

	// The project runs the prebuilt program at bin/inter-hub (Pulumi.yaml), as `make build` makes it.
	build := exec.Command("go", "build", "-o", "bin/inter-hub", ".")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the program: %v\n%s", err, out)
	}
	s := &opsStack{
		env: env, name: "ops" + suffix,
		namespace: "inter-hub-ops" + suffix, role: "inter_hub_ops" + suffix,
	}
	s.configFile = filepath.Join(t.TempDir(), "Pulumi."+s.name+".yaml")
	data, err := os.ReadFile(filepath.Join(root, "Pulumi.local.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.configFile, data, 0o600); err != nil {
		t.Fatal(err)
	}
	s.ws = tc.NewWorkspace(t, root, map[string]string{
		"PULUMI_CONFIG_PASSPHRASE": "inter-hub-local",
		"SOPS_AGE_KEY_FILE":        filepath.Join(root, "sandbox", "fixtures", "age-local.key"),
	})
	// stack init writes Pulumi.<stack>.yaml (a new passphrase salt) into the project; the stack
	// uses the copy instead, whose salt the state adopts on the first update.
	s.ws.MustRun(t, shortTimeout, "stack", "init", s.name)
	if err := os.Remove(filepath.Join(root, "Pulumi."+s.name+".yaml")); err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"kubernetes.namespace": s.namespace,
		"database.name":        s.role,
		"database.role":        s.role,
		"ingress.host":         "inter-hub-ops" + suffix + ".localhost", // the edge's certificate covers *.localhost
	} {
		s.pulumi(t, shortTimeout, "config", "set", k, v)
	}
	t.Cleanup(func() { s.destroy(t) })
	s.pulumi(t, upTimeout, "up", "--yes")
	return s
}

// export returns `pulumi stack export` of the stack.
func (s *opsStack) export(t *testing.T) string {
	t.Helper()
	return s.ws.MustRun(t, shortTimeout, "stack", "export", "--stack", s.name).Stdout
}

// pulumi runs a CLI command on the stack with its config file, failing the test on error.
func (s *opsStack) pulumi(t *testing.T, timeout time.Duration, args ...string) pulumitest.Result {
	t.Helper()
	return s.ws.MustRun(t, timeout, append(args, "--stack", s.name, "--config-file", s.configFile)...)
}

func (s *opsStack) destroy(t *testing.T) {
	// The role and database are protected; destroy removes everything else.
	r := s.ws.Run(t, upTimeout, "destroy", "--yes", "--exclude-protected", "--stack", s.name, "--config-file", s.configFile)
	if r.Err != nil {
		t.Logf("destroy of %s: %v\n%s", s.name, r.Err, r.Output())
	}
	// Destroy retains the protected role and database; this test's are dropped here.
	db, err := sql.Open("postgres", s.env.Postgres.AdminDSN())
	if err != nil {
		t.Logf("cleanup: %v", err)
		return
	}
	defer db.Close()
	// PostgreSQL 15: only the owner (or a member of it) may drop the database.
	for _, q := range []string{
		fmt.Sprintf(`GRANT %q TO %q`, s.role, s.env.Postgres.AdminUser),
		fmt.Sprintf(`DROP DATABASE IF EXISTS %q`, s.role),
		fmt.Sprintf(`DROP ROLE IF EXISTS %q`, s.role),
	} {
		if _, err := db.Exec(q); err != nil {
			t.Logf("cleanup %s: %v", q, err)
		}
	}
	if err := s.env.Postgres.RemovePoolUser(s.role); err != nil {
		t.Logf("cleanup pool_passwd: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := s.env.Kubectl(ctx, nil, "delete", "namespace", s.namespace, "--ignore-not-found", "--wait=false"); err != nil {
		t.Logf("cleanup namespace: %v", err)
	}
}
