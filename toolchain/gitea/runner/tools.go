//go:build tools

// Package tools pins Gitea's Actions runner (gitea-runner, formerly act_runner). `go install
// ...@v1.0.8` does not work through the proxy (it reads the module's version list, which the
// proxy refuses), so it is built from this wrapper module.
package tools

import _ "gitea.com/gitea/runner"
