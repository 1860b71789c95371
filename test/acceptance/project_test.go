package acceptance_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"

	"github.com/coulomb-social/inter-hub-deploy/internal/pulumitest"
	"github.com/coulomb-social/inter-hub-deploy/sandbox/sandboxenv"
)

// The local stack's passphrase and age identity (see Pulumi.local.yaml and the Makefile).
const localPassphrase = "inter-hub-local"

// project is the deploy program's directory as the Automation API sees it: the repository's
// program, chart, secrets and sandbox files, with a private copy of Pulumi.local.yaml so that
// config changes made by the test never touch the checkout.
type project struct {
	root    string // the repository
	dir     string // the project view the stack runs in
	env     map[string]string
	backend string
	stack   auto.Stack
	sb      *sandboxenv.Env
	tc      *pulumitest.Toolchain
}

// newProject builds the program, lays out the project view and creates the `local` stack in a
// fresh file backend, with overrides so that its names clash with no other deployment.
func newProject(t *testing.T, overrides map[string]string) *project {
	t.Helper()
	sb := sandboxenv.Require(t)
	tc := pulumitest.Require(t)
	root, err := pulumitest.Repo()
	if err != nil {
		t.Fatal(err)
	}
	build := exec.Command("go", "build", "-o", "bin/inter-hub", ".")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the program: %v\n%s", err, out)
	}

	p := &project{root: root, dir: t.TempDir(), sb: sb, tc: tc}
	for _, name := range []string{"bin", "charts", "deploy", "sandbox", ".sandbox", "go.mod"} {
		if err := os.Symlink(filepath.Join(root, name), filepath.Join(p.dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"Pulumi.yaml", "Pulumi.local.yaml"} {
		copyFile(t, filepath.Join(root, name), filepath.Join(p.dir, name))
	}

	p.backend = "file://" + t.TempDir()
	p.env = map[string]string{
		"PULUMI_BACKEND_URL":       p.backend,
		"PULUMI_CONFIG_PASSPHRASE": localPassphrase,
		"SOPS_AGE_KEY_FILE":        filepath.Join(root, "sandbox", "fixtures", "age-local.key"),
	}
	// The Automation API starts the CLI with this process's environment plus EnvVars.
	for _, kv := range tc.Env {
		k, v, _ := strings.Cut(kv, "=")
		if k == "PATH" || strings.HasPrefix(k, "PULUMI_") {
			t.Setenv(k, v)
		}
	}
	ctx := context.Background()
	cmd, err := auto.NewPulumiCommand(&auto.PulumiCommandOptions{Root: tc.Prefix})
	if err != nil {
		t.Fatalf("pulumi command: %v", err)
	}
	p.stack, err = auto.UpsertStackLocalSource(ctx, "local", p.dir, auto.EnvVars(p.env), auto.Pulumi(cmd))
	if err != nil {
		t.Fatalf("creating the local stack: %v", err)
	}
	for k, v := range overrides {
		p.setConfig(t, k, v)
	}
	return p
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func (p *project) setConfig(t *testing.T, key, value string) {
	t.Helper()
	if err := p.stack.SetConfig(context.Background(), "inter-hub:"+key, auto.ConfigValue{Value: value}); err != nil {
		t.Fatalf("config set %s: %v", key, err)
	}
}

func (p *project) removeConfig(t *testing.T, key string) {
	t.Helper()
	if err := p.stack.RemoveConfig(context.Background(), "inter-hub:"+key); err != nil {
		t.Fatalf("config rm %s: %v", key, err)
	}
}

// up runs `pulumi up` and returns its result and the URNs of every step that changed something.
func (p *project) up(t *testing.T, opts ...optup.Option) (auto.UpResult, []string, error) {
	t.Helper()
	ch := make(chan events.EngineEvent)
	done := make(chan []string)
	go func() { done <- changedURNs(ch) }()
	var out strings.Builder
	opts = append(opts, optup.EventStreams(ch), optup.ProgressStreams(&out), optup.ErrorProgressStreams(&out))
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	start := time.Now()
	res, err := p.stack.Up(ctx, opts...)
	changed := <-done
	t.Logf("pulumi up: %.1fs, changed %v", time.Since(start).Seconds(), changed)
	if err != nil {
		t.Logf("pulumi up output:\n%s", out.String())
	}
	return res, changed, err
}

// changedURNs collects the URNs of steps other than same/read from an event stream.
func changedURNs(ch <-chan events.EngineEvent) []string {
	var urns []string
	for e := range ch {
		if e.ResourcePreEvent == nil {
			continue
		}
		switch e.ResourcePreEvent.Metadata.Op {
		case "same", "read", "refresh":
		default:
			urns = append(urns, e.ResourcePreEvent.Metadata.Type+"::"+nameOf(e.ResourcePreEvent.Metadata.URN))
		}
	}
	return urns
}

func nameOf(urn string) string { return urn[strings.LastIndex(urn, "::")+2:] }

// output reads one stack output as a string.
func (p *project) output(t *testing.T, name string) string {
	t.Helper()
	outs, err := p.stack.Outputs(context.Background())
	if err != nil {
		t.Fatalf("stack outputs: %v", err)
	}
	o, ok := outs[name]
	if !ok {
		t.Fatalf("stack output %q missing (have %v)", name, outs)
	}
	if o.Secret {
		t.Fatalf("stack output %q is secret; outputs must not hold secrets", name)
	}
	return fmt.Sprint(o.Value)
}

// kubectlJSON runs kubectl and decodes its JSON output into v.
func (p *project) kubectlJSON(t *testing.T, v any, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := p.sb.Kubectl(ctx, nil, append(args, "-o", "json")...)
	if err != nil {
		t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	if err := json.Unmarshal(out, v); err != nil {
		t.Fatalf("kubectl %s: %v", strings.Join(args, " "), err)
	}
}

// exists reports whether kubectl finds the object.
func (p *project) exists(t *testing.T, args ...string) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := p.sb.Kubectl(ctx, nil, append(args, "--ignore-not-found", "-o", "name")...)
	if err != nil {
		t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out)) != ""
}

// cli runs the pulumi CLI in the project view with the stack's environment.
func (p *project) cli(t *testing.T, args ...string) pulumitest.Result {
	t.Helper()
	return p.run(t, p.tc.Bin("pulumi"), append(args, "--non-interactive")...)
}

// run runs a command in the project view with the toolchain and the stack's environment.
func (p *project) run(t *testing.T, bin string, args ...string) pulumitest.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = p.dir
	cmd.Env = pulumitest.MergeEnv(p.tc.Env, p.env)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	return pulumitest.Result{Stdout: stdout.String(), Stderr: stderr.String(), Err: err, Elapsed: time.Since(start)}
}

func goBuild(dir, out, pkg string) ([]byte, error) {
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = dir
	return cmd.CombinedOutput()
}
