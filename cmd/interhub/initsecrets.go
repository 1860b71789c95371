package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/coulomb-social/inter-hub-deploy/internal/initsecrets"
)

// setFlags collects repeated --set NAME=VALUE flags.
type setFlags map[string]string

func (s setFlags) String() string { return "" }

func (s setFlags) Set(v string) error {
	name, value, ok := strings.Cut(v, "=")
	if !ok || name == "" {
		return fmt.Errorf("want NAME=VALUE, not %q", v)
	}
	if _, dup := s[name]; dup {
		return fmt.Errorf("%s given twice", name)
	}
	s[name] = value
	return nil
}

func runInitSecrets(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("init-secrets", flag.ContinueOnError)
	fs.SetOutput(stderr)
	stack := fs.String("stack", "", "stack whose file deploy/secrets/<stack>.env.sops.yaml is created (required)")
	recipient := fs.String("age-recipient", "", "the operator's age public key, age1... (required; age-keygen -y KEYFILE prints it)")
	repo := fs.String("repo", ".", "the repository (holding .sops.yaml and deploy/secrets/)")
	fromStdin := fs.Bool("values-from-stdin", false, "read NAME=VALUE lines from stdin (keeps values out of the shell's history)")
	values := setFlags{}
	fs.Var(values, "set", "NAME=VALUE of a variable; repeatable. Unset required variables are generated (INTERHUB_API_KEY) or get their default (IHP_ENV=Production)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *stack == "" || *recipient == "" || fs.NArg() != 0 {
		return fail(stderr, "init-secrets", errors.New("--stack and --age-recipient are required and no arguments are taken"))
	}
	if *fromStdin {
		if err := readValues(stdin, values); err != nil {
			return fail(stderr, "init-secrets", fmt.Errorf("stdin: %w", err))
		}
	}
	sops, err := exec.LookPath("sops")
	if err != nil {
		return fail(stderr, "init-secrets", errors.New(`sops is not on PATH (eval "$(toolchain/tools.sh env)")`))
	}
	if _, err := os.Stat(filepath.Join(*repo, "Pulumi.yaml")); err != nil {
		return fail(stderr, "init-secrets", fmt.Errorf("%s is not the repository (no Pulumi.yaml); run from its root or pass --repo", *repo))
	}
	res, err := initsecrets.Run(context.Background(), initsecrets.Options{
		RepoDir: *repo, Stack: *stack, Recipient: *recipient, Values: values, Sops: sops,
	})
	if err != nil {
		return fail(stderr, "init-secrets", err)
	}
	fmt.Fprintf(stdout, "created %s, encrypted for %s:\n", res.File, *recipient)
	for _, k := range res.Keys {
		note := ""
		switch {
		case slices.Contains(res.Generated, k):
			note = " (generated)"
		case slices.Contains(res.Defaulted, k):
			note = " (default)"
		}
		fmt.Fprintf(stdout, "  %s%s\n", k, note)
	}
	switch res.Rule {
	case "updated":
		fmt.Fprintf(stdout, ".sops.yaml: the rule for %s held the placeholder and now names %s\n", res.File, *recipient)
	case "added":
		fmt.Fprintf(stdout, ".sops.yaml: added a rule for %s naming %s\n", res.File, *recipient)
	}
	fmt.Fprintf(stdout, "read a value: sops -d --extract '[\"INTERHUB_API_KEY\"]' %s\n", res.File)
	fmt.Fprintf(stdout, "then commit: git add .sops.yaml %s\n", res.File)
	return 0
}

// readValues reads NAME=VALUE lines; blank lines and lines starting with # are skipped.
func readValues(r io.Reader, into setFlags) error {
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		if err := into.Set(line); err != nil {
			return fmt.Errorf("line %d: %w", n, err)
		}
	}
	return sc.Err()
}
