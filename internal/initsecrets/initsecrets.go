// Package initsecrets creates a stack's SOPS file of app environment variables
// (deploy/secrets/<stack>.env.sops.yaml) for an operator's age recipient: every variable the app
// and the smoke checks need, with values from the operator or generated where that is safe,
// placeholders refused and an existing file never overwritten. It encrypts with the sops binary
// under the repository's creation rules (.sops.yaml), after putting the recipient into the
// stack's rule when that still holds the placeholder.
package initsecrets

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"filippo.io/age"
	"go.yaml.in/yaml/v3"

	"github.com/coulomb-social/inter-hub-deploy/internal/appenv"
	"github.com/coulomb-social/inter-hub-deploy/internal/sopsfile"
)

// Var is a variable every stack's SOPS file holds.
type Var struct {
	Name string
	Doc  string
	// Default is a fixed, non-secret value used when the operator gives none.
	Default string
	// Generate: a random 256-bit value (64 hex characters) is used when the operator gives none.
	Generate bool
}

// Required are the variables the app reads from its Secret beyond those the program sets itself
// (appenv.Reserved), and that the smoke checks use.
var Required = []Var{
	{Name: "INTERHUB_API_KEY", Generate: true,
		Doc: "key of the app's API (/api/v2); the smoke checks send it as a Bearer token"},
	{Name: "IHP_ENV", Default: "Production",
		Doc: "IHP's environment: Production runs the app with its production settings"},
}

// Options say what to create.
type Options struct {
	RepoDir   string // the repository: .sops.yaml and deploy/secrets/ are in it
	Stack     string
	Recipient string // the operator's age public key (age1...)
	// Values are the operator's variables (from flags or stdin), required ones included or not.
	Values map[string]string
	Sops   string    // the sops binary
	Random io.Reader // source of generated values; nil means crypto/rand
}

// Result says what was done.
type Result struct {
	File      string   // the SOPS file, relative to RepoDir
	Keys      []string // its variables, in file order
	Generated []string // variables whose value was generated
	Defaulted []string // variables that got their fixed default
	// Rule is what happened to .sops.yaml: "" (unchanged), "updated" (the stack's rule held the
	// placeholder and now names the recipient) or "added" (there was no rule for the file).
	Rule string
}

// PlaceholderRecipient is what .sops.yaml holds until the operators' keys are put in.
const PlaceholderRecipient = "REPLACE-WITH-THE-OPERATORS-AGE-PUBLIC-KEYS"

var stackName = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// Run creates the file. Nothing is written unless every value is good and sops succeeded.
func Run(ctx context.Context, o Options) (*Result, error) {
	if !stackName.MatchString(o.Stack) {
		return nil, fmt.Errorf("--stack %q: not a stack name (lowercase letters, digits and -)", o.Stack)
	}
	if _, err := age.ParseX25519Recipient(o.Recipient); err != nil {
		return nil, fmt.Errorf("--age-recipient %q: not an age public key (age1..., as age-keygen -y prints it): %v", o.Recipient, err)
	}
	res := &Result{File: filepath.ToSlash(filepath.Join("deploy", "secrets", o.Stack+".env.sops.yaml"))}
	target := filepath.Join(o.RepoDir, filepath.FromSlash(res.File))
	if _, err := os.Lstat(target); err == nil {
		return nil, fmt.Errorf("%s already exists; init-secrets never overwrites it (edit it with: sops %s)", res.File, res.File)
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", res.File, err)
	}

	values, err := collect(o, res)
	if err != nil {
		return nil, err
	}

	confPath := filepath.Join(o.RepoDir, ".sops.yaml")
	conf, err := os.ReadFile(confPath)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf(".sops.yaml: %w", err)
	}
	newConf, rule, err := withRecipient(conf, res.File, o.Stack, o.Recipient)
	if err != nil {
		return nil, fmt.Errorf(".sops.yaml: %w", err)
	}
	res.Rule = rule

	encrypted, err := encrypt(ctx, o, newConf, res.File, plainYAML(res.Keys, values))
	if err != nil {
		return nil, err
	}
	if err := writeNew(target, encrypted); err != nil {
		return nil, fmt.Errorf("%s: %w", res.File, err)
	}
	if rule != "" {
		if err := replaceFile(confPath, newConf); err != nil {
			os.Remove(target) // the file's keys and .sops.yaml must agree; start over
			return nil, fmt.Errorf(".sops.yaml: %w (%s was not kept)", err, res.File)
		}
	}
	return res, nil
}

// collect checks the operator's values and completes the required ones; every problem is
// reported at once.
func collect(o Options, res *Result) (map[string]string, error) {
	var problems []string
	values := map[string]string{}
	var extra []string
	for name, v := range o.Values {
		switch {
		case !sopsfile.ValidName(name):
			problems = append(problems, fmt.Sprintf("%s: not an environment variable name", name))
		case slices.Contains(appenv.Reserved, name):
			problems = append(problems, fmt.Sprintf("%s: the program sets it itself; leave it out", name))
		case placeholder(v):
			problems = append(problems, fmt.Sprintf("%s: %q is a placeholder, not a value", name, v))
		default:
			values[name] = v
			if !slices.ContainsFunc(Required, func(r Var) bool { return r.Name == name }) {
				extra = append(extra, name)
			}
		}
	}
	random := o.Random
	if random == nil {
		random = rand.Reader
	}
	for _, r := range Required {
		res.Keys = append(res.Keys, r.Name)
		if _, given := o.Values[r.Name]; given {
			continue
		}
		switch {
		case r.Generate:
			b := make([]byte, 32)
			if _, err := io.ReadFull(random, b); err != nil {
				return nil, fmt.Errorf("generating %s: %w", r.Name, err)
			}
			values[r.Name] = hex.EncodeToString(b)
			res.Generated = append(res.Generated, r.Name)
		case r.Default != "":
			values[r.Name] = r.Default
			res.Defaulted = append(res.Defaulted, r.Name)
		default:
			problems = append(problems, fmt.Sprintf("%s: missing (%s)", r.Name, r.Doc))
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return nil, fmt.Errorf("nothing was written:\n  %s", strings.Join(problems, "\n  "))
	}
	sort.Strings(extra)
	res.Keys = append(res.Keys, extra...)
	return values, nil
}

// placeholder reports values that stand for a value rather than being one.
func placeholder(v string) bool {
	t := strings.ToLower(strings.TrimSpace(v))
	switch {
	case t == "":
		return true
	case strings.HasPrefix(t, "<") && strings.HasSuffix(t, ">"), strings.HasPrefix(t, "${"):
		return true
	case strings.Trim(t, "x*.-_ ") == "":
		return true
	}
	for _, w := range []string{"changeme", "change-me", "change_me", "todo", "tbd", "fixme", "placeholder", "secret",
		"password", "example", "dummy", "none", "null"} {
		if t == w {
			return true
		}
	}
	for _, w := range []string{"changeme", "change-me", "change_me", "placeholder", "replace-with", "replace_with", "replaceme", "fixme"} {
		if strings.Contains(t, w) {
			return true
		}
	}
	return strings.HasPrefix(t, "todo")
}

// plainYAML renders the variables as a flat YAML mapping of quoted strings.
func plainYAML(keys []string, values map[string]string) []byte {
	m := &yaml.Node{Kind: yaml.MappingNode}
	for _, k := range keys {
		m.Content = append(m.Content,
			&yaml.Node{Kind: yaml.ScalarNode, Value: k},
			&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Style: yaml.DoubleQuotedStyle, Value: values[k]})
	}
	out, err := yaml.Marshal(&yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{m}})
	if err != nil {
		panic(err) // a mapping of strings always marshals
	}
	return out
}

// withRecipient returns .sops.yaml's content with a creation rule for file that encrypts for
// recipient: the first matching rule (the one sops uses) as it is when it already names the
// recipient, with its placeholder replaced in place (comments kept), or a new rule appended
// when none matches. Rules naming other keys only are left to the operators.
func withRecipient(conf []byte, file, stack, recipient string) ([]byte, string, error) {
	out, rule, err := editRules(conf, file, stack, recipient)
	if err != nil || rule == "" {
		return out, rule, err
	}
	// What sops will read: the first rule matching file must name the recipient.
	if _, again, err := editRules(out, file, stack, recipient); err != nil || again != "" {
		return nil, "", fmt.Errorf("could not make a creation rule for %s that names %s; add it by hand", file, recipient)
	}
	return out, rule, nil
}

func editRules(conf []byte, file, stack, recipient string) ([]byte, string, error) {
	if len(bytes.TrimSpace(conf)) == 0 {
		conf = []byte("creation_rules:\n")
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(conf, &doc); err != nil {
		return nil, "", fmt.Errorf("not valid YAML: %w", err)
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, "", fmt.Errorf("not a mapping with creation_rules")
	}
	root := doc.Content[0]
	var rules *yaml.Node
	last := false
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "creation_rules" {
			rules, last = root.Content[i+1], i+2 == len(root.Content)
		}
	}
	if rules != nil && rules.Kind == yaml.SequenceNode {
		for _, r := range rules.Content {
			pathRegex, ageNode := ruleFields(r)
			re, err := regexp.Compile(pathRegex)
			if err != nil {
				return nil, "", fmt.Errorf("path_regex %q: %w", pathRegex, err)
			}
			if pathRegex == "" || !re.MatchString(file) {
				continue
			}
			return ruleFor(conf, ageNode, file, recipient)
		}
	}
	if rules != nil && (!last || (rules.Kind != yaml.SequenceNode && rules.Tag != "!!null")) {
		return nil, "", fmt.Errorf("no creation rule matches %s, and creation_rules is not a list at the end of the file to add one to; add it by hand", file)
	}
	if rules == nil {
		conf = append(bytes.TrimRight(conf, "\n"), []byte("\ncreation_rules:\n")...)
	}
	added := fmt.Sprintf("\n  # %s: added by interhub init-secrets; add further operators' keys here (comma-separated),\n"+
		"  # then run sops updatekeys %s.\n  - path_regex: (^|/)%s$\n    age: %s\n",
		stack, file, regexp.QuoteMeta(file), recipient)
	return append(bytes.TrimRight(conf, "\n"), []byte("\n"+added)...), "added", nil
}

func ruleFields(r *yaml.Node) (pathRegex string, ageNode *yaml.Node) {
	if r.Kind != yaml.MappingNode {
		return "", nil
	}
	for i := 0; i+1 < len(r.Content); i += 2 {
		switch r.Content[i].Value {
		case "path_regex":
			pathRegex = r.Content[i+1].Value
		case "age":
			ageNode = r.Content[i+1]
		}
	}
	return pathRegex, ageNode
}

// ruleFor settles the recipients of the rule that matches file.
func ruleFor(conf []byte, ageNode *yaml.Node, file, recipient string) ([]byte, string, error) {
	if ageNode == nil || ageNode.Kind != yaml.ScalarNode {
		return nil, "", fmt.Errorf("the creation rule for %s has no age recipients; add %s to it by hand", file, recipient)
	}
	var keys, other []string
	for _, k := range strings.Split(ageNode.Value, ",") {
		k = strings.TrimSpace(k)
		if _, err := age.ParseX25519Recipient(k); err == nil {
			keys = append(keys, k)
		} else if k != "" {
			other = append(other, k)
		}
	}
	switch {
	case len(keys) == 0 && len(other) == 1 && other[0] == PlaceholderRecipient:
		// Replace the placeholder on its own line, so that the file's comments stay.
		lines := strings.Split(string(conf), "\n")
		i, col := ageNode.Line-1, ageNode.Column-1
		if i < 0 || i >= len(lines) || col < 0 || !strings.HasPrefix(lines[i][col:], ageNode.Value) {
			return nil, "", fmt.Errorf("cannot find the placeholder of the rule for %s; replace it by hand", file)
		}
		lines[i] = lines[i][:col] + recipient + lines[i][col+len(ageNode.Value):]
		return []byte(strings.Join(lines, "\n")), "updated", nil
	case len(other) > 0:
		return nil, "", fmt.Errorf("the creation rule for %s holds %q, which is not an age public key; fix it by hand", file, strings.Join(other, ", "))
	case !slices.Contains(keys, recipient):
		return nil, "", fmt.Errorf("the creation rule for %s encrypts for %s, not for %s: add your key to that rule first (then `sops updatekeys` for files that exist)",
			file, strings.Join(keys, ", "), recipient)
	}
	return conf, "", nil
}

// encrypt runs sops on the plain values (on stdin, never in a file) with conf as its creation
// rules, and checks that the result is encrypted for recipient.
func encrypt(ctx context.Context, o Options, conf []byte, file string, plain []byte) ([]byte, error) {
	tmp, err := os.CreateTemp("", "interhub-sops-*.yaml")
	if err != nil {
		return nil, fmt.Errorf("creation rules for sops: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(conf); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("creation rules for sops: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("creation rules for sops: %w", err)
	}
	cmd := exec.CommandContext(ctx, o.Sops, "--config", tmp.Name(), "encrypt", "--filename-override", file,
		"--input-type", "yaml", "--output-type", "yaml")
	cmd.Dir = o.RepoDir
	cmd.Env = append(os.Environ(), "SOPS_DISABLE_VERSION_CHECK=1")
	cmd.Stdin = bytes.NewReader(plain)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("sops encrypt for %s: %v: %s", file, err, strings.TrimSpace(stderr.String()))
	}
	var meta struct {
		Sops struct {
			Age []struct {
				Recipient string `yaml:"recipient"`
			} `yaml:"age"`
		} `yaml:"sops"`
	}
	if err := yaml.Unmarshal(stdout.Bytes(), &meta); err != nil {
		return nil, fmt.Errorf("sops encrypt for %s: unreadable output: %w", file, err)
	}
	for _, a := range meta.Sops.Age {
		if a.Recipient == o.Recipient {
			return stdout.Bytes(), nil
		}
	}
	return nil, fmt.Errorf("sops encrypted %s, but not for %s", file, o.Recipient)
}

// writeNew writes a file that must not exist yet.
func writeNew(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return err
	}
	return nil
}

// replaceFile writes data to path through a temporary file in the same directory.
func replaceFile(path string, data []byte) error {
	mode := os.FileMode(0o644)
	if st, err := os.Stat(path); err == nil {
		mode = st.Mode().Perm()
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".sops.yaml.*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
