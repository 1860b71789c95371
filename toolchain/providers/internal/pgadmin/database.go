package pgadmin

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Database is the part of a database this package manages.
type Database struct {
	Name             string
	Owner            string // empty on create: the admin
	Template         string // empty on create: template0
	Encoding         string // empty on create: UTF8
	LcCollate        string // empty on create: the template's
	LcCtype          string // empty on create: the template's
	Tablespace       string // empty on create: the default
	ConnectionLimit  int
	AllowConnections bool
	IsTemplate       bool
}

// keyword renders a value that may be the word DEFAULT.
func keyword(v string, quote func(string) string) string {
	if strings.EqualFold(v, "DEFAULT") {
		return "DEFAULT"
	}
	return quote(v)
}

// CreateDatabaseSQL is the CREATE DATABASE statement for d, owned by owner.
func CreateDatabaseSQL(d Database, owner string) string {
	var b strings.Builder
	b.WriteString("CREATE DATABASE " + Ident(d.Name) + " OWNER " + Ident(owner))
	tmpl := d.Template
	if tmpl == "" {
		tmpl = "template0"
	}
	b.WriteString(" TEMPLATE " + keyword(tmpl, Ident))
	enc := d.Encoding
	if enc == "" {
		enc = "UTF8"
	}
	b.WriteString(" ENCODING " + keyword(enc, Literal))
	if d.LcCollate != "" {
		b.WriteString(" LC_COLLATE " + keyword(d.LcCollate, Literal))
	}
	if d.LcCtype != "" {
		b.WriteString(" LC_CTYPE " + keyword(d.LcCtype, Literal))
	}
	if d.Tablespace != "" {
		b.WriteString(" TABLESPACE " + keyword(d.Tablespace, Ident))
	}
	fmt.Fprintf(&b, " ALLOW_CONNECTIONS %t CONNECTION LIMIT %d IS_TEMPLATE %t",
		d.AllowConnections, d.ConnectionLimit, d.IsTemplate)
	return b.String()
}

// CreateDatabase creates d. When the admin may not act as the owner role, it
// is made a member for the duration, as upstream does on PostgreSQL 15 and 16.
func (c *Conn) CreateDatabase(ctx context.Context, d Database) error {
	owner := d.Owner
	if owner == "" {
		owner = c.CurrentUser
	}
	err := c.withMembership(ctx, owner, func() error {
		_, err := c.Exec(ctx, CreateDatabaseSQL(d, owner))
		return err
	})
	if err != nil {
		return fmt.Errorf("creating database %q owned by %q on %s: %w", d.Name, owner, c.server.Addr(), err)
	}
	return nil
}

// ReadDatabase reads database name.
func (c *Conn) ReadDatabase(ctx context.Context, name string) (Database, error) {
	var d Database
	err := c.QueryRow(ctx, `SELECT d.datname, pg_catalog.pg_get_userbyid(d.datdba),
			pg_catalog.pg_encoding_to_char(d.encoding), d.datcollate, d.datctype, ts.spcname,
			d.datconnlimit, d.datallowconn, d.datistemplate
		FROM pg_catalog.pg_database d JOIN pg_catalog.pg_tablespace ts ON d.dattablespace = ts.oid
		WHERE d.datname = $1`, name).Scan(&d.Name, &d.Owner, &d.Encoding, &d.LcCollate, &d.LcCtype,
		&d.Tablespace, &d.ConnectionLimit, &d.AllowConnections, &d.IsTemplate)
	if errors.Is(err, pgx.ErrNoRows) {
		return Database{}, ErrNotFound
	}
	if err != nil {
		return Database{}, fmt.Errorf("reading database %q on %s: %w", name, c.server.Addr(), err)
	}
	return d, nil
}

// AlterDatabase turns database old into d: name, owner, tablespace,
// connection limit, allow connections and is-template. The rest cannot be
// changed in place.
func (c *Conn) AlterDatabase(ctx context.Context, old, d Database) error {
	name := old.Name
	fail := func(what string, err error) error {
		return fmt.Errorf("updating the %s of database %q on %s: %w", what, name, c.server.Addr(), explainBusy(name, err))
	}
	exec := func(what, sql string) error {
		if _, err := c.Exec(ctx, sql); err != nil {
			return fail(what, err)
		}
		return nil
	}
	if d.Name != old.Name {
		if err := exec("name", "ALTER DATABASE "+Ident(old.Name)+" RENAME TO "+Ident(d.Name)); err != nil {
			return err
		}
		name = d.Name
	}
	if d.Owner != "" && d.Owner != old.Owner {
		err := c.withMembership(ctx, d.Owner, func() error {
			_, err := c.Exec(ctx, "ALTER DATABASE "+Ident(name)+" OWNER TO "+Ident(d.Owner))
			return err
		})
		if err != nil {
			return fail("owner", err)
		}
	}
	if d.Tablespace != "" && d.Tablespace != old.Tablespace {
		if err := exec("tablespace", "ALTER DATABASE "+Ident(name)+" SET TABLESPACE "+Ident(d.Tablespace)); err != nil {
			return err
		}
	}
	if d.ConnectionLimit != old.ConnectionLimit {
		if err := exec("connection limit", "ALTER DATABASE "+Ident(name)+" CONNECTION LIMIT "+strconv.Itoa(d.ConnectionLimit)); err != nil {
			return err
		}
	}
	if d.AllowConnections != old.AllowConnections {
		if err := exec("allowed connections", fmt.Sprintf("ALTER DATABASE %s ALLOW_CONNECTIONS %t", Ident(name), d.AllowConnections)); err != nil {
			return err
		}
	}
	if d.IsTemplate != old.IsTemplate {
		if err := exec("template flag", fmt.Sprintf("ALTER DATABASE %s IS_TEMPLATE %t", Ident(name), d.IsTemplate)); err != nil {
			return err
		}
	}
	return nil
}

// DropDatabase drops d. It never ends other sessions: while any are
// connected, PostgreSQL refuses and the error says so.
func (c *Conn) DropDatabase(ctx context.Context, d Database) error {
	err := c.withMembership(ctx, d.Owner, func() error {
		if d.IsTemplate {
			if _, err := c.Exec(ctx, "ALTER DATABASE "+Ident(d.Name)+" IS_TEMPLATE false"); err != nil {
				return err
			}
		}
		_, err := c.Exec(ctx, "DROP DATABASE "+Ident(d.Name))
		return err
	})
	if err != nil {
		return fmt.Errorf("dropping database %q on %s: %w", d.Name, c.server.Addr(), explainBusy(d.Name, err))
	}
	return nil
}

// explainBusy turns "being accessed by other users" into advice; this
// provider does not terminate sessions.
func explainBusy(name string, err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "55006" {
		return fmt.Errorf("database %q is in use (%s); sessions are never terminated by this provider: "+
			"stop the clients connected to it and retry: %w", name, pgErr.Detail, err)
	}
	return err
}
