package sandboxenv

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
)

// PgpoolDSN is a libpq keyword/value connection string through pgpool.
func (p Postgres) PgpoolDSN(user, password, database string) string {
	return dsn(p.PgpoolHost, p.PgpoolPort, user, password, database, p.SSLMode)
}

// AdminDSN connects through pgpool as the admin role to the default database.
func (p Postgres) AdminDSN() string {
	return p.PgpoolDSN(p.AdminUser, p.AdminPassword, p.Database)
}

// DirectDSN bypasses pgpool (for checks that must not depend on pool_passwd).
func (p Postgres) DirectDSN(user, password, database string) string {
	return dsn(p.Host, p.Port, user, password, database, p.SSLMode)
}

func dsn(host string, port int, user, password, database, sslmode string) string {
	if sslmode == "" {
		sslmode = "disable"
	}
	kv := [][2]string{
		{"host", host}, {"port", strconv.Itoa(port)}, {"user", user}, {"password", password},
		{"dbname", database}, {"sslmode", sslmode}, {"connect_timeout", "5"},
	}
	parts := make([]string, 0, len(kv))
	for _, p := range kv {
		parts = append(parts, p[0]+"="+quoteDSN(p[1]))
	}
	return strings.Join(parts, " ")
}

// quoteDSN quotes a libpq value: single quotes, with backslash and quote escaped.
func quoteDSN(v string) string {
	r := strings.NewReplacer(`\`, `\\`, `'`, `\'`)
	return "'" + r.Replace(v) + "'"
}

// AddPoolUser adds or replaces user's AES entry in pool_passwd with pg_enc, the way the program
// does; a running pgpool accepts the user at once.
func (p Postgres) AddPoolUser(ctx context.Context, user, password string) error {
	if strings.ContainsAny(user, ":\n") || strings.Contains(password, "\n") {
		return fmt.Errorf("pool_passwd: user %q or its password contains ':' or a newline", user)
	}
	f, err := os.CreateTemp("", "pool-user-*")
	if err != nil {
		return fmt.Errorf("pool_passwd: %w", err)
	}
	defer os.Remove(f.Name())
	if _, err := fmt.Fprintf(f, "%s:%s\n", user, password); err != nil {
		f.Close()
		return fmt.Errorf("pool_passwd: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("pool_passwd: %w", err)
	}
	out, err := exec.CommandContext(ctx, p.PgEnc, "-m", "-f", p.PgpoolConf, "-k", p.PgpoolKey, "-i", f.Name()).CombinedOutput()
	if err != nil {
		return fmt.Errorf("pg_enc -m for %q: %w: %s", user, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// RemovePoolUser drops user's line from pool_passwd, rewriting the file in place (pgpool reads
// the same file; a file replaced by rename would need pcp_reload_config).
func (p Postgres) RemovePoolUser(user string) error {
	data, err := os.ReadFile(p.PoolPasswd)
	if err != nil {
		return fmt.Errorf("pool_passwd: %w", err)
	}
	var keep []string
	for _, line := range strings.Split(strings.TrimRight(string(data), "\n"), "\n") {
		if line != "" && !strings.HasPrefix(line, user+":") {
			keep = append(keep, line)
		}
	}
	out := strings.Join(keep, "\n")
	if out != "" {
		out += "\n"
	}
	f, err := os.OpenFile(p.PoolPasswd, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		return fmt.Errorf("pool_passwd: %w", err)
	}
	if _, err := f.WriteString(out); err != nil {
		f.Close()
		return fmt.Errorf("pool_passwd: %w", err)
	}
	return f.Close()
}
