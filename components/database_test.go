package components

import (
	"github.com/coulomb-social/inter-hub-deploy/test/support/mockstack"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// The role and database names differ, so that the owner is seen to be the role.
const roleName, databaseName = "hub_role", "hub_db"

// runDatabase registers a Database with the given pgpool step on rec.
func runDatabase(rec *mockstack.Monitor, p PgpoolArgs) error {
	return rec.Run(func(ctx *pulumi.Context) error {
		_, err := NewDatabase(ctx, "database", &DatabaseArgs{
			RoleName: roleName, DatabaseName: databaseName, PasswordRotation: 2, Pgpool: p,
			App: Endpoint{Host: "pgpool.platform.svc", Port: 5432, SSLMode: "require"},
		})
		return err
	})
}

func TestRoleAndDatabaseAreProtected(t *testing.T) {
	rec := &mockstack.Monitor{}
	if err := runDatabase(rec, PgpoolArgs{Mode: PgpoolNone}); err != nil {
		t.Fatal(err)
	}
	for _, r := range []*mockstack.Resource{rec.One(t, tRole, "database-role"), rec.One(t, tDatabase, "database-db")} {
		if !r.RPC.GetProtect() {
			t.Errorf("%s is not protected", r.Type)
		}
		if !r.RPC.GetRetainOnDelete() {
			t.Errorf("%s is not retained on delete", r.Type)
		}
	}
	role := rec.One(t, tRole, "database-role").Inputs
	for k, want := range map[string]bool{"login": true, "superuser": false, "createRole": false, "createDatabase": false} {
		if got := role[resource.PropertyKey(k)]; !got.IsBool() || got.BoolValue() != want {
			t.Errorf("role %s = %v, want %v", k, got, want)
		}
	}
	if !role["password"].IsSecret() {
		t.Error("role password is not secret")
	}
	if got := rec.One(t, tDatabase, "database-db").Inputs["owner"].StringValue(); got != roleName {
		t.Errorf("database owner = %q", got)
	}
	pw := rec.One(t, tPassword, "database-password").Inputs
	if got := pw["overrideSpecial"].StringValue(); strings.ContainsAny(got, ",; \t:") {
		t.Errorf("password specials %q include a character bitnami or pool_passwd split on", got)
	}
	if got := pw["keepers"].ObjectValue()["rotation"].StringValue(); got != "2" {
		t.Errorf("password keepers = %v", pw["keepers"])
	}
}

func TestPgEncStepPassesThePasswordOnStdin(t *testing.T) {
	rec := &mockstack.Monitor{}
	if err := runDatabase(rec, PgpoolArgs{Mode: PgpoolPgEnc, Conf: "/etc/pgpool/pgpool.conf", KeyFile: "/etc/pgpool/pgpoolkey"}); err != nil {
		t.Fatal(err)
	}
	c := rec.One(t, tLocal, "database-pgpool-users").Inputs
	if !c["stdin"].IsSecret() || !strings.HasPrefix(mockstack.Unwrap(c["stdin"]).StringValue(), roleName+":") {
		t.Errorf("stdin = %v, want the secret %s:<password> line", c["stdin"], roleName)
	}
	if !strings.Contains(c["create"].StringValue(), "pg_enc -m -f \"$PGPOOL_CONF\" -k \"$PGPOOL_KEYFILE\" -i /dev/stdin") {
		t.Errorf("create = %q", c["create"].StringValue())
	}
	env := c["environment"].ObjectValue()
	if env["PGPOOL_CONF"].StringValue() != "/etc/pgpool/pgpool.conf" || env["PGPOOL_KEYFILE"].StringValue() != "/etc/pgpool/pgpoolkey" {
		t.Errorf("environment = %v", env)
	}
	// Triggers: the role and a digest of its password, so that a new password re-runs pg_enc
	// without putting the password itself in the triggers.
	trig := c["triggers"].ArrayValue()
	if len(trig) != 2 || trig[0].StringValue() != roleName || !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(trig[1].StringValue()) {
		t.Errorf("triggers = %v", c["triggers"])
	}
	if c["logging"].StringValue() != "none" {
		t.Errorf("logging = %v", c["logging"])
	}
	if len(rec.OfType(tPatch)) != 0 {
		t.Error("pgenc mode restarts a pgpool Deployment")
	}
}

// bitnamiPgpool is bitnami's pgpool in railiance-platform, with its users Secret.
var bitnamiPgpool = PgpoolArgs{Mode: PgpoolBitnami, UsersSecret: "inter-hub-pgpool-users", Namespace: "railiance-platform", Deployment: "pgpool"}

const usersSecretID = "railiance-platform/inter-hub-pgpool-users"

// usersSecret is the platform's users Secret as the cluster holds it (data base64-encoded).
func usersSecret(usernames, passwords string, extra map[string]string) resource.PropertyMap {
	data := map[string]string{"usernames": usernames, "passwords": passwords}
	maps.Copy(data, extra)
	return mockstack.SecretState(data)
}

func TestBitnamiStepMergesTheUsersSecretAndRestartsPgpool(t *testing.T) {
	// Another app's entry first, then this role with a password of an earlier rotation, and a
	// key of the platform's own.
	rec := &mockstack.Monitor{Existing: map[string]resource.PropertyMap{mockstack.ExistingKey(tSecret, usersSecretID): usersSecret(
		"other_app;"+roleName, "other-app-password;stale-password", map[string]string{"note": "platform"})}}
	if err := runDatabase(rec, bitnamiPgpool); err != nil {
		t.Fatal(err)
	}
	if len(rec.OfType(tLocal)) != 0 {
		t.Error("bitnami mode runs pg_enc")
	}
	for _, r := range rec.OfType(tSecret) {
		if r.Name == "database-pgpool-users" {
			t.Error("the users Secret is written whole")
		}
	}
	if len(rec.Reads()) != 1 || rec.Reads()[0].Type != tSecret || rec.Reads()[0].ReadRPC.GetId() != usersSecretID {
		t.Fatalf("reads = %v, want the users Secret %s", rec.Reads(), usersSecretID)
	}
	if parent := rec.Reads()[0].ReadRPC.GetParent(); !strings.Contains(parent, "inter-hub:database:Database::database") {
		t.Errorf("read: parent %q", parent)
	}

	patch := rec.One(t, tSecretPatch, "database-pgpool-users")
	md := patch.Inputs["metadata"].ObjectValue()
	ann := md["annotations"].ObjectValue()
	if md["name"].StringValue() != "inter-hub-pgpool-users" || md["namespace"].StringValue() != "railiance-platform" ||
		ann["pulumi.com/patchFieldManager"].StringValue() != "inter-hub-pgpool-users" || ann["pulumi.com/patchForce"].StringValue() != "true" {
		t.Errorf("users patch metadata = %v", md)
	}
	if _, labelled := md["labels"]; labelled {
		t.Error("the patch labels the platform's Secret as the program's")
	}
	if _, plain := patch.Inputs["stringData"]; plain {
		t.Error("the patch sets stringData")
	}
	if !patch.Inputs["data"].IsSecret() {
		t.Fatal("the patch's data is not secret")
	}
	data := mockstack.Unwrap(patch.Inputs["data"]).ObjectValue()
	if len(data) != 2 {
		t.Errorf("patch data keys = %v, want only usernames and passwords", slices.Collect(maps.Keys(data)))
	}
	ours := mockstack.Password("database-password", rec.One(t, tPassword, "database-password").Inputs)
	if got := mockstack.Decoded(t, data["usernames"]); got != "other_app,"+roleName {
		t.Errorf("usernames = %q, want the other app's entry kept in place and ours", got)
	}
	if got := mockstack.Decoded(t, data["passwords"]); got != "other-app-password,"+ours {
		t.Errorf("passwords = %q, want the other app's password as it was and our new one", got)
	}
	if !patch.RPC.GetRetainOnDelete() {
		t.Error("users patch is not retained on delete: deleting it would relinquish every app's entry")
	}
	for _, dep := range []*mockstack.Resource{rec.One(t, tRole, "database-role"), rec.One(t, tDatabase, "database-db")} {
		if !slices.Contains(patch.RPC.GetDependencies(), dep.URN) {
			t.Errorf("the users patch does not wait for %s", dep.URN)
		}
	}

	restart := rec.One(t, tPatch, "database-pgpool-restart")
	pmd := restart.Inputs["metadata"].ObjectValue()
	if pmd["name"].StringValue() != "pgpool" || pmd["annotations"].ObjectValue()["pulumi.com/patchFieldManager"].StringValue() != "inter-hub-pgpool-users" {
		t.Errorf("restart metadata = %v", pmd)
	}
	tmpl := restart.Inputs["spec"].ObjectValue()["template"].ObjectValue()["metadata"].ObjectValue()["annotations"].ObjectValue()
	if got := tmpl["inter-hub.coulomb.social/pgpool-users"]; got.IsSecret() || !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(got.StringValue()) {
		t.Errorf("restart annotation = %v", got)
	}
	if !slices.Contains(restart.RPC.GetDependencies(), patch.URN) {
		t.Error("the restart does not wait for the users patch")
	}
	// No input of any other registration holds the other app's password.
	if held := rec.Holding("other-app-password", patch); len(held) > 0 {
		t.Errorf("%s hold the other app's password", held)
	}
}

// A Secret pgpool could not read (lists of different lengths) stops the deployment with its name.
func TestBitnamiStepRefusesUnevenUserLists(t *testing.T) {
	rec := &mockstack.Monitor{Existing: map[string]resource.PropertyMap{mockstack.ExistingKey(tSecret, usersSecretID): usersSecret("a,b", "pa", nil)}}
	err := runDatabase(rec, bitnamiPgpool)
	if err == nil || !strings.Contains(err.Error(), "pgpool users secret "+usersSecretID+": the usernames and passwords lists differ in length (2 and 1)") {
		t.Errorf("error = %v", err)
	}
}
