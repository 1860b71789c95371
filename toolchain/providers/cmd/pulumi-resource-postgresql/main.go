// Command pulumi-resource-postgresql is an offline stand-in for the official
// postgresql resource plugin, for the resources this project uses.
package main

import (
	"fmt"
	"os"

	"interhub/toolchain/providers/internal/bridge"
	"interhub/toolchain/providers/internal/plugin"
	"interhub/toolchain/providers/internal/postgresql"
)

// version is set at build time with -ldflags "-X main.version=...".
var version string

func main() {
	prov, err := postgresql.Provider()
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-resource-postgresql: %v\n", err)
		os.Exit(1)
	}
	plugin.Run("postgresql", version, prov, bridge.WithoutFrameworkVersion)
}
