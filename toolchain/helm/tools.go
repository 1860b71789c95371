//go:build tools

// Package tools pins the Helm CLI, which only the benchmark uses: it times the workplan's manual
// `helm upgrade` against the program's `up` on the stand-in.
package tools

import _ "helm.sh/helm/v3/cmd/helm"
