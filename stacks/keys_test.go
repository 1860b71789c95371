package stacks

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// go test ./stacks -run 'TestProjectFile|TestConfigDoc' -update rewrites the generated parts.
var update = flag.Bool("update", false, "rewrite Pulumi.yaml's config section and docs/CONFIG.md's key table")

const (
	projectFile = "../Pulumi.yaml"
	configDoc   = "../docs/CONFIG.md"
	docBegin    = "<!-- BEGIN KEYS (generated from stacks/keys.go: go test ./stacks -update) -->"
	docEnd      = "<!-- END KEYS -->"
)

// projectConfig renders Pulumi.yaml's config section. It declares none of the project's keys:
// the CLI reads a declared key with a dot (app.revision) as a path into an object (inter-hub:app),
// reports the flat key the stack sets as missing, and turns a default into that object. The
// keys are documented in docs/CONFIG.md and their defaults applied by the program.
func projectConfig() string {
	return `config:
  # Every resource names its provider explicitly; none may fall back to an unconfigured default.
  pulumi:disable-default-providers:
    value:
      - "*"
  # The project's own keys (inter-hub:*) are not declared here: the CLI would read a dotted key
  # such as app.revision as a path into an object. docs/CONFIG.md lists them; stacks/keys.go
  # applies their defaults and validates them.
`
}

func TestProjectFile(t *testing.T) {
	raw, err := os.ReadFile(projectFile)
	if err != nil {
		t.Fatal(err)
	}
	head, _, found := strings.Cut(string(raw), "config:\n")
	if !found {
		t.Fatalf("%s has no config section", projectFile)
	}
	want := head + projectConfig()
	if *update {
		if err := os.WriteFile(projectFile, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if string(raw) != want {
		t.Errorf("%s's config section is not the expected one; run go test ./stacks -update", projectFile)
	}
	var p struct {
		Name    string `yaml:"name"`
		Runtime struct {
			Name    string            `yaml:"name"`
			Options map[string]string `yaml:"options"`
		} `yaml:"runtime"`
		Config map[string]struct {
			Value any `yaml:"value"`
		} `yaml:"config"`
	}
	if err := yaml.Unmarshal(raw, &p); err != nil {
		t.Fatal(err)
	}
	if p.Name != "inter-hub" || p.Runtime.Name != "go" || p.Runtime.Options["binary"] != "bin/inter-hub" {
		t.Errorf("project header: got name %q runtime %q binary %q", p.Name, p.Runtime.Name, p.Runtime.Options["binary"])
	}
	if v := fmt.Sprint(p.Config["pulumi:disable-default-providers"].Value); v != "[*]" {
		t.Errorf("pulumi:disable-default-providers = %s, want [*]", v)
	}
	if len(p.Config) != 1 {
		t.Errorf("Pulumi.yaml declares config keys besides pulumi:disable-default-providers: %v", p.Config)
	}
}

// docTable renders the key reference of docs/CONFIG.md.
func docTable() string {
	var b strings.Builder
	b.WriteString(docBegin + "\n")
	group := ""
	for _, k := range Keys {
		g, _, _ := strings.Cut(k.Name, ".")
		if g != group {
			group = g
			fmt.Fprintf(&b, "\n### %s\n\n", g)
			b.WriteString("| key | type | default | need | secret | what it is |\n")
			b.WriteString("| --- | --- | --- | --- | --- | --- |\n")
		}
		def := "–"
		if k.Default != "" {
			def = "`" + k.Default + "`"
		}
		secret := "no"
		if k.Secret {
			secret = "**yes**"
		}
		fmt.Fprintf(&b, "| `inter-hub:%s` | %s | %s | %s | %s | %s |\n",
			k.Name, k.Type, def, k.Need, secret, strings.ReplaceAll(k.Doc, "|", `\|`))
	}
	b.WriteString("\n" + docEnd)
	return b.String()
}

func TestConfigDoc(t *testing.T) {
	raw, err := os.ReadFile(configDoc)
	if err != nil {
		t.Fatal(err)
	}
	before, rest, ok1 := strings.Cut(string(raw), docBegin)
	_, after, ok2 := strings.Cut(rest, docEnd)
	if !ok1 || !ok2 {
		t.Fatalf("%s lacks the generated-table markers", configDoc)
	}
	want := before + docTable() + after
	if *update {
		if err := os.WriteFile(configDoc, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if string(raw) != want {
		t.Errorf("%s's key table differs from stacks/keys.go; run go test ./stacks -update", configDoc)
	}
}

// Both stack files use only declared keys and hold every secret key encrypted.
func TestStackFiles(t *testing.T) {
	for _, stack := range []string{"local", "railiance01"} {
		path := filepath.Join("..", "Pulumi."+stack+".yaml")
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var f struct {
			SecretsProvider string         `yaml:"secretsprovider"`
			Config          map[string]any `yaml:"config"`
		}
		if err := yaml.Unmarshal(raw, &f); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		for full, v := range f.Config {
			name, ours := shortKey(full)
			if !ours {
				t.Errorf("%s: %s is not a key of this project", path, full)
				continue
			}
			k, known := keyIndex(name)
			if !known {
				t.Errorf("%s: %s is not declared in stacks/keys.go", path, full)
				continue
			}
			_, encrypted := v.(map[string]any)
			if k.Secret && !encrypted {
				t.Errorf("%s: %s must be set with --secret", path, full)
			}
		}
	}
}
