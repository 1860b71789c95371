// Package remote serves command:remote:Command: commands run over SSH with
// golang.org/x/crypto/ssh, the host key always verified.
package remote

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"golang.org/x/crypto/ssh"

	"interhub/toolchain/providers/internal/cmdout"
	"interhub/toolchain/providers/internal/command"
	"interhub/toolchain/providers/internal/plugin"
	"interhub/toolchain/providers/internal/sshconn"
)

// Logging is command:remote:Logging (the token comes from the package and
// type names).
type Logging string

func (Logging) Values() []infer.EnumValue[Logging] { return command.LoggingValues[Logging]() }

// Endpoint holds the fields Connection and ProxyConnection share.
type Endpoint struct {
	Host               string   `pulumi:"host"`
	Port               *float64 `pulumi:"port,optional"`
	User               *string  `pulumi:"user,optional"`
	Password           *string  `pulumi:"password,optional"`
	PrivateKey         *string  `pulumi:"privateKey,optional"`
	PrivateKeyPassword *string  `pulumi:"privateKeyPassword,optional"`
	AgentSocketPath    *string  `pulumi:"agentSocketPath,optional"`
	HostKey            *string  `pulumi:"hostKey,optional"`
	DialErrorLimit     *int     `pulumi:"dialErrorLimit,optional"`
	PerDialTimeout     *int     `pulumi:"perDialTimeout,optional"`
}

func (e *Endpoint) annotate(a infer.Annotator) {
	a.Describe(&e.Host, "The address of the host to connect to.")
	a.Describe(&e.Port, "The port to connect to. Defaults to 22.")
	a.SetDefault(&e.Port, 22)
	a.Describe(&e.User, "The user that we should use for the connection.")
	a.SetDefault(&e.User, "root")
	a.Describe(&e.PrivateKey, "The contents of an SSH key to use for the connection. This takes preference over the password if provided.")
	a.Describe(&e.HostKey, "The expected host key (authorized_keys format). When not set, ~/.ssh/known_hosts must vouch for the host: this plugin never skips host key verification.")
	a.Describe(&e.DialErrorLimit, "Max allowed errors on trying to dial the remote host. -1 set count to unlimited. Default value is 10.")
	a.SetDefault(&e.DialErrorLimit, 10)
	a.Describe(&e.PerDialTimeout, "Max number of seconds for each dial attempt. 0 implies no maximum. Default value is 15 seconds.")
	a.SetDefault(&e.PerDialTimeout, 15)
}

// sshEndpoint converts to the dialer's form, with upstream's defaults.
func (e Endpoint) sshEndpoint() sshconn.Endpoint {
	return sshconn.Endpoint{
		Host:               e.Host,
		Port:               int(deref(e.Port, 22)),
		User:               deref(e.User, "root"),
		Password:           deref(e.Password, ""),
		PrivateKey:         deref(e.PrivateKey, ""),
		PrivateKeyPassword: deref(e.PrivateKeyPassword, ""),
		AgentSocketPath:    deref(e.AgentSocketPath, ""),
		HostKey:            deref(e.HostKey, ""),
		DialErrorLimit:     deref(e.DialErrorLimit, 10),
		PerDialTimeout:     time.Duration(deref(e.PerDialTimeout, 15)) * time.Second,
	}
}

// ProxyConnection is command:remote:ProxyConnection.
type ProxyConnection struct {
	Endpoint
}

func (c *ProxyConnection) Annotate(a infer.Annotator) {
	a.SetToken("remote", "ProxyConnection")
	a.Describe(&c, "Instructions for how to connect to a remote endpoint via a bastion host.")
	c.annotate(a)
}

// Connection is command:remote:Connection.
type Connection struct {
	Endpoint
	Proxy *ProxyConnection `pulumi:"proxy,optional"`
}

func (c *Connection) Annotate(a infer.Annotator) {
	a.SetToken("remote", "Connection")
	a.Describe(&c, "Instructions for how to connect to a remote endpoint.")
	c.annotate(a)
	a.Describe(&c.Proxy, "The connection settings for the bastion/proxy host.")
}

// Command is command:remote:Command.
type Command struct{}

// Args are the inputs.
type Args struct {
	Connection             Connection         `pulumi:"connection" provider:"secret"`
	Environment            *map[string]string `pulumi:"environment,optional"`
	Triggers               *[]any             `pulumi:"triggers,optional" provider:"replaceOnChanges"`
	Create                 *string            `pulumi:"create,optional"`
	Delete                 *string            `pulumi:"delete,optional"`
	Update                 *string            `pulumi:"update,optional"`
	Stdin                  *string            `pulumi:"stdin,optional"`
	Logging                *Logging           `pulumi:"logging,optional"`
	AddPreviousOutputInEnv *bool              `pulumi:"addPreviousOutputInEnv,optional"`
}

// State is the recorded state.
type State struct {
	Args
	Stdout string `pulumi:"stdout"`
	Stderr string `pulumi:"stderr"`
}

func (c *Command) Annotate(a infer.Annotator) {
	a.SetToken("remote", "Command")
	a.Describe(&c, "A command to run on a remote host. The connection is established via ssh.")
}

func (a *Args) Annotate(an infer.Annotator) {
	an.Describe(&a.Connection, "The parameters with which to connect to the remote host.")
	an.Describe(&a.Create, "The command to run once on resource creation (and on update when `update` is not set).")
	an.Describe(&a.Update, "The command to run when the resource is updated; when empty, `create` runs instead.")
	an.Describe(&a.Delete, "The command to run on resource deletion.")
	an.Describe(&a.Triggers, "The resource is replaced when any of these values change.")
	an.Describe(&a.Logging, "Which of stdout and stderr are logged. Output is recorded either way.")
}

func (s *State) Annotate(a infer.Annotator) {
	a.Describe(&s.Stdout, "The standard output of the command's process")
	a.Describe(&s.Stderr, "The standard error of the command's process")
}

// Check applies defaults and refuses a connection that cannot work before any
// command runs.
func (*Command) Check(ctx context.Context, req infer.CheckRequest) (infer.CheckResponse[Args], error) {
	args, failures, err := infer.DefaultCheck[Args](ctx, req.NewInputs)
	if err != nil || len(failures) > 0 {
		return infer.CheckResponse[Args]{Inputs: args, Failures: failures}, err
	}
	conn := req.NewInputs.Get("connection")
	if conn.IsMap() {
		failures = append(failures, checkEndpoint("connection", conn.AsMap(), args.Connection.Endpoint)...)
		if proxy := conn.AsMap().Get("proxy"); proxy.IsMap() && args.Connection.Proxy != nil {
			failures = append(failures, checkEndpoint("connection.proxy", proxy.AsMap(), args.Connection.Proxy.Endpoint)...)
		}
	}
	return infer.CheckResponse[Args]{Inputs: args, Failures: failures}, nil
}

// checkEndpoint validates the known fields of one connection object.
func checkEndpoint(path string, raw property.Map, e Endpoint) []p.CheckFailure {
	var out []p.CheckFailure
	isKnown := func(k string) bool { return !raw.Get(k).HasComputed() }
	if isKnown("host") && strings.TrimSpace(e.Host) == "" {
		out = append(out, p.CheckFailure{Property: path + ".host", Reason: "must not be empty"})
	}
	if port := deref(e.Port, 22); isKnown("port") && (port < 1 || port > 65535 || port != float64(int(port))) {
		out = append(out, p.CheckFailure{Property: path + ".port",
			Reason: fmt.Sprintf("must be a whole number from 1 to 65535, got %v", port)})
	}
	if hk := deref(e.HostKey, ""); isKnown("hostKey") && hk != "" {
		if _, err := sshconn.ParseHostKey(hk); err != nil {
			out = append(out, p.CheckFailure{Property: path + ".hostKey", Reason: err.Error()})
		}
	}
	if key := deref(e.PrivateKey, ""); isKnown("privateKey") && isKnown("privateKeyPassword") && key != "" {
		if _, err := sshconn.Signer(key, deref(e.PrivateKeyPassword, "")); err != nil {
			out = append(out, p.CheckFailure{Property: path + ".privateKey", Reason: "cannot be parsed: " + err.Error()})
		}
	}
	return out
}

func (c Connection) endpoints() (sshconn.Endpoint, *sshconn.Endpoint) {
	target := c.sshEndpoint()
	if c.Proxy == nil {
		return target, nil
	}
	proxy := c.Proxy.sshEndpoint()
	return target, &proxy
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

// run runs cmd on the remote host and records its output in s.
func (s *State) run(ctx context.Context, step, cmd string) error {
	target, proxy := s.Connection.endpoints()
	logger := p.GetLogger(ctx)
	client, err := sshconn.Dial(ctx, target, proxy, func(msg string) { logger.InfoStatus(msg) })
	if err != nil {
		return fmt.Errorf("%s command: %w", step, err)
	}
	defer client.Close()
	session, err := client.NewSession()
	if err != nil {
		return fmt.Errorf("%s command: opening a session on %s: %w", step, target, err)
	}
	defer session.Close()

	env := deref(s.Environment, nil)
	for k, v := range env {
		if err := session.Setenv(k, v); err != nil {
			return fmt.Errorf("%s command on %s: the server refused environment variable %q; it passes only "+
				"variables its AcceptEnv setting lists (alternatively prefix the command with VAR=value): %w",
				step, target, k, err)
		}
	}
	if deref(s.AddPreviousOutputInEnv, true) {
		for k, v := range map[string]string{command.EnvPrevStdout: s.Stdout, command.EnvPrevStderr: s.Stderr} {
			if v == "" {
				continue
			}
			if err := session.Setenv(k, v); err != nil {
				logger.Warningf("%s not set for the %s command: %s does not accept it (AcceptEnv)", k, step, target)
			}
		}
	}
	stdin := deref(s.Stdin, "")
	if stdin != "" {
		session.Stdin = strings.NewReader(stdin)
	}
	logging := (*string)(s.Logging)
	c := command.Capture(ctx, logging)
	session.Stdout, session.Stderr = c.Stdout(), c.Stderr()
	// An engine gone (a killed `pulumi`) ends the remote command, instead of leaving this plugin
	// serving a build nobody waits for. The session is signalled first (sshd passes the signal on
	// for users other than root), then closed. A Ctrl-C, which cancels ctx, lets it finish, as
	// upstream does.
	engine := plugin.EngineContext()
	stop := context.AfterFunc(engine, func() {
		_ = session.Signal(ssh.SIGTERM)
		_ = client.Close()
	})
	err = session.Run(cmd)
	stopped := !stop()
	c.Flush()
	if stopped {
		return fmt.Errorf("%s command on %s: stopped, the engine is gone: %w", step, target, context.Cause(engine))
	}
	if err != nil {
		fail := func(ending string) error {
			return cmdout.Failure(step, "on "+target.String(), ending, logging, c, command.Secrets(env, stdin))
		}
		var exit *ssh.ExitError
		var missing *ssh.ExitMissingError
		switch {
		case errors.As(err, &exit) && exit.Signal() != "":
			return fail(fmt.Sprintf("was killed by signal %s", exit.Signal()))
		case errors.As(err, &exit):
			return fail(fmt.Sprintf("exited with status %d", exit.ExitStatus()))
		case errors.As(err, &missing):
			return fail("ended without an exit status (connection lost?)")
		default:
			return fmt.Errorf("%s command on %s: %w", step, target, err)
		}
	}
	s.Stdout, s.Stderr = c.Result()
	return nil
}

func deref[T any](v *T, def T) T { return command.Deref(v, def) }
