//go:build integration

// Package hardening_test is the reliability suite of the deploy program, run on the local
// stand-in through the real Pulumi CLI: bad input of every kind must stop a run with an error
// naming the key or file and change nothing (cluster objects, PostgreSQL roles and databases,
// pool_passwd, registry tags and the Pulumi state are compared before and after); interrupted
// runs must be recoverable with the runbook's commands; secrets must not leak; the app's
// privileges must be least. Every case records what it proved in a table printed at the end.
//
// Cases that take minutes (the interrupted runs) run only with -hardening.long or
// INTERHUB_HARDENING_LONG=1.
package hardening_test

import (
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

var longFlag = flag.Bool("hardening.long", false, "also run the long cases (interrupted runs and their recovery)")

// long reports whether the long cases run.
func long() bool { return *longFlag || os.Getenv("INTERHUB_HARDENING_LONG") == "1" }

// requireLong skips a long case unless long cases were asked for.
func requireLong(t *testing.T) {
	t.Helper()
	if !long() {
		t.Skip("long case: run with -hardening.long or INTERHUB_HARDENING_LONG=1")
	}
}

// result is one row of the summary table.
type result struct {
	group, name, proved string
	passed, skipped     bool
	elapsed             time.Duration
}

var (
	resultsMu sync.Mutex
	results   []result
)

// record adds the running case to the summary table, with its outcome when it ends.
func record(t *testing.T, group, proved string) {
	t.Helper()
	start := time.Now()
	t.Cleanup(func() {
		resultsMu.Lock()
		defer resultsMu.Unlock()
		results = append(results, result{
			group: group, name: t.Name(), proved: proved,
			passed: !t.Failed() && !t.Skipped(), skipped: t.Skipped(),
			elapsed: time.Since(start),
		})
	})
}

func TestMain(m *testing.M) {
	start := time.Now()
	code := m.Run()
	printSummary(time.Since(start))
	os.Exit(code)
}

func printSummary(total time.Duration) {
	resultsMu.Lock()
	defer resultsMu.Unlock()
	if len(results) == 0 {
		return
	}
	sort.SliceStable(results, func(i, j int) bool { return results[i].group < results[j].group })
	var passed, failed, skipped int
	var b strings.Builder
	fmt.Fprintf(&b, "\nhardening summary (%s, long cases %s)\n\n", total.Round(time.Second), map[bool]string{true: "on", false: "off"}[long()])
	fmt.Fprintf(&b, "| group | case | result | seconds | what it proved |\n| --- | --- | --- | --- | --- |\n")
	for _, r := range results {
		status := "FAIL"
		switch {
		case r.skipped:
			status, skipped = "skipped", skipped+1
		case r.passed:
			status, passed = "pass", passed+1
		default:
			failed++
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %.0f | %s |\n", r.group, r.name, status, r.elapsed.Seconds(), r.proved)
	}
	fmt.Fprintf(&b, "\n%d cases: %d passed, %d failed, %d skipped\n", len(results), passed, failed, skipped)
	fmt.Print(b.String())
	// go test shows a passing package's output only with -v; make test prints this file instead.
	if path := os.Getenv("INTERHUB_HARDENING_SUMMARY"); path != "" {
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			fmt.Fprintf(os.Stderr, "writing the summary to %s: %v\n", path, err)
		}
	}
}
