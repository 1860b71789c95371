// Package autostack opens a stack of this Pulumi project through the Automation API, for the
// operator commands (rollback, drift, smoke), with the `pulumi` CLI found on PATH.
package autostack

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
)

// Open selects stack in the project directory dir, as `pulumi stack select` does; every
// operation on the returned stack names it, so the selection itself changes nothing.
func Open(ctx context.Context, dir, stack string) (auto.Stack, error) {
	cli, err := auto.NewPulumiCommand(nil)
	if err != nil {
		return auto.Stack{}, err
	}
	ws, err := auto.NewLocalWorkspace(ctx, auto.WorkDir(dir), auto.Pulumi(unquotedMessage{cli}))
	if err != nil {
		return auto.Stack{}, fmt.Errorf("the Pulumi project in %s: %w", dir, err)
	}
	st, err := auto.SelectStack(ctx, stack, ws)
	if err != nil {
		return auto.Stack{}, fmt.Errorf("stack %s: %w", stack, err)
	}
	return st, nil
}

// Project is the project's name, its config namespace, from Pulumi.yaml.
func Project(ctx context.Context, st auto.Stack) (string, error) {
	p, err := st.Workspace().ProjectSettings(ctx)
	if err != nil {
		return "", fmt.Errorf("reading Pulumi.yaml: %w", err)
	}
	if p.Name == "" {
		return "", fmt.Errorf("%s/Pulumi.yaml: no project name", st.Workspace().WorkDir())
	}
	return string(p.Name), nil
}

// unquotedMessage runs the CLI as the Automation API asks, except that it takes the quotes off
// an update's message: the Go API passes `--message=%q` straight to exec, with no shell to
// remove them, so the stack's history would show "\"rollback to update 1\"".
type unquotedMessage struct{ auto.PulumiCommand }

func (c unquotedMessage) Run(ctx context.Context, workdir string, stdin io.Reader,
	out, errOut []io.Writer, env []string, args ...string,
) (string, string, int, error) {
	return c.PulumiCommand.Run(ctx, workdir, stdin, out, errOut, env, unquoteMessage(args)...)
}

func unquoteMessage(args []string) []string {
	fixed := make([]string, len(args))
	for i, a := range args {
		fixed[i] = a
		if q, ok := strings.CutPrefix(a, "--message="); ok {
			if m, err := strconv.Unquote(q); err == nil {
				fixed[i] = "--message=" + m
			}
		}
	}
	return fixed
}
