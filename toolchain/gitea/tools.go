//go:build tools

// Package tools pins Gitea, the stand-in's forge: its Actions run the repository's workflows on
// the runner pinned in runner/go.mod. Gitea's own go.mod replaces are copied into go.mod.
package tools

import _ "code.gitea.io/gitea"
