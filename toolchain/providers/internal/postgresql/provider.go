package postgresql

import (
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"

	"interhub/toolchain/providers/internal/bridge"
	"interhub/toolchain/providers/internal/plugin"
)

// Provider builds the postgresql provider.
func Provider() (p.Provider, error) {
	prov, err := infer.NewProviderBuilder().
		WithDisplayName("PostgreSQL").
		WithDescription("PostgreSQL roles and databases (offline subset of the official postgresql plugin).").
		WithConfig(infer.Config(&Config{})).
		WithResources(
			infer.Resource(&Role{}),
			infer.Resource(&Database{}),
		).
		Build()
	if err != nil {
		return p.Provider{}, err
	}
	prov = plugin.ModuleFormat(prov, "(.*)(?:/[^/]*)")
	prov = bridge.Config(prov, configSchema)
	prov = plugin.ConfigUpdatesInPlace(prov)
	prov = bridge.Wrap(prov, map[string]bridge.Resource{
		"postgresql:index/role:Role":         shaped(roleSchema),
		"postgresql:index/database:Database": shaped(databaseSchema),
	})
	prov = plugin.KeepUnknownInputs(prov) // a role's password from a RandomPassword of the same update
	prov = plugin.DeleteBeforeReplaceWhenNamed(prov, "postgresql:index/database:Database")
	return plugin.SecretOutputs(prov, map[string][]string{
		"postgresql:index/role:Role": {"password"},
	}), nil
}
