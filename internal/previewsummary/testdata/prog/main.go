// Command prog is a small program with random and command resources whose previews are recorded
// as test data (record-prog.sh): replacements with their reasons, updates, secret values.
package main

import (
	"strconv"

	"github.com/pulumi/pulumi-command/sdk/go/command/local"
	"github.com/pulumi/pulumi-random/sdk/v4/go/random"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		get := func(k, def string) string {
			if v, ok := ctx.GetConfig("prog:" + k); ok {
				return v
			}
			return def
		}
		length, _ := strconv.Atoi(get("passwordLength", "24"))
		pw, err := random.NewRandomPassword(ctx, "db-password", &random.RandomPasswordArgs{
			Length: pulumi.Int(length), Special: pulumi.Bool(false),
		})
		if err != nil {
			return err
		}
		session, err := random.NewRandomId(ctx, "session-secret", &random.RandomIdArgs{
			ByteLength: pulumi.Int(32),
			Keepers:    pulumi.StringMap{"rotation": pulumi.String(get("rotation", "0"))},
		})
		if err != nil {
			return err
		}
		build, err := local.NewCommand(ctx, "image-build", &local.CommandArgs{
			Create:   pulumi.Sprintf("echo registry.test/inter-hub@sha256:%064s", get("revision", "1")),
			Triggers: pulumi.Array{pulumi.String(get("revision", "1"))},
			Stdin:    pulumi.ToSecret(pw.Result).(pulumi.StringOutput),
		})
		if err != nil {
			return err
		}
		if _, err := local.NewCommand(ctx, "notify", &local.CommandArgs{
			Create:      pulumi.Sprintf("echo deployed %s", get("message", "first")),
			Environment: pulumi.StringMap{"SESSION": session.Hex},
		}, pulumi.DependsOn([]pulumi.Resource{build})); err != nil {
			return err
		}
		ctx.Export("image", build.Stdout)
		ctx.Export("password", pw.Result)
		return nil
	})
}
