// Program command exercises remote.Command and local.Command from the official
// command SDK; its configuration drives each step of the plugin test.
package main

import (
	"github.com/pulumi/pulumi-command/sdk/go/command/local"
	"github.com/pulumi/pulumi-command/sdk/go/command/remote"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		cfg := config.New(ctx, "")
		marker := cfg.Require("marker")
		conn := func(hostKey string) remote.ConnectionArgs {
			return remote.ConnectionArgs{
				Host:       pulumi.String("127.0.0.1"),
				Port:       pulumi.Float64(float64(cfg.RequireInt("port"))),
				User:       pulumi.String(cfg.Require("user")),
				PrivateKey: cfg.RequireSecret("privateKey"),
				HostKey:    pulumi.String(hostKey),
			}
		}
		hostKey := cfg.Require("hostKey")

		// Plain environment: output stays readable; each run appends to the marker file.
		remoteCmd, err := remote.NewCommand(ctx, "remote", &remote.CommandArgs{
			Connection:  conn(hostKey),
			Create:      pulumi.Sprintf(`echo "create $TESTVAR" >> %s; echo "created:$TESTVAR"`, marker),
			Update:      pulumi.Sprintf(`echo "update $TESTVAR prev=$PULUMI_COMMAND_STDOUT" >> %s; echo "updated:$TESTVAR"`, marker),
			Delete:      pulumi.Sprintf(`echo "delete prev=$PULUMI_COMMAND_STDOUT" >> %s`, marker),
			Environment: pulumi.StringMap{"TESTVAR": pulumi.String(cfg.Require("testvar"))},
			Triggers:    pulumi.Array{pulumi.String(cfg.Require("trigger"))},
			Logging:     remote.LoggingStdoutAndStderr,
		})
		if err != nil {
			return err
		}

		// As with pulumi-command, a secret in the environment does not make
		// the output secret: a program whose output may hold one marks it.
		secretCmd, err := remote.NewCommand(ctx, "secret-env", &remote.CommandArgs{
			Connection:  conn(hostKey),
			Create:      pulumi.String(`printf '%s' "$SECRETVAR"`),
			Environment: pulumi.StringMap{"SECRETVAR": cfg.RequireSecret("secretvar")},
			Logging:     remote.LoggingNone,
		}, pulumi.AdditionalSecretOutputs([]string{"stdout"}))
		if err != nil {
			return err
		}

		// Output that must not reach the logs, but is recorded, as upstream.
		if _, err := remote.NewCommand(ctx, "quiet", &remote.CommandArgs{
			Connection: conn(hostKey),
			Create:     pulumi.String("echo quiet-output-line"),
			Logging:    remote.LoggingNone,
		}); err != nil {
			return err
		}

		if cfg.GetBool("proxy") {
			proxy := conn(hostKey)
			if _, err := remote.NewCommand(ctx, "via-proxy", &remote.CommandArgs{
				Connection: remote.ConnectionArgs{
					Host:       pulumi.String("127.0.0.1"),
					Port:       pulumi.Float64(float64(cfg.RequireInt("port"))),
					User:       pulumi.String(cfg.Require("user")),
					PrivateKey: cfg.RequireSecret("privateKey"),
					HostKey:    pulumi.String(hostKey),
					Proxy: remote.ProxyConnectionArgs{
						Host: proxy.Host, Port: proxy.Port, User: proxy.User,
						PrivateKey: proxy.PrivateKey, HostKey: proxy.HostKey,
					},
				},
				Create: pulumi.String("echo via-proxy"),
			}); err != nil {
				return err
			}
		}
		if wrong := cfg.Get("wrongHostKey"); wrong != "" {
			if _, err := remote.NewCommand(ctx, "wrong-host-key", &remote.CommandArgs{
				Connection: conn(wrong),
				Create:     pulumi.Sprintf(`echo "must not run" >> %s`, marker),
			}); err != nil {
				return err
			}
		}
		if cfg.GetBool("fail") {
			if _, err := remote.NewCommand(ctx, "failing", &remote.CommandArgs{
				Connection:  conn(hostKey),
				Create:      pulumi.String(`echo "partial output"; echo "bad thing happened with $SECRETVAR" >&2; exit 3`),
				Environment: pulumi.StringMap{"SECRETVAR": cfg.RequireSecret("secretvar")},
			}); err != nil {
				return err
			}
		}

		localCmd, err := local.NewCommand(ctx, "local", &local.CommandArgs{
			Create:      pulumi.Sprintf(`echo "local-create $LOCALVAR $(pwd)" >> %s; cat`, marker),
			Delete:      pulumi.Sprintf(`echo "local-delete" >> %s`, marker),
			Dir:         pulumi.String(cfg.Require("dir")),
			Stdin:       pulumi.String(cfg.Require("stdin")),
			Environment: pulumi.StringMap{"LOCALVAR": pulumi.String(cfg.Require("testvar"))},
			Triggers:    pulumi.Array{pulumi.String(cfg.Require("trigger"))},
		})
		if err != nil {
			return err
		}

		ctx.Export("remoteStdout", remoteCmd.Stdout)
		ctx.Export("secretStdout", secretCmd.Stdout)
		ctx.Export("localStdout", localCmd.Stdout)
		return nil
	})
}
