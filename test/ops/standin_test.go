//go:build integration

package ops_test

import (
	"testing"
	"time"

	"github.com/coulomb-social/inter-hub-deploy/sandbox/sandboxenv"
	"github.com/coulomb-social/inter-hub-deploy/test/support/clirun"
	"github.com/coulomb-social/inter-hub-deploy/test/support/standin"
)

// opsStack is the deploy program's local stack on the stand-in under names of its own
// (test/support/standin), with the short names these tests use.
type opsStack struct {
	*standin.Stack
	env        *sandboxenv.Env
	ws         *clirun.Workspace
	name       string // the stack
	configFile string
	namespace  string
	role       string
}

// Time limits for a full update of the stack (gate, build over SSH, Helm release, Ingress).
const (
	upTimeout    = standin.UpTimeout
	shortTimeout = standin.ShortTimeout
)

// newOpsStack deploys the program with `pulumi up`; standin's cleanup removes the namespace,
// the role and database that the program retains on purpose, and the images it pushed.
func newOpsStack(t *testing.T, suffix string) *opsStack {
	t.Helper()
	ls := standin.New(t, standin.Options{Names: standin.Names{
		Stack:      "ops" + suffix,
		Namespace:  "inter-hub-ops" + suffix,
		Role:       "inter_hub_ops" + suffix,
		Host:       "inter-hub-ops" + suffix + ".localhost", // Traefik's default certificate covers *.localhost
		Repository: "inter-hub-ops" + suffix,
	}})
	ls.Up(t)
	return &opsStack{Stack: ls, env: ls.Env, ws: ls.WS, name: ls.Stack, configFile: ls.ConfigFile,
		namespace: ls.Namespace, role: ls.Role}
}

// export returns `pulumi stack export` of the stack.
func (s *opsStack) export(t *testing.T) string {
	t.Helper()
	return s.Export(t)
}

// pulumi runs a CLI command on the stack with its config file, failing the test on error.
func (s *opsStack) pulumi(t *testing.T, timeout time.Duration, args ...string) clirun.Result {
	t.Helper()
	return s.MustRun(t, timeout, args...)
}
