package postgresql

import (
	"context"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	rpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

	"interhub/toolchain/providers/internal/wiretest"
)

const (
	roleURN     = "urn:pulumi:test::proj::postgresql:index/role:Role::r"
	databaseURN = "urn:pulumi:test::proj::postgresql:index/database:Database::d"
)

func val(v any) resource.PropertyValue { return resource.NewPropertyValue(v) }

// The program's role and database (components/database.go) checked as the
// bridge checks them, and official state for them diffed with no change.
func TestBridgeShapeThroughGRPC(t *testing.T) {
	prov, err := Provider()
	if err != nil {
		t.Fatal(err)
	}
	srv := wiretest.Server(t, "postgresql", prov)
	ctx := context.Background()
	pw := resource.MakeSecret(val("pw"))

	roleNews := resource.PropertyMap{"name": val("app"), "login": val(true), "password": pw,
		"superuser": val(false), "createRole": val(false), "createDatabase": val(false)}
	wantRole := roleNews.Copy()
	wantRole["connectionLimit"], wantRole["encryptedPassword"], wantRole["inherit"], wantRole["validUntil"] = val(-1.0), val(true), val(true), val("infinity")
	wantRole["__defaults"] = val([]any{"connectionLimit", "encryptedPassword", "inherit", "validUntil"})
	if got := wiretest.Check(t, srv, roleURN, wiretest.Marshal(t, roleNews)); !got.DeepEquals(wantRole) {
		t.Errorf("role: Check returned\n%v\nthe bridge\n%v", got, wantRole)
	}
	dbNews := resource.PropertyMap{"name": val("appdb"), "owner": val("app")}
	wantDB := dbNews.Copy()
	wantDB["connectionLimit"], wantDB["allowConnections"] = val(-1.0), val(true)
	wantDB["__defaults"] = val([]any{"allowConnections", "connectionLimit"})
	if got := wiretest.Check(t, srv, databaseURN, wiretest.Marshal(t, dbNews)); !got.DeepEquals(wantDB) {
		t.Errorf("database: Check returned\n%v\nthe bridge\n%v", got, wantDB)
	}

	// Official state: every attribute, the id output, and a __meta for good
	// measure; reserved keys must not upset the diff.
	roleState := resource.PropertyMap{"id": val("app"), "__meta": val(`{"schema_version":"0"}`), "name": val("app"),
		"login": val(true), "password": pw, "superuser": val(false), "createRole": val(false), "createDatabase": val(false),
		"connectionLimit": val(-1.0), "encryptedPassword": val(true), "inherit": val(true), "validUntil": val("infinity"),
		"replication": val(false), "bypassRowLevelSecurity": val(false), "roles": val([]any{}), "searchPaths": val([]any{}),
		"statementTimeout": val(0.0), "idleInTransactionSessionTimeout": val(0.0), "assumeRole": val(""),
		"skipDropRole": val(false), "skipReassignOwned": val(false)}
	dbState := resource.PropertyMap{"id": val("appdb"), "name": val("appdb"), "owner": val("app"), "template": val("template0"),
		"encoding": val("UTF8"), "lcCollate": val("C.UTF-8"), "lcCtype": val("C.UTF-8"), "tablespaceName": val("pg_default"),
		"connectionLimit": val(-1.0), "allowConnections": val(true), "isTemplate": val(false), "alterObjectOwnership": val(false)}
	for _, c := range []struct {
		urn                string
		state, inputs, new resource.PropertyMap
		wantChange         string
	}{
		{roleURN, roleState, wantRole, wantRole, ""},
		{databaseURN, dbState, wantDB, wantDB, ""},
		{roleURN, roleState, wantRole, with(wantRole, "name", val("app2")), "name"},
		{databaseURN, dbState, wantDB, with(wantDB, "lcCollate", val("C")), "lcCollate"},
	} {
		diff, err := srv.Diff(ctx, &rpc.DiffRequest{Id: c.state["id"].StringValue(), Urn: c.urn, Olds: wiretest.Marshal(t, c.state),
			OldInputs: wiretest.Marshal(t, c.inputs), News: wiretest.Marshal(t, c.new)})
		if err != nil {
			t.Fatalf("%s: %v", c.urn, err)
		}
		changed := diff.GetChanges() == rpc.DiffResponse_DIFF_SOME
		if changed != (c.wantChange != "") || (changed && (len(diff.GetDiffs()) != 1 || diff.GetDiffs()[0] != c.wantChange)) {
			t.Errorf("%s: diff %v, want a change of %q only", c.urn, diff, c.wantChange)
		}
		// A rename updates in place; a new collation replaces, deleting first.
		if c.wantChange == "name" && len(diff.GetReplaces()) > 0 {
			t.Errorf("rename replaces: %v", diff)
		}
		if c.wantChange == "lcCollate" && (len(diff.GetReplaces()) != 1 || !diff.GetDeleteBeforeReplace()) {
			t.Errorf("new collation: %v, want a replacement deleting first", diff)
		}
	}
}

func with(m resource.PropertyMap, k string, v resource.PropertyValue) resource.PropertyMap {
	out := m.Copy()
	out[resource.PropertyKey(k)] = v
	return out
}
