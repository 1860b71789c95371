package pgadmin

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Role is the part of a role this package manages.
type Role struct {
	Name                            string
	Password                        *string // nil: no password (PASSWORD NULL)
	Login                           bool
	ConnectionLimit                 int
	CreateDatabase                  bool
	CreateRole                      bool
	Inherit                         bool
	Superuser                       bool
	Replication                     bool
	BypassRowLevelSecurity          bool
	EncryptedPassword               bool
	ValidUntil                      string // "infinity" when unbounded
	Roles                           []string
	SearchPath                      []string
	StatementTimeout                int
	IdleInTransactionSessionTimeout int
	AssumeRole                      string
}

// flag renders a boolean role option.
func flag(on bool, yes, no string) string {
	if on {
		return yes
	}
	return no
}

// CreateRoleSQL is the CREATE ROLE statement for r. SUPERUSER, REPLICATION
// and BYPASSRLS appear only when asked for: a non-superuser admin may not
// mention them at all.
func CreateRoleSQL(r Role) string {
	opts := []string{
		flag(r.Login, "LOGIN", "NOLOGIN"),
		flag(r.CreateDatabase, "CREATEDB", "NOCREATEDB"),
		flag(r.CreateRole, "CREATEROLE", "NOCREATEROLE"),
		flag(r.Inherit, "INHERIT", "NOINHERIT"),
		"CONNECTION LIMIT " + strconv.Itoa(r.ConnectionLimit),
		"VALID UNTIL " + Literal(validUntil(r.ValidUntil)),
	}
	if r.Superuser {
		opts = append(opts, "SUPERUSER")
	}
	if r.Replication {
		opts = append(opts, "REPLICATION")
	}
	if r.BypassRowLevelSecurity {
		opts = append(opts, "BYPASSRLS")
	}
	opts = append(opts, passwordClause(r))
	return "CREATE ROLE " + Ident(r.Name) + " WITH " + strings.Join(opts, " ")
}

func passwordClause(r Role) string {
	if r.Password == nil || *r.Password == "" || strings.EqualFold(*r.Password, "NULL") {
		return "PASSWORD NULL"
	}
	// Modern servers always store a hash; UNENCRYPTED is refused since 10.
	return "ENCRYPTED PASSWORD " + Literal(*r.Password)
}

func validUntil(v string) string {
	if v == "" || strings.EqualFold(v, "infinity") {
		return "infinity"
	}
	return v
}

// AlterRoleSQL lists the statements that turn role old into r, in order
// (the rename first, so the rest name the new role).
func AlterRoleSQL(old, r Role) []string {
	var out []string
	name := Ident(r.Name)
	if old.Name != r.Name {
		out = append(out, "ALTER ROLE "+Ident(old.Name)+" RENAME TO "+name)
	}
	// A rename clears an MD5 password, so set it again, as upstream.
	if !samePassword(old.Password, r.Password) || old.Name != r.Name && r.Password != nil {
		out = append(out, "ALTER ROLE "+name+" WITH "+passwordClause(r))
	}
	for _, b := range []struct {
		old, new bool
		yes, no  string
	}{
		{old.Login, r.Login, "LOGIN", "NOLOGIN"},
		{old.CreateDatabase, r.CreateDatabase, "CREATEDB", "NOCREATEDB"},
		{old.CreateRole, r.CreateRole, "CREATEROLE", "NOCREATEROLE"},
		{old.Inherit, r.Inherit, "INHERIT", "NOINHERIT"},
		{old.Superuser, r.Superuser, "SUPERUSER", "NOSUPERUSER"},
		{old.Replication, r.Replication, "REPLICATION", "NOREPLICATION"},
		{old.BypassRowLevelSecurity, r.BypassRowLevelSecurity, "BYPASSRLS", "NOBYPASSRLS"},
	} {
		if b.old != b.new {
			out = append(out, "ALTER ROLE "+name+" WITH "+flag(b.new, b.yes, b.no))
		}
	}
	if old.ConnectionLimit != r.ConnectionLimit {
		out = append(out, "ALTER ROLE "+name+" WITH CONNECTION LIMIT "+strconv.Itoa(r.ConnectionLimit))
	}
	if validUntil(old.ValidUntil) != validUntil(r.ValidUntil) {
		out = append(out, "ALTER ROLE "+name+" WITH VALID UNTIL "+Literal(validUntil(r.ValidUntil)))
	}
	for _, g := range old.Roles {
		if !slices.Contains(r.Roles, g) {
			out = append(out, "REVOKE "+Ident(g)+" FROM "+name)
		}
	}
	for _, g := range r.Roles {
		if !slices.Contains(old.Roles, g) {
			out = append(out, "GRANT "+Ident(g)+" TO "+name)
		}
	}
	return append(out, settingsSQL(old, r)...)
}

// settingsSQL sets or resets the per-role settings that differ.
func settingsSQL(old, r Role) []string {
	var out []string
	name := Ident(r.Name)
	if !slices.Equal(old.SearchPath, r.SearchPath) {
		if len(r.SearchPath) == 0 {
			out = append(out, "ALTER ROLE "+name+" RESET search_path")
		} else {
			parts := make([]string, len(r.SearchPath))
			for i, p := range r.SearchPath {
				parts[i] = Ident(p)
			}
			out = append(out, "ALTER ROLE "+name+" SET search_path TO "+strings.Join(parts, ", "))
		}
	}
	for _, s := range []struct {
		key      string
		old, new int
	}{
		{"statement_timeout", old.StatementTimeout, r.StatementTimeout},
		{"idle_in_transaction_session_timeout", old.IdleInTransactionSessionTimeout, r.IdleInTransactionSessionTimeout},
	} {
		if s.old == s.new {
			continue
		}
		if s.new == 0 {
			out = append(out, "ALTER ROLE "+name+" RESET "+s.key)
		} else {
			out = append(out, "ALTER ROLE "+name+" SET "+s.key+" TO "+strconv.Itoa(s.new))
		}
	}
	if old.AssumeRole != r.AssumeRole {
		if r.AssumeRole == "" {
			out = append(out, "ALTER ROLE "+name+" RESET role")
		} else {
			out = append(out, "ALTER ROLE "+name+" SET role TO "+Ident(r.AssumeRole))
		}
	}
	return out
}

func samePassword(a, b *string) bool {
	norm := func(p *string) string {
		if p == nil || strings.EqualFold(*p, "NULL") {
			return ""
		}
		return *p
	}
	return norm(a) == norm(b)
}

// CreateRole creates r with its memberships and settings in one transaction.
func (c *Conn) CreateRole(ctx context.Context, r Role) error {
	stmts := []string{CreateRoleSQL(r)}
	for _, g := range r.Roles {
		stmts = append(stmts, "GRANT "+Ident(g)+" TO "+Ident(r.Name))
	}
	stmts = append(stmts, settingsSQL(Role{Name: r.Name}, r)...)
	if err := c.inTx(ctx, stmts); err != nil {
		return fmt.Errorf("creating role %q on %s: %w", r.Name, c.server.Addr(), err)
	}
	return nil
}

// AlterRole turns role old into r in one transaction.
func (c *Conn) AlterRole(ctx context.Context, old, r Role) error {
	if err := c.inTx(ctx, AlterRoleSQL(old, r)); err != nil {
		return fmt.Errorf("updating role %q on %s: %w", old.Name, c.server.Addr(), err)
	}
	return nil
}

// inTx runs stmts in one transaction. Errors never quote the statement:
// it may hold a password.
func (c *Conn) inTx(ctx context.Context, stmts []string) error {
	return pgx.BeginFunc(ctx, c.Conn, func(tx pgx.Tx) error {
		for _, s := range stmts {
			if _, err := tx.Exec(ctx, s); err != nil {
				return err
			}
		}
		return nil
	})
}

// ErrNotFound is returned when the role or database does not exist.
var ErrNotFound = errors.New("not found")

// ReadRole reads role name; the password cannot be read and stays nil.
func (c *Conn) ReadRole(ctx context.Context, name string) (Role, error) {
	r := Role{EncryptedPassword: true}
	var config []string
	err := c.QueryRow(ctx, `SELECT rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin,
			rolreplication, rolbypassrls, rolconnlimit, COALESCE(rolvaliduntil::text, 'infinity'),
			COALESCE(rolconfig, '{}'),
			ARRAY(SELECT b.rolname FROM pg_catalog.pg_auth_members m JOIN pg_catalog.pg_roles b ON m.roleid = b.oid
				WHERE m.member = r.oid ORDER BY b.rolname)
		FROM pg_catalog.pg_roles r WHERE rolname = $1`, name).Scan(
		&r.Name, &r.Superuser, &r.Inherit, &r.CreateRole, &r.CreateDatabase, &r.Login,
		&r.Replication, &r.BypassRowLevelSecurity, &r.ConnectionLimit, &r.ValidUntil, &config, &r.Roles)
	if errors.Is(err, pgx.ErrNoRows) {
		return Role{}, ErrNotFound
	}
	if err != nil {
		return Role{}, fmt.Errorf("reading role %q on %s: %w", name, c.server.Addr(), err)
	}
	if err := parseRoleConfig(config, &r); err != nil {
		return Role{}, fmt.Errorf("reading role %q on %s: %w", name, c.server.Addr(), err)
	}
	return r, nil
}

// parseRoleConfig reads the settings this package manages from rolconfig.
func parseRoleConfig(config []string, r *Role) error {
	for _, kv := range config {
		k, v, _ := strings.Cut(kv, "=")
		var err error
		switch k {
		case "search_path":
			r.SearchPath = nil
			for _, p := range strings.Split(v, ", ") {
				r.SearchPath = append(r.SearchPath, strings.Trim(p, `"`))
			}
		case "statement_timeout":
			r.StatementTimeout, err = strconv.Atoi(v)
		case "idle_in_transaction_session_timeout":
			r.IdleInTransactionSessionTimeout, err = strconv.Atoi(v)
		case "role":
			r.AssumeRole = v
		}
		if err != nil {
			return fmt.Errorf("setting %s=%q is not a number of milliseconds", k, v)
		}
	}
	return nil
}

// StoredPassword is the role's password verifier from pg_authid, which only a
// superuser may read.
func (c *Conn) StoredPassword(ctx context.Context, name string) (string, error) {
	var v *string
	err := c.QueryRow(ctx, "SELECT rolpassword FROM pg_catalog.pg_authid WHERE rolname = $1", name).Scan(&v)
	if err != nil {
		return "", fmt.Errorf("reading the password of role %q on %s as %q (set superuser: false in the provider "+
			"configuration when connecting as a non-superuser): %w", name, c.server.Addr(), c.CurrentUser, err)
	}
	if v == nil {
		return "", nil
	}
	return *v, nil
}

// DropRole drops role name as upstream does: unless skipReassign, the
// objects it owns in the connected database (and the databases it owns) are
// reassigned to the admin and its remaining privileges there dropped; then,
// unless skipDrop, the role is dropped. PostgreSQL refuses the drop while the
// role still owns objects in other databases, and nothing is forced.
func (c *Conn) DropRole(ctx context.Context, name string, skipReassign, skipDrop bool) error {
	err := c.withMembership(ctx, name, func() error {
		var stmts []string
		if !skipReassign {
			stmts = append(stmts,
				"REASSIGN OWNED BY "+Ident(name)+" TO "+Ident(c.CurrentUser),
				"DROP OWNED BY "+Ident(name))
		}
		if !skipDrop {
			stmts = append(stmts, "DROP ROLE "+Ident(name))
		}
		return c.inTx(ctx, stmts)
	})
	if err != nil {
		return fmt.Errorf("dropping role %q on %s: %w", name, c.server.Addr(), err)
	}
	return nil
}
