package pgadmin

import (
	"strings"
	"testing"
	"time"
)

func strp(s string) *string { return &s }

func TestLiteral(t *testing.T) {
	for in, want := range map[string]string{
		"plain":      "'plain'",
		"it's":       "'it''s'",
		`back\slash`: `E'back\\slash'`,
		`a'\b`:       `E'a''\\b'`,
	} {
		if got := Literal(in); got != want {
			t.Errorf("Literal(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestIdent(t *testing.T) {
	if got := Ident(`we"ird`); got != `"we""ird"` {
		t.Fatalf("Ident = %s", got)
	}
}

func TestDSNQuotesValues(t *testing.T) {
	s := Server{Host: "127.0.0.1", Port: 5432, User: "admin", Password: `p' sslmode='disable\`, Database: "postgres",
		SSLMode: "require", ConnectTimeout: 5 * time.Second}
	dsn := s.dsn("db")
	if !strings.Contains(dsn, `password='p\' sslmode=\'disable\\'`) {
		t.Fatalf("password not escaped: %s", dsn)
	}
	if !strings.Contains(dsn, "sslmode='require'") || !strings.Contains(dsn, "connect_timeout='5'") ||
		!strings.Contains(dsn, "dbname='db'") {
		t.Fatalf("dsn = %s", dsn)
	}
}

func TestCreateRoleSQL(t *testing.T) {
	r := Role{Name: "app", Password: strp("s3cret"), Login: true, ConnectionLimit: -1, Inherit: true, ValidUntil: "infinity"}
	got := CreateRoleSQL(r)
	want := `CREATE ROLE "app" WITH LOGIN NOCREATEDB NOCREATEROLE INHERIT CONNECTION LIMIT -1 VALID UNTIL 'infinity' ENCRYPTED PASSWORD 's3cret'`
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	// A non-superuser admin may not even say NOSUPERUSER on PostgreSQL 15.
	for _, word := range []string{"SUPERUSER", "REPLICATION", "BYPASSRLS"} {
		if strings.Contains(got, word) {
			t.Errorf("statement mentions %s", word)
		}
	}
	r.Password = nil
	if got := CreateRoleSQL(r); !strings.HasSuffix(got, "PASSWORD NULL") {
		t.Fatalf("no password: %s", got)
	}
}

func TestAlterRoleSQL(t *testing.T) {
	old := Role{Name: "app", Password: strp("one"), Login: true, ConnectionLimit: -1, Inherit: true,
		ValidUntil: "infinity", Roles: []string{"a", "b"}}
	same := old
	if got := AlterRoleSQL(old, same); len(got) != 0 {
		t.Fatalf("no change gave %q", got)
	}

	renamed := old
	renamed.Name = "app2"
	got := AlterRoleSQL(old, renamed)
	if len(got) != 2 || got[0] != `ALTER ROLE "app" RENAME TO "app2"` || got[1] != `ALTER ROLE "app2" WITH ENCRYPTED PASSWORD 'one'` {
		t.Fatalf("rename gave %q", got)
	}

	changed := old
	changed.Password = strp("two")
	changed.ConnectionLimit = 5
	changed.Superuser = false
	changed.Roles = []string{"b", "c"}
	changed.StatementTimeout = 1000
	got = AlterRoleSQL(old, changed)
	want := []string{
		`ALTER ROLE "app" WITH ENCRYPTED PASSWORD 'two'`,
		`ALTER ROLE "app" WITH CONNECTION LIMIT 5`,
		`REVOKE "a" FROM "app"`,
		`GRANT "c" TO "app"`,
		`ALTER ROLE "app" SET statement_timeout TO 1000`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestParseRoleConfig(t *testing.T) {
	var r Role
	err := parseRoleConfig([]string{`search_path="$user", public`, "statement_timeout=500", "role=owner"}, &r)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(r.SearchPath, "|") != "$user|public" || r.StatementTimeout != 500 || r.AssumeRole != "owner" {
		t.Fatalf("parsed %+v", r)
	}
	if err := parseRoleConfig([]string{"statement_timeout=1s"}, &r); err == nil {
		t.Fatal("accepted a non-numeric timeout")
	}
}

func TestCreateDatabaseSQL(t *testing.T) {
	got := CreateDatabaseSQL(Database{Name: "app", ConnectionLimit: -1, AllowConnections: true}, "owner")
	want := `CREATE DATABASE "app" OWNER "owner" TEMPLATE "template0" ENCODING 'UTF8' ALLOW_CONNECTIONS true CONNECTION LIMIT -1 IS_TEMPLATE false`
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	got = CreateDatabaseSQL(Database{Name: "x", Template: "DEFAULT", LcCollate: "C", LcCtype: "C"}, "o")
	if !strings.Contains(got, "TEMPLATE DEFAULT") || !strings.Contains(got, "LC_COLLATE 'C'") || !strings.Contains(got, "LC_CTYPE 'C'") {
		t.Fatalf("got %s", got)
	}
}

func TestPasswordMatches(t *testing.T) {
	// Made with Python's hashlib from "correct horse", an independent implementation.
	scram := "SCRAM-SHA-256$4096:MDEyMzQ1Njc4OWFiY2RlZg==$tSgetjYW5SQlNzIxJAKMryuDGH8Snw5oWcj1eOW0ZyI=:bbZ1dJMgYYaKKR1fU1oGHkWJzi9OQY4yU8Fuksa1t70="
	if !PasswordMatches(scram, "correct horse", "any") {
		t.Error("SCRAM verifier did not match its password")
	}
	if PasswordMatches(scram, "correct horsE", "any") {
		t.Error("SCRAM verifier matched another password")
	}
	md5 := "md56a422f785c9e20873908ce25d1736ae2" // md5("secret" + "app")
	if !PasswordMatches(md5, "secret", "app") || PasswordMatches(md5, "secret", "other") {
		t.Error("md5 verifier mismatch")
	}
	if PasswordMatches("SCRAM-SHA-256$bogus", "x", "r") {
		t.Error("malformed verifier matched")
	}
	if !PasswordMatches("", "", "r") || PasswordMatches("", "x", "r") {
		t.Error("empty verifier")
	}
}
