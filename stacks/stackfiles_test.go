package stacks

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"go.yaml.in/yaml/v3"

	"github.com/coulomb-social/inter-hub-deploy/components"
	"github.com/coulomb-social/inter-hub-deploy/test/support/fixture"
)

// stackSource reads a committed stack file as the CLI would hand it to the program, decrypting
// passphrase secrets.
func stackSource(t *testing.T, stack, passphrase string) MapSource {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "Pulumi."+stack+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		EncryptionSalt string         `yaml:"encryptionsalt"`
		Config         map[string]any `yaml:"config"`
	}
	if err := yaml.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	src := MapSource{Values: map[string]string{}, Secrets: map[string]bool{}}
	var crypter config.Crypter
	for k, v := range f.Config {
		switch x := v.(type) {
		case string:
			src.Values[k] = x
		case map[string]any:
			if crypter == nil {
				parts := strings.Split(f.EncryptionSalt, ":")
				salt, err := base64.StdEncoding.DecodeString(parts[1])
				if err != nil {
					t.Fatal(err)
				}
				crypter = config.NewSymmetricCrypterFromPassphrase(passphrase, salt)
			}
			plain, err := crypter.DecryptValue(context.Background(), x["secure"].(string))
			if err != nil {
				t.Fatalf("%s: %v", k, err)
			}
			src.Values[k], src.Secrets[k] = plain, true
		case []any:
			// A list (smoke.dashboards): the CLI hands it to the program as JSON text.
			js, err := json.Marshal(x)
			if err != nil {
				t.Fatal(err)
			}
			src.Values[k] = string(js)
		default:
			t.Fatalf("%s: unexpected value %v", k, v)
		}
	}
	return src
}

// The committed local stack is valid as it stands; the only problems allowed are the files
// the stand-in creates when it starts, if it has not been started here.
func TestLocalStackIsValid(t *testing.T) {
	t.Setenv("SOPS_AGE_KEY_FILE", "")
	t.Setenv("SOPS_AGE_KEY", "")
	src := stackSource(t, "local", "inter-hub-local")
	// The pull account is the stand-in's too, its password encrypted like the others.
	if k := "inter-hub:registry.pullPassword"; !src.Secrets[k] || src.Values[k] != "sandbox-registry-pull-password" {
		t.Errorf("%s is not the encrypted sandbox-registry-pull-password", k)
	}
	if k := "inter-hub:registry.pullUsername"; src.Values[k] != "interhub-pull" {
		t.Errorf("%s = %q, want interhub-pull", k, src.Values[k])
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := Parse(src, root)
	if err == nil {
		if cfg.Build.Port != 2222 || cfg.Pgpool.Mode != components.PgpoolPgEnc || cfg.Secrets.Values["INTERHUB_API_KEY"] == "" ||
			cfg.Postgres.AdminPassword != "sandbox-admin-password" || cfg.Release.Chart != "charts/inter-hub" {
			t.Errorf("parsed: %+v", cfg)
		}
		return
	}
	var keys []string
	for _, p := range err.(Problems) {
		if !strings.Contains(p.Message, "cannot read .sandbox/") {
			t.Errorf("%s", p)
		}
		keys = append(keys, p.Key)
	}
	sort.Strings(keys)
	t.Logf("the stand-in is not started here; missing its files for %v", keys)
}

// railiance01 lacks exactly what the operators set themselves, and the program says so.
func TestRailianceStackNamesWhatTheOperatorSets(t *testing.T) {
	src := stackSource(t, "railiance01", "")
	_, err := Parse(src, t.TempDir())
	if err == nil {
		t.Fatal("railiance01 parsed without its secrets")
	}
	got := map[string]string{}
	for _, p := range err.(Problems) {
		got[p.Key] = p.Message
	}
	for _, key := range []string{"postgres.adminPassword", "registry.password", "registry.pullPassword", "build.privateKey"} {
		want := "missing (set it with: pulumi config set --secret " + key + " VALUE)"
		if got["inter-hub:"+key] != want {
			t.Errorf("inter-hub:%s: %q, want %q", key, got["inter-hub:"+key], want)
		}
	}
	for _, key := range []string{"build.hostKey", "app.revision"} {
		if !strings.HasPrefix(got["inter-hub:"+key], "missing") {
			t.Errorf("inter-hub:%s: %q", key, got["inter-hub:"+key])
		}
	}
	// Everything else it reports is a file of the operator's machine (in a foreign directory here).
	for k, m := range got {
		if !strings.HasPrefix(m, "missing") && !strings.HasPrefix(m, "cannot read") {
			t.Errorf("%s: %s", k, m)
		}
	}
}

// The railiance01 seed: what the first real deploy creates and where the image goes. Every
// operator value is filled in from a fixture, so the file parses as it would on the operator's
// machine.
func TestRailianceSeedValues(t *testing.T) {
	t.Setenv("SOPS_AGE_KEY_FILE", "")
	t.Setenv("SOPS_AGE_KEY", "")
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	f := fixture.New(t, "https://127.0.0.1:6443")
	values, secrets := f.Railiance01(t, root)
	src := MapSource{Values: values, Secrets: map[string]bool{}}
	for _, k := range secrets {
		src.Secrets[k] = true
	}
	cfg, err := Parse(src, root)
	if err != nil {
		t.Fatalf("railiance01 with the operator's values: %v", err)
	}
	for what, got := range map[string][2]string{
		"database":        {cfg.Database.Name, "interhub"},
		"role":            {cfg.Database.Role, "interhub"},
		"memory request":  {cfg.App.MemoryRequest, "1Gi"},
		"registry kind":   {cfg.Registry.Kind, RegistryGitea},
		"image reference": {cfg.Registry.Host + "/" + cfg.Registry.Repository, "registry.coulomb.social/coulomb/inter-hub"},
	} {
		if got[0] != got[1] {
			t.Errorf("%s = %q, want %q", what, got[0], got[1])
		}
	}
	if cfg.App.Replicas != 1 {
		t.Errorf("replicas = %d, want 1", cfg.App.Replicas)
	}
}
