// Package postgresql serves the provider configuration, Role and Database of
// the official postgresql plugin (a bridged Terraform provider) under the same
// tokens, property names, defaults and replace semantics.
package postgresql

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"time"

	"github.com/pulumi/pulumi-go-provider/infer"

	"interhub/toolchain/providers/internal/pgadmin"
)

// ClientCert is postgresql:index/ProviderClientcert:ProviderClientcert.
type ClientCert struct {
	Cert      string `pulumi:"cert"`
	Key       string `pulumi:"key"`
	SSLInline *bool  `pulumi:"sslinline,optional"`
}

func (c *ClientCert) Annotate(a infer.Annotator) {
	a.SetToken("index/ProviderClientcert", "ProviderClientcert")
}

// Config is the provider configuration. The cloud IAM options exist so a
// program written for the official plugin type-checks here, but setting them
// is refused: this plugin only does password authentication.
type Config struct {
	Host             *string     `pulumi:"host,optional"`
	Port             *int        `pulumi:"port,optional"`
	Username         *string     `pulumi:"username,optional"`
	Password         *string     `pulumi:"password,optional" provider:"secret"`
	Database         *string     `pulumi:"database,optional"`
	DatabaseUsername *string     `pulumi:"databaseUsername,optional"`
	Sslmode          *string     `pulumi:"sslmode,optional"`
	SslMode          *string     `pulumi:"sslMode,optional"`
	Sslrootcert      *string     `pulumi:"sslrootcert,optional"`
	Clientcert       *ClientCert `pulumi:"clientcert,optional"`
	ConnectTimeout   *int        `pulumi:"connectTimeout,optional"`
	Superuser        *bool       `pulumi:"superuser,optional"`
	ExpectedVersion  *string     `pulumi:"expectedVersion,optional"`
	MaxConnections   *int        `pulumi:"maxConnections,optional"`
	Scheme           *string     `pulumi:"scheme,optional"`

	AwsRdsIamAuth                   *bool   `pulumi:"awsRdsIamAuth,optional"`
	AwsRdsIamProfile                *string `pulumi:"awsRdsIamProfile,optional"`
	AwsRdsIamRegion                 *string `pulumi:"awsRdsIamRegion,optional"`
	AwsRdsIamProviderRoleArn        *string `pulumi:"awsRdsIamProviderRoleArn,optional"`
	AzureIdentityAuth               *bool   `pulumi:"azureIdentityAuth,optional"`
	AzureTenantId                   *string `pulumi:"azureTenantId,optional"`
	GcpIamImpersonateServiceAccount *string `pulumi:"gcpIamImpersonateServiceAccount,optional"`
}

func (c *Config) Annotate(a infer.Annotator) {
	a.Describe(&c.Host, "Name of PostgreSQL server address to connect to")
	a.SetDefault(&c.Host, "localhost", "PGHOST")
	a.Describe(&c.Port, "The PostgreSQL port number to connect to at the server host")
	a.SetDefault(&c.Port, 5432, "PGPORT")
	a.Describe(&c.Username, "PostgreSQL user name to connect as")
	a.SetDefault(&c.Username, "postgres", "PGUSER")
	a.Describe(&c.Password, "Password to be used if the PostgreSQL server demands password authentication")
	a.Describe(&c.Database, "The name of the database to connect to in order to connect to (defaults to `postgres`).")
	a.SetDefault(&c.Database, "postgres", "PGDATABASE")
	a.Describe(&c.Sslmode, "This option determines whether or with what priority a secure SSL TCP/IP connection will be negotiated with the PostgreSQL server")
	a.Deprecate(&c.SslMode, "Rename PostgreSQL provider `sslMode` attribute to `sslmode`")
	a.Describe(&c.ConnectTimeout, "Maximum wait for connection, in seconds. Zero or not specified means wait indefinitely.")
	a.SetDefault(&c.ConnectTimeout, 180, "PGCONNECT_TIMEOUT")
	a.Describe(&c.Superuser, "Specify if the user to connect as is a Postgres superuser or not. If not, some features are disabled (e.g.: refreshing the role password from Postgres)")
	a.SetDefault(&c.Superuser, true, "PGSUPERUSER")
	a.SetDefault(&c.ExpectedVersion, "9.0.0")
	a.SetDefault(&c.MaxConnections, 20)
	a.SetDefault(&c.Scheme, "postgres")
}

var sslModes = []string{"disable", "allow", "prefer", "require", "verify-ca", "verify-full"}

// Configure refuses settings this plugin cannot honour, naming the key.
func (c *Config) Configure(ctx context.Context) error {
	var errs []error
	bad := func(key, why string) { errs = append(errs, fmt.Errorf("postgresql:%s %s", key, why)) }
	if s := deref(c.Scheme, "postgres"); s != "postgres" {
		bad("scheme", fmt.Sprintf("is %q; this offline plugin supports only \"postgres\" (use the official plugin for cloud schemes)", s))
	}
	if deref(c.AwsRdsIamAuth, false) {
		bad("awsRdsIamAuth", "is not supported by this offline plugin")
	}
	if deref(c.AzureIdentityAuth, false) {
		bad("azureIdentityAuth", "is not supported by this offline plugin")
	}
	if deref(c.GcpIamImpersonateServiceAccount, "") != "" {
		bad("gcpIamImpersonateServiceAccount", "is not supported by this offline plugin")
	}
	if c.Clientcert != nil {
		bad("clientcert", "is not supported by this offline plugin")
	}
	if m := c.sslMode(); m != "" && !slices.Contains(sslModes, m) {
		bad("sslmode", fmt.Sprintf("is %q; expected one of %v", m, sslModes))
	}
	if p := deref(c.Port, 5432); p < 1 || p > 65535 {
		bad("port", fmt.Sprintf("is %d; expected 1 to 65535", p))
	}
	if t := deref(c.ConnectTimeout, 180); t < 0 {
		bad("connectTimeout", fmt.Sprintf("is %d; expected 0 (no limit) or more seconds", t))
	}
	return errors.Join(errs...)
}

func (c *Config) sslMode() string {
	if m := deref(c.Sslmode, ""); m != "" {
		return m
	}
	if m := deref(c.SslMode, ""); m != "" {
		return m
	}
	return os.Getenv("PGSSLMODE")
}

func (c *Config) server() pgadmin.Server {
	return pgadmin.Server{
		Host:           deref(c.Host, envOr("PGHOST", "localhost")),
		Port:           deref(c.Port, envInt("PGPORT", 5432)),
		User:           deref(c.Username, envOr("PGUSER", "postgres")),
		Password:       deref(c.Password, os.Getenv("PGPASSWORD")),
		Database:       deref(c.Database, envOr("PGDATABASE", "postgres")),
		SSLMode:        c.sslMode(),
		SSLRootCert:    deref(c.Sslrootcert, ""),
		ConnectTimeout: time.Duration(deref(c.ConnectTimeout, envInt("PGCONNECT_TIMEOUT", 180))) * time.Second,
	}
}

// superuser is the superuser setting, PGSUPERUSER when unset, true by default.
func (c *Config) superuser() bool {
	if c.Superuser != nil {
		return *c.Superuser
	}
	if b, err := strconv.ParseBool(os.Getenv("PGSUPERUSER")); err == nil {
		return b
	}
	return true
}

// envOr and envInt give the PG* environment fallbacks at Configure, where
// the official plugin applies them (its checked configuration holds only
// what the program set).
func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func envInt(key string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(key)); err == nil {
		return n
	}
	return def
}

// connect opens an administrative session with the provider configuration.
func connect(ctx context.Context) (*pgadmin.Conn, *Config, error) {
	cfg := infer.GetConfig[*Config](ctx)
	conn, err := pgadmin.Connect(ctx, cfg.server(), "")
	return conn, cfg, err
}

func deref[T any](v *T, def T) T {
	if v == nil {
		return def
	}
	return *v
}

func ptr[T any](v T) *T { return &v }
