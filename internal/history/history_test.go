package history

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The testdata was recorded by testdata/record.sh with the real CLI (v3.274.1) on a file backend:
// update v1, update v2 (+replicas), a failed update, a refresh, update v3 (+a secret).
func recorded(t *testing.T) []Update {
	t.Helper()
	f, err := os.Open("testdata/history-file-backend.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	us, err := Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	return us
}

func TestParseNumbersSelfManagedHistoryFromTheOldest(t *testing.T) {
	us := recorded(t)
	type row struct {
		version        int
		kind, result   string
		revision, head string
	}
	var got []row
	for _, u := range us {
		got = append(got, row{u.Version, u.Kind, u.Result, u.Config["inter-hub:app.revision"].String(), u.Environment[EnvGitHead]})
	}
	want := []row{
		{5, "update", "succeeded", "v3", ""},
		{4, "refresh", "succeeded", "v2", ""},
		{3, "update", "failed", "v2", ""},
		{2, "update", "succeeded", "v2", ""},
		{1, "update", "succeeded", "v1", ""},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d updates, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		g := got[i]
		if g.version != want[i].version || g.kind != want[i].kind || g.result != want[i].result || g.revision != want[i].revision {
			t.Errorf("update %d: got %+v, want %+v", i, g, want[i])
		}
		if len(g.head) != 40 {
			t.Errorf("update %d: git.head %q is not a commit", g.version, g.head)
		}
	}
	// Update 1 and 2 ran from different program commits, 2 to 4 from the same one.
	if us[4].Environment[EnvGitHead] == us[3].Environment[EnvGitHead] || us[3].Environment[EnvGitHead] != us[1].Environment[EnvGitHead] {
		t.Error("git.head does not follow the recorded commits")
	}
	if !strings.HasSuffix(us[0].GitHead(), "+dirty") {
		t.Errorf("GitHead() = %q; the recording ran with an uncommitted stack file, so want +dirty", us[0].GitHead())
	}
	if us[4].Message != "first release" || us[4].StartTime.IsZero() || us[4].ResourceChanges["create"] == 0 {
		t.Errorf("update 1: message %q, start %v, changes %v", us[4].Message, us[4].StartTime, us[4].ResourceChanges)
	}
	secret := us[0].Config["inter-hub:postgres.adminPassword"]
	if !secret.Secret || secret.Value != nil {
		t.Errorf("a secret config value must be marked and carry no value: %+v", secret)
	}
}

func TestParseKeepsCloudNumbersAndRejectsBadInput(t *testing.T) {
	raw, err := os.ReadFile("testdata/history-file-backend.json")
	if err != nil {
		t.Fatal(err)
	}
	var entries []map[string]any
	if err := json.Unmarshal(raw, &entries); err != nil {
		t.Fatal(err)
	}
	// Pulumi Cloud numbers updates itself (and may skip numbers).
	for i := range entries {
		entries[i]["version"] = 10 * (len(entries) - i)
	}
	cloud, _ := json.Marshal(entries)
	us, err := Parse(bytes.NewReader(cloud))
	if err != nil {
		t.Fatal(err)
	}
	if us[0].Version != 50 || us[4].Version != 10 {
		t.Fatalf("numbers not kept: %d .. %d", us[0].Version, us[4].Version)
	}
	entries[2]["version"] = 0
	mixed, _ := json.Marshal(entries)
	if _, err := Parse(bytes.NewReader(mixed)); err == nil || !strings.Contains(err.Error(), "1 of 5 updates have no number") {
		t.Fatalf("want a mixed numbering refused, got %v", err)
	}
	entries[2]["version"] = 40
	dup, _ := json.Marshal(entries)
	if _, err := Parse(bytes.NewReader(dup)); err == nil || !strings.Contains(err.Error(), "repeated") {
		t.Fatalf("want a repeated number refused, got %v", err)
	}
	if _, err := Parse(strings.NewReader("error: no stack named 'x' found")); err == nil {
		t.Fatal("want non-JSON refused")
	}
}

func image(revision string) string {
	return fmt.Sprintf("registry.test/inter-hub@sha256:%x", sha256.Sum256([]byte(revision)))
}

func TestCheckpointsFromTheFileBackendGiveEachUpdatesImage(t *testing.T) {
	us := recorded(t)
	dir, err := filepath.Abs("testdata/file-backend")
	if err != nil {
		t.Fatal(err)
	}
	recs, err := Checkpoints(context.Background(), "file://"+dir, "inter-hub", "demo")
	if err != nil {
		t.Fatal(err)
	}
	if n := Attach(us, recs); n != 5 {
		t.Fatalf("attached %d of 5", n)
	}
	for _, u := range us {
		img, ok := u.OutputString("image")
		rev := u.Config["inter-hub:app.revision"].String()
		// The failed update changed nothing; its checkpoint still has update 2's outputs.
		if !ok || img != image(rev) {
			t.Errorf("update %d (%s): image %q, want %q", u.Version, rev, img, image(rev))
		}
	}
	if tok, ok := us[0].Outputs["token"].(map[string]any); !ok || tok["ciphertext"] == nil {
		t.Errorf("a secret output must stay encrypted in the checkpoint: %v", us[0].Outputs["token"])
	}
}

func TestAttachRefusesRecordsThatDoNotMatch(t *testing.T) {
	us := recorded(t)
	dir, _ := filepath.Abs("testdata/file-backend")
	recs, err := Checkpoints(context.Background(), "file://"+dir, "inter-hub", "demo")
	if err != nil {
		t.Fatal(err)
	}
	if n := Attach(us, recs[1:]); n != 0 {
		t.Fatalf("a record missing must attach nothing, attached %d", n)
	}
	recs[2].StartTime++
	if n := Attach(us, recs); n != 4 || us[2].Outputs != nil {
		t.Fatalf("a record whose time differs must not attach: attached %d, update 3 outputs %v", n, us[2].Outputs)
	}
}

func TestCheckpointsOfAMissingStackAndOtherBackends(t *testing.T) {
	recs, err := Checkpoints(context.Background(), "file://"+t.TempDir(), "inter-hub", "nothing")
	if err != nil || len(recs) != 0 {
		t.Fatalf("a stack without history: %v %v", recs, err)
	}
	if _, err := Checkpoints(context.Background(), "https://api.pulumi.com", "inter-hub", "x"); err == nil ||
		!strings.Contains(err.Error(), "https:// backend is not supported") {
		t.Fatalf("want the cloud backend reported as unsupported, got %v", err)
	}
	if _, err := Checkpoints(context.Background(), "postgres://u:p@127.0.0.1:1/db?table=state%22%3Bdrop", "inter-hub", "x"); err == nil ||
		!strings.Contains(err.Error(), "not a plain identifier") {
		t.Fatalf("want a bad table name refused, got %v", err)
	}
}

func TestGzipCheckpoints(t *testing.T) {
	src := "testdata/file-backend/.pulumi/history/inter-hub/demo"
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	var blobs []blob
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		blobs = append(blobs, blob{key: e.Name() + ".gz", data: gz(t, data)})
	}
	recs, err := recordsFromBlobs(blobs)
	if err != nil || len(recs) != 5 || recs[0].Outputs["image"] != image("v1") {
		t.Fatalf("gzip records: %v %+v", err, recs)
	}
}
