package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/coulomb-social/inter-hub-deploy/internal/gitea"
	"github.com/coulomb-social/inter-hub-deploy/internal/previewsummary"
)

// stderrTailLines is how much of a failed preview's stderr the summary quotes.
const stderrTailLines = 30

func runPreviewSummary(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("preview-summary", flag.ContinueOnError)
	fs.SetOutput(stderr)
	stack := fs.String("stack", "", "stack name for the heading")
	errFile := fs.String("stderr-file", "", "the preview's stderr, quoted when it produced no JSON")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 0 {
		return fail(stderr, "preview-summary", fmt.Errorf("unexpected arguments %q (the JSON is read from stdin)", fs.Args()))
	}
	title := *stack
	if title == "" {
		title = "stack"
	}
	p, err := previewsummary.Parse(stdin)
	if err != nil {
		// Still print a summary: the PR must show that the preview failed and why.
		fmt.Fprintf(stdout, "### Pulumi preview: %s\n\n**The preview failed:** %s\n\n", title, err)
		if *errFile != "" {
			if tail := tailLines(*errFile, stderrTailLines); tail != "" {
				fmt.Fprintf(stdout, "Last lines of its error output:\n\n```\n%s\n```\n\n", tail)
			}
		}
		fmt.Fprintf(stderr, "interhub preview-summary: %s\n", err)
		return 1
	}
	p.Markdown(stdout, title)
	if n := len(p.Errors()); n > 0 {
		fmt.Fprintf(stderr, "interhub preview-summary: the preview of %s has %d error(s)\n", title, n)
		return 1
	}
	return 0
}

func tailLines(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.ReplaceAll(strings.Join(lines, "\n"), "```", "'''")
}

func runGiteaComment(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("gitea-comment", flag.ContinueOnError)
	fs.SetOutput(stderr)
	server := fs.String("server", firstEnv("GITEA_SERVER_URL", "GITHUB_SERVER_URL"), "Gitea base URL (default from the Actions environment)")
	repo := fs.String("repo", firstEnv("GITEA_REPOSITORY", "GITHUB_REPOSITORY"), "owner/name (default from the Actions environment)")
	pr := fs.Int("pr", 0, "pull request number (required)")
	tokenEnv := fs.String("token-env", "GITEA_TOKEN", "name of the environment variable holding the token")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	owner, name, err := gitea.SplitRepo(*repo)
	if err != nil {
		return fail(stderr, "gitea-comment", err)
	}
	token := os.Getenv(*tokenEnv)
	if token == "" {
		return fail(stderr, "gitea-comment", fmt.Errorf("the token variable %s is empty or unset (--token-env names it)", *tokenEnv))
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
	c, err := (&gitea.Client{Server: *server, Token: token}).PostComment(ctx, owner, name, *pr, string(body))
	if err != nil {
		return fail(stderr, "gitea-comment", err)
	}
	fmt.Fprintf(stdout, "posted comment %d: %s\n", c.ID, c.HTMLURL)
	return 0
}

func firstEnv(names ...string) string {
	for _, n := range names {
		if v := os.Getenv(n); v != "" {
			return v
		}
	}
	return ""
}
