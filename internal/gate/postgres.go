package gate

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/lib/pq"

	"github.com/coulomb-social/inter-hub-deploy/components"
)

// PostgresTarget is the admin endpoint the program provisions through: the endpoint as the
// postgresql provider and the database component take it, and the admin's login.
type PostgresTarget struct {
	components.Endpoint
	User     string
	Password string
	Database string // "postgres" when empty
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
		connector, err := pq.NewConnector(p.DSN())
		if err != nil {
			return "", fmt.Errorf("connection settings: %w", err)
		}
		connector.Dialer(probeDialer{ctx})
		db := sql.OpenDB(connector)
		defer db.Close()
		conn, err := db.Conn(ctx)
		if err != nil {
			return "", fmt.Errorf("cannot log in to %s:%d as %s: %w", p.Host, p.Port, p.User, err)
		}
		defer conn.Close()
		var super, createRole, createDB bool
		err = conn.QueryRowContext(ctx,
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

// probeDialer closes its connections when the probe's context ends: lib/pq bounds the login
// only by connect_timeout, and a pgpool that accepts but never answers would hold the gate.
type probeDialer struct{ ctx context.Context }

func (d probeDialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	var nd net.Dialer
	c, err := nd.DialContext(ctx, network, address)
	if err != nil {
		return nil, err
	}
	context.AfterFunc(d.ctx, func() { c.Close() })
	return c, nil
}

func (d probeDialer) Dial(network, address string) (net.Conn, error) {
	return d.DialContext(d.ctx, network, address)
}

func (d probeDialer) DialTimeout(network, address string, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(d.ctx, timeout)
	defer cancel()
	return d.DialContext(ctx, network, address)
}

// PostgresTLSTarget is the endpoint whose offer of TLS the gate asks for.
type PostgresTLSTarget struct {
	Host string
	Port int
	// RequiredBy says which settings need TLS of this endpoint, like
	// "inter-hub:postgres.sslmode is require"; empty when none does.
	RequiredBy []string
}

// sslRequest is PostgreSQL's SSLRequest message: its length (8) and the code 80877103. The
// server answers one byte, 'S' (it will do TLS) or 'N' (it will not), before any TLS or login.
var sslRequest = []byte{0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f}

// OffersTLS asks the PostgreSQL server (or pgpool) at addr whether it offers TLS.
func OffersTLS(ctx context.Context, addr string) (bool, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return false, err
	}
	defer conn.Close()
	if deadline, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(deadline)
	}
	if _, err := conn.Write(sslRequest); err != nil {
		return false, fmt.Errorf("sending SSLRequest: %w", err)
	}
	answer := make([]byte, 1)
	if _, err := io.ReadFull(conn, answer); err != nil {
		return false, fmt.Errorf("reading the answer to SSLRequest: %w", err)
	}
	switch answer[0] {
	case 'S':
		return true, nil
	case 'N':
		return false, nil
	}
	return false, fmt.Errorf("answered %q to SSLRequest, not S or N: not a PostgreSQL server?", answer[0])
}

// PostgresTLS says whether the endpoint offers TLS, and fails when a setting requires TLS and
// the endpoint offers none (bitnami's pgpool has TLS off unless pgpool.tls.enabled is set).
func PostgresTLS(enabled bool, p PostgresTLSTarget) Check {
	return Check{Name: "postgresTLS", Enabled: enabled, Probe: func(ctx context.Context) (string, error) {
		addr := net.JoinHostPort(p.Host, strconv.Itoa(p.Port))
		offers, err := OffersTLS(ctx, addr)
		if err != nil {
			return "", fmt.Errorf("cannot ask %s whether it offers TLS: %w", addr, err)
		}
		switch {
		case offers:
			return addr + " offers TLS", nil
		case len(p.RequiredBy) == 0:
			return addr + " offers no TLS; no setting asks for it", nil
		}
		return "", fmt.Errorf("%s offers no TLS (it answered N to PostgreSQL's SSLRequest), but %s: turn TLS on at the server "+
			"(bitnami postgresql-ha: pgpool.tls.enabled) or set sslmode to disable", addr, strings.Join(p.RequiredBy, " and "))
	}}
}
