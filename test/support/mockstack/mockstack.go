// Package mockstack records what a Pulumi program or component registers under
// pulumi.WithMocks, and answers as the providers would in the shape the code reads back: a
// password's result, a command's output, a Helm release's status, an existing object's state.
// Tests of the graph's shape (dependencies, secrets, options) use it; nothing is deployed.
package mockstack

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// The project and stack the runs use; URNs are built from them.
const (
	Project = "inter-hub"
	Stack   = "test"
)

// Image is what the mocked remote build prints: the image it pushed, by digest.
const Image = "127.0.0.1:5443/inter-hub@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// Resource is one registration, or one read of an existing object.
type Resource struct {
	Type, Name string
	Custom     bool
	Inputs     resource.PropertyMap
	RPC        *pulumirpc.RegisterResourceRequest // for registrations
	ReadRPC    *pulumirpc.ReadResourceRequest     // for reads
	URN        string
}

// Monitor is the mock resource monitor.
type Monitor struct {
	// Existing answers reads by type and ID (ExistingKey); a read of anything else fails as one
	// of a missing object would.
	Existing map[string]resource.PropertyMap

	mu        sync.Mutex
	resources []*Resource
	reads     []*Resource
}

// ExistingKey is the key of an object in Monitor.Existing.
func ExistingKey(typ, id string) string { return typ + " " + id }

// Run runs body against the monitor.
func (m *Monitor) Run(body pulumi.RunFunc) error {
	return pulumi.RunErr(body, pulumi.WithMocks(Project, Stack, m))
}

func (m *Monitor) NewResource(a pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	if in := a.ReadRPC; in != nil {
		m.mu.Lock()
		m.reads = append(m.reads, &Resource{Type: a.TypeToken, Name: a.Name, Inputs: a.Inputs, ReadRPC: in})
		state, ok := m.Existing[ExistingKey(a.TypeToken, a.ID)]
		m.mu.Unlock()
		if !ok {
			return "", nil, fmt.Errorf("%s %s not found", a.TypeToken, a.ID)
		}
		return a.ID, secretOutputs(state.Copy(), in.GetAdditionalSecretOutputs()), nil
	}
	in := a.RegisterRPC
	parentType := tokens.Type("")
	if p := resource.URN(in.GetParent()); p != "" && p.QualifiedType() != resource.RootStackType {
		parentType = p.QualifiedType()
	}
	m.mu.Lock()
	m.resources = append(m.resources, &Resource{
		Type: a.TypeToken, Name: a.Name, Custom: a.Custom, Inputs: a.Inputs, RPC: in,
		// As the mock monitor builds it, so that dependencies can be compared with it.
		URN: string(resource.NewURN(Stack, Project, parentType, tokens.Type(a.TypeToken), a.Name)),
	})
	m.mu.Unlock()

	state := a.Inputs.Copy()
	id := a.Name + "-id"
	switch a.TypeToken {
	case "random:index/randomPassword:RandomPassword":
		state["result"] = resource.NewProperty(Password(a.Name, a.Inputs))
		id = "none" // as the random provider does
	case "command:remote:Command":
		state["stdout"] = resource.NewProperty(Image + "\n")
		state["stderr"] = resource.NewProperty("")
	case "command:local:Command":
		state["stdout"] = resource.NewProperty("")
		state["stderr"] = resource.NewProperty("")
	case "kubernetes:helm.sh/v3:Release":
		state["status"] = resource.NewProperty(resource.PropertyMap{
			"name":      a.Inputs["name"],
			"namespace": a.Inputs["namespace"],
			"revision":  resource.NewProperty(1.0),
			"status":    resource.NewProperty("deployed"),
		})
	}
	return id, secretOutputs(state, in.GetAdditionalSecretOutputs()), nil
}

func (*Monitor) Call(pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return resource.PropertyMap{}, nil
}

// secretOutputs does what the engine does for additionalSecretOutputs.
func secretOutputs(state resource.PropertyMap, keys []string) resource.PropertyMap {
	for _, k := range keys {
		if v, ok := state[resource.PropertyKey(k)]; ok && !v.IsSecret() {
			state[resource.PropertyKey(k)] = resource.MakeSecret(v)
		}
	}
	return state
}

// Password is the mocked result of the RandomPassword of that name and inputs. It honours the
// character set and length asked for, so that tests can check them.
func Password(name string, in resource.PropertyMap) string {
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

// All is every registration, in order.
func (m *Monitor) All() []*Resource {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]*Resource(nil), m.resources...)
}

// Reads is every read of an existing object, in order.
func (m *Monitor) Reads() []*Resource {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]*Resource(nil), m.reads...)
}

// OfType is every registration of a type.
func (m *Monitor) OfType(typ string) []*Resource {
	var out []*Resource
	for _, r := range m.All() {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	return out
}

// One returns the single registration of a type and name, failing the test otherwise.
func (m *Monitor) One(t testing.TB, typ, name string) *Resource {
	t.Helper()
	var found []*Resource
	for _, r := range m.OfType(typ) {
		if r.Name == name {
			found = append(found, r)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want one %s %q, found %d", typ, name, len(found))
	}
	return found[0]
}

// Unwrap is the plain value inside a secret.
func Unwrap(v resource.PropertyValue) resource.PropertyValue {
	for v.IsSecret() {
		v = v.SecretValue().Element
	}
	return v
}

// Holding lists the registrations other than except whose inputs contain s anywhere, as
// "type name": where a secret must not be.
func (m *Monitor) Holding(s string, except ...*Resource) []string {
	var out []string
next:
	for _, r := range m.All() {
		for _, e := range except {
			if r == e {
				continue next
			}
		}
		if strings.Contains(resource.NewProperty(r.Inputs).String(), s) {
			out = append(out, r.Type+" "+r.Name)
		}
	}
	return out
}

// SecretState is a core/v1 Secret as the cluster holds it, its data base64-encoded: an
// Existing object for a read.
func SecretState(data map[string]string) resource.PropertyMap {
	encoded := resource.PropertyMap{}
	for k, v := range data {
		encoded[resource.PropertyKey(k)] = resource.NewProperty(base64.StdEncoding.EncodeToString([]byte(v)))
	}
	return resource.PropertyMap{"kind": resource.NewProperty("Secret"), "data": resource.NewProperty(encoded)}
}

// Decoded is a Secret's data value, base64-decoded.
func Decoded(t testing.TB, v resource.PropertyValue) string {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(Unwrap(v).StringValue())
	if err != nil {
		t.Fatalf("not base64: %v", err)
	}
	return string(b)
}
