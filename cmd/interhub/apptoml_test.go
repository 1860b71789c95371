package main

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
	"go.yaml.in/yaml/v3"
)

// makeTargets are the Makefile's targets.
func makeTargets(t *testing.T) map[string]bool {
	t.Helper()
	raw, err := os.ReadFile("../../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	targets := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^([a-z][a-z0-9/-]*):`).FindAllStringSubmatch(string(raw), -1) {
		targets[m[1]] = true
	}
	return targets
}

// checkCommand reports a command line that calls anything but make targets, interhub
// subcommands, pulumi and sops, or a make target that does not exist.
func checkCommand(t *testing.T, where, line string, targets map[string]bool) {
	t.Helper()
	for _, seg := range strings.Split(line, "&&") {
		words := strings.Fields(seg)
		for len(words) > 0 && regexp.MustCompile(`^[A-Z_]+=`).MatchString(words[0]) {
			words = words[1:]
		}
		if len(words) == 0 {
			t.Errorf("%s: empty command in %q", where, line)
			continue
		}
		switch words[0] {
		case "make":
			for _, a := range words[1:] {
				if !strings.Contains(a, "=") && a != "..." && !targets[a] {
					t.Errorf("%s: %q: the Makefile has no target %s", where, line, a)
				}
			}
		case "bin/interhub":
			if len(words) < 2 || commands[words[1]].run == nil {
				t.Errorf("%s: %q: no such interhub subcommand", where, line)
			}
		case "pulumi", "sops":
		default:
			t.Errorf("%s: %q: %s is not a command of this repository", where, line, words[0])
		}
	}
}

// deploy/app-repo/app.toml names the image, port, health path and stack the deployment really
// uses, and only commands that exist.
func TestAppTomlMatchesTheDeployment(t *testing.T) {
	var app struct {
		App     struct{ Name, Description string }
		Image   struct{ Name, Tag string }
		Service struct {
			Port       int
			HealthPath string `toml:"health_path"`
			URL        string
		}
		Cluster  struct{ Name, Stack, Namespace string }
		Commands map[string]string
	}
	meta, err := toml.DecodeFile("../../deploy/app-repo/app.toml", &app)
	if err != nil {
		t.Fatal(err)
	}
	if undecoded := meta.Undecoded(); len(undecoded) > 0 {
		t.Errorf("app.toml keys this test does not know: %v", undecoded)
	}
	var stack struct {
		Config map[string]string `yaml:"config"`
	}
	raw, err := os.ReadFile("../../Pulumi." + app.Cluster.Stack + ".yaml")
	if err != nil {
		t.Fatalf("cluster.stack %q: %v", app.Cluster.Stack, err)
	}
	if err := yaml.Unmarshal(raw, &stack); err != nil {
		t.Fatal(err)
	}
	cfg := stack.Config
	if want := cfg["inter-hub:registry.host"] + "/" + cfg["inter-hub:registry.repository"]; app.Image.Name != want {
		t.Errorf("image.name = %q, want %q (registry.host/registry.repository)", app.Image.Name, want)
	}
	if want := "https://" + cfg["inter-hub:ingress.host"]; app.Service.URL != want {
		t.Errorf("service.url = %q, want %q", app.Service.URL, want)
	}
	if app.Cluster.Namespace != cfg["inter-hub:kubernetes.namespace"] || app.Cluster.Name != "railiance01" || app.App.Name != "inter-hub" {
		t.Errorf("app/cluster = %+v / %+v", app.App, app.Cluster)
	}
	var values struct {
		Port           int `yaml:"port"`
		ReadinessProbe struct {
			Path string `yaml:"path"`
		} `yaml:"readinessProbe"`
	}
	raw, err = os.ReadFile("../../charts/inter-hub/values.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(raw, &values); err != nil {
		t.Fatal(err)
	}
	if app.Service.Port != values.Port || app.Service.Port != 8000 || app.Service.HealthPath != values.ReadinessProbe.Path {
		t.Errorf("service = %+v, the chart serves port %d with readiness path %q", app.Service, values.Port, values.ReadinessProbe.Path)
	}
	targets := makeTargets(t)
	for _, k := range []string{"deploy", "rollback", "rollback_list", "smoke"} {
		if app.Commands[k] == "" {
			t.Errorf("commands.%s is missing", k)
		}
	}
	for k, line := range app.Commands {
		checkCommand(t, "app.toml commands."+k, line, targets)
		if m := regexp.MustCompile(`(STACK=|--stack )(\S+)`).FindStringSubmatch(line); m != nil && m[2] != app.Cluster.Stack {
			t.Errorf("commands.%s uses stack %s, not %s", k, m[2], app.Cluster.Stack)
		}
	}
}

// The runbook's and app-repo README's make and interhub commands given inline exist too (the sh
// blocks are checked by test/ops).
func TestInlineDocCommandsExist(t *testing.T) {
	targets := makeTargets(t)
	span := regexp.MustCompile("`((?:make|bin/interhub) [^`]+)`")
	for _, doc := range []string{"../../docs/RUNBOOK.md", "../../deploy/app-repo/README.md"} {
		raw, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, m := range span.FindAllStringSubmatch(string(raw), -1) {
			checkCommand(t, doc, m[1], targets)
			n++
		}
		if n < 5 {
			t.Errorf("%s: only %d inline commands found", doc, n)
		}
	}
}
