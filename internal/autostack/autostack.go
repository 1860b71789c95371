// Package autostack opens a stack of this Pulumi project through the Automation API, for the
// operator commands (rollback, drift, smoke), with the `pulumi` CLI found on PATH.
package autostack

import (
	"context"
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
)

// Open selects stack in the project directory dir, as `pulumi stack select` does; every
// operation on the returned stack names it, so the selection itself changes nothing.
func Open(ctx context.Context, dir, stack string) (auto.Stack, error) {
	ws, err := auto.NewLocalWorkspace(ctx, auto.WorkDir(dir))
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
