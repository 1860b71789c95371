package standin

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/coulomb-social/inter-hub-deploy/sandbox/sandboxenv"
)

// Require returns the sandbox's Env for a test that needs it. When the sandbox is not up the test
// is skipped with the reason, unless INTERHUB_REQUIRE_SANDBOX=1 (as `make test` sets), where a
// missing sandbox is a failure: CI must not pass by skipping.
func Require(t testing.TB) *sandboxenv.Env {
	t.Helper()
	env, err := sandboxenv.Load()
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = env.Check(ctx)
		cancel()
	}
	if err != nil {
		if os.Getenv(sandboxenv.RequireEnv) == "1" {
			t.Fatalf("the sandbox is required (%s=1) but not usable: %v", sandboxenv.RequireEnv, err)
		} else {
			t.Skipf("sandbox not up, skipping (start it with `make sandbox-up`): %v", err)
		}
		return nil
	}
	return env
}
