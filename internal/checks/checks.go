// Package checks is the readiness gate: plain probes of the cluster, the database endpoint, the
// registry and the build host, run before the program registers any resource (in preview too),
// so that a missing dependency stops a run before anything changes.
package checks

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// Check is one named probe. A disabled check is reported as such and never run.
type Check struct {
	Name    string
	Enabled bool
	Probe   func(ctx context.Context) (string, error)
}

// Result is the outcome of one check.
type Result struct {
	Name    string
	Enabled bool
	Detail  string // what was found, when the check passed
	Err     error
}

// Status is the stable, secret-free summary recorded in the stack's state.
func (r Result) Status() string {
	switch {
	case !r.Enabled:
		return "disabled"
	case r.Err != nil:
		return "failed"
	default:
		return "passed"
	}
}

// Results are the outcomes of all checks, in the order they were given.
type Results []Result

// Run runs every enabled check concurrently, each bounded by timeout, and waits for all of them,
// so that every failure is reported at once.
func Run(ctx context.Context, timeout time.Duration, checks ...Check) Results {
	results := make(Results, len(checks))
	var wg sync.WaitGroup
	for i, c := range checks {
		results[i] = Result{Name: c.Name, Enabled: c.Enabled}
		if !c.Enabled {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			detail, err := c.Probe(cctx)
			if err != nil && cctx.Err() != nil {
				err = fmt.Errorf("no answer within %s: %w", timeout, err)
			}
			results[i].Detail, results[i].Err = detail, err
		}()
	}
	wg.Wait()
	return results
}

// Err is nil when every enabled check passed; otherwise one line per failing check.
func (rs Results) Err() error {
	var lines []string
	for _, r := range rs {
		if r.Err != nil {
			lines = append(lines, fmt.Sprintf("  gate check %s failed: %v", r.Name, r.Err))
		}
	}
	if len(lines) == 0 {
		return nil
	}
	return errors.New("readiness gate failed, nothing was changed:\n" + strings.Join(lines, "\n"))
}

// Statuses maps each check's name to its Status.
func (rs Results) Statuses() map[string]string {
	m := make(map[string]string, len(rs))
	for _, r := range rs {
		m[r.Name] = r.Status()
	}
	return m
}
