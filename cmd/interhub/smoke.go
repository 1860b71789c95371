package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"

	"github.com/coulomb-social/inter-hub-deploy/internal/autostack"
	"github.com/coulomb-social/inter-hub-deploy/internal/smoke"
	"github.com/coulomb-social/inter-hub-deploy/stacks"
)

// dashboardsKey is the stack config key the admin dashboards come from.
const dashboardsKey = "smoke.dashboards"

func runSmoke(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("smoke", flag.ContinueOnError)
	fs.SetOutput(stderr)
	baseURL := fs.String("url", "", "base URL of the app, e.g. https://hub.coulomb.social (required)")
	keyEnv := fs.String("api-key-env", "INTERHUB_API_KEY", "name of the environment variable holding the API key")
	connectTo := fs.String("connect-to", "", "host:port to dial for the URL's host (like curl --connect-to)")
	caFile := fs.String("ca-file", "", "PEM CA bundle trusted in addition to the system roots")
	timeout := fs.Duration("timeout", 10*time.Second, "time limit of each request")
	wait := fs.Duration("wait", 0, "keep re-running the checks for up to this long until they pass (settle time after a deploy)")
	restart := fs.String("restart", "", "namespace/deployment: after the checks, restart its pods (as kubectl rollout restart, without kubectl), wait for the rollout, check that each old pod's containers exited 0 after SIGTERM, and check again")
	kubeconfig := fs.String("kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig for --restart")
	kubeContext := fs.String("context", "", "kubeconfig context for --restart")
	rolloutTimeout := fs.Duration("rollout-timeout", 5*time.Minute, "time limit of the rollout after --restart")
	stack := fs.String("stack", "", "stack whose inter-hub:"+dashboardsKey+" lists the admin dashboards to open after the admin login (read from the stack's config, secrets left encrypted); without it, or when the key is unset, the admin login and dashboards are not checked")
	configFile := fs.String("config-file", "", "the stack's config file, for --stack (default: Pulumi.<stack>.yaml)")
	emailEnv := fs.String("admin-email-env", "INTERHUB_ADMIN_EMAIL", "name of the environment variable holding the admin's email (needed when dashboards are checked)")
	passwordEnv := fs.String("admin-password-env", "INTERHUB_ADMIN_PASSWORD", "name of the environment variable holding the admin's password (needed when dashboards are checked)")
	loginPath := fs.String("admin-login", smoke.DefaultAdminLoginPath, "path of the admin login form, which takes the fields email and password")
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
	if *configFile != "" && *stack == "" {
		return fail(stderr, "smoke", fmt.Errorf("--config-file goes with --stack"))
	}
	ctx := context.Background()
	var dashboards []string
	var email, password string
	switch {
	case *stack == "":
		fmt.Fprintf(stdout, "NOTE  admin login and dashboards not checked: no --stack to read inter-hub:%s from\n", dashboardsKey)
	default:
		d, err := stackDashboards(ctx, *stack, *configFile)
		if err != nil {
			return fail(stderr, "smoke", err)
		}
		if len(d) == 0 {
			fmt.Fprintf(stdout, "NOTE  admin login and dashboards not checked: inter-hub:%s is not set for stack %s (docs/CONFIG.md)\n", dashboardsKey, *stack)
			break
		}
		email, password = os.Getenv(*emailEnv), os.Getenv(*passwordEnv)
		for _, name := range []string{*emailEnv, *passwordEnv} {
			if os.Getenv(name) == "" {
				return fail(stderr, "smoke", fmt.Errorf("the admin credential variable %s is empty or unset (--admin-email-env and --admin-password-env name them; stack %s lists %d dashboards to check after the admin login)", name, *stack, len(d)))
			}
		}
		dashboards = d
	}
	round := smoke.Round{Wait: *wait}
	if *restart != "" {
		ns, name, err := smoke.ParseTarget(*restart)
		if err != nil {
			return fail(stderr, "smoke", err)
		}
		if *kubeconfig == "" {
			return fail(stderr, "smoke", fmt.Errorf("--restart needs --kubeconfig (or KUBECONFIG)"))
		}
		round.Restart = &smoke.Restart{Kubeconfig: *kubeconfig, Context: *kubeContext, Namespace: ns, Deployment: name, Timeout: *rolloutTimeout}
	}
	checker, err := smoke.New(smoke.Options{
		BaseURL: *baseURL, APIKey: key, ConnectTo: *connectTo, CAFile: *caFile, Timeout: *timeout,
		Dashboards: dashboards, AdminEmail: email, AdminPassword: password, AdminLoginPath: *loginPath,
	})
	if err != nil {
		return fail(stderr, "smoke", err)
	}
	round.Checker = checker
	if failed := smoke.Run(ctx, round, stdout); failed > 0 {
		fmt.Fprintf(stdout, "%d check(s) failed\n", failed)
		return 1
	}
	fmt.Fprintln(stdout, "all checks passed")
	return 0
}

// stackDashboards reads inter-hub:smoke.dashboards from the stack's config (without secrets,
// so no passphrase is needed) and validates it as the program does. Unset: nil.
func stackDashboards(ctx context.Context, stack, configFile string) ([]string, error) {
	st, err := autostack.Open(ctx, ".", stack)
	if err != nil {
		return nil, err
	}
	all, err := st.GetAllConfigWithOptions(ctx, &auto.GetAllConfigOptions{ConfigFile: configFile})
	if err != nil {
		return nil, err
	}
	full := stacks.Ref(dashboardsKey)
	v, set := all[full]
	if !set {
		return nil, nil
	}
	if v.Secret {
		return nil, fmt.Errorf("%s is stored as a secret; it is a plain list of paths (pulumi config set %s '[\"/...\"]')", full, dashboardsKey)
	}
	return stacks.SmokeDashboards(stacks.MapSource{Values: map[string]string{full: v.Value}})
}
