package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"
	"golang.org/x/term"

	"github.com/coulomb-social/inter-hub-deploy/internal/history"
	"github.com/coulomb-social/inter-hub-deploy/internal/pulumicli"
	"github.com/coulomb-social/inter-hub-deploy/internal/rollback"
	"github.com/coulomb-social/inter-hub-deploy/stacks"
)

// Keys the rollback treats specially. They are the stacks package's key names; a test checks
// that each is in stacks.Keys, so a renamed key fails the build's tests, not a 3 a.m. rollback.
const (
	appRevisionKey = "app.revision"
)

// rotationKeys keep their current value: setting a rotation counter back does not bring the
// old secret back, it generates yet another one (and signs everyone out, for the session).
var rotationKeys = []string{"database.passwordRotation", "session.rotation"}

// accountUserKeys keep their current value: the user goes with its password, which as a secret
// is never rolled back. An update from before the pull account existed lacks the key, and
// removing it would leave the program without a required key.
var accountUserKeys = []string{"registry.pullUsername"}

// rollbackOptions describes this project's config to the planner.
func rollbackOptions(namespace string) rollback.Options {
	known := map[string]bool{}
	for _, k := range stacks.Keys {
		known[k.Name] = true
	}
	keep := map[string]string{}
	for _, k := range rotationKeys {
		keep[k] = "rotation counter: an older value generates a new secret, it does not restore the old one"
	}
	for _, k := range accountUserKeys {
		keep[k] = "account user: it goes with its password, which stays current"
	}
	return rollback.Options{
		Namespace:   namespace,
		RevisionKey: appRevisionKey,
		Known:       func(name string) bool { return known[name] },
		KeepCurrent: keep,
	}
}

func runRollback(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("rollback", flag.ContinueOnError)
	fs.SetOutput(stderr)
	stack := fs.String("stack", "", "stack to roll back (required)")
	to := fs.Int("to", 0, "update number to return to; without it the updates are listed and nothing changes")
	yes := fs.Bool("yes", false, "apply without asking (CI)")
	dir := fs.String("cwd", ".", "the Pulumi project directory")
	configFile := fs.String("config-file", "", "the stack's config file (default: Pulumi.<stack>.yaml in the project directory)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *stack == "" || fs.NArg() != 0 {
		return fail(stderr, "rollback", errors.New("--stack is required and no arguments are taken"))
	}
	stackFile := *configFile
	if stackFile == "" {
		stackFile = filepath.Join(*dir, "Pulumi."+shortStack(*stack)+".yaml")
	}
	r := &rollbackRun{
		stack: *stack, dir: *dir, stackFile: stackFile, yes: *yes, stdin: stdin, stdout: stdout, stderr: stderr,
		cli: &pulumicli.CLI{Dir: *dir, Stdout: stdout, Stderr: stderr},
	}
	code, err := r.run(context.Background(), *to)
	if err != nil {
		return fail(stderr, "rollback", err)
	}
	return code
}

type rollbackRun struct {
	stack, dir     string
	stackFile      string // the stack's config file; changed only after a successful rollback
	yes            bool
	stdin          io.Reader
	stdout, stderr io.Writer
	cli            *pulumicli.CLI
}

func (r *rollbackRun) run(ctx context.Context, to int) (int, error) {
	project, err := projectName(r.dir)
	if err != nil {
		return 0, err
	}
	o := rollbackOptions(project)
	updates, err := r.history(ctx, project)
	if err != nil {
		return 0, err
	}
	if len(updates) == 0 {
		return 0, fmt.Errorf("stack %s has no updates", r.stack)
	}
	fmt.Fprintf(r.stdout, "Updates of stack %s, newest first:\n", r.stack)
	rollback.WriteList(r.stdout, updates, o)
	if to == 0 {
		fmt.Fprintf(r.stdout, "\nTo return to update N: interhub rollback --stack %s --to N\n", r.stack)
		return 0, nil
	}

	out, err := r.cli.Output(ctx, "config", "--json", "--stack", r.stack, "--config-file", r.stackFile)
	if err != nil {
		return 0, err
	}
	var current map[string]history.ConfigValue
	if err := json.Unmarshal(out, &current); err != nil {
		return 0, fmt.Errorf("parsing `pulumi config --json`: %w", err)
	}
	plan, err := rollback.NewPlan(updates, to, current, o)
	if err != nil {
		return 0, err
	}
	fmt.Fprintln(r.stdout)
	plan.Write(r.stdout, o)
	if d := rollback.Digest(plan.Target); d != "" {
		fmt.Fprintf(r.stdout, "Image that update %d deployed: %s (the build finds it in the registry by its commit and does not rebuild it)\n", to, d)
	}
	r.noteProgramCommit(plan.Target)

	// Work on a copy of the stack's config file; the real one changes only after a successful up.
	stackFile := r.stackFile
	tmpDir, err := os.MkdirTemp("", "interhub-rollback-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(tmpDir)
	work := filepath.Join(tmpDir, filepath.Base(stackFile))
	if err := copyFile(stackFile, work); err != nil {
		return 0, err
	}
	if js, ok, err := plan.SetAllJSON(); err != nil {
		return 0, err
	} else if ok {
		if _, err := r.cli.Output(ctx, "config", "set-all", "--stack", r.stack, "--config-file", work, "--json", js); err != nil {
			return 0, err
		}
	}
	for _, k := range plan.Removals() {
		if _, err := r.cli.Output(ctx, "config", "rm", k, "--stack", r.stack, "--config-file", work); err != nil {
			return 0, err
		}
	}

	fmt.Fprintf(r.stdout, "\n== Plan: pulumi preview --diff with update %d's config\n", to)
	if err := r.cli.Stream(ctx, "preview", "--diff", "--stack", r.stack, "--config-file", work); err != nil {
		return 0, fmt.Errorf("the preview failed; nothing was changed: %w", err)
	}
	if !r.yes {
		ok, err := r.confirm(fmt.Sprintf("Roll stack %s back to update %d (app revision %s)?", r.stack, to, plan.Revision(o)))
		if err != nil {
			return 0, err
		}
		if !ok {
			fmt.Fprintln(r.stdout, "Not confirmed; nothing was changed.")
			return 1, nil
		}
	}
	msg := fmt.Sprintf("rollback to update %d (app revision %s)", to, plan.Revision(o))
	fmt.Fprintf(r.stdout, "\n== Applying: pulumi up (%s)\n", msg)
	if err := r.cli.Stream(ctx, "up", "--yes", "--skip-preview", "--stack", r.stack, "--config-file", work, "--message", msg); err != nil {
		fmt.Fprintf(r.stdout, "\nThe rollback update failed; %s is unchanged. See docs/RUNBOOK.md (pending operations, stuck release).\n", stackFile)
		return 1, nil
	}
	if err := copyFile(work, stackFile); err != nil {
		return 0, fmt.Errorf("the rollback succeeded but %s could not be updated with its config: %w", stackFile, err)
	}
	fmt.Fprintf(r.stdout, "\nRolled back to update %d. %s now holds that config: commit it, or the next deploy from main rolls forward again.\n", to, stackFile)
	return 0, nil
}

// history reads the stack's updates and, where the backend keeps them, each update's outputs.
func (r *rollbackRun) history(ctx context.Context, project string) ([]history.Update, error) {
	out, err := r.cli.Output(ctx, "stack", "history", "--json", "--page-size", "0", "--stack", r.stack)
	if err != nil {
		return nil, err
	}
	updates, err := history.Parse(strings.NewReader(string(out)))
	if err != nil {
		return nil, err
	}
	backend, err := r.backendURL(ctx)
	if err == nil {
		var recs []history.Record
		recs, err = history.Checkpoints(ctx, backend, project, shortStack(r.stack))
		if err == nil && history.Attach(updates, recs) == 0 && len(updates) > 0 {
			err = errors.New("the backend's update records do not match the CLI's history")
		}
	}
	if err != nil {
		fmt.Fprintf(r.stderr, "note: image digests unknown: %v\n", err)
	}
	return updates, nil
}

// backendURL is the state backend in use: PULUMI_BACKEND_URL, else the CLI's current login.
func (r *rollbackRun) backendURL(ctx context.Context) (string, error) {
	if u := os.Getenv("PULUMI_BACKEND_URL"); u != "" {
		return u, nil
	}
	home := os.Getenv("PULUMI_HOME")
	if home == "" {
		h, err := os.UserHomeDir()
		if err != nil {
			return "", err
		}
		home = filepath.Join(h, ".pulumi")
	}
	if data, err := os.ReadFile(filepath.Join(home, "credentials.json")); err == nil {
		var creds struct {
			Current string `json:"current"`
		}
		if json.Unmarshal(data, &creds) == nil && creds.Current != "" {
			return creds.Current, nil
		}
	}
	out, err := r.cli.Output(ctx, "whoami", "--json")
	if err != nil {
		return "", err
	}
	var who struct {
		URL string `json:"url"`
	}
	if err := json.Unmarshal(out, &who); err != nil || who.URL == "" {
		return "", errors.New("cannot tell which backend is in use")
	}
	return who.URL, nil
}

// noteProgramCommit says when the target update ran another commit of this program: the
// rollback runs this checkout's program with that update's config.
func (r *rollbackRun) noteProgramCommit(target *history.Update) {
	then := target.Environment[history.EnvGitHead]
	if then == "" {
		return
	}
	out, err := exec.Command("git", "-C", r.dir, "rev-parse", "HEAD").Output()
	if err != nil {
		return
	}
	now := strings.TrimSpace(string(out))
	if now != then {
		fmt.Fprintf(r.stdout, "Note: update %d ran program commit %s; this checkout is at %s. The rollback runs this checkout's program with update %d's config (to run that program too: git checkout %s).\n",
			target.Version, then, now, target.Version, then)
	}
}

func (r *rollbackRun) confirm(question string) (bool, error) {
	if f, ok := r.stdin.(*os.File); !ok || !term.IsTerminal(int(f.Fd())) {
		return false, errors.New("not confirmed: stdin is not a terminal; pass --yes to apply without asking")
	}
	fmt.Fprintf(r.stdout, "\n%s Type yes to apply: ", question)
	line, err := bufio.NewReader(r.stdin).ReadString('\n')
	if err != nil && err != io.EOF {
		return false, err
	}
	return strings.TrimSpace(line) == "yes", nil
}

// projectName reads the project's name (its config namespace) from Pulumi.yaml.
func projectName(dir string) (string, error) {
	data, err := os.ReadFile(filepath.Join(dir, "Pulumi.yaml"))
	if err != nil {
		return "", fmt.Errorf("not a Pulumi project directory (use --cwd): %w", err)
	}
	var p struct {
		Name string `yaml:"name"`
	}
	if err := yaml.Unmarshal(data, &p); err != nil || p.Name == "" {
		return "", fmt.Errorf("%s: no project name", filepath.Join(dir, "Pulumi.yaml"))
	}
	return p.Name, nil
}

// shortStack is the stack's own name from org/project/stack.
func shortStack(s string) string {
	return s[strings.LastIndex(s, "/")+1:]
}

func copyFile(src, dst string) error {
	data, err := os.ReadFile(src)
	if errors.Is(err, os.ErrNotExist) {
		data = nil // a stack without a config file: start from an empty one
	} else if err != nil {
		return err
	}
	return os.WriteFile(dst, data, 0o600)
}
