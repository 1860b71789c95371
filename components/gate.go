package components

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// GateArgs is the outcome of the readiness gate, which runs before any resource is registered
// (a failing gate stops the program, so a Gate only ever records passed or disabled checks).
type GateArgs struct {
	// Checks maps each check's name to "passed", "disabled" or "not needed".
	Checks map[string]string
}

// Gate records in the stack which readiness checks guarded the deployment. It is a record only:
// the checks ran before any resource was registered, so nothing needs to depend on it.
type Gate struct {
	pulumi.ResourceState

	Checks pulumi.StringMapOutput
}

// NewGate registers the gate's record.
func NewGate(ctx *pulumi.Context, name string, args *GateArgs, opts ...pulumi.ResourceOption) (*Gate, error) {
	g := &Gate{}
	if err := ctx.RegisterComponentResource("inter-hub:gate:Gate", name, g, opts...); err != nil {
		return nil, err
	}
	g.Checks = pulumi.ToStringMap(args.Checks).ToStringMapOutput()
	if err := ctx.RegisterResourceOutputs(g, pulumi.Map{"checks": g.Checks}); err != nil {
		return nil, err
	}
	return g, nil
}
