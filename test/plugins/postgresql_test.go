//go:build integration

package plugins_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/coulomb-social/inter-hub-deploy/test/support/pgserver"
)

func TestPostgresqlPlugin(t *testing.T) {
	t.Parallel()
	pg := startPostgres(t)
	s := newStack(t, "postgresql")
	const pw1, pw2 = "first-Passw0rd", "second-Passw0rd"
	s.config(map[string]string{
		"port": pg.portString(), "adminUser": pg.admin, "roleName": "app", "dbName": "appdb",
	}, map[string]string{"adminPassword": pg.adminPassword, "rolePassword": pw1})

	// Create: a login role and a database it owns, made by an admin that is
	// not a superuser and not a member of the role.
	wantChanges(t, "create", s.up(), changes{"create": 4}) // stack, provider, role, database
	pg.canLogin(t, "app", pw1, "appdb")
	if owner := pg.scalar(t, "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'appdb'"); owner != "app" {
		t.Fatalf("appdb is owned by %q", owner)
	}
	if n := pg.scalar(t, `SELECT count(*) FROM pg_auth_members WHERE roleid = 'app'::regrole AND member = $1::regrole`, pg.admin); n != "0" {
		t.Fatal("the temporary membership of the admin in the owner role was not revoked")
	}
	state := s.state()
	if strings.Contains(state, pw1) || strings.Contains(state, pg.adminPassword) {
		t.Fatal("the state holds a password in plain text")
	}

	// No-op.
	s.upNoChanges()

	// A new password is an in-place update: the old one stops working.
	s.config(nil, map[string]string{"rolePassword": pw2})
	wantChanges(t, "preview password", s.preview(), changes{"update": 1})
	wantChanges(t, "password", s.up(), changes{"update": 1})
	pg.cannotLogin(t, "app", pw1, "appdb")
	pg.canLogin(t, "app", pw2, "appdb")

	// A rename is an in-place update too (the database follows its owner).
	s.config(map[string]string{"roleName": "app2"}, nil)
	got := s.up()
	if got["replace"] != 0 || got["update"] < 1 {
		t.Fatalf("rename: changes %v, want updates only", got)
	}
	pg.canLogin(t, "app2", pw2, "appdb")
	if owner := s.outputs()["dbOwner"]; owner != "app2" {
		t.Fatalf("dbOwner output = %v after the rename", owner)
	}
	s.upNoChanges()

	// Refresh sees a role changed behind Pulumi's back; the next up restores it.
	pg.exec(t, "ALTER ROLE app2 CONNECTION LIMIT 7")
	wantChanges(t, "refresh after ALTER ROLE", s.refresh(), changes{"update": 1})
	wantChanges(t, "preview after drift", s.preview(), changes{"update": 1})
	s.up()
	if lim := pg.scalar(t, "SELECT rolconnlimit FROM pg_roles WHERE rolname = 'app2'"); lim != "-1" {
		t.Fatalf("connection limit is %s after up, want -1", lim)
	}

	// A role dropped behind Pulumi's back leaves the state on refresh, and
	// the next up creates it again.
	s.config(map[string]string{"extraRole": "extra"}, nil)
	wantChanges(t, "extra role", s.up(), changes{"create": 1})
	pg.exec(t, "DROP ROLE extra")
	wantChanges(t, "refresh after DROP ROLE", s.refresh(), changes{"delete": 1})
	wantChanges(t, "recreate", s.up(), changes{"create": 1})
	if n := pg.scalar(t, "SELECT count(*) FROM pg_roles WHERE rolname = 'extra'"); n != "1" {
		t.Fatal("the dropped role was not created again")
	}

	// A password from RandomPassword: on rotation it is unknown during the
	// preview, which must still plan an in-place update of the role.
	s.config(map[string]string{"rotation": "r1"}, nil)
	wantChanges(t, "rotating role", s.up(), changes{"create": 2})
	first := s.outputs()["rotatingPassword"].(string)
	pg.canLogin(t, "rotating", first, "postgres")
	s.config(map[string]string{"rotation": "r2"}, nil)
	wantChanges(t, "preview rotation", s.preview(), changes{"replace": 1, "update": 1})
	wantChanges(t, "rotation", s.up(), changes{"replace": 1, "update": 1})
	second := s.outputs()["rotatingPassword"].(string)
	pg.cannotLogin(t, "rotating", first, "postgres")
	pg.canLogin(t, "rotating", second, "postgres")
	if strings.Contains(s.state(), second) {
		t.Fatal("the rotated password is in the state in plain text")
	}

	// Import of a role and a database made outside Pulumi, by name.
	pg.exec(t, "CREATE ROLE legacy NOLOGIN")
	pg.exec(t, "CREATE DATABASE legacydb OWNER "+pg.admin)
	s.config(map[string]string{"importRole": "legacy", "importDatabase": "legacydb"}, nil)
	wantChanges(t, "import", s.up(), changes{"import": 2})
	s.upNoChanges()

	// A new collation replaces the database. While a session is connected it
	// fails, clearly, and nothing is lost: no session is terminated.
	session, err := pg.login("app2", pw2, "appdb")
	if err != nil {
		t.Fatal(err)
	}
	s.config(map[string]string{"lcCollate": "C"}, nil)
	wantChanges(t, "preview collation", s.preview(), changes{"replace": 1})
	msg := s.upFails()
	for _, want := range []string{`database "appdb" is in use`, "never terminated", "127.0.0.1:" + pg.portString()} {
		if !strings.Contains(msg, want) {
			t.Fatalf("drop of a busy database: error does not say %q:\n%s", want, msg)
		}
	}
	if err := session.Ping(); err != nil {
		t.Fatalf("the connected session was disturbed: %v", err)
	}
	session.Close()
	wantChanges(t, "collation", s.up(), changes{"replace": 1})
	if c := pg.scalar(t, "SELECT datcollate FROM pg_database WHERE datname = 'appdb'"); c != "C" {
		t.Fatalf("datcollate = %q after replace", c)
	}
	pg.canLogin(t, "app2", pw2, "appdb")

	// Connection errors say which server and what failed. (A new stack: a
	// refresh uses the provider configuration recorded in state.)
	bad := newStack(t, "postgresql")
	bad.config(map[string]string{"port": pg.portString(), "adminUser": pg.admin, "roleName": "nobody", "dbName": "nodb"},
		map[string]string{"adminPassword": "wrong-password", "rolePassword": pw1})
	msg = bad.upFails()
	if !strings.Contains(msg, `refused the login of role "`+pg.admin+`"`) || !strings.Contains(msg, "127.0.0.1:"+pg.portString()) {
		t.Fatalf("wrong admin password: unclear error:\n%s", msg)
	}
	t.Logf("wrong admin password: %s", firstLine(msg, "refused the login"))
	closed := pgserver.FreePort(t)
	bad.config(map[string]string{"port": strconv.Itoa(closed)}, map[string]string{"adminPassword": pg.adminPassword})
	msg = bad.upFails()
	if !strings.Contains(msg, "cannot reach PostgreSQL at 127.0.0.1:"+strconv.Itoa(closed)) {
		t.Fatalf("unreachable server: unclear error:\n%s", msg)
	}
	t.Logf("unreachable server: %s", firstLine(msg, "cannot reach"))

	// Delete.
	wantChanges(t, "destroy", s.destroy(), changes{"delete": 9})
	for _, q := range []string{
		"SELECT count(*) FROM pg_roles WHERE rolname IN ('app2', 'extra', 'legacy', 'rotating')",
		"SELECT count(*) FROM pg_database WHERE datname IN ('appdb', 'legacydb')",
	} {
		if n := pg.scalar(t, q); n != "0" {
			t.Fatalf("after destroy, %s = %s", q, n)
		}
	}
}
