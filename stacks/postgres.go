package stacks

import (
	"regexp"

	"github.com/coulomb-social/inter-hub-deploy/components"
)

// Postgres is the endpoint the program provisions through, as the admin, and the one the app
// connects to (the same unless postgres.app* say otherwise).
type Postgres struct {
	Admin         components.Endpoint
	AdminUser     string
	AdminPassword string // secret
	App           components.Endpoint
}

// Database is the app's database and its owning role.
type Database struct {
	Name, Role       string
	PasswordRotation int
}

// Pgpool is how the app's role becomes able to log in through pgpool.
type Pgpool struct {
	Mode        components.PgpoolMode
	UsersSecret string
	Namespace   string
	Service     string
	Deployment  string
	// AppUsesService: postgres.appHost names the Service (<service>.<namespace>.svc[.cluster.local]).
	AppUsesService bool
	// Conf and KeyFile are relative to the project directory when configured so, because they
	// end up in a command's inputs and absolute paths would differ between checkouts.
	Conf, KeyFile string
}

var (
	svcHost  = regexp.MustCompile(`^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.svc(\.cluster\.local)?$`)
	sslModes = []string{"disable", "require", "verify-ca", "verify-full"}
)

func (r *reader) postgres() Postgres {
	p := Postgres{
		Admin: components.Endpoint{
			Host:    r.host("postgres.host", true),
			Port:    r.integer("postgres.port", 1, 65535),
			SSLMode: oneOf(r, "postgres.sslmode", sslModes...),
		},
		AdminUser:     r.required("postgres.adminUser"),
		AdminPassword: r.secret("postgres.adminPassword"),
	}
	p.App = p.Admin
	if v := r.host("postgres.appHost", false); v != "" {
		p.App.Host = v
	}
	if _, set := r.raw("postgres.appPort"); set {
		p.App.Port = r.integer("postgres.appPort", 1, 65535)
	}
	if _, set := r.raw("postgres.appSslmode"); set {
		p.App.SSLMode = oneOf(r, "postgres.appSslmode", sslModes...)
	}
	return p
}

func (r *reader) database(pg Postgres) Database {
	d := Database{
		Name:             r.pgIdent("database.name"),
		Role:             r.pgIdent("database.role"),
		PasswordRotation: r.integer("database.passwordRotation", 0, 1<<30),
	}
	if d.Role != "" && d.Role == pg.AdminUser {
		r.fail("database.role", "must differ from inter-hub:postgres.adminUser (%s)", pg.AdminUser)
	}
	return d
}

func (r *reader) pgpool(pg Postgres) Pgpool {
	p := Pgpool{Mode: oneOf(r, "pgpool.mode", components.PgpoolBitnami, components.PgpoolPgEnc, components.PgpoolNone)}
	switch p.Mode {
	case components.PgpoolBitnami:
		p.UsersSecret = r.dnsSubdomain("pgpool.usersSecret", true)
		p.Namespace = r.dnsLabel("pgpool.namespace", 63)
		p.Service = r.dnsLabel("pgpool.service", 63)
		p.Deployment = r.dnsSubdomain("pgpool.deployment", true)
		// The pods reach pgpool through its Service; a host naming another Service is a typo.
		if svc, ns, ok := serviceHost(pg.App.Host); ok && p.Service != "" && p.Namespace != "" {
			key := "postgres.appHost"
			if _, set := r.src.Get(fullKey(key)); !set {
				key = "postgres.host"
			}
			if svc != p.Service || ns != p.Namespace {
				r.fail(key, "names the Service %s/%s, but pgpool's is %s/%s (inter-hub:pgpool.namespace, inter-hub:pgpool.service)",
					ns, svc, p.Namespace, p.Service)
			} else {
				p.AppUsesService = true
			}
		}
	case components.PgpoolPgEnc:
		if path, _, _, ok := r.file("pgpool.conf"); ok {
			p.Conf = path
		}
		if path, _, _, ok := r.file("pgpool.keyFile"); ok {
			p.KeyFile = path
		}
	}
	return p
}

// serviceHost splits a cluster DNS name of a Service, <service>.<namespace>.svc with an optional
// .cluster.local.
func serviceHost(host string) (service, namespace string, ok bool) {
	m := svcHost.FindStringSubmatch(host)
	if m == nil {
		return "", "", false
	}
	return m[1], m[3], true
}
