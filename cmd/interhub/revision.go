package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/coulomb-social/inter-hub-deploy/stacks"
)

// The app revision CI deploys is recorded in the stack file, Pulumi.<stack>.yaml on main: the
// deploy workflow writes a dispatched revision there (a commit on main) before it deploys, and
// every deploy deploys what main records. So main and the live stack agree after each successful
// deploy, and a later push to main deploys the same revision again instead of an older one.

// appRevisionKey is the stacks package's key (a test checks that it is in stacks.Keys).
const appRevisionKey = "app.revision"

func runAppRevision(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("app-revision", flag.ContinueOnError)
	fs.SetOutput(stderr)
	stack := fs.String("stack", "", "stack whose Pulumi.<stack>.yaml to read or change (required)")
	set := fs.String("set", "", "record this app revision (commit or tag) in the stack file")
	dir := fs.String("dir", ".", "project directory (holding Pulumi.yaml)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *stack == "" || fs.NArg() != 0 {
		return fail(stderr, "app-revision", errors.New("usage: interhub app-revision --stack S [--set REVISION]"))
	}
	project, err := projectName(*dir)
	if err != nil {
		return fail(stderr, "app-revision", err)
	}
	path := filepath.Join(*dir, "Pulumi."+*stack+".yaml")
	data, err := os.ReadFile(path)
	if err != nil {
		return fail(stderr, "app-revision", err)
	}
	key := project + ":" + appRevisionKey
	if *set == "" {
		rev, err := readConfigValue(data, key)
		if err != nil {
			return fail(stderr, "app-revision", fmt.Errorf("%s: %w", path, err))
		}
		if rev == "" {
			fmt.Fprintf(stderr, "interhub app-revision: %s records no %s; set it with `interhub app-revision --stack %s --set COMMIT` (or dispatch the deploy workflow with app_revision) and commit the file\n", path, key, *stack)
			return 1
		}
		fmt.Fprintln(stdout, rev)
		return 0
	}
	// The program's own check: the command refuses what the program would refuse.
	if !stacks.IsGitRevision(*set) {
		return fail(stderr, "app-revision", fmt.Errorf("not a git revision: %q", *set))
	}
	old, _ := readConfigValue(data, key)
	out, err := setConfigValue(data, key, *set)
	if err != nil {
		return fail(stderr, "app-revision", fmt.Errorf("%s: %w", path, err))
	}
	if string(out) != string(data) {
		info, err := os.Stat(path)
		if err != nil {
			return fail(stderr, "app-revision", err)
		}
		tmp := path + ".tmp"
		if err := os.WriteFile(tmp, out, info.Mode().Perm()); err != nil {
			return fail(stderr, "app-revision", err)
		}
		if err := os.Rename(tmp, path); err != nil {
			return fail(stderr, "app-revision", err)
		}
	}
	if old == "" {
		old = "(none)"
	}
	fmt.Fprintf(stdout, "%s %s: %s -> %s\n", path, key, old, *set)
	return 0
}

// readConfigValue returns the plain value of key under the stack file's config: ("" when unset).
func readConfigValue(data []byte, key string) (string, error) {
	var f struct {
		Config map[string]any `yaml:"config"`
	}
	if err := yaml.Unmarshal(data, &f); err != nil {
		return "", fmt.Errorf("not a stack file: %w", err)
	}
	v, ok := f.Config[key]
	if !ok || v == nil {
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("%s is not a plain string (a secret?)", key)
	}
	return s, nil
}

// setConfigValue sets key under config: to a plain string, editing only that line (or adding one
// at the top of the config block), so the file's comments and order stay as the operator wrote
// them.
func setConfigValue(data []byte, key, value string) ([]byte, error) {
	quoted := strconv.Quote(value)
	lines := strings.SplitAfter(string(data), "\n")
	configAt, indent, sawEntry := -1, "  ", false
	for i, line := range lines {
		trimmed := strings.TrimRight(line, "\r\n")
		if strings.TrimSpace(trimmed) == "config:" && !strings.HasPrefix(trimmed, " ") {
			configAt = i
			continue
		}
		if configAt < 0 {
			continue
		}
		body := strings.TrimLeft(trimmed, " ")
		if body == "" || strings.HasPrefix(body, "#") {
			continue
		}
		if len(body) == len(trimmed) {
			break // the next top-level key: the config block ended
		}
		if !sawEntry {
			indent, sawEntry = trimmed[:len(trimmed)-len(body)], true
		}
		if strings.HasPrefix(body, key+":") {
			rest := strings.TrimSpace(strings.TrimPrefix(body, key+":"))
			if rest == "" || strings.HasPrefix(rest, "secure:") {
				return nil, fmt.Errorf("%s is not a plain value on one line", key)
			}
			nl := line[len(trimmed):]
			lines[i] = trimmed[:len(trimmed)-len(body)] + key + ": " + quoted + nl
			return check(strings.Join(lines, ""), key, value)
		}
	}
	if configAt < 0 {
		return nil, errors.New("no top-level config: block")
	}
	entry := indent + key + ": " + quoted + "\n"
	if !strings.HasSuffix(lines[configAt], "\n") {
		lines[configAt] += "\n"
	}
	lines[configAt] += entry
	return check(strings.Join(lines, ""), key, value)
}

// check parses the edited file again: the edit must leave valid YAML with the value in place.
func check(out, key, value string) ([]byte, error) {
	got, err := readConfigValue([]byte(out), key)
	if err != nil {
		return nil, fmt.Errorf("the edited file does not parse: %w", err)
	}
	if got != value {
		return nil, fmt.Errorf("the edited file holds %q, not %q", got, value)
	}
	return []byte(out), nil
}

// projectName reads the project's name (its config namespace) from Pulumi.yaml; this command
// edits the stack file as text, so it runs without the pulumi CLI.
func projectName(dir string) (string, error) {
	data, err := os.ReadFile(filepath.Join(dir, "Pulumi.yaml"))
	if err != nil {
		return "", fmt.Errorf("not a Pulumi project directory (use --dir): %w", err)
	}
	var p struct {
		Name string `yaml:"name"`
	}
	if err := yaml.Unmarshal(data, &p); err != nil || p.Name == "" {
		return "", fmt.Errorf("%s: no project name", filepath.Join(dir, "Pulumi.yaml"))
	}
	return p.Name, nil
}
