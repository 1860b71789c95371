// Package imagecontract checks that an app image holds what the chart runs in it
// (deploy/app-repo/IMAGE-CONTRACT.md): the server, the migration command, the migration files,
// the static files and the command that copies them, and CA certificates. It reads the image's
// config and layers from the registry, so that an image lacking any of them stops the run before
// the release, rather than as a migration Job or init container that cannot start.
package imagecontract

import (
	"fmt"
	"path"
	"strings"
)

// StaticDir is where the chart mounts the static files' volume, which the image's own files
// there are copied onto.
const StaticDir = "/app/static"

// defaultPath is the PATH a container gets when its image sets none.
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// Contract is what the chart and the stack run in the image.
type Contract struct {
	// MigrateCommand is the migration Job's command (inter-hub:app.migrateCommand).
	MigrateCommand []string
	// StaticCommand is the init container's copy onto the volume (the chart's
	// staticSync.command); nil when the chart's staticSync is off.
	StaticCommand []string
	// SchemaFiles are the files the migration Job loads with psql into a database without
	// tables (the chart's migrate.schema.files), relative to the working directory; nil when the
	// chart's migrate.schema is off.
	SchemaFiles []string
}

// schemaTools are what the chart's files/migrate.sh runs when the schema step is on.
var schemaTools = []string{"sh", "psql", "sleep"}

// Problems lists what img lacks, each naming the file or setting and who needs it; none when
// the image holds everything.
func (c Contract) Problems(img Image) []string {
	var out []string
	cfg, files := img.Config, img.Files
	pathEnv, ok := cfg.Getenv("PATH")
	if !ok {
		pathEnv = defaultPath
	}
	workdir := cfg.WorkingDir
	if workdir == "" {
		workdir = "/"
	}
	// inWorkdir resolves a path as the container does: relative ones from the working directory.
	inWorkdir := func(p string) string {
		if path.IsAbs(p) {
			return p
		}
		return path.Join(workdir, p)
	}
	lookPath := func(cmd string) bool {
		if strings.Contains(cmd, "/") {
			return files.IsExecutable(inWorkdir(cmd))
		}
		for _, dir := range strings.Split(pathEnv, ":") {
			if dir != "" && files.IsExecutable(path.Join(dir, cmd)) {
				return true
			}
		}
		return false
	}

	server := append(append([]string{}, cfg.Entrypoint...), cfg.Cmd...)
	switch {
	case len(server) == 0:
		out = append(out, "the config has neither Cmd nor Entrypoint: the app's container has nothing to run")
	case !lookPath(server[0]):
		out = append(out, fmt.Sprintf("the server %s (the config's Cmd/Entrypoint) is not an executable file in the image (PATH %s)", server[0], pathEnv))
	}

	if len(c.MigrateCommand) > 0 && !lookPath(c.MigrateCommand[0]) {
		out = append(out, fmt.Sprintf("the migration command %s (inter-hub:app.migrateCommand, run by the migration Job) is not an executable file on the image's PATH %s",
			c.MigrateCommand[0], pathEnv))
	}
	// IHP's migrate reads IHP_MIGRATION_DIR, by default Application/Migration/ in its working
	// directory.
	migrations, set := cfg.Getenv("IHP_MIGRATION_DIR")
	if !set {
		migrations = "Application/Migration/"
	}
	migrations = inWorkdir(migrations)
	if !files.IsDir(migrations) {
		if set {
			out = append(out, fmt.Sprintf("IHP_MIGRATION_DIR is %s, which is not a directory in the image (migrate reads the migration files there)", migrations))
		} else {
			out = append(out, fmt.Sprintf("no directory %s, where migrate reads the migration files without IHP_MIGRATION_DIR in the config's Env", migrations))
		}
	}

	if len(c.SchemaFiles) > 0 {
		for _, tool := range schemaTools {
			if !lookPath(tool) {
				out = append(out, fmt.Sprintf("%s is not an executable file on the image's PATH %s: the migration Job's schema step (the chart's migrate.schema) runs it", tool, pathEnv))
			}
		}
		for _, f := range c.SchemaFiles {
			if abs := inWorkdir(f); !files.IsFile(abs) {
				out = append(out, fmt.Sprintf("no file %s: the schema the migration Job loads into an empty database (the chart's migrate.schema.files)", abs))
			}
		}
	}

	if len(c.StaticCommand) > 0 {
		if !lookPath(c.StaticCommand[0]) {
			out = append(out, fmt.Sprintf("the command %s (the chart's staticSync.command, which copies %s onto its volume) is not an executable file on the image's PATH %s",
				c.StaticCommand[0], StaticDir, pathEnv))
		}
		if !files.IsDir(StaticDir) {
			out = append(out, fmt.Sprintf("no directory %s: the app's static files, which the chart copies onto the volume mounted there", StaticDir))
		}
	}

	if !hasCACertificates(cfg, files) {
		out = append(out, "no CA certificates (/etc/ssl/certs/ca-bundle.crt or ca-certificates.crt, or a file named by SSL_CERT_FILE): the app's outgoing TLS connections would fail")
	}
	return out
}

func hasCACertificates(cfg Config, files *Tree) bool {
	if f, ok := cfg.Getenv("SSL_CERT_FILE"); ok && files.IsFile(f) {
		return true
	}
	return files.IsFile("/etc/ssl/certs/ca-bundle.crt") || files.IsFile("/etc/ssl/certs/ca-certificates.crt")
}
