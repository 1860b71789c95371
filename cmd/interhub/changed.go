package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/coulomb-social/inter-hub-deploy/internal/affected"
)

func runChangedStacks(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("changed-stacks", flag.ContinueOnError)
	fs.SetOutput(stderr)
	stacks := fs.String("stacks", "", "comma-separated stacks to consider (required), e.g. railiance01")
	repo := fs.String("repo", ".", "repository root (the program's directory)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var candidates []string
	for _, s := range strings.Split(*stacks, ",") {
		if s = strings.TrimSpace(s); s != "" {
			candidates = append(candidates, s)
		}
	}
	if len(candidates) == 0 || fs.NArg() != 0 {
		return fail(stderr, "changed-stacks", errors.New("--stacks is required; the changed files are read from stdin, one per line"))
	}
	var files []string
	sc := bufio.NewScanner(stdin)
	for sc.Scan() {
		files = append(files, sc.Text())
	}
	if err := sc.Err(); err != nil {
		return fail(stderr, "changed-stacks", err)
	}
	dirs, err := affected.ProgramDirs(*repo)
	if err != nil {
		return fail(stderr, "changed-stacks", err)
	}
	for _, s := range affected.Stacks(files, candidates, dirs) {
		fmt.Fprintln(stdout, s)
	}
	return 0
}
