// Package random serves RandomPassword and RandomId under the tokens, property
// names, defaults and replace semantics of the official random plugin.
package random

import (
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"

	"interhub/toolchain/providers/internal/bridge"
	"interhub/toolchain/providers/internal/plugin"
)

// Provider builds the random provider.
func Provider() (p.Provider, error) {
	prov, err := infer.NewProviderBuilder().
		WithDisplayName("random").
		WithDescription("Random values from a cryptographic source (offline subset of the official random plugin).").
		WithResources(
			infer.Resource(&Password{}),
			infer.Resource(&ID{}),
		).
		Build()
	if err != nil {
		return p.Provider{}, err
	}
	prov = plugin.ModuleFormat(prov, "(.*)(?:/[^/]*)")
	prov = bridge.Config(prov, bridge.Schema{}) // no settings; the configuration is the version alone
	prov = bridge.Wrap(prov, map[string]bridge.Resource{
		"random:index/randomPassword:RandomPassword": passwordResource,
		"random:index/randomId:RandomId":             idResource,
	})
	prov = plugin.KeepUnknownInputs(prov) // keepers may hold another resource's unknown secret
	return plugin.SecretOutputs(prov, map[string][]string{
		"random:index/randomPassword:RandomPassword": {"result", "bcryptHash"},
	}), nil
}

func checkFailure(property, reason string) p.CheckFailure {
	return p.CheckFailure{Property: property, Reason: reason}
}
