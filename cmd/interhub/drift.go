package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/coulomb-social/inter-hub-deploy/internal/drift"
	"github.com/coulomb-social/inter-hub-deploy/internal/previewsummary"
	"github.com/coulomb-social/inter-hub-deploy/internal/pulumicli"
)

func runDrift(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("drift", flag.ContinueOnError)
	fs.SetOutput(stderr)
	stack := fs.String("stack", "", "stack to check (required)")
	dir := fs.String("cwd", ".", "the Pulumi project directory")
	configFile := fs.String("config-file", "", "stack config file other than Pulumi.<stack>.yaml")
	fromStdin := fs.Bool("json-stdin", false, "read the JSON of `pulumi refresh --preview-only --json` from stdin instead of running it")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *stack == "" || fs.NArg() != 0 {
		return fail(stderr, "drift", errors.New("--stack is required and no arguments are taken"))
	}
	var data []byte
	if *fromStdin {
		var err error
		if data, err = io.ReadAll(stdin); err != nil {
			return fail(stderr, "drift", err)
		}
	} else {
		// --preview-only: compare with the real state but save nothing.
		cli := &pulumicli.CLI{Dir: *dir, Stderr: stderr}
		var err error
		args := []string{"refresh", "--preview-only", "--json", "--stack", *stack}
		if *configFile != "" {
			args = append(args, "--config-file", *configFile)
		}
		data, err = cli.Output(context.Background(), args...)
		if err != nil && len(bytes.TrimSpace(data)) == 0 {
			return fail(stderr, "drift", err)
		}
	}
	p, err := previewsummary.Parse(bytes.NewReader(data))
	if err != nil {
		return fail(stderr, "drift", err)
	}
	if errs := p.Errors(); len(errs) > 0 {
		for _, d := range errs {
			fmt.Fprintf(stderr, "error: %s\n", d.Message)
		}
		return fail(stderr, "drift", fmt.Errorf("the refresh preview of %s failed with %d error(s); drift unknown", *stack, len(errs)))
	}
	found := drift.Find(p)
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
