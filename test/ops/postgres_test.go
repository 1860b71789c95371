//go:build integration

package ops_test

import (
	"database/sql"
	"fmt"
	"net/url"
	"testing"

	"github.com/coulomb-social/inter-hub-deploy/test/support/pgserver"
)

// statePostgres is a throwaway PostgreSQL 15 in a temporary directory, with a database and a
// non-superuser owner for Pulumi's state, as the team's state database would be.
type statePostgres struct {
	srv *pgserver.Server
	url string // postgres:// URL of the state database for `pulumi login`
}

func startStatePostgres(t *testing.T) *statePostgres {
	t.Helper()
	srv := pgserver.Start(t, "ops-pg-")
	// The state user owns only its database; the password has characters that need URL escaping.
	const user, password = "pulumi_state", "st@te/pw:1"
	srv.Exec(t,
		fmt.Sprintf("CREATE ROLE %s LOGIN PASSWORD '%s'", user, password),
		fmt.Sprintf("CREATE DATABASE pulumi OWNER %s", user))
	u := url.URL{Scheme: "postgres", User: url.UserPassword(user, password), Host: fmt.Sprintf("127.0.0.1:%d", srv.Port),
		Path: "/pulumi", RawQuery: "sslmode=disable"}
	return &statePostgres{srv: srv, url: u.String()}
}

// stateDB connects to the state database as the superuser, to look at Pulumi's table.
func (pg *statePostgres) stateDB(t *testing.T) *sql.DB {
	t.Helper()
	return pg.srv.SuperDB(t, "pulumi")
}
