// Package pulumicli runs the pulumi CLI for the operator commands: captured for JSON, streamed
// for what the operator should watch.
package pulumicli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
)

// CLI runs `pulumi` in a project directory.
type CLI struct {
	Bin    string   // the pulumi binary; "pulumi" from PATH when empty
	Dir    string   // the project directory; the working directory when empty
	Env    []string // the environment; the process's own when nil
	Stdout io.Writer
	Stderr io.Writer
}

func (c *CLI) command(ctx context.Context, args []string) *exec.Cmd {
	bin := c.Bin
	if bin == "" {
		bin = "pulumi"
	}
	cmd := exec.CommandContext(ctx, bin, append(args, "--non-interactive")...)
	cmd.Dir = c.Dir
	cmd.Env = c.Env
	if cmd.Env == nil {
		cmd.Env = os.Environ()
	}
	return cmd
}

// Output runs pulumi and returns its stdout; on failure the error carries stderr.
func (c *CLI) Output(ctx context.Context, args ...string) ([]byte, error) {
	cmd := c.command(ctx, args)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.Bytes(), &Error{Args: args, Err: err, Stderr: stderr.String()}
	}
	return stdout.Bytes(), nil
}

// Stream runs pulumi with its output going to the CLI's Stdout and Stderr.
func (c *CLI) Stream(ctx context.Context, args ...string) error {
	cmd := c.command(ctx, args)
	cmd.Stdout, cmd.Stderr = orDiscard(c.Stdout), orDiscard(c.Stderr)
	if err := cmd.Run(); err != nil {
		return &Error{Args: args, Err: err}
	}
	return nil
}

// Error is a failed pulumi run.
type Error struct {
	Args   []string
	Err    error
	Stderr string
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("pulumi %s: %v", strings.Join(e.Args, " "), e.Err)
	if s := strings.TrimSpace(e.Stderr); s != "" {
		msg += "\n" + s
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}
