// Command slowprog is a Pulumi program for the operations tests. It needs no provider plugin and
// uses the deploy program's project name and key names, so the operator commands treat it like
// the real program: it reads app.revision, takes inter-hub:sleepSeconds before registering
// anything (so that two updates of one stack overlap), fails when inter-hub:fail is true, and
// exports an image reference derived from the revision, as the real program's image output.
package main

import (
	"crypto/sha256"
	"fmt"
	"strconv"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

type marker struct {
	pulumi.ResourceState
}

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		revision, _ := ctx.GetConfig("inter-hub:app.revision")
		if s, ok := ctx.GetConfig("inter-hub:sleepSeconds"); ok {
			n, err := strconv.Atoi(s)
			if err != nil {
				return fmt.Errorf("inter-hub:sleepSeconds: %w", err)
			}
			time.Sleep(time.Duration(n) * time.Second)
		}
		if f, _ := ctx.GetConfig("inter-hub:fail"); f == "true" {
			return fmt.Errorf("failing as inter-hub:fail asks")
		}
		m := &marker{}
		if err := ctx.RegisterComponentResource("slowprog:index:Marker", "marker-"+revision, m); err != nil {
			return err
		}
		if err := ctx.RegisterResourceOutputs(m, pulumi.Map{"revision": pulumi.String(revision)}); err != nil {
			return err
		}
		image := fmt.Sprintf("registry.test/inter-hub@sha256:%x", sha256.Sum256([]byte(revision)))
		ctx.Export("image", pulumi.String(image))
		ctx.Export("revision", pulumi.String(revision))
		ctx.Export("token", pulumi.ToSecret(pulumi.String("s3cr3t-"+revision)))
		return nil
	})
}
