package random

import (
	"context"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	rpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

	"interhub/toolchain/providers/internal/wiretest"
)

// Keepers with null values never replace the password
// (TestAccResourcePassword_Keepers_Keep_NullMapToNullValue). The framework's
// gRPC layer drops null values at every depth, so they arrive, and are
// recorded, as absent keys, which upstream's rule treats alike.
func TestKeepersWithNullValues(t *testing.T) {
	srv := configured(t)
	ctx := context.Background()
	urn := "urn:pulumi:test::proj::random:index/randomPassword:RandomPassword::pw"
	in := resource.PropertyMap{"length": resource.NewNumberProperty(12)}
	created, err := srv.Create(ctx, &rpc.CreateRequest{Urn: urn, Properties: wiretest.Marshal(t, wiretest.Check(t, srv, urn, wiretest.Marshal(t, in)))})
	if err != nil {
		t.Fatal(err)
	}
	news := in.Copy()
	news["keepers"] = resource.NewObjectProperty(resource.PropertyMap{"key": resource.NewNullProperty()})
	checked := wiretest.Check(t, srv, urn, wiretest.Marshal(t, news))
	diff, err := srv.Diff(ctx, &rpc.DiffRequest{Id: "none", Urn: urn, Olds: created.GetProperties(), News: wiretest.Marshal(t, checked)})
	if err != nil {
		t.Fatal(err)
	}
	if len(diff.GetReplaces()) > 0 {
		t.Fatalf("null keepers -> {key: null} replaces: %v", diff)
	}
	upd, err := srv.Update(ctx, &rpc.UpdateRequest{Id: "none", Urn: urn, Olds: created.GetProperties(), News: wiretest.Marshal(t, checked)})
	if err != nil {
		t.Fatal(err)
	}
	out, before := wiretest.Decode(t, upd.GetProperties()), wiretest.Decode(t, created.GetProperties())
	if k := wiretest.At(out, "keepers"); !k.IsObject() || len(k.ObjectValue()) != 0 {
		t.Errorf("keepers recorded as %v, want {}", k)
	}
	if !out["result"].DeepEquals(before["result"]) {
		t.Error("the update changed the password")
	}
}
