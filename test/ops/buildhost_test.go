//go:build integration

package ops_test

import (
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/coulomb-social/inter-hub-deploy/test/support/standin"
)

// TestOperatingWithoutTheBuildHost deploys two revisions given as commits, then takes the
// build host away (its port closed, as a stopped sshd): a preview, a replicas change and a
// rollback to the first revision still work, because the registry has their images and nothing
// connects to the build host; a revision with no image yet fails at the gate, naming the build
// host, before anything changes.
func TestOperatingWithoutTheBuildHost(t *testing.T) {
	s := standin.New(t, standin.Options{Names: standin.NamesFor("ops", "nobuild")})
	commit := func(rev string) string {
		t.Helper()
		out, err := exec.Command("git", "--git-dir", s.Origin, "rev-parse", "--verify", rev+"^{commit}").Output()
		if err != nil {
			t.Fatalf("git rev-parse %s: %v", rev, err)
		}
		return strings.TrimSpace(string(out))
	}
	image := func() string {
		t.Helper()
		return strings.TrimSpace(s.MustRunPlain(t, standin.ShortTimeout, "stack", "output", "image", "--stack", s.Stack).Stdout)
	}
	deployedImage := func() string {
		t.Helper()
		return string(s.Kubectl(t, "-n", s.Namespace, "get", "deployment", "inter-hub", "-o",
			`jsonpath={.spec.template.spec.containers[?(@.name=="app")].image}`))
	}

	s.SetConfig(t, s.ConfigFile, map[string]string{"app.revision": commit("v1")})
	s.Up(t)
	v1 := image()
	s.SetConfig(t, s.ConfigFile, map[string]string{"app.revision": commit("v2")})
	s.Up(t)
	v2 := image()
	if v1 == v2 {
		t.Fatalf("v1 and v2 have the same image %s", v1)
	}

	// The build host goes away.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := l.Addr().(*net.TCPAddr).Port
	l.Close()
	s.SetConfig(t, s.ConfigFile, map[string]string{"build.port": strconv.Itoa(down)})

	s.MustRun(t, standin.ShortTimeout, "preview", "--expect-no-changes")

	s.SetConfig(t, s.ConfigFile, map[string]string{"app.replicas": "1"})
	s.Up(t)
	if got := string(s.Kubectl(t, "-n", s.Namespace, "get", "deployment", "inter-hub", "-o", "jsonpath={.spec.replicas}")); got != "1" {
		t.Errorf("replicas change without the build host: the Deployment has %s replicas", got)
	}

	s.SetConfig(t, s.ConfigFile, map[string]string{"app.revision": commit("v1")})
	s.Up(t)
	if got := image(); got != v1 {
		t.Errorf("rollback to v1 without the build host deployed %s, want %s", got, v1)
	}
	if got := deployedImage(); got != v1 {
		t.Errorf("after the rollback the Deployment runs %s, want %s", got, v1)
	}

	// A revision the registry does not have needs a build: the gate stops it, naming the host.
	for _, rev := range []string{commit("bad-migration"), "v2"} {
		s.SetConfig(t, s.ConfigFile, map[string]string{"app.revision": rev})
		r := s.Run(t, standin.UpTimeout, "up", "--yes")
		want := "gate check buildHost failed: build host unreachable at 127.0.0.1:" + strconv.Itoa(down)
		if r.Err == nil || !strings.Contains(r.Output(), want) || !strings.Contains(r.Output(), "nothing was changed") {
			t.Errorf("revision %s with the build host down: err %v, want %q in\n%s", rev, r.Err, want, r.Output())
		}
		if got := deployedImage(); got != v1 {
			t.Errorf("after the refused revision %s the Deployment runs %s, want %s", rev, got, v1)
		}
	}
}
