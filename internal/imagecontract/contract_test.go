package imagecontract

import (
	"archive/tar"
	"bytes"
	"strings"
	"testing"
)

// layer is a tar of entries: "path/" a directory, "path -> target" a symlink, "path*" an
// executable file, anything else a plain file.
func layer(t *testing.T, entries ...string) *tar.Reader {
	t.Helper()
	var buf bytes.Buffer
	w := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e, Mode: 0o644, Typeflag: tar.TypeReg}
		switch {
		case strings.Contains(e, " -> "):
			name, target, _ := strings.Cut(e, " -> ")
			h = &tar.Header{Name: name, Linkname: target, Mode: 0o777, Typeflag: tar.TypeSymlink}
		case strings.HasSuffix(e, "/"):
			h = &tar.Header{Name: e, Mode: 0o755, Typeflag: tar.TypeDir}
		case strings.HasSuffix(e, "*"):
			h = &tar.Header{Name: strings.TrimSuffix(e, "*"), Mode: 0o755, Typeflag: tar.TypeReg}
		}
		if err := w.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return tar.NewReader(&buf)
}

func tree(t *testing.T, layers ...[]string) *Tree {
	t.Helper()
	tr := NewTree()
	for _, l := range layers {
		if err := tr.Apply(layer(t, l...)); err != nil {
			t.Fatal(err)
		}
	}
	return tr
}

// A nix-built image: every program a symlink into the store, layers one per store path.
var nixLayers = [][]string{
	{"nix/store/aaa-inter-hub/bin/RunProdServer*", "nix/store/aaa-inter-hub/bin/migrate*"},
	{"nix/store/bbb-coreutils/bin/cp*", "nix/store/bbb-coreutils/bin/sleep*", "nix/store/bbb-coreutils/bin/sh -> cp"},
	{"nix/store/ccc-cacert/etc/ssl/certs/ca-bundle.crt"},
	{"nix/store/ddd-app-files/app/static/app.css", "nix/store/ddd-app-files/app/Application/Migration/1-a.sql",
		"nix/store/ddd-app-files/app/Application/Schema.sql", "nix/store/ddd-app-files/app/IHPSchema.sql"},
	{"nix/store/eee-postgresql/bin/psql*"},
	{
		"bin/", "bin/RunProdServer -> /nix/store/aaa-inter-hub/bin/RunProdServer",
		"bin/migrate -> ../nix/store/aaa-inter-hub/bin/migrate",
		"bin/cp -> /nix/store/bbb-coreutils/bin/cp",
		"bin/sleep -> /nix/store/bbb-coreutils/bin/sleep",
		"bin/sh -> /nix/store/bbb-coreutils/bin/sh",
		"bin/psql -> /nix/store/eee-postgresql/bin/psql",
		"etc/ssl -> /nix/store/ccc-cacert/etc/ssl",
		"app -> /nix/store/ddd-app-files/app",
	},
}

var nixConfig = Config{
	Cmd:        []string{"/bin/RunProdServer"},
	WorkingDir: "/app",
	Env:        []string{"PATH=/bin", "IHP_MIGRATION_DIR=/app/Application/Migration/", "PORT=8000"},
}

var chartContract = Contract{MigrateCommand: []string{"migrate"}, StaticCommand: []string{"cp", "-a", "/app/static/.", "/volume/static/"},
	SchemaFiles: []string{"IHPSchema.sql", "Application/Schema.sql"}}

func TestTreeFollowsLinksAndWhiteouts(t *testing.T) {
	tr := tree(t, nixLayers...)
	for _, p := range []string{"/bin/migrate", "/bin/cp", "/nix/store/bbb-coreutils/bin/sh", "bin/RunProdServer"} {
		if !tr.IsExecutable(p) {
			t.Errorf("%s is not executable through its links", p)
		}
	}
	for _, p := range []string{"/app/static", "/app/Application/Migration/", "/etc/ssl/certs"} {
		if !tr.IsDir(p) {
			t.Errorf("%s is not a directory through its links", p)
		}
	}
	if tr.IsExecutable("/nix/store/ccc-cacert/etc/ssl/certs/ca-bundle.crt") || !tr.IsFile("/etc/ssl/certs/ca-bundle.crt") {
		t.Error("a 0644 file is executable, or is not found through a linked directory")
	}
	if tr.IsFile("/bin/RunProdServer/x") || tr.IsDir("/missing") {
		t.Error("a path through a file, or a missing path, was found")
	}

	// A later layer's whiteouts remove a file and, opaquely, a directory's earlier contents.
	tr2 := tree(t, append(nixLayers, []string{"bin/.wh.migrate", "nix/store/ddd-app-files/app/static/.wh..wh..opq", "nix/store/ddd-app-files/app/static/new.css"})...)
	if tr2.IsExecutable("/bin/migrate") {
		t.Error("a whited-out link is still there")
	}
	if tr2.IsFile("/app/static/app.css") || !tr2.IsFile("/app/static/new.css") {
		t.Error("an opaque directory kept a lower layer's file, or lost the layer's own")
	}

	// Links that loop end, unresolved.
	loop := tree(t, []string{"a -> b", "b -> a"})
	if loop.IsFile("/a") || loop.IsDir("/a") {
		t.Error("a symlink loop resolved")
	}
}

func TestProblems(t *testing.T) {
	withEnv := func(env ...string) Config {
		c := nixConfig
		c.Env = env
		return c
	}
	cases := []struct {
		name   string
		cfg    Config
		layers [][]string
		c      Contract
		want   []string // one substring per expected problem
	}{
		{name: "the contract's example image", cfg: nixConfig, layers: nixLayers, c: chartContract},
		{name: "the server alone (IHP's packages.default)", cfg: nixConfig,
			layers: [][]string{{"bin/RunProdServer*"}}, c: chartContract,
			want: []string{"migration command migrate", "IHP_MIGRATION_DIR is /app/Application/Migration", "sh is not", "psql is not",
				"sleep is not", "no file /app/IHPSchema.sql", "no file /app/Application/Schema.sql", "command cp", "no directory /app/static", "no CA certificates"}},
		{name: "the schema by absolute path, one missing", cfg: nixConfig, layers: nixLayers,
			c:    Contract{MigrateCommand: []string{"migrate"}, SchemaFiles: []string{"/app/IHPSchema.sql", "/app/db/schema.sql"}},
			want: []string{"no file /app/db/schema.sql"}},
		{name: "no Cmd", cfg: Config{Env: nixConfig.Env, WorkingDir: "/app"}, layers: nixLayers, c: chartContract,
			want: []string{"neither Cmd nor Entrypoint"}},
		{name: "a Cmd that is not there", cfg: Config{Cmd: []string{"RunDevServer"}, Env: nixConfig.Env, WorkingDir: "/app"}, layers: nixLayers, c: chartContract,
			want: []string{"the server RunDevServer"}},
		{name: "another migrate command, on PATH", cfg: nixConfig, layers: nixLayers,
			c: Contract{MigrateCommand: []string{"/bin/RunProdServer", "migrate"}}},
		{name: "a migrate command by a relative path", cfg: nixConfig, layers: nixLayers,
			c: Contract{MigrateCommand: []string{"bin/migrate"}}, want: []string{"migration command bin/migrate"}},
		{name: "no IHP_MIGRATION_DIR, the default directory is there", cfg: withEnv("PATH=/bin"), layers: nixLayers, c: chartContract},
		{name: "no IHP_MIGRATION_DIR, no default directory", cfg: Config{Cmd: nixConfig.Cmd, Env: []string{"PATH=/bin"}, WorkingDir: "/"}, layers: nixLayers, c: chartContract,
			want: []string{"no directory /Application/Migration", "no file /IHPSchema.sql", "no file /Application/Schema.sql"}},
		{name: "no PATH: the container's default PATH has /bin", cfg: withEnv("IHP_MIGRATION_DIR=/app/Application/Migration/"), layers: nixLayers, c: chartContract},
		{name: "the chart's static copy off", cfg: nixConfig, layers: [][]string{nixLayers[0], nixLayers[2], nixLayers[3], {"bin/migrate -> /nix/store/aaa-inter-hub/bin/migrate", "bin/RunProdServer -> /nix/store/aaa-inter-hub/bin/RunProdServer", "etc/ssl -> /nix/store/ccc-cacert/etc/ssl", "app/Application/Migration/"}},
			c: Contract{MigrateCommand: []string{"migrate"}}},
		{name: "certificates named by SSL_CERT_FILE", cfg: withEnv("PATH=/bin", "SSL_CERT_FILE=/certs.pem"),
			layers: [][]string{{"bin/RunProdServer*", "bin/migrate*", "app/Application/Migration/", "certs.pem"}}, c: Contract{MigrateCommand: []string{"migrate"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.c.Problems(Image{Config: tc.cfg, Files: tree(t, tc.layers...)})
			if len(got) != len(tc.want) {
				t.Fatalf("problems = %q, want %d matching %q", got, len(tc.want), tc.want)
			}
			for i, w := range tc.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("problem %d = %q, want it to mention %q", i, got[i], w)
				}
			}
		})
	}
}

func TestFromChart(t *testing.T) {
	c, err := FromChart("../../charts/inter-hub", []string{"migrate"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(c.StaticCommand, " ") != "cp -a /app/static/. /volume/static/" || strings.Join(c.MigrateCommand, " ") != "migrate" ||
		strings.Join(c.SchemaFiles, " ") != "IHPSchema.sql Application/Schema.sql" {
		t.Errorf("contract of the chart = %+v", c)
	}
	if _, err := FromChart(t.TempDir(), nil); err == nil || !strings.Contains(err.Error(), "values.yaml") {
		t.Errorf("a directory without values.yaml: err = %v, want it named", err)
	}
}

func TestSplitRef(t *testing.T) {
	const sum = "sha256:80daeecbd968319db7c568cb1732151829520fe6a67bf17a0def446d82fa3a3b"
	host, repo, dgst, ok := splitRef("127.0.0.1:5443/coulomb/inter-hub@" + sum)
	if !ok || host != "127.0.0.1:5443" || repo != "coulomb/inter-hub" || dgst != sum {
		t.Fatalf("got %q %q %q %v", host, repo, dgst, ok)
	}
	for _, bad := range []string{"inter-hub@" + sum, "127.0.0.1:5443/inter-hub:v1", "127.0.0.1:5443/inter-hub@sha256:00"} {
		if _, _, _, ok := splitRef(bad); ok {
			t.Errorf("splitRef(%q) accepted it", bad)
		}
	}
}

// A remembered pass holds only for the same digest checked by the same terms: another contract,
// or a tool the schema step needs since, means the image is read and checked again.
func TestPassMarkCoversTheTerms(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	const d1, d2 = "sha256:" + "11111111111111111111111111111111" + "11111111111111111111111111111111",
		"sha256:" + "22222222222222222222222222222222" + "22222222222222222222222222222222"
	base := passMark(d1, chartContract)
	if base == "" || passMark(d1, chartContract) != base {
		t.Fatalf("no stable mark: %q", base)
	}
	other := chartContract
	other.MigrateCommand = []string{"ihp-migrate"}
	if passMark(d2, chartContract) == base || passMark(d1, other) == base {
		t.Error("another digest or another contract shares the mark")
	}
	saved := schemaTools
	t.Cleanup(func() { schemaTools = saved })
	schemaTools = append(append([]string{}, saved...), "timeout")
	if passMark(d1, chartContract) == base {
		t.Error("a new schema tool keeps the mark of an image checked without it")
	}
}
