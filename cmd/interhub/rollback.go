package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/coulomb-social/inter-hub-deploy/internal/autostack"
	"github.com/coulomb-social/inter-hub-deploy/internal/rollback"
)

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
	req := rollback.Request{ConfigFile: *configFile, To: *to, Stdout: stdout, Stderr: stderr}
	if !*yes {
		req.Confirm = func(q string) (bool, error) { return confirm(stdin, stdout, q) }
	}
	ctx := context.Background()
	st, err := autostack.Open(ctx, *dir, *stack)
	if err == nil {
		err = rollback.Run(ctx, st, req)
	}
	switch {
	case errors.Is(err, rollback.ErrNotConfirmed):
		fmt.Fprintln(stdout, "Not confirmed; nothing was changed.")
		return 1
	case errors.Is(err, rollback.ErrUpdateFailed):
		return 1
	case err != nil:
		return fail(stderr, "rollback", err)
	}
	return 0
}

// confirm asks on the terminal; without one it refuses, so that CI must say --yes.
func confirm(stdin io.Reader, stdout io.Writer, question string) (bool, error) {
	if f, ok := stdin.(*os.File); !ok || !term.IsTerminal(int(f.Fd())) {
		return false, errors.New("not confirmed: stdin is not a terminal; pass --yes to apply without asking")
	}
	fmt.Fprintf(stdout, "\n%s Type yes to apply: ", question)
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && err != io.EOF {
		return false, err
	}
	return strings.TrimSpace(line) == "yes", nil
}
