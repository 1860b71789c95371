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
