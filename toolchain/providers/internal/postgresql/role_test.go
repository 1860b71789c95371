package postgresql

import (
	"testing"

	"interhub/toolchain/providers/internal/pgadmin"
)

func TestObservedKeepsUnsetDefaults(t *testing.T) {
	args := RoleArgs{Name: "app", Login: ptr(true), Roles: &[]string{"b", "a"}}
	server := pgadmin.Role{Name: "app", Login: true, ConnectionLimit: -1, Inherit: true, ValidUntil: "infinity",
		Roles: []string{"a", "b"}}
	got := observed(args, server)
	if got.ConnectionLimit != nil || got.Inherit != nil || got.ValidUntil != nil || got.SearchPaths != nil {
		t.Fatalf("unset inputs became set: %+v", got)
	}
	if r := *got.Roles; r[0] != "b" || r[1] != "a" {
		t.Fatalf("the user's order of roles was not kept: %v", r)
	}
}

func TestObservedReportsDrift(t *testing.T) {
	args := RoleArgs{Name: "app", Login: ptr(true), ConnectionLimit: ptr(-1)}
	server := pgadmin.Role{Name: "app", Login: false, ConnectionLimit: 7, Inherit: true, ValidUntil: "infinity",
		CreateDatabase: true, Roles: []string{"extra"}}
	got := observed(args, server)
	if *got.Login || *got.ConnectionLimit != 7 || got.CreateDatabase == nil || !*got.CreateDatabase {
		t.Fatalf("drift not reported: %+v", got)
	}
	if got.Roles == nil || (*got.Roles)[0] != "extra" {
		t.Fatalf("a membership granted behind Pulumi's back was not reported: %+v", got.Roles)
	}
}

func TestObservedArgsDatabase(t *testing.T) {
	args := DatabaseArgs{Name: "db", Owner: ptr("app")}
	server := pgadmin.Database{Name: "db", Owner: "someone", Encoding: "UTF8", ConnectionLimit: -1, AllowConnections: true}
	got := observedArgs(args, server)
	if *got.Owner != "someone" {
		t.Fatalf("owner drift not reported: %+v", got)
	}
	if got.Encoding != nil || got.ConnectionLimit != nil || got.AllowConnections != nil || got.IsTemplate != nil {
		t.Fatalf("unset inputs became set: %+v", got)
	}
	server.ConnectionLimit = 3
	if got := observedArgs(args, server); got.ConnectionLimit == nil || *got.ConnectionLimit != 3 {
		t.Fatalf("connection limit drift not reported: %+v", got)
	}
}
