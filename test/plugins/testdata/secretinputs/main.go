// Program secretinputs feeds the result of a RandomPassword created in the
// same update into the triggers, environment, stdin and connection of
// local.Command and remote.Command: during the preview of that update the
// password is a secret whose value is not known yet.
package main

import (
	"github.com/pulumi/pulumi-command/sdk/go/command/local"
	"github.com/pulumi/pulumi-command/sdk/go/command/remote"
	"github.com/pulumi/pulumi-random/sdk/v4/go/random"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

// record appends what a command saw to the marker file: the role and digests
// of the password as it came through the environment and through stdin (the
// password itself stays out of the file).
const record = `printf '%s %s env=%s stdin=%s\n' "$STEP" "$ROLE" "$(printf '%s' "$SECRETVAR" | sha256sum | cut -c1-16)" "$(sha256sum | cut -c1-16)" >> `

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		cfg := config.New(ctx, "")
		marker := cfg.Require("marker")
		role := cfg.Require("role")

		pw, err := random.NewRandomPassword(ctx, "password", &random.RandomPasswordArgs{
			Length:  pulumi.Int(24),
			Special: pulumi.Bool(false),
			Keepers: pulumi.StringMap{"rotation": pulumi.String(cfg.Require("rotation"))},
		})
		if err != nil {
			return err
		}

		localCmd, err := local.NewCommand(ctx, "local", &local.CommandArgs{
			Create:      pulumi.String(`STEP=local-create; ` + record + marker + `; echo done`),
			Delete:      pulumi.String(`echo local-delete >> ` + marker),
			Environment: pulumi.StringMap{"SECRETVAR": pw.Result, "ROLE": pulumi.String(role)},
			Stdin:       pw.Result,
			Triggers:    pulumi.Array{pulumi.String(role), pw.Result},
		})
		if err != nil {
			return err
		}

		// Without triggers a new password is an update, which the preview
		// must show although the new value is not known yet.
		if _, err := local.NewCommand(ctx, "local-update", &local.CommandArgs{
			Create:      pulumi.String(`STEP=update-create; ` + record + marker),
			Update:      pulumi.String(`STEP=update-update; ` + record + marker),
			Environment: pulumi.StringMap{"SECRETVAR": pw.Result, "ROLE": pulumi.String(role)},
			Stdin:       pw.Result,
		}); err != nil {
			return err
		}

		// The private key is only known once the password exists, as a key
		// read from a resource created in the same update would be: an
		// unknown secret in the connection.
		key := pulumi.All(pw.Result, cfg.RequireSecret("privateKey")).ApplyT(
			func(v []any) string { return v[1].(string) }).(pulumi.StringOutput)
		remoteCmd, err := remote.NewCommand(ctx, "remote", &remote.CommandArgs{
			Connection: remote.ConnectionArgs{
				Host:       pulumi.String("127.0.0.1"),
				Port:       pulumi.Float64(float64(cfg.RequireInt("port"))),
				User:       pulumi.String(cfg.Require("user")),
				PrivateKey: key,
				HostKey:    pulumi.String(cfg.Require("hostKey")),
			},
			Create:      pulumi.String(`STEP=remote-create; ROLE=` + role + `; ` + record + marker + `; echo done`),
			Delete:      pulumi.String(`echo remote-delete >> ` + marker),
			Environment: pulumi.StringMap{"SECRETVAR": pw.Result},
			Stdin:       pw.Result,
			Triggers:    pulumi.Array{pulumi.String(role), pw.Result},
		})
		if err != nil {
			return err
		}

		ctx.Export("password", pw.Result)
		ctx.Export("localStdout", localCmd.Stdout)
		ctx.Export("remoteStdout", remoteCmd.Stdout)
		return nil
	})
}
