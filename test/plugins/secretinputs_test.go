//go:build integration

package plugins_test

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestUnknownSecretInputs: a RandomPassword created in the same update feeds
// the triggers, environment, stdin and connection of commands. In preview its
// result is a secret with no value yet, which the command plugin must take as
// "may change", as the official plugin does.
func TestUnknownSecretInputs(t *testing.T) {
	t.Parallel()
	srv := startSSHD(t)
	s := newStack(t, "secretinputs")
	marker := filepath.Join(t.TempDir(), "marker")
	s.config(map[string]string{
		"marker": marker, "role": "app", "rotation": "r1",
		"port": strconv.Itoa(srv.port), "user": srv.user, "hostKey": srv.hostKey,
	}, map[string]string{"privateKey": srv.clientKey})
	lines := func() []string {
		b, err := os.ReadFile(marker)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		return strings.Fields(strings.ReplaceAll(strings.TrimSpace(string(b)), " ", "_"))
	}
	// What a command records for step when it runs with password pw.
	ran := func(step, pw string) string {
		sum := sha256.Sum256([]byte(pw))
		d := hex.EncodeToString(sum[:])[:16]
		return step + "_app_env=" + d + "_stdin=" + d
	}
	created := func(pw string) []string {
		return []string{ran("local-create", pw), ran("remote-create", pw), ran("update-create", pw)}
	}
	wantLines := func(what string, got []string, want ...string) {
		t.Helper()
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("%s: commands recorded %q, want %q", what, got, want)
		}
	}

	// Preview and create: the password is created in the same update.
	wantChanges(t, "preview create", s.preview(), changes{"create": 5}) // stack, password, three commands
	wantChanges(t, "create", s.up(), changes{"create": 5})
	pw := s.outputs()["password"].(string)
	wantLines("create", lines(), created(pw)...)
	if out := s.outputs(); out["localStdout"] != "done" || out["remoteStdout"] != "done" {
		t.Fatalf("outputs: %v", out)
	}
	if strings.Contains(s.state(), pw) {
		t.Fatal("the state holds the password in plain text")
	}

	// No-op: the known secret triggers compare equal.
	s.upNoChanges()
	wantLines("no-op", lines(), created(pw)...)

	// New keepers: a new password, unknown again in preview, re-runs the
	// commands with the new value: a replacement where it is in the triggers,
	// an update where it is only in the environment and stdin.
	s.config(map[string]string{"rotation": "r2"}, nil)
	wantChanges(t, "preview rotation", s.preview(), changes{"replace": 3, "update": 1})
	before := len(lines())
	wantChanges(t, "rotation", s.up(), changes{"replace": 3, "update": 1})
	pw2 := s.outputs()["password"].(string)
	if pw2 == pw {
		t.Fatal("new keepers did not give a new password")
	}
	wantLines("rotation", lines()[before:], ran("local-create", pw2), ran("remote-create", pw2),
		ran("update-update", pw2), "local-delete", "remote-delete")
	if strings.Contains(s.state(), pw2) {
		t.Fatal("the state holds the rotated password in plain text")
	}
	s.upNoChanges()

	before = len(lines())
	wantChanges(t, "destroy", s.destroy(), changes{"delete": 5})
	wantLines("destroy", lines()[before:], "local-delete", "remote-delete")
}
