package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

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

func firstEnv(names ...string) string {
	for _, n := range names {
		if v := os.Getenv(n); v != "" {
			return v
		}
	}
	return ""
}
