package components

import (
	_ "embed"
	"fmt"
	"strconv"
	"strings"

	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	"github.com/pulumi/pulumi-command/sdk/go/command/remote"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

//go:embed imagebuild.sh
var buildScript string

// ImageBuildArgs configures the remote image build.
type ImageBuildArgs struct {
	Host string
	Port int
	User string
	// HostKey is the pinned public host key ("ssh-ed25519 AAAA..."); the connection fails on
	// any other.
	HostKey    string
	PrivateKey pulumi.StringInput // secret

	CheckoutDir string
	Revision    string
	FlakeAttr   string

	Registry         string
	Repository       string
	RegistryUser     string
	RegistryPassword pulumi.StringInput // secret

	TimeoutSeconds int

	// Prebuilt is the revision's image by digest when the registry has it already (the gate
	// looks). Then nothing connects to the build host: the command keeps what its state holds
	// and the image is this one, so previews, config changes and rollbacks need no build host.
	// Only a stack that has never built anything creates the command, which then finds the
	// image and skips the build.
	Prebuilt string
}

// ImageBuild builds the app image with Nix on the build host and pushes it to the registry.
type ImageBuild struct {
	pulumi.ResourceState

	// Image is the pushed image by digest: <registry>/<repository>@sha256:<hex>.
	Image pulumi.StringOutput
}

// commandInputs are every input of the build command: with a prebuilt image none of their
// changes may reconnect to the build host.
var commandInputs = []string{"connection", "create", "stdin", "triggers", "logging", "addPreviousOutputInEnv"}

// pinned tells whether s is an image reference pinned by a sha256 digest, as the registry
// reports it (github.com/distribution/reference's grammar, the one registries and Helm use).
func pinned(s string) bool {
	ref, err := reference.Parse(s)
	if err != nil {
		return false
	}
	c, ok := ref.(reference.Canonical)
	return ok && c.Digest().Algorithm() == digest.SHA256
}

// NewImageBuild registers the build. It runs again only when the revision changes (triggers),
// or when an input such as the registry changes (an update runs the same script); the script
// itself skips the build when the registry already has the image of that commit. With
// Prebuilt set it does not run again at all.
func NewImageBuild(ctx *pulumi.Context, name string, args *ImageBuildArgs, opts ...pulumi.ResourceOption) (*ImageBuild, error) {
	b := &ImageBuild{}
	if err := ctx.RegisterComponentResource("inter-hub:build:ImageBuild", name, b, opts...); err != nil {
		return nil, err
	}
	childOpts := []pulumi.ResourceOption{pulumi.Parent(b)}
	if args.Prebuilt != "" {
		if !pinned(args.Prebuilt) {
			return nil, fmt.Errorf("image build: prebuilt image %q is not <repository>@sha256:<hex>", args.Prebuilt)
		}
		childOpts = append(childOpts, pulumi.IgnoreChanges(commandInputs))
	}
	cmd, err := remote.NewCommand(ctx, name, &remote.CommandArgs{
		Connection: &remote.ConnectionArgs{
			Host:       pulumi.String(args.Host),
			Port:       pulumi.Float64(float64(args.Port)),
			User:       pulumi.String(args.User),
			HostKey:    pulumi.String(args.HostKey),
			PrivateKey: pulumi.ToSecret(args.PrivateKey).(pulumi.StringInput),
		},
		Create:   pulumi.String(BuildCommand(args)),
		Stdin:    pulumi.ToSecret(pulumi.Sprintf("%s\n", args.RegistryPassword)).(pulumi.StringInput),
		Triggers: pulumi.Array{pulumi.String(args.Revision)},
		// stderr (git, nix and skopeo progress) is shown, so that a failed build says why: a
		// revision that does not exist, a broken derivation, a refused push. It holds no secret:
		// the password reaches skopeo through a pipe, and the provider blanks stdin out of
		// whatever it shows. stdout (the image reference) is the output, not a log.
		Logging:                remote.LoggingStderr,
		AddPreviousOutputInEnv: pulumi.Bool(false),
	}, childOpts...)
	if err != nil {
		return nil, fmt.Errorf("image build: %w", err)
	}
	// Providers may mark stdout secret because stdin (the registry password) is. The output is
	// checked to be exactly one image reference, which is not secret; leaving it secret would
	// hide the image in the release's values and the stack outputs.
	b.Image = pulumi.Unsecret(cmd.Stdout.ApplyT(ParseImage)).(pulumi.StringOutput)
	if args.Prebuilt != "" {
		b.Image = pulumi.String(args.Prebuilt).ToStringOutput()
	}
	if err := ctx.RegisterResourceOutputs(b, pulumi.Map{"image": b.Image}); err != nil {
		return nil, err
	}
	return b, nil
}

// BuildCommand is the remote command line: the embedded script run by sh under timeout, with
// its parameters as positional arguments.
func BuildCommand(args *ImageBuildArgs) string {
	params := []string{args.CheckoutDir, args.Revision, args.Registry, args.Repository, args.RegistryUser, args.FlakeAttr}
	quoted := make([]string, len(params))
	for i, p := range params {
		quoted[i] = shellQuote(p)
	}
	return fmt.Sprintf("timeout --kill-after=30 %s sh -c %s inter-hub-build %s",
		strconv.Itoa(args.TimeoutSeconds), shellQuote(buildScript), strings.Join(quoted, " "))
}

// ParseImage checks that the build printed exactly one image reference with a digest.
func ParseImage(stdout string) (string, error) {
	out := strings.TrimSpace(stdout)
	if !pinned(out) {
		if out == "" {
			return "", fmt.Errorf("image build printed no image reference")
		}
		return "", fmt.Errorf("image build printed %q, not one image reference with a sha256 digest", truncate(out, 200))
	}
	return out, nil
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
