// Command prog has two PostgreSQL roles; record.sh changes one and drops the other behind
// Pulumi's back and records `pulumi refresh --preview-only --json`.
package main

import (
	"github.com/pulumi/pulumi-postgresql/sdk/v3/go/postgresql"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		host, _ := ctx.GetConfig("prog:host")
		port, _ := ctx.GetConfig("prog:port")
		user, _ := ctx.GetConfig("prog:user")
		password, _ := ctx.GetConfig("prog:password")
		var portNum int
		for _, c := range port {
			portNum = portNum*10 + int(c-'0')
		}
		prov, err := postgresql.NewProvider(ctx, "pg", &postgresql.ProviderArgs{
			Host: pulumi.String(host), Port: pulumi.Int(portNum), Username: pulumi.String(user),
			Password: pulumi.ToSecret(pulumi.String(password)).(pulumi.StringInput),
			Sslmode:  pulumi.String("disable"), Database: pulumi.String("postgres"), Superuser: pulumi.Bool(false),
		})
		if err != nil {
			return err
		}
		for _, name := range []string{"drift_rec_changed", "drift_rec_dropped", "drift_rec_same"} {
			if _, err := postgresql.NewRole(ctx, name, &postgresql.RoleArgs{
				Name: pulumi.String(name), Login: pulumi.Bool(true),
			}, pulumi.Provider(prov)); err != nil {
				return err
			}
		}
		return nil
	})
}
