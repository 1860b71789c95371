package components

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
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

type noMocks struct{}

func (noMocks) NewResource(a pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	return a.Name + "-id", a.Inputs, nil
}

func (noMocks) Call(pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return resource.PropertyMap{}, nil
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
		err := pulumi.RunErr(func(ctx *pulumi.Context) error {
			_, err := NewPullSecret(ctx, "pull-secret", tc.args)
			return err
		}, pulumi.WithMocks("inter-hub", "test", noMocks{}))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("got %v, want %q", err, tc.want)
		}
	}
}
