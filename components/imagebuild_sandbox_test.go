//go:build integration

package components

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coulomb-social/inter-hub-deploy/test/support/standin"
)

// The build script itself, run over SSH on the stand-in build host exactly as the remote
// command runs it: checkout, nix build, push with skopeo, one line out; then the skip when the
// registry already has the commit's image, and the failures.
func TestBuildScriptOnTheSandbox(t *testing.T) {
	env := standin.Require(t)
	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	repo := "inter-hub-buildtest-" + hex.EncodeToString(suffix) // a repository of its own
	args := func(rev, password string) (*ImageBuildArgs, string) {
		return &ImageBuildArgs{
			CheckoutDir: env.BuildHost.Checkout, Revision: rev, FlakeAttr: ".#docker",
			Registry: env.Registry.Host, Repository: repo, RegistryUser: env.Registry.User, TimeoutSeconds: 300,
		}, password + "\n"
	}
	run := func(a *ImageBuildArgs, stdin string) (string, string, error) {
		client, err := env.BuildHost.Dial()
		if err != nil {
			t.Fatal(err)
		}
		defer client.Close()
		s, err := client.NewSession()
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		var out, errb bytes.Buffer
		s.Stdout, s.Stderr, s.Stdin = &out, &errb, strings.NewReader(stdin)
		err = s.Run(BuildCommand(a))
		if strings.Contains(out.String()+errb.String(), env.Registry.Password) {
			t.Errorf("the registry password appears in the command's output")
		}
		return out.String(), errb.String(), err
	}

	a, stdin := args("v1", env.Registry.Password)
	out, stderr, err := run(a, stdin)
	if err != nil {
		t.Fatalf("build failed: %v\n%s", err, stderr)
	}
	image, err := ParseImage(out)
	if err != nil {
		t.Fatalf("%v\nstdout: %q", err, out)
	}
	if !regexp.MustCompile(`^` + regexp.QuoteMeta(env.Registry.Host+"/"+repo) + `@sha256:[0-9a-f]{64}$`).MatchString(image) {
		t.Fatalf("image %q", image)
	}
	if !strings.Contains(stderr, "building .#docker at ") {
		t.Errorf("first run did not build: %s", stderr)
	}
	commit := regexp.MustCompile(`building \.#docker at ([0-9a-f]{40})`).FindStringSubmatch(stderr)
	if commit == nil {
		t.Fatalf("no commit in %q", stderr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	digest, err := env.Registry.Digest(ctx, repo, "git-"+commit[1])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(image, "@"+digest) {
		t.Errorf("printed %s, the registry has %s for git-%s", image, digest, commit[1])
	}

	// Same revision again: no build, same reference.
	out, stderr, err = run(a, stdin)
	if err != nil {
		t.Fatalf("second run failed: %v\n%s", err, stderr)
	}
	if again, _ := ParseImage(out); again != image || !strings.Contains(stderr, "already in the registry, not rebuilding") {
		t.Errorf("second run: %q, stderr %q", out, stderr)
	}

	for name, tc := range map[string]struct {
		rev, password, want string
	}{
		"unknown revision": {"no-such-revision", env.Registry.Password, "revision no-such-revision not found"},
		"failing build":    {env.BuildHost.BrokenTag, env.Registry.Password, ""},
		"wrong password":   {"v2", "not-the-password", ""},
	} {
		a, stdin := args(tc.rev, tc.password)
		out, stderr, err := run(a, stdin)
		if err == nil {
			t.Errorf("%s: succeeded: %q", name, out)
			continue
		}
		if strings.TrimSpace(out) != "" {
			t.Errorf("%s: printed %q on stdout", name, out)
		}
		if !strings.Contains(stderr, tc.want) {
			t.Errorf("%s: stderr %q lacks %q", name, stderr, tc.want)
		}
		t.Logf("%s: %v: %s", name, err, strings.TrimSpace(stderr))
	}
}
