// Command pulumi-resource-random is an offline stand-in for the official
// random resource plugin, for the resources this project uses.
package main

import (
	"fmt"
	"os"

	"interhub/toolchain/providers/internal/bridge"
	"interhub/toolchain/providers/internal/plugin"
	"interhub/toolchain/providers/internal/random"
)

// version is set at build time with -ldflags "-X main.version=...".
var version string

func main() {
	prov, err := random.Provider()
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-resource-random: %v\n", err)
		os.Exit(1)
	}
	plugin.Run("random", version, prov, bridge.WithoutFrameworkVersion)
}
