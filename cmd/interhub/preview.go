package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/coulomb-social/inter-hub-deploy/internal/previewsummary"
)

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
	err := previewsummary.Run(stdin, *stack, *errFile, stdout)
	if errors.Is(err, previewsummary.ErrPreviewFailed) {
		fmt.Fprintf(stderr, "interhub preview-summary: %s\n", err)
		return 1
	}
	if err != nil {
		return fail(stderr, "preview-summary", err)
	}
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
