// Package affected decides which stacks a change touches, so that CI previews only those: a
// stack's own config file touches that stack; the program's code, chart, secrets, Pulumi.yaml
// and Go module touch every stack; documentation, tests and operator tooling touch none.
package affected

import (
	"bytes"
	"fmt"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// everyStack are files and directories (with a trailing slash) whose change reaches every stack.
var everyStack = []string{"Pulumi.yaml", "go.mod", "go.sum", "toolchain/versions.env", "charts/", "deploy/secrets/"}

// Stacks returns the candidates that a change of files (paths relative to the repository root,
// as `git diff --name-only` prints them) affects, in the candidates' order. programDirs are the
// directories (relative, "." for the root) of the Go packages the program is built from.
func Stacks(files, candidates []string, programDirs map[string]bool) []string {
	hit := map[string]bool{}
	all := false
	for _, f := range files {
		f = path.Clean(filepath.ToSlash(strings.TrimSpace(f)))
		if f == "." || f == "" {
			continue
		}
		if name, ok := stackFile(f); ok {
			hit[name] = true
			continue
		}
		if touchesProgram(f, programDirs) {
			all = true
		}
	}
	var out []string
	for _, c := range candidates {
		if all || hit[c] {
			out = append(out, c)
		}
	}
	return out
}

// stackFile recognises Pulumi.<stack>.yaml at the root.
func stackFile(f string) (string, bool) {
	if strings.Contains(f, "/") || !strings.HasPrefix(f, "Pulumi.") || !strings.HasSuffix(f, ".yaml") {
		return "", false
	}
	name := strings.TrimSuffix(strings.TrimPrefix(f, "Pulumi."), ".yaml")
	return name, name != "" && name != "yaml"
}

func touchesProgram(f string, programDirs map[string]bool) bool {
	base := path.Base(f)
	for _, e := range everyStack {
		if f == e || (strings.HasSuffix(e, "/") && strings.HasPrefix(f, e)) {
			// Every file of the chart is in its digest, a README too; next to the SOPS files a
			// README is only documentation.
			return e != "deploy/secrets/" || !strings.HasSuffix(base, ".md")
		}
	}
	if strings.HasSuffix(base, "_test.go") || strings.HasSuffix(base, ".md") || strings.HasPrefix(f, "testdata/") ||
		strings.Contains(f, "/testdata/") {
		return false
	}
	// Go files and files embedded next to them (scripts, templates) of the program's packages.
	return programDirs[path.Dir(f)]
}

// ProgramDirs lists the repository directories of the Go packages the program at repo is built
// from, with `go list -deps`.
func ProgramDirs(repo string) (map[string]bool, error) {
	abs, err := filepath.Abs(repo)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command("go", "list", "-deps", "-f", "{{.Dir}}", ".")
	cmd.Dir = abs
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list -deps in %s: %w\n%s", abs, err, stderr.String())
	}
	dirs := map[string]bool{}
	for _, d := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		rel, err := filepath.Rel(abs, d)
		if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
			continue
		}
		dirs[filepath.ToSlash(rel)] = true
	}
	if !dirs["."] {
		return nil, fmt.Errorf("go list -deps in %s did not list the program itself", abs)
	}
	return dirs, nil
}

// SortedKeys is a helper for messages.
func SortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
