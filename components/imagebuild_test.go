package components

import (
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// commandRecorder keeps the build command's registration.
type commandRecorder struct {
	mu      sync.Mutex
	inputs  resource.PropertyMap
	ignored []string
}

func (r *commandRecorder) NewResource(a pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	if a.TypeToken == "command:remote:Command" {
		r.mu.Lock()
		r.inputs, r.ignored = a.Inputs, a.RegisterRPC.GetIgnoreChanges()
		r.mu.Unlock()
		out := a.Inputs.Copy()
		out["stdout"] = resource.NewStringProperty("127.0.0.1:5443/inter-hub@sha256:" + strings.Repeat("a", 64) + "\n")
		return a.Name + "-id", out, nil
	}
	return a.Name + "-id", a.Inputs, nil
}

func (*commandRecorder) Call(pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return resource.PropertyMap{}, nil
}

func buildArgs(prebuilt string) *ImageBuildArgs {
	return &ImageBuildArgs{
		Host: "127.0.0.1", Port: 2222, User: "root", HostKey: "ssh-ed25519 AAAA", PrivateKey: pulumi.String("key"),
		CheckoutDir: "src", Revision: strings.Repeat("c", 40), FlakeAttr: ".#docker",
		Registry: "127.0.0.1:5443", Repository: "inter-hub", RegistryUser: "push", RegistryPassword: pulumi.String("pw"),
		TimeoutSeconds: 60, Prebuilt: prebuilt,
	}
}

func runBuild(t *testing.T, args *ImageBuildArgs) (*commandRecorder, string, error) {
	t.Helper()
	rec := &commandRecorder{}
	var image string
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		b, err := NewImageBuild(ctx, "image", args)
		if err != nil {
			return err
		}
		// Exported, so that the run waits for the apply that records the value.
		ctx.Export("image", b.Image.ApplyT(func(s string) string { image = s; return s }))
		return nil
	}, pulumi.WithMocks("inter-hub", "test", rec))
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
	for key := range rec.inputs {
		if !slices.Contains(rec.ignored, string(key)) {
			t.Errorf("input %q of the build command is not ignored: a change to it would connect to the build host", key)
		}
	}

	rec, image, err = runBuild(t, buildArgs(""))
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.ignored) != 0 {
		t.Errorf("a build that must run ignores changes to %v", rec.ignored)
	}
	if want := "127.0.0.1:5443/inter-hub@sha256:" + strings.Repeat("a", 64); image != want {
		t.Errorf("image = %q, want the command's %q", image, want)
	}

	if _, _, err := runBuild(t, buildArgs("inter-hub:latest")); err == nil || !strings.Contains(err.Error(), `prebuilt image "inter-hub:latest"`) {
		t.Errorf("an unpinned prebuilt image gave %v", err)
	}
}
