package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/coulomb-social/inter-hub-deploy/internal/autostack"
	"github.com/coulomb-social/inter-hub-deploy/internal/drift"
)

func runDrift(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("drift", flag.ContinueOnError)
	fs.SetOutput(stderr)
	stack := fs.String("stack", "", "stack to check (required)")
	dir := fs.String("cwd", ".", "the Pulumi project directory")
	configFile := fs.String("config-file", "", "stack config file other than Pulumi.<stack>.yaml")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *stack == "" || fs.NArg() != 0 {
		return fail(stderr, "drift", errors.New("--stack is required and no arguments are taken"))
	}
	ctx := context.Background()
	st, err := autostack.Open(ctx, *dir, *stack)
	if err != nil {
		return fail(stderr, "drift", err)
	}
	found, err := drift.Check(ctx, st, *configFile)
	if err != nil {
		return fail(stderr, "drift", err)
	}
	drift.Write(stdout, *stack, found)
	if len(found) > 0 {
		fmt.Fprintf(stdout, "To see the differences: pulumi refresh --preview-only --diff --stack %s\n", *stack)
		// Fields changed with kubectl belong to kubectl's field manager afterwards; without
		// forcing, Pulumi's server-side apply stops on the conflict.
		fmt.Fprintf(stdout, "To put them back as the program declares them: PULUMI_K8S_ENABLE_PATCH_FORCE=true pulumi up --refresh --stack %s\n", *stack)
		fmt.Fprintf(stdout, "To accept the changes into the state instead: pulumi refresh --stack %s\n", *stack)
		return 1
	}
	return 0
}
