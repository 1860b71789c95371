//go:build integration

package plugins_test

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/coulomb-social/inter-hub-deploy/test/support/fixture"
)

func TestCommandPlugin(t *testing.T) {
	t.Parallel()
	srv := startSSHD(t)
	s := newStack(t, "command")
	work := t.TempDir()
	marker := filepath.Join(work, "marker")
	const secret = "s3cret-value-in-env"
	s.config(map[string]string{
		"port": strconv.Itoa(srv.port), "user": srv.user, "hostKey": srv.hostKey,
		"marker": marker, "testvar": "one", "trigger": "t1", "dir": work, "stdin": "from-stdin",
	}, map[string]string{"privateKey": srv.clientKey, "secretvar": secret})
	runs := func() []string {
		b, _ := os.ReadFile(marker)
		return strings.Split(strings.TrimSpace(string(b)), "\n")
	}
	// Resources run in parallel, so the order of lines is not fixed.
	wantRuns := func(what string, want ...string) {
		t.Helper()
		got := runs()
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("%s: commands run: %q, want %q", what, got, want)
		}
	}

	// Create. Output is logged, except where logging is none.
	created, logs := s.upLogged()
	wantChanges(t, "create", created, changes{"create": 5})
	wantRuns("create", "create one", "local-create one "+work)
	if !strings.Contains(logs, "created:one") {
		t.Errorf("the remote command's output was not logged:\n%s", logs)
	}
	if strings.Contains(logs, "quiet-output-line") || strings.Contains(logs, secret) {
		t.Fatalf("output of a command with logging none was logged:\n%s", logs)
	}
	out := s.outputs()
	if out["remoteStdout"] != "created:one" || out["localStdout"] != "from-stdin" || out["secretStdout"] != secret {
		t.Fatalf("outputs: %v", out)
	}
	state := s.state()
	for _, leak := range []string{secret, strings.TrimSpace(srv.clientKey)[40:80]} {
		if strings.Contains(state, leak) {
			t.Fatalf("the state holds a secret (the environment value or the private key) in plain text")
		}
	}
	if quiet := s.resourceOutputs("quiet"); quiet["stdout"] != "quiet-output-line" {
		t.Errorf("logging none: stdout not recorded as upstream does: %v", quiet["stdout"])
	}

	// No-op.
	s.upNoChanges()
	wantRuns("no-op", "create one", "local-create one "+work)

	// Update: a new environment value runs the update command, which sees the
	// previous output.
	s.config(map[string]string{"testvar": "two"}, nil)
	wantChanges(t, "preview update", s.preview(), changes{"update": 2})
	wantChanges(t, "update", s.up(), changes{"update": 2})
	got := runs()[2:]
	if len(got) != 2 || !slices.Contains(got, "update two prev=created:one") || !slices.Contains(got, "local-create two "+work) {
		t.Fatalf("update: commands run %q", got)
	}
	if out := s.outputs(); out["remoteStdout"] != "updated:two" {
		t.Fatalf("after update: %v", out)
	}

	// Triggers force a replacement: the new create runs, then the old delete.
	s.config(map[string]string{"trigger": "t2"}, nil)
	wantChanges(t, "preview trigger", s.preview(), changes{"replace": 2})
	before := len(runs())
	wantChanges(t, "trigger", s.up(), changes{"replace": 2})
	after := runs()[before:]
	joined := strings.Join(after, "|")
	for _, want := range []string{"create two", "delete prev=updated:two", "local-create two " + work, "local-delete"} {
		if !strings.Contains(joined, want) {
			t.Fatalf("trigger change: commands run %q, missing %q", after, want)
		}
	}

	// A wrong host key is refused before any command runs, naming the host
	// and both fingerprints.
	_, wrongPub := fixture.KeyPair(t)
	s.config(map[string]string{"wrongHostKey": wrongPub}, nil)
	msg := s.upFails()
	wrongKey, _, _, _, _ := ssh.ParseAuthorizedKey([]byte(wrongPub))
	realKey, _, _, _, _ := ssh.ParseAuthorizedKey([]byte(srv.hostKey))
	for _, want := range []string{"host key mismatch", "127.0.0.1:" + strconv.Itoa(srv.port),
		ssh.FingerprintSHA256(wrongKey), ssh.FingerprintSHA256(realKey)} {
		if !strings.Contains(msg, want) {
			t.Fatalf("wrong host key: error does not say %q:\n%s", want, msg)
		}
	}
	t.Logf("wrong host key: %s", firstLine(msg, "host key mismatch"))
	if strings.Contains(strings.Join(runs(), "|"), "must not run") {
		t.Fatal("a command ran on a host with the wrong key")
	}
	if err := s.RemoveConfig(s.ctx, "wrongHostKey"); err != nil {
		t.Fatal(err)
	}

	// A failing command fails the update and shows its stderr, with the
	// secret environment value blanked out.
	s.config(map[string]string{"fail": "true"}, nil)
	msg = s.upFails()
	for _, want := range []string{"exited with status 3", "bad thing happened with [redacted]"} {
		if !strings.Contains(msg, want) {
			t.Fatalf("failing command: error does not say %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, secret) {
		t.Fatalf("failing command: the error shows the secret:\n%s", msg)
	}
	t.Logf("failing command: %s / %s", firstLine(msg, "exited with status"), firstLine(msg, "bad thing"))
	if err := s.RemoveConfig(s.ctx, "fail"); err != nil {
		t.Fatal(err)
	}

	// Through a bastion (the same server, forwarding to itself).
	s.config(map[string]string{"proxy": "true"}, nil)
	wantChanges(t, "proxy", s.up(), changes{"create": 1})
	if p := s.resourceOutputs("via-proxy"); p["stdout"] != "via-proxy" {
		t.Fatalf("via proxy: %v", p["stdout"])
	}

	wantChanges(t, "refresh", s.refresh(), changes{})
	s.upNoChanges()

	// Delete runs the delete commands.
	before = len(runs())
	wantChanges(t, "destroy", s.destroy(), changes{"delete": 6})
	joined = strings.Join(runs()[before:], "|")
	if !strings.Contains(joined, "delete prev=created:two") || !strings.Contains(joined, "local-delete") {
		t.Fatalf("destroy: commands run %q", runs()[before:])
	}
}

// firstLine is the first line of s that contains sub.
func firstLine(s, sub string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			return strings.TrimSpace(l)
		}
	}
	return ""
}
