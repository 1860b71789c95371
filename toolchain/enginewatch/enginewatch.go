// Package enginewatch tells a plugin that the Pulumi engine which started it is gone.
//
// The engine passes every plugin its address as the last argument and expects the plugin to
// stop once nothing answers there: a killed `pulumi` cannot stop its plugins itself. The
// language host, the kubernetes provider and the offline providers all watch it this one way.
package enginewatch

import (
	"context"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
)

// Interval is how often a plugin asks. Upstream's language host asks every 5 minutes, so a
// killed CLI's plugins linger that long; 30 s costs as little.
const Interval = 30 * time.Second

// Address is the engine's address among a plugin's arguments: the last one unless it is a
// flag; "" when the plugin was started without one (by hand, or by a test).
func Address(args []string) string {
	if n := len(args); n > 0 && !strings.HasPrefix(args[n-1], "-") {
		return args[n-1]
	}
	return ""
}

// Context returns a context derived from parent that is cancelled once the engine at addr
// stops answering the health checks made every interval. With addr "" nothing is watched and
// only parent or the returned cancel end it. The error is the SDK's, from setting up the
// watch; the returned context is usable either way.
func Context(parent context.Context, addr string, interval time.Duration) (context.Context, context.CancelFunc, error) {
	ctx, cancel := context.WithCancel(parent)
	if addr == "" {
		return ctx, cancel, nil
	}
	// rpcutil.Healthcheck calls cancel when a check fails; the SDK's own serve helpers wire
	// it to a context nothing listens to, which is why each plugin must watch for itself.
	return ctx, cancel, rpcutil.Healthcheck(ctx, addr, interval, cancel)
}
