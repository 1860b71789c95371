package gate

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/coulomb-social/inter-hub-deploy/test/support/fixture"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// pgpoolDeployment is the part of bitnami's pgpool Deployment the checks read.
func pgpoolDeployment(usersSecret string) map[string]any {
	env := []any{map[string]any{"name": "BITNAMI_DEBUG", "value": "false"}}
	if usersSecret != "" {
		env = append(env, map[string]any{"name": "PGPOOL_POSTGRES_CUSTOM_USERS",
			"valueFrom": map[string]any{"secretKeyRef": map[string]any{"name": usersSecret, "key": "usernames"}}})
	}
	return map[string]any{"spec": map[string]any{"template": map[string]any{"spec": map[string]any{
		"containers": []any{map[string]any{"name": "pgpool", "env": env}}}}}}
}

const (
	pathSvc    = "/api/v1/namespaces/platform/services/pg-pgpool"
	pathDep    = "/apis/apps/v1/namespaces/platform/deployments/pg-pgpool"
	pathSecret = "/api/v1/namespaces/platform/secrets/pgpool-users"
)

func TestPgpool(t *testing.T) {
	f := fixture.New(t, "")
	want := PgpoolTarget{Namespace: "platform", Service: "pg-pgpool", Deployment: "pg-pgpool", UsersSecret: "pgpool-users", ServicePort: 5432}
	svc := map[string]any{"spec": map[string]any{"ports": []any{map[string]any{"port": 5432}}}}

	tg := apiserver(t, f, map[string]any{pathSvc: svc, pathDep: pgpoolDeployment("pgpool-users")})
	if d, err := probe(t, Pgpool(true, tg, want)); err != nil || d != "Service platform/pg-pgpool (ports 5432) and Deployment pg-pgpool present" {
		t.Errorf("present: %q, %v", d, err)
	}
	tg = apiserver(t, f, map[string]any{})
	if _, err := probe(t, Pgpool(true, tg, want)); err == nil ||
		err.Error() != "Service platform/pg-pgpool not found; Deployment platform/pg-pgpool not found" {
		t.Errorf("absent: %v", err)
	}
	other := map[string]any{"spec": map[string]any{"ports": []any{map[string]any{"port": 6432}}}}
	tg = apiserver(t, f, map[string]any{pathSvc: other, pathDep: pgpoolDeployment("")})
	if _, err := probe(t, Pgpool(true, tg, want)); err == nil || err.Error() != "Service platform/pg-pgpool has no port 5432 (its ports: 6432)" {
		t.Errorf("wrong port: %v", err)
	}
}

func TestPgpoolUsers(t *testing.T) {
	f := fixture.New(t, "")
	want := PgpoolTarget{Namespace: "platform", Service: "pg-pgpool", Deployment: "pg-pgpool", UsersSecret: "pgpool-users"}
	secret := func(users, words string) map[string]any {
		return map[string]any{"data": map[string]any{"usernames": b64(users), "passwords": b64(words)}}
	}

	tg := apiserver(t, f, map[string]any{pathSecret: secret("a,b", "secret-a;secret-b"), pathDep: pgpoolDeployment("pgpool-users")})
	if d, err := probe(t, PgpoolUsers(true, tg, want)); err != nil || d != "Secret platform/pgpool-users lists 2 user(s) and is pgpool's custom users Secret" {
		t.Errorf("good: %q, %v", d, err)
	}

	tg = apiserver(t, f, map[string]any{pathDep: pgpoolDeployment("pgpool-users")})
	if _, err := probe(t, PgpoolUsers(true, tg, want)); err == nil ||
		err.Error() != "Secret platform/pgpool-users not found (postgresql-ha's pgpool.customUsersSecret must name an existing Secret)" {
		t.Errorf("no Secret: %v", err)
	}

	tg = apiserver(t, f, map[string]any{pathSecret: secret("a,b", "secret-a"), pathDep: pgpoolDeployment("platform-users")})
	_, err := probe(t, PgpoolUsers(true, tg, want))
	if err == nil || err.Error() != "Secret platform/pgpool-users lists 2 usernames but 1 passwords; pgpool refuses to start so; "+
		"Deployment platform/pg-pgpool reads its custom users from Secret platform-users, not pgpool-users" {
		t.Errorf("uneven lists, other Secret: %v", err)
	}
	if err != nil && strings.Contains(err.Error(), "secret-a") {
		t.Errorf("the error shows a password: %v", err)
	}

	tg = apiserver(t, f, map[string]any{pathSecret: map[string]any{"data": map[string]any{}}, pathDep: pgpoolDeployment("")})
	if _, err := probe(t, PgpoolUsers(true, tg, want)); err == nil || err.Error() != "Secret platform/pgpool-users has no key usernames; "+
		"Secret platform/pgpool-users has no key passwords; Deployment platform/pg-pgpool takes PGPOOL_POSTGRES_CUSTOM_USERS from no Secret: "+
		"set postgresql-ha's pgpool.customUsersSecret to pgpool-users" {
		t.Errorf("empty Secret, no custom users: %v", err)
	}
}
