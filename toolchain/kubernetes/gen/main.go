// Command gen writes schema-embed.json and terraform-mapping-embed.json from the files the
// provider module ships, stamping the schema with the plugin version (env VERSION), as the
// upstream release build does.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

const providerModule = "github.com/pulumi/pulumi-kubernetes/provider/v4"

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run() error {
	version := os.Getenv("VERSION")
	if version == "" {
		return fmt.Errorf("VERSION is not set")
	}
	modDir, err := moduleDir(providerModule)
	if err != nil {
		return err
	}
	dir := filepath.Join(modDir, "cmd", "pulumi-resource-kubernetes")

	var schema map[string]json.RawMessage
	if err := readJSON(filepath.Join(dir, "schema.json"), &schema); err != nil {
		return err
	}
	v, _ := json.Marshal(version)
	schema["version"] = v
	if err := writeJSON("schema-embed.json", schema); err != nil {
		return err
	}
	var mapping any
	if err := readJSON(filepath.Join(dir, "terraform-mapping.json"), &mapping); err != nil {
		return err
	}
	return writeJSON("terraform-mapping-embed.json", mapping)
}

// moduleDir downloads the build list's version of module (a no-op when it is in the module
// cache already) and returns its directory. `go list -m -f {{.Dir}}` alone prints an empty Dir
// while the module is not in the cache yet, as on a fresh machine.
func moduleDir(module string) (string, error) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Version}}", module).Output()
	if err != nil {
		return "", fmt.Errorf("finding the version of %s in go.mod: %w", module, err)
	}
	ref := module + "@" + strings.TrimSpace(string(out))
	cmd := exec.Command("go", "mod", "download", "-json", ref)
	cmd.Stderr = os.Stderr
	out, err = cmd.Output()
	if err != nil {
		return "", fmt.Errorf("downloading %s: %w", ref, err)
	}
	var m struct{ Dir, Error string }
	if err := json.Unmarshal(out, &m); err != nil {
		return "", fmt.Errorf("reading go mod download's answer for %s: %w", ref, err)
	}
	if m.Error != "" || m.Dir == "" {
		return "", fmt.Errorf("downloading %s: no directory (%s)", ref, m.Error)
	}
	return m.Dir, nil
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("parsing %s: %w", path, err)
	}
	return nil
}

func writeJSON(path string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}
