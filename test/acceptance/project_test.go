//go:build integration

package acceptance_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"

	"github.com/coulomb-social/inter-hub-deploy/test/support/clirun"
	"github.com/coulomb-social/inter-hub-deploy/test/support/standin"
)

// project is the local stack (under names of its own, see test/support/standin) driven through the
// Automation API. The stack's config lives in the private project directory as
// Pulumi.<stack>.yaml, where the Automation API reads and writes it; the checkout's
// Pulumi.local.yaml is never touched.
type project struct {
	*standin.Stack
	stack     auto.Stack
	stackFile string // the stack's config file in the project directory
	lastDBURL string // DATABASE_URL as last read, for after destroy removed the Secret
}

func newProject(t *testing.T, names standin.Names, config map[string]string) *project {
	t.Helper()
	s := standin.New(t, standin.Options{Names: names, Config: config})
	p := &project{Stack: s, stackFile: filepath.Join(s.Dir, "Pulumi."+s.Names.Stack+".yaml")}
	data, err := os.ReadFile(s.ConfigFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p.stackFile, data, 0o600); err != nil {
		t.Fatal(err)
	}
	// The Automation API starts the CLI with this process's environment plus EnvVars.
	env := map[string]string{}
	for _, kv := range s.WS.Env {
		k, v, _ := strings.Cut(kv, "=")
		if k == "PATH" || strings.HasPrefix(k, "PULUMI_") || k == "SOPS_AGE_KEY_FILE" || k == "TMPDIR" {
			env[k] = v
		}
	}
	cmd, err := auto.NewPulumiCommand(&auto.PulumiCommandOptions{Root: s.Tool.Prefix})
	if err != nil {
		t.Fatalf("pulumi command: %v", err)
	}
	p.stack, err = auto.SelectStackLocalSource(context.Background(), s.Names.Stack, s.Dir,
		auto.EnvVars(env), auto.Pulumi(cmd))
	if err != nil {
		t.Fatalf("selecting stack %s: %v", s.Names.Stack, err)
	}
	return p
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

// up runs `pulumi up` and returns the type::name of every step that changed something.
func (p *project) up(t *testing.T, opts ...optup.Option) ([]string, error) {
	t.Helper()
	ch := make(chan events.EngineEvent)
	done := make(chan []string)
	go func() { done <- changed(ch) }()
	var out strings.Builder
	opts = append(opts, optup.EventStreams(ch), optup.ProgressStreams(&out), optup.ErrorProgressStreams(&out))
	ctx, cancel := context.WithTimeout(context.Background(), standin.UpTimeout)
	defer cancel()
	start := time.Now()
	_, err := p.stack.Up(ctx, opts...)
	urns := <-done
	t.Logf("pulumi up: %.1fs, changed %v", time.Since(start).Seconds(), urns)
	if err != nil {
		t.Logf("pulumi up output:\n%s", out.String())
	}
	return urns, err
}

// changed collects type::name of the steps other than same/read from an event stream.
func changed(ch <-chan events.EngineEvent) []string {
	var urns []string
	for e := range ch {
		if e.ResourcePreEvent == nil {
			continue
		}
		switch m := e.ResourcePreEvent.Metadata; m.Op {
		case "same", "read", "refresh":
		default:
			urns = append(urns, m.Type+"::"+m.URN[strings.LastIndex(m.URN, "::")+2:])
		}
	}
	return urns
}

// cli runs a CLI command on the stack with the project directory's stack file.
func (p *project) cli(t *testing.T, args ...string) clirun.Result {
	t.Helper()
	return p.RunWith(t, standin.UpTimeout, p.stackFile, args...)
}

// output reads one stack output; outputs must never be secret.
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
	out := p.Kubectl(t, append(args, "-o", "json")...)
	if err := json.Unmarshal(out, v); err != nil {
		t.Fatalf("kubectl %s: %v", strings.Join(args, " "), err)
	}
}

// exists reports whether kubectl finds the objects.
func (p *project) exists(t *testing.T, args ...string) bool {
	t.Helper()
	return strings.TrimSpace(string(p.Kubectl(t, append(args, "--ignore-not-found", "-o", "name")...))) != ""
}
