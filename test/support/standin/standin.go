// Package standin runs the deploy program's local stack on the stand-in environment under
// names of its own (namespace, role and database, ingress host, registry repository), so that
// tests can deploy, break and inspect it without touching the checkout, the demo stack or each
// other's deployments.
//
// Each stack gets a private project directory (the checkout's Pulumi.yaml pointing at a program
// binary built for the test process, with links to the chart, the SOPS files and the sandbox), a
// file backend in a temporary directory, a private copy of Pulumi.local.yaml passed with
// --config-file, and a private clone of the app on the build host. Cleanup drops what the
// program retains on purpose (role, database, pool_passwd entry) and everything else it made.
package standin

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/lib/pq" // the admin connections of cleanup and snapshots

	"github.com/coulomb-social/inter-hub-deploy/sandbox/sandboxenv"
	"github.com/coulomb-social/inter-hub-deploy/test/support/clirun"
)

// Time limits for CLI runs: a full update of the stack (gate, build over SSH, Helm release,
// Ingress), and anything else.
const (
	UpTimeout    = 15 * time.Minute
	ShortTimeout = 3 * time.Minute
)

// Passphrase encrypts the local stack's config secrets (Pulumi.local.yaml says so).
const Passphrase = "inter-hub-local"

// Names are the names a stack's deployment uses; no two tests may share them.
type Names struct {
	Stack      string // the Pulumi stack
	Namespace  string // kubernetes.namespace
	Role       string // database.role and database.name
	Host       string // ingress.host
	Repository string // registry.repository
}

var suffixRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,18}[a-z0-9])?$`)

// NamesFor derives the names of a test family ("ops", "hard") and a suffix unique in it:
// namespace inter-hub-<kind>-<suffix>, role inter_hub_<kind>_<suffix>, host
// inter-hub-<kind>-<suffix>.localhost, repository inter-hub-<kind>-<suffix>.
func NamesFor(kind, suffix string) Names {
	if !suffixRE.MatchString(kind) || !suffixRE.MatchString(suffix) {
		panic(fmt.Sprintf("standin: kind %q and suffix %q must be short lowercase names", kind, suffix))
	}
	dashed := "inter-hub-" + kind + "-" + suffix
	return Names{
		Stack:      kind + "-" + suffix,
		Namespace:  dashed,
		Role:       strings.ReplaceAll("inter_hub_"+kind+"_"+suffix, "-", "_"),
		Host:       dashed + ".localhost",
		Repository: dashed,
	}
}

// Options configure New.
type Options struct {
	Names Names
	// Config is set (plain) on the stack after the names, before anything runs.
	Config map[string]string
}

// Stack is one deployment of the program on the stand-in.
type Stack struct {
	Names
	Env  *sandboxenv.Env
	Tool *clirun.Toolchain
	Root string // the repository
	Dir  string // the private project directory
	WS   *clirun.Workspace
	// ConfigFile is the stack's configuration (a copy of Pulumi.local.yaml with the names).
	ConfigFile string
	// StateDir is the file backend's directory; TmpDir is the CLI's and plugins' TMPDIR; Home is
	// the CLI's PULUMI_HOME (its logs and workspace settings; the toolchain's plugins are linked).
	StateDir, TmpDir, Home string
	// Origin is a private bare clone of the sandbox's app repository; Checkout is the build
	// host's checkout of it (build.checkoutDir), so builds never race another test's.
	Origin, Checkout string

	mu         sync.Mutex
	transcript bytes.Buffer
}

// New prepares the stack (project, backend, config, build checkout) without deploying it, and
// registers the cleanup of everything a deployment of it can leave behind.
func New(t testing.TB, opts Options) *Stack {
	t.Helper()
	env := Require(t)
	tc := clirun.Require(t)
	tc.RequirePlugins(t, "kubernetes", "random", "command", "postgresql")
	root, err := clirun.Repo()
	if err != nil {
		t.Fatal(err)
	}
	if os.Getenv("INTERHUB_TOOLS_PREFIX") == "" {
		// sandboxenv finds kubectl through it when the toolchain is not on PATH.
		os.Setenv("INTERHUB_TOOLS_PREFIX", tc.Prefix)
	}
	s := &Stack{Names: opts.Names, Env: env, Tool: tc, Root: root}
	s.Dir = t.TempDir()
	s.StateDir = t.TempDir()
	s.TmpDir = t.TempDir()
	s.Home = t.TempDir()
	s.writeProject(t)

	// A private origin and checkout: tests add revisions to the origin and builds check out in
	// the checkout, neither of which any other test sees.
	work := t.TempDir()
	s.Origin = filepath.Join(work, "origin.git")
	s.Checkout = filepath.Join(work, "checkout")
	git(t, "", "clone", "--quiet", "--bare", env.BuildHost.Origin, s.Origin)
	git(t, "", "clone", "--quiet", s.Origin, s.Checkout)

	shared := ""
	for _, kv := range tc.Env {
		if v, ok := strings.CutPrefix(kv, "PULUMI_HOME="); ok {
			shared = v
		}
	}
	if shared == "" {
		t.Fatal("the toolchain sets no PULUMI_HOME")
	}
	if err := os.Symlink(filepath.Join(shared, "plugins"), filepath.Join(s.Home, "plugins")); err != nil {
		t.Fatal(err)
	}
	s.WS = tc.NewWorkspace(t, s.Dir, map[string]string{
		"PULUMI_HOME":              s.Home,
		"PULUMI_BACKEND_URL":       "file://" + s.StateDir,
		"PULUMI_CONFIG_PASSPHRASE": Passphrase,
		"SOPS_AGE_KEY_FILE":        filepath.Join(root, "sandbox", "fixtures", "age-local.key"),
		"TMPDIR":                   s.TmpDir,
	})
	s.ConfigFile = filepath.Join(t.TempDir(), "Pulumi."+s.Stack+".yaml")
	data, err := os.ReadFile(filepath.Join(root, "Pulumi.local.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.ConfigFile, data, 0o600); err != nil {
		t.Fatal(err)
	}
	// A run that died before its cleanup (a killed test binary) leaves its role, database and
	// namespace behind; they carry this stack's names, so remove them before deploying again.
	s.cleanup(t)
	s.waitNamespaceGone(t)
	t.Cleanup(func() { s.cleanup(t) })

	s.WS.MustRun(t, ShortTimeout, "stack", "init", s.Stack)
	config := map[string]string{
		"kubernetes.namespace": s.Namespace,
		"database.name":        s.Role,
		"database.role":        s.Role,
		"ingress.host":         s.Host,
		"registry.repository":  s.Repository,
		"build.checkoutDir":    s.Checkout,
	}
	for k, v := range opts.Config {
		config[k] = v
	}
	s.SetConfig(t, s.ConfigFile, config)
	return s
}

// writeProject makes the private project directory: the checkout's Pulumi.yaml running a binary
// of the program built for this test process (never the checkout's bin/inter-hub, which others
// build and run), and links to what the stack file's relative paths name.
func (s *Stack) writeProject(t testing.TB) {
	t.Helper()
	bin := clirun.BuildProgram(t, "github.com/coulomb-social/inter-hub-deploy")
	project, err := os.ReadFile(filepath.Join(s.Root, "Pulumi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?m)^(\s+binary:\s*).*$`)
	if !re.Match(project) {
		t.Fatal("Pulumi.yaml has no runtime.options.binary")
	}
	project = re.ReplaceAll(project, []byte("${1}"+bin))
	if err := os.WriteFile(filepath.Join(s.Dir, "Pulumi.yaml"), project, 0o644); err != nil {
		t.Fatal(err)
	}
	// The Go language host looks for a module file in the project directory.
	if err := os.WriteFile(filepath.Join(s.Dir, "go.mod"), []byte("module inter-hub\n\ngo 1.26\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, target := range map[string]string{
		"charts":   filepath.Join(s.Root, "charts"),
		"deploy":   filepath.Join(s.Root, "deploy"),
		"sandbox":  filepath.Join(s.Root, "sandbox"),
		".sandbox": s.Env.StateDir,
	} {
		if err := os.Symlink(target, filepath.Join(s.Dir, name)); err != nil {
			t.Fatal(err)
		}
	}
}

// record appends a CLI run's output to the transcript.
func (s *Stack) record(args []string, out string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fmt.Fprintf(&s.transcript, "$ pulumi %s\n%s\n", strings.Join(args, " "), out)
}

// Transcript is the output of every CLI run on the stack so far.
func (s *Stack) Transcript() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.transcript.String()
}

// RunWith runs `pulumi args... --stack S --config-file file`; the output goes to the transcript.
func (s *Stack) RunWith(t testing.TB, timeout time.Duration, file string, args ...string) clirun.Result {
	t.Helper()
	full := append(append([]string{}, args...), "--stack", s.Stack, "--config-file", file)
	r := s.WS.Run(t, timeout, full...)
	s.record(full, r.Output())
	return r
}

// Run is RunWith on the stack's own config file.
func (s *Stack) Run(t testing.TB, timeout time.Duration, args ...string) clirun.Result {
	t.Helper()
	return s.RunWith(t, timeout, s.ConfigFile, args...)
}

// MustRun is Run that fails the test on a non-zero exit.
func (s *Stack) MustRun(t testing.TB, timeout time.Duration, args ...string) clirun.Result {
	t.Helper()
	r := s.Run(t, timeout, args...)
	if r.Err != nil {
		t.Fatalf("pulumi %s: %v\n%s\n%s", strings.Join(args, " "), r.Err, r.Output(), s.Report())
	}
	return r
}

// Report is what the stand-in shows of the stack after a failed run: the namespace's pods,
// jobs and events, the logs of its migration and failed pods (a Helm error names only the
// Job's state), and the database servers' recent errors. A failed update's own output rarely
// says why a pod failed, and the namespace is gone once the test's cleanup ran.
func (s *Stack) Report() string {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var b strings.Builder
	fmt.Fprintf(&b, "== the stand-in after the failure (namespace %s)\n", s.Namespace)
	kubectl := func(args ...string) {
		out, err := s.Env.Kubectl(ctx, nil, append([]string{"--namespace", s.Namespace}, args...)...)
		fmt.Fprintf(&b, "$ kubectl %s\n%s", strings.Join(args, " "), out)
		if err != nil {
			fmt.Fprintf(&b, "(%v)\n", err)
		}
	}
	kubectl("get", "pods,jobs", "-o", "wide")
	kubectl("get", "events", "--sort-by=.lastTimestamp")
	out, _ := s.Env.Kubectl(ctx, nil, "--namespace", s.Namespace, "get", "pods", "-o",
		`jsonpath={range .items[?(@.status.phase!="Running")]}{.metadata.name}{"\n"}{end}`)
	for _, pod := range strings.Fields(string(out)) {
		kubectl("logs", pod, "--all-containers", "--tail=40")
	}
	for _, name := range []string{"postgres.log", "pgpool.log"} {
		fmt.Fprintf(&b, "$ errors in the last 400 lines of %s\n%s", name,
			errorLines(filepath.Join(s.Env.StateDir, "logs", name), 400))
	}
	return b.String()
}

// errorLines returns the FATAL, ERROR and PANIC lines among the last n lines of a log file.
func errorLines(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return err.Error() + "\n"
	}
	lines := strings.Split(string(data), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	var b strings.Builder
	for _, l := range lines {
		if strings.Contains(l, "FATAL") || strings.Contains(l, "ERROR") || strings.Contains(l, "PANIC") {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

// RunPlain runs a CLI command without the stack flags (cancel, stack import, ...) in the
// project; the output goes to the transcript.
func (s *Stack) RunPlain(t testing.TB, timeout time.Duration, args ...string) clirun.Result {
	t.Helper()
	r := s.WS.Run(t, timeout, args...)
	s.record(args, r.Output())
	return r
}

// MustRunPlain is RunPlain that fails the test on a non-zero exit.
func (s *Stack) MustRunPlain(t testing.TB, timeout time.Duration, args ...string) clirun.Result {
	t.Helper()
	r := s.RunPlain(t, timeout, args...)
	if r.Err != nil {
		t.Fatalf("pulumi %s: %v\n%s", strings.Join(args, " "), r.Err, r.Output())
	}
	return r
}

// Up deploys the stack with its own config file, failing the test on error.
func (s *Stack) Up(t testing.TB) clirun.Result {
	t.Helper()
	return s.MustRun(t, UpTimeout, "up", "--yes")
}

// Export is `pulumi stack export` (secrets encrypted).
func (s *Stack) Export(t testing.TB) string {
	t.Helper()
	r := s.WS.Run(t, ShortTimeout, "stack", "export", "--stack", s.Stack)
	s.record([]string{"stack", "export", "--stack", s.Stack}, r.Output())
	if r.Err != nil {
		t.Fatalf("pulumi stack export: %v\n%s", r.Err, r.Output())
	}
	return r.Stdout
}

// CopyConfig returns a new copy of the stack's config file, for a run with changed settings
// that leaves the stack's own file as it is.
func (s *Stack) CopyConfig(t testing.TB) string {
	t.Helper()
	data, err := os.ReadFile(s.ConfigFile)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.CreateTemp(filepath.Dir(s.ConfigFile), "Pulumi."+s.Stack+".*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(data); err != nil {
		t.Fatal(err)
	}
	return f.Name()
}

// SetConfig sets plain values in a config file of the stack with `pulumi config set`.
func (s *Stack) SetConfig(t testing.TB, file string, values map[string]string) {
	t.Helper()
	for k, v := range values {
		// --plaintext: the CLI refuses values it guesses are secrets (a key named secrets.*).
		s.mustConfig(t, file, "config", "set", "--plaintext", k, v)
	}
}

// SetSecret sets a secret value in a config file; the value goes in on stdin, never as an
// argument.
func (s *Stack) SetSecret(t testing.TB, file, key, value string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), ShortTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, s.Tool.Bin("pulumi"), "config", "set", "--secret", key,
		"--stack", s.Stack, "--config-file", file, "--non-interactive")
	cmd.Dir, cmd.Env = s.WS.Dir, s.WS.Env
	cmd.Stdin = strings.NewReader(value)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("pulumi config set --secret %s: %v\n%s", key, err, out)
	}
}

// RemoveConfig removes keys from a config file.
func (s *Stack) RemoveConfig(t testing.TB, file string, keys ...string) {
	t.Helper()
	for _, k := range keys {
		s.mustConfig(t, file, "config", "rm", k)
	}
}

func (s *Stack) mustConfig(t testing.TB, file string, args ...string) {
	t.Helper()
	full := append(append([]string{}, args...), "--stack", s.Stack, "--config-file", file)
	if r := s.WS.Run(t, ShortTimeout, full...); r.Err != nil {
		t.Fatalf("pulumi %s: %v\n%s", strings.Join(full, " "), r.Err, r.Output())
	}
}

// Background is a CLI run in its own process group, for tests that interrupt it.
type Background struct {
	Cmd  *exec.Cmd
	done chan struct{}
	out  bytes.Buffer
	mu   sync.Mutex
	err  error
	s    *Stack
	args []string
}

func (b *Background) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.out.Write(p)
}

// Output is what the run printed so far.
func (b *Background) Output() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.out.String()
}

// Start runs `pulumi args... --stack S --config-file file` in the background.
func (s *Stack) Start(t testing.TB, file string, args ...string) *Background {
	t.Helper()
	full := append(append([]string{}, args...), "--stack", s.Stack, "--config-file", file, "--non-interactive")
	b := &Background{done: make(chan struct{}), s: s, args: full}
	b.Cmd = exec.Command(s.Tool.Bin("pulumi"), full...)
	b.Cmd.Dir, b.Cmd.Env = s.WS.Dir, s.WS.Env
	// Its own process group, as a terminal's foreground job: a signal can reach all of it.
	b.Cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	b.Cmd.Stdout, b.Cmd.Stderr = b, b
	if err := b.Cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { b.err = b.Cmd.Wait(); close(b.done) }()
	t.Cleanup(func() {
		select {
		case <-b.done:
		default:
			_ = syscall.Kill(-b.Cmd.Process.Pid, syscall.SIGKILL)
			<-b.done
		}
	})
	return b
}

// Signal sends sig to the run's whole process group (the CLI, the language host, the program and
// the plugins), as a terminal does on Ctrl-C and a dying host does with SIGKILL.
func (b *Background) Signal(sig syscall.Signal) error {
	return syscall.Kill(-b.Cmd.Process.Pid, sig)
}

// Wait waits for the run to end (at most timeout) and returns its error and output.
func (b *Background) Wait(t testing.TB, timeout time.Duration) (error, string) {
	t.Helper()
	select {
	case <-b.done:
	case <-time.After(timeout):
		_ = b.Signal(syscall.SIGKILL)
		<-b.done
		t.Errorf("pulumi %s did not end within %s; killed", strings.Join(b.args, " "), timeout)
	}
	b.s.record(b.args, b.Output())
	return b.err, b.Output()
}

// Done reports whether the run has ended.
func (b *Background) Done() bool {
	select {
	case <-b.done:
		return true
	default:
		return false
	}
}

// AdminDB opens an admin connection straight to PostgreSQL (not through pgpool, whose cached
// backends would delay DROP DATABASE).
func (s *Stack) AdminDB(t testing.TB) *sql.DB {
	t.Helper()
	p := s.Env.Postgres
	db, err := sql.Open("postgres", p.DirectDSN(p.AdminUser, p.AdminPassword, p.Database))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Kubectl runs kubectl against the stand-in's cluster.
func (s *Stack) Kubectl(t testing.TB, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := s.Env.Kubectl(ctx, nil, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// cleanup removes what a deployment of the stack leaves: the namespace (and with it the
// release, its Secrets and claims), the role and database that the program retains on purpose,
// the role's pool_passwd entry, and the images in the stack's registry repository.
func (s *Stack) cleanup(t testing.TB) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := s.Env.Kubectl(ctx, nil, "delete", "namespace", s.Namespace, "--ignore-not-found", "--wait=false"); err != nil {
		t.Logf("cleanup namespace %s: %v", s.Namespace, err)
	}
	p := s.Env.Postgres
	if db, err := sql.Open("postgres", p.DirectDSN(p.AdminUser, p.AdminPassword, p.Database)); err != nil {
		t.Logf("cleanup: %v", err)
	} else {
		var exists bool
		_ = db.QueryRowContext(ctx, `SELECT true FROM pg_roles WHERE rolname = $1`, s.Role).Scan(&exists)
		if exists {
			// PostgreSQL 15: only the owner (or a member of it) may drop the database. A role
			// that made itself a member of the admin (a test that lets it) must leave that first.
			_, _ = db.ExecContext(ctx, fmt.Sprintf(`REVOKE %q FROM %q`, p.AdminUser, s.Role))
			for _, q := range []string{
				fmt.Sprintf(`GRANT %q TO %q`, s.Role, p.AdminUser),
				fmt.Sprintf(`DROP DATABASE IF EXISTS %q WITH (FORCE)`, s.Role),
				fmt.Sprintf(`DROP ROLE IF EXISTS %q`, s.Role),
			} {
				if _, err := db.ExecContext(ctx, q); err != nil {
					t.Logf("cleanup %s: %v", q, err)
				}
			}
		}
		db.Close()
	}
	if err := s.Env.Postgres.RemovePoolUser(s.Role); err != nil {
		t.Logf("cleanup pool_passwd: %v", err)
	}
	tags, err := s.Tags(ctx)
	if err != nil {
		t.Logf("cleanup registry: %v", err)
	}
	seen := map[string]bool{}
	for _, digest := range tags {
		if seen[digest] {
			continue
		}
		seen[digest] = true
		if err := s.Env.Registry.DeleteManifest(ctx, s.Repository, digest); err != nil {
			t.Logf("cleanup registry: %v", err)
		}
	}
}

// waitNamespaceGone waits until the stack's namespace no longer exists (deleted namespaces
// stay Terminating while the controller empties them, and cannot be created again meanwhile).
func (s *Stack) waitNamespaceGone(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := s.Env.Kubectl(ctx, nil, "wait", "--for=delete", "namespace/"+s.Namespace, "--timeout=110s"); err != nil &&
		!strings.Contains(err.Error(), "NotFound") && !strings.Contains(err.Error(), "not found") {
		t.Fatalf("namespace %s left by an earlier run is still there: %v", s.Namespace, err)
	}
}

// git runs git in dir, failing the test on error.
func git(t testing.TB, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.email=hardening@test", "-c", "user.name=test",
		"-c", "init.defaultBranch=main", "-c", "advice.detachedHead=false"}, args...)...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}
