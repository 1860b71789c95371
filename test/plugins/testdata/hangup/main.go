// Program hangup runs one remote command that records its process ID and then waits, so a test
// can kill the `pulumi` running it and watch what is left.
package main

import (
	"github.com/pulumi/pulumi-command/sdk/go/command/remote"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		cfg := config.New(ctx, "")
		_, err := remote.NewCommand(ctx, "waits", &remote.CommandArgs{
			Connection: remote.ConnectionArgs{
				Host:       pulumi.String("127.0.0.1"),
				Port:       pulumi.Float64(float64(cfg.RequireInt("port"))),
				User:       pulumi.String(cfg.Require("user")),
				PrivateKey: cfg.RequireSecret("privateKey"),
				HostKey:    pulumi.String(cfg.Require("hostKey")),
			},
			// exec: the recorded ID is the waiting process itself.
			Create: pulumi.Sprintf(`echo $$ > %s; exec sleep 600`, cfg.Require("pidFile")),
		})
		return err
	})
}
