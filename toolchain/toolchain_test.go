//go:build integration

// Package toolchain_test checks that the offline toolchain runs a Pulumi Go program that uses
// the kubernetes provider through the real CLI, against the local stand-in cluster.
package toolchain_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coulomb-social/inter-hub-deploy/test/support/clirun"
	"github.com/coulomb-social/inter-hub-deploy/test/support/standin"
)

func TestVersionsAndPlugins(t *testing.T) {
	tc := clirun.Require(t)
	w := tc.NewWorkspace(t, t.TempDir(), nil)

	if out := w.MustRun(t, time.Minute, "version").Stdout; strings.TrimSpace(out) != "v3.274.1" {
		t.Errorf("pulumi version = %q, want v3.274.1", out)
	}
	out := w.MustRun(t, time.Minute, "plugin", "ls").Stdout
	for _, want := range []string{
		`kubernetes\s+resource\s+4\.25\.0`,
		`random\s+resource\s+4\.21\.2`,
		`command\s+resource\s+1\.2\.1`,
		`postgresql\s+resource\s+3\.18\.0`,
	} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("pulumi plugin ls lacks %s:\n%s", want, out)
		}
	}
}

// TestKubernetesProgram previews and deploys a throwaway program with the kubernetes plugin,
// once compiled by the language host and once prebuilt (runtime.options.binary).
func TestKubernetesProgram(t *testing.T) {
	tc := clirun.Require(t)
	sb := standin.Require(t)

	dir := t.TempDir()
	bin := filepath.Join(dir, "k8sprog")
	build := exec.Command("go", "build", "-o", bin, "./testdata/k8sprog")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ns := fmt.Sprintf("toolchain-test-%d", time.Now().UnixNano()%1e6)
	t.Cleanup(func() {
		_, _ = sb.Kubectl(context.Background(), nil, "delete", "namespace", ns, "--ignore-not-found", "--wait=false")
	})

	for _, tt := range []struct {
		name    string
		runtime string
	}{
		{"prebuilt", fmt.Sprintf("runtime:\n  name: go\n  options:\n    binary: %s\n", bin)},
		{"compiled", "runtime: go\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			proj := t.TempDir()
			if tt.name == "compiled" {
				// The language host compiles the program in its main directory.
				rel, err := filepath.Rel(proj, mustAbs(t, "testdata/k8sprog"))
				if err != nil {
					t.Fatal(err)
				}
				tt.runtime += "main: " + rel + "\n"
			}
			writeFile(t, filepath.Join(proj, "Pulumi.yaml"), "name: toolchain-test\n"+tt.runtime)
			tmp := t.TempDir()
			w := tc.NewWorkspace(t, proj, map[string]string{"TMPDIR": tmp})
			w.MustRun(t, time.Minute, "stack", "init", "test")
			w.MustRun(t, time.Minute, "config", "set", "kubeconfig", sb.Kubernetes.Kubeconfig)
			w.MustRun(t, time.Minute, "config", "set", "namespace", ns+"-"+tt.name)
			w.MustRun(t, time.Minute, "config", "set", "greeting", "hello")

			for _, args := range [][]string{
				{"preview"},
				{"up", "--yes", "--skip-preview"},
			} {
				r := w.MustRun(t, 5*time.Minute, args...)
				assertNoPluginWarning(t, r.Output())
				t.Logf("pulumi %s: %.1fs", args[0], r.Elapsed.Seconds())
			}
			got, err := sb.Kubectl(context.Background(), nil, "-n", ns+"-"+tt.name,
				"get", "configmap", "toolchain", "-o", "jsonpath={.data.greeting}")
			if err != nil || string(got) != "hello" {
				t.Fatalf("ConfigMap in the cluster: %q, %v", got, err)
			}
			r := w.MustRun(t, 5*time.Minute, "up", "--yes", "--skip-preview", "--expect-no-changes")
			assertNoPluginWarning(t, r.Output())
			w.MustRun(t, 5*time.Minute, "destroy", "--yes", "--skip-preview")
			assertNoKubeconfigLeft(t, tmp)
		})
	}
}

// assertNoKubeconfigLeft fails when a file under the CLI's TMPDIR holds the kubeconfig's client
// key: the provider writes the kubeconfig there for Helm, and the plugin build removes it when
// the plugin ends.
func assertNoKubeconfigLeft(t *testing.T, tmp string) {
	t.Helper()
	err := filepath.WalkDir(tmp, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if strings.Contains(string(b), "client-key-data") {
			t.Errorf("%s holds a kubeconfig with its client key", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// assertNoPluginWarning fails on the CLI's warnings about missing or unexpected plugins.
func assertNoPluginWarning(t *testing.T, out string) {
	t.Helper()
	for _, bad := range []string{"warning: using pulumi-resource", "could not find", "no resource plugin", "plugin acquisition", "warning:"} {
		if strings.Contains(strings.ToLower(out), bad) {
			t.Errorf("output mentions %q:\n%s", bad, out)
		}
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
