// Command pulumi-language-go is a minimal Go language host for the Pulumi CLI.
//
// The module proxy serves no current pulumi-language-go, and the one inside sdk v3.62.0
// ignores runtime.options.binary, so every preview compiles and links the program (twice per
// `up`). This host implements the parts of the LanguageRuntime protocol the CLI needs to run a
// Go program: it runs a prebuilt binary when Pulumi.yaml names one, compiles otherwise, and
// reports the resource plugins of the program's modules from their pulumi-plugin.json.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/version"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"golang.org/x/mod/modfile"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"

	"interhub/toolchain/enginewatch"
)

// exitStatusLoggedError is the exit code a Pulumi Go program uses after it has already
// reported its error to the engine (sdk common/constant.ExitStatusLoggedError).
const exitStatusLoggedError = 32

func main() {
	flag.String("tracing", "", "ignored: tracing is not supported by this host")
	flag.String("binary", "", "obsolete; use runtime.options.binary")
	flag.String("buildTarget", "", "obsolete; use runtime.options.buildTarget")
	flag.String("root", "", "obsolete")
	flag.Parse()

	h := &host{}
	if flag.NArg() > 0 {
		h.engine = flag.Arg(0)
	}
	if err := serve(h); err != nil {
		fmt.Fprintln(os.Stderr, "pulumi-language-go:", err)
		os.Exit(1)
	}
}

func serve(h *host) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	// Exit when the engine goes away, as every language host must.
	ctx, unwatch, err := enginewatch.Context(ctx, h.engine, enginewatch.Interval)
	defer unwatch()
	if err != nil {
		return fmt.Errorf("engine health check: %w", err)
	}
	cancel := make(chan bool)
	go func() {
		<-ctx.Done()
		close(cancel)
	}()
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: cancel,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, h)
			return nil
		},
	})
	if err != nil {
		return fmt.Errorf("starting the language host: %w", err)
	}
	// The engine reads the port from our first line of output.
	fmt.Println(handle.Port)
	return <-handle.Done
}

type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
	engine string
}

func (h *host) Handshake(ctx context.Context, req *pulumirpc.LanguageHandshakeRequest) (*pulumirpc.LanguageHandshakeResponse, error) {
	if req.GetEngineAddress() == "" {
		return nil, errors.New("handshake without an engine address")
	}
	h.engine = req.GetEngineAddress()
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *host) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version.Version}, nil
}

func (h *host) RuntimeOptionsPrompts(context.Context, *pulumirpc.RuntimeOptionsRequest) (*pulumirpc.RuntimeOptionsResponse, error) {
	return &pulumirpc.RuntimeOptionsResponse{}, nil
}

func (h *host) About(context.Context, *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		return nil, fmt.Errorf("finding go: %w", err)
	}
	out, err := exec.Command(gobin, "version").Output()
	if err != nil {
		return nil, fmt.Errorf("go version: %w", err)
	}
	return &pulumirpc.AboutResponse{Executable: gobin, Version: strings.TrimSpace(string(out))}, nil
}

// options are the runtime.options of Pulumi.yaml that this host understands.
type options struct {
	binary      string // prebuilt program to run instead of compiling
	buildTarget string // where to write the compiled program
}

func parseOptions(info *pulumirpc.ProgramInfo) (options, error) {
	var o options
	for k, v := range info.GetOptions().AsMap() {
		s, ok := v.(string)
		if !ok {
			return o, fmt.Errorf("runtime.options.%s must be a string", k)
		}
		switch k {
		case "binary":
			o.binary = s
		case "buildTarget":
			o.buildTarget = s
		}
	}
	if o.binary != "" && o.buildTarget != "" {
		return o, errors.New("runtime.options: binary and buildTarget cannot both be set")
	}
	return o, nil
}

// resolve makes a relative option path relative to the project root.
func resolve(root, p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(root, p)
}

func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	info := req.GetInfo()
	opts, err := parseOptions(info)
	if err != nil {
		return nil, err
	}
	env, err := h.programEnv(req)
	if err != nil {
		return nil, err
	}

	program := resolve(info.GetRootDirectory(), opts.binary)
	if program != "" {
		if _, err := os.Stat(program); err != nil {
			return &pulumirpc.RunResponse{Error: fmt.Sprintf(
				"runtime.options.binary %q: %v (build the program first, e.g. `make build`)", opts.binary, err)}, nil
		}
	} else {
		program, err = compile(info.GetProgramDirectory(), resolve(info.GetRootDirectory(), opts.buildTarget))
		if err != nil {
			return &pulumirpc.RunResponse{Error: err.Error()}, nil
		}
		if opts.buildTarget == "" {
			defer os.Remove(program)
		}
	}

	cmd := exec.Command(program)
	cmd.Dir = req.GetPwd()
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	err = cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return &pulumirpc.RunResponse{}, nil
	case errors.As(err, &exit) && exit.ExitCode() == exitStatusLoggedError:
		// The program already told the engine what went wrong.
		return &pulumirpc.RunResponse{Bail: true}, nil
	case errors.As(err, &exit):
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("program exited with non-zero exit code: %d", exit.ExitCode())}, nil
	default:
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("running %s: %v", program, err)}, nil
	}
}

// programEnv passes the run's settings to the program the way the Go SDK reads them.
func (h *host) programEnv(req *pulumirpc.RunRequest) ([]string, error) {
	config, err := json.Marshal(req.GetConfig())
	if err != nil {
		return nil, fmt.Errorf("encoding config: %w", err)
	}
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
	}
	keys, err := json.Marshal(secretKeys)
	if err != nil {
		return nil, fmt.Errorf("encoding secret config keys: %w", err)
	}
	env := os.Environ()
	for k, v := range map[string]string{
		pulumi.EnvOrganization:        req.GetOrganization(),
		pulumi.EnvProject:             req.GetProject(),
		pulumi.EnvPulumiRootDirectory: req.GetInfo().GetRootDirectory(),
		pulumi.EnvStack:               req.GetStack(),
		pulumi.EnvConfig:              string(config),
		pulumi.EnvConfigSecretKeys:    string(keys),
		pulumi.EnvDryRun:              strconv.FormatBool(req.GetDryRun()),
		pulumi.EnvParallel:            strconv.Itoa(int(req.GetParallel())),
		pulumi.EnvMonitor:             req.GetMonitorAddress(),
		pulumi.EnvEngine:              h.engine,
	} {
		if v != "" {
			env = append(env, k+"="+v)
		}
	}
	return env, nil
}

// compile builds the program in dir with `go build`, to target or a temporary file.
func compile(dir, target string) (string, error) {
	if target == "" {
		f, err := os.CreateTemp("", "pulumi-go.*")
		if err != nil {
			return "", fmt.Errorf("creating a temporary program file: %w", err)
		}
		f.Close()
		target = f.Name()
	}
	cmd := exec.Command("go", "build", "-o", target, ".")
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("compiling the Go program in %s: %w", dir, err)
	}
	return target, nil
}

// GetRequiredPackages lists the resource plugins named by the pulumi-plugin.json files of the
// modules the program requires.
func (h *host) GetRequiredPackages(ctx context.Context, req *pulumirpc.GetRequiredPackagesRequest) (*pulumirpc.GetRequiredPackagesResponse, error) {
	mods, err := requiredModules(ctx, req.GetInfo().GetProgramDirectory())
	if err != nil {
		// A prebuilt program needs no module: the engine then loads plugins as resources
		// ask for them, as the official host does.
		return &pulumirpc.GetRequiredPackagesResponse{}, nil
	}
	var pkgs []*pulumirpc.PackageDependency
	for _, m := range mods {
		if p := pluginOf(m); p != nil {
			pkgs = append(pkgs, p)
		}
	}
	return &pulumirpc.GetRequiredPackagesResponse{Packages: pkgs}, nil
}

type module struct {
	Path, Version, Dir string
}

// requiredModules resolves the directories of the modules go.mod requires.
func requiredModules(ctx context.Context, dir string) ([]module, error) {
	gomod, err := goMod(dir)
	if err != nil {
		return nil, err
	}
	args := []string{"list", "-m", "-json"}
	for _, r := range gomod.Require {
		args = append(args, r.Mod.Path)
	}
	if len(args) == 3 {
		return nil, nil
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off")
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list -m: %w", err)
	}
	var mods []module
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var m module
		if err := dec.Decode(&m); err != nil {
			return nil, fmt.Errorf("reading go list output: %w", err)
		}
		if m.Dir != "" {
			mods = append(mods, m)
		}
	}
	return mods, nil
}

func goMod(dir string) (*modfile.File, error) {
	cmd := exec.Command("go", "env", "GOMOD")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go env GOMOD: %w", err)
	}
	path := strings.TrimSpace(string(out))
	if path == "" || path == os.DevNull {
		return nil, fmt.Errorf("no go.mod for the program in %s", dir)
	}
	body, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f, err := modfile.Parse(path, body, nil)
	if err != nil {
		return nil, fmt.Errorf("parsing %s: %w", path, err)
	}
	return f, nil
}

// pluginOf reads a module's pulumi-plugin.json from the places provider SDKs keep it.
func pluginOf(m module) *pulumirpc.PackageDependency {
	candidates := []string{
		filepath.Join(m.Dir, "pulumi-plugin.json"),
		filepath.Join(m.Dir, "go", "pulumi-plugin.json"),
	}
	for _, pattern := range []string{"go/*/pulumi-plugin.json", "*/pulumi-plugin.json"} {
		found, _ := filepath.Glob(filepath.Join(m.Dir, pattern))
		candidates = append(candidates, found...)
	}
	for _, c := range candidates {
		p, err := plugin.LoadPulumiPluginJSON(c)
		if err != nil || !p.Resource || p.Name == "" {
			continue
		}
		v := p.Version
		if v == "" {
			v = m.Version
		}
		return &pulumirpc.PackageDependency{
			Name:    p.Name,
			Kind:    "resource",
			Version: "v" + strings.TrimPrefix(v, "v"),
			Server:  p.Server,
		}
	}
	return nil
}

func (h *host) GetProgramDependencies(ctx context.Context, req *pulumirpc.GetProgramDependenciesRequest) (*pulumirpc.GetProgramDependenciesResponse, error) {
	gomod, err := goMod(req.GetInfo().GetProgramDirectory())
	if err != nil {
		return nil, err
	}
	var deps []*pulumirpc.DependencyInfo
	for _, r := range gomod.Require {
		if !r.Indirect || req.GetTransitiveDependencies() {
			deps = append(deps, &pulumirpc.DependencyInfo{Name: r.Mod.Path, Version: r.Mod.Version})
		}
	}
	return &pulumirpc.GetProgramDependenciesResponse{Dependencies: deps}, nil
}

func (h *host) InstallDependencies(req *pulumirpc.InstallDependenciesRequest, srv pulumirpc.LanguageRuntime_InstallDependenciesServer) error {
	closer, stdout, stderr, err := rpcutil.MakeInstallDependenciesStreams(srv, req.GetIsTerminal())
	if err != nil {
		return err
	}
	defer closer.Close()
	cmd := exec.Command("go", "mod", "download")
	cmd.Dir = req.GetInfo().GetProgramDirectory()
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go mod download: %w", err)
	}
	return closer.Close()
}
