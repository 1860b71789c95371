//go:build integration

package plugins_test

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/coulomb-social/inter-hub-deploy/test/support/pgserver"
)

// pgServer is a real PostgreSQL 15 in a temporary directory, listening on
// 127.0.0.1 with SCRAM passwords, plus a non-superuser admin role with
// CREATEROLE and CREATEDB, as the production server has.
type pgServer struct {
	port          int
	socketDir     string
	admin         string
	adminPassword string
	super         *sql.DB // the bootstrap superuser, over the socket
}

func startPostgres(t *testing.T) *pgServer {
	t.Helper()
	srv := pgserver.Start(t, "pgtest-")
	pg := &pgServer{port: srv.Port, socketDir: srv.SocketDir, admin: "railiance_admin", adminPassword: "admin-Passw0rd", super: srv.Super}
	pg.exec(t, fmt.Sprintf("CREATE ROLE %s LOGIN CREATEROLE CREATEDB PASSWORD '%s'", pg.admin, pg.adminPassword))
	return pg
}

// exec runs SQL as the bootstrap superuser: changes made behind Pulumi's back.
func (pg *pgServer) exec(t *testing.T, query string, args ...any) {
	t.Helper()
	if _, err := pg.super.Exec(query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// scalar returns one value as text.
func (pg *pgServer) scalar(t *testing.T, query string, args ...any) string {
	t.Helper()
	var v sql.NullString
	if err := pg.super.QueryRow(query, args...).Scan(&v); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return v.String
}

// login opens a session over TCP as role with password on database.
func (pg *pgServer) login(role, password, database string) (*sql.DB, error) {
	db, err := sql.Open("postgres", fmt.Sprintf("host=127.0.0.1 port=%d user=%s password='%s' dbname=%s sslmode=disable connect_timeout=5",
		pg.port, role, password, database))
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var who string
	if err := db.QueryRowContext(ctx, "SELECT current_user").Scan(&who); err != nil {
		db.Close()
		return nil, err
	}
	if who != role {
		db.Close()
		return nil, fmt.Errorf("logged in as %s, not %s", who, role)
	}
	return db, nil
}

func (pg *pgServer) canLogin(t *testing.T, role, password, database string) {
	t.Helper()
	db, err := pg.login(role, password, database)
	if err != nil {
		t.Fatalf("%s cannot log in to %s: %v", role, database, err)
	}
	db.Close()
}

func (pg *pgServer) cannotLogin(t *testing.T, role, password, database string) {
	t.Helper()
	if db, err := pg.login(role, password, database); err == nil {
		db.Close()
		t.Fatalf("%s can still log in to %s with that password", role, database)
	}
}

func (pg *pgServer) portString() string { return strconv.Itoa(pg.port) }
