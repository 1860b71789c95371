//go:build integration

package ops_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// The pgpool users step touches only the stack's own role: on the stand-in (pg_enc mode) another
// role's pool_passwd entry stays byte for byte through a password rotation and a destroy, and
// that role keeps logging in through pgpool.
func TestPoolUsersStepKeepsOtherUsers(t *testing.T) {
	s := newOpsStack(t, "pool")
	p := s.env.Postgres
	other, otherPassword := s.role+"_other", "other-role-password"
	admin := s.AdminDB(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if _, err := admin.ExecContext(ctx, fmt.Sprintf(`CREATE ROLE %q LOGIN PASSWORD '%s'`, other, otherPassword)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = admin.Exec(fmt.Sprintf(`DROP ROLE IF EXISTS %q`, other))
		_ = p.RemovePoolUser(other)
	})
	if err := p.AddPoolUser(ctx, other, otherPassword); err != nil {
		t.Fatal(err)
	}
	before := poolLines(t, p.PoolPasswd)
	if before[other] == "" || before[s.role] == "" {
		t.Fatalf("pool_passwd lacks %s or %s: %v", other, s.role, before)
	}

	s.SetConfig(t, s.configFile, map[string]string{"database.passwordRotation": "1"})
	s.Up(t)
	after := poolLines(t, p.PoolPasswd)
	if after[s.role] == before[s.role] {
		t.Errorf("the rotation did not change %s's pool_passwd entry", s.role)
	}
	if after[other] != before[other] {
		t.Errorf("the rotation changed %s's entry:\n  before %s\n  after  %s", other, before[other], after[other])
	}
	loginThroughPgpool(t, ctx, p.PgpoolDSN(other, otherPassword, p.Database))

	s.pulumi(t, upTimeout, "destroy", "--yes", "--exclude-protected")
	if got := poolLines(t, p.PoolPasswd)[other]; got != before[other] {
		t.Errorf("destroy changed %s's entry: %q", other, got)
	}
	loginThroughPgpool(t, ctx, p.PgpoolDSN(other, otherPassword, p.Database))
}

// poolLines maps each user of a pool_passwd file to its whole line.
func poolLines(t *testing.T, path string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		if user, _, ok := strings.Cut(line, ":"); ok {
			out[user] = line
		}
	}
	return out
}

func loginThroughPgpool(t *testing.T, ctx context.Context, dsn string) {
	t.Helper()
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.PingContext(ctx); err != nil {
		t.Errorf("login through pgpool: %v", err)
	}
}
