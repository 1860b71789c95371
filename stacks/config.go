// Package stacks is the only place that knows the project's configuration keys. It reads a
// stack's configuration into a typed Config and validates all of it at once: every problem is
// reported, each naming its key, before the program registers any resource.
//
// keys.go declares every key with its default; reader.go reads one value of a kind (a host, a
// quantity, a secret); each section's file holds its type and the rules that relate its keys.
package stacks

import (
	"fmt"
	"os"

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

// Parse validates the configuration from src. dir is the project directory that relative
// paths start from.
func Parse(src Source, dir string) (*Config, error) {
	r := &reader{src: src, dir: dir}
	r.unknownKeys()
	c := &Config{ProjectDir: dir}
	c.Kubernetes = r.kubernetes()
	c.Gate = r.gate()
	c.Postgres = r.postgres()
	c.Database = r.database(c.Postgres)
	c.Pgpool = r.pgpool(c.Postgres)
	c.Session = r.session()
	c.Registry = r.registry()
	c.Build = r.build()
	c.Ingress = r.ingress()
	c.App = r.app(c.Ingress.Host)
	c.Release = r.release()
	c.Smoke = r.smoke()
	// Secrets last: decrypting is the slowest step and its identity may come from config.
	c.Secrets = r.secrets()
	if err := r.err(); err != nil {
		return nil, err
	}
	return c, nil
}
