package components

import (
	"github.com/coulomb-social/inter-hub-deploy/test/support/mockstack"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func TestAppSecretValuesAreSecret(t *testing.T) {
	const (
		databaseURL = "postgresql://hub:pw@pgpool:5432/hub?sslmode=require"
		session     = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	)
	rec := &mockstack.Monitor{}
	// Plain inputs: the Secret's values must be secret whatever the inputs were.
	if err := rec.Run(func(ctx *pulumi.Context) error {
		_, err := NewAppSecret(ctx, "app-secret", &AppSecretArgs{
			Namespace: pulumi.String("apps"), Name: "hub-env",
			Values: map[string]string{"INTERHUB_API_KEY": "api-key"}, Source: "env.sops.yaml",
			DatabaseURL: pulumi.String(databaseURL), SessionSecret: pulumi.String(session),
			BaseURL: "https://hub.example.org",
		})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	s := rec.One(t, tSecret, "app-secret")
	if got := s.Inputs["metadata"].ObjectValue()["name"].StringValue(); got != "hub-env" {
		t.Errorf("secret name = %q", got)
	}
	data := s.Inputs["stringData"]
	if !data.IsSecret() {
		t.Fatal("stringData is not secret")
	}
	values := mockstack.Unwrap(data).ObjectValue()
	get := func(k string) string { return mockstack.Unwrap(values[resource.PropertyKey(k)]).StringValue() }
	if get("DATABASE_URL") != databaseURL {
		t.Errorf("DATABASE_URL = %q, want %q", get("DATABASE_URL"), databaseURL)
	}
	if get("IHP_SESSION_SECRET") != session {
		t.Errorf("IHP_SESSION_SECRET = %q, want %q", get("IHP_SESSION_SECRET"), session)
	}
	if get("IHP_BASEURL") != "https://hub.example.org" {
		t.Errorf("IHP_BASEURL = %q", get("IHP_BASEURL"))
	}
	if get("INTERHUB_API_KEY") != "api-key" {
		t.Error("the SOPS file's INTERHUB_API_KEY is missing from the Secret")
	}
	if len(values) != 4 {
		t.Errorf("secret keys = %v, want the SOPS file's and the program's", values)
	}
}
