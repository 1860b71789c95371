package components

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

const (
	tSecret      = "kubernetes:core/v1:Secret"
	tSecretPatch = "kubernetes:core/v1:SecretPatch"
	tPatch       = "kubernetes:apps/v1:DeploymentPatch"
	tIngress     = "kubernetes:networking.k8s.io/v1:Ingress"
	tMiddleware  = "kubernetes:traefik.io/v1alpha1:Middleware"
	tRole        = "postgresql:index/role:Role"
	tDatabase    = "postgresql:index/database:Database"
	tPassword    = "random:index/randomPassword:RandomPassword"
	tRemote      = "command:remote:Command"
	tLocal       = "command:local:Command"
)

// The project and stack the components run in under the recorder; URNs are built from them.
const (
	mockProject = "inter-hub"
	mockStack   = "test"
)

// builtImage is what the mocked remote build prints.
var builtImage = "127.0.0.1:5443/inter-hub@sha256:" + strings.Repeat("a", 64)

// registration is one resource a component registered, or one object it read.
type registration struct {
	Type, Name string
	Custom     bool
	Inputs     resource.PropertyMap
	RPC        *pulumirpc.RegisterResourceRequest // for registrations
	ReadRPC    *pulumirpc.ReadResourceRequest     // for reads
	URN        string
}

// recorder records what a component registers and answers as the providers would, in the
// shape the components read back: a password's result, a command's output, an existing object.
type recorder struct {
	mu        sync.Mutex
	resources []*registration
	reads     []*registration
	// existing answers reads by type and ID (existingKey); a read of anything else fails as
	// one of a missing object would.
	existing map[string]resource.PropertyMap
}

func existingKey(typ, id string) string { return typ + " " + id }

// run runs body, which constructs the components under test, against the recorder.
func (r *recorder) run(body pulumi.RunFunc) error {
	return pulumi.RunErr(body, pulumi.WithMocks(mockProject, mockStack, r))
}

func (r *recorder) NewResource(a pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	if in := a.ReadRPC; in != nil {
		r.mu.Lock()
		r.reads = append(r.reads, &registration{Type: a.TypeToken, Name: a.Name, Inputs: a.Inputs, ReadRPC: in})
		state, ok := r.existing[existingKey(a.TypeToken, a.ID)]
		r.mu.Unlock()
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
	r.mu.Lock()
	r.resources = append(r.resources, &registration{
		Type: a.TypeToken, Name: a.Name, Custom: a.Custom, Inputs: a.Inputs, RPC: in,
		// As the mock monitor builds it, so that dependencies can be compared with it.
		URN: string(resource.NewURN(mockStack, mockProject, parentType, tokens.Type(a.TypeToken), a.Name)),
	})
	r.mu.Unlock()

	state := a.Inputs.Copy()
	switch a.TypeToken {
	case tPassword:
		state["result"] = resource.NewProperty(fakePassword(a.Name))
	case tRemote:
		state["stdout"] = resource.NewProperty(builtImage + "\n")
		state["stderr"] = resource.NewProperty("")
	case tLocal:
		state["stdout"] = resource.NewProperty("")
		state["stderr"] = resource.NewProperty("")
	}
	return a.Name + "-id", secretOutputs(state, in.GetAdditionalSecretOutputs()), nil
}

func (*recorder) Call(pulumi.MockCallArgs) (resource.PropertyMap, error) {
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

// fakePassword is the mocked result of the RandomPassword of that name.
func fakePassword(name string) string { return "generated-" + name }

func (r *recorder) all() []*registration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*registration(nil), r.resources...)
}

func (r *recorder) ofType(typ string) []*registration {
	var out []*registration
	for _, x := range r.all() {
		if x.Type == typ {
			out = append(out, x)
		}
	}
	return out
}

// one returns the single registration of a type and name, failing the test otherwise.
func (r *recorder) one(t *testing.T, typ, name string) *registration {
	t.Helper()
	var found []*registration
	for _, x := range r.ofType(typ) {
		if x.Name == name {
			found = append(found, x)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want one %s %q, found %d", typ, name, len(found))
	}
	return found[0]
}

// unwrap is the plain value inside a secret.
func unwrap(v resource.PropertyValue) resource.PropertyValue {
	for v.IsSecret() {
		v = v.SecretValue().Element
	}
	return v
}
