//go:build integration

package plugins_test

import (
	"crypto/rand"
	"encoding/json"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// TestOfficialState moves a stack between the official plugins and these, in
// both directions. State in the official plugins' shape is built here from
// what they record, not from this plugin's output: pulumi-random's recorded
// gRPC traffic (toolchain/providers/internal/random/testdata) and
// pulumi-postgresql v3.18.0's schema with the Terraform provider's defaults,
// as pulumi-terraform-bridge writes them (inputs with Terraform's non-false
// defaults and "__defaults", state with every attribute and an "id" output).
// Only the stack's skeleton (URNs, the provider resource) comes from a first
// run of this plugin.
func TestOfficialState(t *testing.T) {
	t.Parallel()
	pg := startPostgres(t)
	s := newStack(t, "official")
	s.config(map[string]string{"port": pg.portString(), "adminUser": pg.admin, "roleName": "app", "rotation": "1"},
		map[string]string{"adminPassword": pg.adminPassword})
	wantChanges(t, "skeleton", s.up(), changes{"create": 6}) // stack, provider, 2 passwords, role, database

	// The official plugins' state: passwords of their own, the role's set in
	// the server as the official plugin would have.
	dbPassword := randomString(t, 32, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
	sessionKey := randomString(t, 64, "0123456789abcdef")
	pg.exec(t, "ALTER ROLE app PASSWORD '"+dbPassword+"'")
	collate := pg.scalar(t, "SELECT datcollate FROM pg_database WHERE datname = 'appdb'")
	ctype := pg.scalar(t, "SELECT datctype FROM pg_database WHERE datname = 'appdb'")
	params := officialParams{roleID: "app", roleName: "app", rotation: "1", dbPassword: dbPassword, sessionKey: sessionKey,
		collate: collate, ctype: ctype, port: pg.portString(), admin: pg.admin, adminPassword: pg.adminPassword}
	official := officialResources(t, params)
	s.importResources(official)

	// Ours reads it with no change: no replacement, no password rotation.
	if out, err := s.cli("preview", "--expect-no-changes", "--diff"); err != nil {
		t.Fatalf("preview --expect-no-changes of the official state: %v\n%s", err, out)
	}
	wantChanges(t, "refresh of the official state", s.refresh(), changes{})
	s.upNoChanges()
	if out := s.outputs(); out["password"] != dbPassword || out["sessionKey"] != sessionKey {
		t.Fatal("the passwords changed")
	}
	pg.canLogin(t, "app", dbPassword, "appdb")

	// Upstream's acceptance case: a rename with a new password, in place.
	s.config(map[string]string{"roleName": "app2", "rotation": "2"}, nil)
	wantChanges(t, "preview rename and rotation", s.preview(), changes{"replace": 1, "update": 2})
	wantChanges(t, "rename and rotation", s.up(), changes{"replace": 1, "update": 2})
	newPassword := s.outputs()["password"].(string)
	pg.canLogin(t, "app2", newPassword, "appdb")
	pg.cannotLogin(t, "app2", dbPassword, "appdb")

	// What ours wrote is what the official plugins need: the "id" outputs
	// (the role's is its new name while its engine ID stays the old one),
	// inputs in the bridge's shape, and every attribute the official state has.
	role := s.resource("app-role")
	if role.ID != "app" || role.Outputs["id"] != "app2" || role.Outputs["name"] != "app2" {
		t.Errorf("renamed role: engine ID %q, id output %v, name %v; want app, app2, app2", role.ID, role.Outputs["id"], role.Outputs["name"])
	}
	db := s.resource("app-db")
	if db.Outputs["id"] != "appdb" || db.Outputs["owner"] != "app2" {
		t.Errorf("database: id output %v, owner %v", db.Outputs["id"], db.Outputs["owner"])
	}
	pw := s.resource("db-password")
	if pw.ID != "none" || pw.Outputs["id"] != "none" || pw.Outputs["__meta"] != `{"schema_version":"3"}` {
		t.Errorf("password: engine ID %q, id output %v, __meta %v", pw.ID, pw.Outputs["id"], pw.Outputs["__meta"])
	}
	renamed := params
	renamed.roleName, renamed.rotation, renamed.dbPassword = "app2", "2", newPassword
	want := officialResources(t, renamed)
	for name, w := range want {
		got := s.resource(name)
		delete(got.Inputs, "__internal") // the engine's, in provider inputs
		if g, w := keysOf(got.Inputs), keysOf(w.Inputs); !slices.Equal(g, w) {
			t.Errorf("%s: input keys %v, the official plugin's %v", name, g, w)
		}
		if g, w := keysOf(got.Outputs), keysOf(w.Outputs); !slices.Equal(g, w) {
			t.Errorf("%s: output keys %v, the official plugin's %v", name, g, w)
		}
		checkValues := []string{"__defaults", "__pulumi_raw_state_delta", "connectionLimit", "inherit", "validUntil", "login"}
		if name == "pg" || name == "default_4_21_2" {
			checkValues = keysOf(w.Inputs) // provider configuration: every value, as encoded
		}
		for _, k := range checkValues {
			if wv, ok := w.Inputs[k]; ok && !jsonEqual(got.Inputs[k], wv) {
				t.Errorf("%s: input %s = %v, the official plugin's %v", name, k, got.Inputs[k], wv)
			}
			if wv, ok := w.Outputs[k]; ok && !jsonEqual(got.Outputs[k], wv) {
				t.Errorf("%s: output %s = %v, the official plugin's %v", name, k, got.Outputs[k], wv)
			}
		}
	}
	s.upNoChanges()

	// Ours deletes what the official plugins recorded (here the renamed
	// role, as the official plugin records a rename).
	s.importResources(officialResources(t, renamed))
	if out, err := s.cli("preview", "--expect-no-changes"); err != nil {
		t.Fatalf("preview --expect-no-changes of the official state after the rename: %v\n%s", err, out)
	}
	s.destroy()
	for _, q := range []string{
		"SELECT count(*) FROM pg_roles WHERE rolname IN ('app', 'app2')",
		"SELECT count(*) FROM pg_database WHERE datname = 'appdb'",
	} {
		if n := pg.scalar(t, q); n != "0" {
			t.Fatalf("after destroy, %s = %s", q, n)
		}
	}
}

// officialResource is one resource's engine ID, inputs and outputs as the
// official plugin records them (secrets as {"secret": value}).
type officialResource struct {
	ID              string
	Inputs, Outputs map[string]any
}

type secretValue struct{ v string }

// officialParams are the values of the official state: roleID is the role's
// engine ID (its name at creation), roleName its current name, rotation the
// database password's keeper.
type officialParams struct {
	roleID, roleName, rotation, dbPassword, sessionKey, collate, ctype string
	port, admin, adminPassword                                         string
}

// officialResources is the official plugins' state for the official test
// program, by resource name. An empty ID keeps the engine's.
func officialResources(t *testing.T, o officialParams) map[string]officialResource {
	t.Helper()
	roleID, roleName, rotation, dbPassword, sessionKey, collate, ctype := o.roleID, o.roleName, o.rotation, o.dbPassword, o.sessionKey, o.collate, o.ctype
	// Provider configuration as the bridge's CheckConfig returns it: the
	// program's values JSON-encoded, and the version; the state's outputs
	// are the same.
	pgConfig := map[string]any{"host": "127.0.0.1", "port": o.port, "username": o.admin,
		"password": secretValue{o.adminPassword}, "database": "postgres", "sslmode": "disable",
		"superuser": "false", "connectTimeout": "5", "version": "3.18.0"}
	randomConfig := map[string]any{"version": "4.21.2"}
	// The keys of pulumi-random's recorded RandomPassword state (Create
	// response in testdata/randompassword-4.16.0-grpc.jsonl), plus keepers
	// and overrideSpecial, which that recording leaves unset, and the raw
	// state delta of pulumi-random >= 4.18 for a set keepers map.
	recorded := recordedPasswordKeys(t)
	password := func(inputs map[string]any, result string) officialResource {
		out := map[string]any{
			"__meta": `{"schema_version":"3"}`, "id": "none",
			"lower": true, "upper": true, "special": true, "number": true, "numeric": true,
			"minLower": 0.0, "minNumeric": 0.0, "minSpecial": 0.0, "minUpper": 0.0,
			"__pulumi_raw_state_delta": map[string]any{"obj": map[string]any{"ps": map[string]any{"keepers": map[string]any{"map": map[string]any{}}}}},
		}
		for k, v := range inputs {
			out[k] = v
		}
		if inputs["numeric"] != nil {
			out["number"] = inputs["numeric"]
		}
		out["result"] = secretValue{result}
		hash, err := bcrypt.GenerateFromPassword([]byte(result), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		out["bcryptHash"] = secretValue{string(hash)}
		for _, k := range recorded {
			if _, ok := out[k]; !ok {
				t.Fatalf("the official RandomPassword state has %q, which this test does not set", k)
			}
		}
		return officialResource{ID: "none", Inputs: inputs, Outputs: out}
	}
	keepers := func(r string) map[string]any { return map[string]any{"rotation": r} }
	return map[string]officialResource{
		"pg":             {Inputs: pgConfig, Outputs: pgConfig},
		"default_4_21_2": {Inputs: randomConfig, Outputs: randomConfig},
		// Inputs: the program's, as the bridge's Check returns them for this
		// Plugin Framework resource.
		"db-password": password(map[string]any{"length": 32.0, "special": true, "overrideSpecial": "-_", "keepers": keepers(rotation)}, dbPassword),
		"session-key": password(map[string]any{"length": 64.0, "upper": false, "lower": false, "numeric": true, "special": true,
			"overrideSpecial": "abcdef", "keepers": keepers("1")}, sessionKey),
		// postgresql_role: inputs with the non-false Terraform defaults and
		// their list; outputs with every attribute of the schema.
		"app-role": {ID: roleID,
			Inputs: map[string]any{"name": roleName, "login": true, "password": secretValue{dbPassword},
				"superuser": false, "createRole": false, "createDatabase": false,
				"connectionLimit": -1.0, "encryptedPassword": true, "inherit": true, "validUntil": "infinity",
				"__defaults": []any{"connectionLimit", "encryptedPassword", "inherit", "validUntil"}},
			Outputs: map[string]any{"id": roleName, "name": roleName, "login": true, "password": secretValue{dbPassword},
				"superuser": false, "createRole": false, "createDatabase": false, "connectionLimit": -1.0,
				"encryptedPassword": true, "inherit": true, "validUntil": "infinity", "replication": false,
				"bypassRowLevelSecurity": false, "roles": []any{}, "searchPaths": []any{}, "statementTimeout": 0.0,
				"idleInTransactionSessionTimeout": 0.0, "assumeRole": "", "skipDropRole": false, "skipReassignOwned": false}},
		"app-db": {ID: "appdb",
			Inputs: map[string]any{"name": "appdb", "owner": roleName, "connectionLimit": -1.0, "allowConnections": true,
				"__defaults": []any{"allowConnections", "connectionLimit"}},
			Outputs: map[string]any{"id": "appdb", "name": "appdb", "owner": roleName, "template": "template0",
				"encoding": "UTF8", "lcCollate": collate, "lcCtype": ctype, "tablespaceName": "pg_default",
				"connectionLimit": -1.0, "allowConnections": true, "isTemplate": false, "alterObjectOwnership": false}},
	}
}

// recordedPasswordKeys are the output keys of the official RandomPassword
// Create in pulumi-random's recording.
func recordedPasswordKeys(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, "toolchain/providers/internal/random/testdata/randompassword-4.16.0-grpc.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		var rec struct {
			Method   string `json:"method"`
			Response struct {
				Properties map[string]any `json:"properties"`
			} `json:"response"`
		}
		if json.Unmarshal([]byte(line), &rec) == nil && strings.HasSuffix(rec.Method, "/Create") {
			return keysOf(rec.Response.Properties)
		}
	}
	t.Fatal("no recorded Create")
	return nil
}

// deployedResource is a resource as `pulumi stack export` shows it.
type deployedResource struct {
	ID              string
	Inputs, Outputs map[string]any
}

// resource returns the named resource's engine ID, inputs and outputs,
// secrets decrypted.
func (s *stack) resource(name string) deployedResource {
	s.t.Helper()
	dep := s.exportDeployment()["deployment"].(map[string]any)
	for _, r := range dep["resources"].([]any) {
		r := r.(map[string]any)
		if strings.HasSuffix(r["urn"].(string), "::"+name) {
			id, _ := r["id"].(string)
			in, _ := plainSecrets(r["inputs"]).(map[string]any)
			out, _ := plainSecrets(r["outputs"]).(map[string]any)
			return deployedResource{ID: id, Inputs: in, Outputs: out}
		}
	}
	s.t.Fatalf("no resource %s", name)
	return deployedResource{}
}

const (
	sigKey    = "4dabf18193072939515e22adb298388d"
	secretSig = "1b47061264138c4ac30d75fd1eb44270"
)

// plainSecrets replaces exported secrets ({sig, plaintext}) by their values.
func plainSecrets(v any) any {
	return rebuild(v, func(v any) (any, bool) {
		m, ok := v.(map[string]any)
		if !ok || m[sigKey] != secretSig {
			return nil, false
		}
		var inner any
		if p, ok := m["plaintext"].(string); ok && json.Unmarshal([]byte(p), &inner) == nil {
			return inner, true
		}
		return nil, false
	})
}

// exported turns secretValues into the export format's plaintext secrets.
func exported(v any) any {
	return rebuild(v, func(v any) (any, bool) {
		sv, ok := v.(secretValue)
		if !ok {
			return nil, false
		}
		b, _ := json.Marshal(sv.v)
		return map[string]any{sigKey: secretSig, "plaintext": string(b)}, true
	})
}

// rebuild copies a decoded JSON value, replacing each value for which replace says so and
// descending into the maps and lists it leaves alone.
func rebuild(v any, replace func(any) (any, bool)) any {
	if r, ok := replace(v); ok {
		return r
	}
	switch v := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range v {
			out[k] = rebuild(e, replace)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = rebuild(e, replace)
		}
		return out
	}
	return v
}

func (s *stack) exportDeployment() map[string]any {
	s.t.Helper()
	out, err := s.cli("stack", "export", "--show-secrets")
	if err != nil {
		s.t.Fatalf("pulumi stack export: %v\n%s", err, out)
	}
	var export map[string]any
	if err := json.Unmarshal([]byte(out), &export); err != nil {
		s.t.Fatal(err)
	}
	return export
}

// importResources replaces the named resources' ID, inputs and outputs in the
// stack's state with rs, through `pulumi stack import`.
func (s *stack) importResources(rs map[string]officialResource) {
	s.t.Helper()
	export := s.exportDeployment()
	dep := export["deployment"].(map[string]any)
	seen := 0
	for _, r := range dep["resources"].([]any) {
		r := r.(map[string]any)
		urn := r["urn"].(string)
		for name, o := range rs {
			if strings.HasSuffix(urn, "::"+name) {
				if o.ID != "" {
					r["id"] = o.ID
				}
				r["inputs"], r["outputs"] = exported(o.Inputs), exported(o.Outputs)
				seen++
			}
		}
	}
	if seen != len(rs) {
		s.t.Fatalf("found %d of %d resources to replace", seen, len(rs))
	}
	b, err := json.Marshal(export)
	if err != nil {
		s.t.Fatal(err)
	}
	file := filepath.Join(s.t.TempDir(), "official.json")
	if err := os.WriteFile(file, b, 0o600); err != nil {
		s.t.Fatal(err)
	}
	if out, err := s.cli("stack", "import", "--file", file); err != nil {
		s.t.Fatalf("pulumi stack import: %v\n%s", err, out)
	}
}

func keysOf(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// jsonEqual compares values as JSON, secrets by their values.
func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(plainSecrets(exported(a)))
	y, _ := json.Marshal(plainSecrets(exported(b)))
	return string(x) == string(y)
}

func randomString(t *testing.T, n int, set string) string {
	t.Helper()
	b := make([]byte, n)
	for i := range b {
		j, err := rand.Int(rand.Reader, big.NewInt(int64(len(set))))
		if err != nil {
			t.Fatal(err)
		}
		b[i] = set[j.Int64()]
	}
	return string(b)
}
