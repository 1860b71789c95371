// Command pulumi-resource-command is an offline stand-in for the official
// command resource plugin, for the resources this project uses.
package main

import (
	"fmt"
	"os"

	"github.com/pulumi/pulumi-go-provider/infer"

	"interhub/toolchain/providers/internal/command"
	"interhub/toolchain/providers/internal/command/local"
	"interhub/toolchain/providers/internal/command/remote"
	"interhub/toolchain/providers/internal/plugin"
)

// version is set at build time with -ldflags "-X main.version=...".
var version string

func main() {
	prov, err := command.Provider(infer.Resource(&remote.Command{}), infer.Resource(&local.Command{}))
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-resource-command: %v\n", err)
		os.Exit(1)
	}
	plugin.Run("command", version, prov)
}
