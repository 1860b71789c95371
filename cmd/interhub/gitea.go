package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/coulomb-social/inter-hub-deploy/internal/gitea"
)

// previewMarker is the hidden HTML comment by which the preview workflow finds its own comment
// on a pull request, to edit it on the next run instead of adding another.
const previewMarker = "<!-- inter-hub:preview -->"

// giteaFlags are the flags every Gitea command shares; the defaults come from the Actions
// environment of a job.
type giteaFlags struct {
	server, repo, tokenEnv *string
}

func addGiteaFlags(fs *flag.FlagSet) giteaFlags {
	return giteaFlags{
		server:   fs.String("server", firstEnv("GITEA_SERVER_URL", "GITHUB_SERVER_URL"), "Gitea base URL (default from the Actions environment)"),
		repo:     fs.String("repo", firstEnv("GITEA_REPOSITORY", "GITHUB_REPOSITORY"), "owner/name (default from the Actions environment)"),
		tokenEnv: fs.String("token-env", "GITEA_TOKEN", "name of the environment variable holding the token"),
	}
}

func (g giteaFlags) client() (*gitea.Client, string, string, error) {
	owner, name, err := gitea.SplitRepo(*g.repo)
	if err != nil {
		return nil, "", "", err
	}
	token := os.Getenv(*g.tokenEnv)
	if token == "" {
		return nil, "", "", fmt.Errorf("the token variable %s is empty or unset (--token-env names it)", *g.tokenEnv)
	}
	return &gitea.Client{Server: *g.server, Token: token}, owner, name, nil
}

func runGiteaComment(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("gitea-comment", flag.ContinueOnError)
	fs.SetOutput(stderr)
	g := addGiteaFlags(fs)
	pr := fs.Int("pr", 0, "pull request number (required)")
	marker := fs.String("marker", previewMarker, "hidden marker of the comment to edit; the token's own comment holding it is edited, else one is posted")
	always := fs.Bool("new", false, "always post a new comment (no marker search)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	c, owner, name, err := g.client()
	if err != nil {
		return fail(stderr, "gitea-comment", err)
	}
	body, err := io.ReadAll(stdin)
	if err != nil {
		return fail(stderr, "gitea-comment", err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return fail(stderr, "gitea-comment", fmt.Errorf("empty comment on stdin"))
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if *always {
		cm, err := c.PostComment(ctx, owner, name, *pr, string(body))
		if err != nil {
			return fail(stderr, "gitea-comment", err)
		}
		fmt.Fprintf(stdout, "posted comment %d: %s\n", cm.ID, cm.HTMLURL)
		return 0
	}
	cm, created, err := c.UpsertComment(ctx, owner, name, *pr, *marker, string(body))
	if err != nil {
		return fail(stderr, "gitea-comment", err)
	}
	verb := "edited"
	if created {
		verb = "posted"
	}
	fmt.Fprintf(stdout, "%s comment %d: %s\n", verb, cm.ID, cm.HTMLURL)
	return 0
}

// multiFlag collects a repeated flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// runGiteaRepoConfig sets a repository's Actions variables and secrets through the API: what the
// RUNBOOK's runner set-up and the stand-in both run. Secret values never appear on the command
// line: NAME takes the value of the environment variable NAME, NAME=@FILE the content of FILE.
func runGiteaRepoConfig(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("gitea-repo-config", flag.ContinueOnError)
	fs.SetOutput(stderr)
	g := addGiteaFlags(fs)
	var vars, secrets multiFlag
	fs.Var(&vars, "var", "NAME=VALUE: set the Actions variable NAME (repeatable)")
	fs.Var(&secrets, "secret", "NAME (value from the environment variable NAME) or NAME=@FILE: set the Actions secret NAME (repeatable)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 0 || len(vars)+len(secrets) == 0 {
		return fail(stderr, "gitea-repo-config", errors.New("usage: interhub gitea-repo-config --server URL --repo OWNER/NAME [--var NAME=VALUE]... [--secret NAME | --secret NAME=@FILE]..."))
	}
	c, owner, name, err := g.client()
	if err != nil {
		return fail(stderr, "gitea-repo-config", err)
	}
	type setting struct{ name, value string }
	var vs, ss []setting
	for _, v := range vars {
		k, val, ok := strings.Cut(v, "=")
		if !ok || k == "" {
			return fail(stderr, "gitea-repo-config", fmt.Errorf("--var %q: want NAME=VALUE", v))
		}
		vs = append(vs, setting{k, val})
	}
	for _, s := range secrets {
		k, src, hasSrc := strings.Cut(s, "=")
		var val string
		switch {
		case k == "":
			return fail(stderr, "gitea-repo-config", fmt.Errorf("--secret %q: want NAME or NAME=@FILE", s))
		case !hasSrc:
			val = os.Getenv(k)
			if val == "" {
				return fail(stderr, "gitea-repo-config", fmt.Errorf("--secret %s: the environment variable %s is empty or unset", k, k))
			}
		case strings.HasPrefix(src, "@"):
			data, err := os.ReadFile(src[1:])
			if err != nil {
				return fail(stderr, "gitea-repo-config", fmt.Errorf("--secret %s: %w", k, err))
			}
			val = string(data)
		default:
			return fail(stderr, "gitea-repo-config", fmt.Errorf("--secret %s=...: a secret's value is read from the environment or @FILE, never given on the command line", k))
		}
		ss = append(ss, setting{k, val})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, v := range vs {
		if err := c.SetVariable(ctx, owner, name, v.name, v.value); err != nil {
			return fail(stderr, "gitea-repo-config", fmt.Errorf("variable %s: %w", v.name, err))
		}
		fmt.Fprintf(stdout, "variable %s = %s\n", v.name, v.value)
	}
	sort.Slice(ss, func(i, j int) bool { return ss[i].name < ss[j].name })
	for _, s := range ss {
		if err := c.SetSecret(ctx, owner, name, s.name, s.value); err != nil {
			return fail(stderr, "gitea-repo-config", fmt.Errorf("secret %s: %w", s.name, err))
		}
		fmt.Fprintf(stdout, "secret %s set (%d bytes)\n", s.name, len(s.value))
	}
	return 0
}

// runGiteaDispatch starts a workflow by workflow_dispatch and, with --wait, follows the run to
// its end: how an operator redeploys or records a revision (deploy.yaml with app_revision).
func runGiteaDispatch(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("gitea-dispatch", flag.ContinueOnError)
	fs.SetOutput(stderr)
	g := addGiteaFlags(fs)
	workflow := fs.String("workflow", "deploy.yaml", "workflow file under .gitea/workflows")
	ref := fs.String("ref", "main", "branch to run it on")
	var inputs multiFlag
	fs.Var(&inputs, "input", "NAME=VALUE: a workflow input (repeatable), e.g. app_revision=COMMIT")
	wait := fs.Duration("wait", 0, "follow the run for up to this long and exit with its result (0: do not wait)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 0 {
		return fail(stderr, "gitea-dispatch", errors.New("usage: interhub gitea-dispatch --server URL --repo OWNER/NAME [--workflow F] [--ref R] [--input NAME=VALUE]... [--wait 30m]"))
	}
	c, owner, name, err := g.client()
	if err != nil {
		return fail(stderr, "gitea-dispatch", err)
	}
	in := map[string]string{}
	for _, kv := range inputs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return fail(stderr, "gitea-dispatch", fmt.Errorf("--input %q: want NAME=VALUE", kv))
		}
		in[k] = v
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute+*wait)
	defer cancel()
	id, err := c.DispatchWorkflow(ctx, owner, name, *workflow, *ref, in)
	if err != nil {
		return fail(stderr, "gitea-dispatch", err)
	}
	run, err := c.GetRun(ctx, owner, name, id)
	if err != nil {
		return fail(stderr, "gitea-dispatch", err)
	}
	fmt.Fprintf(stdout, "started run %d of %s: %s\n", id, *workflow, run.HTMLURL)
	if *wait <= 0 {
		return 0
	}
	start := time.Now()
	run, err = c.WaitRun(ctx, owner, name, id, 3*time.Second)
	if err != nil {
		return fail(stderr, "gitea-dispatch", err)
	}
	fmt.Fprintf(stdout, "run %d: %s after %.0f s\n", id, run.Conclusion, time.Since(start).Seconds())
	if run.Conclusion != "success" {
		return 1
	}
	return 0
}
