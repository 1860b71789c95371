//go:build integration

// Package plugins_test runs the offline random, command and postgresql
// plugins (toolchain/providers) through the real pulumi CLI, with programs
// written against the official SDKs, a file backend and plugin acquisition
// off. Each test builds the plugins from source, so it tests this checkout.
//
// The CLI and the Go language host come from toolchain/tools.sh (PATH, or
// the prefix it prints). Without them the tests skip, unless
// INTERHUB_REQUIRE_TOOLS is set, when they fail.
package plugins_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
)

// repoRoot is the checkout this package sits in.
var repoRoot = func() string {
	wd, err := os.Getwd()
	if err != nil {
		panic(err)
	}
	return filepath.Clean(filepath.Join(wd, "..", ".."))
}()

type toolchain struct {
	bin  string // directory holding pulumi and pulumi-language-go
	home string // PULUMI_HOME with the plugins built from this checkout
	work string // scratch space for builds
	err  error
}

var (
	tools     toolchain
	toolsOnce sync.Once
	builds    sync.Map // program name -> *build
)

// findCLI looks for the pulumi CLI on PATH, then in the toolchain prefix.
func findCLI() (string, error) {
	if p, err := exec.LookPath("pulumi"); err == nil {
		dir := filepath.Dir(p)
		if _, err := os.Stat(filepath.Join(dir, "pulumi-language-go")); err == nil {
			return dir, nil
		}
	}
	out, err := exec.Command(filepath.Join(repoRoot, "toolchain", "tools.sh"), "prefix").Output()
	if err != nil {
		return "", fmt.Errorf("toolchain/tools.sh prefix: %w", err)
	}
	dir := filepath.Join(strings.TrimSpace(string(out)), "bin")
	for _, b := range []string{"pulumi", "pulumi-language-go"} {
		if _, err := os.Stat(filepath.Join(dir, b)); err != nil {
			return "", fmt.Errorf("%s is not built (run `make tools`): %w", b, err)
		}
	}
	return dir, nil
}

// pluginVersions reads the versions toolchain/versions.env pins.
func pluginVersions() (map[string]string, error) {
	f, err := os.Open(filepath.Join(repoRoot, "toolchain", "versions.env"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	keys := map[string]string{
		"RANDOM_PLUGIN_VERSION": "random", "COMMAND_PLUGIN_VERSION": "command", "POSTGRESQL_PLUGIN_VERSION": "postgresql",
	}
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), "=")
		if name, known := keys[k]; ok && known {
			out[name] = v
		}
	}
	if len(out) != len(keys) {
		return nil, fmt.Errorf("toolchain/versions.env does not pin all three plugin versions: %v", out)
	}
	return out, sc.Err()
}

func run(dir string, env []string, name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, out)
	}
	return nil
}

// setup builds the three plugins with the flags toolchain/tools.sh uses (so
// they share its build cache) and installs them in a private PULUMI_HOME.
func setup() {
	tools.bin, tools.err = findCLI()
	if tools.err != nil {
		return
	}
	tools.work, tools.err = os.MkdirTemp("", "plugintest-")
	if tools.err != nil {
		return
	}
	tools.home = filepath.Join(tools.work, "pulumi-home")
	versions, err := pluginVersions()
	if err != nil {
		tools.err = err
		return
	}
	env := []string{"PULUMI_HOME=" + tools.home, "PULUMI_SKIP_UPDATE_CHECK=true"}
	for _, name := range []string{"random", "command", "postgresql"} {
		bin := filepath.Join(tools.work, "plugins", "pulumi-resource-"+name)
		if err := run(filepath.Join(repoRoot, "toolchain", "providers"), nil, "go", "build", "-trimpath",
			"-ldflags", "-s -w -X main.version="+versions[name], "-o", bin, "./cmd/pulumi-resource-"+name); err != nil {
			tools.err = err
			return
		}
		if err := run(tools.work, env, filepath.Join(tools.bin, "pulumi"), "plugin", "install", "resource", name,
			versions[name], "--file", bin); err != nil {
			tools.err = err
			return
		}
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	if tools.work != "" {
		os.RemoveAll(tools.work)
	}
	os.Exit(code)
}

// requireTools skips the test when the toolchain is missing, or fails it when
// INTERHUB_REQUIRE_TOOLS is set.
func requireTools(t *testing.T) {
	t.Helper()
	toolsOnce.Do(setup)
	if tools.err == nil {
		return
	}
	if os.Getenv("INTERHUB_REQUIRE_TOOLS") != "" {
		t.Fatalf("toolchain not usable: %v", tools.err)
	}
	t.Skipf("toolchain not usable (set INTERHUB_REQUIRE_TOOLS=1 to fail instead): %v", tools.err)
}

type build struct {
	once sync.Once
	path string
	err  error
}

// program builds test/plugins/testdata/<name> once per test run.
func program(t *testing.T, name string) string {
	t.Helper()
	v, _ := builds.LoadOrStore(name, &build{})
	b := v.(*build)
	b.once.Do(func() {
		b.path = filepath.Join(tools.work, "programs", name)
		b.err = run(repoRoot, nil, "go", "build", "-o", b.path, "./test/plugins/testdata/"+name)
	})
	if b.err != nil {
		t.Fatalf("building the %s test program: %v", name, b.err)
	}
	return b.path
}

// stack is one stack of a test program on a file backend of its own.
type stack struct {
	t       *testing.T
	ctx     context.Context
	backend string
	auto.Stack
}

// sdkModules are the SDKs each test program imports.
var sdkModules = map[string][]string{
	"random":       {"github.com/pulumi/pulumi-random/sdk/v4"},
	"command":      {"github.com/pulumi/pulumi-command/sdk"},
	"hangup":       {"github.com/pulumi/pulumi-command/sdk"},
	"postgresql":   {"github.com/pulumi/pulumi-postgresql/sdk/v3", "github.com/pulumi/pulumi-random/sdk/v4"},
	"secretinputs": {"github.com/pulumi/pulumi-command/sdk", "github.com/pulumi/pulumi-random/sdk/v4"},
	"official":     {"github.com/pulumi/pulumi-postgresql/sdk/v3", "github.com/pulumi/pulumi-random/sdk/v4"},
}

// projectGoMod is a go.mod for a test project: the language host reads the
// program's requirements from it (to tell the engine which plugins the
// program needs), even when it runs a prebuilt binary. The versions are the
// root module's.
func projectGoMod(t *testing.T, name string) string {
	t.Helper()
	root, err := os.ReadFile(filepath.Join(repoRoot, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	version := func(path string) string {
		for _, line := range strings.Split(string(root), "\n") {
			f := strings.Fields(strings.TrimPrefix(strings.TrimSpace(line), "require "))
			if len(f) >= 2 && f[0] == path {
				return f[1]
			}
		}
		t.Fatalf("go.mod does not require %s", path)
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "module plugintest/%s\n\ngo 1.26\n\nrequire (\n", name)
	for _, m := range append([]string{"github.com/pulumi/pulumi/sdk/v3"}, sdkModules[name]...) {
		fmt.Fprintf(&b, "\t%s %s\n", m, version(m))
	}
	b.WriteString(")\n")
	return b.String()
}

// newStack creates a stack running the prebuilt program name, so the CLI does
// not compile anything per run.
func newStack(t *testing.T, name string) *stack {
	t.Helper()
	requireTools(t)
	bin := program(t, name)
	dir := t.TempDir()
	project := fmt.Sprintf("name: plugintest-%s\nruntime:\n  name: go\n  options:\n    binary: %s\n", name, bin)
	sum, err := os.ReadFile(filepath.Join(repoRoot, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	for file, content := range map[string]string{"Pulumi.yaml": project, "go.mod": projectGoMod(t, name), "go.sum": string(sum)} {
		if err := os.WriteFile(filepath.Join(dir, file), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	backend := filepath.Join(dir, "state")
	if err := os.Mkdir(backend, 0o700); err != nil {
		t.Fatal(err)
	}
	cmd, err := auto.NewPulumiCommand(&auto.PulumiCommandOptions{Root: filepath.Dir(tools.bin), SkipVersionCheck: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ws, err := auto.NewLocalWorkspace(ctx, auto.WorkDir(dir), auto.Pulumi(cmd), auto.PulumiHome(tools.home),
		auto.EnvVars(map[string]string{
			"PULUMI_BACKEND_URL":                          "file://" + backend,
			"PULUMI_CONFIG_PASSPHRASE":                    "plugin-test-passphrase",
			"PULUMI_SKIP_UPDATE_CHECK":                    "true",
			"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
			"PATH": tools.bin + string(os.PathListSeparator) + os.Getenv("PATH"),
		}))
	if err != nil {
		t.Fatal(err)
	}
	s, err := auto.NewStack(ctx, "test", ws)
	if err != nil {
		t.Fatal(err)
	}
	st := &stack{t: t, ctx: ctx, backend: backend, Stack: s}
	t.Cleanup(func() {
		// Leave nothing behind if the test stopped half-way; errors are the
		// test's business, not the cleanup's.
		_, _ = s.Destroy(ctx, optdestroy.ContinueOnError())
	})
	return st
}

// config sets plain and secret configuration values.
func (s *stack) config(plain map[string]string, secret map[string]string) {
	s.t.Helper()
	m := auto.ConfigMap{}
	for k, v := range plain {
		m[k] = auto.ConfigValue{Value: v}
	}
	for k, v := range secret {
		m[k] = auto.ConfigValue{Value: v, Secret: true}
	}
	if err := s.SetAllConfig(s.ctx, m); err != nil {
		s.t.Fatal(err)
	}
}

// changes is a summary of operations, e.g. {"create": 2, "same": 1}.
type changes map[string]int

func (c changes) String() string {
	b, _ := json.Marshal(map[string]int(c))
	return string(b)
}

// up runs `pulumi up` and returns the summary of what it did, failing the
// test on error.
func (s *stack) up(opts ...optup.Option) changes {
	s.t.Helper()
	start := time.Now()
	res, err := s.Up(s.ctx, opts...)
	if err != nil {
		s.t.Fatalf("pulumi up: %v", err)
	}
	s.t.Logf("up in %s: %v", time.Since(start).Round(time.Millisecond), summary(res.Summary.ResourceChanges))
	return summary(res.Summary.ResourceChanges)
}

// upFails runs `pulumi up`, expects it to fail, and returns what it printed.
func (s *stack) upFails() string {
	s.t.Helper()
	var out strings.Builder
	_, err := s.Up(s.ctx, optup.ProgressStreams(&out), optup.ErrorProgressStreams(&out))
	if err == nil {
		s.t.Fatalf("pulumi up succeeded, expected a failure:\n%s", out.String())
	}
	return err.Error() + "\n" + out.String()
}

// upNoChanges asserts an update with nothing to do.
func (s *stack) upNoChanges() {
	s.t.Helper()
	if _, err := s.Up(s.ctx, optup.ExpectNoChanges()); err != nil {
		s.t.Fatalf("pulumi up --expect-no-changes: %v", err)
	}
}

// preview returns the planned operations.
func (s *stack) preview() changes {
	s.t.Helper()
	res, err := s.Preview(s.ctx, optpreview.Diff())
	if err != nil {
		s.t.Fatalf("pulumi preview: %v", err)
	}
	out := changes{}
	for op, n := range res.ChangeSummary {
		out[string(op)] = n
	}
	return out
}

// refresh runs `pulumi refresh` and returns what changed.
func (s *stack) refresh() changes {
	s.t.Helper()
	res, err := s.Refresh(s.ctx)
	if err != nil {
		s.t.Fatalf("pulumi refresh: %v", err)
	}
	return summary(res.Summary.ResourceChanges)
}

// destroy removes every resource.
func (s *stack) destroy() changes {
	s.t.Helper()
	res, err := s.Destroy(s.ctx)
	if err != nil {
		s.t.Fatalf("pulumi destroy: %v", err)
	}
	return summary(res.Summary.ResourceChanges)
}

// outputs returns the stack outputs, secrets in plain text.
func (s *stack) outputs() map[string]any {
	s.t.Helper()
	out, err := s.Outputs(s.ctx)
	if err != nil {
		s.t.Fatal(err)
	}
	m := map[string]any{}
	for k, v := range out {
		m[k] = v.Value
	}
	return m
}

// state is everything the file backend holds for the project, current
// checkpoint, backups and history, as stored on disk.
func (s *stack) state() string {
	s.t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(s.backend, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		b.Write(data)
		return err
	})
	if err != nil {
		s.t.Fatal(err)
	}
	if b.Len() == 0 {
		s.t.Fatal("the backend holds no state")
	}
	return b.String()
}

// export is `pulumi stack export` (secrets encrypted), for its structure.
func (s *stack) export() string {
	s.t.Helper()
	out, err := s.cli("stack", "export")
	if err != nil {
		s.t.Fatalf("pulumi stack export: %v\n%s", err, out)
	}
	return out
}

// resourceOutputs returns the recorded outputs of the resource named name.
func (s *stack) resourceOutputs(name string) map[string]any {
	s.t.Helper()
	var dep struct {
		Resources []struct {
			URN     string         `json:"urn"`
			ID      string         `json:"id"`
			Outputs map[string]any `json:"outputs"`
		} `json:"resources"`
	}
	var export struct {
		Deployment json.RawMessage `json:"deployment"`
	}
	if err := json.Unmarshal([]byte(s.export()), &export); err != nil {
		s.t.Fatal(err)
	}
	if err := json.Unmarshal(export.Deployment, &dep); err != nil {
		s.t.Fatal(err)
	}
	for _, r := range dep.Resources {
		if strings.HasSuffix(r.URN, "::"+name) {
			out := r.Outputs
			if out == nil {
				out = map[string]any{}
			}
			out["__id"] = r.ID
			return out
		}
	}
	return nil
}

// cli runs the pulumi CLI itself in the stack's project, for what the
// Automation API does not cover.
func (s *stack) cli(args ...string) (string, error) {
	ws := s.Workspace()
	cmd := exec.Command(filepath.Join(tools.bin, "pulumi"), append(args, "--stack", s.Name(), "--non-interactive")...)
	cmd.Dir = ws.WorkDir()
	cmd.Env = os.Environ()
	for k, v := range ws.GetEnvVars() {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Env = append(cmd.Env, "PULUMI_HOME="+tools.home)
	out, err := cmd.Output()
	return string(out), err
}

func summary(m *map[string]int) changes {
	out := changes{}
	if m != nil {
		for k, v := range *m {
			if k != "same" {
				out[k] = v
			}
		}
	}
	return out
}

// wantChanges compares a summary, ignoring unchanged resources.
func wantChanges(t *testing.T, what string, got changes, want changes) {
	t.Helper()
	delete(got, "same")
	if got.String() != want.String() {
		t.Fatalf("%s: got changes %v, want %v", what, got, want)
	}
}

// upLogged runs `pulumi up` and also returns every diagnostic message the
// engine received, ephemeral ones included, so tests can see what plugins log.
func (s *stack) upLogged() (changes, string) {
	s.t.Helper()
	ch := make(chan events.EngineEvent)
	var logs strings.Builder
	done := make(chan struct{})
	go func() {
		defer close(done)
		for e := range ch {
			if d := e.DiagnosticEvent; d != nil {
				fmt.Fprintf(&logs, "%s: %s\n", d.URN, strings.TrimSpace(d.Message))
			}
		}
	}()
	res, err := s.Up(s.ctx, optup.EventStreams(ch))
	<-done
	if err != nil {
		s.t.Fatalf("pulumi up: %v", err)
	}
	return summary(res.Summary.ResourceChanges), logs.String()
}
