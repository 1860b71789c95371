// Package command serves command:remote:Command and command:local:Command
// (packages remote and local) under the tokens, property names, defaults and
// replace semantics of the official command plugin.
package command

import (
	"context"
	"maps"
	"slices"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"

	"interhub/toolchain/providers/internal/cmdout"
)

// Environment variables that carry the previous run's output, as upstream.
const (
	EnvPrevStdout = "PULUMI_COMMAND_STDOUT"
	EnvPrevStderr = "PULUMI_COMMAND_STDERR"
)

// LoggingValues are the values of both modules' Logging enums.
func LoggingValues[T ~string]() []infer.EnumValue[T] {
	return []infer.EnumValue[T]{
		{Name: cmdout.LogStdout, Value: cmdout.LogStdout, Description: "Capture stdout in logs but not stderr"},
		{Name: cmdout.LogStderr, Value: cmdout.LogStderr, Description: "Capture stderr in logs but not stdout"},
		{Name: cmdout.LogStdoutAndStderr, Value: cmdout.LogStdoutAndStderr, Description: "Capture stdout and stderr in logs"},
		{Name: cmdout.LogNone, Value: cmdout.LogNone, Description: "Capture no logs"},
	}
}

// Capture streams the lines logging allows to the engine, as status messages
// of the resource, as upstream does.
func Capture(ctx context.Context, logging *string) *cmdout.Capture {
	out, errs := cmdout.ShouldLog(logging)
	logger := p.GetLogger(ctx)
	return cmdout.New(func(line string) { logger.InfoStatus(line) }, out, errs)
}

// Secrets are the values a failure message must not show: every environment
// value and the stdin.
func Secrets(env map[string]string, stdin string) []string {
	s := slices.Collect(maps.Values(env))
	if stdin != "" {
		s = append(s, stdin)
	}
	return s
}

// Deref is *v, or def when v is nil.
func Deref[T any](v *T, def T) T {
	if v == nil {
		return def
	}
	return *v
}

// RunFunc runs one step's script ("create", "update" or "delete") and records its output.
type RunFunc func(ctx context.Context, step, script string) error

// RunCreate runs the create script, except in a preview or when there is none.
func RunCreate(ctx context.Context, dryRun bool, create *string, run RunFunc) error {
	if dryRun || create == nil {
		return nil
	}
	return run(ctx, "create", *create)
}

// RunUpdate runs the update script, or the create script when there is no update script, as
// upstream does; nothing in a preview.
func RunUpdate(ctx context.Context, dryRun bool, update, create *string, run RunFunc) error {
	switch {
	case dryRun:
		return nil
	case update != nil:
		return run(ctx, "update", *update)
	case create != nil:
		return run(ctx, "create", *create)
	}
	return nil
}

// RunDelete runs the delete script when there is one.
func RunDelete(ctx context.Context, del *string, run RunFunc) error {
	if del == nil {
		return nil
	}
	return run(ctx, "delete", *del)
}
