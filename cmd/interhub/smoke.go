package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/coulomb-social/inter-hub-deploy/internal/smoke"
)

func runSmoke(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("smoke", flag.ContinueOnError)
	fs.SetOutput(stderr)
	baseURL := fs.String("url", "", "base URL of the app, e.g. https://hub.coulomb.social (required)")
	keyEnv := fs.String("api-key-env", "INTERHUB_API_KEY", "name of the environment variable holding the API key")
	connectTo := fs.String("connect-to", "", "host:port to dial for the URL's host (like curl --connect-to)")
	caFile := fs.String("ca-file", "", "PEM CA bundle trusted in addition to the system roots")
	timeout := fs.Duration("timeout", 10*time.Second, "time limit of each request")
	wait := fs.Duration("wait", 0, "keep re-running the checks for up to this long until they pass (settle time after a deploy)")
	restart := fs.String("restart", "", "namespace/deployment: after the checks, kubectl rollout restart it, wait for the rollout, and check again")
	kubeconfig := fs.String("kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig for --restart")
	kubeContext := fs.String("context", "", "kubeconfig context for --restart")
	rolloutTimeout := fs.Duration("rollout-timeout", 5*time.Minute, "time limit of the rollout after --restart")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *baseURL == "" || fs.NArg() != 0 {
		return fail(stderr, "smoke", fmt.Errorf("--url is required and no arguments are taken"))
	}
	key := os.Getenv(*keyEnv)
	if key == "" {
		return fail(stderr, "smoke", fmt.Errorf("the API key variable %s is empty or unset (--api-key-env names it)", *keyEnv))
	}
	var rs smoke.Restart
	if *restart != "" {
		ns, name, err := smoke.ParseTarget(*restart)
		if err != nil {
			return fail(stderr, "smoke", err)
		}
		if *kubeconfig == "" {
			return fail(stderr, "smoke", fmt.Errorf("--restart needs --kubeconfig (or KUBECONFIG)"))
		}
		rs = smoke.Restart{Kubeconfig: *kubeconfig, Context: *kubeContext, Namespace: ns, Deployment: name, Timeout: *rolloutTimeout}
	}
	checker, err := smoke.New(smoke.Options{BaseURL: *baseURL, APIKey: key, ConnectTo: *connectTo, CAFile: *caFile, Timeout: *timeout})
	if err != nil {
		return fail(stderr, "smoke", err)
	}
	ctx := context.Background()

	round := func(title string) int {
		fmt.Fprintf(stdout, "== %s: %s\n", title, *baseURL)
		results, attempts := checker.RunUntil(ctx, *wait, 2*time.Second)
		smoke.Write(stdout, results)
		failed := smoke.Failed(results)
		if attempts > 1 {
			fmt.Fprintf(stdout, "(after %d attempts)\n", attempts)
		}
		return failed
	}
	failed := round("smoke checks")
	if failed == 0 && *restart != "" {
		fmt.Fprintf(stdout, "== restarting deployment %s and waiting for the rollout\n", *restart)
		if err := rs.Run(ctx); err != nil {
			fmt.Fprintf(stdout, "FAIL  rollout restart %s: %v\n", *restart, err)
			failed++
		} else {
			fmt.Fprintf(stdout, "PASS  rollout restart %s finished\n", *restart)
			failed += round("smoke checks after the restart")
		}
	}
	if failed > 0 {
		fmt.Fprintf(stdout, "%d check(s) failed\n", failed)
		return 1
	}
	fmt.Fprintln(stdout, "all checks passed")
	return 0
}
