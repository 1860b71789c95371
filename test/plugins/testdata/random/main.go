// Program random exercises RandomPassword and RandomId from the official
// random SDK; its configuration drives each step of the plugin test.
package main

import (
	"github.com/pulumi/pulumi-random/sdk/v4/go/random"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		cfg := config.New(ctx, "")
		keepers := pulumi.StringMap{"rotation": pulumi.String(cfg.Get("keeper"))}
		pw, err := random.NewRandomPassword(ctx, "password", &random.RandomPasswordArgs{
			Length:          pulumi.Int(cfg.RequireInt("length")),
			OverrideSpecial: pulumi.String("_-!"),
			MinUpper:        pulumi.Int(cfg.GetInt("minUpper")),
			MinNumeric:      pulumi.Int(2),
			Keepers:         keepers,
		})
		if err != nil {
			return err
		}
		id, err := random.NewRandomId(ctx, "id", &random.RandomIdArgs{
			ByteLength: pulumi.Int(8),
			Prefix:     pulumi.String(cfg.Get("prefix")),
			Keepers:    keepers,
		})
		if err != nil {
			return err
		}
		if imp := cfg.Get("importPassword"); imp != "" {
			_, err := random.NewRandomPassword(ctx, "imported-password", &random.RandomPasswordArgs{
				Length: pulumi.Int(len(imp)),
			}, pulumi.Import(pulumi.ID(imp)))
			if err != nil {
				return err
			}
		}
		if imp := cfg.Get("importId"); imp != "" {
			_, err := random.NewRandomId(ctx, "imported-id", &random.RandomIdArgs{
				ByteLength: pulumi.Int(cfg.RequireInt("importIdBytes")),
				Prefix:     pulumi.String("imp-"),
			}, pulumi.Import(pulumi.ID("imp-,"+imp)))
			if err != nil {
				return err
			}
		}
		ctx.Export("password", pw.Result)
		ctx.Export("bcryptHash", pw.BcryptHash)
		ctx.Export("passwordId", pw.ID())
		ctx.Export("id", id.ID())
		ctx.Export("hex", id.Hex)
		ctx.Export("b64Url", id.B64Url)
		ctx.Export("b64Std", id.B64Std)
		ctx.Export("dec", id.Dec)
		return nil
	})
}
