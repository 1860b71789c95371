package testfixture

import (
	"os"
	"path/filepath"
	"testing"

	"go.yaml.in/yaml/v3"
)

// Railiance01 returns the committed railiance01 stack's configuration with every value its
// operators set themselves filled in from the fixture: the secrets, the build host's key, the
// revision and the fixture's kubeconfig (pointing at the server New was given). The SOPS file
// is the local one with its committed age key, since the operators' file is not in the
// repository. repoRoot is the directory holding Pulumi.railiance01.yaml.
func (f *Fixture) Railiance01(t testing.TB, repoRoot string) (map[string]string, []string) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot, "Pulumi.railiance01.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Config map[string]string `yaml:"config"`
	}
	if err := yaml.Unmarshal(raw, &file); err != nil {
		t.Fatalf("Pulumi.railiance01.yaml: %v (it must hold no encrypted values)", err)
	}
	cfg := file.Config
	for _, k := range []string{
		"inter-hub:kubernetes.kubeconfig", "inter-hub:postgres.adminPassword", "inter-hub:registry.password",
		"inter-hub:registry.pullPassword", "inter-hub:build.privateKey", "inter-hub:build.hostKey",
		"inter-hub:app.revision", "inter-hub:secrets.sopsFile", "inter-hub:secrets.ageKeyFile",
	} {
		cfg[k] = f.Config[k]
	}
	return cfg, append([]string(nil), f.Secrets...)
}
