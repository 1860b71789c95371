// Command pendingprog is a Pulumi program for the interrupted-update test: one local command
// whose create takes inter-hub:sleepSeconds, so that killing `pulumi up` during it leaves a
// pending create in the state.
package main

import (
	"github.com/pulumi/pulumi-command/sdk/go/command/local"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		sleep, ok := ctx.GetConfig("inter-hub:sleepSeconds")
		if !ok {
			sleep = "0"
		}
		_, err := local.NewCommand(ctx, "slow-step", &local.CommandArgs{
			Create: pulumi.Sprintf("sleep %s; echo created", sleep),
		})
		return err
	})
}
