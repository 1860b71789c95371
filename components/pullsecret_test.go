package components

import (
	"encoding/base64"
	"encoding/json"
	"github.com/coulomb-social/inter-hub-deploy/test/support/mockstack"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// The docker config survives passwords that JSON or basic auth could trip over.
func TestDockerConfigJSON(t *testing.T) {
	for _, password := range []string{"plain", `quo"te\back`, "with:colon", "ünïcode <&>"} {
		raw, err := dockerConfigJSON("registry.coulomb.social", "interhub-pull", password)
		if err != nil {
			t.Fatal(err)
		}
		var c struct {
			Auths map[string]struct{ Username, Password, Auth string } `json:"auths"`
		}
		if err := json.Unmarshal([]byte(raw), &c); err != nil {
			t.Fatalf("%q: %v", password, err)
		}
		a := c.Auths["registry.coulomb.social"]
		if len(c.Auths) != 1 || a.Username != "interhub-pull" || a.Password != password {
			t.Errorf("%q: auths = %v", password, c.Auths)
		}
		decoded, err := base64.StdEncoding.DecodeString(a.Auth)
		if err != nil || string(decoded) != "interhub-pull:"+password {
			t.Errorf("%q: auth decodes to %q (%v)", password, decoded, err)
		}
	}
	if _, err := dockerConfigJSON("r", "u", ""); err == nil {
		t.Error("an empty password was accepted")
	}
}

func TestPullSecretRefusesIncompleteAccounts(t *testing.T) {
	for _, tc := range []struct {
		args *PullSecretArgs
		want string
	}{
		{&PullSecretArgs{Name: "x-registry", Username: "u", Password: pulumi.String("p")}, "pull secret x-registry: no registry host"},
		{&PullSecretArgs{Name: "x-registry", Registry: "r", Password: pulumi.String("p")}, "pull secret x-registry: no registry user"},
		{&PullSecretArgs{Name: "x-registry", Registry: "r", Username: "a:b", Password: pulumi.String("p")}, `pull secret x-registry: registry user "a:b" contains a colon`},
		{&PullSecretArgs{Name: "x-registry", Registry: "r", Username: "u"}, "pull secret x-registry: no registry password"},
	} {
		err := (&mockstack.Monitor{}).Run(func(ctx *pulumi.Context) error {
			_, err := NewPullSecret(ctx, "pull-secret", tc.args)
			return err
		})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("got %v, want %q", err, tc.want)
		}
	}
}

func TestPullSecret(t *testing.T) {
	const user, password = "interhub-pull", "pull-password"
	auth := base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
	rec := &mockstack.Monitor{}
	err := rec.Run(func(ctx *pulumi.Context) error {
		// A plain password: the Secret's data must be secret whatever the input was.
		_, err := NewPullSecret(ctx, "pull-secret", &PullSecretArgs{
			Namespace: pulumi.String("apps"), Name: "hub-registry",
			Registry: "registry.example.org:5443", Username: user, Password: pulumi.String(password),
		})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	s := rec.One(t, tSecret, "pull-secret")
	md := s.Inputs["metadata"].ObjectValue()
	if md["name"].StringValue() != "hub-registry" || md["namespace"].StringValue() != "apps" {
		t.Errorf("pull secret metadata = %v", md)
	}
	if got := s.Inputs["type"].StringValue(); got != "kubernetes.io/dockerconfigjson" {
		t.Errorf("pull secret type = %q", got)
	}
	if _, plain := s.Inputs["data"]; plain {
		t.Error("pull secret sets data besides stringData")
	}
	data := s.Inputs["stringData"]
	if !data.IsSecret() {
		t.Fatal("pull secret stringData is not secret")
	}
	values := mockstack.Unwrap(data).ObjectValue()
	if len(values) != 1 {
		t.Errorf("pull secret keys = %v, want only .dockerconfigjson", values)
	}
	var config struct {
		Auths map[string]struct{ Username, Password, Auth string } `json:"auths"`
	}
	if err := json.Unmarshal([]byte(mockstack.Unwrap(values[".dockerconfigjson"]).StringValue()), &config); err != nil {
		t.Fatalf(".dockerconfigjson: %v", err)
	}
	a, ok := config.Auths["registry.example.org:5443"]
	if !ok || len(config.Auths) != 1 {
		t.Fatalf("auths = %v, want one entry for the registry host registry.example.org:5443", slices.Collect(maps.Keys(config.Auths)))
	}
	if a.Username != user || a.Password != password {
		t.Errorf("auths user = %q, want %q with its password", a.Username, user)
	}
	if a.Auth != auth {
		t.Error("auths auth is not base64 of user:password")
	}
	// No other registration holds the password, in any encoding.
	for what, secret := range map[string]string{
		"password": password, "auth": auth,
		"password (base64)": base64.StdEncoding.EncodeToString([]byte(password)),
	} {
		if held := rec.Holding(secret, s); len(held) > 0 {
			t.Errorf("%s hold the pull %s", held, what)
		}
	}
}
