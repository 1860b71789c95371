// Program postgresql exercises the provider, Role and Database from the
// official postgresql SDK; its configuration drives each step of the plugin
// test.
package main

import (
	"strconv"

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
		opts := pulumi.Provider(prov)
		connLimit := -1
		if v := cfg.Get("connLimit"); v != "" {
			if connLimit, err = strconv.Atoi(v); err != nil {
				return err
			}
		}
		role, err := postgresql.NewRole(ctx, "app-role", &postgresql.RoleArgs{
			Name:            pulumi.String(cfg.Require("roleName")),
			Login:           pulumi.Bool(true),
			Password:        cfg.RequireSecret("rolePassword"),
			ConnectionLimit: pulumi.Int(connLimit),
		}, opts)
		if err != nil {
			return err
		}
		dbArgs := &postgresql.DatabaseArgs{Name: pulumi.String(cfg.Require("dbName")), Owner: role.Name}
		if c := cfg.Get("lcCollate"); c != "" {
			dbArgs.LcCollate = pulumi.String(c)
		}
		db, err := postgresql.NewDatabase(ctx, "app-db", dbArgs, opts)
		if err != nil {
			return err
		}
		if n := cfg.Get("extraRole"); n != "" {
			if _, err := postgresql.NewRole(ctx, "extra-role", &postgresql.RoleArgs{Name: pulumi.String(n)}, opts); err != nil {
				return err
			}
		}
		if n := cfg.Get("importRole"); n != "" {
			if _, err := postgresql.NewRole(ctx, "imported-role", &postgresql.RoleArgs{Name: pulumi.String(n)},
				opts, pulumi.Import(pulumi.ID(n))); err != nil {
				return err
			}
		}
		if n := cfg.Get("importDatabase"); n != "" {
			if _, err := postgresql.NewDatabase(ctx, "imported-db", &postgresql.DatabaseArgs{Name: pulumi.String(n)},
				opts, pulumi.Import(pulumi.ID(n))); err != nil {
				return err
			}
		}
		// A password from RandomPassword is unknown during a preview that
		// rotates it: the role's diff must still show the update.
		if rotation := cfg.Get("rotation"); rotation != "" {
			pw, err := random.NewRandomPassword(ctx, "rotating-password", &random.RandomPasswordArgs{
				Length:  pulumi.Int(20),
				Special: pulumi.Bool(false),
				Keepers: pulumi.StringMap{"rotation": pulumi.String(rotation)},
			})
			if err != nil {
				return err
			}
			if _, err := postgresql.NewRole(ctx, "rotating-role", &postgresql.RoleArgs{
				Name: pulumi.String("rotating"), Login: pulumi.Bool(true), Password: pw.Result,
			}, opts); err != nil {
				return err
			}
			ctx.Export("rotatingPassword", pw.Result)
		}
		ctx.Export("roleName", role.Name)
		ctx.Export("dbName", db.Name)
		ctx.Export("dbOwner", db.Owner)
		return nil
	})
}
