// Package stacks is the only place that knows the project's configuration keys. It reads a
// stack's configuration into a typed Config and validates all of it at once: every problem is
// reported, each naming its key, before the program registers any resource.
package stacks

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"golang.org/x/crypto/ssh"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/coulomb-social/inter-hub-deploy/components"
	"github.com/coulomb-social/inter-hub-deploy/internal/appenv"
	"github.com/coulomb-social/inter-hub-deploy/internal/kubeconfig"
	"github.com/coulomb-social/inter-hub-deploy/internal/sopsfile"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Config is a stack's validated configuration. Paths are absolute unless noted.
type Config struct {
	ProjectDir string
	Kubernetes Kubernetes
	Gate       Gate
	Postgres   Postgres
	Database   Database
	Pgpool     Pgpool
	Session    Session
	Secrets    Secrets
	Registry   Registry
	Build      Build
	App        App
	Release    Release
	Ingress    Ingress
	Smoke      Smoke
}

type Kubernetes struct {
	// Kubeconfig is the file's content with file references inlined. Secret.
	Kubeconfig string
	Context    string // the context in use (never empty)
	Target     *kubeconfig.Target
	Namespace  string
}

type Gate struct {
	Nodes, Traefik, Postgres, Registry, BuildHost bool
	Pgpool, Certificates, ImageContract           bool
	TraefikNamespace, TraefikDeployment           string
	Timeout                                       time.Duration
}

type Postgres struct {
	Host          string
	Port          int
	AdminUser     string
	AdminPassword string // secret
	SSLMode       string
	AppHost       string
	AppPort       int
	AppSSLMode    string
}

type Database struct {
	Name, Role       string
	PasswordRotation int
}

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

type Session struct{ Rotation int }

type Secrets struct {
	SopsFile string            // as configured
	Values   map[string]string // decrypted; secret
}

// Registry kinds: what serves the registry, which decides the form of a repository path.
const (
	RegistryDistribution = "distribution"
	RegistryGitea        = "gitea"
)

type Registry struct {
	Kind               string
	Host, Repository   string
	Username, Password string // the build's push account; Password is secret
	// The cluster's read-only pull account, for the pods' imagePullSecrets; PullPassword is secret.
	PullUsername, PullPassword string
	CA                         []byte // PEM, nil for the system roots
}

type Build struct {
	Host        string
	Port        int
	User        string
	HostKey     string // normalised authorized_keys form: "<type> <base64>"
	PublicKey   ssh.PublicKey
	PrivateKey  string // secret
	Signer      ssh.Signer
	CheckoutDir string
	FlakeAttr   string
	Timeout     int // seconds
}

type App struct {
	Revision       string
	BaseURL        string
	Replicas       int
	CPURequest     string
	MemoryRequest  string
	CPULimit       string
	MemoryLimit    string
	StorageSize    string
	StorageClass   string
	StorageAccess  string // ReadWriteOnce or ReadWriteMany
	MigrateCommand []string
	NodeSelector   map[string]string
}

type Release struct {
	Name       string
	Chart      string // as configured (relative to the project directory)
	ChartDir   string // absolute
	Timeout    int    // seconds
	MaxHistory int
}

// TLSSource says where the host's certificate comes from; a stack configures exactly one.
type TLSSource string

const (
	TLSFromSecret             TLSSource = "tlsSecret"          // an existing Secret in the namespace
	TLSFromClusterIssuer      TLSSource = "clusterIssuer"      // cert-manager issues it into <release>-tls
	TLSFromCertResolver       TLSSource = "certResolver"       // Traefik's own ACME resolver
	TLSFromDefaultCertificate TLSSource = "defaultCertificate" // Traefik's default certificate
)

// TLS is the Ingress's certificate: its source and, except for the default certificate, the
// name of the Secret, ClusterIssuer or resolver.
type TLS struct {
	Source TLSSource
	Name   string
}

// Key is the configuration key that chose this source.
func (t TLS) Key() string { return fullKey("ingress." + string(t.Source)) }

type Ingress struct {
	Host, ClassName string
	TLS             TLS
	Redirect        components.Redirect
}

// Smoke is what the smoke checks (interhub smoke) read from the stack.
type Smoke struct {
	Dashboards []string // URL paths of the admin dashboards; nil when unset
}

// Load reads and validates the running stack's configuration.
func Load(ctx *pulumi.Context) (*Config, error) {
	dir := ctx.RootDirectory()
	if dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			return nil, fmt.Errorf("finding the project directory: %w", err)
		}
		dir = wd
	}
	return Parse(FromContext(ctx), dir)
}

var (
	hostName     = regexp.MustCompile(`^[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?(\.[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?)*$`)
	pgIdent      = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)
	gitRevision  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._/+-]{0,199}$`)
	repoPath     = regexp.MustCompile(`^[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*$`)
	flakeRef     = regexp.MustCompile(`^[A-Za-z0-9.#/_:-]+$`)
	checkoutPath = regexp.MustCompile(`^[A-Za-z0-9._/~-]+$`)
	resolverName = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	svcHost      = regexp.MustCompile(`^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.svc(\.cluster\.local)?$`)
	sslModes     = []string{"disable", "require", "verify-ca", "verify-full"}
)

// Parse validates the configuration from src. dir is the project directory that relative
// paths start from.
func Parse(src Source, dir string) (*Config, error) {
	r := &reader{src: src, dir: dir}
	c := &Config{ProjectDir: dir}

	r.unknownKeys()

	// Kubernetes.
	c.Kubernetes.Namespace = r.dnsLabel("kubernetes.namespace", 63)
	context := r.str("kubernetes.context")
	server := r.str("kubernetes.server")
	if path, abs, content, ok := r.file("kubernetes.kubeconfig"); ok {
		target, err := kubeconfig.Parse(content, filepath.Dir(abs), context)
		switch {
		case err != nil:
			r.fail("kubernetes.kubeconfig", "%s: %v", path, err)
		case server != "" && strings.TrimRight(target.Server, "/") != strings.TrimRight(server, "/"):
			r.fail("kubernetes.kubeconfig", "%s: context %s points at %s, but inter-hub:kubernetes.server expects %s",
				path, target.Context, target.Server, server)
		default:
			inlined, err := kubeconfig.Inline(content, filepath.Dir(abs))
			if err != nil {
				r.fail("kubernetes.kubeconfig", "%s: %v", path, err)
			}
			c.Kubernetes.Kubeconfig, c.Kubernetes.Context, c.Kubernetes.Target = string(inlined), target.Context, target
		}
	}

	// Gate.
	c.Gate.Nodes = r.boolean("gate.nodes")
	c.Gate.Traefik = r.boolean("gate.traefik")
	c.Gate.Postgres = r.boolean("gate.postgres")
	c.Gate.Registry = r.boolean("gate.registry")
	c.Gate.BuildHost = r.boolean("gate.buildHost")
	c.Gate.Pgpool = r.boolean("gate.pgpool")
	c.Gate.Certificates = r.boolean("gate.certificates")
	c.Gate.ImageContract = r.boolean("gate.imageContract")
	c.Gate.Timeout = time.Duration(r.integer("gate.timeoutSeconds", 1, 600)) * time.Second
	if v := r.str("gate.traefikDeployment"); v != "" {
		ns, name, ok := strings.Cut(v, "/")
		if !ok || !isDNSLabel(ns) || !isDNSSubdomain(name) {
			r.fail("gate.traefikDeployment", "must be namespace/name, not %q", v)
		}
		c.Gate.TraefikNamespace, c.Gate.TraefikDeployment = ns, name
	}

	// PostgreSQL.
	c.Postgres.Host = r.host("postgres.host", true)
	c.Postgres.Port = r.integer("postgres.port", 1, 65535)
	c.Postgres.AdminUser = r.required("postgres.adminUser")
	c.Postgres.AdminPassword = r.secret("postgres.adminPassword")
	c.Postgres.SSLMode = oneOf(r, "postgres.sslmode", sslModes...)
	c.Postgres.AppHost = r.host("postgres.appHost", false)
	if c.Postgres.AppHost == "" {
		c.Postgres.AppHost = c.Postgres.Host
	}
	c.Postgres.AppPort = c.Postgres.Port
	if _, set := r.raw("postgres.appPort"); set {
		c.Postgres.AppPort = r.integer("postgres.appPort", 1, 65535)
	}
	c.Postgres.AppSSLMode = c.Postgres.SSLMode
	if _, set := r.raw("postgres.appSslmode"); set {
		c.Postgres.AppSSLMode = oneOf(r, "postgres.appSslmode", sslModes...)
	}

	// Database.
	c.Database.Name = r.pgIdent("database.name")
	c.Database.Role = r.pgIdent("database.role")
	c.Database.PasswordRotation = r.integer("database.passwordRotation", 0, 1<<30)
	if c.Database.Role != "" && c.Database.Role == c.Postgres.AdminUser {
		r.fail("database.role", "must differ from inter-hub:postgres.adminUser (%s)", c.Postgres.AdminUser)
	}

	// pgpool.
	c.Pgpool.Mode = oneOf(r, "pgpool.mode", components.PgpoolBitnami, components.PgpoolPgEnc, components.PgpoolNone)
	switch c.Pgpool.Mode {
	case components.PgpoolBitnami:
		c.Pgpool.UsersSecret = r.dnsSubdomain("pgpool.usersSecret", true)
		c.Pgpool.Namespace = r.dnsLabel("pgpool.namespace", 63)
		c.Pgpool.Service = r.dnsLabel("pgpool.service", 63)
		c.Pgpool.Deployment = r.dnsSubdomain("pgpool.deployment", true)
		// The pods reach pgpool through its Service; a host naming another Service is a typo.
		if svc, ns, ok := serviceHost(c.Postgres.AppHost); ok && c.Pgpool.Service != "" && c.Pgpool.Namespace != "" {
			key := "postgres.appHost"
			if _, set := r.src.Get(fullKey(key)); !set {
				key = "postgres.host"
			}
			if svc != c.Pgpool.Service || ns != c.Pgpool.Namespace {
				r.fail(key, "names the Service %s/%s, but pgpool's is %s/%s (inter-hub:pgpool.namespace, inter-hub:pgpool.service)",
					ns, svc, c.Pgpool.Namespace, c.Pgpool.Service)
			} else {
				c.Pgpool.AppUsesService = true
			}
		}
	case components.PgpoolPgEnc:
		if path, _, _, ok := r.file("pgpool.conf"); ok {
			c.Pgpool.Conf = path
		}
		if path, _, _, ok := r.file("pgpool.keyFile"); ok {
			c.Pgpool.KeyFile = path
		}
	}

	// Session.
	c.Session.Rotation = r.integer("session.rotation", 0, 1<<30)

	// Registry.
	c.Registry.Host = r.hostPort("registry.host", true, true)
	c.Registry.Kind = oneOf(r, "registry.kind", RegistryDistribution, RegistryGitea)
	c.Registry.Repository = r.required("registry.repository")
	switch repo := c.Registry.Repository; {
	case repo == "":
	case c.Registry.Host != "" && strings.HasPrefix(repo, c.Registry.Host+"/"):
		r.fail("registry.repository", "holds the registry host; set only the path here (%q), the host is inter-hub:registry.host",
			strings.TrimPrefix(repo, c.Registry.Host+"/"))
	case !repoPath.MatchString(repo):
		r.fail("registry.repository", "not a repository path (lowercase letters, digits, . _ - and /): %q", repo)
	case c.Registry.Kind == RegistryGitea && !strings.Contains(repo, "/"):
		// Gitea files every package under a user or organization: /v2/<owner>/<name>.
		r.fail("registry.repository", "a gitea registry (inter-hub:registry.kind) needs owner/name, like coulomb/%s: %q names no owner", repo, repo)
	}
	c.Registry.Username = r.required("registry.username")
	c.Registry.Password = r.secret("registry.password")
	if strings.ContainsAny(c.Registry.Password, "\n\r") {
		r.fail("registry.password", "must be a single line")
	}
	// The pull account sits in a Secret in the app's namespace, readable by whoever may read
	// Secrets there: it must be a read-only account, not the push one. Its name goes into an
	// HTTP basic auth "user:password" pair, so it cannot hold a colon.
	c.Registry.PullUsername = r.required("registry.pullUsername")
	switch v := c.Registry.PullUsername; {
	case v == "":
	case strings.ContainsFunc(v, func(c rune) bool { return c == ':' || unicode.IsSpace(c) || unicode.IsControl(c) }):
		r.fail("registry.pullUsername", "must not contain a colon, spaces or control characters: %q", v)
	case v == c.Registry.Username:
		r.fail("registry.pullUsername", "must differ from inter-hub:registry.username (%s): pods pull with a read-only account, not the build's push account", v)
	}
	c.Registry.PullPassword = r.secret("registry.pullPassword")
	if strings.ContainsAny(c.Registry.PullPassword, "\n\r") {
		r.fail("registry.pullPassword", "must be a single line")
	}
	if _, set := r.raw("registry.caFile"); set {
		if path, _, content, ok := r.file("registry.caFile"); ok {
			if !strings.Contains(string(content), "-----BEGIN CERTIFICATE-----") {
				r.fail("registry.caFile", "%s: holds no PEM certificate", path)
			} else {
				c.Registry.CA = content
			}
		}
	}

	// Build host.
	c.Build.Host = r.host("build.host", true)
	c.Build.Port = r.integer("build.port", 1, 65535)
	c.Build.User = r.required("build.user")
	if v := r.required("build.hostKey"); v != "" {
		key, _, _, rest, err := ssh.ParseAuthorizedKey([]byte(v))
		if err != nil || len(strings.TrimSpace(string(rest))) > 0 {
			r.fail("build.hostKey", "not an SSH public key (expected one line like ssh-ed25519 AAAA...)")
		} else {
			c.Build.PublicKey = key
			c.Build.HostKey = strings.TrimSpace(string(ssh.MarshalAuthorizedKey(key)))
		}
	}
	if v := r.secret("build.privateKey"); v != "" {
		signer, err := ssh.ParsePrivateKey([]byte(v))
		switch {
		case err == nil:
			c.Build.PrivateKey, c.Build.Signer = v, signer
		case strings.Contains(err.Error(), "passphrase"):
			r.fail("build.privateKey", "the key is protected by a passphrase; use a key without one")
		default:
			r.fail("build.privateKey", "not an SSH private key")
		}
	}
	c.Build.CheckoutDir = r.required("build.checkoutDir")
	if v := c.Build.CheckoutDir; v != "" && (!checkoutPath.MatchString(v) || strings.Contains(v, "..")) {
		r.fail("build.checkoutDir", "use a plain path (letters, digits, . _ - / ~), not %q", v)
	}
	c.Build.FlakeAttr = r.required("build.flakeAttr")
	if v := c.Build.FlakeAttr; v != "" && !flakeRef.MatchString(v) {
		r.fail("build.flakeAttr", "not a flake reference: %q", v)
	}
	c.Build.Timeout = r.integer("build.timeoutSeconds", 60, 6*3600)

	// App.
	c.App.Revision = r.required("app.revision")
	if v := c.App.Revision; v != "" && (!gitRevision.MatchString(v) || strings.Contains(v, "..") || strings.HasSuffix(v, ".lock")) {
		r.fail("app.revision", "not a git revision: %q", v)
	}
	c.App.Replicas = r.integer("app.replicas", 1, 20)
	c.App.CPURequest = r.quantity("app.cpuRequest")
	c.App.MemoryRequest = r.quantity("app.memoryRequest")
	c.App.CPULimit = r.quantity("app.cpuLimit")
	c.App.MemoryLimit = r.quantity("app.memoryLimit")
	c.App.StorageSize = r.quantity("app.storageSize")
	if c.App.StorageSize == "" {
		r.missing("app.storageSize", "")
	}
	c.App.StorageClass = r.dnsSubdomain("app.storageClass", false)
	c.App.StorageAccess = oneOf(r, "app.storageAccessMode", "ReadWriteOnce", "ReadWriteMany")
	r.notAbove("app.cpuRequest", c.App.CPURequest, "app.cpuLimit", c.App.CPULimit)
	r.notAbove("app.memoryRequest", c.App.MemoryRequest, "app.memoryLimit", c.App.MemoryLimit)
	c.App.MigrateCommand = r.list("app.migrateCommand")
	c.App.NodeSelector = r.labels("app.nodeSelector")

	// Release.
	c.Release.Name = r.dnsLabel("release.name", 53)
	if path, abs, ok := r.directory("release.chart"); ok {
		if _, err := os.Stat(filepath.Join(abs, "Chart.yaml")); err != nil {
			r.fail("release.chart", "%s: not a chart directory (no Chart.yaml)", path)
		} else {
			c.Release.Chart, c.Release.ChartDir = path, abs
		}
	}
	c.Release.Timeout = r.integer("release.timeoutSeconds", 30, 3600)
	c.Release.MaxHistory = r.integer("release.maxHistory", 1, 100)

	// Ingress.
	c.Ingress.Host = r.required("ingress.host")
	if v := c.Ingress.Host; v != "" && !isDNSSubdomain(v) {
		r.fail("ingress.host", "not a lowercase DNS name: %q", v)
	}
	c.Ingress.ClassName = r.dnsSubdomain("ingress.className", true)
	var chosen []TLS
	if v := r.dnsSubdomain("ingress.tlsSecret", false); r.str("ingress.tlsSecret") != "" {
		chosen = append(chosen, TLS{TLSFromSecret, v})
	}
	if v := r.dnsSubdomain("ingress.clusterIssuer", false); r.str("ingress.clusterIssuer") != "" {
		chosen = append(chosen, TLS{TLSFromClusterIssuer, v})
	}
	if v := r.str("ingress.certResolver"); v != "" {
		if !resolverName.MatchString(v) {
			r.fail("ingress.certResolver", "not a Traefik resolver name (letters, digits, - and _): %q", v)
		}
		chosen = append(chosen, TLS{TLSFromCertResolver, v})
	}
	if r.boolean("ingress.defaultCertificate") {
		chosen = append(chosen, TLS{Source: TLSFromDefaultCertificate})
	}
	const oneTLS = "inter-hub:ingress.tlsSecret, inter-hub:ingress.clusterIssuer, inter-hub:ingress.certResolver and inter-hub:ingress.defaultCertificate"
	switch len(chosen) {
	case 0:
		r.missing("ingress.tlsSecret", "set exactly one of "+oneTLS)
	case 1:
		c.Ingress.TLS = chosen[0]
	default:
		r.fail("ingress.tlsSecret", "set exactly one of "+oneTLS+", not more")
	}
	c.Ingress.Redirect = oneOf(r, "ingress.redirect", components.RedirectMiddleware, components.RedirectEntrypoint)

	// Smoke checks.
	c.Smoke.Dashboards = r.urlPaths("smoke.dashboards")

	c.App.BaseURL = r.str("app.baseUrl")
	if c.App.BaseURL == "" && c.Ingress.Host != "" {
		c.App.BaseURL = "https://" + c.Ingress.Host
	} else if c.App.BaseURL != "" {
		u, err := url.Parse(c.App.BaseURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			r.fail("app.baseUrl", "not an http(s) URL: %q", c.App.BaseURL)
		}
	}

	// Secrets last: decrypting is the slowest step and its identity may come from config.
	ageKeyFile := ""
	if _, set := r.raw("secrets.ageKeyFile"); set {
		if _, abs, _, ok := r.file("secrets.ageKeyFile"); ok {
			ageKeyFile = abs
		}
	}
	if path, abs, _, ok := r.file("secrets.sopsFile"); ok {
		values, err := sopsfile.Decrypt(abs, ageKeyFile)
		if err != nil {
			r.fail("secrets.sopsFile", "%s", strings.Replace(err.Error(), abs, path, 1))
		} else {
			c.Secrets.SopsFile, c.Secrets.Values = path, values
			for _, k := range appenv.Reserved {
				if _, clash := values[k]; clash {
					r.fail("secrets.sopsFile", "%s: sets %s, which the program sets itself; remove it from the file", path, k)
				}
			}
		}
	}

	if err := r.err(); err != nil {
		return nil, err
	}
	return c, nil
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

// reader reads typed values and collects problems instead of stopping at the first.
type reader struct {
	src      Source
	dir      string
	problems Problems
}

func (r *reader) fail(key, format string, args ...any) {
	r.problems = append(r.problems, Problem{Key: fullKey(key), Message: fmt.Sprintf(format, args...)})
}

func (r *reader) missing(key, why string) {
	def, _ := keyIndex(key)
	hint := "pulumi config set " + key + " VALUE"
	if def.Secret {
		hint = "pulumi config set --secret " + key + " VALUE"
	}
	if why != "" {
		r.fail(key, "missing: %s (%s)", why, hint)
		return
	}
	r.fail(key, "missing (set it with: %s)", hint)
}

func (r *reader) err() error {
	if len(r.problems) == 0 {
		return nil
	}
	return r.problems.sorted()
}

// raw returns a key's value, or its declared default. set is false when neither exists.
func (r *reader) raw(key string) (value string, set bool) {
	def, known := keyIndex(key)
	if !known {
		panic("stacks: undeclared key " + key)
	}
	if v, ok := r.src.Get(fullKey(key)); ok {
		return v, true
	}
	if def.Default != "" {
		return def.Default, true
	}
	return "", false
}

func (r *reader) str(key string) string {
	v, _ := r.raw(key)
	return strings.TrimSpace(v)
}

func (r *reader) required(key string) string {
	v := r.str(key)
	if v == "" {
		r.missing(key, "")
	}
	return v
}

// secret is a required value that the stack must hold encrypted.
func (r *reader) secret(key string) string {
	v, set := r.raw(key)
	if !set || v == "" {
		r.missing(key, "")
		return ""
	}
	if !r.src.IsSecret(fullKey(key)) {
		r.fail(key, "must be a secret: it is stored in plain text (set it with: pulumi config set --secret %s VALUE)", key)
		return ""
	}
	return v
}

func (r *reader) integer(key string, lo, hi int) int {
	v := r.str(key)
	if v == "" {
		r.missing(key, "")
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		r.fail(key, "not an integer: %q", v)
		return 0
	}
	if n < lo || n > hi {
		r.fail(key, "must be between %d and %d, not %d", lo, hi, n)
		return 0
	}
	return n
}

func (r *reader) boolean(key string) bool {
	v := r.str(key)
	switch v {
	case "true":
		return true
	case "false":
		return false
	}
	r.fail(key, "not a boolean (true or false): %q", v)
	return false
}

// oneOf reads key, which must be one of options; T lets the options be a typed enum.
func oneOf[T ~string](r *reader, key string, options ...T) T {
	names := make([]string, len(options))
	for i, o := range options {
		names[i] = string(o)
	}
	v := r.str(key)
	if v == "" {
		r.missing(key, "one of "+strings.Join(names, ", "))
		return ""
	}
	for _, o := range options {
		if v == string(o) {
			return o
		}
	}
	r.fail(key, "must be one of %s, not %q", strings.Join(names, ", "), v)
	return ""
}

// host accepts a DNS name or an IP address.
func (r *reader) host(key string, required bool) string { return r.hostPort(key, required, false) }

// hostPort accepts a DNS name or an IP address, with a :port when withPort.
func (r *reader) hostPort(key string, required, withPort bool) string {
	v := r.str(key)
	if v == "" {
		if required {
			r.missing(key, "")
		}
		return ""
	}
	h := v
	if hh, port, err := net.SplitHostPort(v); err == nil && withPort {
		if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
			r.fail(key, "not a valid host name or IP address: %q", v)
			return ""
		}
		h = hh
	}
	if net.ParseIP(h) == nil && (!hostName.MatchString(h) || len(h) > 253) {
		r.fail(key, "not a valid host name or IP address: %q", v)
		return ""
	}
	return v
}

// isDNSLabel, isDNSSubdomain and isQuantity are Kubernetes' own rules for names and quantities.
func isDNSLabel(s string) bool     { return len(validation.IsDNS1123Label(s)) == 0 }
func isDNSSubdomain(s string) bool { return len(validation.IsDNS1123Subdomain(s)) == 0 }
func isQuantity(s string) bool {
	_, err := resource.ParseQuantity(s)
	return err == nil
}

func (r *reader) dnsLabel(key string, max int) string {
	v := r.str(key)
	if v == "" {
		r.missing(key, "")
		return ""
	}
	if !isDNSLabel(v) || len(v) > max {
		r.fail(key, "must be a lowercase DNS label of at most %d characters (a-z, 0-9, -), not %q", max, v)
		return ""
	}
	return v
}

func (r *reader) dnsSubdomain(key string, required bool) string {
	v := r.str(key)
	if v == "" {
		if required {
			r.missing(key, "")
		}
		return ""
	}
	if !isDNSSubdomain(v) {
		r.fail(key, "must be a lowercase Kubernetes name (a-z, 0-9, - and .), not %q", v)
		return ""
	}
	return v
}

func (r *reader) pgIdent(key string) string {
	v := r.str(key)
	if v == "" {
		r.missing(key, "")
		return ""
	}
	if !pgIdent.MatchString(v) {
		r.fail(key, "must be a lowercase PostgreSQL identifier (a-z, 0-9, _; at most 63), not %q", v)
		return ""
	}
	return v
}

func (r *reader) quantity(key string) string {
	v := r.str(key)
	if v != "" && !isQuantity(v) {
		r.fail(key, "not a Kubernetes quantity (like 250m, 512Mi or 1Gi): %q", v)
		return ""
	}
	return v
}

// notAbove reports a request above its limit, which Kubernetes would refuse only when the
// release is already being applied.
func (r *reader) notAbove(reqKey, req, limitKey, limit string) {
	if req == "" || limit == "" {
		return
	}
	rq, err1 := resource.ParseQuantity(req)
	lq, err2 := resource.ParseQuantity(limit)
	if err1 != nil || err2 != nil {
		return // the quantity check has reported it
	}
	if rq.Cmp(lq) > 0 {
		r.fail(reqKey, "%s is above inter-hub:%s (%s); a request may not exceed its limit", req, limitKey, limit)
	}
}

// list accepts a JSON list of strings, or one string split on spaces.
func (r *reader) list(key string) []string {
	v := r.str(key)
	if v == "" {
		r.missing(key, "")
		return nil
	}
	if strings.HasPrefix(v, "[") {
		var out []string
		if err := jsonUnmarshal(v, &out); err != nil || len(out) == 0 {
			r.fail(key, "must be a non-empty list of strings")
			return nil
		}
		for _, s := range out {
			if strings.TrimSpace(s) == "" {
				r.fail(key, "must not contain empty strings")
				return nil
			}
		}
		return out
	}
	return strings.Fields(v)
}

// urlPaths accepts a list (as list does) of paths of the app: each starts with a single /, has
// no spaces or fragment, and appears once. Unset: nil, no problem.
func (r *reader) urlPaths(key string) []string {
	if _, set := r.raw(key); !set {
		return nil
	}
	paths := r.list(key)
	seen := map[string]bool{}
	for _, p := range paths {
		u, err := url.Parse(p)
		switch {
		case !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//"):
			r.fail(key, "%q does not start with a single / (each entry is a path of the app, not a URL)", p)
		case err != nil || u.Fragment != "" || strings.ContainsFunc(p, func(c rune) bool { return unicode.IsSpace(c) || unicode.IsControl(c) }):
			r.fail(key, "%q is not a URL path (no spaces, control characters or #fragment)", p)
		case seen[p]:
			r.fail(key, "%q is listed more than once", p)
		default:
			seen[p] = true
			continue
		}
		return nil
	}
	return paths
}

// SmokeDashboards validates inter-hub:smoke.dashboards alone, for the smoke checks: nil when it
// is unset, Problems naming the key when it is invalid.
func SmokeDashboards(src Source) ([]string, error) {
	r := &reader{src: src}
	paths := r.urlPaths("smoke.dashboards")
	return paths, r.err()
}

// labels accepts a mapping of Kubernetes label keys to values.
func (r *reader) labels(key string) map[string]string {
	v := r.str(key)
	if v == "" {
		return nil
	}
	var out map[string]string
	if err := jsonUnmarshal(v, &out); err != nil {
		r.fail(key, "must be a mapping of node label to value")
		return nil
	}
	for k, val := range out {
		if len(validation.IsQualifiedName(k)) > 0 || len(validation.IsValidLabelValue(val)) > 0 {
			r.fail(key, "not a valid label %q: %q", k, val)
			return nil
		}
	}
	return out
}

// resolve returns the configured path and its absolute form (relative to the project directory,
// with a leading ~/ meaning the user's home).
func (r *reader) resolve(path string) string {
	if rest, ok := strings.CutPrefix(path, "~/"); ok {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, rest)
		}
	}
	if filepath.IsAbs(path) {
		return filepath.Clean(path)
	}
	return filepath.Join(r.dir, path)
}

// file reads a required file. ok is false (with a problem recorded) when it cannot be read.
func (r *reader) file(key string) (path, abs string, content []byte, ok bool) {
	path = r.required(key)
	if path == "" {
		return "", "", nil, false
	}
	abs = r.resolve(path)
	content, err := os.ReadFile(abs)
	if err != nil {
		r.fail(key, "cannot read %s: %s", path, osReason(err))
		return "", "", nil, false
	}
	return path, abs, content, true
}

func (r *reader) directory(key string) (path, abs string, ok bool) {
	path = r.required(key)
	if path == "" {
		return "", "", false
	}
	abs = r.resolve(path)
	st, err := os.Stat(abs)
	if err != nil {
		r.fail(key, "cannot read %s: %s", path, osReason(err))
		return "", "", false
	}
	if !st.IsDir() {
		r.fail(key, "%s: not a directory", path)
		return "", "", false
	}
	return path, abs, true
}

// osReason is the short cause of a file error, without the path that the message already has.
func osReason(err error) string {
	var pe *os.PathError
	if ok := asPathError(err, &pe); ok {
		return pe.Err.Error()
	}
	return err.Error()
}

// unknownKeys reports keys of this project that the table does not declare (usually typos).
func (r *reader) unknownKeys() {
	for _, full := range r.src.Keys() {
		name, ours := shortKey(full)
		if !ours {
			continue
		}
		if _, known := keyIndex(name); known {
			continue
		}
		if s := suggest(name); s != "" {
			r.problems = append(r.problems, Problem{Key: full, Message: "unknown key (did you mean " + fullKey(s) + "?)"})
		} else {
			r.problems = append(r.problems, Problem{Key: full, Message: "unknown key (docs/CONFIG.md lists the keys)"})
		}
	}
}
