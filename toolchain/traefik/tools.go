//go:build tools

// Package tools pins Traefik, the stand-in cluster's ingress controller as K3s ships it.
package tools

import _ "github.com/traefik/traefik/v3/cmd/traefik"
