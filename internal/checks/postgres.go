package checks

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// PostgresTarget is the admin endpoint the program provisions through.
type PostgresTarget struct {
	Host     string
	Port     int
	User     string
	Password string
	SSLMode  string
	Database string
}

// DSN renders a libpq keyword/value connection string with every value quoted.
func (p PostgresTarget) DSN() string {
	q := func(s string) string {
		return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
	}
	db := p.Database
	if db == "" {
		db = "postgres"
	}
	return fmt.Sprintf("host=%s port=%d user=%s password=%s dbname=%s sslmode=%s",
		q(p.Host), p.Port, q(p.User), q(p.Password), q(db), q(p.SSLMode))
}

// Postgres passes when the admin role can log in and may create roles and databases.
func Postgres(enabled bool, p PostgresTarget) Check {
	return Check{Name: "postgres", Enabled: enabled, Probe: func(ctx context.Context) (string, error) {
		cfg, err := pgx.ParseConfig(p.DSN())
		if err != nil {
			return "", fmt.Errorf("connection settings: %w", err)
		}
		conn, err := pgx.ConnectConfig(ctx, cfg)
		if err != nil {
			return "", fmt.Errorf("cannot log in to %s:%d as %s: %w", p.Host, p.Port, p.User, err)
		}
		defer conn.Close(context.Background())
		var super, createRole, createDB bool
		err = conn.QueryRow(ctx,
			"SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = current_user").
			Scan(&super, &createRole, &createDB)
		if err != nil {
			return "", fmt.Errorf("logged in to %s:%d as %s, but reading its privileges failed: %w", p.Host, p.Port, p.User, err)
		}
		if !super && (!createRole || !createDB) {
			return "", fmt.Errorf("role %s on %s:%d needs CREATEROLE and CREATEDB", p.User, p.Host, p.Port)
		}
		return "logged in as " + p.User, nil
	}}
}
