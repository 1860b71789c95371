// Package pgadmin administers roles and databases of a PostgreSQL server as
// the official postgresql plugin does, through pgx. It never terminates
// sessions and never drops anything it was not asked to.
package pgadmin

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Server is how to reach and log in to the server.
type Server struct {
	Host           string
	Port           int
	User           string
	Password       string
	Database       string
	SSLMode        string
	SSLRootCert    string
	ConnectTimeout time.Duration // 0: no bound
}

// Addr is host:port, for messages.
func (s Server) Addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

// dsn is a keyword/value connection string; every value is quoted, so none
// can inject another keyword.
func (s Server) dsn(database string) string {
	kv := [][2]string{
		{"host", s.Host},
		{"port", strconv.Itoa(s.Port)},
		{"user", s.User},
		{"dbname", database},
		{"application_name", "pulumi-resource-postgresql"},
	}
	if s.Password != "" {
		kv = append(kv, [2]string{"password", s.Password})
	}
	if s.SSLMode != "" {
		kv = append(kv, [2]string{"sslmode", s.SSLMode})
	}
	if s.SSLRootCert != "" {
		kv = append(kv, [2]string{"sslrootcert", s.SSLRootCert})
	}
	if s.ConnectTimeout > 0 {
		kv = append(kv, [2]string{"connect_timeout", strconv.Itoa(int(s.ConnectTimeout / time.Second))})
	}
	parts := make([]string, len(kv))
	for i, p := range kv {
		v := strings.ReplaceAll(p[1], `\`, `\\`)
		v = strings.ReplaceAll(v, `'`, `\'`)
		parts[i] = p[0] + "='" + v + "'"
	}
	return strings.Join(parts, " ")
}

// Conn is an administrative session.
type Conn struct {
	*pgx.Conn
	server Server
	// CurrentUser is the role the session runs as.
	CurrentUser string
	// Version is server_version_num, e.g. 150008.
	Version int
}

// Connect opens a session on database (the server's default when empty).
// Errors say which server, and whether it could not be reached or refused
// the login.
func Connect(ctx context.Context, s Server, database string) (*Conn, error) {
	if database == "" {
		database = s.Database
	}
	cfg, err := pgx.ParseConfig(s.dsn(database))
	if err != nil {
		return nil, fmt.Errorf("PostgreSQL connection settings for %s: %w", s.Addr(), err)
	}
	// Only what the provider configuration says applies: a stray PGPASSFILE
	// or service file must not change whom we log in as.
	cfg.Fallbacks = nil
	// No server-side prepared statements: the server may sit behind pgpool,
	// and an admin session runs a handful of statements.
	cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	if s.ConnectTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.ConnectTimeout)
		defer cancel()
	}
	c, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, explainConnect(s, database, err)
	}
	conn := &Conn{Conn: c, server: s}
	if err := c.QueryRow(ctx, "SELECT current_user, current_setting('server_version_num')::int").
		Scan(&conn.CurrentUser, &conn.Version); err != nil {
		c.Close(context.Background())
		return nil, fmt.Errorf("PostgreSQL at %s: reading the session's user and server version: %w", s.Addr(), err)
	}
	return conn, nil
}

// Close ends the session.
func (c *Conn) Close() { c.Conn.Close(context.Background()) }

func explainConnect(s Server, database string, err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case pgErr.Code == "28P01" || pgErr.Code == "28000":
			return fmt.Errorf("PostgreSQL at %s refused the login of role %q to database %q (authentication failed: %s)",
				s.Addr(), s.User, database, pgErr.Message)
		case pgErr.Code == "3D000":
			return fmt.Errorf("PostgreSQL at %s: database %q does not exist (%s)", s.Addr(), database, pgErr.Message)
		default:
			return fmt.Errorf("PostgreSQL at %s refused the connection of role %q: %s (SQLSTATE %s)",
				s.Addr(), s.User, pgErr.Message, pgErr.Code)
		}
	}
	if errors.Is(err, context.DeadlineExceeded) || os.IsTimeout(err) {
		return fmt.Errorf("PostgreSQL at %s did not answer within the connect timeout of %s: %w", s.Addr(), s.ConnectTimeout, err)
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return fmt.Errorf("cannot reach PostgreSQL at %s (is it running and listening there?): %w", s.Addr(), err)
	}
	return fmt.Errorf("connecting to PostgreSQL at %s as %q: %w", s.Addr(), s.User, err)
}

// Ident quotes an identifier.
func Ident(name string) string { return pgx.Identifier{name}.Sanitize() }

// Literal quotes a string constant; values with backslashes use the E”
// form, so the result is the same whatever standard_conforming_strings is.
func Literal(s string) string {
	q := "'" + strings.ReplaceAll(s, "'", "''") + "'"
	if strings.Contains(s, `\`) {
		return "E" + strings.ReplaceAll(q, `\`, `\\`)
	}
	return q
}

// withMembership runs f while the session's user is a member of role, with
// the right to SET it on PostgreSQL 16 and later, granting that temporarily
// when needed, as upstream does for a non-superuser admin.
func (c *Conn) withMembership(ctx context.Context, role string, f func() error) (err error) {
	if role == "" || role == c.CurrentUser {
		return f()
	}
	mode := "MEMBER"
	if c.Version >= 160000 {
		mode = "SET"
	}
	var member bool
	if err := c.QueryRow(ctx, "SELECT pg_has_role(current_user, $1::name, $2)", role, mode).Scan(&member); err != nil {
		return fmt.Errorf("checking whether %q is a member of role %q: %w", c.CurrentUser, role, err)
	}
	if member {
		return f()
	}
	grant := fmt.Sprintf("GRANT %s TO %s", Ident(role), Ident(c.CurrentUser))
	if c.Version >= 160000 {
		grant += " WITH SET TRUE"
	}
	if _, err := c.Exec(ctx, grant); err != nil {
		return fmt.Errorf("granting role %q to %q temporarily: %w", role, c.CurrentUser, err)
	}
	defer func() {
		// A role dropped by f took its memberships with it.
		var exists bool
		if qerr := c.QueryRow(context.Background(), "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1)",
			role).Scan(&exists); qerr == nil && !exists {
			return
		}
		_, rerr := c.Exec(context.Background(), fmt.Sprintf("REVOKE %s FROM %s", Ident(role), Ident(c.CurrentUser)))
		if rerr != nil && err == nil {
			err = fmt.Errorf("revoking the temporary membership of %q in role %q: %w", c.CurrentUser, role, rerr)
		}
	}()
	return f()
}
