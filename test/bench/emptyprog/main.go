// Command emptyprog is the benchmark's baseline: the deploy program's configuration and
// explicit providers, and no resources. Its no-op preview is what any program with the same
// providers pays (CLI and plugin start-up, provider configuration).
package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/coulomb-social/inter-hub-deploy/components"
	"github.com/coulomb-social/inter-hub-deploy/stacks"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		cfg, err := stacks.Load(ctx)
		if err != nil {
			return err
		}
		_, err = components.NewProviders(ctx, "providers", &components.ProvidersArgs{
			Kubeconfig:        pulumi.String(cfg.Kubernetes.Kubeconfig),
			Context:           cfg.Kubernetes.Context,
			ClusterIdentifier: cfg.Kubernetes.Target.Server,
			Postgres:          cfg.Postgres.Admin,
			PostgresUser:      cfg.Postgres.AdminUser,
			PostgresPassword:  pulumi.String(cfg.Postgres.AdminPassword),
		})
		return err
	})
}
