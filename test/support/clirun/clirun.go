// Package clirun runs the real Pulumi CLI from the offline toolchain in tests: it finds the
// toolchain, gives each test its own file backend and runs commands with a clean environment.
package clirun

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// RequireEnv set to 1 turns a missing toolchain into a test failure; `make test` sets it.
const RequireEnv = "INTERHUB_REQUIRE_TOOLS"

// Toolchain is the environment `toolchain/tools.sh env` prints, resolved.
type Toolchain struct {
	Prefix string   // install prefix
	Env    []string // os.Environ() with the toolchain's variables applied
}

// Repo returns the repository root (the directory holding toolchain/tools.sh).
func Repo() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", fmt.Errorf("cannot locate the repository")
	}
	// The first directory up from this file's that holds the toolchain script.
	for dir := filepath.Dir(file); ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "toolchain", "tools.sh")); err == nil {
			return filepath.Abs(dir)
		}
		if filepath.Dir(dir) == dir {
			return "", fmt.Errorf("no toolchain/tools.sh above %s", file)
		}
	}
}

// LoadToolchain reads the toolchain environment and checks that the CLI is installed.
func LoadToolchain() (*Toolchain, error) {
	repo, err := Repo()
	if err != nil {
		return nil, err
	}
	out, err := exec.Command(filepath.Join(repo, "toolchain", "tools.sh"), "env").Output()
	if err != nil {
		return nil, fmt.Errorf("toolchain/tools.sh env: %w", err)
	}
	tc := &Toolchain{}
	vars := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "export ")
		if !ok {
			continue
		}
		k, v, _ := strings.Cut(line, "=")
		v = strings.Trim(v, `"`)
		v = strings.ReplaceAll(v, "$PATH", os.Getenv("PATH"))
		vars[k] = v
	}
	tc.Prefix = vars["INTERHUB_TOOLS_PREFIX"]
	tc.Env = MergeEnv(os.Environ(), vars)
	if _, err := os.Stat(filepath.Join(tc.Prefix, "bin", "pulumi")); err != nil {
		return nil, fmt.Errorf("the pulumi CLI is not built (run `make tools`): %w", err)
	}
	return tc, nil
}

// Require returns the toolchain, skipping the test when it is missing unless
// INTERHUB_REQUIRE_TOOLS=1, where a missing toolchain fails the test.
func Require(t testing.TB) *Toolchain {
	t.Helper()
	tc, err := LoadToolchain()
	if err != nil {
		if os.Getenv(RequireEnv) == "1" {
			t.Fatalf("the toolchain is required (%s=1): %v", RequireEnv, err)
		}
		t.Skipf("toolchain not built, skipping: %v", err)
	}
	return tc
}

// Bin is the path of a toolchain binary.
func (tc *Toolchain) Bin(name string) string { return filepath.Join(tc.Prefix, "bin", name) }

// MergeEnv returns env with vars set, replacing earlier values of the same keys.
func MergeEnv(env []string, vars map[string]string) []string {
	out := make([]string, 0, len(env)+len(vars))
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if _, ok := vars[k]; !ok {
			out = append(out, kv)
		}
	}
	for k, v := range vars {
		out = append(out, k+"="+v)
	}
	return out
}

// Workspace is a project directory with its own file backend.
type Workspace struct {
	Dir     string   // the Pulumi project directory
	Backend string   // file:// URL of the backend
	Env     []string // environment for CLI runs
}

// NewWorkspace gives the project in dir a fresh file backend in a temporary directory and logs in.
func (tc *Toolchain) NewWorkspace(t testing.TB, dir string, extra map[string]string) *Workspace {
	t.Helper()
	state := t.TempDir()
	vars := map[string]string{
		"PULUMI_BACKEND_URL":       "file://" + state,
		"PULUMI_CONFIG_PASSPHRASE": "test-passphrase",
	}
	for k, v := range extra {
		vars[k] = v
	}
	return &Workspace{Dir: dir, Backend: vars["PULUMI_BACKEND_URL"], Env: MergeEnv(tc.Env, vars)}
}

// Result is what one CLI run printed.
type Result struct {
	Stdout, Stderr string
	Err            error
	Elapsed        time.Duration
}

// Output is stdout and stderr together, for assertions and failure messages.
func (r Result) Output() string { return r.Stdout + r.Stderr }

// Run runs `pulumi args...` in the workspace with a timeout.
func (w *Workspace) Run(t testing.TB, timeout time.Duration, args ...string) Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	// Resolved on the workspace's PATH: exec.Command would look on the test's own PATH.
	cmd := exec.CommandContext(ctx, lookPath(w.Env, "pulumi"), append(args, "--non-interactive")...)
	cmd.Dir = w.Dir
	cmd.Env = w.Env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	return Result{Stdout: stdout.String(), Stderr: stderr.String(), Err: err, Elapsed: time.Since(start)}
}

// MustRun is Run that fails the test on a non-zero exit, showing the output.
func (w *Workspace) MustRun(t testing.TB, timeout time.Duration, args ...string) Result {
	t.Helper()
	r := w.Run(t, timeout, args...)
	if r.Err != nil {
		t.Fatalf("pulumi %s: %v\n%s", strings.Join(args, " "), r.Err, r.Output())
	}
	return r
}

// lookPath resolves name on the PATH of env.
func lookPath(env []string, name string) string {
	for _, kv := range env {
		if p, ok := strings.CutPrefix(kv, "PATH="); ok {
			for _, d := range filepath.SplitList(p) {
				c := filepath.Join(d, name)
				if fi, err := os.Stat(c); err == nil && !fi.IsDir() {
					return c
				}
			}
		}
	}
	return name
}

// programs caches BuildProgram's binaries per test process.
var programs sync.Map // package path -> *builtProgram

type builtProgram struct {
	once sync.Once
	path string
	err  error
}

// BuildProgram builds the Go program package pkg (an import path or ./relative to the repository
// root) once per test process and returns the binary, for `runtime.options.binary`.
//
// Binaries go to one place per checkout and package under the user's cache, replaced by each
// build (a rename, so a test still running the old one is not disturbed): a temporary directory
// per test process would leave a program of up to 200 MB behind after every run.
func BuildProgram(t testing.TB, pkg string) string {
	t.Helper()
	v, _ := programs.LoadOrStore(pkg, &builtProgram{})
	b := v.(*builtProgram)
	b.once.Do(func() {
		repo, err := Repo()
		if err != nil {
			b.err = err
			return
		}
		cache, err := os.UserCacheDir()
		if err != nil {
			b.err = fmt.Errorf("no cache directory for test programs: %w", err)
			return
		}
		checkout := fmt.Sprintf("%x", sha256.Sum256([]byte(repo)))[:12]
		dir := filepath.Join(cache, "inter-hub", "test-programs", checkout, strings.NewReplacer("/", "_", ".", "_").Replace(strings.TrimPrefix(pkg, "./")))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			b.err = err
			return
		}
		b.path = filepath.Join(dir, filepath.Base(pkg))
		tmp := fmt.Sprintf("%s.%d.tmp", b.path, os.Getpid())
		cmd := exec.Command("go", "build", "-o", tmp, pkg)
		cmd.Dir = repo
		if out, err := cmd.CombinedOutput(); err != nil {
			os.Remove(tmp)
			b.err = fmt.Errorf("go build %s: %w\n%s", pkg, err, out)
			return
		}
		if err := os.Rename(tmp, b.path); err != nil {
			b.err = err
		}
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

// NewProject writes a project directory for a prebuilt program binary (Pulumi.yaml with
// runtime.options.binary, and the go.mod the Go language host looks for) and returns a workspace
// for it with a fresh file backend.
func (tc *Toolchain) NewProject(t testing.TB, name, binary string, extra map[string]string) *Workspace {
	t.Helper()
	dir := t.TempDir()
	project := fmt.Sprintf("name: %s\nruntime:\n  name: go\n  options:\n    binary: %s\n", name, binary)
	if err := os.WriteFile(filepath.Join(dir, "Pulumi.yaml"), []byte(project), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module "+name+"\n\ngo 1.26\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return tc.NewWorkspace(t, dir, extra)
}

// RequirePlugins checks that the toolchain's PULUMI_HOME has the named resource plugins
// registered (toolchain/tools.sh build providers, kubernetes-plugin). Like Require, it skips the
// test when they are missing unless INTERHUB_REQUIRE_TOOLS=1, where it fails it.
func (tc *Toolchain) RequirePlugins(t testing.TB, names ...string) {
	t.Helper()
	cmd := exec.Command(tc.Bin("pulumi"), "plugin", "ls", "--json")
	cmd.Env = tc.Env
	out, err := cmd.Output()
	var missing []string
	if err != nil {
		missing = names
	} else {
		var plugins []struct {
			Name string `json:"name"`
			Kind string `json:"kind"`
		}
		if err := json.Unmarshal(out, &plugins); err != nil {
			missing = names
		}
		have := map[string]bool{}
		for _, p := range plugins {
			if p.Kind == "resource" {
				have[p.Name] = true
			}
		}
		for _, n := range names {
			if !have[n] {
				missing = append(missing, n)
			}
		}
	}
	if len(missing) == 0 {
		return
	}
	msg := fmt.Sprintf("resource plugins not registered in the toolchain: %s (run `make tools`)", strings.Join(missing, ", "))
	if os.Getenv(RequireEnv) == "1" {
		t.Fatalf("%s (%s=1)", msg, RequireEnv)
	}
	t.Skip(msg)
}
