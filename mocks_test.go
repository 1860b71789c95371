package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/coulomb-social/inter-hub-deploy/internal/gate"
	"github.com/coulomb-social/inter-hub-deploy/test/support/mockstack"
)

// gateRecorder stands in for gate.Run: it records the checks and fails the named ones, or
// with probe set runs them for real (bounded by timeout).
type gateRecorder struct {
	mu      sync.Mutex
	checks  []gate.Check
	fail    map[string]string
	probe   bool
	timeout time.Duration
}

func (g *gateRecorder) run(ctx context.Context, _ time.Duration, cs ...gate.Check) gate.Results {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.checks = append(g.checks, cs...) // the gate runs in phases
	if g.probe {
		return gate.Run(ctx, g.timeout, cs...)
	}
	out := make(gate.Results, len(cs))
	for i, c := range cs {
		out[i] = gate.Result{Name: c.Name, Enabled: c.Enabled}
		if msg, ok := g.fail[c.Name]; ok && c.Enabled {
			out[i].Err = fmt.Errorf("%s", msg)
		}
	}
	return out
}

// runProgram runs deploy under mocks with the given configuration and returns the recorded
// registrations, the resolved stack outputs and their secretness.
func runProgram(t *testing.T, config map[string]string, secretKeys []string, gate *gateRecorder) (*mockstack.Monitor, map[string]any, map[string]bool, error) {
	t.Helper()
	return runProgramOn(t, &mockstack.Monitor{}, config, secretKeys, gate)
}

// runProgramOn is runProgram with mocks that may answer reads of existing objects.
func runProgramOn(t *testing.T, m *mockstack.Monitor, config map[string]string, secretKeys []string, gate *gateRecorder) (*mockstack.Monitor, map[string]any, map[string]bool, error) {
	t.Helper()
	cfgJSON, _ := json.Marshal(config)
	keysJSON, _ := json.Marshal(secretKeys)
	t.Setenv(pulumi.EnvConfig, string(cfgJSON))
	t.Setenv(pulumi.EnvConfigSecretKeys, string(keysJSON))
	t.Setenv("SOPS_AGE_KEY_FILE", "")
	t.Setenv("SOPS_AGE_KEY", "")
	if gate == nil {
		gate = &gateRecorder{}
	}
	var mu sync.Mutex
	values := map[string]any{}
	secret := map[string]bool{}
	err := m.Run(func(ctx *pulumi.Context) error {
		outs, err := deploy(ctx, gate.run)
		if err != nil {
			return err
		}
		for name, v := range outs {
			o := pulumi.ToOutput(v)
			// Exported, so that the run waits for the apply that records the value.
			ctx.Export(name, o.ApplyT(func(x any) any {
				mu.Lock()
				values[name] = x
				mu.Unlock()
				return x
			}))
			// Blocks until the output resolves; registrations run on their own goroutines.
			s := pulumi.IsSecret(o)
			mu.Lock()
			secret[name] = s
			mu.Unlock()
		}
		return nil
	})
	mu.Lock()
	defer mu.Unlock()
	return m, values, secret, err
}
