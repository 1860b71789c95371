package smoke

import (
	"context"
	"fmt"
	"io"
	"time"
)

// Round is one smoke run as the operator asks for it: the checks, retried for up to Wait
// while a fresh deploy settles, and with Restart, a rollout restart and the checks again.
type Round struct {
	Checker *Checker
	Wait    time.Duration
	Restart *Restart // nil: no restart
}

// retryEvery is the pause between attempts while Wait lasts.
const retryEvery = 2 * time.Second

// Run prints each check's result to w and returns how many failed. A restart runs only when
// the first checks passed: restarting a broken app tells nothing new.
func Run(ctx context.Context, r Round, w io.Writer) int {
	check := func(title string) int {
		fmt.Fprintf(w, "== %s: %s\n", title, r.Checker.base)
		results, attempts := r.Checker.RunUntil(ctx, r.Wait, retryEvery)
		Write(w, results)
		if attempts > 1 {
			fmt.Fprintf(w, "(after %d attempts)\n", attempts)
		}
		return Failed(results)
	}
	failed := check("smoke checks")
	if failed > 0 || r.Restart == nil {
		return failed
	}
	target := r.Restart.Namespace + "/" + r.Restart.Deployment
	fmt.Fprintf(w, "== restarting deployment %s, waiting for the rollout and for the old pods to exit\n", target)
	ends, err := r.Restart.Run(ctx)
	if err != nil {
		fmt.Fprintf(w, "FAIL  rollout restart %s: %v\n", target, err)
		return failed + 1
	}
	fmt.Fprintf(w, "PASS  rollout restart %s finished\n", target)
	Write(w, ends)
	return Failed(ends) + check("smoke checks after the restart")
}
