package command

import (
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"

	"interhub/toolchain/providers/internal/plugin"
)

// Provider builds the command provider from its resources.
func Provider(resources ...infer.InferredResource) (p.Provider, error) {
	prov, err := infer.NewProviderBuilder().
		WithDisplayName("Command").
		WithDescription("Run commands locally or over SSH (offline subset of the official command plugin).").
		WithResources(resources...).
		Build()
	if err != nil {
		return p.Provider{}, err
	}
	// Triggers, environment, stdin and connection often carry the secret
	// result of a resource created in the same update.
	return plugin.KeepUnknownInputs(prov), nil
}
