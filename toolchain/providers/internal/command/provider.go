package command

import (
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
)

// Provider builds the command provider from its resources.
func Provider(resources ...infer.InferredResource) (p.Provider, error) {
	return infer.NewProviderBuilder().
		WithDisplayName("Command").
		WithDescription("Run commands locally or over SSH (offline subset of the official command plugin).").
		WithResources(resources...).
		Build()
}
