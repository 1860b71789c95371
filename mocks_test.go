package main

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

	"github.com/coulomb-social/inter-hub-deploy/internal/gate"
)

// registered is one resource registration the program made.
type registered struct {
	Type, Name string
	Custom     bool
	Inputs     resource.PropertyMap
	RPC        *pulumirpc.RegisterResourceRequest
	ReadRPC    *pulumirpc.ReadResourceRequest // for reads
	URN        string
}

// mocks records registrations and answers like the providers would, in the shape the
// program reads back (status of a release, stdout of the build, random results).
type mocks struct {
	mu        sync.Mutex
	resources []*registered
	// reads are the objects the program read (Get functions); existing answers them by type and
	// ID, and a read of anything else fails as a missing object would.
	reads    []*registered
	existing map[string]resource.PropertyMap
}

// existingKey is the key of an object in mocks.existing.
func existingKey(typ, id string) string { return typ + " " + id }

// fakeImage is what the mocked remote build prints.
const fakeImage = "127.0.0.1:5443/inter-hub@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func (m *mocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	if in := args.ReadRPC; in != nil {
		r := &registered{Type: args.TypeToken, Name: args.Name, Inputs: args.Inputs, ReadRPC: in}
		m.mu.Lock()
		m.reads = append(m.reads, r)
		state, ok := m.existing[existingKey(args.TypeToken, args.ID)]
		m.mu.Unlock()
		if !ok {
			return "", nil, fmt.Errorf("%s %s not found", args.TypeToken, args.ID)
		}
		state = state.Copy()
		for _, k := range in.GetAdditionalSecretOutputs() {
			if v, ok := state[resource.PropertyKey(k)]; ok && !v.IsSecret() {
				state[resource.PropertyKey(k)] = resource.MakeSecret(v)
			}
		}
		return args.ID, state, nil
	}
	r := &registered{
		Type: args.TypeToken, Name: args.Name, Custom: args.Custom, Inputs: args.Inputs, RPC: args.RegisterRPC,
		URN: urnOf(args.RegisterRPC),
	}
	m.mu.Lock()
	m.resources = append(m.resources, r)
	m.mu.Unlock()

	state := args.Inputs.Copy()
	id := args.Name + "-id"
	switch args.TypeToken {
	case "random:index/randomPassword:RandomPassword":
		state["result"] = resource.NewProperty(fakePassword(args.Name, args.Inputs))
		id = "none"
	case "command:remote:Command":
		state["stdout"] = resource.NewProperty(fakeImage + "\n")
		state["stderr"] = resource.NewProperty("")
	case "command:local:Command":
		state["stdout"] = resource.NewProperty("")
		state["stderr"] = resource.NewProperty("")
	case "kubernetes:helm.sh/v3:Release":
		state["status"] = resource.NewProperty(resource.PropertyMap{
			"name":      args.Inputs["name"],
			"namespace": args.Inputs["namespace"],
			"revision":  resource.NewProperty(1.0),
			"status":    resource.NewProperty("deployed"),
		})
	}
	// What the engine does for additionalSecretOutputs.
	for _, k := range args.RegisterRPC.GetAdditionalSecretOutputs() {
		if v, ok := state[resource.PropertyKey(k)]; ok && !v.IsSecret() {
			state[resource.PropertyKey(k)] = resource.MakeSecret(v)
		}
	}
	return id, state, nil
}

func (m *mocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return resource.PropertyMap{}, nil
}

// fakePassword honours the character set the program asks for, so tests can check it.
func fakePassword(name string, in resource.PropertyMap) string {
	alphabet := ""
	if b, ok := in["lower"]; !ok || b.BoolValue() {
		alphabet += "abcdefghijklmnopqrstuvwxyz"
	}
	if b, ok := in["upper"]; !ok || b.BoolValue() {
		alphabet += "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	}
	if b, ok := in["numeric"]; !ok || b.BoolValue() {
		alphabet += "0123456789"
	}
	if b, ok := in["special"]; !ok || b.BoolValue() {
		if s, ok := in["overrideSpecial"]; ok {
			alphabet += s.StringValue()
		} else {
			alphabet += "!@#$%&*()-_=+[]{}<>:?"
		}
	}
	n := int(in["length"].NumberValue())
	seed := sha256.Sum256([]byte(name))
	out := make([]byte, n)
	for i := range out {
		out[i] = alphabet[int(seed[i%len(seed)]+byte(i))%len(alphabet)]
	}
	return string(out)
}

func urnOf(in *pulumirpc.RegisterResourceRequest) string {
	parentType := ""
	if p := in.GetParent(); p != "" {
		parts := strings.Split(p, "::")
		if len(parts) >= 3 {
			parentType = parts[2] + "$"
		}
	}
	if strings.HasPrefix(parentType, "pulumi:pulumi:Stack") {
		parentType = ""
	}
	return "urn:pulumi:local::inter-hub::" + parentType + in.GetType() + "::" + in.GetName()
}

func (m *mocks) all() []*registered {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]*registered(nil), m.resources...)
}

// one returns the single resource of a type and name suffix, failing the test otherwise.
func (m *mocks) one(t *testing.T, typ, name string) *registered {
	t.Helper()
	var found []*registered
	for _, r := range m.all() {
		if r.Type == typ && (name == "" || r.Name == name) {
			found = append(found, r)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want one %s %q, found %d", typ, name, len(found))
	}
	return found[0]
}

func (m *mocks) ofType(typ string) []*registered {
	var out []*registered
	for _, r := range m.all() {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	return out
}

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
func runProgram(t *testing.T, config map[string]string, secretKeys []string, gate *gateRecorder) (*mocks, map[string]any, map[string]bool, error) {
	t.Helper()
	return runProgramOn(t, &mocks{}, config, secretKeys, gate)
}

// runProgramOn is runProgram with mocks that may answer reads of existing objects.
func runProgramOn(t *testing.T, m *mocks, config map[string]string, secretKeys []string, gate *gateRecorder) (*mocks, map[string]any, map[string]bool, error) {
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
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
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
	}, pulumi.WithMocks("inter-hub", "local", m))
	mu.Lock()
	defer mu.Unlock()
	return m, values, secret, err
}
