package postgresql

import (
	"context"
	"testing"

	rpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/structpb"

	"interhub/toolchain/providers/internal/wiretest"
)

// A password from a RandomPassword created in the same update is an unknown
// secret during preview: Check keeps it unknown (not a known empty password)
// for a role and for the provider configuration (where the framework's
// CheckConfig used to recurse without end on it).
func TestUnknownSecretPassword(t *testing.T) {
	prov, err := Provider()
	if err != nil {
		t.Fatal(err)
	}
	srv := wiretest.Server(t, "postgresql", prov)
	for form, pw := range wiretest.UnknownSecrets() {
		role := wiretest.Check(t, srv, "urn:pulumi:test::proj::postgresql:index/role:Role::r",
			&structpb.Struct{Fields: map[string]*structpb.Value{
				"name": structpb.NewStringValue("app"), "login": structpb.NewBoolValue(true), "password": pw,
			}})
		if v := role["password"]; !wiretest.UnknownSecret(v) {
			t.Errorf("%s: role password = %v, want an unknown secret", form, v)
		}
		resp, err := srv.CheckConfig(context.Background(), &rpc.CheckRequest{
			Urn: "urn:pulumi:test::proj::pulumi:providers:postgresql::pg",
			News: &structpb.Struct{Fields: map[string]*structpb.Value{
				"host": structpb.NewStringValue("127.0.0.1"), "password": pw,
			}},
		})
		if err != nil {
			t.Fatal(err)
		}
		checked := resp.GetInputs()
		if v := wiretest.Decode(t, checked)["password"]; !wiretest.UnknownSecret(v) {
			t.Errorf("%s: provider password = %v, want an unknown secret", form, v)
		}
		// The engine configures the provider with the unknown during preview.
		if _, err := srv.Configure(context.Background(), &rpc.ConfigureRequest{Args: checked}); err != nil {
			t.Errorf("%s: Configure: %v", form, err)
		}
	}
}

// A role whose password is about to be rotated shows an in-place update in
// the preview, as does the provider when its password is unknown.
func TestUnknownSecretPasswordDiff(t *testing.T) {
	prov, err := Provider()
	if err != nil {
		t.Fatal(err)
	}
	srv := wiretest.Server(t, "postgresql", prov)
	const roleURN = "urn:pulumi:test::proj::postgresql:index/role:Role::r"
	role := func(pw *structpb.Value) *structpb.Struct {
		return wiretest.Marshal(t, wiretest.Check(t, srv, roleURN, &structpb.Struct{Fields: map[string]*structpb.Value{
			"name": structpb.NewStringValue("app"), "login": structpb.NewBoolValue(true), "password": pw,
		}}))
	}
	old := role(wiretest.Secret(structpb.NewStringValue("old-password")))
	for form, pw := range wiretest.UnknownSecrets() {
		d, err := srv.Diff(context.Background(), &rpc.DiffRequest{
			Urn: roleURN, Id: "app", Olds: old, OldInputs: old, News: role(pw),
		})
		if err != nil {
			t.Fatal(err)
		}
		if d.GetChanges() != rpc.DiffResponse_DIFF_SOME || d.GetDetailedDiff()["password"].GetKind() != rpc.PropertyDiff_UPDATE {
			t.Errorf("%s: role diff = %v, want an update of password", form, d)
		}
		oldCfg := &structpb.Struct{Fields: map[string]*structpb.Value{
			"host": structpb.NewStringValue("127.0.0.1"), "password": wiretest.Secret(structpb.NewStringValue("old")),
		}}
		newCfg := &structpb.Struct{Fields: map[string]*structpb.Value{
			"host": structpb.NewStringValue("127.0.0.1"), "password": pw,
		}}
		d, err = srv.DiffConfig(context.Background(), &rpc.DiffRequest{
			Urn: "urn:pulumi:test::proj::pulumi:providers:postgresql::pg", Olds: oldCfg, OldInputs: oldCfg, News: newCfg,
		})
		if err != nil {
			t.Fatal(err)
		}
		if d.GetChanges() != rpc.DiffResponse_DIFF_SOME || len(d.GetReplaces()) > 0 {
			t.Errorf("%s: provider diff = %v, want an update in place", form, d)
		}
	}
}
