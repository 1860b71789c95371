// Program official declares what the deployment program's database and
// session components declare (components/database.go, components/session.go):
// two RandomPasswords, a login Role using one, and a Database that Role owns.
// The official-state test gives it state in the official plugins' shape.
package main

import (
	"github.com/pulumi/pulumi-postgresql/sdk/v3/go/postgresql"
	"github.com/pulumi/pulumi-random/sdk/v4/go/random"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		cfg := config.New(ctx, "")
		prov, err := postgresql.NewProvider(ctx, "pg", &postgresql.ProviderArgs{
			Host:           pulumi.String("127.0.0.1"),
			Port:           pulumi.Int(cfg.RequireInt("port")),
			Username:       pulumi.String(cfg.Require("adminUser")),
			Password:       cfg.RequireSecret("adminPassword"),
			Database:       pulumi.String("postgres"),
			Sslmode:        pulumi.String("disable"),
			Superuser:      pulumi.Bool(false),
			ConnectTimeout: pulumi.Int(5),
		})
		if err != nil {
			return err
		}
		password, err := random.NewRandomPassword(ctx, "db-password", &random.RandomPasswordArgs{
			Length:          pulumi.Int(32),
			Special:         pulumi.Bool(true),
			OverrideSpecial: pulumi.String("-_"),
			Keepers:         pulumi.StringMap{"rotation": pulumi.String(cfg.Require("rotation"))},
		})
		if err != nil {
			return err
		}
		session, err := random.NewRandomPassword(ctx, "session-key", &random.RandomPasswordArgs{
			Length:          pulumi.Int(64),
			Upper:           pulumi.Bool(false),
			Lower:           pulumi.Bool(false),
			Numeric:         pulumi.Bool(true),
			Special:         pulumi.Bool(true),
			OverrideSpecial: pulumi.String("abcdef"),
			Keepers:         pulumi.StringMap{"rotation": pulumi.String("1")},
		})
		if err != nil {
			return err
		}
		role, err := postgresql.NewRole(ctx, "app-role", &postgresql.RoleArgs{
			Name:           pulumi.String(cfg.Require("roleName")),
			Login:          pulumi.Bool(true),
			Password:       password.Result,
			Superuser:      pulumi.Bool(false),
			CreateRole:     pulumi.Bool(false),
			CreateDatabase: pulumi.Bool(false),
		}, pulumi.Provider(prov))
		if err != nil {
			return err
		}
		if _, err := postgresql.NewDatabase(ctx, "app-db", &postgresql.DatabaseArgs{
			Name:  pulumi.String("appdb"),
			Owner: role.Name,
		}, pulumi.Provider(prov)); err != nil {
			return err
		}
		ctx.Export("password", password.Result)
		ctx.Export("sessionKey", session.Result)
		return nil
	})
}
