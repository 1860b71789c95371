// Package local serves command:local:Command: commands run on the machine
// that runs Pulumi.
package local

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"interhub/toolchain/providers/internal/cmdout"
	"interhub/toolchain/providers/internal/command"
)

// Logging is command:local:Logging (the token comes from the package and
// type names).
type Logging string

func (Logging) Values() []infer.EnumValue[Logging] { return command.LoggingValues[Logging]() }

// Command is command:local:Command.
type Command struct{}

// Args are the inputs. archivePaths and assetPaths are accepted by the
// schema but refused by Check: this plugin does not collect files.
type Args struct {
	Create                 *string            `pulumi:"create,optional"`
	Delete                 *string            `pulumi:"delete,optional"`
	Update                 *string            `pulumi:"update,optional"`
	Dir                    *string            `pulumi:"dir,optional"`
	Environment            *map[string]string `pulumi:"environment,optional"`
	Interpreter            *[]string          `pulumi:"interpreter,optional"`
	Stdin                  *string            `pulumi:"stdin,optional"`
	Triggers               *[]any             `pulumi:"triggers,optional" provider:"replaceOnChanges"`
	Logging                *Logging           `pulumi:"logging,optional"`
	AddPreviousOutputInEnv *bool              `pulumi:"addPreviousOutputInEnv,optional"`
	ArchivePaths           *[]string          `pulumi:"archivePaths,optional"`
	AssetPaths             *[]string          `pulumi:"assetPaths,optional"`
}

// State is the recorded state.
type State struct {
	Args
	Stdout string `pulumi:"stdout"`
	Stderr string `pulumi:"stderr"`
}

func (c *Command) Annotate(a infer.Annotator) {
	a.SetToken("local", "Command")
	a.Describe(&c, "A local command to be executed.")
}

func (a *Args) Annotate(an infer.Annotator) {
	an.Describe(&a.Create, "The command to run once on resource creation (and on update when `update` is not set).")
	an.Describe(&a.Update, "The command to run when the resource is updated; when empty, `create` runs instead.")
	an.Describe(&a.Delete, "The command to run on resource deletion.")
	an.Describe(&a.Dir, "The directory from which to run the command; defaults to the plugin's working directory.")
	an.Describe(&a.Interpreter, `The program and arguments that run the command; defaults to ["/bin/sh", "-c"].`)
	an.Describe(&a.Triggers, "The resource is replaced when any of these values change.")
	an.Describe(&a.Logging, "Which of stdout and stderr are logged. Output is recorded either way.")
	an.Describe(&a.ArchivePaths, "Not supported by this plugin; must be empty.")
	an.Describe(&a.AssetPaths, "Not supported by this plugin; must be empty.")
}

func (s *State) Annotate(a infer.Annotator) {
	a.Describe(&s.Stdout, "The standard output of the command's process")
	a.Describe(&s.Stderr, "The standard error of the command's process")
}

func (*Command) Check(ctx context.Context, req infer.CheckRequest) (infer.CheckResponse[Args], error) {
	args, failures, err := infer.DefaultCheck[Args](ctx, req.NewInputs)
	if err != nil || len(failures) > 0 {
		return infer.CheckResponse[Args]{Inputs: args, Failures: failures}, err
	}
	for name, v := range map[string]*[]string{"archivePaths": args.ArchivePaths, "assetPaths": args.AssetPaths} {
		if v != nil && len(*v) > 0 {
			failures = append(failures, p.CheckFailure{Property: name,
				Reason: "is not supported by this offline command plugin; use the official plugin to collect files"})
		}
	}
	if args.Interpreter != nil && len(*args.Interpreter) == 0 && !req.NewInputs.Get("interpreter").HasComputed() {
		failures = append(failures, p.CheckFailure{Property: "interpreter", Reason: "must name a program when set"})
	}
	return infer.CheckResponse[Args]{Inputs: args, Failures: failures}, nil
}

func (*Command) Create(ctx context.Context, req infer.CreateRequest[Args]) (infer.CreateResponse[State], error) {
	id, err := resource.NewUniqueHex(req.Name, 8, 0)
	if err != nil {
		return infer.CreateResponse[State]{}, err
	}
	state := State{Args: req.Inputs}
	err = command.RunCreate(ctx, req.DryRun, req.Inputs.Create, state.run)
	return infer.CreateResponse[State]{ID: id, Output: state}, err
}

func (*Command) Update(ctx context.Context, req infer.UpdateRequest[Args, State]) (infer.UpdateResponse[State], error) {
	state := State{Args: req.Inputs, Stdout: req.State.Stdout, Stderr: req.State.Stderr}
	err := command.RunUpdate(ctx, req.DryRun, req.Inputs.Update, req.Inputs.Create, state.run)
	return infer.UpdateResponse[State]{Output: state}, err
}

func (*Command) Delete(ctx context.Context, req infer.DeleteRequest[State]) (infer.DeleteResponse, error) {
	state := req.State
	return infer.DeleteResponse{}, command.RunDelete(ctx, req.State.Delete, state.run)
}

func (s *State) run(ctx context.Context, step, script string) error {
	interp := []string{"/bin/sh", "-c"}
	if s.Interpreter != nil && len(*s.Interpreter) > 0 {
		interp = *s.Interpreter
	}
	cmd := exec.CommandContext(ctx, interp[0], append(append([]string{}, interp[1:]...), script)...)
	cmd.Dir = deref(s.Dir, "")
	env := deref(s.Environment, nil)
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	if deref(s.AddPreviousOutputInEnv, true) {
		if s.Stdout != "" {
			cmd.Env = append(cmd.Env, command.EnvPrevStdout+"="+s.Stdout)
		}
		if s.Stderr != "" {
			cmd.Env = append(cmd.Env, command.EnvPrevStderr+"="+s.Stderr)
		}
	}
	where := "locally"
	if cmd.Dir != "" {
		where = "in " + cmd.Dir
	}
	stdin := deref(s.Stdin, "")
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	logging := (*string)(s.Logging)
	c := command.Capture(ctx, logging)
	cmd.Stdout, cmd.Stderr = c.Stdout(), c.Stderr()
	err := cmd.Run()
	c.Flush()
	if err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return cmdout.Failure(step, where, fmt.Sprintf("failed (%s)", exit.ProcessState), logging, c,
				command.Secrets(env, stdin))
		}
		return fmt.Errorf("%s command %s: starting %s: %w", step, where, interp[0], err)
	}
	s.Stdout, s.Stderr = c.Result()
	return nil
}

func deref[T any](v *T, def T) T { return command.Deref(v, def) }
