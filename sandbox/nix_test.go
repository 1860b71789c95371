//go:build integration

package sandbox_test

// Tests of the build host's `nix` stand-in, run locally on a throwaway repository: they need git,
// crane (from the toolchain) and Debian's GHC (`sandbox.sh up` installs it), not a running sandbox.

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// nixEnv returns the environment the stand-in needs, skipping (or failing under
// INTERHUB_REQUIRE_SANDBOX=1) when crane or GHC is not available.
func nixEnv(t *testing.T, store string) []string {
	t.Helper()
	if _, err := exec.LookPath("ghc"); err != nil {
		msg := "ghc not found on PATH; install Debian's GHC: apt-get install -y ghc libghc-warp-dev libghc-postgresql-simple-dev"
		if os.Getenv("INTERHUB_REQUIRE_SANDBOX") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	path := os.Getenv("PATH")
	if _, err := exec.LookPath("crane"); err != nil {
		prefix := os.Getenv("INTERHUB_TOOLS_PREFIX")
		if prefix == "" || !fileExists(filepath.Join(prefix, "bin", "crane")) {
			msg := "crane not found on PATH or in $INTERHUB_TOOLS_PREFIX/bin; run `eval \"$(toolchain/tools.sh env)\"`"
			if os.Getenv("INTERHUB_REQUIRE_SANDBOX") == "1" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
		path = filepath.Join(prefix, "bin") + ":" + path
	}
	return append(os.Environ(), "PATH="+path, "HASKELSEED_STORE="+store)
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.invalid", "GIT_AUTHOR_DATE=2026-01-01T00:00:00Z",
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.invalid", "GIT_COMMITTER_DATE=2026-01-01T00:00:00Z")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v: %s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// sampleParent names the revision each directory of sandbox/haskelseed/sample but v1 (a whole
// tree) holds the added and changed files of, as sample_origin in lib/buildhost.sh commits them.
var sampleParent = map[string]string{"v2": "v1", "broken": "v2", "crash-at-start": "v2", "bad-migration": "v2", "no-migrate": "v2"}

// sampleCheckout makes a repository holding one of sandbox/haskelseed/sample's revisions: v1's
// tree with each overlay on the way to the revision copied over it.
func sampleCheckout(t *testing.T, sample string) string {
	t.Helper()
	dir := t.TempDir()
	git(t, dir, "init", "-q", "-b", "main")
	var chain []string
	for s := sample; s != ""; s = sampleParent[s] {
		chain = append([]string{s}, chain...)
	}
	for _, s := range chain {
		copyOver(t, filepath.Join("haskelseed", "sample", s), dir)
	}
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-q", "-m", sample)
	return dir
}

// copyOver copies the files below src to the same paths below dst, replacing those that exist.
func copyOver(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, info.Mode().Perm())
	})
	if err != nil {
		t.Fatal(err)
	}
}

func nixBuild(t *testing.T, dir string, env []string, args ...string) (string, error) {
	t.Helper()
	script, err := filepath.Abs(filepath.Join("haskelseed", "nix"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(script, append([]string{"build"}, args...)...)
	cmd.Dir = dir
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	if err != nil {
		return stderr.String(), err
	}
	return strings.TrimSpace(stdout.String()), nil
}

func sha(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestNixStandInIsReproducible(t *testing.T) {
	dir := sampleCheckout(t, "v1")
	rev := git(t, dir, "rev-parse", "HEAD")

	var digests []string
	for i := 0; i < 2; i++ {
		store := t.TempDir()
		out, err := nixBuild(t, dir, nixEnv(t, store), ".#docker", "--print-out-paths")
		if err != nil {
			t.Fatalf("nix build: %v: %s", err, out)
		}
		if filepath.Dir(out) != store || !strings.HasSuffix(out, "-docker-image-inter-hub.tar.gz") {
			t.Fatalf("out path %q is not a docker image in the store %s", out, store)
		}
		link, err := os.Readlink(filepath.Join(dir, "result"))
		if err != nil || link != out {
			t.Fatalf("result -> %q (%v), want %q", link, err, out)
		}
		digests = append(digests, sha(t, out))
	}
	if digests[0] != digests[1] {
		t.Fatalf("two builds of one revision differ: %s vs %s", digests[0], digests[1])
	}

	cfg, layer := readImage(t, filepath.Join(dir, "result"))
	if got := cfg.Config.Labels["org.opencontainers.image.revision"]; got != rev {
		t.Errorf("revision label %q, want %s", got, rev)
	}
	if _, ok := cfg.Config.ExposedPorts["8000/tcp"]; !ok || cfg.OS != "linux" {
		t.Errorf("image config %+v lacks port 8000 or os linux", cfg)
	}
	// The IHP image contract: Cmd is the server, migrate and cp are on PATH (and the sample's
	// create-admin), the migrations' directory is in the environment.
	if got := strings.Join(cfg.Config.Cmd, " "); got != "/bin/RunProdServer" || len(cfg.Config.Entrypoint) != 0 {
		t.Errorf("Cmd %q, Entrypoint %q; want Cmd /bin/RunProdServer and no Entrypoint", got, cfg.Config.Entrypoint)
	}
	if cfg.Config.WorkingDir != "/app" {
		t.Errorf("WorkingDir %q, want /app", cfg.Config.WorkingDir)
	}
	for _, kv := range []string{"PATH=/bin", "IHP_MIGRATION_DIR=/app/Application/Migration/", "PORT=8000", "INTERHUB_REVISION=" + rev} {
		if !slices.Contains(cfg.Config.Env, kv) {
			t.Errorf("Env %q lacks %s", cfg.Config.Env, kv)
		}
	}
	commitTime, err := strconv.ParseInt(git(t, dir, "log", "-1", "--format=%ct"), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{
		"bin/RunProdServer", "bin/migrate", "bin/create-admin", "bin/cp", "bin/sleep", "bin/sh", "bin/psql", "lib64",
		"usr/lib64/ld-linux-x86-64.so.2", "etc/ssl/certs/ca-certificates.crt", "etc/passwd", "etc/group", "tmp/",
		"app/static/app.css", "app/Application/Migration/1767225600-create-hubs.sql",
		"app/Application/Migration/1767225660-create-admins.sql", "app/Application/Schema.sql", "app/IHPSchema.sql",
	} {
		h, ok := layer[name]
		if !ok {
			t.Errorf("the layer lacks %s", name)
			continue
		}
		if h.Uid != 0 || h.Gid != 0 || h.ModTime.Unix() != commitTime {
			t.Errorf("%s: owner %d:%d, mtime %s; want 0:0 and the commit time", name, h.Uid, h.Gid, h.ModTime)
		}
	}
	if h, ok := layer["tmp/"]; ok && h.Mode&0o7777 != 0o1777 {
		t.Errorf("tmp/ has mode %o, want 1777", h.Mode&0o7777)
	}
	for _, name := range []string{"app/Main.hs", "app/flake.nix", "app/inter-hub.cabal"} {
		if _, ok := layer[name]; ok {
			t.Errorf("the layer holds the source file %s", name)
		}
	}
	// The build leaves the checkout as it was: no objects, no binaries.
	if st := git(t, dir, "status", "--porcelain", "--ignored", "--untracked-files=all"); st != "?? result" {
		t.Errorf("the checkout changed during the build: %q", st)
	}
}

type imageCfg struct {
	OS     string `json:"os"`
	Config struct {
		Cmd          []string
		Entrypoint   []string
		Env          []string
		WorkingDir   string
		ExposedPorts map[string]struct{}
		Labels       map[string]string
	} `json:"config"`
}

// readImage reads the image config and the headers of its one layer out of a gzipped
// docker-archive.
func readImage(t *testing.T, archive string) (imageCfg, map[string]*tar.Header) {
	t.Helper()
	f, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s is not gzipped: %v", archive, err)
	}
	files := map[string][]byte{}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		files[h.Name] = b
	}
	var manifest []struct {
		Config string
		Layers []string
	}
	if err := json.Unmarshal(files["manifest.json"], &manifest); err != nil || len(manifest) != 1 {
		t.Fatalf("docker-archive manifest.json: %v (%d entries)", err, len(manifest))
	}
	var cfg imageCfg
	if err := json.Unmarshal(files[manifest[0].Config], &cfg); err != nil {
		t.Fatalf("image config: %v", err)
	}
	if len(manifest[0].Layers) != 1 {
		t.Fatalf("the image has %d layers, want 1", len(manifest[0].Layers))
	}
	var lr io.Reader = bytes.NewReader(files[manifest[0].Layers[0]])
	if gz, err := gzip.NewReader(bytes.NewReader(files[manifest[0].Layers[0]])); err == nil {
		lr = gz
	}
	layer := map[string]*tar.Header{}
	ltr := tar.NewReader(lr)
	for {
		h, err := ltr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("layer %s: %v", manifest[0].Layers[0], err)
		}
		layer[h.Name] = h
	}
	return cfg, layer
}

func TestNixStandInRevisionsDiffer(t *testing.T) {
	store := t.TempDir()
	env := nixEnv(t, store)
	var outs []string
	// crash-at-start, bad-migration and no-migrate build too: they fail only when they run or
	// when the program checks the image.
	for _, sample := range []string{"v1", "v2", "crash-at-start", "bad-migration", "no-migrate"} {
		out, err := nixBuild(t, sampleCheckout(t, sample), env, ".#docker", "--no-link", "--print-out-paths")
		if err != nil {
			t.Fatalf("%s: %v: %s", sample, err, out)
		}
		outs = append(outs, out)
	}
	// no-migrate's cabal file has no migrate: its image has the server and no /bin/migrate.
	_, layer := readImage(t, outs[len(outs)-1])
	if _, ok := layer["bin/migrate"]; ok {
		t.Error("the no-migrate image holds bin/migrate")
	}
	if _, ok := layer["bin/RunProdServer"]; !ok {
		t.Error("the no-migrate image lacks bin/RunProdServer")
	}
	seen := map[string]bool{}
	for _, out := range outs {
		if seen[out] || seen[sha(t, out)] {
			t.Fatalf("two revisions built the same image: %v", outs)
		}
		seen[out], seen[sha(t, out)] = true, true
	}
}

func TestNixStandInFailsClearly(t *testing.T) {
	store := t.TempDir()
	env := nixEnv(t, store)
	v1 := sampleCheckout(t, "v1")
	if err := os.WriteFile(filepath.Join(v1, "Main.hs"), []byte("changed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A revision whose server does not compile.
	typo := sampleCheckout(t, "v2")
	if err := os.WriteFile(filepath.Join(typo, "Main.hs"), []byte("module Main (main) where\nmain = putStrLn undefinedName\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	git(t, typo, "commit", "-q", "-am", "typo")
	cases := []struct {
		name, dir string
		args      []string
		want      string
	}{
		{"broken revision", sampleCheckout(t, "broken"), []string{".#docker"}, "marked as broken"},
		{"unknown attribute", sampleCheckout(t, "v2"), []string{".#app"}, "unsupported installable '.#app'"},
		{"unknown option", sampleCheckout(t, "v2"), []string{".#docker", "--impure"}, "unsupported option '--impure'"},
		{"dirty tree", v1, []string{".#docker"}, "uncommitted changes"},
		{"compile error", typo, []string{".#docker"}, "Variable not in scope: undefinedName"},
		{"not a checkout", t.TempDir(), []string{".#docker"}, "is not a git checkout"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := nixBuild(t, c.dir, env, c.args...)
			if err == nil {
				t.Fatalf("nix build succeeded, want an error containing %q", c.want)
			}
			if !strings.Contains(out, c.want) {
				t.Fatalf("error %q does not contain %q", out, c.want)
			}
			if fileExists(filepath.Join(c.dir, "result")) {
				t.Fatal("a failed build left a result link")
			}
		})
	}
	entries, err := os.ReadDir(store)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Fatalf("failed builds left %d entries in the store", len(entries))
	}
}

func TestNixStandInSlowBuildHook(t *testing.T) {
	dir := sampleCheckout(t, "v2")
	f := filepath.Join(dir, "flake.nix")
	b, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f, append([]byte("# sandbox: build-seconds 2\n"), b...), 0o644); err != nil {
		t.Fatal(err)
	}
	git(t, dir, "commit", "-q", "-am", "slow build")
	env := nixEnv(t, t.TempDir())
	start := time.Now()
	if out, err := nixBuild(t, dir, env, ".#docker"); err != nil {
		t.Fatalf("nix build: %v: %s", err, out)
	}
	if d := time.Since(start); d < 2*time.Second {
		t.Fatalf("a build marked build-seconds 2 took %s", d)
	}
	// Built once, the revision is in the store: no second wait.
	start = time.Now()
	if out, err := nixBuild(t, dir, env, ".#docker"); err != nil {
		t.Fatalf("second nix build: %v: %s", err, out)
	}
	if d := time.Since(start); d >= 2*time.Second {
		t.Fatalf("the second build of a stored revision took %s", d)
	}
}
