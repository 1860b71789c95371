package components

import (
	"github.com/coulomb-social/inter-hub-deploy/test/support/mockstack"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func buildArgs(prebuilt string) *ImageBuildArgs {
	return &ImageBuildArgs{
		Host: "127.0.0.1", Port: 2222, User: "root", HostKey: "ssh-ed25519 AAAA", PrivateKey: pulumi.String("key"),
		CheckoutDir: "src", Revision: strings.Repeat("c", 40), FlakeAttr: ".#docker",
		Registry: "127.0.0.1:5443", Repository: "inter-hub", RegistryUser: "push", RegistryPassword: pulumi.String("pw"),
		TimeoutSeconds: 60, Prebuilt: prebuilt,
	}
}

func runBuild(t *testing.T, args *ImageBuildArgs) (*mockstack.Monitor, string, error) {
	t.Helper()
	rec := &mockstack.Monitor{}
	var image string
	err := rec.Run(func(ctx *pulumi.Context) error {
		b, err := NewImageBuild(ctx, "image", args)
		if err != nil {
			return err
		}
		// Exported, so that the run waits for the apply that records the value.
		ctx.Export("image", b.Image.ApplyT(func(s string) string { image = s; return s }))
		return nil
	})
	return rec, image, err
}

// With the image in the registry the command must never run again, whatever input changes:
// every input it has is ignored, and the image is the registry's, not the command's old output.
func TestImageBuildPrebuiltIgnoresEveryInput(t *testing.T) {
	prebuilt := "127.0.0.1:5443/inter-hub@sha256:" + strings.Repeat("b", 64)
	rec, image, err := runBuild(t, buildArgs(prebuilt))
	if err != nil {
		t.Fatal(err)
	}
	if image != prebuilt {
		t.Errorf("image = %q, want the prebuilt %q", image, prebuilt)
	}
	cmd := rec.One(t, tRemote, "image")
	for key := range cmd.Inputs {
		if !slices.Contains(cmd.RPC.GetIgnoreChanges(), string(key)) {
			t.Errorf("input %q of the build command is not ignored: a change to it would connect to the build host", key)
		}
	}

	rec, image, err = runBuild(t, buildArgs(""))
	if err != nil {
		t.Fatal(err)
	}
	if ignored := rec.One(t, tRemote, "image").RPC.GetIgnoreChanges(); len(ignored) != 0 {
		t.Errorf("a build that must run ignores changes to %v", ignored)
	}
	if image != mockstack.Image {
		t.Errorf("image = %q, want the command's %q", image, mockstack.Image)
	}

	if _, _, err := runBuild(t, buildArgs("inter-hub:latest")); err == nil || !strings.Contains(err.Error(), `prebuilt image "inter-hub:latest"`) {
		t.Errorf("an unpinned prebuilt image gave %v", err)
	}
}

func TestImageBuildCommand(t *testing.T) {
	args := buildArgs("")
	rec, image, err := runBuild(t, args)
	if err != nil {
		t.Fatal(err)
	}
	in := rec.One(t, tRemote, "image").Inputs
	if !in["connection"].IsSecret() {
		t.Error("connection (with the private key) is not secret")
	}
	conn := mockstack.Unwrap(in["connection"]).ObjectValue()
	if conn["hostKey"].StringValue() != args.HostKey || !strings.HasPrefix(conn["hostKey"].StringValue(), "ssh-ed25519 ") {
		t.Errorf("host key not pinned: %v", conn["hostKey"])
	}
	if conn["port"].NumberValue() != 2222 || conn["host"].StringValue() != "127.0.0.1" {
		t.Errorf("connection = %v", conn)
	}
	if !in["stdin"].IsSecret() || mockstack.Unwrap(in["stdin"]).StringValue() != "pw\n" {
		t.Error("the registry password is not passed as a secret on stdin")
	}
	if got := in["triggers"].ArrayValue(); len(got) != 1 || got[0].StringValue() != args.Revision {
		t.Errorf("triggers = %v, want [%s]", got, args.Revision)
	}
	// stderr, so that a failed build says why; stdout is the image reference, not a log.
	if got := in["logging"].StringValue(); got != "stderr" {
		t.Errorf("logging = %q, want stderr", got)
	}
	create := in["create"].StringValue()
	for _, want := range []string{"timeout --kill-after=30 60 sh -c", "'src' '" + args.Revision + "' '127.0.0.1:5443' 'inter-hub' 'push' '.#docker'", "nix build", "skopeo copy", "--digestfile", "gunzip"} {
		if !strings.Contains(create, want) {
			t.Errorf("build command lacks %q", want)
		}
	}
	if image != mockstack.Image {
		t.Errorf("image = %v, want the command's %v", image, mockstack.Image)
	}
}

// The build's output and a prebuilt image must be one reference pinned by a sha256 digest.
func TestParseImage(t *testing.T) {
	const sum = "sha256:80daeecbd968319db7c568cb1732151829520fe6a67bf17a0def446d82fa3a3b"
	for _, ok := range []string{
		"127.0.0.1:5443/inter-hub@" + sum,
		"registry.coulomb.social/coulomb/inter-hub@" + sum + "\n",
		"registry.coulomb.social/coulomb/inter-hub:git-abc@" + sum,
	} {
		if _, err := ParseImage(ok); err != nil {
			t.Errorf("ParseImage(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{
		"", "registry.coulomb.social/coulomb/inter-hub:latest",
		"registry.coulomb.social/coulomb/inter-hub@sha256:80daee",
		"registry.coulomb.social/coulomb/inter-hub@sha512:" + strings.Repeat("0", 128),
		"two/refs@" + sum + "\nthree/refs@" + sum,
		"Registry.coulomb.social/Coulomb/inter-hub@" + sum,
	} {
		if _, err := ParseImage(bad); err == nil {
			t.Errorf("ParseImage(%q) accepted it", bad)
		}
	}
}
