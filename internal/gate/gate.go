// Package gate is the readiness gate: plain probes of the cluster, the database endpoint, the
// registry and the build host, run before the program registers any resource (in preview too),
// so that a missing dependency stops a run before anything changes.
package gate

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
	// Assumes says what the deployment takes for granted that the check verifies, naming the
	// configuration keys involved; a failed check reports it as unverified.
	Assumes string
}

// Result is the outcome of one check.
type Result struct {
	Name    string
	Enabled bool
	Detail  string // what was found, when the check passed
	Err     error
	// Assumes names what the check verifies (with the config keys), for the report of a run
	// that could not verify it.
	Assumes string
	// Unneeded is set when the check was not run because nothing this run does needs it.
	Unneeded bool
}

// NotNeeded is the result of check c, not run because this run does not need it, with the reason.
func NotNeeded(c Check, reason string) Result {
	return Result{Name: c.Name, Enabled: true, Detail: reason, Unneeded: true}
}

// Status is the stable, secret-free summary recorded in the stack's state.
func (r Result) Status() string {
	switch {
	case !r.Enabled:
		return "disabled"
	case r.Unneeded:
		return "not needed"
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
		results[i] = Result{Name: c.Name, Enabled: c.Enabled, Assumes: c.Assumes}
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

// Err is nil when every enabled check passed; otherwise one error listing every failing check,
// each with the assumption it could not verify.
func (rs Results) Err() error {
	var lines []string
	for _, r := range rs {
		if r.Err != nil {
			lines = append(lines, fmt.Sprintf("  gate check %s failed: %v", r.Name, r.Err))
			if r.Assumes != "" {
				lines = append(lines, "    unverified: "+r.Assumes)
			}
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
